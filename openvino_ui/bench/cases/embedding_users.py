"""Embeddings for many clients (issue 13): N concurrent clients, each sending batch-1 requests (one
short text: ~50 characters, ~12 tokens, a few words and a number) to an OpenAI-compatible embeddings
route, one after another, for a fixed number of requests per client. Throughput (requests/s over
the run) and p50/p95 latency per request.

  embed-users-{8,1}-batched-vs-serial: the app (openvino_ui.server.Server around an EnginePool, in
      this process, on a free loopback port, all-MiniLM-L6-v2 int8 with models.yaml's settings)
      with dynamic batching on, against the same model with `batching: false` (today's serialized
      engine) in the same app. 8 clients is the issue's case (target >= 2x requests/s); 1 client is
      the reference (nothing to batch: a lone request only pays batch_wait_ms).
  embed-users-{8,1}-vs-infinity-{torch,onnx}: the batched app against infinity-emb (a
      dynamic-batching embedding server) on the same weights, fp32, with its torch engine and its
      optimum (onnxruntime) engine, as a child process on another loopback port with the case's
      thread count. --quick runs 8 clients at all threads only; --full adds 1 thread and 1 client.

The load comes from a child process (`python -m openvino_ui.bench.cases.embedding_users DRIVE-JSON`):
one thread and one persistent httpx connection per client, released together by a barrier; the
same driver and, in each round, the same texts (seeded by the round) for both sides. Every run is
bounded in requests and in time. A speed-up counts only if the vectors agree: batched vs serialized
cosine >= 0.9999 on every text; against infinity-emb (fp32) cosine >= 0.99.

infinity-emb needs a virtual environment of its own: it pins numpy<2, sentence-transformers<4,
uvicorn<0.33 and typer<0.13, which conflict with this project's. The bench looks for it in
$OPENVINO_UI_INFINITY_VENV, else <bench cache>/infinity-venv (INFINITY_INSTALL below); without it
the infinity cases are recorded as not run, with the reason.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric

log = logging.getLogger(__name__)

CLIENTS = 8
REQUESTS = {8: 32, 1: 64}  # requests per client per run (fixed count; plus the time bound below)
TEXT_CHARS = 40
RUN_DEADLINE_S = 120.0  # a run stops sending after this long, whatever it has left
REQUEST_TIMEOUT_S = 30.0
START_TIMEOUT_S = 300.0  # infinity-emb's start: model load, its warm-up, the ONNX session
SERIAL_MIN_COSINE = 0.9999
PEER_MIN_COSINE = 0.99
INFINITY_VERSION = "0.0.78"
INFINITY_INSTALL = (
    "python3 -m venv {venv} && {venv}/bin/pip install "
    f"'infinity-emb[server,torch,optimum]=={INFINITY_VERSION}' 'torch==2.13.0'"
)
_WORDS = (
    "the model runs on a small machine and answers questions about rivers mountains cities music "
    "history science weather travel food language computer network energy market garden ocean "
    "library student teacher window morning evening summer winter bridge station railway engine "
    "picture story letter number season village forest desert island planet camera kitchen doctor"
).split()


def texts(seed: int, n: int, chars: int = TEXT_CHARS) -> list[str]:
    """`n` English-like texts of about `chars` characters, the same for the same seed."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < chars:
            words.append(str(rng.choice(_WORDS)))
        out.append(" ".join(words).capitalize() + f" {int(rng.integers(1_000_000))}.")
    return out


def summarize(latencies_s: list[float], wall_s: float) -> dict[str, float]:
    """Requests/s over the run's wall time, and p50/p95 per-request latency in ms."""
    if not latencies_s or wall_s <= 0:
        raise ValueError("no request completed")
    ms = np.asarray(latencies_s, dtype=np.float64) * 1000
    return {
        "rps": len(latencies_s) / wall_s,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "requests": float(len(latencies_s)),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --- the load driver (runs in a child process) ---------------------------------------------------


def drive(
    url: str,
    model: str,
    clients: int,
    requests: int,
    seed: int,
    deadline_s: float = RUN_DEADLINE_S,
    vectors: bool = False,
) -> dict[str, Any]:
    """`clients` threads, each POSTing `requests` one-text embedding requests to `url` in turn.
    Text i*requests+j of texts(seed) is client i's j-th. Each client opens its connection (GET
    /health beside the route) before the barrier releases them all; the clock runs from the release
    to the last answer. Nothing is sent after `deadline_s`."""
    import httpx

    sample = texts(seed, clients * requests)
    health = url.rsplit("/", 1)[0].removesuffix("/v1") + "/health"
    latencies: list[list[float]] = [[] for _ in range(clients)]
    rows: list[list[Any]] = [[None] * requests for _ in range(clients)]
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    stop_at = [float("inf")]

    def client(i: int) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
            try:
                http.get(health)
            except httpx.HTTPError as exc:
                errors.append(f"GET {health}: {exc}")
            try:
                barrier.wait(REQUEST_TIMEOUT_S)
            except threading.BrokenBarrierError:
                errors.append("the clients did not start together")
                return
            for j in range(requests):
                if time.monotonic() > stop_at[0]:
                    errors.append(f"the run passed its {deadline_s:g} s bound")
                    return
                t0 = time.perf_counter()
                try:
                    response = http.post(url, json={"model": model, "input": sample[i * requests + j]})
                    if response.status_code != 200:
                        errors.append(f"HTTP {response.status_code}: {response.text[:300]}")
                        continue
                    (item,) = response.json()["data"]
                    embedding = item["embedding"]
                except Exception as exc:  # every failure is counted and reported, none hidden
                    errors.append(f"{type(exc).__name__}: {exc}"[:400])
                    continue
                latencies[i].append(time.perf_counter() - t0)
                if vectors:
                    rows[i][j] = embedding

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait(REQUEST_TIMEOUT_S * 2)
    except threading.BrokenBarrierError:
        errors.append("the clients did not start together")
    started, cpu_started = time.perf_counter(), time.process_time()
    stop_at[0] = time.monotonic() + deadline_s
    for t in threads:
        t.join(max(0.0, stop_at[0] + REQUEST_TIMEOUT_S + 5 - time.monotonic()))
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started  # this driver's own CPU: the load's cost
    if any(t.is_alive() for t in threads):
        errors.append("a client was still waiting for an answer at the run's bound")
    out: dict[str, Any] = {
        "wall_s": wall,
        "client_cpu_s": client_cpu,
        "latencies_s": [x for per in latencies for x in per],
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "expected": clients * requests,
    }
    if vectors:
        out["vectors"] = [row for per in rows for row in per]
    return out


def run_driver(
    url: str, model: str, clients: int, requests: int, seed: int, vectors: bool = False
) -> dict[str, Any]:
    """drive() in a child process (the load's own Python work does not share a GIL with the app
    served in this process); raises if any request failed."""
    spec = {"url": url, "model": model, "clients": clients, "requests": requests, "seed": seed}
    spec["vectors"] = vectors
    done = subprocess.run(
        [sys.executable, "-m", __name__, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S + REQUEST_TIMEOUT_S * 3 + 60,
        env={**os.environ, "OPENVINO_UI_HUGEPAGES": "0"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load driver failed ({done.returncode}): {done.stderr[-800:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(
            f"{result['errors']} of {result['expected']} requests to {url} ({model}) failed; "
            f"first: {result['first_error']}"
        )
    return result


# --- the app (candidate; and the serialized peer) ------------------------------------------------


def _product_settings() -> dict[str, Any]:
    """The dynamic-batching keys (and `instances`, where set) models.yaml gives all-MiniLM-L6-v2:
    the candidate runs as users run it ({} without a models.yaml)."""
    from ...config import load_config
    from ...errors import ConfigError

    path = Path(os.environ.get("OPENVINO_UI_CONFIG", "models.yaml"))
    try:
        cfg = load_config(path)
    except (ConfigError, OSError):
        return {}
    for spec in cfg.models.values():
        if getattr(spec.source, "recipe", None) == "all-minilm-l6-v2":
            keys = ["batching", "max_batch_texts", "batch_wait_ms"]
            keys += [k for k in ("instances",) if k in spec.model_fields_set]
            return {k: getattr(spec, k) for k in keys}
    return {}


class EmbedApp:
    """The app serving one embedding IR twice on loopback: `batched` (dynamic batching with
    `batching`'s keys: the product's settings) and `serial` (batching: false, one instance: today's
    serialized engine). Only the models in `load` are loaded."""

    def __init__(
        self,
        model_dir: Path,
        threads: int,
        load: tuple[str, ...] = ("batched", "serial"),
        properties: dict[str, Any] | None = None,
        pooling: str | None = "mean",
        normalize: bool | None = True,
        batching: dict[str, Any] | None = None,
    ):
        import yaml

        from ...config import parse_config
        from ...pool import EnginePool
        from ...server import ServeOptions, Server
        from ...service import Service

        self.properties = {**(properties or {}), "INFERENCE_NUM_THREADS": threads}
        common: dict[str, Any] = {"task": "embedding", "path": str(model_dir)}
        common["properties"] = self.properties
        if pooling is not None:
            common["pooling"] = pooling
        if normalize is not None:
            common["normalize"] = normalize
        self.batching = {**(batching or {}), "batching": True}
        models = {"batched": {**common, **self.batching}, "serial": {**common, "batching": False}}
        text = yaml.safe_dump({"defaults": {"cache_dir": None}, "models": models}, sort_keys=False)
        self.pool = EnginePool(parse_config(text, Path(tempfile.gettempdir()) / "bench-embed-users.yaml"))
        try:
            self.service = Service(self.pool)
            for name in load:
                self.service.load(name)
            options = ServeOptions(host="127.0.0.1", port=_free_port(), mcp=False)
            self.server = Server(self.pool, options).start()
        except BaseException:
            self.pool.close()
            raise
        self.url = self.server.url + "v1/embeddings"

    def pipeline_calls(self, model: str) -> int:
        batcher = getattr(self.pool.get(model), "batcher", None)
        return batcher.pipeline_calls if batcher is not None else 0

    def close(self) -> None:
        try:
            self.server.close()
        finally:
            self.pool.close()


class _Side:
    """One side of a case: the driver against one server and model. Its k-th run uses the texts of
    seed `seed + k`, so both sides of a round embed the same texts."""

    def __init__(self, label: str, url: str, model: str, clients: int, seed: int):
        self.label, self.url, self.model, self.clients, self.seed = label, url, model, clients, seed
        self.runs = 0
        self.requests = REQUESTS.get(clients, 32)

    def _drive(self) -> dict[str, Any]:
        self.runs += 1
        return run_driver(self.url, self.model, self.clients, self.requests, self.seed + self.runs)

    def run(self) -> dict[str, float]:
        result = self._drive()
        out = summarize(result["latencies_s"], result["wall_s"])
        # What the load generator itself took of this machine's CPUs while it ran (it shares them).
        out["client_cpu_ms_per_request"] = 1000 * result.get("client_cpu_s", 0.0) / out["requests"]
        return out

    def vectors(self, seed: int, clients: int = CLIENTS, requests: int = 4) -> np.ndarray:
        result = run_driver(self.url, self.model, clients, requests, seed, vectors=True)
        return np.asarray(result["vectors"], dtype=np.float32)

    def close(self) -> None:
        pass


class AppSide(_Side):
    """A model of EmbedApp; records the mean texts per pipeline call of each run (batched model)."""

    def __init__(self, app: EmbedApp, model: str, clients: int, seed: int, owner: bool):
        label = "batched" if model == "batched" else "batching: false"
        super().__init__(label, app.url, model, clients, seed)
        self.app, self.owner = app, owner
        self.mean_batch: list[float] = []

    def run(self) -> dict[str, float]:
        calls = self.app.pipeline_calls(self.model)
        cpu = _process_cpu_s()
        out = super().run()
        # The app's CPU (every thread: HTTP, Python, OpenVINO) per request served.
        out["server_cpu_ms_per_request"] = 1000 * (_process_cpu_s() - cpu) / out["requests"]
        made = self.app.pipeline_calls(self.model) - calls
        if made:
            self.mean_batch.append(out["requests"] / made)
        return out

    def resolved(self) -> dict[str, Any]:
        spec = self.app.pool.config.models[self.model]
        return {
            "model": self.model,
            "properties": self.app.properties,
            "batching": spec.batching,
            "max_batch_texts": spec.max_batch_texts,
            "batch_wait_ms": spec.batch_wait_ms,
            "instances": getattr(spec, "instances", 1),
            "clients": self.clients,
            "requests_per_client": self.requests,
        }

    def close(self) -> None:
        if self.owner:
            self.app.close()


# --- infinity-emb (peer, child process) ----------------------------------------------------------


class PeerUnavailable(RuntimeError):
    """The peer cannot run on this machine; the message says why."""


def infinity_venv() -> Path:
    from .. import assets

    env = os.environ.get("OPENVINO_UI_INFINITY_VENV")
    return Path(env) if env else assets.cache_root() / "infinity-venv"


def infinity_python() -> Path:
    """The Python of infinity-emb's own virtual environment (PeerUnavailable if there is none)."""
    venv = infinity_venv()
    python = venv / "bin" / "python"
    reason = (
        f"infinity-emb is not installed in {venv}: it needs a virtual environment of its own (it pins "
        "numpy<2, sentence-transformers<4, uvicorn<0.33, typer<0.13, which conflict with this one's); "
        f"create it with: {INFINITY_INSTALL.format(venv=venv)}"
    )
    if not python.exists():
        raise PeerUnavailable(reason)
    check = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('infinity-emb'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check.returncode != 0:
        raise PeerUnavailable(reason)
    return python


def infinity_onnx_dir(python: Path) -> Path:
    """A folder infinity-emb's optimum engine can load: the packaged sentence-transformers files
    plus model.onnx (fp32, last_hidden_state), exported with the optimum of infinity's own venv.
    model.onnx sits at the top: infinity 0.0.78 passes the file's path as optimum's `file_name`,
    which optimum 2.x matches against bare file names only, so infinity runs from inside this folder
    with `--model-id .`."""
    from .. import assets

    dst = assets.cache_root() / "minilm" / "infinity-onnx"
    if (dst / "model.onnx").exists():
        return dst
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(assets.minilm_dir(), tmp)
    export = tmp / "export"
    log.info("exporting all-MiniLM-L6-v2 to ONNX for infinity-emb -> %s", dst)
    done = subprocess.run(
        [str(python.parent / "optimum-cli"), "export", "onnx", "--model", str(assets.minilm_dir())]
        + ["--task", "feature-extraction", "--library", "transformers", str(export)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if done.returncode != 0 or not (export / "model.onnx").exists():
        raise RuntimeError(f"the ONNX export for infinity-emb failed: {done.stderr[-800:]}")
    shutil.move(export / "model.onnx", tmp / "model.onnx")
    shutil.rmtree(export)
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
    return dst


# Run in infinity's Python: its inference gets the case's thread count (infinity has no option for
# it), said in its log for resolved(); then infinity's own CLI.
_LAUNCHER = """
import os, sys
threads = int(os.environ["OPENVINO_UI_BENCH_THREADS"])
if "--engine=optimum" in sys.argv:
    import onnxruntime as ort
    _init = ort.InferenceSession.__init__
    def _with_threads(self, path_or_bytes, sess_options=None, *args, **kwargs):
        sess_options = sess_options or ort.SessionOptions()
        sess_options.intra_op_num_threads = threads
        sess_options.inter_op_num_threads = 1
        print(f"bench-threads: onnxruntime intra_op_num_threads={threads}", file=sys.stderr, flush=True)
        _init(self, path_or_bytes, sess_options, *args, **kwargs)
    ort.InferenceSession.__init__ = _with_threads
else:
    import torch
    torch.set_num_threads(threads)
    print(f"bench-threads: torch num_threads={torch.get_num_threads()}", file=sys.stderr, flush=True)
from infinity_emb.cli import cli
sys.argv = ["infinity_emb", *sys.argv[1:]]
cli()
"""


class InfinityServer:
    """infinity-emb serving all-MiniLM-L6-v2 (fp32) on a free loopback port, as a child process in a
    session of its own; waits (bounded) until /health answers. A crash while starting raises with
    the end of its log."""

    def __init__(self, engine: str, threads: int, python: Path | None = None, folder: Path | None = None):
        from .. import assets

        python = python or infinity_python()
        self.engine, self.threads = engine, threads
        if folder is None:
            folder = infinity_onnx_dir(python) if engine == "optimum" else assets.minilm_dir()
        # optimum: from inside the folder (see infinity_onnx_dir)
        model_id = "." if engine == "optimum" else str(folder)
        self.port = _free_port()
        args = [
            "v2",
            f"--model-id={model_id}",
            "--served-model-name=minilm",
            f"--engine={engine}",
            "--device=cpu",
            "--pooling-method=mean",
            "--host=127.0.0.1",
            f"--port={self.port}",
            "--log-level=warning",
            "--no-vector-disk-cache",
        ]
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "DO_NOT_TRACK": "1",
            "INFINITY_ANONYMOUS_USAGE_STATS": "0",
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "OPENVINO_UI_BENCH_THREADS": str(threads),
        }
        env.pop("PYTHONPATH", None)
        self.log_file = tempfile.NamedTemporaryFile(prefix="bench-infinity-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [str(python), "-c", _LAUNCHER, *args],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + "/embeddings"
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        self.version = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('infinity-emb'))"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"infinity-emb ({self.engine}) exited with code {self.proc.returncode} while "
                    f"starting: {self.log_tail()}"
                )
            try:
                if httpx.get(self.root + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"infinity-emb ({self.engine}) did not answer /health within {START_TIMEOUT_S:g} s: "
            f"{self.log_tail()}"
        )

    def applied(self) -> list[str]:
        """The thread settings the launcher applied, as it logged them."""
        return sorted(
            {line.split(":", 1)[1].strip() for line in self._log_lines() if line.startswith("bench-threads:")}
        )

    def _log_lines(self) -> list[str]:
        try:
            text = Path(self.log_file.name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()]

    def log_tail(self, chars: int = 600) -> str:
        return " | ".join(self._log_lines())[-chars:] or "(no output)"

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)


class InfinitySide(_Side):
    def __init__(self, server: InfinityServer, clients: int, seed: int):
        super().__init__(f"infinity-emb {server.engine}", server.url, "minilm", clients, seed)
        self.server = server

    def run(self) -> dict[str, float]:
        if self.server.proc.poll() is not None:
            raise RuntimeError(
                f"infinity-emb exited (code {self.server.proc.returncode}): {self.server.log_tail()}"
            )
        return super().run()

    def resolved(self) -> dict[str, Any]:
        return {
            "infinity_emb": self.server.version,
            "engine": self.server.engine,
            "dtype": "float32",
            "threads": self.server.threads,
            "applied": self.server.applied(),
            "clients": self.clients,
            "requests_per_client": self.requests,
        }

    def close(self) -> None:
        self.server.close()


# --- quality and the cases -----------------------------------------------------------------------

_QUALITY_SEED = 1_000_003


def _quality(threshold: float) -> Any:
    def quality(cand: AppSide, peer: _Side) -> dict[str, Any]:
        """Cosine of the candidate's vectors to the peer's, 8 concurrent clients x 4 texts (the
        candidate's requests batched as in the runs)."""
        calls = cand.app.pipeline_calls(cand.model)
        got = cand.vectors(_QUALITY_SEED)
        made = cand.app.pipeline_calls(cand.model) - calls
        reference = peer.vectors(_QUALITY_SEED)
        cos = cosines(got, reference)
        out: dict[str, Any] = {
            "min_cosine": round(float(cos.min()), 6),
            "texts": int(len(cos)),
            "ok": bool(cos.min() >= threshold),
        }
        if made:
            out["mean_batch"] = round(len(cos) / made, 2)
        return out

    return quality


def _process_cpu_s() -> float:
    """User + system CPU seconds of this process, all its threads (the app runs in it)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _derive(cand: Any, peer: Any, threads: int, medians: Any, probe: Any) -> dict[str, Any]:
    batches = getattr(cand, "mean_batch", [])
    return {"mean_batch_median": round(statistics.median(batches), 2)} if batches else {}


def cpu_per_request(record: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Median CPU ms per request of the app and of the load generator, per side, from a record's
    rounds (where the 2 vCPUs of a small machine went)."""
    out: dict[str, dict[str, float]] = {}
    for side in ("cand", "peer"):
        for key in ("server_cpu_ms_per_request", "client_cpu_ms_per_request"):
            values = [r[side][key] for r in record.get("rounds", []) if key in r[side]]
            if values:
                out.setdefault(side, {})[key] = round(statistics.median(values), 3)
    return out


def cases(full: bool) -> list[Case]:
    from .. import assets

    seed = int(time.time()) % 1_000_000 * 1000  # fresh texts per bench run, shared by both sides

    def app(t: int, load: tuple[str, ...]) -> EmbedApp:
        return EmbedApp(
            assets.minilm_ov("int8"),
            t,
            load,
            properties=assets.product_properties("all-minilm-l6-v2"),
            batching=_product_settings(),
        )

    def serial(clients: int) -> Any:
        def make(t: int) -> tuple[AppSide, AppSide]:
            a = app(t, ("batched", "serial"))
            return AppSide(a, "batched", clients, seed, owner=True), AppSide(
                a, "serial", clients, seed, False
            )

        return make

    def infinity(engine: str, clients: int) -> Any:
        def make(t: int) -> tuple[AppSide, InfinitySide]:
            python = infinity_python()  # before loading anything: a missing peer fails fast
            server = InfinityServer(engine, t, python)
            try:
                a = app(t, ("batched",))
            except BaseException:
                server.close()
                raise
            return AppSide(a, "batched", clients, seed, owner=True), InfinitySide(server, clients, seed)

        return make

    def metrics(target: float | None) -> list[Metric]:
        return [
            Metric("rps", "requests/s", True, target),
            Metric("p50_ms", "ms", False),
            Metric("p95_ms", "ms", False),
        ]

    def load(clients: int) -> str:
        return (
            f"{clients} concurrent client(s), each {REQUESTS[clients]} sequential POSTs of one "
            "~50-character (~12-token) text, one persistent connection each, load from a child process"
        )

    engine = "REST /v1/embeddings, MiniLM int8, dynamic batching"
    out = [
        Case(
            name="embed-users-8-batched-vs-serial",
            group="embedding-users",
            engine=engine,
            peer="the same model with batching: false (serialized)",
            metrics=metrics(2.0),
            make=serial(8),
            quality=_quality(SERIAL_MIN_COSINE),
            derive=_derive,
            notes=load(8) + f"; quality: batched vs serialized vectors, cosine >= {SERIAL_MIN_COSINE}",
        ),
        Case(
            name="embed-users-1-batched-vs-serial",
            group="embedding-users",
            engine=engine,
            peer="the same model with batching: false (serialized)",
            metrics=metrics(None),
            make=serial(1),
            quality=_quality(SERIAL_MIN_COSINE),
            derive=_derive,
            notes=load(1) + "; reference: nothing to batch, a lone request waits batch_wait_ms",
        ),
    ]
    # --quick runs the peer at all threads only (its start costs ~30 s per thread count).
    peer_threads = None if full else (os.cpu_count() or 1,)
    for name, label in (("torch", "torch"), ("optimum", "onnx")):
        for clients in (8, 1) if full else (8,):
            out.append(
                Case(
                    name=f"embed-users-{clients}-vs-infinity-{label}",
                    group="embedding-users",
                    engine=engine,
                    peer=f"infinity-emb {INFINITY_VERSION} --engine {name} (fp32, dynamic batching)",
                    metrics=metrics(None),
                    make=infinity(name, clients),
                    quality=_quality(PEER_MIN_COSINE),
                    derive=_derive,
                    notes=load(clients)
                    + f"; quality: cosine to infinity-emb's fp32 vectors >= {PEER_MIN_COSINE}",
                    only_threads=peer_threads,
                )
            )
    return out


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print(json.dumps(drive(**spec)))
