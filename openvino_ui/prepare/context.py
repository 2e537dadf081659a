"""What a builder sees while it converts one model: its options, folders and a step reporter.

Builders run in the worker process (`python -m openvino_ui.prepare.worker`); the steps they announce
travel as events to the parent, which draws a progress bar per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Emit = Callable[[dict[str, Any]], None]


@dataclass
class Job:
    """One model to build. JSON-serialisable: it is handed to the worker on its command line."""

    name: str  # the model's name in models.yaml
    task: str  # llm | vlm | asr | tts | embedding | rerank
    builder: str  # "module:function" that writes the model into `out`
    options: dict[str, Any]  # the source as a dict (kind, recipe, weight_format, path, repo_id, ...)
    out: str  # folder to write the finished model into (a temporary folder beside the final path)
    work: str  # scratch folder for intermediates (removed afterwards)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BuildContext:
    """Passed to every builder: `ctx.out` is where the model goes, `ctx.step(...)` reports progress."""

    job: Job
    emit: Emit
    total_steps: int = 0
    _index: int = field(default=0, init=False)

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def options(self) -> dict[str, Any]:
        return self.job.options

    @property
    def weight_format(self) -> str:
        return str(self.job.options.get("weight_format") or "int8")

    @property
    def out(self) -> Path:
        return Path(self.job.out)

    @property
    def work(self) -> Path:
        return Path(self.job.work)

    def steps(self, count: int) -> None:
        """Announce how many steps this build has (for the 'k/N' in the progress display)."""
        self.total_steps = count

    @contextmanager
    def step(self, title: str, total: int | None = None, unit: str = "B") -> Iterator[Callable[[int], None]]:
        """A named step; yields `advance(n)` for steps with a known `total` (bytes by default)."""
        self._index += 1
        self.emit(
            {
                "event": "step",
                "index": self._index,
                "of": max(self.total_steps, self._index),
                "title": title,
                "total": total,
                "unit": unit,
            }
        )
        started = time.perf_counter()

        def advance(n: int) -> None:
            if n:
                self.emit({"event": "advance", "n": int(n)})

        yield advance
        self.emit({"event": "step_done", "seconds": round(time.perf_counter() - started, 3)})

    def note(self, message: str) -> None:
        """A one-line remark shown under the progress display (e.g. 'used the IR as it is')."""
        self.emit({"event": "note", "message": message})
