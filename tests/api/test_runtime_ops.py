"""Issue 14 through the app's own clients (gradio_client, the openai SDK, httpx), on an app of its
own: reloading models.yaml adds, removes and changes models while streams are served (they
complete), numbered versions of two tiny models answer differently, and execution properties are
rebuilt in. Every operation is checked through both Gradio and REST."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import openai
import pytest
import yaml
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.text import ENDLESS_PROMPT

from ..conftest import TEST_MODELS, close_app, launch_app, write_test_config

SPEECH = Path(__file__).resolve().parents[2] / "assets" / "speech-en.wav"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-chat", "tiny-embed", "tiny-asr")}
MODELS["tiny-chat-2"] = TEST_MODELS["tiny-chat"]


def versioned_asr(folder: Path) -> Path:
    """A model folder in OpenVINO Model Server's layout: 1/ the multilingual tiny Whisper, 2/ the
    English-only one (different weights and vocabulary: they transcribe differently)."""
    root = folder / "asr-versions"
    root.mkdir()
    (root / "1").symlink_to(fixture_path("tiny-whisper"), target_is_directory=True)
    (root / "2").symlink_to(fixture_path("tiny-whisper-en"), target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("runtime-config")
    models = dict(MODELS)
    models["versioned-asr"] = (None, {"task": "asr", "path": str(versioned_asr(folder)), "max_new_tokens": 8})
    served = launch_app(write_test_config(folder, models))
    yield served
    close_app(served)


@pytest.fixture(scope="module")
def api(app: SimpleNamespace) -> Client:
    return Client(app.url, verbose=False)


@pytest.fixture(scope="module")
def http(app: SimpleNamespace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url + "v1/", timeout=300) as client:
        yield client


def edit_config(app: SimpleNamespace, change) -> None:
    path = app.pool.config.path
    data = yaml.safe_load(path.read_text())
    change(data["models"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def stream(app: SimpleNamespace, model: str, tokens: int) -> Iterator[str]:
    client = openai.OpenAI(base_url=app.url + "v1", api_key="any", max_retries=0)
    chunks = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": ENDLESS_PROMPT}],
        stream=True,
        max_tokens=tokens,
        extra_body={"ignore_eos": True},
    )
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].finish_reason:
            yield "<" + chunk.choices[0].finish_reason + ">"
        elif chunk.choices:
            yield chunk.choices[0].delta.content or ""


class PausedSteps:
    """Stands in for a loaded model's ContinuousBatchingPipeline: each step waits for `go`, so its
    streams are surely still in flight while the test reloads (no race with a fast tiny model)."""

    def __init__(self, pipeline: object, go: threading.Event):
        self._pipeline, self._go = pipeline, go

    def step(self) -> None:
        assert self._go.wait(120), "the test never let the steps go on"
        self._pipeline.step()

    def __getattr__(self, name: str) -> object:
        return getattr(self._pipeline, name)


def pause(engine, go: threading.Event) -> None:
    scheduler = engine._loaded.pipeline  # the BatchScheduler stepping the model
    scheduler.pipeline = PausedSteps(scheduler.pipeline, go)


def test_a_reload_adds_removes_and_changes_models_while_streams_complete(app, api, http):
    go = threading.Event()
    unchanged, changed = stream(app, "tiny-chat", 400), stream(app, "tiny-chat-2", 400)
    received = [next(unchanged), next(changed)]  # both are streaming
    old_engine = app.pool.get("tiny-chat-2")
    pause(app.pool.get("tiny-chat"), go)
    pause(old_engine, go)
    assert app.pool.get("tiny-chat").is_busy() and old_engine.is_busy()

    def change(models: dict) -> None:
        models["tiny-embed-2"] = dict(models["tiny-embed"])  # added
        del models["tiny-asr"]  # removed
        models["tiny-chat-2"]["description"] = "changed at runtime"  # changed (rebuilt: it is loaded)

    edit_config(app, change)
    reply = http.post("config/reload")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "added": ["tiny-embed-2"],
        "removed": ["tiny-asr"],
        "changed": ["tiny-chat-2"],
        "unchanged": ["tiny-chat", "tiny-embed", "versioned-asr"],
        "failed": [],
    }
    assert old_engine.is_busy() and app.pool.retiring() == ["tiny-chat-2"]
    go.set()
    # both streams finish with every token: the changed model's on the engine it started on
    received[0] += "".join(unchanged)
    received[1] += "".join(changed)
    assert all(text.endswith("<length>") for text in received), received
    assert old_engine.retired and app.pool.get("tiny-chat-2") is not old_engine
    models = {m["name"]: m for m in api.predict(api_name="/models")}
    assert "tiny-asr" not in models and models["tiny-chat-2"]["description"] == "changed at runtime"
    assert models["tiny-chat-2"]["status"] == "ready"
    assert len(api.predict(["added at runtime"], "tiny-embed-2", api_name="/embed")) == 1
    assert http.get("models/tiny-asr").status_code == 404
    # the same file again, through Gradio: nothing changes
    assert api.predict("", api_name="/reload_config")["changed"] == []


def test_a_broken_file_changes_nothing_and_lists_every_problem(app, api, http):
    path = app.pool.config.path
    good = path.read_text()
    names = app.pool.names()
    try:
        path.write_text(
            good + "  broken-one: {task: sing}\n  broken-two: {task: llm, path: x, colour: red}\n"
        )
        reply = http.post("config/reload")
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "config_invalid"
        message = reply.json()["error"]["message"]
        assert "nothing changed" in message and "broken-one" in message and "colour" in message
        with pytest.raises(AppError, match="nothing changed"):
            api.predict("", api_name="/reload_config")
        assert app.pool.names() == names
    finally:
        path.write_text(good)


def transcript(api: Client) -> str:
    return api.predict(
        handle_file(str(SPEECH)), "versioned-asr", "auto", "transcribe", "none", api_name="/transcribe"
    )[0]


def test_versions_answer_differently_and_load_switches_between_them(app, api, http):
    listed = http.get("models/versioned-asr/versions").json()
    assert listed == {"name": "versioned-asr", "versions": [1, 2], "serving": 2, "configured": "latest"}
    assert api.predict("versioned-asr", api_name="/model_versions")["serving"] == 2
    latest = transcript(api)
    entry = api.predict("versioned-asr", "", "", "1", api_name="/load_model")
    assert (entry["version"], entry["status"]) == (1, "ready")
    first = transcript(api)
    assert first != latest  # another model's weights and vocabulary answer
    reply = http.post("models/versioned-asr/load", json={"version": "latest"})
    assert reply.status_code == 200 and reply.json()["version"] == 2
    assert transcript(api) == latest
    bad = http.post("models/versioned-asr/load", json={"version": 9})
    assert bad.status_code == 400 and "Version 9 is not in" in bad.json()["error"]["message"]
    assert http.post("models/versioned-asr/reload").json()["version"] == 2


def test_execution_mode_is_rebuilt_in_and_a_rejected_value_changes_nothing(app, api, http):
    reply = http.post("models/tiny-embed/properties", json={"properties": {"PERFORMANCE_HINT": "THROUGHPUT"}})
    assert reply.status_code == 200, reply.text
    assert app.pool.get("tiny-embed").properties["PERFORMANCE_HINT"] == "THROUGHPUT"
    entry = api.predict("tiny-embed", "LATENCY", "1", "", "", api_name="/set_model_properties")
    assert entry["status"] == "ready"
    engine = app.pool.get("tiny-embed")
    assert (engine.properties["PERFORMANCE_HINT"], engine.properties["NUM_STREAMS"]) == ("LATENCY", 1)
    refused = http.post("models/tiny-embed/properties", json={"properties": {"NUM_STREAMS": "many"}})
    assert refused.status_code == 400 and "NUM_STREAMS must be" in refused.json()["error"]["message"]
    assert app.pool.get("tiny-embed") is engine
    assert len(api.predict(["still serving"], "tiny-embed", api_name="/embed")) == 1


def test_memory_is_listed_per_device(app, http, api):
    api.predict(["load me"], "tiny-embed", api_name="/embed")
    rows = http.get("memory").json()["data"]
    cpu = next(row for row in rows if row["device"] == "CPU")
    assert cpu["budget_gb"] is None and any(m["name"] == "tiny-embed" for m in cpu["models"])
    assert api.predict(api_name="/memory_budget")[0]["device"] == "CPU"


def test_a_property_openvino_rejects_changes_nothing_and_model_info_shows_the_mode(app, api, http):
    api.predict(["load me"], "tiny-embed", api_name="/embed")
    engine = app.pool.get("tiny-embed")
    refused = http.post("models/tiny-embed/properties", json={"properties": {"NO_SUCH_PROPERTY": 1}})
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "model_load_failed"
    assert "nothing changed: it still runs on CPU" in refused.json()["error"]["message"]
    assert app.pool.get("tiny-embed") is engine and engine.state.value == "ready"
    assert http.post(
        "models/tiny-embed/properties", json={"properties": {"PERFORMANCE_HINT": "THROUGHPUT"}}
    ).is_success
    compiled = http.get("models/tiny-embed/info").json()["compiled"]
    assert compiled["values"]["PERFORMANCE_HINT"] == "THROUGHPUT", compiled
    assert compiled["values"]["NUM_STREAMS"] >= 1  # what THROUGHPUT resolved to on this CPU
