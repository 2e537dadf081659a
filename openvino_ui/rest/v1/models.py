"""GET /v1/models and GET /v1/models/{id}: every configured model, in models.yaml order, with its
task, device and status (unloaded | loading | ready | failed) as extensions of OpenAI's model object.

`created` is when the model's folder last changed (the server's start for a model without one).
"""

from __future__ import annotations

import os
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...engines.base import ModelInfo
from ...errors import ModelNotFound
from ...service import Service
from ..errors import user_error_response
from ..settings import RestSettings
from .replies import ModelCard, ModelList


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter()
    started = int(time.time())

    def card(info: ModelInfo) -> ModelCard:
        return ModelCard(
            id=info.name,
            created=_created(info.model_dir, started),
            task=info.task,
            device=info.device,
            status=info.status,
        )

    @api.get("/models")
    def list_models() -> JSONResponse:
        listing = ModelList(data=[card(info) for info in service.models()])
        return JSONResponse(listing.model_dump(mode="json"))

    @api.get("/models/{model_id:path}")
    def retrieve_model(model_id: str) -> JSONResponse:
        models = service.models()
        found = next((info for info in models if info.name == model_id), None)
        if found is None:
            return user_error_response(ModelNotFound(model_id, [info.name for info in models]))
        return JSONResponse(card(found).model_dump(mode="json"))

    return api


def _created(folder: str | None, default: int) -> int:
    if folder is None:
        return default
    try:
        return int(os.stat(folder).st_mtime)
    except OSError:
        return default
