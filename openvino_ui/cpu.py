"""What this machine's CPU is: its model name and instruction-set flags (from /proc/cpuinfo) and the
family they put it in, as far as OpenVINO's CPU plugin runs a model differently.

One reader for everyone who asks: the bench's machine probe, the llama.cpp peer's build plan, and
the `weight_format: auto` choice (openvino_ui.auto_format). Nothing is read at import time.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Literal

CPUINFO = Path("/proc/cpuinfo")

# From the fastest matrix path OpenVINO's CPU plugin has on a CPU to the slowest, as it picks
# kernels: AMX tiles (bf16 and int8 matrix units, Sapphire Rapids and later), AVX-512 with bf16
# dot products (Cooper Lake, AMD Zen 4/5: bf16 is OpenVINO's default inference precision there
# too), plain AVX-512 (f32 by default, VNNI for int8 on most), AVX2 (laptops, older servers), and
# anything else (ARM, or no /proc/cpuinfo at all).
Family = Literal["amx", "avx512_bf16", "avx512", "avx2", "other"]
FAMILIES: tuple[Family, ...] = ("amx", "avx512_bf16", "avx512", "avx2", "other")

# The flags worth recording beside a measurement (the bench's probe lists these).
NOTABLE_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_bf16",
    "amx_int8",
    "amx_tile",
)


def _cpuinfo_text(cpuinfo: str | None) -> str:
    if cpuinfo is not None:
        return cpuinfo
    try:
        return CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux, or a sandbox without /proc: no flags known
        return ""


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The `flags` of /proc/cpuinfo (or of the text given); empty where there is none (ARM lists
    `Features` instead, which none of the x86 families below need)."""
    for line in _cpuinfo_text(cpuinfo).splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name, e.g. "AMD EPYC 9R14" (platform.processor() where /proc has none)."""
    for line in _cpuinfo_text(cpuinfo).splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def cpu_family(flags: set[str] | frozenset[str]) -> Family:
    """The family of a CPU with these flags (see Family). AMX counts only where Linux lists
    amx_bf16 and amx_tile: a kernel without AMX support hides them, and OpenVINO cannot use it."""
    if {"amx_bf16", "amx_tile"} <= flags:
        return "amx"
    if "avx512_bf16" in flags:
        return "avx512_bf16"
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return "other"


def usable_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the host has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1
