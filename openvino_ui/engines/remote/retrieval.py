"""Embeddings and reranking on a remote endpoint: `/embeddings` (OpenAI's) and `/rerank` (the
Cohere / Jina shape that OVMS's `/v3/rerank`, openvino-ui's `/v1/rerank`, vLLM and llama-server
share: {model, query, documents, top_n} -> {results: [{index, relevance_score}]}).

Instructions (models.yaml `query_instruction`, `document_instruction`) are put in front of the
texts here, as the local engine's pipeline does, since the OpenAI API has no field for the kind.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ...retrieval import Embeddings, RankedDocument, ranked
from .base import RemoteEngine
from .client import RemoteClient
from .failures import malformed

USAGE_MEMORY = 256  # token counts of recent embed calls, kept for count_tokens (the REST usage)


class RemoteEmbeddingEngine(RemoteEngine):
    """An `embedding` model on a remote server."""

    task = "embedding"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # digest of (kind, texts) -> the tokens the remote counted: count_tokens follows embed for
        # the same texts, and asking the remote again would embed them twice. Digests, not texts.
        self._usage: OrderedDict[bytes, int] = OrderedDict()
        self._usage_lock = threading.Lock()

    def embed(self, texts: Sequence[str], kind: Literal["document", "query"] = "document") -> Embeddings:
        """Embed `texts` (non-empty strings) on the remote model; float32 vectors (n, dim)."""
        if kind not in ("document", "query"):
            raise ValueError(f"kind must be 'document' or 'query', got {kind!r}")
        if not texts:
            raise ValueError("embed needs at least one text")
        inputs = self._with_instruction(texts, kind)
        with self.serving() as session, self.reaching():
            client: RemoteClient = session.pipeline
            started = time.perf_counter()
            answer = client.post_json(
                "embeddings", {"model": client.model, "input": inputs, "encoding_format": "float"}
            )
            seconds = time.perf_counter() - started
        vectors = self._vectors(answer, len(inputs))
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        if usage.get("prompt_tokens") is not None:
            self._remember(texts, kind, int(usage["prompt_tokens"]))
        return Embeddings(vectors=vectors, dim=int(vectors.shape[1]), seconds=seconds)

    def count_tokens(self, texts: Sequence[str], kind: Literal["document", "query"] = "document") -> int:
        """How many tokens the remote model read for `texts`: what it reported when it embedded them
        (just before, for a REST request), else asked by embedding them; 0 if it reports no usage."""
        if not texts:
            return 0
        key = _digest(texts, kind)
        with self._usage_lock:
            if key in self._usage:
                return self._usage[key]
        self.embed(texts, kind)
        with self._usage_lock:
            return self._usage.get(key, 0)

    def _with_instruction(self, texts: Sequence[str], kind: str) -> list[str]:
        spec: Any = self.spec
        instruction = spec.query_instruction if kind == "query" else spec.document_instruction
        return [f"{instruction or ''}{text}" for text in texts]

    def _vectors(self, answer: Any, count: int) -> np.ndarray:
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or len(data) != count:
            raise malformed(self.name, self.endpoint, "POST /embeddings", f"not {count} vectors")
        try:
            rows = sorted(data, key=lambda item: int(item.get("index", 0)))
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (TypeError, ValueError, KeyError, AttributeError):
            raise malformed(
                self.name, self.endpoint, "POST /embeddings", "vectors that are not numbers"
            ) from None
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise malformed(self.name, self.endpoint, "POST /embeddings", "vectors of different lengths")
        return vectors

    def _remember(self, texts: Sequence[str], kind: str, tokens: int) -> None:
        with self._usage_lock:
            self._usage[_digest(texts, kind)] = tokens
            while len(self._usage) > USAGE_MEMORY:
                self._usage.popitem(last=False)


class RemoteRerankEngine(RemoteEngine):
    """A `rerank` model on a remote server (a cross-encoder there; bi-encoders are local only)."""

    task = "rerank"

    def rerank(self, query: str, documents: Sequence[str], top_n: int) -> list[RankedDocument]:
        """The `top_n` most relevant of `documents`, best first, each with its index in `documents`."""
        if not documents:
            return []
        with self.serving() as session, self.reaching():
            client: RemoteClient = session.pipeline
            body = {
                "model": client.model,
                "query": query,
                "documents": list(documents),
                "top_n": max(1, min(top_n, len(documents))),
            }
            answer = client.post_json("rerank", body)
        results = answer.get("results") if isinstance(answer, dict) else None
        try:
            pairs = [(int(r["index"]), float(r["relevance_score"])) for r in results or ()]
        except (TypeError, ValueError, KeyError):
            raise malformed(
                self.name, self.endpoint, "POST /rerank", "results without index or score"
            ) from None
        if not isinstance(results, list) or any(not 0 <= i < len(documents) for i, _ in pairs):
            raise malformed(self.name, self.endpoint, "POST /rerank", "no results for these documents")
        return ranked(pairs, documents, top_n)


def _digest(texts: Sequence[str], kind: str) -> bytes:
    digest = hashlib.sha256(kind.encode())
    for text in texts:
        digest.update(len(text).to_bytes(8, "little"))
        digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.digest()
