"""Liveness and readiness for operators and load balancers."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from prepay.api.deps import ServicesDep
from prepay.migrate import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Return ok while the process runs."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Return 200 when the database responds and its migrations are current."""
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(services.engine)
    except SQLAlchemyError:
        return JSONResponse({"status": "database unavailable"}, 503)
    if not current:
        return JSONResponse({"status": "migrations pending; run 'prepay migrate'"}, 503)
    return JSONResponse({"status": "ready"})
