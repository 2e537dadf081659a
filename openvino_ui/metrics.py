"""Prometheus metrics of one app: what its models did and what they are doing now.

Per model and operation (chat, describe, transcribe, speak, embed, rerank): requests by outcome,
request latency, the time a request waited for its model, and for text generation (llm, vlm) time
to first token, time per output token and prompt and generated token counts. Engines report each
finished request to `Metrics.observe` (Engine.observers); gauges and model states are read from the
pool when Prometheus scrapes (PoolCollector), so they are never stale. The process collector adds
the standard `process_*` metrics (resident memory, CPU time, open files) on Linux.

Every app has its own CollectorRegistry, never the global default, so several apps in one process
(tests) neither collide nor share counts. No label holds user content: model names come from
models.yaml, operations and outcomes from the fixed sets below.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .engines.base import Engine, State
from .pool import EnginePool
from .stats import RequestRecord

# The operation each engine task serves (the name of its public endpoint).
OPERATIONS: dict[str, str] = {
    "llm": "chat",
    "vlm": "describe",
    "asr": "transcribe",
    "tts": "speak",
    "embedding": "embed",
    "rerank": "rerank",
}
GENERATIVE_TASKS = ("llm", "vlm")
OUTCOMES = ("ok", "error")

# Seconds. Requests range from milliseconds (embed a word) to minutes (a long text spoken on CPU).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

PREFIX = "openvino_ui_"


def operation_of(task: str) -> str:
    return OPERATIONS.get(task, task)


class Metrics:
    """The instruments and registry of one app around `pool`; `close()` stops observing it."""

    def __init__(self, pool: EnginePool, process: bool = True):
        self.pool = pool
        self.registry = CollectorRegistry()
        by_op = ("model", "operation")
        reg = self.registry
        self.requests = Counter(
            PREFIX + "requests",
            "Finished requests per model and operation, by outcome (ok or error); a request "
            "refused before it reached a model (bad input) is not counted.",
            (*by_op, "outcome"),
            registry=reg,
        )
        self.latency = Histogram(
            PREFIX + "request_duration_seconds",
            "Time a request held its model (from getting it to the last result).",
            by_op,
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.queue_wait = Histogram(
            PREFIX + "queue_wait_seconds",
            "Time from asking for the model to getting it (waiting for other requests, or loading).",
            by_op,
            buckets=WAIT_BUCKETS,
            registry=reg,
        )
        self.ttft = Histogram(
            PREFIX + "time_to_first_token_seconds",
            "Text generation: time from the start of generation to the first token.",
            by_op,
            buckets=TTFT_BUCKETS,
            registry=reg,
        )
        self.tpot = Histogram(
            PREFIX + "time_per_output_token_seconds",
            "Text generation: mean time per generated token after the first, per request.",
            by_op,
            buckets=TPOT_BUCKETS,
            registry=reg,
        )
        self.prompt_tokens = Counter(
            PREFIX + "prompt_tokens",
            "Text generation: tokens of the prompts read (chat template and image tokens included).",
            by_op,
            registry=reg,
        )
        self.generated_tokens = Counter(
            PREFIX + "generated_tokens", "Text generation: tokens generated.", by_op, registry=reg
        )
        reg.register(PoolCollector(pool))
        if process:
            ProcessCollector(registry=reg)  # process_resident_memory_bytes etc., on Linux
        for name in pool.names():
            self._zero(pool.get(name))
        pool.add_observer(self.observe)  # models added later are observed too

    def _zero(self, engine: Engine) -> None:
        """Create each model's counters at 0, so that rate() sees the first request."""
        task = engine.spec.task
        op = operation_of(task)
        for outcome in OUTCOMES:
            self.requests.labels(engine.name, op, outcome)
        if task in GENERATIVE_TASKS:
            self.prompt_tokens.labels(engine.name, op)
            self.generated_tokens.labels(engine.name, op)

    def observe(self, record: RequestRecord) -> None:
        """Count one finished request (called by the engine, in the request's thread)."""
        labels = (record.model, operation_of(record.task))
        self.requests.labels(*labels, "ok" if record.ok else "error").inc()
        if record.latency_s is not None:
            self.latency.labels(*labels).observe(record.latency_s)
        if record.queue_wait_s is not None:
            self.queue_wait.labels(*labels).observe(record.queue_wait_s)
        gen = record.generation
        if gen is None:
            return
        self.prompt_tokens.labels(*labels).inc(max(0, gen.input_tokens))
        self.generated_tokens.labels(*labels).inc(max(0, gen.generated_tokens))
        # genai's PerfMetrics give 0 (or NaN) where nothing was measured: leave those out.
        if gen.generated_tokens > 0 and gen.ttft_ms > 0:
            self.ttft.labels(*labels).observe(gen.ttft_ms / 1000)
        if gen.generated_tokens > 1 and gen.tpot_ms > 0:
            self.tpot.labels(*labels).observe(gen.tpot_ms / 1000)

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition format of every metric, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """Stop observing the pool's engines (the registry keeps what it counted)."""
        self.pool.remove_observer(self.observe)


class PoolCollector(Collector):
    """Each model's state, load time, and the requests holding or waiting for it, at scrape time.

    Reads only what the pool and engines report without blocking on a request or a load.
    """

    def __init__(self, pool: EnginePool):
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            PREFIX + "model_state",
            "1 for the state each model is in (unloaded, loading, ready, failed), 0 for the others.",
            labels=["model", "state"],
        )
        info = GaugeMetricFamily(
            PREFIX + "model_info",
            "Each configured model (always 1): its task, operation and device.",
            labels=["model", "task", "operation", "device"],
        )
        load = GaugeMetricFamily(
            PREFIX + "model_load_seconds",
            "How long the loaded model took to load (only while it is loaded).",
            labels=["model"],
        )
        in_flight = GaugeMetricFamily(
            PREFIX + "requests_in_flight",
            "Requests the model serves now (one per pipeline instance, or up to max_num_seqs in a "
            "continuous batch).",
            labels=["model"],
        )
        waiting = GaugeMetricFamily(
            PREFIX + "requests_waiting",
            "Requests waiting for the model (behind the one that holds it).",
            labels=["model"],
        )
        for name in self.pool.names():
            engine = self.pool.get(name)
            current = engine.state
            task = engine.spec.task
            for value in State:
                state.add_metric([name, value.value], 1.0 if value is current else 0.0)
            info.add_metric([name, task, operation_of(task), engine.device], 1.0)
            if current is State.READY and engine.load_time_s is not None:
                load.add_metric([name], engine.load_time_s)
            in_flight.add_metric([name], float(engine.in_flight()))
            waiting.add_metric([name], float(engine.queue_length()))
        yield from (state, info, load, in_flight, waiting)
