"""Fake bench peers for tests/unit/test_bench_isolation.py: they run in spawned child processes, so
they live in an importable module (pickled by name) and import only the standard library."""

from __future__ import annotations

import os
import resource
import signal
import time
from typing import Any


def _die(how: str) -> None:
    """End this process as a crashing peer would (no core file left behind)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if how.startswith("SIG"):
        os.kill(os.getpid(), getattr(signal, how))
        time.sleep(60)  # the signal arrives first; never reached
    os._exit(int(how))


class Peer:
    """A runner: `run()` returns fixed figures unless `crash` names a signal ("SIGILL") or an exit
    status ("3"), or `fail` asks it to raise; `load_crash` crashes while loading instead."""

    label = "fake-peer"

    def __init__(self, threads: int, crash: str = "", fail: bool = False, load_crash: str = ""):
        if load_crash:
            _die(load_crash)
        self.threads, self.crash, self.fail = threads, crash, fail
        self.weight_bytes = 1234
        self.closed_marker = ""

    def run(self) -> dict[str, float]:
        if self.crash:
            _die(self.crash)
        if self.fail:
            raise ValueError("the peer refused this input")
        omp = float(os.environ.get("OMP_NUM_THREADS", "0"))
        return {"x": 2.0, "threads": float(self.threads), "omp": omp}

    def echo(self, value: Any, scale: int = 1) -> Any:
        return value * scale

    def unpicklable(self) -> Any:
        return lambda: None

    def resolved(self) -> dict[str, Any]:
        return {"threads": self.threads, "pid": os.getpid()}

    def close(self) -> None:
        pass


def hang(seconds: float = 3600.0) -> Peer:
    """A factory that never finishes loading (a hung peer)."""
    time.sleep(seconds)
    return Peer(1)
