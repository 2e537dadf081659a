"""The embeddings endpoint: turn texts into vectors with an `embedding` model (a Gradio adapter over
Service.embed)."""

from typing import Literal

from ..service import EmbedRequest, Service
from .errors import user_errors


class EmbeddingsAPI:
    def __init__(self, service: Service):
        self.service = service

    @user_errors
    def embed(
        self, texts: list[str], model: str = "", kind: Literal["document", "query"] = "document"
    ) -> list[list[float]]:
        """Embed texts as vectors (for search, clustering, similarity).

        Args:
            texts: the texts, each non-empty; at most the model's max_texts (models.yaml, default 256).
                Texts longer than the model's max_length tokens are truncated.
            model: an `embedding` model name from `/models`; empty means the first one configured.
            kind: "document" for texts to search in, "query" for search queries (models with a query
                instruction, e.g. E5 or BGE, embed the two differently).

        Returns:
            One vector (list of floats) per text, in order, all of the model's dimension. With normalisation
            on (the default for sentence-transformers models) each has length 1: a dot product is the cosine.
        """
        request = self.service.request(EmbedRequest, texts=texts, model=model, kind=kind)
        return self.service.embed(request).vectors.tolist()
