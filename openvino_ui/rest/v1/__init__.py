"""The OpenAI-compatible routes under /v1: one module per area, each a `router(service, settings)`
that returns its APIRouter. The wire formats live here; the work is done by openvino_ui.service."""

from __future__ import annotations

from fastapi import APIRouter

from ...service import Service
from ..settings import RestSettings


def v1_router(service: Service, settings: RestSettings) -> APIRouter:
    """Every /v1 route (the areas' routers, in order)."""
    router = APIRouter(prefix="/v1")
    for area in ():  # each area module adds itself here: (module.router, ...)
        router.include_router(area(service, settings))
    return router
