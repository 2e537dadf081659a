"""The bench machinery: a case builds a candidate and a peer runner per thread count; rounds alternate
them and every metric becomes a per-round ratio (> 1 means the candidate is better).

A runner's `run()` performs one timed measurement with fresh inputs and returns {metric: value}.
"""

from __future__ import annotations

import gc
import json
import logging
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Runner(Protocol):
    label: str

    def run(self) -> dict[str, float]: ...

    def close(self) -> None: ...


# (candidate, peer, threads, medians {"engine": {...}, "peer": {...}}, probe) -> extra figures (MBU).
Derive = Callable[[Runner, Runner, int, dict[str, dict[str, float]], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Metric:
    name: str  # key in the runners' result dicts
    unit: str  # e.g. "tok/s", "ms"
    higher_is_better: bool = True
    target: float | None = None  # the ratio we aim for at 1 thread (None: informational)


@dataclass
class Case:
    """One head-to-head. `make(threads)` returns (candidate, peer) runners, loaded and ready."""

    name: str
    group: str  # cases of one group share a table and a plot
    engine: str
    peer: str
    metrics: list[Metric]
    make: Callable[[int], tuple[Runner, Runner]]
    # (candidate, peer) -> quality figures; must include "ok": bool when a speed-up depends on it.
    quality: Callable[[Runner, Runner], dict[str, Any]] | None = None
    derive: Derive | None = None
    notes: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    # Run only at these thread counts (settings cases that compare thread counts themselves).
    only_threads: tuple[int, ...] | None = None


def ratio(metric: Metric, cand: float, peer: float) -> float:
    """How many times better the candidate is (throughput: cand/peer; latency: peer/cand)."""
    if cand <= 0 or peer <= 0:
        return float("nan")
    return cand / peer if metric.higher_is_better else peer / cand


def _resolved(runner: Runner) -> dict[str, Any]:
    fn = getattr(runner, "resolved", None)
    try:
        return fn() if callable(fn) else {}
    except Exception as exc:  # read-back is informative only
        return {"error": str(exc)[:200]}


def run_case(case: Case, threads: int, rounds: int, warmup: int, probe: dict[str, Any]) -> dict[str, Any]:
    """Warm up, then alternate candidate and peer for `rounds` rounds; return the JSON record."""
    record: dict[str, Any] = {
        "case": case.name,
        "group": case.group,
        "engine": case.engine,
        "peer": case.peer,
        "threads": threads,
        "notes": case.notes,
        "info": case.info,
    }
    started = time.time()
    cand = peer = None
    stage = "setup"  # where a failure happened, for the record (a peer may crash at any point)
    try:
        cand, peer = case.make(threads)
        record["resolved"] = {"engine": _resolved(cand), "peer": _resolved(peer)}
        stage = "quality check"
        record["quality"] = case.quality(cand, peer) if case.quality else {}
        stage = "warm-up"
        for _ in range(warmup):
            cand.run()
            peer.run()
        per_round: list[dict[str, Any]] = []
        for r in range(rounds):
            stage = f"round {r + 1}"
            # Swap the order every round so neither side always runs on a "warmer" or "colder" CPU.
            first, second = (cand, peer) if r % 2 == 0 else (peer, cand)
            out = {id(first): first.run(), id(second): second.run()}
            c, p = out[id(cand)], out[id(peer)]
            per_round.append(
                {
                    "cand": c,
                    "peer": p,
                    "ratio": {m.name: ratio(m, c[m.name], p[m.name]) for m in case.metrics},
                }
            )
            log.info(
                "%s t=%d round %d: %s",
                case.name,
                threads,
                r + 1,
                {k: round(v, 3) for k, v in per_round[-1]["ratio"].items()},
            )
        record["rounds"] = per_round
        record["metrics"] = {m.name: _summary(m, per_round) for m in case.metrics}
        primary = record["metrics"][case.metrics[0].name]
        record["ratio_median"] = primary["ratio_median"]
        record["abs"] = {
            "engine": {m.name: record["metrics"][m.name]["cand_median"] for m in case.metrics},
            "peer": {m.name: record["metrics"][m.name]["peer_median"] for m in case.metrics},
        }
        stage = "derived figures"
        if case.derive:
            record["derived"] = case.derive(cand, peer, threads, record["abs"], probe)
    except Exception as exc:  # one failing case must not stop the others
        log.warning("case %s (threads=%d) failed at %s: %s", case.name, threads, stage, exc)
        record["error"] = f"{type(exc).__name__}: {exc}"[:1000]
        record["failed_at"] = stage
        record["traceback"] = traceback.format_exc()[-3000:]
    finally:
        for runner in (cand, peer):
            if runner is not None:
                try:
                    runner.close()
                except Exception:  # closing is best effort
                    pass
        del cand, peer
        gc.collect()
    record["wall_s"] = round(time.time() - started, 1)
    record["probe"] = probe
    return record


def _summary(metric: Metric, per_round: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [r["ratio"][metric.name] for r in per_round]
    cands = [r["cand"][metric.name] for r in per_round]
    peers = [r["peer"][metric.name] for r in per_round]
    return {
        "unit": metric.unit,
        "higher_is_better": metric.higher_is_better,
        "target": metric.target,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "cand_median": statistics.median(cands),
        "peer_median": statistics.median(peers),
        "met": None if metric.target is None else statistics.median(ratios) >= metric.target,
    }


def record_family(record: dict[str, Any]) -> str:
    """The CPU family a record was measured on (openvino_ui.cpu.Family), from its machine probe;
    records of older runs carry only the flags, and `--no-probe` runs nothing ("unprobed")."""
    from ..cpu import cpu_family

    cpu = (record.get("probe") or {}).get("cpu") or {}
    if cpu.get("family"):
        return str(cpu["family"])
    if cpu.get("flags"):
        return cpu_family(frozenset(cpu["flags"]))
    return "unprobed"


def same_measurement(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """A rerun replaces the record of the same case, thread count and CPU family; records of other
    machine kinds stay beside it (results.json holds every family the bench has run on)."""
    return (a["case"], a["threads"], record_family(a)) == (b["case"], b["threads"], record_family(b))


def merge_record(records: list[dict[str, Any]], record: dict[str, Any]) -> list[dict[str, Any]]:
    """`records` with `record` in the place of the measurement it repeats (so a rerun keeps the
    report's sections and results.json's diff where they were), or appended if it is new."""
    out, placed = [], False
    for r in records:
        if same_measurement(r, record):
            if not placed:
                out.append(record)
                placed = True
            continue
        out.append(r)
    return out if placed else [*out, record]


def write_records(records: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1, default=str), encoding="utf-8")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out
