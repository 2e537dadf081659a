"""Pool lifecycle and statistics with fake engines registered through the real pool."""

import threading
import time

import pytest

from openvino_ui.errors import DeviceNotAvailable, InvalidInput, ModelLoadFailed, ModelNotFound, WrongTask

from .fakes import FakeEngine, fake_pool, reset_fakes, run_threads


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()


def test_lazy_load_on_first_use_and_explicit_unload():
    pool = fake_pool()
    assert [m.status for m in pool.models()] == ["unloaded"] * 3
    engine = pool.ready("a", "llm")
    assert engine.work() == "CPU"
    info = pool.info("a")
    assert info.status == "ready" and info.load_time_s is not None
    assert pool.unload("a").status == "unloaded"
    assert pool.info("a").load_time_s is None


def test_concurrent_first_use_loads_once():
    FakeEngine.build_delay = 0.3
    pool = fake_pool()
    results = run_threads(lambda: pool.ready("a", "llm").work(), 6)
    assert results == ["CPU"] * 6
    assert FakeEngine.builds == 1


def test_unknown_model_and_wrong_task_name_the_choices():
    pool = fake_pool()
    with pytest.raises(ModelNotFound, match="'nope' is not configured.*a, b, e"):
        pool.get("nope")
    with pytest.raises(WrongTask, match="'e' is a 'embedding' model.*needs a 'llm' model.*a, b"):
        pool.get("e", "llm")


def test_missing_device_is_a_clear_error_and_nothing_changes():
    pool = fake_pool(devices=("CPU",))
    with pytest.raises(DeviceNotAvailable, match="'GPU'.*Available devices: CPU"):
        pool.load("a", "GPU")
    with pytest.raises(DeviceNotAvailable, match="NPU"):
        pool.load("a", "HETERO:NPU,CPU")
    with pytest.raises(InvalidInput, match="not a device"):
        pool.load("a", "G P U ;")
    assert pool.info("a").status == "unloaded"


def test_load_on_another_device_reloads_there():
    pool = fake_pool(devices=("CPU", "GPU.0", "GPU.1"))
    pool.load("a")
    assert pool.load("a", "gpu.1").device == "GPU.1"
    assert pool.get("a").work() == "GPU.1"
    assert FakeEngine.builds == 2
    assert pool.load("a", "AUTO").device == "AUTO"


def test_failed_load_is_visible_and_reported_on_use():
    FakeEngine.fail_with = "Check 'x' failed at y.cpp:1\nmodel file is corrupt"
    pool = fake_pool()
    with pytest.raises(ModelLoadFailed, match="model file is corrupt"):
        pool.load("a")
    info = pool.info("a")
    assert info.status == "failed" and info.error == "model file is corrupt"
    with pytest.raises(ModelLoadFailed, match="failed to load on CPU: model file is corrupt"):
        pool.ready("a", "llm").work()
    FakeEngine.fail_with = None  # fixed: an explicit load recovers
    assert pool.load("a").status == "ready"


def test_failed_request_counts_but_never_unloads():
    pool = fake_pool()
    engine = pool.ready("a")
    with pytest.raises(ValueError):
        engine.work(fail=True)
    assert engine.work() == "CPU"
    info = pool.info("a")
    assert info.status == "ready"
    assert info.stats.requests == 2 and info.stats.failures == 1
    assert info.stats.avg_latency_ms is not None and info.stats.last_latency_ms is not None


def test_one_request_at_a_time_per_model_and_busy_after_timeout():
    pool = fake_pool()
    engine = pool.ready("a")
    results = run_threads(lambda: engine.work(0.2), 2)
    assert results == ["CPU", "CPU"]
    engine.queue_timeout_s = 0.05
    results = run_threads(lambda: engine.work(0.5), 2)
    assert sorted(type(r).__name__ for r in results) == ["ModelBusy", "str"]


def test_unload_waits_for_the_request_in_flight():
    pool = fake_pool()
    engine = pool.ready("a")
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("r", engine.work(0.4)))
    worker.start()
    time.sleep(0.1)
    pool.unload("a")  # blocks until the request has finished
    worker.join()
    assert out["r"] == "CPU" and pool.info("a").status == "unloaded"


def test_stats_are_kept_per_device():
    pool = fake_pool(devices=("CPU", "GPU"))
    pool.ready("a").work()
    pool.load("a", "GPU")
    pool.get("a").work()
    pool.get("a").work()
    by_device = pool.get("a").stats_by_device()
    assert by_device["CPU"].requests == 1 and by_device["GPU"].requests == 2


def test_preload_reports_problems_and_goes_on():
    FakeEngine.fail_with = "broken"
    pool = fake_pool(
        "models:\n  a: {task: llm, path: x, preload: true}\n  b: {task: llm, path: y, preload: true}\n"
    )
    problems = pool.preload()
    assert len(problems) == 2 and all("broken" in p for p in problems)


def test_cache_dir_becomes_an_openvino_property():
    pool = fake_pool()
    assert pool.properties_for(pool.get("a").spec)["CACHE_DIR"] == "/tmp/.cache/openvino"


def test_idle_models_are_unloaded_after_the_ttl():
    pool = fake_pool(
        "defaults: {idle_unload_s: 0.2}\nmodels:\n  a: {task: llm, path: x}\n  b: {task: llm, path: y}\n"
    )
    pool.ready("a").work()
    time.sleep(0.3)
    pool.ready("b").work()  # any use of the pool looks for idle models first
    assert pool.info("a").status == "unloaded" and pool.info("b").status == "ready"


def test_max_loaded_models_unloads_the_least_recently_used():
    yaml_text = "defaults: {max_loaded_models: 2}\nmodels:\n  a: {task: llm, path: x}\n"
    yaml_text += "  b: {task: llm, path: y}\n  c: {task: llm, path: z}\n"
    pool = fake_pool(yaml_text)
    pool.ready("a").work()
    pool.ready("b").work()
    pool.get("a").work()  # a is now more recent than b
    pool.ready("c").work()
    assert [m.status for m in pool.models()] == ["ready", "unloaded", "ready"]


def test_idle_unloader_thread_unloads_without_any_request():
    pool = fake_pool("defaults: {idle_unload_s: 0.1}\nmodels:\n  a: {task: llm, path: x}\n")
    pool.ready("a").work()
    pool.start_idle_unloader(interval_s=0.05)
    deadline = time.time() + 5
    while pool.info("a").status == "ready" and time.time() < deadline:
        time.sleep(0.05)
    pool.close()
    assert pool.info("a").status == "unloaded"
