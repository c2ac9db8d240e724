"""Alembic environment: runs migrations on the URL that prepay is configured with."""

from alembic import context

from prepay.auth import models as _auth_models  # noqa: F401  (registers tables)
from prepay.config import get_settings
from prepay.db import Base, make_engine
from prepay.ledger import models as _ledger_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
