"""The service: one typed method per operation, shared by every adapter (the Gradio endpoints and
tabs in openvino_ui/api and openvino_ui/ui, the REST routes in openvino_ui/rest). No gradio, no
fastapi: requests come in typed (service/requests.py), results go out frozen, errors are our own
(errors.py; each has an HTTP status, an OpenAI-style type and code, and the field at fault).

    service = Service(pool)
    request = service.request(ChatRequest, model="", messages=[{"role": "user", "content": "Hi"}],
                              sampling={"max_new_tokens": 64})
    for event in service.chat(request):      # Delta ..., then Finished
        ...

Operations: chat, complete, describe (text.py); transcribe, speak (speech.py); embed, rerank
(retrieval.py); models, devices, load, unload, stats (models.py); model_info (model_info.py);
server_stats, server_history (server.py); add_model, remove_model (catalog.py); and what the
tabs ask to build their controls: model_names, model_spec, asr_options, tts_options, inspect_image.
"""

from __future__ import annotations

from .benchmark import BenchmarkService
from .catalog import CatalogService
from .model_info import ModelDetails, ModelInfoService
from .models import ModelService
from .requests import (
    AudioInput,
    ChatMessage,
    ChatRequest,
    CompletionRequest,
    DescribeRequest,
    EmbedRequest,
    ImageInput,
    ModelRequest,
    Recording,
    RerankRequest,
    SpeakRequest,
    TranscribeRequest,
    VisionChatRequest,
    chat_messages,
)
from .results import ASROptions, EmbedResult, ModelStats, RerankResult, TTSOptions
from .retrieval import RetrievalService
from .runtime import RuntimeService
from .sampling import SamplingOptions, generation_params
from .server import ServerService
from .speech import SpeechService
from .text import TextService


class Service(
    TextService,
    SpeechService,
    RetrievalService,
    ModelService,
    RuntimeService,
    ModelInfoService,
    ServerService,
    BenchmarkService,
    CatalogService,
):
    """Every operation, around one EnginePool (`Service(pool)`); thread-safe as the pool is."""


__all__ = [
    "ASROptions",
    "AudioInput",
    "ChatMessage",
    "ChatRequest",
    "CompletionRequest",
    "DescribeRequest",
    "EmbedRequest",
    "EmbedResult",
    "ImageInput",
    "ModelDetails",
    "ModelRequest",
    "ModelStats",
    "Recording",
    "RerankRequest",
    "RerankResult",
    "SamplingOptions",
    "Service",
    "SpeakRequest",
    "TTSOptions",
    "TranscribeRequest",
    "VisionChatRequest",
    "chat_messages",
    "generation_params",
]
