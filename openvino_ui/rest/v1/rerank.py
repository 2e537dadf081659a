"""POST /v1/rerank: the Cohere / Jina rerank API (what Open WebUI's external reranker and LangChain's
rerankers send) over Service.rerank.

    {"model": "...", "query": "...", "documents": ["text" | {"text": "..."}, ...], "top_n": 3,
     "return_documents": false}
    -> {"id": "...", "model": "...", "results": [{"index": 2, "relevance_score": 0.93,
        "document": {"text": "..."}}, ...]}

Results are sorted by relevance_score, best first; `document` is there only with return_documents.
top_n left out returns every document (as Cohere and Jina do); one above the number of documents
returns them all. Scores: a probability in [0, 1] (cross-encoder) or a cosine in [-1, 1]
(bi-encoder).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ...errors import InvalidInput, describe
from ...service import RerankRequest, Service
from ...service.validation import integer
from ..settings import RestSettings
from .body import json_call

FIELDS = ("model", "query", "documents", "top_n", "return_documents")


def router(service: Service, settings: RestSettings) -> APIRouter:
    api = APIRouter(tags=["rerank"])

    @api.post("/rerank")
    async def rerank(request: Request) -> Response:
        """Order `documents` by relevance to `query` with a `rerank` model."""

        return await json_call(request, FIELDS, _rerank, service)

    return api


def _rerank(service: Service, body: dict[str, Any]) -> JSONResponse:
    documents = _documents(body.get("documents"))
    count = len(documents) if isinstance(documents, list) and documents else None
    top_n = body.get("top_n")
    if top_n is not None:
        top_n = integer(top_n, "top_n", 1)
        top_n = min(top_n, count) if count else top_n
    return_documents = body.get("return_documents", False)
    if not isinstance(return_documents, bool):
        raise InvalidInput(
            f"return_documents must be true or false; got {describe(return_documents)}.",
            param="return_documents",
        )
    request = service.request(
        RerankRequest,
        model=body.get("model"),
        query=body.get("query"),
        documents=documents,
        top_n=count if top_n is None else top_n,
    )
    result = service.rerank(request)
    results = []
    for ranked in result.documents:
        item: dict[str, Any] = {"index": ranked.index, "relevance_score": ranked.score}
        if return_documents:
            item["document"] = {"text": ranked.document}
        results.append(item)
    return JSONResponse({"id": f"rerank-{uuid.uuid4().hex}", "model": result.model, "results": results})


def _documents(value: Any) -> Any:
    """`documents` as strings: each item a string or a {"text": string} object (other keys ignored)."""
    if not isinstance(value, list):
        return value  # the service names what is wrong (None, a string, ...)
    texts = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            if not isinstance(item.get("text"), str):
                raise InvalidInput(
                    f"documents[{i}] must be a string or an object with a string 'text'; got "
                    f"{describe(item)}.",
                    param="documents",
                )
            item = item["text"]
        texts.append(item)
    return texts
