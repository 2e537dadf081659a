"""Our errors become gr.Error with the same text; anything else becomes a generic message."""

import logging

import gradio as gr
import pytest

from openvino_ui.api.errors import as_gradio_error, user_errors
from openvino_ui.errors import InvalidInput, ModelNotFound


def test_user_errors_keep_their_message_and_title():
    err = as_gradio_error(ModelNotFound("x", ["a", "b"]))
    assert isinstance(err, gr.Error)
    assert err.message == "Model 'x' is not configured. Choose one of: a, b (or add it to models.yaml)."
    assert err.title == "Unknown model"


def test_internal_errors_are_generic_and_logged(caplog):
    err = as_gradio_error(KeyError("secret detail"))
    assert "Internal error (KeyError)" in err.message and "secret" not in err.message
    assert "internal error" in caplog.text


def test_decorator_handles_functions_and_generators():
    @user_errors
    def plain(x: int) -> int:
        """Doc."""
        raise InvalidInput("bad x")

    @user_errors
    def gen(x: int):
        yield 1
        raise InvalidInput("bad stream")

    assert plain.__doc__ == "Doc." and plain.__name__ == "plain"
    with pytest.raises(gr.Error, match="bad x"):
        plain(1)
    stream = gen(1)
    assert next(stream) == 1
    with pytest.raises(gr.Error, match="bad stream"):
        next(stream)


# -- quoting user values: bounded ------------------------------------------------------------------


def test_quote_caps_what_a_message_echoes():
    from openvino_ui.errors import QUOTE_LIMIT, describe, quote

    assert quote("CPU") == "'CPU'"
    long = quote("X" * 100_000)
    assert len(long) == QUOTE_LIMIT and long.endswith("…") and long.startswith("'XXX")
    assert len(quote(list(range(10_000)))) <= QUOTE_LIMIT
    assert len(quote({"k" * 500: ["v" * 500] * 50})) <= QUOTE_LIMIT
    assert quote("a\ud800b") == "'a\\ud800b'"  # escaped: the message stays valid text
    assert describe("X" * 1000).endswith("(a string of 1000 characters)")
    assert describe("10") == "'10' (a string)" and describe(True) == "True (a boolean)"
    assert describe(None) == "None" and describe(1.5) == "1.5 (a number)"


def test_error_classes_quote_user_values_briefly():
    from openvino_ui.errors import DeviceNotAvailable, ModelLoadFailed, WrongTask

    for error in (
        ModelNotFound("n" * 100_000, ["a"]),
        WrongTask("n" * 100_000, "llm", "asr", ["a"]),
        ModelLoadFailed("n" * 100_000, "D" * 100_000, "broken"),
        DeviceNotAvailable("D" * 100_000, "G" * 100_000, ["CPU"]),
    ):
        assert len(str(error)) < 400, type(error).__name__


# -- logging internal errors without the user's content --------------------------------------------


def _raise_quoting(text: str) -> None:
    raise TypeError(f"incompatible function arguments. Invoked with: {text!r}")


def test_internal_errors_are_logged_without_their_message(caplog):
    caplog.set_level(logging.DEBUG)
    try:
        _raise_quoting("the user's secret prompt")
    except TypeError as exc:
        err = as_gradio_error(exc)
    assert err.message == "Internal error (TypeError); the details are in the server log."
    above_debug = [r for r in caplog.records if r.levelno > logging.DEBUG]
    assert len(above_debug) == 1
    line = above_debug[0].getMessage()
    assert "TypeError at tests.unit.test_errors:_raise_quoting:" in line
    assert "a value of an unexpected type" in line
    assert "secret" not in line and above_debug[0].exc_info is None
    # the traceback (which quotes the input) is logged at DEBUG only
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]
    assert debug and "secret" in caplog.text


def test_error_place_and_reason():
    from openvino_ui.errors import error_place, error_reason

    assert error_place(ValueError("no traceback")) == "unknown"
    try:
        open("/nonexistent/the-user's-file-name")
    except OSError as exc:
        assert error_reason(exc) == "[Errno 2] No such file or directory"
        assert "test_errors:test_error_place_and_reason:" in error_place(exc)
    assert error_reason(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates")) == (
        "text that could not be encoded or decoded"
    )
    assert error_reason(type("Odd", (Exception,), {})()) == "an unexpected failure"


def test_the_log_filter_drops_exception_text_above_debug():
    from openvino_ui.cli import NoExceptionText

    try:
        _raise_quoting("the user's secret prompt")
    except TypeError as exc:
        info = (type(exc), exc, exc.__traceback__)
    record = logging.LogRecord("gradio", logging.ERROR, __file__, 1, "request failed: %s", ("x",), info)
    assert NoExceptionText().filter(record)
    text = logging.Formatter().format(record)
    assert "secret" not in text and "request failed: x [TypeError at tests.unit.test_errors:" in text
    debug = logging.LogRecord("gradio", logging.DEBUG, __file__, 1, "details", None, info)
    NoExceptionText().filter(debug)
    assert "secret" in logging.Formatter().format(debug)


def test_decorated_endpoints_check_their_arguments():
    @user_errors
    def endpoint(text: str, model: str = "") -> str:
        """Doc."""
        return text

    with pytest.raises(gr.Error, match="text must be a string; got 123") as info:
        endpoint(123)
    assert info.value.title == "Invalid input"
    with pytest.raises(gr.Error, match="not valid Unicode"):
        endpoint("a\ud800")
    assert endpoint("fine", None) == "fine"


@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_the_serve_logging_keeps_exception_text_out_above_debug(level, shown):
    import os
    import subprocess
    import sys

    script = (
        "import logging\n"
        "from openvino_ui.cli import _configure_logging\n"
        "_configure_logging()\n"
        "try:\n"
        "    raise TypeError('Invoked with: the user secret')\n"
        "except TypeError:\n"
        "    logging.getLogger('gradio').exception('request failed')\n"
    )
    env = {**os.environ, "OPENVINO_UI_LOG": level}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert "request failed" in done.stderr
    assert ("the user secret" in done.stderr) is shown, done.stderr
    if not shown:
        assert "[TypeError at __main__:<module>:5: a value of an unexpected type;" in done.stderr
