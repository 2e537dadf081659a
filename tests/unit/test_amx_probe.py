"""The probe that decides whether the llama.cpp peers are built with AMX: it compiles and runs a
program in a child, and how the child ends is the answer."""

from __future__ import annotations

import pytest

from openvino_ui.bench import amx_probe
from openvino_ui.cpu import cpu_flags

needs_compiler = pytest.mark.skipif(amx_probe.compiler() is None, reason="no C++ compiler on PATH")


@needs_compiler
def test_a_clean_run_means_ggml_may_use_the_tiles():
    runs, how = amx_probe.tile_setup_runs("int main() { return 0; }")
    assert runs is True and how.endswith("runs") and "-O3 -march=native" in how


@needs_compiler
def test_a_child_killed_by_a_signal_is_named_by_its_signal():
    source = "#include <csignal>\nint main() { std::raise(SIGSEGV); return 0; }"
    runs, how = amx_probe.tile_setup_runs(source)
    assert runs is False and how.endswith("dies with SIGSEGV")


@needs_compiler
def test_a_refused_tile_state_is_told_apart_from_a_crash():
    runs, how = amx_probe.tile_setup_runs("int main() { return 3; }")
    assert runs is False and "refused the tile state" in how


@needs_compiler
def test_a_probe_that_does_not_build_decides_nothing():
    runs, how = amx_probe.tile_setup_runs("this is not C++")
    assert runs is None and "could not build the probe" in how


def test_without_a_compiler_nothing_is_probed(monkeypatch):
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(amx_probe.shutil, "which", lambda name: None)
    assert amx_probe.compiler() is None
    runs, how = amx_probe.tile_setup_runs()
    assert runs is None and "no C++ compiler" in how


@needs_compiler
def test_ggmls_own_tile_set_up_builds_and_answers_on_any_cpu():
    # Building it must never be the problem. On an AMX CPU either answer is right (it depends on the
    # compiler); elsewhere the OS refuses the tile state before any AMX instruction runs, so the
    # probe is safe to run on every CPU and says no.
    runs, how = amx_probe.tile_setup_runs()
    if {"amx_tile", "amx_int8"} <= cpu_flags():
        assert runs in (True, False), how
    else:
        assert runs is False and "refused the tile state" in how, how
