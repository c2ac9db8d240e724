"""Drive one top-up and one debit the way the billing page and a task runner do.

Run it while `make run` is serving. It talks to the service and to the
Stripe simulator over HTTP only, and exits non-zero if any step goes wrong.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import httpx


def create_token(prepay: str, email: str, scope: str) -> str:
    output = subprocess.run(
        [prepay, "token", "create", "--email", email, "--scope", scope],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.strip().splitlines()[-1]


def money(units: str, nanos: int = 0) -> dict[str, Any]:
    return {"currencyCode": "USD", "units": units, "nanos": nanos}


def as_decimal(value: dict[str, Any]) -> Decimal:
    return Decimal(value["units"]) + Decimal(value["nanos"]).scaleb(-9)


def step(message: str) -> None:
    print(f"- {message}", flush=True)  # noqa: T201


def pay_at_simulator(sim: str, publishable_key: str, top_up: dict[str, Any]) -> str:
    """Create a card payment method and confirm the PaymentIntent, as Stripe.js does."""
    with httpx.Client(base_url=sim, timeout=15) as client:
        method = client.post(
            "/v1/payment_methods",
            data={
                "key": publishable_key,
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": str(time.gmtime().tm_year + 2),
                "card[cvc]": "123",
            },
        )
        method.raise_for_status()
        intent_id = top_up["stripePaymentIntentId"]
        confirmed = client.post(
            f"/v1/payment_intents/{intent_id}/confirm",
            data={
                "key": publishable_key,
                "client_secret": top_up["clientSecret"],
                "payment_method": method.json()["id"],
            },
        )
        confirmed.raise_for_status()
        status: str = confirmed.json()["status"]
        return status


def wait_for_credit(
    user: httpx.Client, transaction_id: str, seconds: float
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        entry: dict[str, Any] = user.get(
            f"/v1/billing/transactions/{transaction_id}"
        ).json()
        if entry["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            return entry
        time.sleep(0.2)
    raise SystemExit(f"top-up {transaction_id} still PENDING after {seconds} s")


def run(service: str, sim: str, prepay: str) -> None:
    email = f"script-{secrets.token_hex(4)}@example.com"
    user_token = create_token(prepay, email, "user")
    service_token = create_token(prepay, "task-runner@example.com", "service")
    step(f"tokens created for {email} and the task runner")

    user = httpx.Client(
        base_url=service, timeout=15, headers={"Authorization": f"Bearer {user_token}"}
    )
    runner = httpx.Client(
        base_url=service,
        timeout=15,
        headers={"Authorization": f"Bearer {service_token}"},
    )
    config = user.get("/v1/billing/config").json()

    response = user.post(
        "/v1/billing/top-up",
        json={"amount": money("50")},
        headers={"Idempotency-Key": f"top-up-{secrets.token_hex(8)}"},
    )
    response.raise_for_status()
    top_up = response.json()
    transaction_id = top_up["transaction"]["transactionId"]
    step(f"top-up {transaction_id} PENDING, {top_up['stripePaymentIntentId']}")

    status = pay_at_simulator(sim, config["publishableKey"], top_up)
    step(f"PaymentIntent confirmed at the simulator: {status}")

    entry = wait_for_credit(user, transaction_id, 10)
    balance = as_decimal(user.get("/v1/billing/profile").json()["availableBalance"])
    step(f"top-up {entry['status']}, balance {balance}")
    if entry["status"] != "COMPLETED" or balance != Decimal("50"):
        raise SystemExit("the top-up did not credit 50.00")

    key = f"task-{secrets.token_hex(8)}"
    body = {
        "userEmail": email,
        "amount": money("12", 340_000_000),
        "idempotencyKey": key,
        "description": "one task",
    }
    first = runner.post("/v1/billing/debits", json=body).json()
    second = runner.post("/v1/billing/debits", json=body).json()
    debit_id = first["transaction"]["transactionId"]
    step(f"debit {debit_id} sent twice with key {key}: replayed={second['replayed']}")

    debits = user.get("/v1/billing/transactions", params={"type": "DEBIT"}).json()[
        "transactions"
    ]
    balance = as_decimal(user.get("/v1/billing/profile").json()["availableBalance"])
    step(f"{len(debits)} DEBIT, balance {balance}")
    if len(debits) != 1 or balance != Decimal("37.66"):
        raise SystemExit("expected one DEBIT and a balance of 37.66")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--service", default=f"http://127.0.0.1:{os.environ.get('PORT', '8080')}"
    )
    parser.add_argument(
        "--simulator",
        default=f"http://127.0.0.1:{os.environ.get('STRIPE_SIM_PORT', '12111')}",
    )
    parser.add_argument(
        "--prepay",
        default=os.path.join(os.path.dirname(sys.executable), "prepay"),
        help="the prepay command, for creating tokens",
    )
    args = parser.parse_args()
    run(args.service, args.simulator, args.prepay)
    step("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
