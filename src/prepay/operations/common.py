"""Database access shared by the operators' commands."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from prepay.config import Settings
from prepay.db import make_engine, make_session_factory


@contextmanager
def open_database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Yield a session factory, and close its connections when the command ends."""
    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
