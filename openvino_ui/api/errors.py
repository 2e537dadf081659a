"""Turn our errors into gr.Error for the browser and the API; log anything unexpected."""

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..errors import UserError

log = logging.getLogger(__name__)


def as_gradio_error(exc: BaseException) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, UserError):
        return gr.Error(str(exc), title=exc.title, print_exception=False)
    log.exception("internal error", exc_info=exc)
    return gr.Error(
        f"Internal error ({type(exc).__name__}); the details are in the server log.",
        title="Internal error",
        print_exception=False,
    )


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an endpoint so that every error reaches the user as a gr.Error with a clear message.

    Works for plain functions and generators; keeps the signature and docstring Gradio reads.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except GeneratorExit:
                raise
            except Exception as exc:
                raise as_gradio_error(exc) from exc

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise as_gradio_error(exc) from exc

    return wrapper
