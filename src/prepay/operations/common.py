"""What every operators' command needs: a session factory on the configured database."""

from sqlalchemy.orm import Session, sessionmaker

from prepay.config import Settings
from prepay.db import make_engine, make_session_factory


def session_factory(settings: Settings) -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings.database_url))
