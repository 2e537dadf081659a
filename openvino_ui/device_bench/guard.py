"""One benchmark at a time: two at once would measure each other (they share the cores, the memory
bandwidth and the accelerator), so a second caller is refused at once rather than queued."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ModelBusy, UserError, quote


class BenchmarkRunning(ModelBusy):
    """Another benchmark runs on this server (503, like a busy model: retry once it ends)."""

    title = "A benchmark is running"
    code = "benchmark_running"

    def __init__(self, model: str):
        UserError.__init__(
            self,
            f"A benchmark is running on this server; {quote(model)} was not benchmarked. Only one runs "
            "at a time (two would disturb each other's figures): try again when it has finished.",
        )


@contextmanager
def exclusive(lock: threading.Lock, model: str) -> Iterator[None]:
    """Hold `lock` for a benchmark of `model`; BenchmarkRunning at once if another holds it."""
    if not lock.acquire(blocking=False):
        raise BenchmarkRunning(model)
    try:
        yield
    finally:
        lock.release()
