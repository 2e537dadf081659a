"""The Gradio Blocks app: one tab per task plus the Models tab, and the public API endpoints."""

from collections.abc import Callable

import gradio as gr

from ..api import API, build_api, register_endpoints
from ..pool import EnginePool
from .asr import build_asr_tab
from .chat import build_chat_tab
from .embeddings import build_embeddings_tab
from .models import build_models_tab
from .rerank import build_rerank_tab
from .tts import build_tts_tab
from .vision import build_vision_tab

# (tab title, builder, elem_id). A new task is one module here and one line in this list.
TABS: list[tuple[str, Callable[[API], None], str]] = [
    ("Chat", build_chat_tab, "tab-chat"),
    ("Speech recognition", build_asr_tab, "tab-asr"),
    ("Text to speech", build_tts_tab, "tab-tts"),
    ("Vision", build_vision_tab, "tab-vision"),
    ("Embeddings", build_embeddings_tab, "tab-embeddings"),
    ("Reranking", build_rerank_tab, "tab-rerank"),
    ("Models", build_models_tab, "tab-models"),
]

CSS = """
#chat-readout, #models-status { min-height: 1.5em; font-size: 0.9em; opacity: 0.85; }
"""


def build_app(pool: EnginePool, title: str = "openvino-ui") -> gr.Blocks:
    """Build the whole UI around `pool`; nothing is loaded until a model is used or Load is pressed."""
    api = build_api(pool)
    with gr.Blocks(title=title) as demo:
        gr.Markdown(
            f"# {title}\nLocal multimodal AI on Intel hardware through OpenVINO. "
            "Every tab is also an endpoint of the API (see *Use via API* at the bottom)."
        )
        with gr.Tabs():
            for label, builder, elem_id in TABS:
                with gr.Tab(label, id=elem_id, elem_id=elem_id):
                    builder(api)
        register_endpoints(api)
    demo.openvino_ui_api = api  # for tests and embedding applications
    return demo


def launch_kwargs_css() -> str:
    return CSS
