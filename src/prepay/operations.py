"""Operators' commands beyond serving: registered on the ``prepay`` parser."""

import argparse


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the operators' subcommands to ``commands``."""
