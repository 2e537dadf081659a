"""Generated files are deleted after their time to live (issue 11, defect 7)."""

import os
import threading
import time

import pytest

from openvino_ui import outputs
from openvino_ui.outputs import OutputSweeper, output_dir, sweep, sweep_interval


def _file(folder, name, age_s):
    path = folder / name
    path.write_bytes(b"x")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_sweep_removes_only_files_older_than_the_ttl(tmp_path):
    old = _file(tmp_path, "old.wav", 120)
    fresh = _file(tmp_path, "fresh.wav", 5)
    (tmp_path / "sub").mkdir()  # folders are not ours to remove
    assert sweep(tmp_path, max_age_s=60) == 1
    assert not old.exists() and fresh.exists() and (tmp_path / "sub").is_dir()


def test_sweep_of_a_missing_folder_is_a_no_op(tmp_path):
    assert sweep(tmp_path / "gone", 1) == 0


def test_output_folder_is_inside_gradios_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    assert output_dir() == tmp_path / "openvino-ui" and output_dir().is_dir()


def test_interval_is_a_fraction_of_the_ttl_within_bounds():
    assert sweep_interval(0.5) == 1.0
    assert sweep_interval(3600) == 600.0
    assert sweep_interval(40) == 10.0


def test_sweeper_thread_sweeps_until_stopped(tmp_path, monkeypatch):
    swept = threading.Event()
    real_sweep = outputs.sweep

    def recording_sweep(folder, max_age_s, now=None):
        removed = real_sweep(folder, max_age_s, now)
        if removed:
            swept.set()
        return removed

    monkeypatch.setattr(outputs, "sweep", recording_sweep)
    old = _file(tmp_path, "old.wav", 120)
    sweeper = OutputSweeper(ttl_s=2, folder=tmp_path).start()  # looks every second
    try:
        assert swept.wait(timeout=30)
    finally:
        sweeper.stop()
    assert not old.exists()


def test_ttl_must_be_positive():
    with pytest.raises(ValueError):
        OutputSweeper(ttl_s=0)
