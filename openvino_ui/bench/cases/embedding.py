"""Embeddings: openvino-genai TextEmbeddingPipeline vs sentence-transformers (PyTorch fp32) and vs
onnxruntime on the ONNX export of the same all-MiniLM-L6-v2 weights, batch 1 and 32, short
(~40 characters, ~9 tokens) and long (~600 characters, ~86 tokens) texts, fresh texts every call.

A speed-up counts only with cosine >= 0.99 to the fp32 PyTorch reference on every text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..probe import ov_resolved

MAX_LENGTH = 256  # all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json)
_WORDS = (
    "the model runs on a small machine and answers questions about rivers mountains cities music "
    "history science weather travel food language computer network energy market garden ocean "
    "library student teacher window morning evening summer winter bridge station railway engine "
    "picture story letter number season village forest desert island planet camera kitchen doctor "
    "hospital museum theatre concert journey harbour factory painter writer engineer farmer quickly "
    "slowly brightly carefully gently loudly quietly always never often seldom because although"
).split()
_RNG = np.random.default_rng()


def texts(n: int, chars: int) -> list[str]:
    """`n` fresh random English-like texts of about `chars` characters each."""
    out = []
    for _ in range(n):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < chars:
            words.append(str(_RNG.choice(_WORDS)))
        out.append(" ".join(words).capitalize() + ".")
    return out


class _EmbedRunner:
    label = "embed"

    def embed(self, batch: list[str]) -> np.ndarray:
        raise NotImplementedError

    def run(self) -> dict[str, float]:
        out = {}
        for kind, chars in (("short", 40), ("long", 600)):
            singles = texts(16 if kind == "short" else 8, chars)
            t0 = time.perf_counter()
            for text in singles:
                self.embed([text])
            out[f"{kind}_b1_sps"] = len(singles) / (time.perf_counter() - t0)
            batch = texts(32, chars)
            t0 = time.perf_counter()
            self.embed(batch)
            out[f"{kind}_b32_sps"] = 32 / (time.perf_counter() - t0)
        return out

    def close(self) -> None:
        pass


class OVEmbedRunner(_EmbedRunner):
    def __init__(self, path: Path, threads: int, properties: dict[str, Any] | None = None):
        import openvino_genai as og

        self.path = Path(path)
        self.properties = {"INFERENCE_NUM_THREADS": threads, **(properties or {})}
        cfg = og.TextEmbeddingPipeline.Config()
        cfg.pooling_type = og.TextEmbeddingPipeline.PoolingType.MEAN
        cfg.normalize = True
        cfg.max_length = MAX_LENGTH
        self.pipe = og.TextEmbeddingPipeline(str(path), "CPU", cfg, **self.properties)

    def embed(self, batch: list[str]) -> np.ndarray:
        return np.asarray(self.pipe.embed_documents(batch), dtype=np.float32)

    def resolved(self) -> dict[str, Any]:
        return ov_resolved(str(self.path / "openvino_model.xml"), self.properties)


class STTorchRunner(_EmbedRunner):
    def __init__(self, path: Path, threads: int):
        from ...conversion import hide_torchvision

        hide_torchvision()
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch, self.threads = torch, threads
        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(path), device="cpu")

    def embed(self, batch: list[str]) -> np.ndarray:
        self.torch.set_num_threads(self.threads)
        return self.model.encode(
            batch,
            batch_size=len(batch),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def resolved(self) -> dict[str, Any]:
        return {
            "torch_threads": self.torch.get_num_threads(),
            "dtype": "float32",
            "max_seq_length": self.model.max_seq_length,
        }


class OrtRunner(_EmbedRunner):
    """What sentence-transformers' backend="onnx" executes (an InferenceSession on model.onnx, mean
    pooling, normalisation), without its optimum wrapper (optimum-onnx needs transformers < 4.58)."""

    def __init__(self, onnx: Path, tokenizer_json: Path, threads: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])
        self.threads = threads
        self.tok = Tokenizer.from_file(str(tokenizer_json))
        self.tok.enable_truncation(MAX_LENGTH)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed(self, batch: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        (hidden,) = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def resolved(self) -> dict[str, Any]:
        return {
            "intra_op_num_threads": self.threads,
            "graph_optimization": "ORT_ENABLE_ALL",
            "providers": self.session.get_providers(),
        }


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    """Cosine of each side's embeddings to the fp32 PyTorch reference on 24 short and long texts."""
    from .. import assets

    sample = texts(12, 40) + texts(12, 600)
    ref = peer if isinstance(peer, STTorchRunner) else STTorchRunner(assets.minilm_dir(), 2)
    reference = ref.embed(sample)
    out: dict[str, Any] = {}
    for side, runner in (("engine", cand), ("peer", peer)):
        got = runner.embed(sample)
        cos = (got * reference).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(reference, axis=1))
        out[f"{side}_min_cosine"] = round(float(cos.min()), 5)
    out["ok"] = out["engine_min_cosine"] >= 0.99
    return out


def cases(full: bool) -> list[Case]:
    from .. import assets

    def metrics(target: float) -> list[Metric]:
        return [
            Metric(f"{k}_{b}_sps", "sentences/s", True, target)
            for k in ("short", "long")
            for b in ("b1", "b32")
        ]

    out = [
        Case(
            name="embed-ov-int8-vs-st-torch",
            group="embeddings",
            engine="TextEmbeddingPipeline int8",
            peer="sentence-transformers torch fp32",
            metrics=metrics(3.0),
            make=lambda t: (OVEmbedRunner(assets.minilm_ov(), t), STTorchRunner(assets.minilm_dir(), t)),
            quality=_quality,
        ),
        Case(
            name="embed-ov-int8-vs-onnxruntime",
            group="embeddings",
            engine="TextEmbeddingPipeline int8",
            peer="onnxruntime fp32 (sentence-transformers onnx graph)",
            metrics=metrics(1.2),
            make=lambda t: (
                OVEmbedRunner(assets.minilm_ov(), t),
                OrtRunner(assets.minilm_onnx(), assets.minilm_dir() / "tokenizer.json", t),
            ),
            quality=_quality,
        ),
    ]
    if full:
        out.append(
            Case(
                name="embed-ov-int8-f32-vs-st-torch",
                group="embeddings",
                engine="TextEmbeddingPipeline int8, f32 precision",
                peer="sentence-transformers torch fp32",
                metrics=metrics(3.0),
                make=lambda t: (
                    OVEmbedRunner(assets.minilm_ov(), t, {"INFERENCE_PRECISION_HINT": "f32"}),
                    STTorchRunner(assets.minilm_dir(), t),
                ),
                quality=_quality,
                notes="same arithmetic precision as the peer (the default is bf16 here)",
            )
        )
    return out
