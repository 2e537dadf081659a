"""Reranking, per query of 20 and 100 passages (~600 characters each, fresh every call):

* cross-encoder: openvino-genai TextRerankPipeline vs sentence-transformers CrossEncoder (PyTorch
  fp32) on a cross-encoder built locally from all-MiniLM-L6-v2's trained encoder and a random
  scoring head (no reranker ships on PyPI; speed does not depend on weight values). Quality:
  Spearman of the scores vs PyTorch.
* bi-encoder (the default reranker here): embed query + passages with all-MiniLM-L6-v2 and rank
  by cosine, TextEmbeddingPipeline vs sentence-transformers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..isolation import isolated
from ..probe import ov_resolved
from .embedding import OVEmbedRunner, STTorchRunner, texts


class _RerankRunner:
    label = "rerank"

    def scores(self, query: str, docs: list[str]) -> np.ndarray:
        raise NotImplementedError

    def run(self) -> dict[str, float]:
        out = {}
        for n in (20, 100):
            query, docs = texts(1, 40)[0], texts(n, 600)
            t0 = time.perf_counter()
            self.scores(query, docs)
            elapsed = time.perf_counter() - t0
            out[f"rerank{n}_ms"] = elapsed * 1000
        return out

    def close(self) -> None:
        pass


class OVCrossRunner(_RerankRunner):
    def __init__(self, path: Path, threads: int):
        import openvino_genai as og

        self.path = Path(path)
        self.properties = {"INFERENCE_NUM_THREADS": threads}
        cfg = og.TextRerankPipeline.Config()
        cfg.top_n = 1000  # score every passage
        self.pipe = og.TextRerankPipeline(str(path), "CPU", cfg, **self.properties)

    def scores(self, query: str, docs: list[str]) -> np.ndarray:
        out = np.zeros(len(docs), dtype=np.float32)
        for index, score in self.pipe.rerank(query, docs):
            out[int(index)] = score
        return out

    def resolved(self) -> dict[str, Any]:
        return ov_resolved(str(self.path / "openvino_model.xml"), self.properties)


class STCrossRunner(_RerankRunner):
    def __init__(self, path: Path, threads: int):
        from ...conversion import hide_torchvision

        hide_torchvision()
        import torch
        from sentence_transformers import CrossEncoder

        self.torch, self.threads = torch, threads
        torch.set_num_threads(threads)
        self.model = CrossEncoder(str(path), device="cpu", max_length=512)

    def scores(self, query: str, docs: list[str]) -> np.ndarray:
        self.torch.set_num_threads(self.threads)
        scores = self.model.predict(
            [(query, d) for d in docs], batch_size=len(docs), convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(scores, dtype=np.float32).ravel()

    def resolved(self) -> dict[str, Any]:
        return {"torch_threads": self.torch.get_num_threads(), "dtype": "float32"}


class _BiRunner(_RerankRunner):
    def __init__(self, embedder: Any):
        self.embedder = embedder

    def scores(self, query: str, docs: list[str]) -> np.ndarray:
        q = self.embedder.embed([query])[0]
        d = self.embedder.embed(docs)
        return d @ q / (np.linalg.norm(d, axis=1) * np.linalg.norm(q))

    def resolved(self) -> dict[str, Any]:
        return self.embedder.resolved()


def st_bi_encoder(path: Path, threads: int) -> _BiRunner:
    """The bi-encoder peer, built in its child process (isolation.py pickles this by name)."""
    return _BiRunner(STTorchRunner(path, threads))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    query, docs = texts(1, 40)[0], texts(50, 600)
    rho = _spearman(cand.scores(query, docs), peer.scores(query, docs))
    return {"spearman_vs_peer": round(rho, 4), "ok": rho >= 0.99}


def cases(full: bool) -> list[Case]:
    from .. import assets

    def metrics(target: float | None) -> list[Metric]:
        return [Metric("rerank20_ms", "ms", False, target), Metric("rerank100_ms", "ms", False, target)]

    return [
        Case(
            name="rerank-ov-cross-encoder-vs-st",
            group="rerank",
            engine="TextRerankPipeline int8",
            peer="sentence-transformers CrossEncoder torch fp32",
            metrics=metrics(3.0),
            make=lambda t: (
                OVCrossRunner(assets.reranker_ov(), t),
                isolated(STCrossRunner, assets.reranker_hf(), t),
            ),
            quality=_quality,
            notes="all-MiniLM-L6-v2 encoder + random scoring head (seed 0)",
        ),
        Case(
            name="rerank-ov-bi-encoder-vs-st",
            group="rerank",
            engine="TextEmbeddingPipeline int8 + cosine",
            peer="sentence-transformers torch fp32 + cosine",
            metrics=metrics(3.0),
            make=lambda t: (
                _BiRunner(OVEmbedRunner(assets.minilm_ov(), t)),
                isolated(st_bi_encoder, assets.minilm_dir(), t),
            ),
            quality=_quality,
            notes="all-MiniLM-L6-v2; the default reranker when no cross-encoder exists",
        ),
    ]
