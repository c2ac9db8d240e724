"""Operators' commands beyond serving, one module per group.

Each module has ``register(commands)``, which adds its subcommands to the
``prepay`` parser with a ``handler(args, settings) -> exit code``.
"""

import argparse
from types import ModuleType

from prepay.operations import events, ledger, review, sync, tokens

MODULES: tuple[ModuleType, ...] = (tokens, ledger, events, review, sync)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    for module in MODULES:
        module.register(commands)
