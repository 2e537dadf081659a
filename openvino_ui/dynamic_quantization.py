"""DYNAMIC_QUANTIZATION_GROUP_SIZE for an int8-weight LLM on this machine's CPU, chosen by measuring.

OpenVINO's CPU plugin quantizes the activations of matmuls on compressed weights on the fly, per
group of that many values (32 by default; 0 turns it off: bf16 matmuls on the decompressed
weights). Which size runs fastest is not a matter of the CPU family. On one AVX-512 BF16 EPYC
(2026-11-25) turning it off cost 17 % of Gemma-3-270M's int8 decode; on another of the same family
(2026-12-02) off decoded 1.27x faster at 1 thread and 1.22x at 2, and 256 1.12x / 1.09x with a
faster prefill than 32 too (BENCHMARKS.md, `benchmarks/investigations/chat_dynquant.py`). So the
engine measures it where it runs, once per machine:

- A chain of int8 matmuls shaped like a small LLM's layers (hidden 640, MLP 2048), PROBE_MB of
  weights in all, more than a CPU's caches hold, since decoding streams every weight once a step.
- Timed at one row (a lone user's decode step) and at eight (eight users decoding in one batched
  step, as continuous batching runs them), for each of CANDIDATES, alternated over ROUNDS.
- For a batched pipeline (continuous batching, the default) the candidate with the lowest geometric
  mean of the two times wins if it beats OpenVINO's default by MARGIN; otherwise the default stays.
  A plain pipeline (`batching: off`) never runs more than one row, so there the one-row time alone
  decides, by the same margin. Measured on the second EPYC above, the probe ranked the
  candidates as the model did (one row: off 11.3 ms, 256 11.7, 32 13.0; eight rows: 256 14.7, 32
  15.6, off 21.6: off alone would cost eight users their batching gain).

The result is kept in a JSON file per CPU model, flags, OpenVINO version and thread count
(CACHE_ENV, else ~/.cache/openvino-ui/dynamic-quantization.json), so later loads only read it.
It applies only on the plain CPU device, to IRs with int8 weights and no 4-bit ones (for int4
weights OpenVINO's default is the designed path), and never over a DYNAMIC_QUANTIZATION_GROUP_SIZE
that models.yaml or the model folder sets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import statistics
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .cpu import cpu_flags, cpu_model, usable_cores
from .model_files import inspect_ir

log = logging.getLogger(__name__)

KEY = "DYNAMIC_QUANTIZATION_GROUP_SIZE"
DEFAULT = 32  # OpenVINO's own default on the CPU (2024.x-2026.x)
CANDIDATES = (DEFAULT, 256, 0)
ROWS = (1, 8)
PROBE_MB = 64
HIDDEN, MLP = 640, 2048
ROUNDS = 5
CALLS_PER_ROUND = 4
MARGIN = 0.05  # the winner must be this much faster than the default (noise on a busy machine)
CACHE_ENV = "OPENVINO_UI_DYNQUANT_CACHE"

_lock = threading.Lock()  # one probe at a time in this process (two models may load at once)
_chosen: dict[str, Choice] = {}


@dataclass(frozen=True)
class Choice:
    """One machine's measurement, from which each kind of pipeline takes its group size."""

    times_ms: dict[str, dict[str, float]]  # candidate -> rows -> median ms of one call
    measured: str  # when, ISO 8601 UTC

    def group_size(self, batched: bool = True) -> int:
        return decide(self.times_ms, ROWS if batched else (1,))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "batched": self.group_size(True), "one_request": self.group_size(False)}


def properties_for(
    xml: Path | str | None, device: str, properties: dict[str, Any], batched: bool = True
) -> dict[str, Any]:
    """`properties` with the measured group size added, where it applies (see the module docstring),
    for a pipeline that batches requests (`batched`) or runs one at a time. A probe that fails leaves
    them as they are: the model then loads with OpenVINO's default."""
    if device != "CPU" or KEY in properties or xml is None or not weights_are_int8(xml):
        return properties
    threads = int(properties.get("INFERENCE_NUM_THREADS") or 0) or usable_cores()
    try:
        choice = chosen(threads)
    except Exception as exc:  # noqa: BLE001 - any failure here must not fail the model's load
        log.warning("dynamic quantization: the probe failed (%s); keeping OpenVINO's default", exc)
        return properties
    group_size = choice.group_size(batched)
    if group_size == DEFAULT:
        return properties
    return {**properties, KEY: group_size}


def weights_are_int8(xml: Path | str) -> bool:
    """True when the IR's constants hold 8-bit integer weights and no 4-bit ones (the weight bytes
    per format that model_info shows, read once per file version)."""
    weights = inspect_ir(Path(xml)).weight_bytes
    return "int8" in weights and "int4" not in weights


def chosen(threads: int) -> Choice:
    """The choice for `threads` threads: from this process's memory, the cache file, or a probe."""
    key = _cache_key(threads)
    with _lock:
        if key in _chosen:
            return _chosen[key]
        stored = _read_cache().get(key)
        choice = _from_dict(stored) if stored else None
        if choice is None:
            started = time.perf_counter()
            times = probe(threads)
            choice = Choice(times, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            log.info(
                "dynamic quantization: group size %d batched, %d one request at a time, on this CPU at "
                "%d thread(s) (probe %.1f s: %s)",
                choice.group_size(True),
                choice.group_size(False),
                threads,
                time.perf_counter() - started,
                _summary(times),
            )
            _write_cache(key, choice)
        _chosen[key] = choice
        return choice


def decide(times_ms: dict[str, dict[str, float]], rows: tuple[int, ...] = ROWS) -> int:
    """The candidate with the lowest geometric mean over `rows`, if MARGIN faster than the default."""

    def score(candidate: str) -> float:
        return math.exp(statistics.fmean(math.log(times_ms[candidate][str(r)]) for r in rows))

    best = min(times_ms, key=score)
    if score(best) <= (1 - MARGIN) * score(str(DEFAULT)):
        return int(best)
    return DEFAULT


def probe(threads: int, mb: int = PROBE_MB, rounds: int = ROUNDS) -> dict[str, dict[str, float]]:
    """Median milliseconds of one call of the int8 matmul chain per candidate and row count."""
    import numpy as np
    import openvino as ov

    model = _matmul_chain(mb)
    core = ov.Core()
    requests = {}
    for candidate in CANDIDATES:
        compiled = core.compile_model(
            model, "CPU", {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY", KEY: candidate}
        )
        requests[candidate] = compiled.create_infer_request()
    rng = np.random.default_rng(0)
    inputs = {rows: rng.standard_normal((rows, HIDDEN), dtype=np.float32) for rows in ROWS}
    samples: dict[tuple[int, int], list[float]] = {(c, r): [] for c in CANDIDATES for r in ROWS}
    for x in inputs.values():
        for request in requests.values():  # warm-up: first calls allocate and repack
            request.infer({0: x})
            request.infer({0: x})
    for _ in range(rounds):
        for rows, x in inputs.items():
            for candidate, request in requests.items():
                started = time.perf_counter()
                for _ in range(CALLS_PER_ROUND):
                    request.infer({0: x})
                samples[(candidate, rows)].append((time.perf_counter() - started) * 1000 / CALLS_PER_ROUND)
    return {str(c): {str(r): round(statistics.median(samples[(c, r)]), 3) for r in ROWS} for c in CANDIDATES}


def _matmul_chain(mb: int) -> Any:
    """An ov.Model: x [rows, HIDDEN] through alternating HIDDEN->MLP and MLP->HIDDEN matmuls whose
    weights are int8 with a zero point and a scale per output channel (NNCF's int8_asym layout,
    which the plugin fuses into a compressed FullyConnected), `mb` MB of weights in all."""
    import numpy as np
    import openvino as ov
    from openvino import opset13 as ops

    rng = np.random.default_rng(0)
    layers = max(2, (mb * 1_000_000) // (HIDDEN * MLP) // 2 * 2)
    x = ops.parameter([-1, HIDDEN], np.float32, name="x")
    h = x.output(0)
    for i in range(layers):
        out_dim, in_dim = (MLP, HIDDEN) if i % 2 == 0 else (HIDDEN, MLP)
        weights = ops.constant(rng.integers(0, 256, (out_dim, in_dim), dtype=np.uint8))
        zero = ops.constant(rng.integers(120, 136, (out_dim, 1), dtype=np.uint8))
        scale = ops.constant((rng.random((out_dim, 1), dtype=np.float32) * 1e-3 + 1e-3).astype(np.float16))
        w = ops.multiply(ops.subtract(ops.convert(weights, "f16"), ops.convert(zero, "f16")), scale)
        h = ops.matmul(h, ops.convert(w, "f32"), False, True).output(0)
    return ov.Model([h], [x], "dynamic_quantization_probe")


def _cache_key(threads: int) -> str:
    import openvino as ov

    # A VM's model name may be just "AMD EPYC"; the flags and cache sizes tell its CPUs apart better.
    flags = ",".join(sorted(cpu_flags()))
    digest = hashlib.sha256(flags.encode()).hexdigest()[:12]
    return (
        f"{cpu_model()}|flags {digest}|caches {_cache_sizes()}|openvino {ov.get_version()}|threads {threads}"
    )


def _cache_sizes() -> str:
    """The CPU's cache sizes as Linux lists them for CPU 0 (L1d, L1i, L2, L3), or "?"."""
    sizes = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            sizes.append((index / "size").read_text().strip())
        except OSError:
            continue
    return ",".join(sizes) or "?"


def cache_path() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "openvino-ui" / "dynamic-quantization.json"


def _read_cache() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(key: str, choice: Choice) -> None:
    """Add the choice to the file (atomically); a cache that cannot be written only costs a probe."""
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**_read_cache(), key: choice.as_dict()}
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("dynamic quantization: cannot write %s (%s); the probe runs again next start", path, exc)


def _from_dict(stored: Any) -> Choice | None:
    try:
        times = {
            str(c): {str(r): float(stored["times_ms"][str(c)][str(r)]) for r in ROWS} for c in CANDIDATES
        }
        measured = str(stored["measured"])
    except (KeyError, TypeError, ValueError):  # another version's file, or damaged: measure again
        return None
    if not all(ms > 0 for by_rows in times.values() for ms in by_rows.values()):
        return None
    return Choice(times, measured)


def _summary(times: dict[str, dict[str, float]]) -> str:
    return "; ".join(
        f"{'off' if c == '0' else c}: " + ", ".join(f"{r} row(s) {ms:.1f} ms" for r, ms in by_rows.items())
        for c, by_rows in times.items()
    )
