"""Probes for load balancers and Kubernetes: is the process up (/health), can it serve (/ready).

Neither needs a login (Gradio's --auth guards the UI only) and neither loads anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..engines.base import State
from ..pool import EnginePool


@dataclass(frozen=True)
class NotReady:
    """A `preload: true` model that keeps the server from being ready, and why."""

    model: str
    state: str
    reason: str


def not_ready(pool: EnginePool, starting: bool) -> list[NotReady]:
    """The `preload: true` models that are not ready.

    While the startup preload runs (`starting`), every preload model that is not loaded yet counts.
    Afterwards only a failed one does: a model unloaded since (idle, max_loaded_models, the Models
    tab) or loading again is loaded on its next request, so the server can still serve it, and a
    probe that flapped while it reloads would only take the server out of rotation for nothing.
    """
    problems = []
    for name in pool.names():
        engine = pool.get(name)
        if not engine.spec.preload:
            continue
        state = engine.state
        if state is State.FAILED:
            problems.append(NotReady(name, state.value, engine.error or "loading failed"))
        elif starting and state is not State.READY:
            reason = "loading" if state is State.LOADING else "waiting to be loaded at startup"
            problems.append(NotReady(name, state.value, reason))
    return problems


def health_router(pool: EnginePool, starting: Callable[[], bool]) -> APIRouter:
    """GET /health and GET /ready; `starting()` is True until the startup preload has finished."""
    router = APIRouter(tags=["probes"])

    @router.get("/health")
    def health() -> dict[str, str]:
        """The process answers: 200 {"status": "ok"}."""
        return {"status": "ok"}

    @router.get("/ready")
    def ready() -> JSONResponse:
        """200 when every `preload: true` model is ready, else 503 naming those that are not and why."""
        problems = not_ready(pool, starting())
        if not problems:
            return JSONResponse({"status": "ready"})
        body = {
            "status": "not ready",
            "models": [{"model": p.model, "state": p.state, "reason": p.reason} for p in problems],
        }
        return JSONResponse(body, status_code=503)

    return router
