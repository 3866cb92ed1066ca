"""``GET /metrics`` in Prometheus text format, for the operators' scraper (not part of the API document).

With ``KEFU_METRICS_TOKEN`` set, the scraper sends it as a bearer token (anything else: 401); without it,
the endpoint is open in dev and does not exist in prod (404), so figures never leak by default."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from kefu.adapters.metrics import METRICS
from kefu.domain.errors import NotFound, Unauthenticated
from kefu.entrypoints.api.deps import KefuDep

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, kefu: KefuDep) -> Response:
    token = kefu.settings.metrics_token
    if token is None:
        if kefu.settings.env == "prod":
            raise NotFound("path", "/metrics")
    else:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthenticated("send Authorization: Bearer <KEFU_METRICS_TOKEN>")
    METRICS.attach(kefu.bus)
    await METRICS.refresh(kefu.bus, await kefu.outbox_lag_s())
    return Response(METRICS.render(), media_type=CONTENT_TYPE_LATEST)
