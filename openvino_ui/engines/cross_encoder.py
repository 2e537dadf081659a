"""A cross-encoder reranker that scores query-document pairs of many requests in one call.

openvino_genai's TextRerankPipeline takes one query per call, so requests with different queries
cannot share it. This scorer does what it does, for any pairs: the model's tokenizer.json (Hugging
Face `tokenizers`, pair encoding with token type ids) and its OpenVINO IR for the logit, then a
sigmoid. It is used only where it agrees with the pipeline: at load both score CHECK_PAIRS (short
and long documents, so truncation must agree too), and a model whose scores differ by more than
TOLERANCE, whose IR is not a one-logit sequence classifier, or that has no tokenizer.json keeps
the pipeline (requests are then merged per query only).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from .text_stream import tokenizer_json

log = logging.getLogger(__name__)

# Scores may differ by float rounding only (the same IR, the same token ids).
TOLERANCE = 1e-4
_LONG = " ".join(["the cat sat on the mat while the dog ran around the garden"] * 80)  # > 512 tokens
CHECK_PAIRS = (
    ("a cat", "the cat sat on the mat"),
    ("a cat", "dogs bark at night"),
    ("where is paris?", "Paris is the capital of France. Ça va très bien, merci! 你好"),
    ("a cat", _LONG),
)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class PairScorer:
    """Scores (query, document) pairs in one batch: sigmoid of the model's logit per pair."""

    def __init__(self, tokenizer: Any, compiled: Any):
        self.tokenizer = tokenizer
        self.request = compiled.create_infer_request()
        self.inputs = [port.get_any_name() for port in compiled.inputs]
        self.output = compiled.outputs[0]

    def score(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One score in (0, 1) per pair, in order."""
        encoded = self.tokenizer.encode_batch([tuple(pair) for pair in pairs])
        columns = {
            "input_ids": [e.ids for e in encoded],
            "attention_mask": [e.attention_mask for e in encoded],
            "token_type_ids": [e.type_ids for e in encoded],
        }
        feeds = {name: np.asarray(columns[name], dtype=np.int64) for name in self.inputs}
        logits = np.asarray(self.request.infer(feeds)[self.output], dtype=np.float32).reshape(len(pairs), -1)
        return 1.0 / (1.0 + np.exp(-logits[:, 0]))


def pair_scorer(model_dir: Path, device: str, properties: dict[str, Any], pipeline: Any) -> PairScorer | None:
    """A PairScorer for the model in `model_dir` if it scores CHECK_PAIRS as `pipeline` (its
    TextRerankPipeline) does; None (with the reason logged) otherwise."""
    import openvino as ov

    name = Path(model_dir).name
    tokenizer = tokenizer_json(model_dir)
    if tokenizer is None:
        log.info("%s: no usable tokenizer.json; reranking merges requests per query only", name)
        return None
    try:
        model = ov.Core().read_model(str(Path(model_dir) / "openvino_model.xml"))
        names = [port.get_any_name() for port in model.inputs]
        if not set(names) <= set(_INPUTS) or len(model.outputs) != 1:
            log.info("%s: not a sequence-classification IR (%s); requests merge per query only", name, names)
            return None
        _pad_and_truncate(tokenizer, Path(model_dir))
        scorer = PairScorer(tokenizer, ov.Core().compile_model(model, device, properties))
        ours = scorer.score(list(CHECK_PAIRS))
    except Exception as exc:  # a faster path only: the pipeline always works
        log.info("%s: pair scoring not usable (%s); requests merge per query only", name, type(exc).__name__)
        return None
    theirs = _pipeline_scores(pipeline, list(CHECK_PAIRS))
    gap = float(np.max(np.abs(ours - theirs)))
    if not gap <= TOLERANCE:
        log.info(
            "%s: pair scores differ from TextRerankPipeline's by %.2g; merging per query only", name, gap
        )
        return None
    return scorer


def _pipeline_scores(pipeline: Any, pairs: list[tuple[str, str]]) -> np.ndarray:
    """TextRerankPipeline's score of each pair (one call per pair: its own query)."""
    scores = []
    for query, document in pairs:
        ((_, score),) = pipeline.rerank(query, [document])
        scores.append(float(score))
    return np.asarray(scores, dtype=np.float32)


def _pad_and_truncate(tokenizer: Any, model_dir: Path) -> None:
    """Pad batches to their longest pair with the model's pad token, and truncate pairs to the
    model's length (tokenizer_config.json's model_max_length, at most config.json's positions)."""
    settings = _read_json(model_dir / "tokenizer_config.json")
    config = _read_json(model_dir / "config.json")
    limit = min(
        int(value)
        for value in (settings.get("model_max_length"), config.get("max_position_embeddings"), 512)
        if isinstance(value, int | float) and 0 < value < 1e9
    )
    pad_token = settings.get("pad_token") if isinstance(settings.get("pad_token"), str) else "[PAD]"
    pad_id = tokenizer.token_to_id(pad_token)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
    tokenizer.enable_truncation(max_length=limit, strategy="longest_first")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def score_pairs(pipeline: Any, pairs: list[tuple[str, str]]) -> np.ndarray:
    """One batch call of the reranker's batcher: a PairScorer scores every pair at once; the
    TextRerankPipeline (where the scorer did not agree with it) once per distinct query."""
    if isinstance(pipeline, PairScorer):
        return pipeline.score(pairs)
    scores = np.zeros(len(pairs), dtype=np.float32)
    by_query: dict[str, list[int]] = {}
    for index, (query, _) in enumerate(pairs):
        by_query.setdefault(query, []).append(index)
    for query, indices in by_query.items():
        for position, score in pipeline.rerank(query, [pairs[i][1] for i in indices]):
            scores[indices[int(position)]] = float(score)
    return scores
