"""server_stats' telemetry (openvino_ui.telemetry) on fake engines: request counts through the pool's
observers, the one-minute window on a fake clock, the bounded history, the sampler thread's start and
stop, one telemetry per pool, and device memory from a fake GPU whose properties may fail."""

from __future__ import annotations

import threading
from importlib import metadata

import pytest

from openvino_ui.device_memory import device_memory
from openvino_ui.service import Service
from openvino_ui.stats import RequestRecord
from openvino_ui.telemetry import (
    HISTORY_S,
    MIB,
    SAMPLE_S,
    WINDOW_S,
    ServerTelemetry,
    telemetry_of,
)

from .fakes import FakeCore, fake_pool, reset_fakes, wait_until


@pytest.fixture(autouse=True)
def _fresh_fakes():
    reset_fakes()
    yield
    reset_fakes()


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeGPUCore(FakeCore):
    """A machine with a CPU, two GPUs and an NPU: GPU.0 and the NPU report memory, GPU.1's queries
    fail (an old driver). Records every memory property it is asked for."""

    def __init__(self) -> None:
        super().__init__(("CPU", "GPU.0", "GPU.1", "NPU"))
        self.asked: list[tuple[str, str]] = []

    def get_property(self, device: str, name: str) -> object:
        self.asked.append((device, name))
        if device == "GPU.1":
            raise RuntimeError("Unsupported property GPU_MEMORY_STATISTICS by CPU plugin")
        if name == "GPU_DEVICE_TOTAL_MEM_SIZE":
            return 16 * 1024 * MIB
        if name == "GPU_MEMORY_STATISTICS":
            return {"usm_device": 512 * MIB, "usm_host": 256 * MIB, "bogus": "n/a"}
        if name == "NPU_DEVICE_TOTAL_MEM_SIZE":
            return 4096 * MIB
        if name == "NPU_DEVICE_ALLOC_MEM_SIZE":
            return 100 * MIB
        return super().get_property(device, name)


def record(ok: bool = True, latency_s: float | None = 0.1) -> RequestRecord:
    return RequestRecord("a", "llm", "CPU", ok, latency_s, 0.0 if latency_s is not None else None)


def test_requests_of_every_model_are_counted_through_the_pool():
    pool = fake_pool()
    telemetry = ServerTelemetry(pool)
    pool.get("a").work()
    pool.get("e").work()
    with pytest.raises(ValueError):
        pool.get("b").work(fail=True)
    stats = telemetry.stats()
    assert (stats.requests_total, stats.failures_total) == (3, 1)
    assert stats.active_models == ("a", "b", "e") and stats.models_configured == 3
    assert stats.avg_inference_ms is not None and stats.avg_inference_ms >= 0
    telemetry.close()
    pool.get("a").work()  # closed: no longer observing
    assert telemetry.stats().requests_total == 3
    pool.close()


def test_the_window_covers_the_last_minute():
    clock = Clock()
    pool = fake_pool()
    telemetry = ServerTelemetry(pool, clock=clock)
    clock.now += 0.5
    for latency in (0.1, 0.3):
        telemetry.observe(record(latency_s=latency))
    telemetry.observe(record(ok=False, latency_s=None))  # never reached a model: not in the average
    rate, average = telemetry.window()
    assert rate == 3.0  # younger than 1 s: over 1 s
    assert average == pytest.approx(200.0)
    clock.now += 29.5  # 30 s up: over the uptime
    assert telemetry.window()[0] == pytest.approx(3 / 30)
    clock.now += 20  # 50 s up
    telemetry.observe(record(latency_s=0.5))
    assert telemetry.window() == (pytest.approx(4 / 50), pytest.approx(300.0))
    clock.now += 31  # 81 s up: over the whole window; the first three left it
    assert telemetry.window() == (pytest.approx(1 / WINDOW_S), pytest.approx(500.0))
    clock.now += WINDOW_S
    assert telemetry.window() == (0.0, None)
    stats = telemetry.stats()
    assert (stats.requests_total, stats.failures_total, stats.window_s) == (4, 1, WINDOW_S)
    assert stats.uptime_s == pytest.approx(0.5 + 29.5 + 20 + 31 + WINDOW_S)
    pool.close()


def test_the_window_holds_one_entry_per_second_at_most():
    clock = Clock()
    telemetry = ServerTelemetry(fake_pool(), clock=clock)
    for _ in range(5 * WINDOW_S):
        telemetry.observe(record())
        clock.now += 0.5
    assert len(telemetry._seconds) <= WINDOW_S
    # whole seconds: the oldest may just have left the window
    assert telemetry.window()[0] == pytest.approx(2.0, abs=0.05)


def test_the_history_keeps_the_last_ten_minutes():
    clock = Clock()
    telemetry = ServerTelemetry(fake_pool(), clock=clock)
    assert telemetry.history() == []
    limit = int(HISTORY_S / SAMPLE_S)
    for _ in range(limit + 30):
        point = telemetry.sample_now()
        clock.now += SAMPLE_S
    history = telemetry.history()
    assert len(history) == limit and history[-1] == point
    assert [p.time for p in history] == sorted(p.time for p in history)
    assert all(p.memory_mb > 0 and 0 <= p.cpu_percent <= 100 for p in history)


def test_stats_reuse_a_fresh_sample_and_take_one_when_it_is_old():
    clock = Clock()
    telemetry = ServerTelemetry(fake_pool(), clock=clock)
    telemetry.stats()
    telemetry.stats()
    assert len(telemetry.history()) == 1
    clock.now += SAMPLE_S
    stats = telemetry.stats()
    assert len(telemetry.history()) == 2
    assert stats.memory_mb == telemetry.history()[-1].memory_mb > 0


def test_the_sampler_runs_between_start_and_close():
    telemetry = ServerTelemetry(fake_pool())
    assert telemetry._thread is None  # nothing runs at construction
    telemetry.start(interval_s=3600)  # samples at once, then waits for close()
    wait_until(lambda: len(telemetry.history()) == 1)
    thread = telemetry._thread
    assert thread is not None and thread.daemon and thread.is_alive()
    telemetry.start()  # a second start does nothing
    assert telemetry._thread is thread
    telemetry.close()
    assert not thread.is_alive()
    telemetry.start()  # closed for good
    assert telemetry._thread is thread and not thread.is_alive()


def test_a_failing_sample_does_not_stop_the_sampler():
    telemetry = ServerTelemetry(fake_pool())
    calls: list[int] = []
    second = threading.Event()
    original = telemetry.sample_now

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("proc is gone")
        second.set()
        return original()

    telemetry.sample_now = flaky  # type: ignore[method-assign]
    telemetry.start(interval_s=0.001)
    assert second.wait(10)
    telemetry.close()
    assert len(telemetry.history()) >= 1


def test_one_telemetry_per_pool_shared_by_its_services():
    pool = fake_pool()
    first, second = Service(pool), Service(pool)
    assert first.telemetry is second.telemetry is telemetry_of(pool)
    pool.get("a").work()
    assert first.server_stats().requests_total == second.server_stats().requests_total == 1
    assert telemetry_of(fake_pool()) is not first.telemetry
    old = first.telemetry
    old.close()
    renewed = telemetry_of(pool)  # a closed one is replaced
    assert renewed is not old and not renewed.closed
    assert second.telemetry is renewed
    renewed.close()


def test_versions_come_from_the_installed_packages():
    versions = dict(ServerTelemetry(fake_pool()).versions())
    assert list(versions) == ["openvino-ui", "openvino", "openvino-genai"]
    assert versions["openvino-ui"] == metadata.version("openvino-ui")
    assert versions["openvino-genai"] == metadata.version("openvino-genai")


def test_device_memory_where_devices_report_it():
    core = FakeGPUCore()
    pool = fake_pool(devices=())
    pool._core = core
    rows = {row.device: row for row in device_memory(pool.core, pool.available_devices())}
    assert list(rows) == ["CPU", "GPU.0", "GPU.1", "NPU"]
    assert (rows["CPU"].total_mb, rows["CPU"].used_mb) == (None, None)
    gpu = rows["GPU.0"]
    assert gpu.total_mb == 16 * 1024 and gpu.used_mb == 768
    assert dict(gpu.by_kind_mb) == {"usm_device": 512, "usm_host": 256}  # "bogus" is no count
    assert (rows["GPU.1"].total_mb, rows["GPU.1"].used_mb, rows["GPU.1"].by_kind_mb) == (None, None, ())
    assert (rows["NPU"].total_mb, rows["NPU"].used_mb) == (4096, 100)
    assert not [name for device, name in core.asked if device == "CPU"]  # CPU is not asked
    as_dict = ServerTelemetry(pool).stats().as_dict()
    assert as_dict["devices"][1] == {
        "device": "GPU.0",
        "total_mb": 16384.0,
        "used_mb": 768.0,
        "by_kind_mb": {"usm_device": 512.0, "usm_host": 256.0},
    }


def test_a_pool_that_cannot_list_devices_still_reports():
    pool = fake_pool()

    class Broken(FakeCore):
        @property
        def available_devices(self):  # type: ignore[override]
            raise RuntimeError("plugin crashed")

        @available_devices.setter
        def available_devices(self, value):
            pass

    pool._core = Broken()
    stats = ServerTelemetry(pool).stats()
    assert stats.devices == () and stats.models_configured == 3


def test_the_result_is_plain_json():
    import json

    pool = fake_pool()
    telemetry = ServerTelemetry(pool)
    pool.get("a").work()
    data = json.loads(json.dumps(telemetry.stats().as_dict()))
    assert set(data) == {
        "uptime_s",
        "versions",
        "models_configured",
        "active_models",
        "requests_total",
        "failures_total",
        "requests_per_s",
        "avg_inference_ms",
        "window_s",
        "cpu_percent",
        "memory_mb",
        "devices",
    }
    assert data["active_models"] == ["a"] and data["requests_total"] == 1
    assert json.loads(json.dumps(telemetry.history()[-1].as_dict()))["memory_mb"] > 0
    pool.close()


def test_the_models_tab_panel_reads_the_figures():
    from openvino_ui.ui.models_stats import MEMORY, RPS, chart, history_frame, stats_markdown

    pool = fake_pool(devices=())
    pool._core = FakeGPUCore()
    telemetry = ServerTelemetry(pool)
    pool.get("a").work()
    text = stats_markdown(telemetry.stats())
    assert "Loaded models** (1 of 3): `a`" in text and "| 1 |" in text
    assert "**GPU.0** 768 MB of 16,384 MB allocated" in text and "**NPU** 100 MB of 4,096 MB" in text
    assert "GPU.1" not in text and "**CPU**" not in text  # they report nothing
    frame = history_frame(telemetry.history())
    assert list(frame.columns) == ["time", RPS, MEMORY] and len(frame) == 1
    update = chart(history_frame([]), RPS, now=2000.0)
    assert update.x_lim == [2000.0 - HISTORY_S, 2000.0] and update.y_lim == [0, 1]
    pool.close()
