"""The device benchmark without models: the measurements over fake engines (warm-up dropped, median
of 3), the SQLite store, refusals that change nothing, and one benchmark at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from openvino_ui.device_bench import (
    BenchmarkRunning,
    BenchmarkStore,
    DeviceResult,
    Figure,
    Versions,
    default_path,
    measure_generation,
    measure_realtime,
    measure_throughput,
    planned_steps,
)
from openvino_ui.device_bench.measure import PROMPT_TOKENS, prompt_text, sized_words
from openvino_ui.engines.base import State
from openvino_ui.errors import DeviceNotAvailable, InvalidInput, ModelLoadFailed, ModelNotFound
from openvino_ui.generation import Delta, Finished, GenerationParams
from openvino_ui.service import Service
from openvino_ui.stats import GenerationMetrics

from .fakes import FakeEngine, fake_pool, finish, reset_fakes, start

WARM_THEN_THREE = [1000.0, 30.0, 10.0, 20.0]  # a slow warm-up, then 3 repetitions: median 20


class FakeBenchEngine(FakeEngine):
    """Generates and embeds instantly; TTFT follows `ttfts` for the full-length generations. With
    `hold` set, a generation signals `entered` and waits for the test."""

    ttfts: list[float] = []
    hold: threading.Event | None = None
    entered = threading.Event()

    def complete(
        self, prompt: str, params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[Delta | Finished]:
        with self.serving() as session:
            if params.max_new_tokens > 1:
                FakeBenchEngine.entered.set()
                if FakeBenchEngine.hold is not None:
                    assert FakeBenchEngine.hold.wait(10), "the test never released the benchmark"
            ttft = FakeBenchEngine.ttfts.pop(0) if params.max_new_tokens > 1 else 1.0
            tokens = len(prompt.split()) + 3  # about as many tokens as words, plus a few
            metrics = GenerationMetrics(ttft, 1.0, 1000.0 / ttft, params.max_new_tokens, tokens)
            yield Delta("x")
            yield Finished("x", metrics, session.device, False, "length")

    def embed(self, texts: Sequence[str], kind: str = "document") -> Any:
        with self.serving():
            return list(texts)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    reset_fakes()
    FakeBenchEngine.ttfts, FakeBenchEngine.hold = list(WARM_THEN_THREE), None
    FakeBenchEngine.entered = threading.Event()
    pool = fake_pool(devices=("CPU", "GPU.0"), engine_cls=FakeBenchEngine)
    served = Service(pool)
    served.benchmark_db = tmp_path / "benchmarks.sqlite"
    yield served
    pool.close()


def result(model: str, device: str, created: float, median: float = 1.0) -> DeviceResult:
    figure = Figure.of("rtf", "real-time factor", "x", "lower", [median, median, median])
    versions = Versions("2026.0", "2026.0.0", "0.1.0")
    return DeviceResult("run1", created, model, "asr", device, 2, versions, (figure,), (("audio_s", 4.6),))


# -- measurements ------------------------------------------------------------------------------------


def test_the_warm_up_is_dropped_and_the_median_of_three_is_the_figure():
    seconds = iter([(9.0, 1.0), (0.3, 1.0), (0.1, 1.0), (0.2, 1.0)])
    steps: list[str] = []
    measured = measure_realtime(lambda: next(seconds), steps.append, "clip.wav")
    (rtf,) = measured.figures
    assert rtf.samples == (0.3, 0.1, 0.2) and rtf.median == pytest.approx(0.2)
    assert steps == ["warm-up", "repetition 1 of 3", "repetition 2 of 3", "repetition 3 of 3"]
    assert dict(measured.setup) == {"input": "clip.wav", "audio_s": 1.0}


def test_generation_sizes_its_prompt_by_the_models_count_and_reports_ttft_and_decode():
    calls: list[tuple[str, int]] = []
    ttfts = iter(WARM_THEN_THREE)

    def generate(prompt: str, new_tokens: int) -> GenerationMetrics:
        calls.append((prompt, new_tokens))
        tokens = 2 * len(prompt.split())  # a model that reads two tokens per word
        ttft = next(ttfts) if new_tokens > 1 else 1.0
        return GenerationMetrics(ttft, 1.0, 1000.0 / ttft, new_tokens, tokens)

    steps: list[str] = []
    measured = measure_generation(generate, 100_000, 128, steps.append)
    ttft, decode = measured.figures
    assert (ttft.name, ttft.samples, ttft.median) == ("ttft_ms", (30.0, 10.0, 20.0), 20.0)
    assert decode.median == pytest.approx(50.0) and decode.better == "higher"
    setup = dict(measured.setup)
    assert abs(setup["prompt_tokens"] - PROMPT_TOKENS) <= 4 and setup["new_tokens"] == 128
    # every measured generation starts differently, so no prefix cache serves one from another
    measured_prompts = [p for p, n in calls if n == 128]
    assert len(measured_prompts) == 4 and len({p.split(".")[0] for p in measured_prompts}) == 4
    assert len(steps) == planned_steps("llm") - 1  # all but the loading step


def test_a_prompt_is_never_longer_than_the_models_input_limit():
    words = sized_words(lambda prompt: 2 * len(prompt.split()), max_chars=300)
    assert len(prompt_text(999, words)) <= 300
    assert sized_words(lambda prompt: 0, 100_000) > 0  # no count: estimated from the characters


def test_throughput_counts_texts_per_second_at_batch_one_and_thirty_two():
    batches: list[int] = []
    texts = [f"text {i}" for i in range(32)]
    measured = measure_throughput(lambda batch: batches.append(len(batch)), texts, lambda what: None)
    one, all_ = measured.figures
    assert (one.name, all_.name) == ("texts_per_s_batch1", "texts_per_s_batch32")
    assert batches == [1] * 32 * 4 + [32] * 4  # a warm-up and 3 repetitions of each
    assert one.median > 0 and all_.median > 0 and len(one.samples) == len(all_.samples) == 3


# -- the store ---------------------------------------------------------------------------------------


def test_the_store_keeps_results_and_lists_them_newest_first(tmp_path: Path):
    store = BenchmarkStore(tmp_path / "sub" / "b.sqlite")
    assert store.recent() == [] and not store.path.exists()  # reading makes no file
    store.add([result("whisper", "CPU", 100.0, 0.5), result("whisper", "GPU", 100.0, 0.2)])
    store.add([result("other", "CPU", 200.0)])
    listed = store.recent()
    assert [(r.model, r.device) for r in listed] == [("other", "CPU"), ("whisper", "GPU"), ("whisper", "CPU")]
    gpu = store.recent("whisper")[0]
    assert gpu == result("whisper", "GPU", 100.0, 0.2)  # a round trip keeps every field
    assert gpu.as_dict()["versions"] == {
        "openvino": "2026.0",
        "openvino_genai": "2026.0.0",
        "openvino_ui": "0.1.0",
    }
    assert gpu.as_dict()["date"] == "1970-01-01T00:01:40+00:00"
    assert len(store.recent(limit=1)) == 1 and len(store.recent(limit=10_000)) == 3
    assert store.recent("nobody") == []


def test_the_default_location_is_beside_the_model_cache(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("OPENVINO_UI_BENCHMARKS_DB", raising=False)
    assert default_path(tmp_path / ".cache" / "openvino") == tmp_path / ".cache" / "benchmarks.sqlite"
    assert default_path(None).name == "benchmarks.sqlite"
    monkeypatch.setenv("OPENVINO_UI_BENCHMARKS_DB", str(tmp_path / "elsewhere.sqlite"))
    assert default_path(tmp_path) == tmp_path / "elsewhere.sqlite"


# -- the service -------------------------------------------------------------------------------------


def test_a_benchmark_measures_a_detached_engine_and_keeps_the_result(service: Service):
    progress: list[tuple[float, str]] = []
    run = service.benchmark_model("a", ["cpu"], lambda done, what: progress.append((done, what)))
    (cpu,) = run.results
    assert (cpu.model, cpu.task, cpu.device, run.failures) == ("a", "llm", "CPU", ())
    assert cpu.figure("ttft_ms").median == 20.0  # type: ignore[union-attr]
    assert cpu.versions.openvino_ui != "" and cpu.model_version is None
    assert service.benchmark_results("a") == [cpu]
    assert progress[0] == (0.0, "CPU: loading") and all(0 <= done <= 1 for done, _ in progress)
    served = service.pool.get("a")  # the pool's engine was not loaded, and counted no request
    assert served.state is State.UNLOADED and served.stats().requests == 0


def test_embeddings_are_measured_at_batch_one_and_thirty_two(service: Service):
    (cpu,) = service.benchmark_model("e", ["CPU"]).results
    assert [f.name for f in cpu.figures] == ["texts_per_s_batch1", "texts_per_s_batch32"]


@pytest.mark.parametrize(
    ("devices", "error", "words"),
    [
        (["GPU.1"], DeviceNotAvailable, "'GPU.1', which OpenVINO does not see"),
        (["CPU", "NPU"], DeviceNotAvailable, "'NPU'"),
        ([], InvalidInput, "devices must be a list"),
        (["CPU"] * 9, InvalidInput, "at most 8"),
        (["TPU"], InvalidInput, "Bad device"),
        ([""], InvalidInput, "devices[0] is empty"),
    ],
)
def test_bad_devices_are_refused_and_change_nothing(service: Service, devices, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")) as caught:
        service.benchmark_model("a", devices)
    assert caught.value.param == "devices"
    assert FakeEngine.builds == 0 and not service.benchmark_db.exists()  # type: ignore[union-attr]


def test_an_unknown_model_is_not_found(service: Service):
    with pytest.raises(ModelNotFound):
        service.benchmark_model("nope", ["CPU"])
    assert not service.benchmark_db.exists()  # type: ignore[union-attr]


def test_a_model_that_fails_to_load_keeps_nothing(service: Service):
    FakeEngine.fail_with = "no such file"
    with pytest.raises(ModelLoadFailed, match="no such file"):
        service.benchmark_model("a", ["CPU"])
    assert service.benchmark_results() == []


def test_one_benchmark_at_a_time_on_a_pool_whichever_service_asks(service: Service):
    FakeBenchEngine.hold = threading.Event()
    thread, out = start(service.benchmark_model, "a", ["CPU"])
    assert FakeBenchEngine.entered.wait(10)
    other = Service(service.pool)  # the REST routes' service around the same pool
    for caller in (service, other):
        with pytest.raises(BenchmarkRunning, match="A benchmark is running") as caught:
            caller.benchmark_model("e", ["CPU"])
        assert (caught.value.status, caught.value.code) == (503, "benchmark_running")
    FakeBenchEngine.hold.set()
    finish(thread)
    assert "error" not in out and out["result"].results[0].device == "CPU"
    assert service.benchmark_model("e", ["CPU"]).results  # the lock was released


def test_a_model_served_elsewhere_is_not_benchmarked_here():
    from openvino_ui.errors import InvalidInput
    from openvino_ui.service import Service

    text = "models:\n  r: {task: embedding, remote: {url: 'http://127.0.0.1:9/v1'}}\n"
    service = Service(fake_pool(text))
    with pytest.raises(InvalidInput, match="runs on the remote server http://127.0.0.1:9/v1"):
        service.benchmark_model("r", ["CPU"])
