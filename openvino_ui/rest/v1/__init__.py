"""The OpenAI-compatible routes under /v1: one module per area, each a `router(service, settings)`
that returns its APIRouter. The wire formats live here; the work is done by openvino_ui.service."""

from __future__ import annotations

from fastapi import APIRouter

from ...service import Service
from ..settings import RestSettings
from .admin import router as admin_router
from .audio import router as audio_router
from .benchmark import router as benchmark_router
from .catalog import router as catalog_router
from .chat import router as chat_router
from .completions import router as completions_router
from .embeddings import router as embeddings_router
from .model_info import router as model_info_router
from .models import router as models_router
from .rerank import router as rerank_router
from .runtime import router as runtime_router
from .server import router as server_router


def v1_router(service: Service, settings: RestSettings) -> APIRouter:
    """Every /v1 route (the areas' routers, in order)."""
    router = APIRouter(prefix="/v1")
    areas = (  # each area module adds itself here: module.router,
        runtime_router,  # before models_router, whose GET /models/{id:path} would take /versions
        model_info_router,  # before models_router too (it would take /info)
        models_router,
        chat_router,
        completions_router,
        embeddings_router,
        rerank_router,
        audio_router,
        admin_router,
        server_router,
        benchmark_router,
        catalog_router,  # POST /models and DELETE /models/{id}: other methods than models_router's
    )
    for area in areas:
        router.include_router(area(service, settings))
    return router
