"""Turn our errors into gr.Error for the browser and the API; log anything unexpected, without the
user's content.

An exception's text may quote what the user sent: pybind11's TypeError lists the arguments of the
failed call ("Invoked with: ... 'the prompt'"), pydantic and Gradio repeat the values they refused.
So an internal error is logged as its type, the place it was raised (module:function:line) and a
reason that depends only on the type; the full traceback is logged at DEBUG only.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.caching import CacheMissError
from gradio.exceptions import InvalidPathError

from ..errors import InvalidInput, UserError, error_place, error_reason
from .arguments import argument_checker
from .uploads import check_reference

log = logging.getLogger(__name__)


def log_internal_error(exc: BaseException, what: str = "internal error") -> None:
    """Log `exc` without its message: type, place and an input-free reason; the traceback at DEBUG."""
    cause = exc.__cause__ or exc.__context__
    chain = f"; raised while handling {type(cause).__name__} at {error_place(cause)}" if cause else ""
    log.error("%s: %s at %s (%s)%s", what, type(exc).__name__, error_place(exc), error_reason(exc), chain)
    log.debug("%s: traceback (may quote the request)", what, exc_info=exc)


def as_gradio_error(exc: BaseException) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, UserError):
        return gr.Error(str(exc), title=exc.title, print_exception=False)
    log_internal_error(exc)
    return gr.Error(
        f"Internal error ({type(exc).__name__}); the details are in the server log.",
        title="Internal error",
        print_exception=False,
    )


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an endpoint so that every error reaches the user as a gr.Error with a clear message.

    The arguments are checked first against what the type hints say (arguments.argument_checker:
    strings, Literal choices, valid Unicode everywhere). Works for plain functions and generators;
    keeps the signature and docstring Gradio reads.
    """
    check_arguments = argument_checker(fn)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                check_arguments(args, kwargs)
                yield from fn(*args, **kwargs)
            except GeneratorExit:
                raise
            except Exception as exc:
                raise as_gradio_error(exc) from exc

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            check_arguments(args, kwargs)
            return fn(*args, **kwargs)
        except Exception as exc:
            raise as_gradio_error(exc) from exc

    return wrapper


# -- Gradio's own processing, before and after our functions ----------------------------------------


def guard_blocks(blocks: gr.Blocks) -> None:
    """Make what Gradio itself refuses reach the client as a clear message, and keep it out of the log.

    Before an endpoint runs, Gradio reads the request: it checks the number of values and moves
    every FileData-shaped value into its cache, refusing paths outside its upload folder. A failure
    there is a plain exception: Gradio prints its traceback, whose text quotes the request ("Received
    inputs: [...]", the path), to stderr and sends the client {"error": null} (show_error is off).
    Here every such failure becomes a gr.Error that Gradio sends and does not print:

    * a file reference that is not an upload (a local path, `..`, file:// or http://) is refused by
      us, before Gradio would fetch a URL, with the same message as api/uploads.py gives;
    * too few values, or a value a component cannot read, is an "Invalid input" naming the event;
    * anything else (after our function, e.g. in postprocessing) is an internal error, logged
      without its message (log_internal_error).
    """
    preprocess = blocks.preprocess_data
    process = blocks.process_api

    async def preprocess_data(block_fn: Any, inputs: list[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            if _is_api_endpoint(block_fn):
                _check_file_references(block_fn, inputs)
            return await preprocess(block_fn, inputs, *args, **kwargs)
        except (gr.Error, UserError):
            raise
        except InvalidPathError:
            raise gr.Error(
                f"A file sent to {_endpoint(block_fn)} was not uploaded to this server; upload it first: "
                "send it with gradio_client.handle_file('...'), which uploads it.",
                title=InvalidInput.title,
                print_exception=False,
            ) from None
        except Exception as exc:
            expected, got = len(getattr(block_fn, "inputs", ())), len(inputs or ())
            if got < expected:
                message = (
                    f"{_endpoint(block_fn)} takes {expected} values (one per parameter, in order); "
                    f"got {got}. gradio_client fills in the defaults; see Client.view_api()."
                )
            else:
                message = (
                    f"A value sent to {_endpoint(block_fn)} could not be read ({type(exc).__name__}); "
                    "check the parameters with Client.view_api()."
                )
            log.info("refused a request to %s: %s", _endpoint(block_fn), type(exc).__name__)
            raise gr.Error(message, title=InvalidInput.title, print_exception=False) from None

    async def process_api(*args: Any, **kwargs: Any) -> Any:
        try:
            return await process(*args, **kwargs)
        except CacheMissError:  # gr.cache's signal to the queue, not a failure
            raise
        except Exception as exc:  # our endpoints raise gr.Error already: this is Gradio's (or a bug)
            raise as_gradio_error(exc) from None

    blocks.preprocess_data = preprocess_data  # type: ignore[method-assign]
    blocks.process_api = process_api  # type: ignore[method-assign]


def _is_api_endpoint(block_fn: Any) -> bool:
    """True for a gr.api endpoint (all its inputs are gr.Api placeholders), not a UI event."""
    from gradio.components.api_component import Api

    inputs = getattr(block_fn, "inputs", None) or []
    return bool(inputs) and all(isinstance(block, Api) for block in inputs)


def _endpoint(block_fn: Any) -> str:
    name = getattr(block_fn, "api_name", None)
    return f"/{name}" if isinstance(name, str) and name else "this event"


def _check_file_references(block_fn: Any, inputs: list[Any]) -> None:
    """Refuse every FileData value (at any depth) that does not name a file in the upload folder."""
    try:
        names = [p for p in inspect.signature(block_fn.fn).parameters if p != "self"]
    except (TypeError, ValueError):
        names = []
    for i, value in enumerate(inputs or ()):
        name = names[i] if i < len(names) else "value"
        for reference in _file_references(value):
            check_reference(reference.get("path"), name if reference is value else f"file in {name}")


def _file_references(value: Any) -> list[dict]:
    """The dicts in `value` Gradio treats as files: {"path": ..., "meta": {"_type": "gradio.FileData"}}."""
    found: list[dict] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            meta = item.get("meta")
            if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found
