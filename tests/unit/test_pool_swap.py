"""Issue 11, defects 1 and 2: moving a model builds first and swaps only on success; requests
queued behind an unload or an eviction load the model again instead of failing; every failed
request is counted; /stats rows exist only for devices that served a request.

Deterministic: fake builds and requests wait for events the test sets (fakes.py), and the test
waits for states (queue length, status), not for time to pass."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from openvino_ui.devices import check_device_available, device_syntax_error, remaining_devices
from openvino_ui.errors import DeviceNotAvailable, ModelBusy, ModelLoadFailed, NoDeviceLeft
from openvino_ui.stats import StatsRecorder

from .fakes import FakeEngine, GatedEngine, fake_pool, reset_fakes, wait_until


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()
    yield
    if FakeEngine.build_gate is not None:  # never leave a build thread waiting after a failure
        FakeEngine.build_gate.set()


def pause_after_ready(engine: GatedEngine) -> tuple[threading.Event, threading.Event]:
    """Make the next request stop once it has seen the model ready, before it asks for its turn.
    Returns (admitted: the request is there, go: let it continue)."""
    admitted, go = threading.Event(), threading.Event()

    def pause() -> None:
        engine.after_ready = None  # only the first request pauses
        admitted.set()
        assert go.wait(10), "the test never let the request go on"

    engine.after_ready = pause
    return admitted, go


# -- defect 1: a failed device change keeps the model serving where it was -----------------------


def test_a_failed_move_keeps_the_model_ready_on_its_old_device():
    pool = fake_pool(devices=("CPU", "GPU"))
    pool.load("a")
    FakeEngine.fail_with = "Check 'x' failed at y.cpp:1\nout of GPU memory"
    with pytest.raises(ModelLoadFailed, match="on GPU: out of GPU memory.*still runs on CPU"):
        pool.load("a", "GPU")
    info = pool.info("a")
    assert (info.status, info.device, info.error) == ("ready", "CPU", "out of GPU memory")
    assert pool.ready("a").work() == "CPU"
    FakeEngine.fail_with = None
    moved = pool.load("a", "GPU")
    assert (moved.status, moved.device, moved.error) == ("ready", "GPU", None)
    assert pool.get("a").work() == "GPU"


def test_requests_are_served_by_the_old_pipeline_while_the_new_one_builds():
    pool = fake_pool(devices=("CPU", "GPU"))
    engine = pool.ready("a")
    FakeEngine.build_gate = threading.Event()
    with ThreadPoolExecutor(2) as executor:
        move = executor.submit(pool.load, "a", "GPU")
        assert FakeEngine.build_started.wait(10)
        assert (pool.info("a").status, pool.info("a").device) == ("ready", "CPU")
        # bounded wait: the old code blocked every request until the build had finished
        assert executor.submit(engine.work).result(timeout=5) == "CPU"
        FakeEngine.build_gate.set()
        assert move.result(timeout=10).device == "GPU"
    assert engine.work() == "GPU"


def test_a_device_that_leaves_no_device_is_refused_before_anything_changes():
    pool = fake_pool(devices=("CPU",))
    pool.load("a")
    with pytest.raises(NoDeviceLeft, match="'AUTO:-CPU' leaves no device.*excludes CPU.*sees only CPU"):
        pool.load("a", "AUTO:-CPU")
    with pytest.raises(DeviceNotAvailable, match="'GPU'"):
        pool.load("a", "MULTI:GPU,NPU")
    info = pool.info("a")
    assert (info.status, info.device, info.error) == ("ready", "CPU", None)
    assert FakeEngine.builds == 1 and pool.get("a").work() == "CPU"


def test_a_first_load_that_fails_still_shows_failed():
    FakeEngine.fail_with = "broken"
    pool = fake_pool()
    with pytest.raises(ModelLoadFailed, match="broken"):
        pool.load("a")
    assert (pool.info("a").status, pool.info("a").error) == ("failed", "broken")


@pytest.mark.parametrize(
    "device, available, left",
    [
        ("AUTO:-CPU", ["CPU"], []),
        ("AUTO:-CPU", ["CPU", "GPU"], ["GPU"]),
        ("AUTO:-GPU", ["CPU", "GPU.0", "GPU.1"], ["CPU"]),
        ("AUTO:-GPU.1", ["CPU", "GPU.0", "GPU.1"], ["CPU", "GPU.0"]),
        ("AUTO:-CPU,-GPU", ["CPU", "GPU.0"], []),
        ("AUTO", ["CPU"], ["CPU"]),
        ("AUTO:GPU,CPU", ["CPU", "GPU"], ["GPU", "CPU"]),
        ("HETERO:GPU,CPU", ["CPU", "GPU"], ["GPU", "CPU"]),
        ("CPU", ["CPU"], ["CPU"]),
    ],
)
def test_remaining_devices(device, available, left):
    assert remaining_devices(device, available) == left


def test_device_checks_refuse_strings_that_name_no_available_device():
    with pytest.raises(NoDeviceLeft):
        check_device_available("auto:-cpu", ["CPU"])
    with pytest.raises(NoDeviceLeft):
        check_device_available("AUTO:-CPU,-GPU", ["CPU", "GPU.0"])
    with pytest.raises(DeviceNotAvailable, match="'NPU'"):
        check_device_available("HETERO:NPU,GPU", ["CPU", "GPU"])
    assert check_device_available("AUTO:-CPU", ["CPU", "GPU"]) == "AUTO:-CPU"
    # excluding every device there is, or what it names, is wrong on any machine
    assert "excludes every device" in device_syntax_error("AUTO:-CPU,-GPU,-NPU")
    assert "excludes every device" in device_syntax_error("AUTO:CPU,-CPU")
    assert device_syntax_error("AUTO:-CPU") is None and device_syntax_error("AUTO:GPU,-CPU") is None


# -- defect 2: requests behind an unload or an eviction load the model again ---------------------


def test_requests_queued_behind_an_unload_load_the_model_again():
    pool = fake_pool()
    engine = pool.ready("a")
    release = threading.Event()
    with ThreadPoolExecutor(7) as executor:
        in_flight = executor.submit(engine.work, hold=release)
        assert engine.holding.wait(10)
        queued = [executor.submit(engine.work) for _ in range(5)]
        wait_until(lambda: engine.queue_length() == 5)
        unload = executor.submit(pool.unload, "a")
        wait_until(lambda: pool.info("a").status == "unloaded")
        assert not unload.done()  # it waits for the request in flight to finish with the pipeline
        release.set()
        assert in_flight.result(timeout=10) == "CPU"
        assert [f.result(timeout=10) for f in queued] == ["CPU"] * 5
        unload.result(timeout=10)
    assert FakeEngine.builds == 2 and pool.info("a").status == "ready"
    stats = engine.stats()
    assert stats.requests == 6 and stats.failures == 0


def test_a_request_admitted_just_before_an_unload_loads_the_model_again():
    pool = fake_pool(engine_cls=GatedEngine)
    engine = pool.ready("a")
    admitted, go = pause_after_ready(engine)
    with ThreadPoolExecutor(1) as executor:
        request = executor.submit(engine.work)
        assert admitted.wait(10)
        pool.unload("a")
        go.set()
        assert request.result(timeout=10) == "CPU"
    assert FakeEngine.builds == 2 and engine.stats().failures == 0


def test_a_request_admitted_just_before_an_idle_eviction_loads_the_model_again():
    pool = fake_pool(
        "defaults: {idle_unload_s: 60}\nmodels:\n  a: {task: llm, path: x}\n", engine_cls=GatedEngine
    )
    engine = pool.ready("a")
    engine.last_used -= 120  # idle for two minutes, without waiting for them
    admitted, go = pause_after_ready(engine)
    with ThreadPoolExecutor(1) as executor:
        request = executor.submit(engine.work)
        assert admitted.wait(10)
        assert pool.evict_idle() == ["a"]
        go.set()
        assert request.result(timeout=10) == "CPU"
    assert FakeEngine.builds == 2 and engine.stats().failures == 0


def test_a_request_admitted_just_before_a_max_loaded_eviction_loads_the_model_again():
    yaml_text = (
        "defaults: {max_loaded_models: 1}\nmodels:\n  a: {task: llm, path: x}\n  b: {task: llm, path: y}\n"
    )
    pool = fake_pool(yaml_text, engine_cls=GatedEngine)
    engine = pool.ready("a")
    admitted, go = pause_after_ready(engine)
    with ThreadPoolExecutor(1) as executor:
        request = executor.submit(engine.work)
        assert admitted.wait(10)
        pool.ready("b")  # one model at most: a goes
        assert pool.info("a").status == "unloaded"
        go.set()
        assert request.result(timeout=10) == "CPU"
    assert engine.stats().failures == 0


def test_housekeeping_never_unloads_a_model_a_request_holds_or_waits_for():
    yaml_text = "defaults: {idle_unload_s: 60, max_loaded_models: 1}\nmodels:\n"
    yaml_text += "  a: {task: llm, path: x}\n  b: {task: llm, path: y}\n"
    pool = fake_pool(yaml_text)
    engine = pool.ready("a")
    release = threading.Event()
    with ThreadPoolExecutor(2) as executor:
        in_flight = executor.submit(engine.work, hold=release)
        assert engine.holding.wait(10)
        queued = executor.submit(engine.work)
        wait_until(lambda: engine.queue_length() == 1)
        engine.last_used -= 120
        assert pool.evict_idle() == []
        pool.ready("b")  # over the limit, but a is busy: it stays
        assert pool.info("a").status == "ready"
        release.set()
        assert in_flight.result(timeout=10) == queued.result(timeout=10) == "CPU"


# -- every failed request is counted; rows only for devices that served ---------------------------


def test_a_request_refused_as_busy_is_counted_as_a_failure():
    pool = fake_pool()
    engine = pool.ready("a")
    release = threading.Event()
    with ThreadPoolExecutor(1) as executor:
        in_flight = executor.submit(engine.work, hold=release)
        assert engine.holding.wait(10)
        engine.queue_timeout_s = 0.05
        with pytest.raises(ModelBusy):
            engine.work()
        release.set()
        assert in_flight.result(timeout=10) == "CPU"
    stats = engine.stats()
    assert stats.requests == 2 and stats.failures == 1
    assert stats.avg_latency_ms is not None  # from the one request that reached the pipeline


def test_a_load_failure_during_a_request_is_counted_as_a_failure():
    FakeEngine.fail_with = "model file is corrupt"
    pool = fake_pool()
    for _ in range(2):
        with pytest.raises(ModelLoadFailed, match="corrupt"):
            pool.ready("a", "llm").work()
    assert pool.get("a").stats_by_device()["CPU"].failures == 2
    assert pool.info("a").stats.requests == 2


def test_stats_list_only_devices_that_served_a_request():
    pool = fake_pool(devices=("CPU", "GPU"))
    pool.load("a")
    pool.models()  # reading must not create rows
    engine = pool.get("a")
    assert engine.stats_by_device() == {} and engine.stats().requests == 0
    engine.work()
    pool.load("a", "GPU")
    pool.models()
    assert list(engine.stats_by_device()) == ["CPU"]
    assert all(not pool.get(name).stats_by_device() for name in ("b", "e"))


def test_failures_before_the_pipeline_count_without_a_latency():
    recorder = StatsRecorder()
    recorder.record(0.2, True)
    recorder.record(None, False)
    snap = recorder.snapshot()
    assert (snap.requests, snap.failures) == (2, 1)
    assert snap.avg_latency_ms == pytest.approx(200) and snap.last_latency_ms == pytest.approx(200)
