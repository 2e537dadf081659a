"""The device benchmark on the tiny fixture models, on the CPU: every task's figures come out
positive, are kept in the store, and the served models are left as they were."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openvino_ui.config import parse_config
from openvino_ui.engines.base import State
from openvino_ui.fixtures import fixture_path
from openvino_ui.pool import EnginePool
from openvino_ui.service import Service

MODELS = {
    "chat": ("tiny-llm", "task: llm"),
    "vision": ("tiny-vlm", "task: vlm"),
    "whisper": ("tiny-whisper", "task: asr, max_new_tokens: 12"),
    "speech": ("tiny-speecht5", "task: tts"),
    "embed": ("tiny-embedding", "task: embedding, max_texts: 8"),
    "rerank": ("tiny-reranker", "task: rerank, max_documents: 8"),
}
FIGURES = {
    "chat": ["ttft_ms", "decode_tok_s"],
    "vision": ["ttft_ms", "decode_tok_s"],
    "whisper": ["rtf"],
    "speech": ["rtf"],
    "embed": ["texts_per_s_batch1", "texts_per_s_batch32"],
    "rerank": ["texts_per_s_batch1", "texts_per_s_batch32"],
    "bi-rerank": ["texts_per_s_batch1", "texts_per_s_batch32"],
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    lines = [
        f"  {name}: {{{entry}, path: '{fixture_path(fixture)}'}}" for name, (fixture, entry) in MODELS.items()
    ]
    lines.append("  bi-rerank: {task: rerank, method: bi_encoder, embedding_model: embed}")
    text = "defaults: {cache_dir: null}\nmodels:\n" + "\n".join(lines) + "\n"
    pool = EnginePool(parse_config(text, Path("/tmp/bench-tiny.yaml")))
    served = Service(pool)
    served.benchmark_db = tmp_path_factory.mktemp("bench") / "benchmarks.sqlite"
    yield served
    pool.close()


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_task_measures_positive_figures_and_keeps_them(service: Service, name: str):
    run = service.benchmark_model(name, ["CPU"])
    (cpu,) = run.results
    assert [f.name for f in cpu.figures] == FIGURES[name] and not run.failures
    for figure in cpu.figures:
        assert len(figure.samples) == 3 and all(s > 0 for s in figure.samples) and figure.median > 0
    assert service.benchmark_results(name)[0] == cpu
    if name != "bi-rerank":  # the bi-encoder measures the pool's embedding model (loaded for it)
        assert service.pool.get(name).state is State.UNLOADED


def test_a_generation_benchmark_reads_a_512_token_prompt_and_decodes_128_tokens(service: Service):
    (cpu,) = service.benchmark_model("chat", ["CPU"]).results
    setup = dict(cpu.setup)
    assert abs(setup["prompt_tokens"] - 512) <= 26 and setup["new_tokens"] == 128


def test_the_served_model_keeps_serving_where_it_is(service: Service):
    service.load("embed", "CPU")
    before = service.pool.get("embed")
    requests = before.stats().requests  # the bi-encoder's benchmark above used it: that counts
    service.benchmark_model("embed", ["CPU"])
    after = service.pool.get("embed")
    assert after is before and after.state is State.READY and after.stats().requests == requests
