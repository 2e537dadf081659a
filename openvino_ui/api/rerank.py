"""The reranking endpoint: order documents by relevance to a query with a `rerank` model."""

from typing import Any

from ..pool import EnginePool
from ..retrieval import MAX_TEXT_CHARS, RankedDocument
from .embeddings import checked_texts
from .errors import user_errors
from .validation import integer, pick_model, require_text

ALSO_TOP_N = ", or None for the model's top_n"


class RerankAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def run(
        self, query: str | None, documents: Any, model: str | None, top_n: int | None
    ) -> list[RankedDocument]:
        """Validate and rerank; the best first. Bad input is refused before the model is loaded."""
        name = pick_model(self.pool, model, "rerank")
        spec = self.pool.get(name, "rerank").spec
        text = require_text(query, "query", MAX_TEXT_CHARS)
        docs = checked_texts(documents, "documents", spec.max_documents, "document")
        n = spec.top_n if top_n is None else integer(top_n, "top_n", 1, spec.max_documents, ALSO_TOP_N)
        engine = self.pool.ready(name, "rerank")
        return engine.rerank(text, docs, n)  # type: ignore[attr-defined]

    @user_errors
    def rerank(
        self, query: str, documents: list[str], model: str = "", top_n: int | None = None
    ) -> list[dict]:
        """Rank documents by how well they answer a query (for search and retrieval-augmented chat).

        Args:
            query: the search query or question (must not be empty).
            documents: the candidate texts, each non-empty; at most the model's max_documents (models.yaml,
                default 256).
            model: a `rerank` model name from `/models`; empty means the first one configured.
            top_n: how many of the best documents to return (1 to max_documents); None uses the model's top_n.

        Returns:
            The best documents first, as
            [{"index": position in `documents`, "score": float, "document": str}].
            Scores: a relevance probability in [0, 1] (cross-encoder) or a cosine similarity in [-1, 1]
            (bi-encoder); higher is more relevant.
        """
        return [
            {"index": r.index, "score": r.score, "document": r.document}
            for r in self.run(query, documents, model, top_n)
        ]
