"""/chat, /models, /devices, /load_model, /unload_model, /stats through gradio_client."""

import time

import pytest
from gradio_client.exceptions import AppError

from openvino_ui.fixtures.text import ENDLESS_PROMPT


def test_chat_streams_a_growing_reply(client):
    job = client.submit("What is the capital of France?", "tiny-chat", api_name="/chat")
    values = list(job)
    assert values[-1] == "Paris."
    assert len(values) >= 2 and all(values[i + 1].startswith(values[i]) for i in range(len(values) - 1))
    assert job.outputs()[-1] == "Paris."


def test_chat_defaults_to_the_first_llm_and_accepts_history(client):
    history = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hello! How can I help?"},
    ]
    assert client.predict("What is the capital of Germany?", api_name="/chat") == "Berlin."
    assert isinstance(
        client.predict("What is the capital of France?", "tiny-chat", "", history, 16, 0.0, api_name="/chat"),
        str,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("", "tiny-chat"), "The message is empty"),
        (("hi", "nope"), "Model 'nope' is not configured"),
        (("hi", "tiny-chat", None, None, 10**9), "max_new_tokens must be between 1 and 100000"),
        (("hi", "tiny-chat", None, None, None, 7.0), "temperature must be between 0 and 2"),
        (("hi", "tiny-chat", None, [{"role": "robot", "content": 1}]), "history[0] must be"),
        (("hi", "missing-chat"), "no OpenVINO model in"),
    ],
)
def test_chat_bad_input_is_a_clear_error(client, args, message):
    with pytest.raises(AppError, match=None) as info:
        client.predict(*args, api_name="/chat")
    assert message in str(info.value)


def test_failed_request_leaves_the_model_loaded(client):
    client.predict("Hello", "tiny-chat", api_name="/chat")
    with pytest.raises(AppError):
        client.predict("", "tiny-chat", api_name="/chat")
    status = {m["name"]: m["status"] for m in client.predict(api_name="/models")}
    assert status["tiny-chat"] == "ready"


def test_models_devices_load_unload(client):
    models = {m["name"]: m for m in client.predict(api_name="/models")}
    assert {"name", "task", "device", "status"} <= set(models["tiny-chat"])
    assert models["tiny-chat"]["task"] == "llm"
    devices = client.predict(api_name="/devices")
    assert {"name": "CPU"}.items() <= devices[0].items()

    assert client.predict("tiny-chat", api_name="/unload_model")["status"] == "unloaded"
    loaded = client.predict("tiny-chat", "CPU", api_name="/load_model")
    assert loaded["status"] == "ready" and loaded["device"] == "CPU" and loaded["load_time_s"] > 0

    with pytest.raises(AppError, match="Available devices: CPU"):
        client.predict("tiny-chat", "NPU", api_name="/load_model")
    with pytest.raises(AppError, match="failed to load"):
        client.predict("missing-chat", api_name="/load_model")
    failed = {m["name"]: m for m in client.predict(api_name="/models")}["missing-chat"]
    assert failed["status"] == "failed" and "openvino-ui prepare" in failed["error"]
    assert {m["name"]: m for m in client.predict(api_name="/models")}["tiny-chat"]["status"] == "ready"


def test_stats_record_generation_speed(client):
    client.predict("Hello", "tiny-chat", api_name="/chat")
    rows = [r for r in client.predict("tiny-chat", api_name="/stats") if r["device"] == "CPU"]
    assert rows[0]["requests"] >= 1 and rows[0]["avg_tokens_per_s"] > 0 and rows[0]["avg_ttft_ms"] > 0


def test_cancelling_a_stream_frees_the_model(client, served_app):
    job = client.submit(ENDLESS_PROMPT, "tiny-chat", None, None, 100000, 0.0, api_name="/chat")
    deadline = time.time() + 30
    while not job.outputs() and time.time() < deadline:
        time.sleep(0.05)
    assert job.outputs(), "the stream never started"
    job.cancel()
    engine = served_app.pool.get("tiny-chat")
    deadline = time.time() + 10
    while engine.is_busy() and time.time() < deadline:
        time.sleep(0.05)
    assert not engine.is_busy(), "generation went on after the client cancelled"
    assert client.predict("What is the capital of France?", "tiny-chat", api_name="/chat") == "Paris."
