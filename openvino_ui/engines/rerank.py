"""Reranking: order documents by relevance to a query.

Two kinds, chosen by RerankSpec.method (engines/__init__.py calls `engine_class_for(spec)`):

* CrossEncoderRerankEngine: the cross-encoder at `path`; scores are probabilities (sigmoid of its
  logit). Concurrent requests are merged into one batch of pairs (engines/cross_encoder.py).
* BiEncoderRerankEngine: cosine similarity of the query's and the documents' vectors from the
  embedding model named by `embedding_model`. It owns no pipeline: loading it makes sure that
  embedding engine is ready, and the embedding engine's own lock serialises the model calls. It
  admits as many requests at once as that model has `instances` (config.py copies the number),
  each "instance" being the same embedding engine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

import openvino_genai as og

from ..config import AnySpec, RerankSpec
from ..errors import UserError
from ..retrieval import RankedDocument, cosine_scores, ranked
from .base import Engine
from .batching import DocumentBatcher
from .cross_encoder import pair_scorer, score_pairs
from .embedding import EmbeddingEngine

log = logging.getLogger(__name__)


class RerankEngine(Engine):
    """What both rerankers offer: `rerank(query, documents, top_n)`."""

    task = "rerank"
    spec: RerankSpec

    def rerank(self, query: str, documents: Sequence[str], top_n: int) -> list[RankedDocument]:
        """The `top_n` most relevant of `documents` (non-empty strings), best first.

        Each result keeps the document's index in `documents`. Inputs are validated by the caller.
        """
        raise NotImplementedError


class CrossEncoderRerankEngine(RerankEngine):
    """Requests that arrive together are merged into one batch of query-document pairs (like
    document embeddings: engines/batching.py, with `batching`, `max_batch_texts` pairs and
    `batch_wait_ms` in models.yaml), scored at once by a PairScorer where it agrees with
    TextRerankPipeline (engines/cross_encoder.py), else by the pipeline once per distinct query."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        spec = self.spec
        self.batcher = (
            DocumentBatcher(
                self, spec.max_batch_texts, spec.batch_wait_ms, leaders=self.instances, call=score_pairs
            )
            if spec.batching and spec.max_batch_texts > 1
            else None
        )

    def _build(self, device: str) -> Any:
        config = og.TextRerankPipeline.Config()
        # Every document is scored (top_n is applied per request; the pipeline's is fixed at build
        # time), the most that one merged call of one query may hold included.
        config.top_n = max(self.spec.max_documents, self.spec.max_batch_texts)
        properties = self.pipeline_properties(device)
        pipeline = og.TextRerankPipeline(str(self.spec.path), device, config, **properties)
        if self.batcher is None or self.spec.path is None:
            return pipeline
        scorer = pair_scorer(self.spec.path, device, properties, pipeline)
        return pipeline if scorer is None else scorer

    def rerank(self, query: str, documents: Sequence[str], top_n: int) -> list[RankedDocument]:
        if not documents:
            return []
        if self.batcher is not None:
            scores, _ = self.batcher.embed([(query, document) for document in documents])
            return ranked(list(enumerate(scores.reshape(-1).tolist())), documents, top_n)
        with self.serving() as session:
            pairs = session.pipeline.rerank(query, list(documents))
        return ranked([(int(i), float(s)) for i, s in pairs], documents, top_n)


class BiEncoderRerankEngine(RerankEngine):
    """Ranks by cosine similarity using another configured model (`spec.embedding_model`)."""

    def _check_files(self) -> None:
        """No folder of its own (spec.path is None); the embedding model checks its own files."""

    def _embedder(self) -> EmbeddingEngine:
        name = self.spec.embedding_model
        if not name or self.lookup is None:
            raise UserError(
                f"Model {self.name!r} needs 'embedding_model:' naming an embedding model in models.yaml."
            )
        engine = self.lookup(name)
        if engine.spec.task != "embedding":
            raise UserError(
                f"Model {self.name!r}: embedding_model {name!r} is a {engine.spec.task!r} model, "
                "not an embedding model."
            )
        return cast(EmbeddingEngine, engine)

    def _build(self, device: str) -> EmbeddingEngine:
        # The "pipeline" is the embedding engine: make sure it is loaded (on its own device) now,
        # so that a broken embedding model shows up as this model's load error.
        embedder = self._embedder()
        embedder.ensure_ready()
        return embedder

    def rerank(self, query: str, documents: Sequence[str], top_n: int) -> list[RankedDocument]:
        if not documents:
            return []
        # serving() records this model's latency and failures. The embedding engine takes its own
        # lock per call, so two bi-encoder requests never use its pipeline at the same time.
        with self.serving() as session:
            embedder = session.pipeline
            query_vector = embedder.embed([query], kind="query").vectors[0]
            document_vectors = embedder.embed(list(documents), kind="document").vectors
        scores = cosine_scores(query_vector, document_vectors)
        return ranked(list(enumerate(scores.tolist())), documents, top_n)


def engine_class_for(spec: AnySpec) -> type[RerankEngine]:
    """The reranker class for `spec` (a RerankSpec): cross-encoder by default, bi-encoder on request."""
    bi_encoder = isinstance(spec, RerankSpec) and spec.method == "bi_encoder"
    return BiEncoderRerankEngine if bi_encoder else CrossEncoderRerankEngine
