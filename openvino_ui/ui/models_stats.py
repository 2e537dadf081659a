"""The Models tab's server panel: uptime, versions, loaded models, requests (in total; per second and
average inference time over the last minute), CPU and memory, device memory; and charts of
requests/s and memory over the last 10 minutes. It refreshes itself with a timer while the page is
open, and when the page opens or the tab is selected (the same figures as `server_stats`)."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr
import pandas as pd

from ..api import API
from ..telemetry import HISTORY_S, HistoryPoint, ServerStats
from .common import GLUE, TabEvents

# Seconds between refreshes: the telemetry samples every 5 s, so a faster timer would mostly redraw
# the same charts.
REFRESH_S = 5.0
RPS = "requests/s"
MEMORY = "memory (MB)"
NAMES = {"openvino-ui": "openvino-ui", "openvino": "OpenVINO", "openvino-genai": "openvino-genai"}


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


def stats_markdown(stats: ServerStats) -> str:
    """The panel's text: one table row of figures, then versions and device memory."""
    active = ", ".join(f"`{name}`" for name in stats.active_models) or "none"
    average = "—" if stats.avg_inference_ms is None else f"{stats.avg_inference_ms:,.0f} ms"
    failed = f" ({stats.failures_total} failed)" if stats.failures_total else ""
    minute = f"{stats.window_s} s"
    lines = [
        f"| Uptime | Requests | Requests/s ({minute}) | Avg inference ({minute}) | CPU | Memory |",
        "|---|---|---|---|---|---|",
        f"| {_duration(stats.uptime_s)} | {stats.requests_total}{failed} | {stats.requests_per_s:.2f} "
        f"| {average} | {stats.cpu_percent:.0f} % | {_mb(stats.memory_mb)} |",
        "",
        f"**Loaded models** ({len(stats.active_models)} of {stats.models_configured}): {active}",
        "",
        " · ".join(
            f"{NAMES.get(name, name)} {version or 'not installed'}" for name, version in stats.versions
        ),
        "",
        _device_line(stats),
    ]
    return "\n".join(lines)


def _device_line(stats: ServerStats) -> str:
    reported = [d for d in stats.devices if d.total_mb is not None or d.used_mb is not None]
    if not reported:
        return "Device memory: no device reports it (on CPU, models use the process memory above)."
    parts = []
    for d in reported:
        used = "?" if d.used_mb is None else _mb(d.used_mb)
        total = f" of {_mb(d.total_mb)}" if d.total_mb is not None else ""
        parts.append(f"**{d.device}** {used}{total} allocated")
    return "Device memory: " + " · ".join(parts)


def history_frame(points: list[HistoryPoint]) -> pd.DataFrame:
    """The history as the charts take it: a time column (UTC; the browser shows local time)."""
    return pd.DataFrame(
        {
            "time": pd.to_datetime([p.time for p in points], unit="s"),
            RPS: [p.requests_per_s for p in points],
            MEMORY: [p.memory_mb for p in points],
        }
    )


# (column, label, elem_id, d3 number format of its axis) of each chart
CHARTS = (
    (RPS, "Requests per second (last 10 minutes)", "models-server-rps", ".2~f"),
    (MEMORY, "Process memory, MB (last 10 minutes)", "models-server-memory", ",.0f"),
)


def chart(frame: pd.DataFrame, column: str, now: float) -> gr.LinePlot:
    """One chart's update: the last HISTORY_S seconds up to `now` (Unix s), so time runs at a steady
    pace across the axis even while the history is short; from 0 up, and 0 to 1 while all is 0 (a
    flat line at 0 would otherwise get a degenerate axis)."""
    top = None if len(frame) and float(frame[column].max()) > 0 else 1
    return gr.LinePlot(value=frame, x_lim=[now - HISTORY_S, now], y_lim=[0, top])


def build_stats_panel(api: API) -> TabEvents:
    service = api.service
    gr.Markdown("### Server", elem_id="models-server-title")
    summary = gr.Markdown("", elem_id="models-server-stats")
    with gr.Row():
        plots = [
            gr.LinePlot(
                None,  # filled when the page opens: nothing to convert while the app is built
                x="time",
                y=column,
                x_title="",
                y_axis_format=number_format,
                height=220,
                label=label,
                elem_id=elem_id,
            )
            for column, label, elem_id, number_format in CHARTS
        ]

    def refresh() -> tuple[Any, ...]:
        frame = history_frame(service.server_history())
        now = time.time()
        charts = (chart(frame, column, now) for column, *_ in CHARTS)
        return stats_markdown(service.server_stats()), *charts

    outputs = [summary, *plots]
    timer = gr.Timer(REFRESH_S)
    timer.tick(refresh, None, outputs, queue=False, show_progress="hidden", **GLUE)
    return TabEvents(on_page_load=[(refresh, [], outputs)], on_select=[(refresh, [], outputs)])
