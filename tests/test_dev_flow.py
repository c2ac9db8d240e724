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
