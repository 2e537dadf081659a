"""The public API: one typed function per endpoint; api_name is the function's name.

The browser tabs call these same objects, so gradio_client scripts use exactly what the UI uses.
"""

from dataclasses import dataclass

import gradio as gr

from ..pool import EnginePool
from .asr import ASRAPI
from .chat import ChatAPI
from .embeddings import EmbeddingsAPI
from .models import ModelsAPI
from .rerank import RerankAPI
from .tts import TTSAPI
from .vision import VisionAPI


@dataclass
class API:
    """Every endpoint object, built once per app around one pool."""

    pool: EnginePool
    chat: ChatAPI
    models: ModelsAPI
    asr: ASRAPI
    tts: TTSAPI
    vision: VisionAPI
    embeddings: EmbeddingsAPI
    rerank: RerankAPI


def build_api(pool: EnginePool) -> API:
    return API(
        pool=pool,
        chat=ChatAPI(pool),
        models=ModelsAPI(pool),
        asr=ASRAPI(pool),
        tts=TTSAPI(pool),
        vision=VisionAPI(pool),
        embeddings=EmbeddingsAPI(pool),
        rerank=RerankAPI(pool),
    )


def register_endpoints(api: API) -> None:
    """Declare the public endpoints inside the current gr.Blocks context."""
    # Generation runs under each model's own lock, so the queue may run many requests at once.
    gr.api(api.chat.chat, api_name="chat", concurrency_limit=None)
    gr.api(api.asr.transcribe, api_name="transcribe", concurrency_limit=None)
    gr.api(api.tts.speak, api_name="speak", concurrency_limit=None)
    gr.api(api.vision.describe, api_name="describe", concurrency_limit=None)
    gr.api(api.embeddings.embed, api_name="embed", concurrency_limit=None)
    gr.api(api.rerank.rerank, api_name="rerank", concurrency_limit=None)
    for fn in (api.models.models, api.models.devices, api.models.stats):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=None)
    for fn in (api.models.load_model, api.models.unload_model):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=None)
