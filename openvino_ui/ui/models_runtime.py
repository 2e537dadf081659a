"""The Models tab's "Operate" panel: reload models.yaml, rebuild a model from its files, switch its
version, change its execution mode (PERFORMANCE_HINT, streams, inference precision), and memory per
device against its budget. Each action builds first and swaps after (service/runtime.py), so the
model keeps serving meanwhile; a failure changes nothing and the status line says why.

The actions follow the server's access policy as Load and Unload do: with --admin-key they take the
key from the tab's admin key box (sent with each action, never stored); under --read-only their
buttons are off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from ..access import KeyRequired, NotAllowed
from ..api import API
from ..api.errors import as_gradio_error
from ..service.runtime import PERFORMANCE_HINTS, PRECISIONS
from .common import GLUE, TabEvents, lists_models

KEEP = ("keep", "")  # a choice that leaves the property as it is


def memory_rows(api: API) -> list[list[Any]]:
    """One row per device: budget, used, free, and the models loaded there with their size."""
    rows = []
    for row in api.service.memory_budget():
        budget = "none" if row.budget_gb is None else f"{row.budget_gb:g}"
        free = "" if row.budget_gb is None else f"{max(0.0, row.budget_gb - row.used_gb):.2f}"
        models = ", ".join(f"{name} {gb:.2f}" for name, gb in row.models) or "-"
        rows.append([row.device, budget, f"{row.used_gb:.2f}", free, models])
    return rows


def version_choices(api: API, name: str | None) -> tuple[list[tuple[str, str]], str]:
    """The version dropdown's choices for model `name` and the one it serves."""
    if not name:
        return [("-", "")], ""
    try:
        info = api.service.model_versions(name)
    except Exception:  # a model removed meanwhile: nothing to offer
        return [("-", "")], ""
    if not info["versions"]:
        return [("not versioned", "")], ""
    choices = [("latest", "latest")] + [(str(v), str(v)) for v in info["versions"]]
    return choices, "" if info["serving"] is None else str(info["serving"])


def build_runtime_panel(api: API, key: gr.Textbox) -> TabEvents:
    """`key`: the tab's admin key box (one for every action of the tab)."""
    service, access = api.service, api.access
    names = service.model_names()
    with gr.Accordion(
        "Operate: versions, execution mode, reload, memory", open=False, elem_id="models-operate"
    ):
        with gr.Row():
            name = lists_models(
                gr.Dropdown(names, value=names[0] if names else None, label="Model", elem_id="operate-model")
            )
            first_choices, first_value = version_choices(api, names[0] if names else None)
            version = gr.Dropdown(
                first_choices, value=first_value, label="Version", elem_id="operate-version"
            )
            switch = gr.Button("Load this version", interactive=access.can_manage, elem_id="operate-switch")
            rebuild = gr.Button(
                "Reload from files", interactive=access.can_manage, elem_id="operate-reload-model"
            )
        with gr.Row():
            hint = gr.Dropdown(
                [KEEP] + [(h, h) for h in PERFORMANCE_HINTS] + [("OpenVINO default", "default")],
                value="",
                label="Execution mode (PERFORMANCE_HINT)",
                elem_id="operate-hint",
            )
            streams = gr.Textbox(
                label="Streams (number, AUTO, default)", placeholder="keep", elem_id="operate-streams"
            )
            precision = gr.Dropdown(
                [KEEP] + [(p, p) for p in PRECISIONS] + [("OpenVINO default", "default")],
                value="",
                label="Inference precision",
                elem_id="operate-precision",
            )
            apply = gr.Button("Apply and rebuild", interactive=access.can_manage, elem_id="operate-apply")
        with gr.Row():
            reload_config = gr.Button(
                "Reload models.yaml", interactive=access.can_manage, elem_id="operate-reload-config"
            )
        status = gr.Markdown("", elem_id="operate-status")
        memory = gr.Dataframe(
            value=memory_rows(api),
            headers=["device", "budget (GB)", "used (GB)", "free (GB)", "models (GB)"],
            interactive=False,
            wrap=True,
            label="Memory per device (defaults.memory_budget_gb; sizes measured at load, else on disk)",
            elem_id="operate-memory",
        )

    def guarded(action: Callable[[], str], key_value: str) -> str:
        try:
            access.check_management(key_value or None)
        except (KeyRequired, NotAllowed) as exc:
            return f"Not allowed: {exc}"
        try:
            return action()
        except Exception as exc:  # shown in the status line; the model keeps serving as it was
            message = as_gradio_error(exc).message
            gr.Warning(message)
            return f"Nothing changed: {message}"

    def do_switch(model: str, wanted: str, key_value: str) -> tuple[str, list[list[Any]]]:
        def act() -> str:
            info = service.load(model, None, wanted or None)
            return f"**{info.name}** serves version {info.version or '-'} on {info.device}."

        return guarded(act, key_value), memory_rows(api)

    def do_rebuild(model: str, key_value: str) -> tuple[str, list[list[Any]]]:
        def act() -> str:
            info = service.reload_model(model)
            return f"**{info.name}** was rebuilt from its files ({info.status})."

        return guarded(act, key_value), memory_rows(api)

    def do_apply(model: str, hint_value: str, streams_value: str, precision_value: str, key_value: str):
        def act() -> str:
            wanted = {
                "PERFORMANCE_HINT": hint_value,
                "NUM_STREAMS": streams_value.strip(),
                "INFERENCE_PRECISION_HINT": precision_value,
            }
            changes = {k: v for k, v in wanted.items() if v}
            if not changes:
                return "Choose a mode, a number of streams or a precision first."
            info = service.set_model_properties(model, changes)
            listed = ", ".join(f"{k}={v}" for k, v in changes.items())
            return f"**{info.name}** was rebuilt with {listed} and is {info.status} on {info.device}."

        return guarded(act, key_value), memory_rows(api)

    def do_reload_config(key_value: str) -> tuple[str, list[list[Any]], Any]:
        def act() -> str:
            changes = service.reload_config()
            return f"models.yaml applied: {changes.summary()}."

        text = guarded(act, key_value)
        models = service.model_names()
        return text, memory_rows(api), gr.update(choices=models)

    def on_model(model: str) -> Any:
        choices, value = version_choices(api, model)
        return gr.update(choices=choices, value=value)

    name.change(on_model, name, version, queue=False, **GLUE)
    switch.click(do_switch, [name, version, key], [status, memory], concurrency_limit=None, **GLUE)
    rebuild.click(do_rebuild, [name, key], [status, memory], concurrency_limit=None, **GLUE)
    apply.click(
        do_apply, [name, hint, streams, precision, key], [status, memory], concurrency_limit=None, **GLUE
    )
    reload_config.click(do_reload_config, key, [status, memory, name], concurrency_limit=None, **GLUE)

    def refresh() -> list[list[Any]]:
        return memory_rows(api)

    return TabEvents(on_page_load=[(refresh, [], [memory])], on_select=[(refresh, [], [memory])])
