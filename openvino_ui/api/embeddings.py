"""The embeddings endpoint: turn texts into vectors with an `embedding` model."""

from typing import Any, Literal

from ..errors import InvalidInput, describe
from ..pool import EnginePool
from ..retrieval import MAX_TEXT_CHARS, Embeddings
from .errors import user_errors
from .validation import check_unicode, choice, pick_model


class EmbeddingsAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def run(self, texts: Any, model: str | None, kind: str = "document") -> tuple[str, Embeddings]:
        """Validate and embed; returns (model name, Embeddings). Bad input is refused before loading."""
        name = pick_model(self.pool, model, "embedding")
        spec = self.pool.get(name, "embedding").spec
        kind = choice(kind, "kind", ("document", "query"))
        checked = checked_texts(texts, "texts", spec.max_texts, "text")
        engine = self.pool.ready(name, "embedding")
        return name, engine.embed(checked, kind=kind)  # type: ignore[attr-defined]

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
        _, result = self.run(texts, model, kind)
        return result.vectors.tolist()


def checked_texts(texts: Any, what: str, max_count: int, item: str) -> list[str]:
    """A non-empty list of at most `max_count` non-empty strings (each <= MAX_TEXT_CHARS)."""
    if isinstance(texts, str):
        texts = [texts]
    elif texts is None:
        texts = []
    if not isinstance(texts, list | tuple):
        raise InvalidInput(f"{what} must be a list of strings; got {describe(texts)}.")
    if not texts:
        raise InvalidInput(f"No {what} were given; send a list with at least one {item}.")
    if len(texts) > max_count:
        raise InvalidInput(
            f"{len(texts)} {what} were given; this model takes at most {max_count} per request "
            "(max_texts / max_documents in models.yaml). Send them in smaller batches."
        )
    checked = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidInput(f"{what}[{i}] must be a string; got {describe(text)}.")
        if not text.strip():
            raise InvalidInput(f"{what}[{i}] is empty; remove it or give it some text.")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidInput(f"{what}[{i}] has {len(text)} characters; the limit is {MAX_TEXT_CHARS}.")
        check_unicode(text, f"{what}[{i}]")
        checked.append(text)
    return checked
