"""Progress display of the prepare step: one bar per step on a terminal, plain lines otherwise,
and the closing summary table."""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO


def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit in ("B", "KiB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _columns() -> int:
    """Terminal width for the bars (a pty without a size reports 0 columns: use 100)."""
    columns = shutil.get_terminal_size((100, 20)).columns
    return columns if columns >= 40 else 100


class StepDisplay:
    """Shows the steps of one model's build. Fed with the events a BuildContext emits."""

    def __init__(self, model: str, stream: TextIO | None = None, bars: bool | None = None):
        self.model = model
        self.stream = stream or sys.stdout
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._tqdm: Any = None
        if bars if bars is not None else tty:
            try:
                from tqdm import tqdm

                self._tqdm = tqdm
            except ImportError:  # tqdm comes with gradio/huggingface_hub; plain lines do without
                self._tqdm = None
        self._bar: Any = None
        self._label = ""
        self._started = 0.0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            self._close_bar()
            self._label = f"{self.model} [{event['index']}/{event['of']}] {event['title']}"
            self._started = time.perf_counter()
            if self._tqdm is not None:
                total = event.get("total")
                self._bar = self._tqdm(
                    total=total,
                    desc=self._label,
                    unit=event.get("unit") or "B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self.stream,
                    leave=True,
                    ncols=_columns(),
                    bar_format=None if total else "{desc}: {elapsed}",
                )
            else:
                print(f"{self._label} ...", file=self.stream, flush=True)
        elif kind == "advance" and self._bar is not None:
            self._bar.update(event["n"])
        elif kind == "step_done":
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            else:
                print(f"{self._label}: done in {event['seconds']:.1f} s", file=self.stream, flush=True)
        elif kind == "note":
            self.line(f"{self.model}: {event['message']}")

    def line(self, text: str) -> None:
        self._close_bar()
        print(text, file=self.stream, flush=True)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@dataclass
class Outcome:
    """What happened to one model."""

    name: str
    task: str
    source: str  # a short description, e.g. "pypi:gemma3-270m int8"
    status: str  # built | up to date | skipped | kept | failed
    seconds: float = 0.0
    size: int | None = None  # bytes of the model folder
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def summary_table(outcomes: list[Outcome]) -> str:
    """A fixed-width table: model, task, source, result, size, time; failures explained below it."""
    head = ("model", "task", "source", "result", "size", "time")
    rows = [
        (o.name, o.task, o.source, o.status, human_bytes(o.size), f"{o.seconds:.1f} s" if o.seconds else "-")
        for o in outcomes
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    right = {4, 5}

    def fmt(row: tuple[str, ...]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    lines = [fmt(head), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in rows)]
    total = sum(o.seconds for o in outcomes)
    built = sum(1 for o in outcomes if o.status == "built")
    failed = [o for o in outcomes if o.failed]
    lines.append(f"{len(outcomes)} model(s): {built} built, {len(failed)} failed, {total:.1f} s")
    for o in failed:
        lines.append(f"FAILED {o.name}: {o.message}")
    for o in outcomes:
        if o.status in ("kept", "skipped") and o.message:
            lines.append(f"note: {o.name}: {o.message}")
    return "\n".join(lines)
