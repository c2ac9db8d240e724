"""Stripe's webhook: verify the raw bytes, store the event, apply it."""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from prepay import metrics
from prepay.api.deps import ServicesDep
from prepay.api.errors import error_body
from prepay.errors import InvalidWebhook, WebhookNotConfigured
from prepay.ledger.events import EventApplyFailed, receive_event

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/billing", tags=["webhook"])


@router.post("/webhook", include_in_schema=False)
async def receive_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    verifier = services.webhook_verifier
    if verifier is None:
        raise WebhookNotConfigured("webhooks are not configured on this server")

    payload = await request.body()
    try:
        event = verifier.verify_event(payload, request.headers.get("stripe-signature"))
    except InvalidWebhook:
        metrics.count_webhook("unverified", "rejected")
        raise

    expected_livemode = services.settings.is_production
    try:
        receipt = await run_in_threadpool(
            receive_event,
            services.sessions,
            event,
            services.event_handlers,
            expected_livemode,
        )
    except EventApplyFailed:
        metrics.count_webhook(event.type, "failed")
        return JSONResponse(
            error_body("INTERNAL", "event failed to apply; retry later"), 500
        )
    metrics.count_webhook(event.type, receipt.status, receipt.duplicate)
    return JSONResponse({"received": True, "status": receipt.status})
