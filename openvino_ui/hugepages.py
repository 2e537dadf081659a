"""Back the process's large allocations with transparent huge pages.

Decoding walks every weight of the model once per token, so TLB misses on 4 KiB pages cost real
time. Most Linux machines run transparent huge pages in `madvise` mode, and OpenVINO does not
madvise its buffers; glibc's `glibc.malloc.hugetlb=1` tunable makes malloc do it. Measured on
Gemma-3-270M int8, 1 thread: 45-59 tok/s (varying with where the buffers land) -> 60-63 tok/s
(benchmarks/investigations/hugepages.py). glibc reads tunables only at start-up, so `serve` and
`bench` re-execute themselves once with the tunable set. OPENVINO_UI_HUGEPAGES=0 turns this off.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
from pathlib import Path

log = logging.getLogger(__name__)

TUNABLE = "glibc.malloc.hugetlb=1"
THP_MODE_FILE = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def thp_mode(path: Path = THP_MODE_FILE) -> str | None:
    """The kernel's transparent-huge-page mode (always / madvise / never), None if unknown."""
    try:
        text = path.read_text()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1 : end] if 0 <= start < end else None


def with_tunable(existing: str | None) -> str:
    """GLIBC_TUNABLES with malloc's huge-page tunable added (kept if already there)."""
    items = [t for t in (existing or "").split(":") if t]
    if not any(t.startswith("glibc.malloc.hugetlb=") for t in items):
        items.append(TUNABLE)
    return ":".join(items)


def wanted(environ: dict[str, str] | None = None, mode: str | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OPENVINO_UI_HUGEPAGES", "1") == "0":
        return False
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "glibc.malloc.hugetlb=" in env.get("GLIBC_TUNABLES", ""):
        return False  # already set (by us before the re-exec, or by the user)
    return (mode if mode is not None else thp_mode()) in ("madvise", "always")


def reexec_with_hugepages() -> None:
    """Replace this process by the same command with the tunable set; return if not wanted."""
    if not wanted():
        return
    env = dict(os.environ, GLIBC_TUNABLES=with_tunable(os.environ.get("GLIBC_TUNABLES")))
    argv = [sys.executable, *sys.orig_argv[1:]]
    log.info("restarting with GLIBC_TUNABLES=%s (huge pages for model weights)", env["GLIBC_TUNABLES"])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, argv, env)
    except OSError as exc:  # keep running with ordinary pages
        log.warning("could not restart with huge pages (%s); continuing without", exc)
