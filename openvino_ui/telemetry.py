"""What the server as a whole is doing, for its operators (`server_stats`, as OpenVINO Model Server
reports on itself): uptime, versions, the models loaded, requests (in total; per second and average
inference time over the last minute), the process's CPU and memory, what OpenVINO reports of each
device's memory; and a history of requests/s, memory and CPU over the last 10 minutes (the Models
tab's charts).

There is one ServerTelemetry per pool (`telemetry_of(pool)`): the UI's and the REST routes' services
each wrap the pool, and share it, so both report one uptime and one history. It counts requests
through the pool's observers from its creation (the server creates it when it is built). Its
sampler thread runs only between `start()` and `close()` (the server's startup and shutdown);
nothing runs at import or construction time, and `sample_now()` takes a sample at once, so tests
need no sleeping.

This module reads the pool through the small protocols below, not through openvino_ui.pool: it is a
plain module beside the layers (like metrics.py), which the service and the server both use.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Protocol

import psutil

from .device_memory import MIB, DeviceMemory, DeviceProperties, device_memory
from .stats import RequestObserver, RequestRecord

log = logging.getLogger(__name__)

WINDOW_S = 60  # requests/s and the average inference time cover this many seconds
SAMPLE_S = 5.0  # the sampler takes a history point this often
HISTORY_S = 600  # and keeps this much history (10 minutes: 120 points)
# The versions reported, by distribution name (importlib.metadata: nothing is imported for them).
PACKAGES = ("openvino-ui", "openvino", "openvino-genai")


# -- what is read of the pool (EnginePool has all of it) --------------------------------------------


class ModelStatus(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...  # "ready" when loaded


class ObservedPool(Protocol):
    @property
    def core(self) -> DeviceProperties: ...

    def add_observer(self, observer: RequestObserver) -> None: ...

    def remove_observer(self, observer: RequestObserver) -> None: ...

    def models(self) -> Sequence[ModelStatus]: ...

    def available_devices(self) -> list[str]: ...


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    """One sample of the history: when (Unix time, s), requests/s over the minute before it, the
    process's resident memory (MiB) and CPU use (percent of all cores) since the sample before."""

    time: float
    requests_per_s: float
    memory_mb: float
    cpu_percent: float

    def as_dict(self) -> dict[str, float]:
        return {
            "time": round(self.time, 3),
            "requests_per_s": round(self.requests_per_s, 3),
            "memory_mb": round(self.memory_mb, 1),
            "cpu_percent": round(self.cpu_percent, 1),
        }


@dataclass(frozen=True)
class ServerStats:
    """The server as a whole, now. Requests count every finished request of every model (failed
    ones included); `requests_per_s` and `avg_inference_ms` cover the last `window_s` seconds (or
    the uptime, when shorter); the average is over the requests that reached a model (the time each
    held it), None when none did in that window."""

    uptime_s: float
    versions: tuple[tuple[str, str | None], ...]  # (distribution, version or None if not installed)
    models_configured: int
    active_models: tuple[str, ...]  # the loaded ones, in models.yaml order
    requests_total: int
    failures_total: int
    requests_per_s: float
    avg_inference_ms: float | None
    window_s: int
    cpu_percent: float  # the process, percent of all cores (100: every core busy)
    memory_mb: float  # the process's resident memory, MiB
    devices: tuple[DeviceMemory, ...]  # every device OpenVINO sees

    def as_dict(self) -> dict[str, object]:
        return {
            "uptime_s": round(self.uptime_s, 1),
            "versions": dict(self.versions),
            "models_configured": self.models_configured,
            "active_models": list(self.active_models),
            "requests_total": self.requests_total,
            "failures_total": self.failures_total,
            "requests_per_s": round(self.requests_per_s, 3),
            "avg_inference_ms": _round(self.avg_inference_ms),
            "window_s": self.window_s,
            "cpu_percent": round(self.cpu_percent, 1),
            "memory_mb": round(self.memory_mb, 1),
            "devices": [d.as_dict() for d in self.devices],
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- the telemetry ------------------------------------------------------------------------------------


class _Second:
    """The requests that finished in one second of the window."""

    __slots__ = ("second", "requests", "timed", "latency_s")

    def __init__(self, second: int):
        self.second = second
        self.requests = 0
        self.timed = 0  # those that reached a model (they have a latency)
        self.latency_s = 0.0


class ServerTelemetry:
    """Counts and samples around one pool. Thread-safe: engines report from their request threads.

    `clock` (monotonic seconds) is for tests; the history's timestamps are Unix time.
    """

    def __init__(self, pool: ObservedPool, clock: Callable[[], float] = time.monotonic):
        # Weak: the registry (telemetry_of) keys on the pool and must not keep it alive.
        self._pool = weakref.ref(pool)
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._total = 0
        self._failures = 0
        # One entry per second that had requests, oldest first: at most WINDOW_S entries.
        self._seconds: deque[_Second] = deque()
        self._history: deque[HistoryPoint] = deque(maxlen=int(HISTORY_S / SAMPLE_S))
        self._last_sample_at: float | None = None
        self._process = psutil.Process()
        self._cores = psutil.cpu_count() or 1
        self._cpu_lock = threading.Lock()
        # (monotonic s, process CPU s) at the last CPU reading: CPU % is over the time since then.
        self._cpu_mark = (time.monotonic(), self._cpu_seconds())
        self._versions: tuple[tuple[str, str | None], ...] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = False
        pool.add_observer(self.observe)

    # -- counting ----------------------------------------------------------------------------------

    def observe(self, record: RequestRecord) -> None:
        """Count one finished request (called by its engine, in the request's thread)."""
        with self._lock:  # the clock is read under the lock, so seconds are appended in order
            second = int(self._clock())
            self._total += 1
            if not record.ok:
                self._failures += 1
            if not self._seconds or self._seconds[-1].second != second:
                self._seconds.append(_Second(second))
            self._prune(second)
            bucket = self._seconds[-1]
            bucket.requests += 1
            if record.latency_s is not None:
                bucket.timed += 1
                bucket.latency_s += record.latency_s

    def _prune(self, second: int) -> None:
        """Drop the seconds that left the window (call with the lock held)."""
        while self._seconds and self._seconds[0].second <= second - WINDOW_S:
            self._seconds.popleft()

    def window(self) -> tuple[float, float | None]:
        """(requests per second, average inference time in ms or None) over the last WINDOW_S
        seconds; while the server is younger than that, over its uptime (at least 1 s)."""
        with self._lock:
            now = self._clock()
            self._prune(int(now))
            requests = sum(s.requests for s in self._seconds)
            timed = sum(s.timed for s in self._seconds)
            latency_s = sum(s.latency_s for s in self._seconds)
        span = min(float(WINDOW_S), max(1.0, now - self._started))
        return requests / span, (latency_s / timed * 1000 if timed else None)

    # -- sampling ------------------------------------------------------------------------------------

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def _cpu_percent(self) -> float:
        """The process's CPU use since the last reading, in percent of all cores."""
        with self._cpu_lock:
            wall, cpu = time.monotonic(), self._cpu_seconds()
            last_wall, last_cpu = self._cpu_mark
            self._cpu_mark = (wall, cpu)
        elapsed = wall - last_wall
        if elapsed <= 0:
            return 0.0
        return max(0.0, min(100.0, (cpu - last_cpu) / elapsed / self._cores * 100))

    def sample_now(self) -> HistoryPoint:
        """Take one history point now (the sampler thread calls this every SAMPLE_S seconds)."""
        rate, _ = self.window()
        point = HistoryPoint(
            time=time.time(),
            requests_per_s=rate,
            memory_mb=self._process.memory_info().rss / MIB,
            cpu_percent=self._cpu_percent(),
        )
        with self._lock:
            self._history.append(point)
            self._last_sample_at = self._clock()
        return point

    def latest(self) -> HistoryPoint:
        """The last history point if it is younger than SAMPLE_S, else a new one: with the sampler
        running CPU % is always over a few seconds, and without it readers still get fresh figures."""
        with self._lock:
            last = self._history[-1] if self._history else None
            fresh = self._last_sample_at is not None and self._clock() - self._last_sample_at < SAMPLE_S
        return last if last is not None and fresh else self.sample_now()

    def history(self) -> list[HistoryPoint]:
        """The history points of the last HISTORY_S seconds, oldest first."""
        with self._lock:
            return list(self._history)

    # -- the whole picture ----------------------------------------------------------------------------

    def versions(self) -> tuple[tuple[str, str | None], ...]:
        if self._versions is None:  # read once: the installed packages do not change while serving
            self._versions = tuple((name, _version(name)) for name in PACKAGES)
        return self._versions

    def stats(self) -> ServerStats:
        pool = self._pool()
        if pool is None:
            raise RuntimeError("the pool of this telemetry is gone")
        rate, average = self.window()
        point = self.latest()
        with self._lock:
            total, failures = self._total, self._failures
        models = pool.models()
        return ServerStats(
            uptime_s=self._clock() - self._started,
            versions=self.versions(),
            models_configured=len(models),
            active_models=tuple(m.name for m in models if m.status == "ready"),
            requests_total=total,
            failures_total=failures,
            requests_per_s=rate,
            avg_inference_ms=average,
            window_s=WINDOW_S,
            cpu_percent=point.cpu_percent,
            memory_mb=point.memory_mb,
            devices=_devices(pool),
        )

    # -- the sampler thread -----------------------------------------------------------------------------

    def start(self, interval_s: float = SAMPLE_S) -> ServerTelemetry:
        """Sample every `interval_s` seconds in a daemon thread until close() (a second call does
        nothing)."""
        if self._thread is not None or self.closed:
            return self
        self._thread = threading.Thread(target=self._run, args=(interval_s,), name="telemetry", daemon=True)
        self._thread.start()
        return self

    def _run(self, interval_s: float) -> None:
        while True:
            try:
                self.sample_now()
            except Exception as exc:  # keep sampling; the next round retries
                log.warning("a telemetry sample failed: %s", type(exc).__name__)
            if self._stop.wait(interval_s):
                return

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the sampler and stop counting (idempotent); telemetry_of then makes a new one."""
        self.closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        pool = self._pool()
        if pool is not None:
            pool.remove_observer(self.observe)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


# -- device memory -----------------------------------------------------------------------------------


def _devices(pool: ObservedPool) -> tuple[DeviceMemory, ...]:
    """Every device OpenVINO sees, with the memory it reports (device_memory.py)."""
    try:
        devices, core = pool.available_devices(), pool.core
    except Exception as exc:  # a broken plugin must not fail the whole report
        log.warning("could not list the devices: %s", type(exc).__name__)
        return ()
    return device_memory(core, devices)


# -- one telemetry per pool ----------------------------------------------------------------------------

_registry: weakref.WeakKeyDictionary[ObservedPool, ServerTelemetry] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def telemetry_of(pool: ObservedPool) -> ServerTelemetry:
    """The telemetry of `pool`, made on first use (and again after it was closed)."""
    with _registry_lock:
        found = _registry.get(pool)
        if found is None or found.closed:
            found = _registry[pool] = ServerTelemetry(pool)
        return found
