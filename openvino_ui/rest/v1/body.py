"""Reading request bodies for the audio, retrieval and admin routes: a JSON object or a multipart
form, every field known (an unknown one is a 400 naming it, code "unknown_parameter"), and our
errors answered with the OpenAI field names (`respond_to`).

The body's size is checked before it is read (rest/limits.py), so reading it here is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ...errors import InvalidInput, UserError, clip, quote
from ...service import Service
from ..errors import user_error_response


class UnknownParameter(InvalidInput):
    code = "unknown_parameter"


class InvalidJSON(InvalidInput):
    code = "invalid_json"


def refuse_unknown(fields: Iterable[str], known: Iterable[str]) -> None:
    """InvalidInput naming the first of `fields` that is not `known` (all of them in the message)."""
    allowed = tuple(known)
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        names = ", ".join(quote(f, 40) for f in unknown[:8])
        raise UnknownParameter(
            f"Unsupported parameter(s): {names}. This endpoint takes: {', '.join(allowed)}.",
            param=clip(unknown[0], 40),
        )


async def json_object(request: Request, known: Iterable[str], empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object whose keys are all `known`; {} for an empty body if `empty_ok`."""
    raw = await request.body()
    if not raw.strip() and empty_ok:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidJSON("The body is not valid JSON; send a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"The body must be a JSON object; got a JSON {type(body).__name__}.")
    refuse_unknown(body, known)
    return body


# Multipart fields that may repeat (OpenAI's SDK sends lists as `name[]` fields).
LIST_FIELDS = ("timestamp_granularities[]", "timestamp_granularities")


async def multipart_form(request: Request, known: Iterable[str], max_files: int = 1) -> FormData:
    """The body as a multipart (or urlencoded) form whose field names are all `known`; the caller
    closes it (`await form.close()`: uploads over 1 MB are spooled to temporary files)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise InvalidInput(
            "Send this request as multipart/form-data (a `file` part and the other fields as form fields); "
            f"got Content-Type {quote(content_type or 'none', 60)}."
        )
    form = await request.form(max_files=max_files, max_fields=64)
    try:
        refuse_unknown(dict.fromkeys(form.keys()), tuple(known))
        for key in form:
            if key not in LIST_FIELDS and len(form.getlist(key)) > 1:
                raise InvalidInput(f"{key} was given more than once; send it once.", param=key)
    except BaseException:
        await form.close()
        raise
    return form


def form_text(form: FormData, key: str) -> str | None:
    """A text field of `form` (None when absent); a file where text belongs is a 400."""
    value = form.get(key)
    if value is None:
        return None
    if isinstance(value, UploadFile):
        raise InvalidInput(f"{key} must be a text field, not a file.", param=key)
    return value


def form_number(form: FormData, key: str) -> float | None:
    """A numeric text field (None when absent or empty); anything else is a 400 naming it."""
    text = form_text(form, key)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{key} must be a number; got {quote(text)}.", param=key) from None
    return value


async def respond_to(
    work: Callable[[], Awaitable[Response]], params: Mapping[str, str] | None = None
) -> Response:
    """`work()`'s response, or our error's with the service's field names renamed to the wire's."""
    try:
        return await work()
    except UserError as exc:
        return user_error_response(exc, params=params)


async def json_call(
    request: Request,
    fields: Iterable[str],
    handler: Callable[[Service, dict[str, Any]], Response],
    service: Service,
    params: Mapping[str, str] | None = None,
) -> Response:
    """The common shape of a JSON route: read the body (only `fields` allowed), run the blocking
    `handler(service, body)` off the event loop, answer our errors with the wire's field names."""

    async def work() -> Response:
        body = await json_object(request, fields)
        return await run_in_threadpool(handler, service, body)

    return await respond_to(work, params)
