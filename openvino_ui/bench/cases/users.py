"""Many users: openvino-ui's `/v1/chat/completions` against llama.cpp's own server (`llama-server -np
N`, its continuous batching) at 1, 2, 4, 8 and 16 concurrent users, on the same Gemma-3-270M
weights (our int8 IR against the Q8_0 and the packaged Q4_K_M GGUF).

Both servers run as child processes on free loopback ports and are driven by the same client
(openvino_ui.bench.load: asyncio + httpx, streamed chat completions). One run of a side is a sweep:
at each user count N, N users start together, each sends one fresh prompt and reads the stream to
the end. Per N:
  agg_tok_s_uN     output tokens of all N replies / wall time from the first request to the last
                   byte (the servers' own `usage` counts; ignore_eos where a server takes it)
  user_tok_s_uN    mean over users of that user's output tokens / its request's wall time
  ttft_p50_uN_ms   median time from sending the request to the first content chunk
  ttft_p95_uN_ms   95th percentile of the same (nearest rank)
Candidate and peer alternate sweep by sweep (the bench's rounds), so each ratio compares the two
servers under the same minute of this CPU.

llama-server is built once by `scripts/llama-server.sh` (from the llama.cpp source the
llama-cpp-python sdist vendors) into ~/.cache/openvino-ui/llama-server/<version>-<flags hash>/;
the flags depend on the CPU: `GGML_NATIVE` unless the CPU has AMX that ggml cannot use, in which
case the CPU's other features are listed one by one and AMX is left out. "Cannot use": the OS
does not grant the tile state, or ggml's tile set-up dies when this machine's compiler builds it
(openvino_ui.bench.amx_probe: Debian 12's g++ 12.2 drops the stores that fill the tile
configuration, and the first AMX matmul dies with SIGSEGV or SIGILL). The flags are in
build-info.json beside the binary and in every record's `resolved` and `info`.

    python -m openvino_ui.bench.cases.users plan [--shell]   # the build plan for this CPU
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ...cpu import cpu_flags
from ..core import Case, Metric

log = logging.getLogger(__name__)

LLAMA_CPP_PYTHON = "0.3.36"  # the sdist whose vendored llama.cpp is built (as scripts/setup.sh pins)
USERS = (1, 2, 4, 8, 16)
N_TOKENS = 128
BINARY_ENV = "OPENVINO_UI_LLAMA_SERVER"  # a llama-server binary to use instead of the built one
CACHE_ENV = "OPENVINO_UI_LLAMA_SERVER_CACHE"
BUILD_COMMAND = "bash scripts/llama-server.sh"

# --- the build plan: AMX and the cmake flags -----------------------------------------------------

_SYS_ARCH_PRCTL = 158  # x86-64
ARCH_GET_XCOMP_PERM = 0x1022
ARCH_REQ_XCOMP_PERM = 0x1023
XFEATURE_XTILEDATA = 18
_AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")


def request_amx(syscall: Any = None) -> tuple[bool, str]:
    """Ask Linux for the AMX tile-data state (arch_prctl ARCH_REQ_XCOMP_PERM, what ggml's AMX
    path does first) and read the permission back; (granted, reason). `syscall` is libc's, or a
    stand-in with the same signature (tests)."""
    if syscall is None:
        if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
            return False, f"not x86-64 Linux ({platform.system()} {platform.machine()})"
        syscall = ctypes.CDLL(None, use_errno=True).syscall
    ctypes.set_errno(0)
    rc = syscall(_SYS_ARCH_PRCTL, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)
    if rc != 0:
        err = ctypes.get_errno()
        return False, f"arch_prctl(ARCH_REQ_XCOMP_PERM) refused: {os.strerror(err) if err else rc}"
    mask = ctypes.c_uint64(0)
    rc = syscall(_SYS_ARCH_PRCTL, ARCH_GET_XCOMP_PERM, ctypes.byref(mask))
    if rc != 0 or not mask.value & (1 << XFEATURE_XTILEDATA):
        return False, f"arch_prctl(ARCH_GET_XCOMP_PERM) does not list tile data (mask {mask.value:#x})"
    return True, "granted"


def amx_status(flags: set[str] | None = None, syscall: Any = None, probe: Any = None) -> dict[str, Any]:
    """Whether ggml may use AMX here: the CPU has it, this OS grants a process its tile state, and
    ggml's tile set-up, built by this machine's compiler, runs (openvino_ui.bench.amx_probe; `probe`
    is a stand-in for tests). `usable` is what the build follows."""
    flags = cpu_flags() if flags is None else flags
    has = all(f in flags for f in _AMX_FLAGS[:2])
    if not has:
        reason = "no amx_tile/amx_int8 in the CPU flags"
        return {"cpu_has_amx": False, "granted": False, "reason": reason, "usable": False}
    granted, reason = request_amx(syscall)
    if not granted:
        return {"cpu_has_amx": True, "granted": False, "reason": reason, "usable": False}
    if probe is None:
        from ..amx_probe import ggml_tile_setup_runs as probe
    runs, how = probe()
    # A probe that could not be built (runs is None) leaves the decision to the grant: the build
    # itself needs the same compiler, and fails loudly if it has none.
    return {"cpu_has_amx": True, "granted": True, "reason": how, "usable": runs is not False}


# cpuinfo flag(s) -> ggml option, for the explicit (non-native) x86 build.
_GGML_FEATURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sse4_2",), "GGML_SSE42"),
    (("avx",), "GGML_AVX"),
    (("avx2",), "GGML_AVX2"),
    (("fma",), "GGML_FMA"),
    (("f16c",), "GGML_F16C"),
    (("bmi2",), "GGML_BMI2"),
    (("avx_vnni",), "GGML_AVX_VNNI"),
    (("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"), "GGML_AVX512"),
    (("avx512vbmi",), "GGML_AVX512_VBMI"),
    (("avx512_vnni",), "GGML_AVX512_VNNI"),
    (("avx512_bf16",), "GGML_AVX512_BF16"),
)


def build_flags(flags: set[str], amx: dict[str, Any]) -> tuple[str, list[str]]:
    """(label, ggml cmake arguments) for this CPU: native unless AMX is present but not usable
    (the OS refuses the tile state, or ggml's tile set-up dies when this compiler builds it)."""
    if not amx["cpu_has_amx"]:
        return "native (no AMX on this CPU)", ["-DGGML_NATIVE=ON"]
    if amx["usable"]:
        return f"native, AMX tiles ({amx['reason']})", ["-DGGML_NATIVE=ON"]
    on = [opt for need, opt in _GGML_FEATURES if all(f in flags for f in need)]
    args = ["-DGGML_NATIVE=OFF"]
    args += [f"-D{opt}={'ON' if opt in on else 'OFF'}" for _, opt in _GGML_FEATURES]
    args += ["-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    label = f"explicit {','.join(o.removeprefix('GGML_').lower() for o in on)}; no AMX ({amx['reason']})"
    return label, args


# Everything else the build sets (no tests, no web UI download, no OpenSSL, one static binary).
COMMON_CMAKE_ARGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DGGML_CCACHE=OFF",
)


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "openvino-ui" / "llama-server"


def plan(flags: set[str] | None = None, amx: dict[str, Any] | None = None) -> dict[str, Any]:
    """What scripts/llama-server.sh builds on this machine and where (the bench finds it there)."""
    flags = cpu_flags() if flags is None else flags
    amx = amx_status(flags) if amx is None else amx
    label, ggml = build_flags(flags, amx)
    cmake_args = [*COMMON_CMAKE_ARGS, *ggml]
    digest = hashlib.sha256(" ".join(cmake_args).encode()).hexdigest()[:10]
    folder = cache_dir() / f"{LLAMA_CPP_PYTHON}-{digest}"
    return {
        "version": LLAMA_CPP_PYTHON,
        "flags": label,
        "cmake_args": cmake_args,
        "amx": amx,
        "dir": str(folder),
        "binary": str(folder / "bin" / "llama-server"),
        "quantize": str(folder / "bin" / "llama-quantize"),
    }


def llama_server() -> tuple[Path, dict[str, Any]]:
    """The llama-server binary for this CPU and its build info; raises if it is not built."""
    env = os.environ.get(BINARY_ENV)
    if env:
        return Path(env), {"binary": env, "flags": f"unknown (from ${BINARY_ENV})"}
    p = plan()
    binary, info = Path(p["binary"]), Path(p["dir"]) / "build-info.json"
    if not (binary.is_file() and os.access(binary, os.X_OK) and info.is_file()):
        raise RuntimeError(f"llama-server is not built for this CPU ({p['flags']}): run `{BUILD_COMMAND}`")
    return binary, _read_build(Path(p["dir"]))


def _read_build(folder: Path) -> dict[str, Any]:
    """build-info.json of a build, with the first line of `llama-server --version` (version.txt)."""
    info = json.loads((folder / "build-info.json").read_text(encoding="utf-8"))
    version = folder / "version.txt"
    if version.is_file():
        lines = version.read_text(encoding="utf-8", errors="replace").splitlines()
        info["llama_cpp"] = next((line for line in lines if line.startswith("version")), "?")
    return info


# --- the GGUF weights -------------------------------------------------------------------------------


def gguf(kind: str) -> Path:
    """The bench's GGUF of the packaged Gemma weights (openvino_ui.bench.assets); without
    llama-cpp-python the Q8_0 requantization is made by the built llama-quantize instead (the same
    llama.cpp function: dequantize the Q4_K_M, quantize to Q8_0)."""
    from .. import assets

    q4km = assets.gemma_gguf("q4_k_m")
    if kind == "q4_k_m":
        return q4km
    try:
        import llama_cpp  # noqa: F401 - only whether assets can requantize in-process
    except ImportError:
        pass
    else:
        return assets.gemma_gguf(kind)
    dst = q4km.parent / f"gemma-3-270m-{kind}.gguf"
    if dst.exists():
        return dst
    quantize = Path(plan()["quantize"])
    if not quantize.is_file():
        raise RuntimeError(
            f"no llama-cpp-python and no llama-quantize to make the {kind} GGUF: run `{BUILD_COMMAND}`"
        )
    tmp = dst.with_suffix(".tmp")
    threads = str(os.cpu_count() or 1)
    done = subprocess.run(
        [str(quantize), "--allow-requantize", str(q4km), str(tmp), kind.upper(), threads],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"llama-quantize to {kind} failed ({done.returncode}): {done.stderr[-500:]}")
    tmp.rename(dst)
    return dst


# --- the two servers ------------------------------------------------------------------------------

# Prompts that make Gemma-3-270M (base, greedy) write long; a fresh tag in front of each request
# keeps either server from reusing a cached prompt prefix (genai's prefix cache and llama-server's
# slot cache would otherwise fake the TTFT).
PROMPTS = (
    "Write the numbers from 1 to 200, separated by commas.",
    "Count from 1 to 300, one number per line.",
    "List the even numbers from 2 to 400, separated by commas.",
    "Write the multiplication table of 7, from 7 x 1 to 7 x 50, one line each.",
)


def _prompt(k: int) -> str:
    tag = int.from_bytes(os.urandom(4), "little") % 1_000_000
    return f"Request {tag:06d}. {PROMPTS[k % len(PROMPTS)]}"


def requests_per_user(users: int) -> int:
    """Sequential requests per user at a level: at least 4 replies per level (for the TTFT
    percentiles at 1 and 2 users), one per user from 4 users on."""
    return max(1, 4 // users)


class _Side:
    """One server behind the shared load client; `run()` is one sweep over USERS."""

    label = "server"

    def __init__(self, server: Any, model: str, extra: dict[str, Any]):
        from ..load import ChildServer

        self.server: ChildServer = server
        self.url = server.base_url + "/v1/chat/completions"
        self.model, self.extra = model, extra
        self.tokens: dict[int, list[float]] = {n: [] for n in USERS}
        self.sample = ""

    def body(self, users: int, user: int, i: int) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": _prompt(user + i)}],
            "max_tokens": N_TOKENS,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
            **self.extra,
        }

    def run(self) -> dict[str, float]:
        from ..load import sweep

        self.server.check()
        levels = sweep(self.url, USERS, self.body, requests_per_user, check=self.server.check)
        out: dict[str, float] = {}
        for n, level in levels.items():
            errors = level.errors()
            if errors:
                self.server.check(grace_s=2.0)  # a dead server: its exit status and log
                raise RuntimeError(
                    f"{self.label}: {len(errors)} of {len(level.all)} requests failed at {n} users: "
                    f"{errors[0]}"
                )
            s = level.summary()
            out |= {
                f"agg_tok_s_u{n}": s["agg_tok_s"],
                f"user_tok_s_u{n}": s["user_tok_s"],
                f"ttft_p50_u{n}_ms": s["ttft_p50_ms"],
                f"ttft_p95_u{n}_ms": s["ttft_p95_ms"],
                f"tokens_u{n}": s["tokens"],
            }
            self.tokens[n].append(s["tokens"])
        self.sample = levels[USERS[0]].all[0].text[:120]
        return out

    def mean_tokens(self) -> dict[str, float]:
        return {f"u{n}": round(statistics.fmean(v), 1) for n, v in self.tokens.items() if v}

    def close(self) -> None:
        self.server.close()


def _accepts(base_url: str, model: str, extra: dict[str, Any]) -> bool:
    """Whether the server takes these extra body fields (a one-token request answered 200)."""
    import httpx

    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, **extra}
    try:
        return httpx.post(base_url + "/v1/chat/completions", json=body, timeout=60).status_code == 200
    except httpx.HTTPError:
        return False


def _candidate_config(threads: int) -> str:
    """A models.yaml with only the chat model: the product's own entry for the gemma3-270m recipe
    and its defaults (batching, queue bounds, properties), on the bench's int8 IR, loaded at start."""
    import yaml

    from .. import assets

    raw: dict[str, Any] = {}
    try:
        raw = yaml.safe_load(Path(os.environ.get("OPENVINO_UI_CONFIG", "models.yaml")).read_text()) or {}
    except (OSError, yaml.YAMLError):
        pass
    defaults = dict(raw.get("defaults") or {})
    entry: dict[str, Any] = {}
    for spec in (raw.get("models") or {}).values():
        if isinstance(spec, dict) and (spec.get("source") or {}).get("recipe") == "gemma3-270m":
            entry = dict(spec)
            break
    entry.pop("source", None)
    entry |= {"task": "llm", "path": str(assets.gemma_ov("int8").resolve()), "preload": True}
    entry["properties"] = {**(entry.get("properties") or {}), "INFERENCE_NUM_THREADS": threads}
    defaults["cache_dir"] = None
    return yaml.safe_dump({"defaults": defaults, "models": {"chat": entry}}, sort_keys=False)


class OpenVINOUISide(_Side):
    """`openvino-ui serve --no-prepare` with only the chat model, as a child process."""

    label = "openvino-ui"

    def __init__(self, threads: int, log_dir: Path):
        from ..load import ChildServer, free_port

        self.config_text = _candidate_config(threads)
        config = log_dir / "users-models.yaml"
        config.write_text(self.config_text, encoding="utf-8")
        port = free_port()
        argv = [sys.executable, "-m", "openvino_ui", "serve", "--no-prepare", "--no-mcp"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--config", str(config)]
        server = ChildServer(
            "openvino-ui",
            argv,
            f"http://127.0.0.1:{port}",
            ready_path="/ready",
            env={"OPENVINO_UI_HUGEPAGES": "0"},
            log_dir=log_dir,
        )
        # Greedy with no repetition penalty, as llama-server samples; ignore_eos (or min_tokens)
        # only if the server takes it (else the prompts make the model write long, and the
        # tokens it actually wrote are counted).
        extra: dict[str, Any] = {"repetition_penalty": 1.0}
        self.eos = "stops at EOS (no ignore_eos/min_tokens in its API)"
        for option in ({"ignore_eos": True}, {"min_tokens": N_TOKENS}):
            if _accepts(server.base_url, "chat", {**extra, **option}):
                extra |= option
                self.eos = f"takes {next(iter(option))}"
                break
        super().__init__(server, "chat", extra)

    def resolved(self) -> dict[str, Any]:
        return {
            "argv": self.server.argv,
            "ready_s": round(self.server.ready_s, 1),
            "models_yaml": self.config_text,
            "eos": self.eos,
        }


class LlamaServerSide(_Side):
    """llama.cpp's `llama-server -np 16` (continuous batching, one slot per user) on a GGUF."""

    label = "llama-server"

    def __init__(self, binary: Path, build: dict[str, Any], model: Path, threads: int, log_dir: Path):
        from ..load import ChildServer, free_port

        self.build, self.model_path = build, model
        slots = max(USERS)
        port = free_port()
        argv = [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port)]
        # 512 tokens of context per slot (a prompt is ~30 tokens, a reply 128); weights in malloc'd
        # memory (as the chat case runs llama.cpp); the same thread count as the candidate.
        argv += ["-np", str(slots), "-c", str(512 * slots), "-t", str(threads), "-tb", str(threads)]
        # Gemma's own chat template (the packaged GGUF carries none: llama-server would use ChatML).
        argv += ["--load-mode", "none", "--chat-template", "gemma", "-a", "gemma"]
        server = ChildServer("llama-server", argv, f"http://127.0.0.1:{port}", "/health", log_dir=log_dir)
        super().__init__(server, "gemma", {"ignore_eos": True, "repeat_penalty": 1.0})

    def resolved(self) -> dict[str, Any]:
        return {
            "argv": self.server.argv,
            "ready_s": round(self.server.ready_s, 1),
            "gguf": self.model_path.name,
            "build": self.build,
        }


# --- cases ----------------------------------------------------------------------------------------


def _metrics() -> list[Metric]:
    targets = {1: 1.0, 8: 1.5, 16: 1.8}
    out = [Metric(f"agg_tok_s_u{n}", "tok/s", True, targets.get(n)) for n in USERS]
    out += [Metric(f"user_tok_s_u{n}", "tok/s", True) for n in USERS]
    out += [Metric(f"ttft_p50_u{n}_ms", "ms", False) for n in USERS]
    out += [Metric(f"ttft_p95_u{n}_ms", "ms", False) for n in USERS]
    return out


def _derive(
    cand: Any, peer: Any, threads: int, medians: dict[str, dict[str, float]], probe: dict[str, Any]
) -> dict[str, Any]:
    """The targets that are not ratios to the peer: at 8 users >= 4x our own 1-user rate and TTFT
    p95 <= 1 s; and the tokens per reply each side actually wrote."""
    out: dict[str, Any] = {}
    for side in ("engine", "peer"):
        m = medians[side]
        scaling = m["agg_tok_s_u8"] / m["agg_tok_s_u1"] if m["agg_tok_s_u1"] > 0 else float("nan")
        out[f"{side}_u8_over_u1"] = round(scaling, 2)
        out[f"{side}_ttft_p95_u8_ms"] = round(m["ttft_p95_u8_ms"], 1)
    out["u8_over_u1_target_4_met"] = out["engine_u8_over_u1"] >= 4.0
    out["ttft_p95_u8_target_1000ms_met"] = out["engine_ttft_p95_u8_ms"] <= 1000.0
    out["tokens_per_reply"] = {"engine": cand.mean_tokens(), "peer": peer.mean_tokens()}
    out["eos"] = {"engine": getattr(cand, "eos", "?"), "peer": "ignore_eos"}
    out["engine_sample"], out["peer_sample"] = cand.sample, peer.sample  # kept in the JSON only
    return out


def build_info() -> dict[str, Any]:
    """The llama-server build this machine uses (or would build), for the records."""
    try:
        p = plan()
    except Exception as exc:  # informative only
        return {"error": str(exc)[:200]}
    if (Path(p["dir"]) / "build-info.json").is_file():
        return _read_build(Path(p["dir"]))
    return {"flags": p["flags"], "cmake_args": p["cmake_args"], "amx": p["amx"], "built": False}


def cases(full: bool) -> list[Case]:
    nproc = os.cpu_count() or 1
    build = build_info()

    def make(kind: str) -> Any:
        def build_sides(threads: int) -> tuple[Any, Any]:
            binary, info = llama_server()  # not built: the case fails, naming the command
            model = gguf(kind)
            log_dir = Path(tempfile.mkdtemp(prefix=f"bench-users-t{threads}-"))
            cand = OpenVINOUISide(threads, log_dir)
            try:
                peer = LlamaServerSide(binary, info, model, threads, log_dir)
            except BaseException:
                cand.close()
                raise
            return cand, peer

        return build_sides

    users = ", ".join(map(str, USERS))
    return [
        Case(
            name=f"users-ov-int8-vs-llama-server-{kind}",
            group="users",
            engine="openvino-ui serve, /v1/chat/completions (int8)",
            peer=f"llama-server -np {max(USERS)} ({kind.upper()})",
            metrics=_metrics(),
            make=make(kind),
            derive=_derive,
            notes=(
                f"{users} concurrent users, streamed, greedy, max_tokens {N_TOKENS} (llama-server "
                f"ignore_eos), fresh prompt per request, >= 4 replies per level; agg = all output "
                f"tokens / level wall time; llama-server build: {build.get('flags', '?')}"
            ),
            info={"llama_server_build": build, "users": list(USERS), "max_tokens": N_TOKENS},
            # Many users are about the whole machine: all threads; --full also runs 1 thread.
            only_threads=None if full else (nproc,),
        )
        # --quick runs the stronger peer (Q4_K_M, faster at one user) to stay within its budget
        for kind in (("q8_0", "q4_k_m") if full else ("q4_k_m",))
    ]


def _main(argv: list[str]) -> int:
    if argv[:1] != ["plan"]:
        print("usage: python -m openvino_ui.bench.cases.users plan [--shell]", file=sys.stderr)
        return 2
    p = plan()
    if "--shell" in argv:
        for key in ("version", "flags", "dir", "binary"):
            print(f"LS_{key.upper()}={shlex.quote(str(p[key]))}")
        print(f"LS_CMAKE_ARGS={shlex.quote(' '.join(p['cmake_args']))}")
        print(f"LS_AMX={shlex.quote(json.dumps(p['amx']))}")
    else:
        print(json.dumps(p, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
