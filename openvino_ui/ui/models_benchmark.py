"""The Models tab's device benchmark panel: pick a model and the devices to measure it on, run, and
see the medians as a bar chart per figure (one bar per device), with the kept results below (date,
model, device, figures, versions). The same operation as the `benchmark_model` endpoint and
POST /v1/benchmarks (service/benchmark.py).

Running a benchmark follows the server's access policy as Load does: with --admin-key it takes the
key from the tab's admin key box (sent with each run, never stored); under --read-only its button
is off.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ..access import KeyRequired, NotAllowed
from ..api import API
from ..api.errors import as_gradio_error
from ..device_bench import REPS, WARMUP, DeviceResult, Figure
from .common import GLUE, PROGRESS, TabEvents, lists_models

CHARTS = 2  # a task measures at most two figures (TTFT and decode; batch 1 and batch 32)
HISTORY_COLUMNS = ["date (UTC)", "model", "device", "figures (median)", "setup", "versions"]
ABOUT = (
    "Measures the chosen model on each ticked device: **llm / vlm** TTFT of a 512-token prompt and "
    "decode tok/s over 128 tokens; **asr / tts** real-time factor on an example clip or sentence "
    "(below 1 is faster than real time); **embedding / rerank** texts per second at batch 1 and "
    f"32. Each figure: {WARMUP} warm-up, then {REPS} repetitions; the bars are the medians. The "
    "benchmark loads its own copy of the model, so users of the served one are not disturbed; one "
    "benchmark runs at a time."
)


def number(value: float) -> str:
    """A figure as people read it: 1,234 · 56.78 · 0.123."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def figures_text(result: DeviceResult) -> str:
    return " · ".join(f"{f.label}: {number(f.median)} {f.unit}" for f in result.figures)


def history_rows(results: list[DeviceResult]) -> list[list[str]]:
    rows = []
    for r in results:
        v = r.versions
        version = "" if r.model_version is None else f" (version {r.model_version})"
        rows.append(
            [
                r.date.replace("T", " ").removesuffix("+00:00"),
                r.model + version,
                r.device,
                figures_text(r),
                ", ".join(f"{key} {value}" for key, value in r.setup),
                f"OpenVINO {v.openvino} · genai {v.openvino_genai} · openvino-ui {v.openvino_ui}",
            ]
        )
    return rows


def latest_per_device(results: list[DeviceResult]) -> list[DeviceResult]:
    """The newest result of each device (`results` come newest first), in device order."""
    newest: dict[str, DeviceResult] = {}
    for r in results:
        newest.setdefault(r.device, r)
    return [newest[d] for d in sorted(newest)]


def chart_updates(results: list[DeviceResult]) -> list[Any]:
    """One bar chart per figure of the task, one bar per device (its median); unused charts hidden."""
    updates: list[Any] = []
    first = results[0].figures if results else ()
    for slot in range(CHARTS):
        if slot >= len(first):
            updates.append(gr.BarPlot(visible=False))
            continue
        figure: Figure = first[slot]
        rows = [(r.device, f.median) for r in results for f in r.figures if f.name == figure.name]
        frame = pd.DataFrame(rows, columns=["device", "median"])
        updates.append(
            gr.BarPlot(
                frame,
                x="device",
                y="median",
                title=f"{figure.label}: {figure.unit}, {figure.better} is better",
                y_title=figure.unit,
                y_lim=[0, None],  # bars start at zero, or one device's bar has no height
                visible=True,
            )
        )
    return updates


def build_benchmark_panel(api: API, key: gr.Textbox) -> TabEvents:
    """`key`: the tab's admin key box (one for every action of the tab)."""
    service, access = api.service, api.access
    names = service.model_names()
    try:
        available = [d.name for d in service.devices()]
    except Exception:  # the devices line of the tab says why
        available = []
    with gr.Accordion("Device benchmark", open=False, elem_id="models-benchmark"):
        gr.Markdown(ABOUT)
        with gr.Row():
            model = lists_models(
                gr.Dropdown(names, value=names[0] if names else None, label="Model", elem_id="bench-model")
            )
            devices = gr.CheckboxGroup(
                available,
                value=available[:1],
                label="Devices",
                elem_id="bench-devices",
            )
            run = gr.Button(
                "Run benchmark", variant="primary", interactive=access.can_manage, elem_id="bench-run"
            )
        status = gr.Markdown("", elem_id="bench-status")
        with gr.Row():
            charts = [
                gr.BarPlot(
                    pd.DataFrame({"device": [], "median": []}),
                    x="device",
                    y="median",
                    height=240,
                    visible=False,
                    elem_id=f"bench-chart-{slot + 1}",
                )
                for slot in range(CHARTS)
            ]
        history = gr.Dataframe(
            value=[],
            headers=HISTORY_COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=["13%", "12%", "7%", "34%", "15%", "19%"],
            label="Kept results (newest first)",
            elem_id="bench-history",
        )

    def shown(name: str | None) -> list[Any]:
        """The charts of `name`'s newest results per device, and every kept result."""
        try:
            everything = service.benchmark_results()
        except Exception as exc:  # the results file is unreadable: say so, keep the tab working
            gr.Warning(as_gradio_error(exc).message)
            return [*chart_updates([]), []]
        own = [r for r in everything if r.model == name]
        return [*chart_updates(latest_per_device(own)), history_rows(everything)]

    def do_run(name: str, ticked: list[str], key_value: str, progress: gr.Progress = PROGRESS) -> list[Any]:
        try:
            access.check_management(key_value or None)
        except (KeyRequired, NotAllowed) as exc:
            gr.Warning(str(exc), title=exc.title)
            return [f"Not allowed: {exc}", *shown(name)]
        if not ticked:
            return ["Tick at least one device.", *shown(name)]
        try:
            result = service.benchmark_model(name, ticked, lambda done, what: progress(done, desc=what))
        except Exception as exc:
            message = as_gradio_error(exc).message
            gr.Warning(message)
            return [f"Not benchmarked: {message}", *shown(name)]
        measured = ", ".join(r.device for r in result.results)
        line = f"**{result.model}** measured on {measured}."
        if result.failures:
            line += " Failed: " + "; ".join(f"{f.device}: {f.error}" for f in result.failures)
        latest = chart_updates(list(result.results))
        return [line, *latest, history_rows(service.benchmark_results())]

    outputs = [status, *charts, history]
    run.click(do_run, [model, devices, key], outputs, concurrency_limit=None, **GLUE)
    model.change(shown, [model], [*charts, history], queue=False, show_progress="hidden", **GLUE)
    return TabEvents(
        on_page_load=[(shown, [model], [*charts, history])], on_select=[(shown, [model], [*charts, history])]
    )
