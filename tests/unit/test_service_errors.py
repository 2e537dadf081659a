"""Each of our errors carries what an HTTP adapter needs: a status, an OpenAI-style type and code,
and the request field at fault, so an error body is built without matching on the message."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import openvino_ui
from openvino_ui.errors import (
    ConfigError,
    DeviceNotAvailable,
    InvalidInput,
    ModelBusy,
    ModelLoadFailed,
    ModelNotFound,
    ModelNotReady,
    ModelQueueFull,
    NoDeviceLeft,
    RemoteFailed,
    RemoteTimeout,
    RemoteUnavailable,
    UserError,
    WrongTask,
)
from openvino_ui.prepare.errors import PrepareError
from openvino_ui.service import RerankRequest, SpeakRequest, TranscribeRequest

CASES = [
    (InvalidInput("bad", param="top_k"), 400, "invalid_request_error", "invalid_value", "top_k"),
    (WrongTask("m", "llm", "asr", ["w"]), 400, "invalid_request_error", "wrong_model_task", "model"),
    (
        DeviceNotAvailable("GPU", "GPU", ["CPU"]),
        400,
        "invalid_request_error",
        "device_not_available",
        "device",
    ),
    (NoDeviceLeft("AUTO:-CPU", ["CPU"], ["CPU"]), 400, "invalid_request_error", "no_device_left", "device"),
    (ModelNotFound("m", ["a"]), 404, "invalid_request_error", "model_not_found", "model"),
    (ModelBusy("m", 300), 503, "server_error", "model_busy", None),
    (ModelQueueFull("m", 32), 429, "invalid_request_error", "model_queue_full", None),
    (ModelLoadFailed("m", "CPU", "no files"), 503, "server_error", "model_load_failed", None),
    (ModelNotReady("m"), 503, "server_error", "model_not_ready", None),
    (ConfigError(["a", "b"]), 500, "server_error", "config_error", None),
    (PrepareError("x"), 500, "server_error", "prepare_failed", None),
    (
        RemoteUnavailable("m", "http://h/v1", "cannot be reached"),
        503,
        "server_error",
        "remote_unavailable",
        None,
    ),
    (RemoteFailed("m", "http://h/v1", "failed (HTTP 500)"), 502, "server_error", "remote_error", None),
    (RemoteTimeout("m", "http://h/v1", "did not answer"), 504, "server_error", "remote_timeout", None),
]


@pytest.mark.parametrize(("error", "status", "kind", "code", "param"), CASES)
def test_each_error_has_a_status_type_code_and_param(error, status, kind, code, param):
    assert (error.status, error.type, error.code, error.param) == (status, kind, code, param)
    assert error.details == {"message": str(error), "type": kind, "param": param, "code": code}


def test_a_param_given_to_one_error_stays_with_it():
    assert ModelNotFound("m", []).param == "model" and ModelNotFound.param == "model"
    assert InvalidInput("x").param is None and InvalidInput("x", param="seed").param == "seed"
    assert UserError("x").details["code"] is None and UserError("x").status == 400


def all_user_errors() -> set[type[UserError]]:
    for module in pkgutil.walk_packages(openvino_ui.__path__, "openvino_ui."):
        if module.name.split(".")[1] in ("errors", "prepare"):
            importlib.import_module(module.name)
    found, todo = set(), [UserError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_error_class_has_a_known_status_and_a_code():
    for kind in all_user_errors():
        assert kind.status in (400, 401, 403, 404, 409, 429, 500, 502, 503, 504, 507), kind
        assert kind.code, f"{kind.__name__} has no code"
        assert kind.type == ("server_error" if kind.status >= 500 else "invalid_request_error"), kind


@pytest.mark.parametrize(
    ("kind", "values", "param"),
    [
        (RerankRequest, {"query": "", "documents": ["a"]}, "query"),
        (RerankRequest, {"query": "q", "documents": ["a", 2]}, "documents"),
        (RerankRequest, {"query": "q", "documents": ["a"], "top_n": 0}, "top_n"),
        (SpeakRequest, {"text": "Hi", "voice": "v" * 100}, "voice"),
        (SpeakRequest, {"text": "Hi", "speed": "fast"}, "speed"),
        (TranscribeRequest, {"audio": b"", "language": "fr"}, "audio"),
        (TranscribeRequest, {"audio": "/a.wav", "timestamps": "words"}, "timestamps"),
        (TranscribeRequest, {"audio": "/a.wav", "model": 7}, "model"),
        (TranscribeRequest, {"audio": "/a.wav", "bogus": 1}, "bogus"),
    ],
)
def test_request_errors_name_the_field(kind, values, param):
    with pytest.raises(InvalidInput) as info:
        kind.of(**values)
    assert info.value.param == param and info.value.status == 400
