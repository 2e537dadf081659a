"""openvino_ui.hugepages: when serve/bench restart with huge-page malloc, and that they do."""

import os
import subprocess
import sys

from openvino_ui import hugepages


def test_thp_mode_reads_the_bracketed_choice(tmp_path):
    f = tmp_path / "enabled"
    f.write_text("always [madvise] never\n")
    assert hugepages.thp_mode(f) == "madvise"
    assert hugepages.thp_mode(tmp_path / "missing") is None


def test_tunable_is_appended_once():
    assert hugepages.with_tunable(None) == "glibc.malloc.hugetlb=1"
    assert (
        hugepages.with_tunable("glibc.malloc.arena_max=2")
        == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    )
    assert hugepages.with_tunable("glibc.malloc.hugetlb=0") == "glibc.malloc.hugetlb=0"  # the user's choice


def test_wanted_only_when_useful_and_not_opted_out():
    linux_glibc = sys.platform == "linux"
    assert hugepages.wanted({}, "madvise") is linux_glibc
    assert hugepages.wanted({}, "always") is linux_glibc
    assert not hugepages.wanted({}, "never")
    assert not hugepages.wanted({}, "unknown")
    assert not hugepages.wanted({"OPENVINO_UI_HUGEPAGES": "0"}, "madvise")
    assert not hugepages.wanted({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, "madvise")


def test_serve_entry_restarts_once_with_the_tunable():
    code = (
        "import os, sys\n"
        "from openvino_ui.hugepages import reexec_with_hugepages\n"
        "reexec_with_hugepages()\n"
        "print('TUNABLES=' + os.environ.get('GLIBC_TUNABLES', ''))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "OPENVINO_UI_HUGEPAGES")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("TUNABLES=")]
    assert len(lines) == 1  # the re-executed process printed; the first one never got there
    expected = "glibc.malloc.hugetlb=1" if hugepages.wanted(env) else ""
    assert lines[0] == "TUNABLES=" + expected
    off = dict(env, OPENVINO_UI_HUGEPAGES="0")
    out = subprocess.run([sys.executable, "-c", code], env=off, capture_output=True, text=True, check=True)
    assert "TUNABLES=\n" in out.stdout
