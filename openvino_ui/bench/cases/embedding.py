"""Embeddings: openvino-genai TextEmbeddingPipeline vs sentence-transformers with its torch backend
(fp32) and its onnx backend (onnxruntime on the ONNX export of the same all-MiniLM-L6-v2 weights),
batch 1 and 32, short (~40 characters, ~9 tokens) and long (~600 characters, ~86 tokens) texts,
fresh texts every call.

A speed-up counts only with cosine >= 0.99 to the fp32 PyTorch reference on every text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..isolation import isolated
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


class _SentenceTransformersRunner(_EmbedRunner):
    model: Any

    def embed(self, batch: list[str]) -> np.ndarray:
        return self.model.encode(
            batch,
            batch_size=len(batch),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class STTorchRunner(_SentenceTransformersRunner):
    def __init__(self, path: Path, threads: int):
        from ...conversion import hide_torchvision

        hide_torchvision()
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch, self.threads = torch, threads
        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(path), device="cpu")

    def embed(self, batch: list[str]) -> np.ndarray:
        self.torch.set_num_threads(self.threads)  # a no-op in its own child; kept: timed as before
        return super().embed(batch)

    def resolved(self) -> dict[str, Any]:
        return {
            "torch_threads": self.torch.get_num_threads(),
            "dtype": "float32",
            "max_seq_length": self.model.max_seq_length,
        }


class STOnnxRunner(_SentenceTransformersRunner):
    """sentence-transformers with backend="onnx": optimum's ORTModelForFeatureExtraction running the
    ONNX export of the same weights in onnxruntime, then the same pooling/normalisation modules."""

    def __init__(self, path: Path, threads: int):
        from ...conversion import hide_torchvision

        hide_torchvision()
        import onnxruntime as ort
        from sentence_transformers import SentenceTransformer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        self.threads = threads
        self.model = SentenceTransformer(
            str(path),
            device="cpu",
            backend="onnx",
            model_kwargs={
                "file_name": "model.onnx",
                "provider": "CPUExecutionProvider",
                "session_options": opts,
            },
        )

    def resolved(self) -> dict[str, Any]:
        session = self.model[0].auto_model.model
        return {
            "backend": "onnx",
            "intra_op_num_threads": self.threads,
            "providers": session.get_providers(),
            "max_seq_length": self.model.max_seq_length,
        }


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    """Cosine of each side's embeddings to the fp32 PyTorch reference on 24 short and long texts."""
    from .. import assets

    sample = texts(12, 40) + texts(12, 600)
    # The peer is the reference when it is PyTorch; else one in a child process of its own.
    if getattr(peer, "factory", None) is STTorchRunner:
        reference = peer.embed(sample)
    else:
        ref = isolated(STTorchRunner, assets.minilm_dir(), 2)
        try:
            reference = ref.embed(sample)
        finally:
            ref.close()
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

    # The variant models.yaml serves on this CPU (`auto`: int8, or fp16 on Intel AMX), int8 without
    # one; the case is named after it, so records of different variants never replace each other.
    fmt = assets.product_format("all-minilm-l6-v2") or "int8"
    out = [
        Case(
            name=f"embed-ov-{fmt}-vs-st-torch",
            group="embeddings",
            engine=f"TextEmbeddingPipeline {fmt}",
            peer="sentence-transformers torch fp32",
            metrics=metrics(3.0),
            make=lambda t: (
                OVEmbedRunner(assets.minilm_ov(fmt), t),
                isolated(STTorchRunner, assets.minilm_dir(), t),
            ),
            quality=_quality,
        ),
        Case(
            name=f"embed-ov-{fmt}-vs-st-onnx",
            group="embeddings",
            engine=f"TextEmbeddingPipeline {fmt}",
            peer='sentence-transformers backend="onnx" fp32',
            metrics=metrics(1.2),
            make=lambda t: (
                OVEmbedRunner(assets.minilm_ov(fmt), t),
                isolated(STOnnxRunner, assets.minilm_st_onnx(), t),
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
                    isolated(STTorchRunner, assets.minilm_dir(), t),
                ),
                quality=_quality,
                notes="same arithmetic precision as the peer (the default is bf16 here)",
            )
        )
    return out
