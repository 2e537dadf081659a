"""The Models tab's details panel: one model as the service's model_info describes it (weight
format, the variant `weight_format: auto` chose and why, size on disk, memory at load, how its
device compiled it, its versions) and the inputs and outputs of each of its IR files, one table
per IR.

Nothing here loads a model; the compiled properties appear once it is loaded (the panel says so).
"""

from __future__ import annotations

import gradio as gr

from ..api import API
from ..api.errors import as_gradio_error
from ..model_files import IRInfo, PortInfo
from ..service import ModelDetails
from .common import GLUE, TabEvents, lists_models

# Shown before a model is picked.
EMPTY = "Pick a model to see its details."
# The order of the IR tables: what the model computes first, its text front and back ends after.
KIND_ORDER = {"model": 0, "tokenizer": 1, "detokenizer": 2}


def build_details_panel(api: API) -> TabEvents | None:
    """The panel, collapsed until opened; when opened, and each time another model is picked or
    Refresh is pressed, it shows that model. Selecting the tab refreshes the model choices."""
    service = api.service
    names = service.model_names()
    with gr.Accordion("Model details", open=False, elem_id="models-details") as panel:
        with gr.Row():
            name = lists_models(
                gr.Dropdown(
                    names, value=names[0] if names else None, label="Model", elem_id="models-details-name"
                )
            )
            refresh = gr.Button("Refresh details", elem_id="models-details-refresh", scale=0)
        summary = gr.Markdown(EMPTY, elem_id="models-details-summary")
        irs = gr.Markdown("", elem_id="models-details-irs")

    def show(model: str | None) -> tuple[str, str]:
        if not model:
            return EMPTY, ""
        try:
            details = service.model_info(model)
        except Exception as exc:
            raise as_gradio_error(exc) from exc
        return summary_markdown(details), irs_markdown(details.irs)

    def choices(current: str | None) -> gr.Dropdown:
        known = service.model_names()  # models.yaml may have been reloaded since the page was built
        keep = current if current in known else (known[0] if known else None)
        return gr.Dropdown(choices=known, value=keep)

    name.change(show, name, [summary, irs], **GLUE)
    refresh.click(show, name, [summary, irs], **GLUE)
    panel.expand(show, name, [summary, irs], **GLUE)
    return TabEvents(on_select=[(choices, [name], [name])])


# -- text ------------------------------------------------------------------------------------------


def summary_markdown(details: ModelDetails) -> str:
    """The model's facts as a two-column table, then its compiled properties (or why there are none)."""
    lines = [f"### {_cell(details.name)} · {details.task} · {details.status} on {details.device}", ""]
    if details.note:
        lines += [f"> {details.note}", ""]
    weights = ", ".join(f"{fmt} {_size(n)}" for fmt, n in details.weight_bytes.items())
    memory = "not measured (never loaded)" if details.memory_bytes is None else _size(details.memory_bytes)
    if details.memory_bytes is not None and details.status != "ready":
        memory += " (at its last load)"
    version = "unversioned" if details.version is None else str(details.version)
    available = ", ".join(map(str, details.versions)) or "none"
    rows = [
        ("Weight format", f"**{details.weight_format}** ({weights})" if details.weight_format else "—"),
        ("Variant", _variant(details)),
        ("Size on disk", _size(details.disk_bytes)),
        ("Memory at load", memory),
        ("Version served", version),
        ("Versions available", available),
        ("Folder", f"`{details.model_dir}`" if details.model_dir else "—"),
    ]
    lines += ["| fact | value |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows), ""]
    compiled = details.compiled
    if compiled.reason:
        lines += [f"**Compiled properties:** {_cell(compiled.reason)}"]
    else:
        lines += [f"**Compiled properties** ({compiled.ir} on {compiled.device})", "", "| property | value |"]
        lines += ["|---|---|", *(f"| {key} | {_value(value)} |" for key, value in compiled.values.items())]
        if compiled.missing:
            lines += ["", f"Not reported by {compiled.device}: {', '.join(compiled.missing)}."]
    return "\n".join(lines)


def _variant(details: ModelDetails) -> str:
    """What models.yaml asks for and what runs: "auto → **int8** (avx512_bf16: <evidence>)"."""
    if details.weight_format_configured is None:
        return "— (no source to convert: the folder is served as it is)"
    if details.resolved_by is None:
        return f"**{details.weight_format_resolved}** (as models.yaml sets it)"
    return f"auto → **{details.weight_format_resolved}** ({_cell(details.resolved_by)})"


def irs_markdown(irs: tuple[IRInfo, ...]) -> str:
    """One table of inputs and outputs per IR file: the model's own first, then its tokenizers."""
    parts = []
    for ir in sorted(irs, key=lambda ir: (KIND_ORDER.get(ir.kind, len(KIND_ORDER)), ir.file)):
        weights = f", {ir.weight_format}" if ir.weight_format else ""
        head = f"#### {_cell(ir.file)} ({ir.kind}{weights}, {_size(ir.xml_bytes + ir.bin_bytes)})"
        if ir.error:
            parts.append(f"{head}\n\nCould not be read: {_cell(ir.error)}")
            continue
        rows = [_port_row("input", port) for port in ir.inputs]
        rows += [_port_row("output", port) for port in ir.outputs]
        table = ["| | name | type | shape | layout |", "|---|---|---|---|---|", *rows]
        parts.append("\n".join([head, "", *table]))
    return "\n\n".join(parts)


def _port_row(direction: str, port: PortInfo) -> str:
    other = [n for n in port.names if n != port.name]
    name = f"`{_cell(port.name)}`" if port.name else "—"
    if other:
        name += " (also " + ", ".join(f"`{_cell(n)}`" for n in other[:3]) + ")"
    return f"| {direction} | {name} | {port.element_type} | {port.shape} | {port.layout or ''} |"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _value(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else _cell(str(value))


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell (a '|' would end the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")
