"""The reranking endpoint: order documents by relevance to a query with a `rerank` model (a Gradio
adapter over Service.rerank)."""

from ..service import RerankRequest, Service
from .errors import user_errors


class RerankAPI:
    def __init__(self, service: Service):
        self.service = service

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
        request = self.service.request(
            RerankRequest, query=query, documents=documents, model=model, top_n=top_n
        )
        return [
            {"index": r.index, "score": r.score, "document": r.document}
            for r in self.service.rerank(request).documents
        ]
