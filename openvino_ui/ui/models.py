"""The Models tab: every configured model with its status and statistics; load, unload, devices.

Loading and unloading follow the server's access policy (openvino_ui.access), as the API does: with
--admin-key the tab asks for the key in a password box (it stays in the page: sent with each Load
or Unload, never stored), and under --read-only the buttons are off, with a line saying why.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import gradio as gr

from ..access import KeyRequired, NotAllowed
from ..api import API
from ..api.errors import as_gradio_error
from ..devices import device_choices
from ..engines import ModelInfo
from .common import GLUE, TabEvents, lists_models
from .models_benchmark import build_benchmark_panel
from .models_catalog import build_catalog_panel
from .models_details import build_details_panel
from .models_runtime import build_runtime_panel
from .models_stats import build_stats_panel

# Builds one panel of the tab inside the current Blocks context; returns what it wants run when the
# page opens or the tab is selected (None: nothing).
PanelBuilder = Callable[[API], TabEvents | None]

# The table refreshes itself this often (seconds) while the page is open; it is also filled when
# the page opens and when the tab is selected, so it never shows the state of when the app started.
REFRESH_S = 3.0

COLUMNS = [
    "name",
    "task",
    "device",
    "status",
    "replicas",
    "requests",
    "failures",
    "avg latency (ms)",
    "avg tok/s",
    "load time (s)",
    "error",
]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _replicas(info: ModelInfo) -> str:
    """A Ray Serve model's replicas: how many run, and each one's node, state and requests."""
    if info.replicas is None:
        return ""  # a local (or remote) model
    if not info.replicas:
        return "not deployed"
    running = sum(r.state == "RUNNING" for r in info.replicas)
    each = "; ".join(f"{r.node_id[:8]}@{r.node_ip}: {r.state}, {r.requests} req" for r in info.replicas)
    return f"{running}/{len(info.replicas)} running ({each})"


def models_table(api: API) -> list[list[Any]]:
    rows = []
    for info in api.service.models():
        s = info.stats
        rows.append(
            [
                info.name,
                info.task,
                info.device,
                info.status,
                _replicas(info),
                s.requests,
                s.failures,
                _fmt(s.avg_latency_ms),
                _fmt(s.avg_tokens_per_s),
                _fmt(info.load_time_s, 2),
                info.error or "",
            ]
        )
    return rows


def devices_markdown(api: API) -> str:
    try:
        devices = api.service.devices()
    except Exception as exc:  # a broken plugin should not take the tab down
        return f"Devices: could not query OpenVINO ({exc})."
    listed = ", ".join(f"**{d.name}** ({d.full_name})" for d in devices) or "none"
    return f"Devices OpenVINO sees: {listed}. AUTO picks among them."


def build_models_tab(api: API) -> TabEvents:
    service, access = api.service, api.access
    names = service.model_names()
    try:
        available = [d.name for d in service.devices()]
    except Exception:  # shown in the devices line instead
        available = []
    gr.Markdown(devices_markdown(api), elem_id="models-devices")
    table = gr.Dataframe(
        value=models_table(api),
        headers=COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="models-table",
        label="Models",
    )
    gr.Markdown(access.management_note(), elem_id="models-access", visible=bool(access.management_note()))
    with gr.Row():
        name = lists_models(
            gr.Dropdown(names, value=names[0] if names else None, label="Model", elem_id="models-name")
        )
        device = gr.Dropdown(
            [("as configured", "")] + [(d, d) for d in device_choices(available)],
            value="",
            label="Device",
            elem_id="models-device",
        )
        key = gr.Textbox(
            label="Admin key (for every action on this tab)",
            type="password",
            placeholder="required",
            visible=access.admin_key_required,
            elem_id="models-admin-key",
        )
        load = gr.Button("Load", variant="primary", interactive=access.can_manage, elem_id="models-load")
        unload = gr.Button("Unload", interactive=access.can_manage, elem_id="models-unload")
        refresh = gr.Button("Refresh", elem_id="models-refresh")
    status = gr.Markdown("", elem_id="models-status")

    def refused(key_value: str, action: str) -> str | None:
        """Why the holder of `key_value` may not load or unload (also shown as a warning); None: may."""
        try:
            access.check_management(key_value or None)
        except (KeyRequired, NotAllowed) as exc:
            gr.Warning(str(exc), title=exc.title)
            if isinstance(exc, KeyRequired) and not key_value:
                return f"Enter the admin key to {action} models."
            return f"Not allowed: {exc}"
        return None

    def do_load(model: str, target: str, key_value: str) -> tuple[list[list[Any]], str]:
        refusal = refused(key_value, "load")
        if refusal:
            return models_table(api), refusal
        try:
            info = service.load(model, target or None)
        except Exception as exc:
            gr.Warning(str(as_gradio_error(exc).message))
            return models_table(api), f"**{model}** failed to load: see the error column."
        seconds = info.load_time_s or 0.0
        return models_table(api), f"**{info.name}** is ready on {info.device} ({seconds:.2f} s)."

    def do_unload(model: str, key_value: str) -> tuple[list[list[Any]], str]:
        refusal = refused(key_value, "unload")
        if refusal:
            return models_table(api), refusal
        try:
            info = service.unload(model)
        except Exception as exc:
            raise as_gradio_error(exc) from exc
        return models_table(api), f"**{info.name}** unloaded."

    load.click(do_load, [name, device, key], [table, status], concurrency_limit=None, **GLUE)
    unload.click(do_unload, [name, key], [table, status], concurrency_limit=None, **GLUE)

    def current() -> list[list[Any]]:
        return models_table(api)

    refresh.click(current, None, table, queue=False, **GLUE)
    timer = gr.Timer(REFRESH_S)
    timer.tick(current, None, table, queue=False, show_progress="hidden", **GLUE)
    events = TabEvents(on_page_load=[(current, [], [table])], on_select=[(current, [], [table])])
    # The panels below the table, each built by its own module (ui/models_*.py), in this order:
    # Those that act take the tab's one admin key box.
    panels: list[PanelBuilder] = [
        partial(build_runtime_panel, key=key),
        build_stats_panel,
        build_details_panel,
        partial(build_benchmark_panel, key=key),
        partial(build_catalog_panel, key=key),  # last: it refreshes the model dropdowns built above
    ]
    for build_panel in panels:
        more = build_panel(api)
        if more is not None:
            events.on_page_load.extend(more.on_page_load)
            events.on_select.extend(more.on_select)
    return events
