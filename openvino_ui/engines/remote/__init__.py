"""Models served by another server through its OpenAI-compatible API (models.yaml `remote`):
OpenVINO Model Server 2025+ (`http://ovms:8000/v3`), another openvino-ui (`http://host:7860/v1`),
vLLM, llama-server.

`remote_engine_class(spec)` is what engines.engine_class uses for an entry with `remote`: a class
per task with exactly the methods (and result types) the service calls on that task's local engine.

* base.py: the shared Engine (load = check the endpoint; the device is where it runs)
* client.py: the HTTP client (the engine's "pipeline"), failures.py: its errors as ours
* generate.py (llm, vlm), audio.py (asr, tts), retrieval.py (embedding, rerank): the wire formats
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...config import AnySpec
    from ..base import Engine

# task -> "module:Class", imported on use (the audio module pulls in the local engines' types).
REMOTE_CLASSES: dict[str, str] = {
    "llm": "generate:RemoteLLMEngine",
    "vlm": "generate:RemoteVLMEngine",
    "asr": "audio:RemoteASREngine",
    "tts": "audio:RemoteTTSEngine",
    "embedding": "retrieval:RemoteEmbeddingEngine",
    "rerank": "retrieval:RemoteRerankEngine",
}


def remote_engine_class(spec: AnySpec) -> type[Engine]:
    """The remote engine class of `spec`'s task."""
    module_name, _, attr = REMOTE_CLASSES[spec.task].partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    engine_class: type[Engine] = getattr(module, attr)
    return engine_class


__all__ = ["REMOTE_CLASSES", "remote_engine_class"]
