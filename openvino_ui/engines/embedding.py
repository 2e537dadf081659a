"""Text embeddings: openvino_genai.TextEmbeddingPipeline.

Pooling and normalisation come from the model folder's sentence-transformers files
(1_Pooling/config.json, modules.json listing a Normalize module) unless models.yaml sets
`pooling:` / `normalize:`; see openvino_ui.retrieval.choose_pooling.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np
import openvino_genai as og

from ..config import EmbeddingSpec
from ..retrieval import Embeddings, PoolingChoice, choose_pooling
from .admission import Session
from .base import Engine
from .batching import DocumentBatcher
from .text_stream import CHECK_TEXTS, tokenizer_json

log = logging.getLogger(__name__)

_LONG_TEXT = "many words " * 5000  # longer than any embedding model reads

_POOLING = {
    "cls": og.TextEmbeddingPipeline.PoolingType.CLS,
    "mean": og.TextEmbeddingPipeline.PoolingType.MEAN,
    "last_token": og.TextEmbeddingPipeline.PoolingType.LAST_TOKEN,
}


class EmbeddingEngine(Engine):
    task = "embedding"
    spec: EmbeddingSpec
    pooling: PoolingChoice | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._counter: Callable[[list[str]], int] | None = None  # count_tokens; needs no pipeline
        self._tokenizer_lock = threading.Lock()
        spec = self.spec
        batching = spec.batching and spec.max_batch_texts > 1
        # Document requests that arrive together share one pipeline call (engines/batching.py), a
        # batch per instance at once. Queries are not merged: embed_query takes one text per call.
        self.batcher = (
            DocumentBatcher(self, spec.max_batch_texts, spec.batch_wait_ms, leaders=self.instances)
            if batching
            else None
        )

    def _build(self, device: str) -> Any:
        spec = self.spec
        choice = choose_pooling(spec.path, spec.pooling, spec.normalize)
        config = og.TextEmbeddingPipeline.Config()
        config.pooling_type = _POOLING[choice.pooling]
        config.normalize = choice.normalize
        if spec.query_instruction:
            config.query_instruction = spec.query_instruction
        if spec.document_instruction:
            config.embed_instruction = spec.document_instruction
        if spec.max_length is not None:
            config.max_length = spec.max_length
        if choice.pooling == "last_token":
            config.padding_side = "left"  # the last token must be the last real token of every row
        pipe = og.TextEmbeddingPipeline(str(spec.path), device, config, **self.pipeline_properties(device))
        self.pooling = choice
        log.info(
            "%s: %s pooling, normalize=%s (%s)", self.name, choice.pooling, choice.normalize, choice.source
        )
        return pipe

    def embed(self, texts: Sequence[str], kind: Literal["document", "query"] = "document") -> Embeddings:
        """Embed `texts` (non-empty strings; validated by the caller) in one request.

        Document requests that arrive together are merged into one pipeline call (see
        engines/batching.py; `batching`, `max_batch_texts`, `batch_wait_ms` in models.yaml); each
        still counts as its own request and gets only its own rows.

        kind "query" adds the model's query instruction (if configured) and embeds each text as a
        search query; "document" adds the document instruction. Returns float32 vectors (n, dim).
        """
        if kind not in ("document", "query"):
            raise ValueError(f"kind must be 'document' or 'query', got {kind!r}")
        if not texts:
            raise ValueError("embed needs at least one text")
        if kind == "document" and self.batcher is not None:
            vectors, seconds = self.batcher.embed(texts)
            return Embeddings(vectors=vectors, dim=int(vectors.shape[1]), seconds=seconds)
        with self.serving() as session:
            started = time.perf_counter()
            if kind == "query":
                rows = self._embed_queries(session, texts)
            else:
                rows = session.pipeline.embed_documents(list(texts))
            seconds = time.perf_counter() - started
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        return Embeddings(vectors=vectors, dim=int(vectors.shape[1]), seconds=seconds)

    def count_tokens(self, texts: Sequence[str], kind: Literal["document", "query"] = "document") -> int:
        """How many tokens the model reads for `texts` as embed() gives them to it: each with the
        kind's instruction in front, special tokens included, truncated to max_length. Uses the
        model's own tokenizer (on the CPU, built on first use); needs no loaded model."""
        instruction = self.spec.query_instruction if kind == "query" else self.spec.document_instruction
        prompts = [f"{instruction or ''}{text}" for text in texts]
        if not prompts:
            return 0
        return self._token_counter()(prompts)

    def _token_counter(self) -> Callable[[list[str]], int]:
        """Counts with the model's tokenizer.json through `tokenizers` where it counts exactly as
        the OpenVINO tokenizer on check texts (a long one too, for truncation): its encode_batch
        takes microseconds without the GIL, against ~0.5 ms holding it, on every request."""
        with self._tokenizer_lock:
            if self._counter is None:
                reference = og.Tokenizer(str(self.spec.path))
                self._counter = fast_counter(self.spec.path, self.spec.max_length, reference) or partial(
                    _count_with, reference, self.spec.max_length
                )
            return self._counter

    @staticmethod
    def _embed_queries(session: Session, texts: Sequence[str]) -> list[Any]:
        """One pipeline call per query; a request waiting for the model may go between two."""
        rows = []
        for index, text in enumerate(texts):
            if index:
                session.yield_turn()
            rows.append(session.pipeline.embed_query(text))
        return rows


def _count_with(tokenizer: og.Tokenizer, max_length: int | None, prompts: list[str]) -> int:
    """Tokens the model reads for `prompts` (special tokens included, truncated to max_length);
    og.Tokenizer is safe to call from several threads (a pool of infer requests inside)."""
    encoded = tokenizer.encode(prompts, max_length=max_length, truncation=True)
    return int(np.asarray(encoded.attention_mask.data).sum())


def fast_counter(
    folder: Any, max_length: int | None, reference: og.Tokenizer
) -> Callable[[list[str]], int] | None:
    """A token counter on `folder`'s tokenizer.json (Hugging Face `tokenizers`), if it counts as
    `reference` (the OpenVINO tokenizer) does on check texts; else None."""
    fast = tokenizer_json(folder)
    if fast is None:
        return None
    try:
        fast.no_padding()
        fast.no_truncation()
        # Truncate where the OpenVINO tokenizer does: max_length, else its own limit (found by a
        # text longer than any model's), else nowhere.
        limit = max_length or _count_with(reference, None, [_LONG_TEXT])
        if limit < len(fast.encode(_LONG_TEXT).ids):
            fast.enable_truncation(limit)

        def count(prompts: list[str]) -> int:
            return sum(len(encoding.ids) for encoding in fast.encode_batch(prompts))

        for text in (*CHECK_TEXTS, _LONG_TEXT):
            if count([text]) != _count_with(reference, max_length, [text]):
                log.info("%s: tokenizer.json counts differently; counting with OpenVINO's", folder)
                return None
    except Exception as exc:  # a faster path only: the OpenVINO tokenizer always works
        log.info("%s: tokenizer.json cannot count (%s)", folder, type(exc).__name__)
        return None
    return count
