"""POST /v1/embeddings: OpenAI's embeddings API over Service.embed.

    {"model": "all-minilm-l6-v2", "input": "text" | ["text", ...], "encoding_format": "float" | "base64"}
    -> {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [...] | "base64"}],
        "model": "...", "usage": {"prompt_tokens": n, "total_tokens": n}}

base64 is the little-endian float32 bytes of each vector (what the OpenAI SDKs ask for by default
and decode themselves). usage counts the tokens the model read, by its own tokenizer. Token arrays
as input are refused (this server has no shared tokenizer to read them with); `dimensions` only
when it equals the model's own. Extension: `input_type` "query" or "document" (the default), for
models with a query instruction (E5, BGE); `user` is accepted and ignored.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ...errors import InvalidInput, describe
from ...service import EmbedRequest, Service
from ...service.validation import choice, integer, text_list
from ..settings import RestSettings
from .body import json_call

FIELDS = ("model", "input", "encoding_format", "dimensions", "user", "input_type")
RENAME = {"texts": "input", "kind": "input_type"}


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(tags=["embeddings"])

    @api.post("/embeddings")
    async def embeddings(request: Request) -> Response:
        """Embed `input` (a string or a list of strings) with an `embedding` model."""

        return await json_call(request, FIELDS, embed, service, RENAME)

    return api


def embed(service: Service, body: dict[str, Any]) -> JSONResponse:
    texts = _texts(body.get("input"))
    encoding = choice(body.get("encoding_format") or "float", "encoding_format", ("float", "base64"))
    dimensions = body.get("dimensions")
    if dimensions is not None:
        integer(dimensions, "dimensions", 1)
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise InvalidInput(f"user must be a string; got {describe(user)}.", param="user")
    request = service.request(
        EmbedRequest, model=body.get("model"), texts=texts, kind=body.get("input_type") or "document"
    )
    result = service.embed(request)
    if dimensions is not None and dimensions != result.dim:
        raise InvalidInput(
            f"dimensions must be {result.dim} for model {result.model!r} (it cannot shorten its "
            f"vectors); got {dimensions}. Leave dimensions out.",
            param="dimensions",
        )
    tokens = service.count_tokens(request)
    vectors = result.vectors.astype("<f4", copy=False)
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(vector, encoding)}
        for i, vector in enumerate(vectors)
    ]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "model": result.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def _texts(value: Any) -> tuple[str, ...]:
    """`input` as the service takes it; token arrays (lists of integers) are refused by name."""
    if value is None or value == []:
        raise InvalidInput("input is required: a string or a list of at least one string.", param="input")
    if isinstance(value, list) and value:
        first = value[0]
        if (isinstance(first, int) and not isinstance(first, bool)) or isinstance(first, list):
            raise InvalidInput(
                "input as token arrays is not supported: send the texts as strings (with LangChain's "
                "OpenAIEmbeddings set check_embedding_ctx_length=False).",
                param="input",
            )
    return text_list(value, "input", None, "text")  # messages name `input`; the service checks the count


def _encode(vector: np.ndarray, encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(vector.tobytes()).decode("ascii")
    return vector.tolist()
