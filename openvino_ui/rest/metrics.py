"""GET /metrics: Prometheus's text exposition format of the app's own registry (openvino_ui.metrics)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ..metrics import Metrics


def metrics_router(metrics: Metrics) -> APIRouter:
    router = APIRouter(tags=["probes"])

    @router.get("/metrics")
    def scrape() -> Response:
        """Every metric of this app, for Prometheus (no login needed; no user content in it)."""
        body, content_type = metrics.exposition()
        return Response(content=body, media_type=content_type)

    return router
