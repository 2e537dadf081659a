"""The device benchmark: a model's own figures on each device asked for, measured on an engine
outside the pool (EnginePool.detached_engine), so users of the served model are not disturbed.

* measure.py: what is measured per task (warm-up, repetitions, medians), over callables that run
  the model once (openvino_ui/service/benchmark.py builds them from an engine);
* results.py: the frozen results (Figure, DeviceResult, BenchmarkRun) and the software versions;
* store.py: the SQLite file that keeps them;
* guard.py: one benchmark at a time.

No gradio, no fastapi, no openvino here.
"""

from __future__ import annotations

from .guard import BenchmarkRunning, exclusive
from .measure import (
    BATCH,
    NEW_TOKENS,
    PROMPT_TOKENS,
    REPS,
    WARMUP,
    Generate,
    Process,
    Realtime,
    Step,
    measure_generation,
    measure_realtime,
    measure_throughput,
    planned_steps,
)
from .results import BenchmarkRun, DeviceFailure, DeviceResult, Figure, Measurement, Versions, new_run_id
from .store import DB_ENV, MAX_LISTED, BenchmarkStore, BenchmarkStoreFailed, default_path

__all__ = [
    "BATCH",
    "DB_ENV",
    "MAX_LISTED",
    "NEW_TOKENS",
    "PROMPT_TOKENS",
    "REPS",
    "WARMUP",
    "BenchmarkRun",
    "BenchmarkRunning",
    "BenchmarkStore",
    "BenchmarkStoreFailed",
    "DeviceFailure",
    "DeviceResult",
    "Figure",
    "Generate",
    "Measurement",
    "Process",
    "Realtime",
    "Step",
    "Versions",
    "default_path",
    "exclusive",
    "measure_generation",
    "measure_realtime",
    "measure_throughput",
    "new_run_id",
    "planned_steps",
]
