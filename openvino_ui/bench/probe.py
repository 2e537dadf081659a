"""A short machine probe stored with every result, so each figure can be read against the roof:
memory bandwidth (numpy add/triad, 1 thread and all threads), achievable GEMM FLOP/s through
OpenVINO at every precision the CPU offers (f32, and bf16 / f16 where the CPU has them), CPU model
and flags, OpenVINO's capabilities and default precision, versions, load average.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from ..cpu import NOTABLE_FLAGS, cpu_family, cpu_flags, cpu_model


def cpu_info() -> dict[str, Any]:
    flags = cpu_flags()
    return {
        "model": cpu_model(),
        "flags": [f for f in NOTABLE_FLAGS if f in flags],
        "family": cpu_family(flags),  # what `weight_format: auto` decides by (openvino_ui.auto_format)
        "nproc": os.cpu_count(),
    }


def openvino_cpu() -> dict[str, Any]:
    """What OpenVINO's CPU plugin reports: capabilities, the precision hints they allow, and the
    precision it runs by default (bf16 on AVX-512 BF16 and AMX CPUs, f32 elsewhere)."""
    import openvino as ov

    from ..precision import precision_hints

    core = ov.Core()
    capabilities = [str(c) for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]
    return {
        "capabilities": capabilities,
        "precisions": precision_hints(capabilities),
        "default_precision": core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name(),
    }


def _bandwidth(threads: int, n: int, repeats: int) -> dict[str, float]:
    """GB/s of numpy add (a = b + c: 3 streams) and triad (a = b + s*c in two passes: 5 streams),
    each thread working on its own slice (numpy releases the GIL inside ufuncs)."""
    a, b, c = (np.ones(n) for _ in range(3))
    slices = [slice(i * n // threads, (i + 1) * n // threads) for i in range(threads)]

    def add(s: slice) -> None:
        np.add(b[s], c[s], out=a[s])

    def triad(s: slice) -> None:
        np.multiply(c[s], 3.0, out=a[s])
        np.add(a[s], b[s], out=a[s])

    def best(fn: Any) -> float:
        times = []
        for _ in range(repeats):
            workers = [threading.Thread(target=fn, args=(s,)) for s in slices]
            t0 = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            times.append(time.perf_counter() - t0)
        return min(times)

    return {"add_gbs": 3 * 8 * n / best(add) / 1e9, "triad_gbs": 5 * 8 * n / best(triad) / 1e9}


def _gemm(threads: int, precision: str, n: int = 1024, seconds: float = 1.0) -> float:
    """GFLOP/s of an n x n x n MatMul compiled by OpenVINO at `precision` with `threads` threads."""
    import openvino as ov
    import openvino.opset13 as ops

    x = ops.parameter([n, n], ov.Type.f32)
    w = ops.constant(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
    model = ov.Model([ops.matmul(x, w, False, False)], [x])
    compiled = ov.Core().compile_model(
        model,
        "CPU",
        {
            "INFERENCE_NUM_THREADS": threads,
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
        },
    )
    req = compiled.create_infer_request()
    data = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    req.infer([data])
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        req.infer([data])
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - t0) / 1e9


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in (
        "openvino",
        "openvino-genai",
        "torch",
        "transformers",
        "llama-cpp-python",
        "onnxruntime",
        "sentence-transformers",
        "faster-whisper",
        "ctranslate2",
        "gradio",
        "numpy",
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def probe(quick: bool = True) -> dict[str, Any]:
    """About 10 s (quick) or 30 s: bandwidth at 1 and all threads, GEMM peak, CPU, versions."""
    from ..hugepages import thp_mode

    nproc = os.cpu_count() or 1
    n = 16_000_000 if quick else 32_000_000  # 128/256 MB per array: far beyond the caches
    repeats = 4 if quick else 8
    started = time.perf_counter()
    bw1 = [_bandwidth(1, n, repeats)]
    bwn = [_bandwidth(nproc, n, repeats)]
    ov_cpu = openvino_cpu()
    gemm: dict[str, Any] = {}
    # Only the precisions this CPU offers: OpenVINO accepts a bf16 hint on a CPU without bf16 and
    # silently runs f32, which would be recorded as a bf16 peak.
    for prec in ("f32", "bf16", "f16"):
        for t in sorted({1, nproc}):
            if prec not in ov_cpu["precisions"]:
                gemm[f"{prec}_t{t}_gflops"] = "n/a: not offered by this CPU"
                continue
            try:
                gemm[f"{prec}_t{t}_gflops"] = round(_gemm(t, prec, seconds=0.5 if quick else 1.5), 1)
            except Exception as exc:  # a plugin that refuses it after all
                gemm[f"{prec}_t{t}_gflops"] = f"n/a: {str(exc)[:80]}"
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": platform.node(),
        "cpu": cpu_info(),
        "openvino_cpu": ov_cpu,
        "loadavg": os.getloadavg(),
        "bw_1t_gbs": round(statistics.median(b["add_gbs"] for b in bw1), 1),
        "bw_all_gbs": round(statistics.median(b["add_gbs"] for b in bwn), 1),
        "triad_1t_gbs": round(bw1[0]["triad_gbs"], 1),
        "triad_all_gbs": round(bwn[0]["triad_gbs"], 1),
        "gemm": gemm,
        # Page size matters as much as bandwidth for decode (openvino_ui.hugepages).
        "thp_mode": thp_mode(),
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""),
        "versions": versions(),
        # How the llama.cpp peers were built here (AMX tiles only where ggml can use them).
        "llama_server": _llama_server_build(),
        "llama_cpp_python": _llama_cpp_python_build(),
        "probe_s": round(time.perf_counter() - started, 1),
    }


def _llama_server_build() -> dict[str, Any]:
    from .cases.users import build_info

    return build_info()


def _llama_cpp_python_build() -> str:
    """The CPU features the installed llama-cpp-python was compiled with, as ggml reports them
    ("AVX512 = 1 | AMX_INT8 = 1 | ..."): the wheel may predate the current build plan. Read in a
    child process, so the library never loads into the bench's own."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode().strip())"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown: {exc}"[:200]
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return f"not importable: {last}"[:200]
    return out.stdout.strip()


def ov_resolved(xml: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Compile `xml` with `properties` and read back the properties OpenVINO resolved.

    openvino-genai pipelines hide their compiled models, so the same IR is compiled once more
    with the same properties; the cost is a second compile, once per case.
    """
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(
        xml,
        "CPU",
        {k: v for k, v in properties.items() if k.isupper() and k not in ("ATTENTION_BACKEND", "CACHE_DIR")},
    )
    out: dict[str, Any] = {}
    for key in (
        "INFERENCE_NUM_THREADS",
        "PERFORMANCE_HINT",
        "INFERENCE_PRECISION_HINT",
        "NUM_STREAMS",
        "KV_CACHE_PRECISION",
        "ENABLE_HYPER_THREADING",
        "SCHEDULING_CORE_TYPE",
        "DYNAMIC_QUANTIZATION_GROUP_SIZE",
    ):
        try:
            out[key] = str(compiled.get_property(key))
        except Exception:  # not every property exists on every version
            pass
    return out
