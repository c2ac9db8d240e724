"""Fixtures for ledger tests: a session factory on each database."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from prepay.db import make_engine, make_session_factory


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database, SQLite and then PostgreSQL."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()
