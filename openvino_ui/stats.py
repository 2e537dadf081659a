"""Request statistics per model and device: counts, latencies, and generation speed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GenerationMetrics:
    """Speed of one generation, from openvino-genai's PerfMetrics (times in ms)."""

    ttft_ms: float  # time to first token
    tpot_ms: float  # mean time per output token after the first
    tokens_per_s: float  # generated tokens per second
    generated_tokens: int
    input_tokens: int


@dataclass(frozen=True)
class RequestRecord:
    """One finished request as an engine reports it to its observers (openvino_ui.metrics).

    latency_s is None when the request failed before reaching the pipeline (model busy, not
    loadable); queue_wait_s, from asking for the model to holding it, is None when it never got it.
    """

    model: str
    task: str
    device: str
    ok: bool
    latency_s: float | None
    queue_wait_s: float | None
    generation: GenerationMetrics | None = None


# Called by the engine, in the request's thread, after each request (see Engine.observers).
RequestObserver = Callable[[RequestRecord], None]


@dataclass(frozen=True)
class StatsSnapshot:
    """What the Models tab and `/stats` show for one model on one device."""

    requests: int = 0
    failures: int = 0
    last_latency_ms: float | None = None
    avg_latency_ms: float | None = None
    avg_ttft_ms: float | None = None
    avg_tpot_ms: float | None = None
    avg_tokens_per_s: float | None = None
    generated_tokens: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


class StatsRecorder:
    """Thread-safe running totals; `snapshot()` gives averages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._failures = 0
        self._timed = 0  # requests that reached the pipeline: the ones with a latency
        self._latency_total_s = 0.0
        self._last_latency_s: float | None = None
        self._generations = 0
        self._ttft_total = 0.0
        self._tpot_total = 0.0
        self._tps_total = 0.0
        self._tokens = 0

    def record(self, latency_s: float | None, ok: bool, generation: GenerationMetrics | None = None) -> None:
        """Count one request. `latency_s` None: it failed before reaching the pipeline (model busy,
        not loadable), so it counts as a request and a failure but not in the latencies."""
        with self._lock:
            self._requests += 1
            if not ok:
                self._failures += 1
            if latency_s is not None:
                self._timed += 1
                self._latency_total_s += latency_s
                self._last_latency_s = latency_s
            if generation is not None and generation.generated_tokens > 0:
                self._generations += 1
                self._ttft_total += generation.ttft_ms
                self._tpot_total += generation.tpot_ms
                self._tps_total += generation.tokens_per_s
                self._tokens += generation.generated_tokens

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            n, t, g = self._requests, self._timed, self._generations
            return StatsSnapshot(
                requests=n,
                failures=self._failures,
                last_latency_ms=None if self._last_latency_s is None else self._last_latency_s * 1000,
                avg_latency_ms=self._latency_total_s / t * 1000 if t else None,
                avg_ttft_ms=self._ttft_total / g if g else None,
                avg_tpot_ms=self._tpot_total / g if g else None,
                avg_tokens_per_s=self._tps_total / g if g else None,
                generated_tokens=self._tokens,
            )
