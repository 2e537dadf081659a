"""The UI on a server we run ourselves: Gradio mounted on the REST app (openvino_ui.rest), with what
`Blocks.launch()` would otherwise set up (queue, file checks, MCP, share link) and tear down.

openvino_ui.server calls these; they are the only Gradio calls the server assembly needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import gradio as gr
from starlette.applications import Starlette
from starlette.routing import Mount

from . import CSS

log = logging.getLogger(__name__)

Auth = tuple[str, str] | Callable[[str, str], bool] | None


def mount_ui(
    app: Starlette,
    demo: gr.Blocks,
    *,
    auth: Auth = None,
    root_path: str | None = None,
    max_file_size: str | int | None = None,
    mcp: bool = True,
) -> None:
    """Mount `demo` (queued already) on `app` at "/": the UI at /, its API at /gradio_api/..., and,
    with `mcp`, Gradio's MCP server at /gradio_api/mcp/ offering the task endpoints as tools.

    `auth` guards the UI and its API like launch(auth=...); routes of `app` stay open.
    """
    gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth=auth,
        root_path=root_path,
        max_file_size=max_file_size,
        mcp_server=mcp,
        css=CSS,
        show_error=False,  # as launch(): our errors are gr.Error already; others stay generic
    )
    # What launch() sets and mount_gradio_app does not:
    # * has_launched: Gradio checks that files sent to the UI's components were uploaded (and that
    #   files it serves are allowed) only for a launched app; a mounted one skips those checks.
    # * app: the Gradio app actually serving, whose stop event close() sets to end open streams.
    demo.has_launched = True
    demo.server_app = demo.app = _mounted_gradio_app(app)
    if mcp:
        if demo.mcp_server_obj is None:
            raise RuntimeError(demo.mcp_error or "Gradio's MCP server did not start; serve with --no-mcp")
        keep_task_tools(demo)


def _mounted_gradio_app(app: Starlette) -> gr.routes.App:
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, gr.routes.App):
            return route.app
    raise RuntimeError("the Gradio app was not mounted")


def keep_task_tools(demo: gr.Blocks) -> None:
    """Make only the task endpoints MCP tools (chat, describe, transcribe, speak, embed, rerank: the
    methods of the API's task objects), not the management ones (models, load_model, server_stats,
    ...) nor anything that is not one of our endpoints. A tool removed here can neither be listed
    nor called; the endpoints stay in the Gradio API for gradio_client and the "Use via API" page."""
    server = demo.mcp_server_obj
    api = getattr(demo, "openvino_ui_api", None)
    if server is None:
        return
    tasks = () if api is None else (api.chat, api.vision, api.asr, api.tts, api.embeddings, api.rerank)
    for tool, endpoint in list(server.tool_to_endpoint.items()):
        block_fn = server.get_block_fn_from_endpoint_name(endpoint)
        owner = getattr(block_fn.fn, "__self__", None) if block_fn is not None else None
        if not any(owner is task for task in tasks):
            del server.tool_to_endpoint[tool]


def mcp_tools(demo: gr.Blocks) -> list[str]:
    """The names of the MCP tools `demo` offers (empty without the MCP server)."""
    server = demo.mcp_server_obj
    return [] if server is None else list(server.tool_to_endpoint)


def ui_started(demo: gr.Blocks, local_url: str) -> None:
    """Record where the server listens, as launch() does: Gradio's MCP server calls the queued
    endpoints through this address (not through a reverse proxy's root path)."""
    demo.local_url = local_url
    if demo.mcp_server_obj is not None:
        demo.mcp_server_obj._local_url = local_url


def open_share_link(demo: gr.Blocks, host: str, port: int) -> str:
    """A public gradio.live link to the server on `host`:`port` (as launch(share=True)); raises when
    the share server cannot be reached. The link serves the whole app, REST routes included."""
    from gradio import networking

    url = networking.setup_tunnel(
        local_host="127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host.strip("[]"),
        local_port=port,
        share_token=demo.share_token,
        share_server_address=None,
        share_server_tls_certificate=None,
    )
    demo.share, demo.share_url = True, url
    return url


def close_ui(demo: gr.Blocks) -> None:
    """Stop the queue and its open streams (so the server can stop), any share link, and the
    output sweeper that build_app started."""
    from gradio.tunneling import CURRENT_TUNNELS

    demo.close(verbose=False)
    if demo.share:
        for tunnel in list(CURRENT_TUNNELS):
            tunnel.kill()
    sweeper = getattr(demo, "openvino_ui_sweeper", None)
    if sweeper is not None:
        sweeper.stop()
