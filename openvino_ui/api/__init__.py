"""The public Gradio API: one typed function per endpoint; api_name is the function's name.

Each endpoint is a thin adapter over the service (openvino_ui/service): it takes the files it is
sent out of Gradio's upload folder (only there), calls the service, shapes the result as Gradio
returns it and turns our errors into gr.Error. The browser tabs call the same service, so
gradio_client scripts, the UI and the REST routes share one validation and one behaviour.
"""

import inspect
from dataclasses import dataclass

import gradio as gr
from gradio.context import get_blocks_context

from ..access import AccessPolicy
from ..pool import EnginePool
from ..service import Service
from .asr import ASRAPI
from .benchmark import BenchmarkAPI
from .catalog import CatalogAPI
from .chat import ChatAPI
from .embeddings import EmbeddingsAPI
from .errors import guard_blocks
from .model_info import ModelInfoAPI
from .models import ModelsAPI
from .rerank import RerankAPI
from .runtime import RuntimeAPI
from .server import ServerAPI
from .tts import TTSAPI
from .vision import VisionAPI


@dataclass
class API:
    """Every endpoint object, built once per app around one service."""

    service: Service
    access: AccessPolicy  # who may load and unload models (the Models tab asks it too)
    chat: ChatAPI
    models: ModelsAPI
    asr: ASRAPI
    tts: TTSAPI
    vision: VisionAPI
    embeddings: EmbeddingsAPI
    rerank: RerankAPI
    runtime: RuntimeAPI
    model_info: ModelInfoAPI
    server: ServerAPI
    benchmark: BenchmarkAPI
    catalog: CatalogAPI


def build_api(pool: EnginePool | Service, access: AccessPolicy | None = None) -> API:
    service = pool if isinstance(pool, Service) else Service(pool)
    access = access or AccessPolicy()
    return API(
        service=service,
        access=access,
        chat=ChatAPI(service),
        models=ModelsAPI(service, access),
        asr=ASRAPI(service),
        tts=TTSAPI(service),
        vision=VisionAPI(service),
        embeddings=EmbeddingsAPI(service),
        rerank=RerankAPI(service),
        runtime=RuntimeAPI(service, access),
        model_info=ModelInfoAPI(service),
        server=ServerAPI(service),
        benchmark=BenchmarkAPI(service, access),
        catalog=CatalogAPI(service, access),
    )


def register_endpoints(api: API) -> None:
    """Declare the public endpoints inside the current gr.Blocks context (api_name = method name).

    Also guards the Blocks (api/errors.py's guard_blocks): what Gradio refuses before an endpoint
    runs reaches the client as a clear message and never puts the request into the log.
    """
    endpoints = (
        api.chat.chat,
        api.vision.describe,
        api.asr.transcribe,
        api.tts.speak,
        api.embeddings.embed,
        api.rerank.rerank,
        api.models.models,
        api.models.devices,
        api.models.load_model,
        api.models.unload_model,
        api.models.stats,
        api.model_info.model_info,
        api.runtime.reload_config,
        api.runtime.reload_model,
        api.runtime.model_versions,
        api.runtime.set_model_properties,
        api.runtime.memory_budget,
        api.server.server_stats,
        api.benchmark.benchmark_model,
        api.benchmark.benchmark_results,
        api.catalog.add_model,
        api.catalog.remove_model,
    )
    guard_blocks(get_blocks_context().root_block)
    for fn in endpoints:
        # Each model serves one request at a time under its own lock, so the queue itself need not
        # limit concurrency. The whole docstring (Args, Returns) is the endpoint's documentation:
        # Gradio's API page otherwise shows only its first paragraph.
        gr.api(fn, api_name=fn.__name__, api_description=inspect.getdoc(fn), concurrency_limit=None)
