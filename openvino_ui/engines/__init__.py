"""Task engines. Each module builds one openvino-genai pipeline; they are imported lazily so that
config, UI and unit tests never pay for (or depend on) openvino_genai."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import Engine, ModelInfo, State

if TYPE_CHECKING:
    from ..config import AnySpec

# task -> "module:Class"; a new task is one engine module plus one line here.
ENGINE_CLASSES: dict[str, str] = {
    "llm": "openvino_ui.engines.llm:LLMEngine",
    "vlm": "openvino_ui.engines.vlm:VLMEngine",
    "asr": "openvino_ui.engines.asr:ASREngine",
    "tts": "openvino_ui.engines.tts:TTSEngine",
    "embedding": "openvino_ui.engines.embedding:EmbeddingEngine",
    "rerank": "openvino_ui.engines.rerank:engine_class_for",
}


# Where a model runs other than in a local pipeline (models.yaml `remote`, `replicas`/`autoscaling`).
REMOTE_ENGINE = "openvino_ui.engines.remote:remote_engine_class"
RAY_ENGINE = "openvino_ui.cluster.engine:ray_engine_class"


def engine_class(spec: AnySpec) -> type[Engine]:
    """The engine class that serves `spec` (a *Spec from config): a local pipeline of its task, a
    remote server's API (`remote`), or Ray Serve replicas (`replicas` or `autoscaling`; Ray is
    imported only then)."""
    target_name = ENGINE_CLASSES[spec.task]
    if spec.remote is not None:
        target_name = REMOTE_ENGINE
    elif spec.replicas is not None or spec.autoscaling is not None:
        target_name = RAY_ENGINE
    module_name, _, attr = target_name.partition(":")
    target = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type):
        return target
    return target(spec)  # a chooser, e.g. cross- or bi-encoder reranker


__all__ = ["ENGINE_CLASSES", "Engine", "ModelInfo", "State", "engine_class"]


def loaded_whisper(pipeline: Any, folder: str | Path, device: str, properties: dict[str, Any]) -> Any:
    """A WhisperPipeline wrapped as ASREngine serves it, our beam search included (`beam_decoder()`):
    the bench measures the product's own path with it. Imports openvino_genai only when called."""
    from .asr import LoadedWhisper

    return LoadedWhisper(pipeline, Path(folder), device, properties)
