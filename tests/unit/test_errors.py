"""Our errors become gr.Error with the same text; anything else becomes a generic message."""

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
