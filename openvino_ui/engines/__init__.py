"""Task engines. Each module builds one openvino-genai pipeline; they are imported lazily so that
config, UI and unit tests never pay for (or depend on) openvino_genai."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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


def engine_class(spec: AnySpec) -> type[Engine]:
    """The engine class that serves `spec` (a *Spec from config)."""
    module_name, _, attr = ENGINE_CLASSES[spec.task].partition(":")
    target = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type):
        return target
    return target(spec)  # a chooser, e.g. cross- or bi-encoder reranker


__all__ = ["ENGINE_CLASSES", "Engine", "ModelInfo", "State", "engine_class"]
