"""Runtime operations on the pool (issue 14): applying a re-read models.yaml (added, removed and
changed models), rebuilding one model (properties, versions) with build-first-swap-after, the
retirement of replaced engines after their requests, and memory budgets with LRU eviction.

Deterministic: requests hold their model until the test releases them (fakes.py), and the test
waits for states, never for time to pass."""

import threading
from pathlib import Path

import pytest

from openvino_ui.config import parse_config
from openvino_ui.errors import InvalidInput, ModelLoadFailed, ModelNotFound, ModelTooLarge
from openvino_ui.metrics import Metrics
from openvino_ui.service.runtime import RuntimeService

from .fakes import FakeEngine, fake_pool, finish, reset_fakes, start, wait_until

BASE = "models:\n  a: {task: llm, path: x}\n  b: {task: llm, path: y}\n  e: {task: embedding, path: z}\n"
GB = 1024**3


@pytest.fixture(autouse=True)
def reset_fake():
    reset_fakes()
    yield
    if FakeEngine.build_gate is not None:
        FakeEngine.build_gate.set()


def config(text: str, folder: Path = Path("/tmp")):
    return parse_config(text, folder / "models.yaml")


def hold_request(engine: FakeEngine) -> tuple[threading.Thread, dict, threading.Event]:
    """A request that holds `engine` until the returned event is set."""
    release = threading.Event()
    engine.holding.clear()
    thread, out = start(engine.work, 0.0, False, release)
    assert engine.holding.wait(5)
    return thread, out, release


# -- apply --------------------------------------------------------------------------------------


def test_apply_adds_removes_and_changes_models_and_says_so():
    pool = fake_pool(BASE)
    pool.load("a")
    new = "models:\n  a: {task: llm, path: x, description: changed}\n  e: {task: embedding, path: z}\n"
    new += "  c: {task: llm, path: w}\n"
    changes = pool.apply(config(new))
    assert (changes.added, changes.removed, changes.changed, changes.unchanged) == (
        ("c",),
        ("b",),
        ("a",),
        ("e",),
    )
    assert pool.names() == ["a", "e", "c"]
    assert pool.info("a").status == "ready" and pool.info("a").description == "changed"  # loaded again
    with pytest.raises(ModelNotFound):
        pool.get("b")
    assert pool.ready("c").work() == "CPU"


def test_a_removed_model_finishes_its_request_in_flight_then_unloads():
    pool = fake_pool(BASE)
    old = pool.ready("b")
    thread, out, release = hold_request(old)
    pool.apply(config("models:\n  a: {task: llm, path: x}\n  e: {task: embedding, path: z}\n"))
    assert old.retired and old.state.value == "ready"  # still serving its request
    assert pool.retiring() == ["b"]
    release.set()
    finish(thread)
    assert out["result"] == "CPU"
    wait_until(lambda: old.state.value == "unloaded")
    assert pool.retiring() == []


def test_a_changed_model_is_loaded_before_the_swap_and_the_old_one_serves_meanwhile():
    pool = fake_pool(BASE)
    old = pool.ready("a")
    thread, out, release = hold_request(old)
    changes = pool.apply(config(BASE.replace("path: x}", "path: x, description: v2}")))
    assert changes.changed == ("a",)
    fresh = pool.get("a")
    assert fresh is not old and fresh.state.value == "ready"
    assert fresh.work() == "CPU"  # new requests go to the new engine while the old one still serves
    release.set()
    finish(thread)
    assert out["result"] == "CPU"
    wait_until(lambda: old.state.value == "unloaded")
    assert pool.get("a").stats().requests == 2  # one row per model: the counts carried over


def test_a_changed_model_that_fails_to_load_keeps_serving_with_its_old_entry():
    pool = fake_pool(BASE)
    old = pool.ready("a")
    FakeEngine.fail_with = "out of memory"
    changes = pool.apply(config(BASE.replace("path: x}", "path: x, description: v2}")))
    assert changes.changed == () and len(changes.failed) == 1 and changes.failed[0].startswith("a: ")
    assert "out of memory" in changes.failed[0]
    assert pool.get("a") is old and old.state.value == "ready"
    assert pool.config.models["a"].description == ""  # the pool's record is what it serves


def test_apply_of_the_same_file_changes_nothing():
    pool = fake_pool(BASE)
    engines = [pool.get(n) for n in pool.names()]
    changes = pool.apply(config(BASE))
    assert changes.summary() == "nothing changed" and changes.unchanged == ("a", "b", "e")
    assert [pool.get(n) for n in pool.names()] == engines


def test_metrics_count_requests_of_models_added_at_runtime():
    pool = fake_pool(BASE)
    metrics = Metrics(pool, process=False)
    try:
        pool.apply(config(BASE + "  c: {task: llm, path: w}\n"))
        pool.ready("c").work()
        value = metrics.registry.get_sample_value(
            "openvino_ui_requests_total", {"model": "c", "operation": "chat", "outcome": "ok"}
        )
        assert value == 1
    finally:
        metrics.close()


def test_reload_config_reads_the_file_and_a_broken_file_changes_nothing(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text(BASE)
    pool = fake_pool(BASE)
    pool.config = parse_config(BASE, path)
    service = RuntimeService(pool)
    path.write_text(
        BASE + "  c: {task: llm, path: w}\n  d: {task: nope}\n  f: {task: llm, path: q, bad_key: 1}\n"
    )
    with pytest.raises(Exception) as caught:
        service.reload_config()
    assert caught.value.status == 400 and "nothing changed" in str(caught.value)
    assert "'d'" in str(caught.value) and "bad_key" in str(caught.value)  # every problem is reported
    assert pool.names() == ["a", "b", "e"]
    path.write_text(BASE + "  c: {task: llm, path: w}\n")
    assert service.reload_config().added == ("c",)


# -- rebuild: properties and versions -------------------------------------------------------------


def test_set_properties_rebuilds_the_model_and_a_rejected_property_changes_nothing():
    pool = fake_pool(BASE)
    service = RuntimeService(pool)
    old = pool.ready("a")
    info = service.set_model_properties("a", {"PERFORMANCE_HINT": "throughput", "NUM_STREAMS": "2"})
    assert info.status == "ready"
    fresh = pool.get("a")
    assert fresh is not old and fresh.properties["PERFORMANCE_HINT"] == "THROUGHPUT"
    assert fresh.properties["NUM_STREAMS"] == 2
    FakeEngine.fail_with = "Unsupported property INFERENCE_PRECISION_HINT"
    with pytest.raises(ModelLoadFailed, match="Unsupported property"):
        service.set_model_properties("a", {"INFERENCE_PRECISION_HINT": "f16"})
    assert pool.get("a") is fresh and fresh.state.value == "ready"
    FakeEngine.fail_with = None
    service.set_model_properties("a", {"PERFORMANCE_HINT": "default"})
    assert "PERFORMANCE_HINT" not in pool.get("a").properties and pool.get("a").properties["NUM_STREAMS"] == 2


@pytest.mark.parametrize(
    "properties, message",
    [
        ({"PERFORMANCE_HINT": "FAST"}, "PERFORMANCE_HINT must be one of LATENCY"),
        ({"NUM_STREAMS": 0}, "NUM_STREAMS must be a whole number"),
        ({"NUM_STREAMS": 2.5}, "NUM_STREAMS must be a whole number"),
        ({"INFERENCE_PRECISION_HINT": "int8"}, "must be one of f32, bf16, f16"),
        ({"lower_case": 1}, "not an OpenVINO property name"),
        ({}, "at least one property"),
    ],
)
def test_bad_properties_are_refused_before_anything_is_built(properties, message):
    pool = fake_pool(BASE)
    old = pool.ready("a")
    builds = FakeEngine.builds
    with pytest.raises(InvalidInput, match=message):
        RuntimeService(pool).set_model_properties("a", properties)
    assert pool.get("a") is old and FakeEngine.builds == builds


def versioned(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    for number in (1, 2):
        (folder / str(number)).mkdir(parents=True)
        (folder / str(number) / "openvino_model.xml").write_text("<net/>")
    return folder


def test_versions_latest_by_default_load_another_and_reload_keeps_the_one_in_use(tmp_path):
    folder = versioned(tmp_path)
    pool = fake_pool(f"models:\n  a: {{task: llm, path: {folder}}}\n")
    service = RuntimeService(pool)
    assert service.model_versions("a") == {
        "name": "a",
        "versions": [1, 2],
        "serving": 2,
        "configured": "latest",
    }
    assert pool.get("a").spec.path == folder / "2"
    info = pool.load("a", version=1)
    assert (info.version, info.status) == (1, "ready") and pool.get("a").spec.path == folder / "1"
    (folder / "3").mkdir()
    (folder / "3" / "openvino_model.xml").write_text("<net/>")
    assert service.reload_model("a").version == 1  # the files of the version in use, not the newest
    assert pool.load("a", version="latest").version == 3
    with pytest.raises(InvalidInput, match="Version 7 is not in .*its versions: 1, 2, 3"):
        pool.load("a", version=7)
    assert pool.get("a").version == 3 and pool.get("a").state.value == "ready"


def test_a_configured_version_that_is_not_there_is_a_config_problem(tmp_path):
    folder = versioned(tmp_path)
    with pytest.raises(Exception, match="key 'version': 5 is not a version folder .* versions: 1, 2"):
        config(f"models:\n  a: {{task: llm, path: {folder}, version: 5}}\n")
    pinned = fake_pool(f"models:\n  a: {{task: llm, path: {folder}, version: 1}}\n")
    assert pinned.get("a").version == 1


# -- memory budgets -----------------------------------------------------------------------------


class SizedEngine(FakeEngine):
    """A fake engine whose load "takes" the GB set for its name in SIZES (as measured at load)."""

    SIZES: dict[str, float] = {}

    def _build(self, device):
        pipeline = super()._build(device)
        return pipeline

    def load(self, device=None):
        super().load(device)
        self.memory_bytes = int(self.SIZES.get(self.name, 1) * GB)

    def disk_bytes(self) -> int:
        return int(self.SIZES.get(self.name, 1) * GB)


BUDGET = "defaults: {memory_budget_gb: 5}\nmodels:\n" + "".join(
    f"  {n}: {{task: llm, path: {n}}}\n" for n in "abcd"
)


def test_loading_unloads_the_least_recently_used_idle_models_until_it_fits():
    SizedEngine.SIZES = {"a": 2, "b": 2, "c": 2, "d": 4}
    pool = fake_pool(BUDGET, engine_cls=SizedEngine)
    pool.load("a")
    pool.load("b")
    pool.get("a").work()  # b is now the least recently used
    pool.load("c")  # 2 + 2 + 2 > 5: b goes
    assert [pool.info(n).status for n in "abc"] == ["ready", "unloaded", "ready"]
    rows = pool.memory_budget().rows()
    assert rows[0].device == "CPU" and rows[0].budget_gb == 5 and rows[0].used_gb == 4
    assert {name for name, _ in rows[0].models} == {"a", "c"}


def test_a_busy_model_is_never_evicted():
    SizedEngine.SIZES = {"a": 2, "b": 2, "c": 2}
    pool = fake_pool(BUDGET, engine_cls=SizedEngine)
    pool.load("a")
    pool.load("b")
    thread, _, release = hold_request(pool.get("a"))  # a is the least recently used, but busy
    pool.get("a").last_used = pool.get("b").last_used - 10
    pool.load("c")
    assert [pool.info(n).status for n in "abc"] == ["ready", "unloaded", "ready"]
    release.set()
    finish(thread)


def test_a_model_larger_than_the_whole_budget_gets_a_clear_error():
    SizedEngine.SIZES = {"d": 6}
    pool = fake_pool(BUDGET, engine_cls=SizedEngine)
    pool.load("a")
    with pytest.raises(ModelTooLarge, match=r"needs 6.00 GB \(its size on disk .*5 GB memory budget of CPU"):
        pool.load("d")
    assert pool.info("a").status == "ready" and pool.info("d").status == "unloaded"


def test_budgets_per_device_and_none_for_auto():
    text = "defaults: {memory_budget_gb: {CPU: 5, GPU: 1}}\nmodels:\n  a: {task: llm, path: a}\n"
    pool = fake_pool(text, devices=("CPU", "GPU.0"), engine_cls=SizedEngine)
    SizedEngine.SIZES = {"a": 2}
    budget = pool.memory_budget()
    assert (budget.key("CPU"), budget.key("GPU.0"), budget.key("AUTO:GPU,CPU")) == ("CPU", "GPU", None)
    with pytest.raises(ModelTooLarge, match="budget of GPU.0"):
        pool.load("a", "GPU.0")
    pool.load("a", "AUTO")  # no budget applies to AUTO


@pytest.mark.parametrize("value", ["{CPU: 0}", "{AUTO: 4}", "{CPU: yes}", "-1"])
def test_bad_budgets_are_config_problems(value):
    with pytest.raises(Exception, match="memory_budget_gb"):
        config(f"defaults: {{memory_budget_gb: {value}}}\nmodels:\n  a: {{task: llm, path: a}}\n")


class GPUCore:
    """A core with a GPU whose allocations grow by 3 GB for each model built there."""

    def __init__(self):
        self.available_devices = ["CPU", "GPU"]
        self.allocated = 1 * GB

    def get_property(self, device: str, name: str):
        if device.startswith("GPU") and name == "GPU_MEMORY_STATISTICS":
            return {"usm_device": self.allocated, "usm_host": 0}
        raise RuntimeError(f"{device} does not support {name}")


class GPUEngine(FakeEngine):
    core: GPUCore | None = None

    def disk_bytes(self) -> int:
        return 3 * GB  # its files: what the budget goes by before a first load

    def _build(self, device):
        if device.startswith("GPU"):
            self.core.allocated += 3 * GB  # what the plugin allocates for the model
        return super()._build(device)


def test_on_a_gpu_a_model_is_measured_by_what_openvino_allocated_there():
    pool = fake_pool(
        "defaults: {memory_budget_gb: {GPU: 4}}\nmodels:\n  a: {task: llm, path: a}\n"
        "  b: {task: llm, path: b}\n",
        engine_cls=GPUEngine,
    )
    pool._core = GPUEngine.core = GPUCore()
    pool.load("a", "GPU")
    assert pool.get("a").memory_bytes == 3 * GB
    assert pool.memory_budget().rows()[0].as_dict()["used_gb"] == 3
    pool.load("b", "GPU")  # 3 + 3 > 4: a (idle) goes first
    assert (pool.info("a").status, pool.info("b").status) == ("unloaded", "ready")


def test_a_cpu_budget_above_the_ram_is_warned_about(caplog):
    with caplog.at_level("WARNING"):
        fake_pool("defaults: {memory_budget_gb: 100000}\nmodels:\n  a: {task: llm, path: a}\n")
    assert "more than this machine's" in caplog.text
