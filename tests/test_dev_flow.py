"""`prepay dev` and the flow script, as a new user runs them after `make run`."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def test_flow_script_against_prepay_dev(tmp_path: Path) -> None:
    port, sim_port = free_port(), free_port()
    env = dict(os.environ)
    env.update(
        PORT=str(port),
        STRIPE_SIM_PORT=str(sim_port),
        DATABASE_URL=f"sqlite:///{tmp_path}/dev.db",
    )
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "PREPAY_ENV"):
        env.pop(name, None)
    prepay = Path(sys.executable).with_name("prepay")
    server = subprocess.Popen(
        [str(prepay), "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, seconds=30, process=server)
        flow = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "topup_flow.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)

    assert flow.returncode == 0, flow.stdout + flow.stderr
    assert "1 DEBIT, balance 37.66" in flow.stdout
    assert "Billing page:" in output.decode()


def test_token_create_list_revoke(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/tokens.db")
    prepay = str(Path(sys.executable).with_name("prepay"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [prepay, *args], env=env, capture_output=True, text=True, timeout=60
        )

    assert run("migrate").returncode == 0
    created = run("token", "create", "--email", "Ops@Example.com", "--scope", "admin")
    token = created.stdout.strip().splitlines()[-1]
    token_id = created.stdout.split()[3]
    listed = run("token", "list").stdout
    revoked = run("token", "revoke", token_id)
    relisted = run("token", "list").stdout

    assert token.startswith("prepay_")
    assert f"{token_id}  admin    ops@example.com  active" in listed
    assert token not in listed
    assert revoked.returncode == 0
    assert "revoked" in relisted.split(token_id)[1].splitlines()[0]
