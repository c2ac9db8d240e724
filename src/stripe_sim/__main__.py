"""Command line: `python -m stripe_sim --port 12111 --webhook-url URL ...`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import uvicorn

from .app import create_app
from .settings import settings_from_args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the simulator until interrupted."""
    settings = settings_from_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        ws="none",
    )


if __name__ == "__main__":
    main()
