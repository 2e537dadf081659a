"""No user content reaches the server's log (at any level above DEBUG) or its stdout/stderr.

Bad requests that carry a unique marker go to every endpoint, including requests Gradio refuses
before our code runs (too few values, files that are not uploads) and requests that end in an
internal error whose exception text quotes the input (as pybind11's TypeErrors do). Every log record
(the root logger and uvicorn's, which do not propagate) and everything written to the process's
stdout and stderr (Gradio prints tracebacks there) is searched for the marker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gradio_client.exceptions import AppError

MARKER = "zq7MARKERx41"
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "gradio", "httpx")


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, self.format(record)))  # with the traceback, if any


@pytest.fixture
def server_log() -> Iterator[Keep]:
    """Every record of the process at DEBUG and above, formatted as a log file would show it."""
    keep = Keep()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(keep)
    logging.getLogger().setLevel(logging.DEBUG)
    yield keep
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(keep)
        lg.setLevel(level)


def raw_call(url: str, api_name: str, data: list[Any]) -> dict | list | None:
    """POST to /gradio_api/call/<api_name> (lone surrogates as JSON escapes); the last event's data."""
    with httpx.Client(base_url=url, timeout=120) as http:
        posted = http.post(
            f"gradio_api/call/{api_name}",
            content=json.dumps({"data": data}),
            headers={"Content-Type": "application/json"},
        )
        stream = http.get(f"gradio_api/call/{api_name}/{posted.json()['event_id']}").text
    payload = None
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
        if fields.get("event") in ("complete", "error"):
            payload = json.loads(fields.get("data", "null"))
    return payload


def bad_client_calls() -> list[tuple[str, tuple]]:
    m = MARKER
    return [
        ("/chat", (m, "tiny-chat", None, None, "many")),
        ("/chat", (m, "tiny-chat", f"system {m}", [{"role": "robot", "content": m}])),
        ("/chat", ("hi", m)),
        ("/chat", (m, "tiny-chat", None, None, 10**9)),
        ("/describe", ({"path": f"/tmp/{m}.png"}, m, "tiny-vision")),
        ("/describe", (None, m, "tiny-vision", [{"role": m}])),
        ("/transcribe", ({"path": f"/etc/{m}"}, "tiny-asr", m)),
        ("/transcribe", (None, "tiny-asr", m, m, m)),
        ("/speak", (m, "tiny-tts", m, 1.0, m)),
        ("/speak", (m, "tiny-tts", "", None, "")),
        ("/speak", (m * 500, "tiny-tts")),
        ("/embed", ([m, 1], "tiny-embed")),
        ("/embed", ([m], "tiny-embed", m)),
        ("/embed", ([m], m)),
        ("/rerank", (m, [m, ""], "tiny-rerank")),
        ("/rerank", (m, [m], "tiny-rerank", m)),
        ("/load_model", (m, "CPU")),
        ("/load_model", ("tiny-chat", m)),
        ("/load_model", ("tiny-chat", f"HETERO:{m}")),
        ("/unload_model", (m,)),
        ("/stats", (m,)),
        ("/stats", ([m],)),
    ]


def bad_raw_calls() -> list[tuple[str, list]]:
    m, s = MARKER, "\ud800"
    file = {"meta": {"_type": "gradio.FileData"}}
    return [
        ("chat", [f"{m} {s}", "tiny-chat", None, None, 4, None, None, None, None, None]),
        ("chat", [m]),  # too few values: Gradio's "Received inputs: [...]"
        ("chat", ["hi", "tiny-chat", None, [{"role": "user", "content": f"{m}{s}"}]] + [None] * 6),
        ("describe", [{**file, "path": f"/etc/{m}"}, m, "tiny-vision"] + [None] * 7),
        ("describe", [{**file, "path": f"http://127.0.0.1:9/{m}.png"}, m, "tiny-vision"] + [None] * 7),
        ("transcribe", [{**file, "path": f"file:///tmp/{m}.wav"}, "tiny-asr", "auto", "transcribe", "none"]),
        (
            "transcribe",
            [{**file, "path": f"/tmp/gradio/../{m}.wav"}, "tiny-asr", "auto", "transcribe", "none"],
        ),
        ("transcribe", [{**file, "path": 7, "orig_name": m}, "tiny-asr", "auto", "transcribe", "none"]),
        ("speak", [f"{m}{s}", "tiny-tts", "", 1.0, ""]),
        ("speak", [m, "tiny-tts", "", float("nan"), ""]),
        ("embed", [[m, f"{m}{s}"], "tiny-embed", "document"]),
        ("rerank", [f"{m}{s}", [m], "tiny-rerank", 1]),
        ("load_model", [f"{m}{s}", ""]),
        ("stats", [{m: s}]),
        ("models", [m]),
        ("devices", [m, m]),
    ]


def test_bad_requests_leave_no_user_content_in_the_log(client, app_url, served_app, server_log, capfd):
    answers = []
    for api_name, args in bad_client_calls():
        with pytest.raises(AppError) as info:
            client.predict(*args, api_name=api_name)
        answers.append((api_name, info.value.title, info.value.message))
    for api_name, data in bad_raw_calls():
        payload = raw_call(app_url, api_name, data)
        if api_name not in ("models", "devices"):  # these take no values: extra ones are ignored
            error = payload if isinstance(payload, dict) else {}  # a list: it succeeded
            answers.append((api_name, error.get("title"), error.get("error")))
    out, err = capfd.readouterr()

    leaked = [line for level, line in server_log.lines if level > logging.DEBUG and MARKER in line]
    assert not leaked, leaked
    assert MARKER not in out and MARKER not in err, "user content was printed to stdout/stderr"
    # every request got a message, and none was an internal error
    assert all(message and title != "Internal error" for _, title, message in answers), answers
    # the model stays loaded and a good request still works
    assert client.predict("What is the capital of France?", "tiny-chat", api_name="/chat") == "Paris."
    assert {m["name"]: m["status"] for m in client.predict(api_name="/models")}["tiny-chat"] == "ready"


def test_internal_errors_log_type_and_place_not_the_message(
    client, served_app, server_log, capfd, monkeypatch
):
    """An exception whose text quotes the request (as pybind11's "Invoked with: ..." does) is logged
    by its type and place only; the client sees a generic message; the traceback is at DEBUG."""

    def quoting_failure(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"incompatible function arguments. Invoked with: {args!r}")

    client.predict(["warm up"], "tiny-embed", api_name="/embed")
    for name, method in (("tiny-embed", "embed"), ("tiny-chat", "stream"), ("tiny-rerank", "rerank")):
        monkeypatch.setattr(served_app.pool.get(name), method, quoting_failure)

    calls = [
        ("/embed", ([MARKER], "tiny-embed")),
        ("/chat", (MARKER, "tiny-chat")),
        ("/rerank", (MARKER, ["a", MARKER], "tiny-rerank")),
    ]
    for api_name, args in calls:
        with pytest.raises(AppError) as info:
            client.predict(*args, api_name=api_name)
        assert info.value.title == "Internal error"
        assert "Internal error (TypeError)" in info.value.message and MARKER not in info.value.message
    monkeypatch.undo()

    errors = [line for level, line in server_log.lines if level >= logging.ERROR and "internal error" in line]
    assert len(errors) == 3, server_log.lines
    assert all("TypeError at tests.api.test_log_privacy:quoting_failure:" in line for line in errors), errors
    assert all("a value of an unexpected type" in line for line in errors)
    leaked = [line for level, line in server_log.lines if level > logging.DEBUG and MARKER in line]
    assert not leaked, leaked
    # the whole story is still there for whoever runs with DEBUG
    assert any(level == logging.DEBUG and MARKER in line for level, line in server_log.lines)
    out, err = capfd.readouterr()
    assert MARKER not in out and MARKER not in err
    # nothing stayed broken: the same models serve good requests
    assert client.predict("What is the capital of France?", "tiny-chat", api_name="/chat") == "Paris."
    assert len(client.predict(["a cat"], "tiny-embed", api_name="/embed")) == 1
    statuses = {m["name"]: m["status"] for m in client.predict(api_name="/models")}
    assert statuses["tiny-chat"] == statuses["tiny-embed"] == "ready"
