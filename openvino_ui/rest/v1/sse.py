"""Run a generation for a /v1 route and answer with one JSON reply or a stream of server-sent
events (sse-starlette), without blocking the event loop and without outliving the client.

* The service's blocking iterator (loading the model, waiting for its turn, generating) runs in a
  worker thread of its own (`EventPump`); the event loop only awaits a queue.
* The client leaving ends generation at once: the ASGI disconnect (watched from the moment the
  request was read) or the closing of the event stream sets the request's cancel event, the
  engine's streamer stops at the next token, and the worker closes the service's iterator, which
  gives the model back.
* A stream starts only once the first event is there: an error before generation (a model that
  cannot load, ModelBusy) is answered with its own status and body, not inside a 200 stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse

from ...errors import InvalidInput, UserError, error_place
from ...generation import Delta, Finished, StreamEvent, TokenLogprob
from ..errors import error_body, user_error_response

log = logging.getLogger(__name__)

DONE = "[DONE]"
# Service fields whose messages name them (e.g. "max_new_tokens must be between ..."): renamed there too.
NAMED_IN_MESSAGES = frozenset({"max_new_tokens"})
PING_S = 15  # a comment line this often keeps proxies from closing a slow stream


class Shape(Protocol):
    """How one endpoint writes its reply and its chunks (chat.completion, text_completion)."""

    def opening(self) -> list[dict[str, Any]]:
        """Chunks before the first piece of text (chat: the one with the role)."""
        ...

    def piece(self, text: str, logprobs: Sequence[TokenLogprob], finish_reason: str | None) -> dict[str, Any]:
        """One chunk: a piece of text and the log probabilities of its tokens (if asked for)."""
        ...

    def usage(self, finished: Finished) -> dict[str, Any]:
        """The last chunk: no choices, the usage."""
        ...

    def reply(self, finished: Finished, logprobs: Sequence[TokenLogprob] = ()) -> dict[str, Any]:
        """The whole reply of a request that is not streamed."""
        ...


class EventPump:
    """Iterate `start()`'s events in a worker thread; `await next()` hands them to the event loop.

    `cancel` is what the service's stream watches: `close()` sets it, the stream then ends at its
    next token (with a Finished event), and the worker closes the iterator, which frees the model.
    """

    def __init__(self, start: Callable[[], Iterator[StreamEvent]], cancel: threading.Event):
        self.cancel = cancel
        self._start = start
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._thread = threading.Thread(target=self._work, name="v1-generate", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        iterator: Iterator[StreamEvent] | None = None
        try:
            iterator = self._start()
            for event in iterator:  # once cancelled, the service's stream ends at the next token
                self._put("event", event)
            self._put("end", None)
        except BaseException as exc:  # handed to the event loop, raised there
            self._put("error", exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator left early gives the model back here

    def _put(self, kind: str, value: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop is gone (the server stopped): nobody is waiting
            self.cancel.set()

    async def next(self) -> StreamEvent:
        """The next event; StopAsyncIteration after the last, the stream's error if it failed."""
        kind, value = await self._queue.get()
        if kind == "error":
            raise value
        if kind == "end":
            self._queue.put_nowait((kind, value))  # every later call ends too
            raise StopAsyncIteration
        return value

    def close(self) -> None:
        self.cancel.set()


async def respond(
    http: Request,
    start: Callable[[threading.Event], Iterator[StreamEvent]],
    shape: Shape,
    stream: bool,
    include_usage: bool,
    renames: Mapping[str, str],
) -> Response:
    """Run `start(cancel)` (the service call) and answer: the whole reply as JSON, or `shape`'s
    chunks as server-sent events ending in `data: [DONE]`. Our errors before the first event get
    their own status (with `renames` applied to the field they name)."""
    cancel = threading.Event()
    pump = EventPump(lambda: start(cancel), cancel)
    watcher = asyncio.create_task(_cancel_on_disconnect(http, cancel))
    logprobs: list[TokenLogprob] = []  # of a reply that is not streamed
    try:
        event = await pump.next()
        while not stream and isinstance(event, Delta):
            logprobs += event.logprobs
            event = await pump.next()
    except UserError as exc:
        return error_response(exc, renames)
    except BaseException:
        pump.close()
        raise
    finally:
        watcher.cancel()  # a stream's own listener takes over from here
    if not stream:
        pump.close()
        if not isinstance(event, Finished):  # pragma: no cover - the service always ends with one
            raise RuntimeError("the generation ended without its Finished event")
        return JSONResponse(shape.reply(event, logprobs))

    async def closed(message: Any) -> None:
        pump.close()

    return EventSourceResponse(
        _chunks(event, pump, shape, include_usage),
        ping=PING_S,
        sep="\n",
        client_close_handler_callable=closed,
    )


def error_response(exc: UserError, renames: Mapping[str, str]) -> JSONResponse:
    """Our error as a response, the fields it names called as the wire calls them (`renames`: the
    service's name -> the wire's), in `param` and, for the sampling fields, in the message too."""
    head = (exc.param or "").partition("[")[0]
    if type(exc) is InvalidInput and head in NAMED_IN_MESSAGES and head in renames:
        exc = InvalidInput(re.sub(rf"\b{head}\b", renames[head], str(exc)), param=exc.param)
    return user_error_response(exc, renames)


async def _cancel_on_disconnect(http: Request, cancel: threading.Event) -> None:
    """Set `cancel` when the client closes the connection (the body has been read already)."""
    try:
        while True:
            message = await http.receive()
            if message["type"] == "http.disconnect":
                cancel.set()
                return
    except Exception:  # no more messages to read: the response's own listener watches from here
        return


async def _chunks(
    first: StreamEvent, pump: EventPump, shape: Shape, include_usage: bool
) -> AsyncIterator[str]:
    """The SSE data lines: opening chunks, one per piece of text, a last one with an empty delta and
    the finish_reason, the usage chunk when asked for, then [DONE]. A failure after the start
    becomes an error event."""
    try:
        for chunk in shape.opening():
            yield _json(chunk)
        # Each piece goes out as it comes (holding one back for finish_reason would cost every
        # stream a token of latency); the end is a chunk of its own with an empty delta and the
        # finish_reason, as OpenAI's streams end.
        event = first
        while True:
            if isinstance(event, Finished):
                yield _json(shape.piece("", (), event.finish_reason))
                if include_usage:
                    yield _json(shape.usage(event))
                yield DONE
                return
            yield _json(shape.piece(event.text, event.logprobs, None))
            event = await pump.next()
    except UserError as exc:
        yield _json({"error": exc.details})
    except StopAsyncIteration:  # pragma: no cover - the service always ends with Finished
        yield _json(error_body("The generation ended early.", "server_error"))
    except Exception as exc:
        log.error("generation failed in a stream: %s at %s", type(exc).__name__, error_place(exc))
        log.debug("generation failed", exc_info=exc)
        message = f"Internal error ({type(exc).__name__}); the details are in the server log."
        yield _json(error_body(message, "server_error"))
    finally:
        pump.close()


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
