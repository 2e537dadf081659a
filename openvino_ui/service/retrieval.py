"""Retrieval: embed texts with an `embedding` model, rerank documents with a `rerank` model."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from ..config import RerankSpec
from .core import ServiceBase
from .requests import EmbedRequest, RerankRequest
from .results import EmbedResult, RerankResult

if TYPE_CHECKING:  # the engine module imports openvino_genai: only its type is needed here
    from ..engines.embedding import EmbeddingEngine


class RetrievalService(ServiceBase):
    def embed(self, request: EmbedRequest) -> EmbedResult:
        """One vector per text, in order, all of the model's dimension (float32).

        kind "query" embeds search queries (with the model's query instruction, if it has one),
        "document" the texts searched in. Texts longer than the model's max_length are truncated.
        """
        name, _ = self.resolve(request)
        engine = self._embedding(name)
        result = engine.embed(list(request.texts), kind=request.kind)
        return EmbedResult(
            model=name, vectors=result.vectors, dim=result.dim, seconds=result.seconds, device=engine.device
        )

    def count_tokens(self, request: EmbedRequest) -> int:
        """How many tokens the model reads for `request.texts` (with its instruction, special tokens,
        truncated to its max_length), by the model's own tokenizer; loads no model. For usage
        reports (the REST API's `usage.prompt_tokens`)."""
        name, _ = self.resolve(request)
        engine = cast("EmbeddingEngine", self.pool.get(name, "embedding"))
        return engine.count_tokens(list(request.texts), kind=request.kind)

    def rerank(self, request: RerankRequest) -> RerankResult:
        """The `top_n` documents most relevant to the query (None: the model's top_n), best first.

        Scores: a relevance probability in [0, 1] (cross-encoder) or a cosine similarity in [-1, 1]
        (bi-encoder); higher is more relevant.
        """
        name, spec = self.resolve(request)
        assert isinstance(spec, RerankSpec)
        top_n = spec.top_n if request.top_n is None else request.top_n
        engine = self._reranker(name)
        started = time.perf_counter()
        documents = engine.rerank(request.query, list(request.documents), top_n)
        return RerankResult(model=name, documents=tuple(documents), seconds=time.perf_counter() - started)
