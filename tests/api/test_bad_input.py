"""Bad input to every endpoint is a clear user error, never "Internal error" nor {"error": null}; the
model stays loaded and the next good request works.

gradio_client cannot send a lone surrogate (it encodes the body as UTF-8) and uploads any local path
it is given, so those requests go over raw HTTP (/gradio_api/call/<endpoint>), as curl would send them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

QUOTE_LIMIT = 80  # the most characters of a value an error message may quote (errors.QUOTE_LIMIT)

# A value of every JSON type for every parameter slot (NaN and infinity: see test_nan_and_infinity_...;
# gradio_client's JSON encoder refuses them, Python's json module and other clients send them).
ODD_VALUES: list[Any] = [None, 7, 1.5, "x", [1, "a"], {"a": 1}, True, -3]
SURROGATE = "bad \ud800 text"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad-input")
    wav, one_sample, red = folder / "tone.wav", folder / "one-sample.wav", folder / "red.png"
    t = np.arange(16000) / 16000
    sf.write(str(wav), 0.3 * np.sin(2 * np.pi * 220 * t), 16000)
    sf.write(str(one_sample), np.array([0.5], np.float32), 16000)
    Image.new("RGB", (64, 48), (255, 0, 0)).save(red)
    return {"wav": str(wav), "one_sample": str(one_sample), "red": str(red)}


def good_args(files: dict[str, str]) -> dict[str, list[Any]]:
    """Valid positional arguments of every public endpoint (cheap to run: few tokens, short audio)."""
    return {
        "/chat": ["Hello", "tiny-chat", None, None, 4, None, None, None, None, None],
        "/describe": [
            handle_file(files["red"]),
            "What color?",
            "tiny-vision",
            None,
            4,
            None,
            None,
            None,
            None,
            None,
        ],
        "/transcribe": [handle_file(files["wav"]), "tiny-asr", "auto", "transcribe", "none", 0],
        "/speak": ["Hi.", "tiny-tts", "", 1.0, ""],
        "/embed": [["a cat"], "tiny-embed", "document"],
        "/rerank": ["cat", ["a cat", "a dog"], "tiny-rerank", 1],
        "/models": [],
        "/devices": [],
        "/load_model": ["tiny-chat", "CPU", "", ""],
        "/unload_model": ["missing-chat"],  # never loaded: unloading it changes nothing
        "/stats": [""],
    }


def assert_user_error(error: AppError, *expected: str) -> None:
    message = str(error.message)
    assert "not enabled verbose error reporting" not in message, "the client got {'error': null}"
    assert error.title != "Internal error" and not message.startswith("Internal error"), message
    for text in expected:
        assert text in message, message


def raw_call(url: str, api_name: str, data: list[Any]) -> tuple[str, Any]:
    """POST `data` to /gradio_api/call/<api_name> and read the result: (last event, its data)."""
    body = json.dumps({"data": data})  # ensure_ascii: a lone surrogate travels as the escape \ud800
    with httpx.Client(base_url=url, timeout=120) as http:
        posted = http.post(
            f"gradio_api/call/{api_name}", content=body, headers={"Content-Type": "application/json"}
        )
        assert posted.status_code == 200, posted.text
        stream = http.get(f"gradio_api/call/{api_name}/{posted.json()['event_id']}").text
    event, payload = "", None
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
        if fields.get("event") in ("complete", "error", "generating"):
            event, payload = fields["event"], json.loads(fields.get("data", "null"))
    return event, payload


def assert_raw_user_error(event: str, payload: Any, *expected: str) -> str:
    assert event == "error", (event, payload)
    assert isinstance(payload, dict) and payload.get("error"), f"no message reached the client: {payload}"
    assert payload.get("title") != "Internal error", payload
    for text in expected:
        assert text in payload["error"], payload["error"]
    return payload["error"]


MODEL_OF = {"/chat": "tiny-chat", "/describe": "tiny-vision", "/transcribe": "tiny-asr", "/speak": "tiny-tts"}
MODEL_OF |= {
    "/embed": "tiny-embed",
    "/rerank": "tiny-rerank",
    "/load_model": "tiny-chat",
    "/stats": "tiny-chat",
}


def assert_still_serving(client, served_app) -> None:
    """The models stay loaded after bad requests, and good ones still work."""
    assert client.predict("What is the capital of France?", "tiny-chat", api_name="/chat") == "Paris."
    status = {m["name"]: m["status"] for m in client.predict(api_name="/models")}
    assert status["tiny-chat"] == "ready"


def assert_endpoint_still_works(client, files, api_name: str) -> None:
    """A good request to `api_name` works, and its model is (still) loaded afterwards."""
    client.predict(*good_args(files)[api_name], api_name=api_name)
    model = MODEL_OF.get(api_name)
    if model and api_name not in ("/stats",):
        status = {m["name"]: m["status"] for m in client.predict(api_name="/models")}
        assert status[model] == "ready", status


# -- the cases of issue 11 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_name", "args", "expected"),
    [
        ("/chat", (123, "tiny-chat"), ["message must be a string", "123 (an integer)"]),
        (
            "/chat",
            ("hi", "tiny-chat", None, None, "10"),
            ["max_new_tokens must be between 1 and 100000 (an integer)", "got '10' (a string)"],
        ),
        ("/chat", ("hi", "tiny-chat", None, None, 1.5), ["max_new_tokens must be", "got 1.5 (a number)"]),
        ("/chat", ("hi", "tiny-chat", None, None, True), ["max_new_tokens must be", "True (a boolean)"]),
        (
            "/chat",
            ("hi", "tiny-chat", None, None, None, None, None, None, None, 2**70),
            ["seed must be between 0 and 18446744073709551615", str(2**70)],
        ),
        ("/chat", ("hi", "tiny-chat", None, None, None, None, None, 2.5), ["top_k must be", "2.5"]),
        ("/chat", ("hi", "tiny-chat", None, None, None, None, 0), ["top_p must be above 0 and at most 1"]),
        ("/chat", ("hi", "tiny-chat", 5), ["system_prompt must be a string or None"]),
        ("/chat", ("hi", "tiny-chat", None, "earlier"), ["history must be a list"]),
        ("/speak", ("Hi.", "tiny-tts", "", None), ["speed must be a number", "got None"]),
        ("/speak", ("Hi.", "tiny-tts", "", "fast"), ["speed must be a number", "'fast' (a string)"]),
        (
            "/rerank",
            ("q", ["a", "b"], "tiny-rerank", "2"),
            ["top_n must be between 1 and 8 (an integer)", "'2' (a string)"],
        ),
        ("/rerank", ("q", ["a", "b"], "tiny-rerank", 1.5), ["top_n must be", "1.5 (a number)"]),
        ("/rerank", ("q", "ab", "tiny-rerank", 1), []),  # one string is one document: fine
        ("/embed", ([1, 2], "tiny-embed"), ["texts[0] must be a string", "1 (an integer)"]),
        ("/embed", ({"a": 1}, "tiny-embed"), ["texts must be a list of strings"]),
        ("/embed", (["a"], "tiny-embed", "both"), ["kind must be one of 'document', 'query'"]),
        ("/load_model", (["tiny-chat"], "CPU"), ["name must be a string", "(a list of 1 items)"]),
        ("/load_model", ("tiny-chat", 1), ["device must be a string"]),
        ("/stats", ([1],), ["name must be a string"]),
        ("/stats", ({"a": 1},), ["name must be a string"]),
    ],
)
def test_wrong_types_are_clear_user_errors(client, files, api_name, args, expected):
    if not expected:  # a valid request among the cases: it must simply work
        assert client.predict(*args, api_name=api_name)
        return
    client.predict(*good_args(files)[api_name], api_name=api_name)  # the model is loaded
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    assert_user_error(info.value, *expected)
    assert info.value.title == "Invalid input"
    assert_endpoint_still_works(client, files, api_name)


def test_floats_accept_integers_and_integers_refuse_floats(client):
    # temperature 0 (an int) is a float parameter's valid value; max_new_tokens 4.0 is not an integer
    assert client.predict(
        "What is the capital of France?", "tiny-chat", None, None, 8, 0, 1, api_name="/chat"
    )
    with pytest.raises(AppError) as info:
        client.predict("hi", "tiny-chat", None, None, 4.0, api_name="/chat")
    assert_user_error(info.value, "max_new_tokens must be", "4.0 (a number)")
    assert client.predict("Hi.", "tiny-tts", "", 1, "", api_name="/speak")  # speed 1 (an int) is 1.0


def test_seed_minus_one_means_random(client):
    assert isinstance(
        client.predict("Hello", "tiny-chat", None, None, 4, 0.7, 0.9, 5, 1.1, -1, api_name="/chat"), str
    )


def test_a_one_sample_wav_is_refused_with_the_minimum(client, served_app, files):
    with pytest.raises(AppError) as info:
        client.predict(handle_file(files["one_sample"]), "tiny-asr", api_name="/transcribe")
    assert_user_error(info.value, "6.25e-05 s long", "send at least 0.1 s")
    assert served_app.pool.get("tiny-asr").state.value in ("ready", "unloaded")
    text, *_ = client.predict(handle_file(files["wav"]), "tiny-asr", api_name="/transcribe")
    assert isinstance(text, str)


# -- every parameter of every endpoint, with a value of every type --------------------------------


def test_no_value_in_any_slot_is_an_internal_error(client, served_app, files):
    base = good_args(files)
    tried = 0
    for api_name, args in base.items():
        for slot in range(len(args)):
            for value in ODD_VALUES:
                call = list(args)
                call[slot] = value
                tried += 1
                try:
                    client.predict(*call, api_name=api_name)
                except AppError as error:
                    assert_user_error(error)
    assert tried > 300
    assert_still_serving(client, served_app)


# -- lone surrogates in every text field -----------------------------------------------------------


def surrogate_cases(files_uploaded: dict[str, Any]) -> list[tuple[str, list[Any], str]]:
    image, audio = files_uploaded["image"], files_uploaded["audio"]
    bad = SURROGATE
    return [
        ("chat", [bad, "tiny-chat", None, None, 4, None, None, None, None, None], "message"),
        ("chat", ["hi", "tiny-chat", bad, None, 4, None, None, None, None, None], "system_prompt"),
        (
            "chat",
            ["hi", "tiny-chat", None, [{"role": "user", "content": bad}], 4, None, None, None, None, None],
            "history[0]",
        ),
        ("chat", ["hi", bad, None, None, 4, None, None, None, None, None], "model"),
        ("describe", [image, bad, "tiny-vision", None, 4, None, None, None, None, None], "question"),
        (
            "describe",
            [image, "What?", "tiny-vision", [{"role": "assistant", "content": bad}], 4] + [None] * 5,
            "history[0]",
        ),
        ("transcribe", [audio, "tiny-asr", bad, "transcribe", "none", 0], "language"),
        ("transcribe", [audio, bad, "auto", "transcribe", "none", 0], "model"),
        ("transcribe", [audio, "tiny-asr", "auto", bad, "none", 0], "task"),
        ("speak", [bad, "tiny-tts", "", 1.0, ""], "text"),
        ("speak", ["Hi.", "tiny-tts", bad, 1.0, ""], "voice"),
        ("speak", ["Hi.", "tiny-tts", "", 1.0, bad], "language"),
        ("embed", [["fine", bad], "tiny-embed", "document"], "texts[1]"),
        ("embed", [["fine"], "tiny-embed", bad], "kind"),
        ("rerank", [bad, ["a", "b"], "tiny-rerank", 1], "query"),
        ("rerank", ["q", ["a", bad], "tiny-rerank", 1], "documents[1]"),
        ("load_model", [bad, "CPU", "", ""], "name"),
        ("load_model", ["tiny-chat", bad, "", ""], "device"),
        ("load_model", ["tiny-chat", "", "", bad], "version"),
        ("unload_model", [bad, ""], "name"),
        ("stats", [bad], "name"),
        ("model_info", [bad], "name"),
        ("model_versions", [bad], "name"),
        ("reload_model", [bad, ""], "name"),
        ("set_model_properties", ["tiny-chat", bad, "", "", ""], "performance_hint"),
        ("benchmark_model", [bad, ["CPU"], ""], "name"),
        ("add_model", [bad, "embedding", "local", "/tmp/x", "int8", "", "", ""], "name"),
        ("remove_model", [bad, False, ""], "name"),
    ]


@pytest.fixture(scope="module")
def uploaded(app_url, files) -> dict[str, Any]:
    """Files uploaded to the server, as the FileData dicts a raw request carries."""

    def upload(path: str) -> dict:
        with open(path, "rb") as handle:
            response = httpx.post(f"{app_url}gradio_api/upload", files=[("files", handle)], timeout=60)
        return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}

    return {"image": upload(files["red"]), "audio": upload(files["wav"])}


@pytest.mark.parametrize("case", range(28))
def test_lone_surrogates_are_refused_in_every_text_field(app_url, uploaded, case):
    api_name, data, what = surrogate_cases(uploaded)[case]
    event, payload = raw_call(app_url, api_name, data)
    message = assert_raw_user_error(event, payload, what, "not valid Unicode text", "U+D800")
    assert payload["title"] == "Invalid input", message


def test_surrogate_cases_cover_the_list():
    assert len(surrogate_cases({"image": {}, "audio": {}})) == 28


# -- file references that are not uploads ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "/tmp/gradio/../../etc/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x.wav", ""],
)
@pytest.mark.parametrize("api_name", ["transcribe", "describe"])
def test_file_references_outside_the_upload_folder_get_a_message(app_url, client, served_app, api_name, path):
    reference = {"path": path, "meta": {"_type": "gradio.FileData"}}
    data = [reference, "tiny-asr"] if api_name == "transcribe" else [reference, "What?", "tiny-vision"]
    event, payload = raw_call(app_url, api_name, data)
    what = "audio" if api_name == "transcribe" else "image"
    message = assert_raw_user_error(event, payload, f"The {what}", "handle_file")
    assert "uploaded" in message and "/etc/passwd" not in message
    assert payload["title"] == "Invalid input"


def test_too_few_values_get_a_message(app_url, client, served_app):
    event, payload = raw_call(app_url, "chat", ["only the message"])
    assert_raw_user_error(event, payload, "/chat takes 10 values", "got 1")
    event, payload = raw_call(app_url, "chat", ["Hello", "tiny-chat"] + [None] * 8)
    assert event == "complete" and isinstance(payload[0], str)


# -- echoes are bounded ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_name", "args"),
    [
        ("/load_model", ("tiny-chat", "X" * 100_000)),
        ("/load_model", ("n" * 100_000, "CPU")),
        ("/chat", ("hi", "m" * 100_000)),
        ("/embed", (["a"], "tiny-embed", "k" * 100_000)),
        ("/transcribe", (None, "tiny-asr", "l" * 100_000)),
        ("/speak", ("Hi.", "tiny-tts", "v" * 100_000)),
        ("/chat", ("hi", "tiny-chat", None, None, "9" * 100_000)),
        ("/chat", ("hi", "tiny-chat", None, [{"role": "robot", "content": "c" * 100_000}])),
    ],
)
def test_error_messages_quote_at_most_a_little_of_a_value(client, api_name, args):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    message = str(info.value.message)
    assert_user_error(info.value)
    assert len(message) < 600, message
    longest_run = max(len(run) for run in message.replace("'", " ").split())
    assert longest_run <= QUOTE_LIMIT, message


def test_a_huge_device_string_names_its_length(client, served_app):
    with pytest.raises(AppError) as info:
        client.predict("tiny-chat", "X" * 100_000, api_name="/load_model")
    assert "…" in info.value.message and "100000 characters" in info.value.message
    assert_still_serving(client, served_app)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("api_name", "data", "slot", "what"),
    [
        ("chat", ["hi", "tiny-chat", None, None, 4, None, None, None, None, None], 5, "temperature"),
        ("chat", ["hi", "tiny-chat", None, None, 4, None, None, None, None, None], 6, "top_p"),
        ("chat", ["hi", "tiny-chat", None, None, 4, None, None, None, None, None], 8, "repetition_penalty"),
        ("chat", ["hi", "tiny-chat", None, None, 4, None, None, None, None, None], 4, "max_new_tokens"),
        ("chat", ["hi", "tiny-chat", None, None, 4, None, None, None, None, None], 9, "seed"),
        ("speak", ["Hi.", "tiny-tts", "", 1.0, ""], 3, "speed"),
        ("rerank", ["q", ["a", "b"], "tiny-rerank", 1], 3, "top_n"),
    ],
)
def test_nan_and_infinity_are_refused(app_url, api_name, data, slot, what, value):
    data = list(data)
    data[slot] = value
    event, payload = raw_call(app_url, api_name, data)  # json.dumps writes NaN / Infinity
    assert_raw_user_error(event, payload, f"{what} must be", "(not a finite number)")
