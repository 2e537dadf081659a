"""Pieces of embedding and reranking that need no OpenVINO: result types, how a model folder says
it pools and normalises, cosine similarity, and ranking. The engines and the unit tests share them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

Pooling = str  # "cls" | "mean" | "last_token": what openvino-genai's TextEmbeddingPipeline offers
SUPPORTED_POOLING = ("cls", "mean", "last_token")
# sentence-transformers' 1_Pooling/config.json flag -> our name (None: not offered by openvino-genai)
_ST_POOLING_FLAGS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_lasttoken": "last_token",
    "pooling_mode_max_tokens": None,
    "pooling_mode_mean_sqrt_len_tokens": None,
    "pooling_mode_weightedmean_tokens": None,
}
_ST_POOLING_NAMES = {"cls": "cls", "mean": "mean", "lasttoken": "last_token", "last_token": "last_token"}
# Without any sentence-transformers files: openvino-genai's own defaults (CLS, normalised).
DEFAULT_POOLING: Pooling = "cls"
DEFAULT_NORMALIZE = True


@dataclass(frozen=True)
class Embeddings:
    """The vectors of one embed call, in the order of the texts."""

    vectors: np.ndarray  # float32, shape (n_texts, dim)
    dim: int
    seconds: float  # wall time of the model call


@dataclass(frozen=True)
class RankedDocument:
    """One document of a rerank result."""

    index: int  # position in the documents as given
    score: float  # higher is more relevant: a probability (cross-encoder) or a cosine (bi-encoder)
    document: str


@dataclass(frozen=True)
class PoolingChoice:
    pooling: Pooling
    normalize: bool
    source: str  # where the choice came from, for the log and the Models tab


def pooling_from_folder(folder: Path) -> tuple[Pooling | None, bool | None]:
    """Pooling and normalisation as declared by sentence-transformers files in `folder`.

    Returns (None, None) for what the folder does not declare. Raises ValueError for a pooling
    openvino-genai cannot do (max, weighted mean, ...), naming the override.
    """
    folder = Path(folder)
    modules_file = folder / "modules.json"
    pooling_dir = "1_Pooling"
    normalize: bool | None = None
    if modules_file.is_file():
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        types = [str(m.get("type", "")) for m in modules if isinstance(m, dict)]
        normalize = any(t.endswith(".Normalize") for t in types)
        pooling_dir = next(
            (
                str(m.get("path"))
                for m in modules
                if str(m.get("type", "")).endswith(".Pooling") and m.get("path")
            ),
            pooling_dir,
        )
    pooling_file = folder / pooling_dir / "config.json"
    pooling: Pooling | None = None
    if pooling_file.is_file():
        config = json.loads(pooling_file.read_text(encoding="utf-8"))
        pooling = _pooling_of(config, pooling_file)
    return pooling, normalize


def _pooling_of(config: dict, where: Path) -> Pooling:
    if isinstance(config.get("pooling_mode"), str):  # newer sentence-transformers write the name
        name = config["pooling_mode"]
        if name in _ST_POOLING_NAMES:
            return _ST_POOLING_NAMES[name]
        raise _unsupported(name, where)
    enabled = [flag for flag in _ST_POOLING_FLAGS if config.get(flag)]
    if not enabled:
        raise ValueError(f"{where} enables no pooling mode; set 'pooling:' in models.yaml")
    ours = _ST_POOLING_FLAGS[enabled[0]]
    if len(enabled) > 1 or ours is None:
        raise _unsupported("+".join(f.removeprefix("pooling_mode_") for f in enabled), where)
    return ours


def _unsupported(name: str, where: Path) -> ValueError:
    return ValueError(
        f"{where} asks for {name!r} pooling, which openvino-genai does not offer; set 'pooling:' to one of "
        f"{', '.join(SUPPORTED_POOLING)} in models.yaml if an approximation is acceptable"
    )


def choose_pooling(folder: Path | None, pooling: Pooling | None, normalize: bool | None) -> PoolingChoice:
    """Explicit values win; then the folder's sentence-transformers files; then the defaults."""
    found_pooling, found_normalize = (None, None)
    if folder is not None and (pooling is None or normalize is None):
        found_pooling, found_normalize = pooling_from_folder(folder)
    sources = []
    if pooling is None:
        pooling = found_pooling or DEFAULT_POOLING
        sources.append("pooling from the model folder" if found_pooling else "default pooling")
    if normalize is None:
        normalize = DEFAULT_NORMALIZE if found_normalize is None else found_normalize
        sources.append(
            "normalize from the model folder" if found_normalize is not None else "default normalize"
        )
    return PoolingChoice(
        pooling=pooling, normalize=bool(normalize), source=", ".join(sources) or "models.yaml"
    )


def cosine_scores(query: np.ndarray, documents: np.ndarray) -> np.ndarray:
    """Cosine similarity of one query vector (d,) against document vectors (n, d); float32 (n,)."""
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    d = np.asarray(documents, dtype=np.float32).reshape(len(documents), -1)
    q_norm = np.linalg.norm(q)
    d_norm = np.linalg.norm(d, axis=1)
    denom = np.maximum(d_norm * q_norm, 1e-12)
    return (d @ q) / denom


def similarity_matrix(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of (n, d) vectors: (n, n), float32, diagonal 1 for non-zero rows."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    unit = v / norms
    return np.clip(unit @ unit.T, -1.0, 1.0)


def ranked(scores: Sequence[tuple[int, float]], documents: Sequence[str], top_n: int) -> list[RankedDocument]:
    """The `top_n` best (index, score) pairs as RankedDocuments, best first; ties keep input order."""
    order = sorted(scores, key=lambda pair: (-float(pair[1]), int(pair[0])))
    return [RankedDocument(int(i), float(s), documents[int(i)]) for i, s in order[: max(0, top_n)]]


# --- input helpers (used by the endpoints and the tabs) -------------------------------------------

MAX_TEXT_CHARS = 100_000  # per text; far beyond any model's max_length (longer input is truncated)
MAX_TEXT_FILE_BYTES = 5_000_000  # an uploaded .txt of texts or documents


def lines_of(text: str | None) -> list[str]:
    """The non-empty lines of `text`, stripped (one text or document per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def read_lines_file(path: str | Path) -> list[str]:
    """The non-empty lines of an uploaded UTF-8 text file; ValueError with the reason otherwise."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_TEXT_FILE_BYTES:
        raise ValueError(
            f"{path.name} has {size / 1e6:.1f} MB; the limit is {MAX_TEXT_FILE_BYTES / 1e6:.0f} MB"
        )
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise ValueError(f"{path.name} is not a text file; upload a UTF-8 .txt file with one text per line")
    try:
        return lines_of(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not UTF-8 text; save it as UTF-8 and upload it again") from None
