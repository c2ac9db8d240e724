"""The ``prepay`` command: serve, migrate, tokens and operators' tools."""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from sqlalchemy import make_url

from prepay.config import ConfigError, Settings, load_settings

log = logging.getLogger("prepay.cli")

Command = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from prepay.api.app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from prepay.db import make_engine
    from prepay.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    print("database is at the newest revision")  # noqa: T201
    return 0


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    from prepay.devserver import run_dev

    return run_dev(args.host, args.port, args.sim_port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prepay", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(handler=_serve)

    dev = commands.add_parser(
        "dev", help="migrate, start the Stripe simulator and run the service"
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8080)
    dev.add_argument("--sim-port", type=int, default=12111)
    dev.set_defaults(handler=_dev)

    migrate = commands.add_parser(
        "migrate", help="bring the database to the newest revision"
    )
    migrate.set_defaults(handler=_migrate)

    from prepay import operations

    operations.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"prepay: configuration error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from prepay.db import normalize_url
    from prepay.errors import PrepayError

    try:
        code: int = args.handler(args, settings)
    except PrepayError as exc:
        print(f"prepay: {exc.message}", file=sys.stderr)  # noqa: T201
        return 1
    except (OperationalError, ProgrammingError) as exc:
        # Most often a relative SQLite path from another folder, or a
        # database that was never migrated.
        url = make_url(normalize_url(settings.database_url))
        print(  # noqa: T201
            f"prepay: database error on {url.render_as_string(hide_password=True)}: "
            f"{exc.orig}; check DATABASE_URL and run 'prepay migrate'",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
