"""The Gradio Blocks app: one tab per task plus the Models tab, and the public API endpoints."""

from collections.abc import Callable

import gradio as gr

from ..access import AccessPolicy
from ..api import API, build_api, register_endpoints
from ..outputs import DEFAULT_FILE_TTL_S, OutputSweeper, sweep_interval
from ..pool import EnginePool
from .asr import build_asr_tab
from .chat import build_chat_tab
from .common import GLUE, TabEvents, refresh_model_lists
from .embeddings import build_embeddings_tab
from .models import build_models_tab
from .rerank import build_rerank_tab
from .tts import build_tts_tab
from .vision import build_vision_tab

# (tab title, builder, elem_id). A new task is one module here and one line in this list. A builder
# may return TabEvents: handlers to run when the page opens and when its tab is selected.
TABS: list[tuple[str, Callable[[API], TabEvents | None], str]] = [
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
.ov-download .empty.large { min-height: 4em; height: 4em; }
"""


def build_app(
    pool: EnginePool,
    title: str = "openvino-ui",
    file_ttl_s: float = DEFAULT_FILE_TTL_S,
    access: AccessPolicy | None = None,
) -> gr.Blocks:
    """Build the whole UI around `pool`; nothing is loaded until a model is used or Load is pressed.

    Uploads and the files Gradio serves are deleted `file_ttl_s` seconds after they were made
    (Gradio's delete_cache, which also empties them when the server stops), and so are the app's own
    outputs (openvino_ui.outputs; the sweeper thread is `demo.openvino_ui_sweeper`). 0 keeps them.
    `access` says who may load and unload models (admin key, read-only); None: everyone.
    """
    api = build_api(pool, access)
    delete_cache = None
    if file_ttl_s > 0:
        delete_cache = (int(max(1, sweep_interval(file_ttl_s))), max(1, round(file_ttl_s)))
    with gr.Blocks(title=title, delete_cache=delete_cache) as demo:
        gr.Markdown(
            f"# {title}\nLocal multimodal AI on Intel hardware through OpenVINO. "
            "Every tab is also an endpoint of the API (see *Use via API* at the bottom)."
        )
        with gr.Tabs():
            for label, builder, elem_id in TABS:
                with gr.Tab(label, id=elem_id, elem_id=elem_id) as tab:
                    events = builder(api)
                for fn, inputs, outputs in events.on_page_load if events else []:
                    demo.load(fn, inputs, outputs, queue=False, show_progress="hidden", **GLUE)
                for fn, inputs, outputs in events.on_select if events else []:
                    tab.select(fn, inputs, outputs, queue=False, show_progress="hidden", **GLUE)
        register_endpoints(api)
        refresh_model_lists(demo, api.service)
    _keep_files_cached_at_build(demo)
    demo.openvino_ui_api = api  # for tests and embedding applications
    demo.openvino_ui_sweeper = OutputSweeper(file_ttl_s).start() if file_ttl_s > 0 else None
    return demo


def launch_kwargs_css() -> str:
    return CSS


def _keep_files_cached_at_build(demo: gr.Blocks) -> None:
    """Files Gradio cached while the app was built (example clips and images, initial values) belong
    to the app, not to a user: exempt them from delete_cache. Gradio marks most of them so itself,
    but not the audio examples, which it would delete after the time to live and then fail to
    serve when clicked."""
    for block in demo.blocks.values():
        keep, cached = getattr(block, "keep_in_cache", None), getattr(block, "temp_files", None)
        if isinstance(keep, set) and cached:
            keep.update(cached)
