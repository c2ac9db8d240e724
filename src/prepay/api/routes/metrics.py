"""Prometheus metrics for operators, in the text exposition format."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def read_metrics(request: Request) -> Response:
    """Return this process's metrics and the count of unreconciled accounts."""
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
