"""The service over fake engines: typed requests in, the engines' typed calls, our errors out."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from openvino_ui.config import parse_config
from openvino_ui.errors import InvalidInput, ModelLoadFailed, ModelNotFound, WrongTask
from openvino_ui.generation import Delta, Finished, GenerationParams, StreamEvent
from openvino_ui.pool import EnginePool
from openvino_ui.retrieval import Embeddings, RankedDocument, ranked
from openvino_ui.service import (
    ChatRequest,
    CompletionRequest,
    DescribeRequest,
    EmbedRequest,
    Recording,
    RerankRequest,
    SamplingOptions,
    Service,
)
from openvino_ui.service.speech import read_audio
from openvino_ui.stats import GenerationMetrics

from .fakes import FakeCore, FakeEngine, reset_fakes

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
models:
  chat: {task: llm, path: x, system_prompt: "  Be brief.  ",
         generation: {temperature: 0.0, max_new_tokens: 16},
         limits: {max_new_tokens: 32, max_input_chars: 100}}
  other-chat: {task: llm, path: y}
  eyes: {task: vlm, path: v, max_image_side: 64}
  vectors: {task: embedding, path: e, max_texts: 3}
  ranker: {task: rerank, path: r, max_documents: 4, top_n: 2}
"""


class FakeGenerator(FakeEngine):
    """Records what the service hands the engine and streams a fixed reply."""

    calls: list[dict[str, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = []

    def _reply(self, **call: Any) -> Iterator[StreamEvent]:
        self.calls.append(call)
        with self.serving() as session:
            yield Delta("Hi")
            yield Finished("Hi", GenerationMetrics(1, 1, 1, 1, 1), session.pipeline["device"], False)

    def stream(self, messages: Any, *rest: Any) -> Iterator[StreamEvent]:
        images, params, cancel = rest if self.spec.task == "vlm" else ([], *rest)
        return self._reply(messages=messages, images=images, params=params, cancel=cancel)

    def complete(self, prompt: str, params: GenerationParams, cancel: Any = None) -> Iterator[StreamEvent]:
        return self._reply(prompt=prompt, params=params, cancel=cancel)

    def embed(self, texts: list[str], kind: str = "document") -> Embeddings:
        with self.serving():
            return Embeddings(np.ones((len(texts), 3), np.float32), 3, 0.01)

    def rerank(self, query: str, documents: list[str], top_n: int) -> list[RankedDocument]:
        with self.serving():
            return ranked([(i, float(i)) for i in range(len(documents))], documents, top_n)


@pytest.fixture
def service():
    reset_fakes()

    def factory(name, spec, pool):
        engine = FakeGenerator(name, spec, properties={}, lookup=pool.get, queue_timeout_s=2.0)
        engine.task = spec.task
        return engine

    pool = EnginePool(parse_config(CONFIG, Path("/tmp/models.yaml")), core=FakeCore(), engine_factory=factory)
    yield Service(pool)
    pool.close()


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_requests_name_their_model_and_are_checked_against_it(service):
    request = service.request(ChatRequest, model="", messages=[user("hi")])
    assert request.model == "chat"  # the first llm model
    with pytest.raises(InvalidInput, match="between 1 and 32") as info:
        service.request(ChatRequest, model="chat", messages=[user("hi")], sampling={"max_new_tokens": 33})
    assert info.value.param == "max_new_tokens"
    with pytest.raises(InvalidInput, match="The message has 101 characters; the limit is 100"):
        service.request(ChatRequest, messages=[user("x" * 101)])
    with pytest.raises(ModelNotFound) as missing:
        service.request(ChatRequest, model="nope", messages=[user("hi")])
    assert missing.value.status == 404 and missing.value.param == "model"
    with pytest.raises(WrongTask) as wrong:
        service.request(ChatRequest, model="vectors", messages=[user("hi")])
    assert wrong.value.status == 400 and wrong.value.code == "wrong_model_task"


def test_chat_hands_the_engine_typed_params_and_the_turns(service):
    request = service.request(
        ChatRequest, messages=[user("earlier"), {"role": "assistant", "content": "ok"}, user("  now  ")]
    )
    events = list(service.chat(request))
    assert [type(e) for e in events] == [Delta, Finished]
    (call,) = service.pool.get("chat").calls
    assert call["messages"] == [
        {"role": "system", "content": "Be brief."},  # the model's system_prompt, stripped
        user("earlier"),
        {"role": "assistant", "content": "ok"},
        user("now"),
    ]
    assert call["params"] == GenerationParams(max_new_tokens=16, temperature=0.0)  # models.yaml's


def test_a_system_message_replaces_the_configured_one_even_empty(service):
    for system, expected in (("Be kind.", [{"role": "system", "content": "Be kind."}]), ("", [])):
        request = ChatRequest(
            messages=({"role": "system", "content": system}, user("hi")),  # built without a model
            sampling=SamplingOptions(top_k=3),
        )
        list(service.chat(request))
        call = service.pool.get("chat").calls[-1]
        assert call["messages"] == [*expected, user("hi")] and call["params"].top_k == 3


def test_a_request_built_without_its_model_is_checked_when_it_runs(service):
    request = ChatRequest.of(messages=[user("hi")], sampling={"max_new_tokens": 64})  # no model known
    with pytest.raises(InvalidInput, match="between 1 and 32"):
        service.chat(request)
    assert service.pool.get("chat").calls == []


def test_generation_is_checked_and_loaded_before_the_first_event(service):
    FakeEngine.fail_with = "no such file"
    with pytest.raises(ModelLoadFailed) as info:  # raised by the call itself: no stream was started
        service.chat(service.request(ChatRequest, messages=[user("hi")]))
    assert info.value.status == 503 and info.value.code == "model_load_failed"


def test_complete_hands_the_prompt_as_it_is(service):
    cancel = threading.Event()
    request = service.request(
        CompletionRequest, model="other-chat", prompt="  Once upon", sampling={"seed": 3}
    )
    assert [type(e) for e in service.complete(request, cancel)] == [Delta, Finished]
    (call,) = service.pool.get("other-chat").calls
    assert call["prompt"] == "  Once upon" and call["params"].seed == 3 and call["cancel"] is cancel
    with pytest.raises(InvalidInput, match="The prompt is empty"):
        service.request(CompletionRequest, prompt=" ")


def test_describe_bounds_the_image_for_the_model(service):
    encoded = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 0, 0)).save(encoded, format="PNG")
    request = service.request(DescribeRequest, image=encoded.getvalue(), messages=[user("What colour?")])
    list(service.describe(request))
    (call,) = service.pool.get("eyes").calls
    (pixels,) = call["images"]
    assert pixels.shape == (32, 64, 3) and call["messages"] == [user("What colour?")]
    with pytest.raises(InvalidInput, match="No image was given"):
        service.request(DescribeRequest, image=None, messages=[user("What?")])
    with pytest.raises(InvalidInput, match="history|messages"):
        service.request(
            DescribeRequest, image=b"x", messages=[{"role": "system", "content": "no"}, user("?")]
        )
    assert service.inspect_image(encoded.getvalue()).original_size == (200, 100)


def test_embed_and_rerank_return_frozen_results(service):
    result = service.embed(service.request(EmbedRequest, texts=["a", "b"]))
    assert result.model == "vectors" and result.vectors.shape == (2, 3) and result.device == "CPU"
    with pytest.raises(InvalidInput, match="at most 3") as info:
        service.request(EmbedRequest, texts=["a"] * 4)
    assert info.value.param == "texts"
    ranked_docs = service.rerank(service.request(RerankRequest, query="q", documents=["a", "b", "c"]))
    assert ranked_docs.model == "ranker" and [d.index for d in ranked_docs.documents] == [2, 1]  # top_n 2
    with pytest.raises(InvalidInput, match="top_n must be between 1 and 4"):
        service.request(RerankRequest, query="q", documents=["a"], top_n=5)


def test_models_load_unload_and_stats(service):
    assert [m.name for m in service.models()] == ["chat", "other-chat", "eyes", "vectors", "ranker"]
    assert service.model_names("llm") == ["chat", "other-chat"]
    assert [d.name for d in service.devices()] == ["CPU"]
    assert service.load("chat").status == "ready"
    list(service.chat(service.request(ChatRequest, messages=[user("hi")])))
    (row,) = service.stats("chat")
    assert (row.name, row.task, row.device, row.stats.requests) == ("chat", "llm", "CPU", 1)
    assert row.as_dict()["requests"] == 1 and service.stats("") == service.stats()
    assert service.unload("chat").status == "unloaded"
    with pytest.raises(InvalidInput, match="device must be a device name"):
        service.load("chat", "X" * 100)


def test_audio_comes_as_a_path_bytes_or_a_recording(tmp_path):
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(8000) / 8000)).astype(np.float32)
    wav = tmp_path / "tone.wav"
    sf.write(str(wav), tone, 8000)
    from_path = read_audio(wav, None)
    assert from_path.shape == (16000,)  # one second at 16 kHz
    assert np.allclose(read_audio(wav.read_bytes(), None), from_path)
    assert read_audio(Recording(8000, (tone * 32767).astype(np.int16)), None).shape == (16000,)
    with pytest.raises(InvalidInput, match="lasts 1.0 s; this model accepts at most 0.5 s"):
        read_audio(wav.read_bytes(), 0.5)
    with pytest.raises(InvalidInput, match="not an audio file"):
        read_audio(b"%PDF-1.4 not audio", None)


def test_importing_the_service_pulls_in_no_web_framework_nor_openvino_genai():
    code = (
        "import sys, openvino_ui.service; "
        "bad = [m for m in ('gradio', 'fastapi', 'starlette', 'openvino_genai') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
