"""The size limit of request bodies under /v1 (RestSettings.max_body_bytes, `serve --max-body-size`).

A pure ASGI middleware, so that nothing reads a body before it is checked: a declared
Content-Length over the limit is answered 413 before a byte of the body is read; a body without one
(chunked) or one longer than it declared is counted while the route reads it (JSON, multipart alike)
and refused as soon as it passes the limit, so at most the limit plus one chunk is ever held.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import V1_PREFIX, error_response


def in_v1(scope: Scope) -> bool:
    """True for an HTTP request to a path under /v1 (below the app's root path, if any)."""
    if scope["type"] != "http":
        return False
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == V1_PREFIX or path.startswith(V1_PREFIX + "/")


def human_size(size: int) -> str:
    """E.g. 67108864 -> "64 MiB", 1500 -> "1500 bytes"."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % (scale // 16) == 0:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


class _TooLarge(Exception):
    """Raised into the route when the body it reads passes the limit (the middleware answers)."""


class BodySizeLimit:
    """Refuse /v1 request bodies over `max_bytes` with 413 in the OpenAI error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not in_v1(scope):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, f"has {int(declared)} bytes")
            return

        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:  # the route's own answer to the broken-off body (e.g. a parse error) is dropped
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await self._refuse(scope, receive, send, "is longer")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        limit = human_size(self.max_bytes)
        message = (
            f"The request body {what} than this server accepts ({limit}, set with --max-body-size)."
            if what == "is longer"
            else f"The request body {what}; this server accepts at most {limit} (set with --max-body-size)."
        )
        response = error_response(413, message, code="request_too_large", headers={"Connection": "close"})
        await response(scope, receive, send)
