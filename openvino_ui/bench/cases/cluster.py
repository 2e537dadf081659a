"""Models on Ray Serve (openvino_ui.cluster) against the same engine in this process, on a local
Ray started by the bench (`defaults.cluster.address: local`: one node, this machine's cores).

  cluster-call:     median latency of a one-text embedding request (MiniLM int8), the model as one
                    Ray Serve replica called through its proxy engine against the engine in-process:
                    the difference is Ray's cost per request (handle, router, object transfer).
  cluster-stream:   a streamed chat reply (Gemma-3-270M int8, 64 tokens, EOS ignored): time per
                    token between the first and the last piece, and time to the first piece. The
                    difference per token is Ray's cost per streamed token.
  cluster-replicas: aggregate embedding requests/s of 8 concurrent clients, 2 replicas against 1,
                    the same cores split between the replicas (INFERENCE_NUM_THREADS). On one
                    machine this measures what a second replica costs, not a speed-up: both share
                    the cores. The head's CPU per request is measured too, and `derived` projects
                    what N machines (one replica each) would serve: N x one replica's rate, up to
                    what the head can route (1000 / its CPU ms per request, per core).

Ray must be installed (`pip install "openvino-ui[cluster]"`); a case without it records the error.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric, Runner

_RNG = np.random.default_rng()
CALLS = 30  # one-text embedding calls per run
N_TOKENS = 64
CLIENTS = 8  # concurrent clients of the replicas case
SECONDS = 8.0  # how long the replicas case's clients run per round
MACHINES = (1, 2, 4, 8)


class _Pool:
    """One model in an EnginePool, on Ray Serve (`replicas`) or in this process (None)."""

    def __init__(self, entry: dict[str, Any], replicas: int | None, label: str):
        import yaml

        from ...config import parse_config
        from ...pool import EnginePool

        self.label = label
        defaults: dict[str, Any] = {"cache_dir": None}
        if replicas is not None:
            defaults["cluster"] = {"address": "local"}
            # Logical CPUs only: Ray reserves them, OpenVINO's threads decide the real use.
            entry = {**entry, "replicas": replicas, "ray_actor_options": {"num_cpus": 0.5}}
        text = yaml.safe_dump({"defaults": defaults, "models": {"m": entry}})
        self.pool = EnginePool(parse_config(text, Path(tempfile.gettempdir()) / "bench-cluster.yaml"))
        self.pool.load("m")
        self.engine: Any = self.pool.get("m")

    def close(self) -> None:
        self.pool.close()  # a Ray model's deployment is deleted with it


def _embedding(threads: int) -> dict[str, Any]:
    from .. import assets

    return {
        "task": "embedding",
        "path": str(assets.minilm_ov()),
        "pooling": "mean",
        "normalize": True,
        "properties": {"INFERENCE_NUM_THREADS": threads},
    }


class CallRunner(_Pool):
    def run(self) -> dict[str, float]:
        times = []
        for _ in range(CALLS):
            text = f"a short sentence about number {int(_RNG.integers(1_000_000))}"
            started = time.perf_counter()
            self.engine.embed([text])
            times.append((time.perf_counter() - started) * 1000)
        return {"call_ms": statistics.median(times)}


class StreamRunner(_Pool):
    def run(self) -> dict[str, float]:
        from ...generation import Delta, GenerationParams

        params = GenerationParams(max_new_tokens=N_TOKENS, temperature=0.0, ignore_eos=True)
        question = f"Write a long story about the number {int(_RNG.integers(1_000_000))}."
        started = time.perf_counter()
        times = [
            time.perf_counter()
            for event in self.engine.stream([{"role": "user", "content": question}], params)
            if isinstance(event, Delta)
        ]
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        return {"token_ms": span / (len(times) - 1) * 1000, "ttft_ms": (times[0] - started) * 1000}


class ReplicasRunner(_Pool):
    def run(self) -> dict[str, float]:
        deadline = time.monotonic() + SECONDS
        done = [0]
        lock = threading.Lock()

        def client() -> None:
            for _ in range(1_000_000):  # bounded; the deadline ends it first
                if time.monotonic() > deadline:
                    return
                self.engine.embed([f"a short sentence about number {int(_RNG.integers(1_000_000))}"])
                with lock:
                    done[0] += 1

        workers = [threading.Thread(target=client) for _ in range(CLIENTS)]
        cpu, started = time.process_time(), time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        return {"req_s": done[0] / elapsed, "head_cpu_ms": cpu / max(done[0], 1) * 1000}


def _ray_cost(metric: str, name: str) -> Any:
    def derive(cand: Runner, peer: Runner, threads: int, medians: dict[str, dict[str, float]], _: Any):
        return {name: medians["engine"][metric] - medians["peer"][metric]}

    return derive


def _machines(cand: Runner, peer: Runner, threads: int, medians: dict[str, dict[str, float]], _: Any):
    """What N machines with one replica each would serve: N x one replica's rate (each brings its
    own cores), up to what one core of the head can route (1000 / its CPU ms per request)."""
    one = medians["peer"]["req_s"]
    head_ms = medians["peer"]["head_cpu_ms"]
    cap = 1000.0 / head_ms if head_ms > 0 else float("inf")
    return {
        "one_replica_req_s": one,
        "head_cap_req_s_per_core": cap,
        "machines_req_s": {n: min(n * one, cap) for n in MACHINES},
        "second_replica_same_cores": medians["engine"]["req_s"] / one if one else float("nan"),
    }


def cases(full: bool) -> list[Case]:
    from .. import assets

    nproc = os.cpu_count() or 1

    def call(t: int) -> tuple[Runner, Runner]:
        return CallRunner(_embedding(t), 1, "ray serve"), CallRunner(_embedding(t), None, "in-process")

    def stream(t: int) -> tuple[Runner, Runner]:
        entry = {"task": "llm", "path": str(assets.gemma_ov("int8"))}
        entry["properties"] = {"INFERENCE_NUM_THREADS": t}
        return StreamRunner(entry, 1, "ray serve"), StreamRunner(entry, None, "in-process")

    def replicas(t: int) -> tuple[Runner, Runner]:
        two = _embedding(max(1, t // 2))
        return ReplicasRunner(two, 2, "2 replicas"), ReplicasRunner(_embedding(t), 1, "1 replica")

    return [
        Case(
            name="cluster-call",
            group="cluster",
            engine="embedding on Ray Serve (1 replica, via the proxy engine)",
            peer="the same embedding engine in-process",
            metrics=[Metric("call_ms", "ms", False)],
            make=call,
            derive=_ray_cost("call_ms", "ray_ms_per_request"),
            notes=f"median of {CALLS} one-text calls per run, MiniLM int8; local Ray, one node",
        ),
        Case(
            name="cluster-stream",
            group="cluster",
            engine="chat on Ray Serve (1 replica, handle.options(stream=True))",
            peer="the same chat engine in-process",
            metrics=[Metric("token_ms", "ms", False), Metric("ttft_ms", "ms", False)],
            make=stream,
            derive=_ray_cost("token_ms", "ray_ms_per_token"),
            notes=f"greedy, {N_TOKENS} tokens (EOS ignored), Gemma-3-270M int8; local Ray, one node",
        ),
        Case(
            name="cluster-replicas",
            group="cluster",
            engine="embedding on 2 Ray Serve replicas (threads split between them)",
            peer="embedding on 1 Ray Serve replica",
            metrics=[Metric("req_s", "requests/s"), Metric("head_cpu_ms", "ms", False)],
            make=replicas,
            derive=_machines,
            only_threads=(nproc,),
            notes=(
                f"{CLIENTS} clients for {SECONDS:g} s, one-text requests; both replicas share this "
                "machine's cores, so this shows a second replica's overhead, not a speed-up. "
                "machines_req_s: N machines, one replica each = min(N x one replica, head cap)"
            ),
        ),
    ]
