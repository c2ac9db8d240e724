"""Amounts, account names and the thread loop that every part of the benchmark uses."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from prepay.money import Money

COST = Money.from_decimal("USD", "0.001")
FUNDS = Money.from_decimal("USD", "1000000")
HOT_EMAIL = "bench-hot@example.com"


def say(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


def client_email(index: int) -> str:
    return f"bench-{index}@example.com"


@dataclass(frozen=True)
class Rate:
    operations: int
    seconds: float
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


def run_threads(
    clients: int, seconds: float, max_ops: int, work: Callable[[int, int], bool]
) -> Rate:
    """Call ``work(client, n)`` from each client thread until time or count runs out.

    ``work`` returns False or raises for a failed operation, which is counted
    apart. The first exception is printed.
    """
    lock = threading.Lock()
    done = [0, 0]
    failures: list[BaseException] = []
    start = time.perf_counter()
    deadline = start + seconds

    def loop(client: int) -> None:
        sequence = 0
        while time.perf_counter() < deadline:
            with lock:
                if done[0] + done[1] >= max_ops:
                    return
            try:
                ok = work(client, sequence)
            except Exception as error:  # noqa: BLE001  (counted and printed once)
                ok = False
                failures.append(error)
            sequence += 1
            with lock:
                done[0 if ok else 1] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        say(f"  {len(failures)} operations failed, first: {failures[0]!r}")
    return Rate(done[0], time.perf_counter() - start, done[1])


def email_for(load: str, client: int) -> str:
    return HOT_EMAIL if load == "hot" else client_email(client)
