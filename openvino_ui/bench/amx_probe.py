"""Does ggml's AMX path run when this machine's compiler builds it?

The OS granting the tile state is not enough. On an Intel Xeon (Sapphire Rapids, KVM) whose OS
grants it, llama.cpp built with GGML_NATIVE by Debian 12's g++ 12.2 died in its first AMX matmul:
SIGSEGV on `ldtilecfg` (seen in gdb) because the compiler had dropped the stores that fill the tile
configuration, or SIGILL on `tilezero` when a zeroed configuration loaded. The same g++ with
`-fno-dse -fno-tree-dse` gets it right, so it is the compiler, not the CPU or the OS.

So before the build this module compiles ggml's tile set-up as ggml writes it (a struct with
default member initialisers, filled field by field, loaded once per thread) with the compiler and
the optimisation the build uses, runs it in a child process and reports how it ended. A probe that
dies means the build leaves AMX out (openvino_ui.bench.cases.users.build_flags).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

# ggml-cpu/amx/mmq.cpp's tile_config_t and ggml_tile_config_init (llama.cpp as vendored by
# llama-cpp-python 0.3.36), then one tile instruction that needs the configuration.
TILE_SETUP_SOURCE = r"""
#include <cstdint>
#include <cstdio>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tile_config_t {
    uint8_t palette_id = 0;
    uint8_t start_row = 0;
    uint8_t reserved_0[14] = {0};
    uint16_t colsb[16] = {0};
    uint8_t rows[16] = {0};
};

__attribute__((noinline)) void tile_config_init() {
    static thread_local bool done = false;
    if (done) return;
    alignas(64) tile_config_t tc = {};
    tc.palette_id = 1;
    tc.start_row = 0;
    tc.rows[0] = 8;   tc.colsb[0] = 64;
    tc.rows[1] = 8;   tc.colsb[1] = 64;
    tc.rows[2] = 16;  tc.colsb[2] = 32;
    tc.rows[3] = 16;  tc.colsb[3] = 32;
    tc.rows[4] = 16;  tc.colsb[4] = 64;
    tc.rows[5] = 16;  tc.colsb[5] = 64;
    tc.rows[6] = 16;  tc.colsb[6] = 64;
    tc.rows[7] = 16;  tc.colsb[7] = 64;
    _tile_loadconfig(&tc);
    done = true;
}

int main() {
    if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */)) return 3;
    tile_config_init();
    _tile_zero(4);
    _tile_release();
    std::puts("tiles ran");
    return 0;
}
"""

# What scripts/llama-server.sh and the llama-cpp-python build compile ggml with (Release, native).
BUILD_FLAGS = ("-O3", "-march=native")


def compiler() -> str | None:
    """The C++ compiler cmake would pick first: $CXX, else c++ / g++ / clang++ on PATH."""
    env = os.environ.get("CXX")
    if env:
        return env
    return next((shutil.which(c) for c in ("c++", "g++", "clang++") if shutil.which(c)), None)


def _version(cxx: str) -> str:
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return cxx
    return (out.splitlines() or [cxx])[0].strip()


def _ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"dies with {signal.Signals(-returncode).name}"
        except ValueError:
            return f"dies with signal {-returncode}"
    if returncode == 3:
        return "is refused the tile state by the OS"
    return f"exits with {returncode}"


def tile_setup_runs(source: str = TILE_SETUP_SOURCE, cxx: str | None = None) -> tuple[bool | None, str]:
    """(True, how) when the probe built from `source` runs clean, (False, why) when it does not,
    (None, why) when it could not be built (no compiler, or the compiler lacks the AMX intrinsics)."""
    cxx = cxx or compiler()
    if cxx is None:
        return None, "not probed: no C++ compiler on PATH (set CXX)"
    name = _version(cxx)
    with tempfile.TemporaryDirectory(prefix="amx-probe-") as tmp:
        src, exe = Path(tmp) / "probe.cpp", Path(tmp) / "probe"
        src.write_text(source, encoding="utf-8")
        try:
            built = subprocess.run(
                [cxx, *BUILD_FLAGS, "-mamx-tile", "-mamx-int8", str(src), "-o", str(exe)],
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"not probed: {name} could not run ({exc})"
        if built.returncode != 0:
            first = (built.stderr.strip().splitlines() or ["?"])[0][:160]
            return None, f"not probed: {name} could not build the probe ({first})"
        try:
            ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return False, f"ggml's AMX tile set-up built by {name} {' '.join(BUILD_FLAGS)} hangs"
    what = f"ggml's AMX tile set-up built by {name} {' '.join(BUILD_FLAGS)}"
    if ran.returncode == 0:
        return True, f"{what} runs"
    return False, f"{what} {_ended(ran.returncode)}"


@functools.cache
def ggml_tile_setup_runs() -> tuple[bool | None, str]:
    """tile_setup_runs() of ggml's own set-up with this machine's compiler, once per process: the
    build plan is asked for by the probe, the case list and the server start of one bench run."""
    return tile_setup_runs()
