"""What a remote endpoint's failures mean to our callers: httpx's exceptions and the remote's HTTP
error answers become our errors (openvino_ui.errors), each naming the endpoint, never its API key.

* the connection failed, or the remote is busy (429, 503): RemoteUnavailable (503)
* no answer within remote.timeout_s (or a 408, 504 from the remote): RemoteTimeout (504)
* a refused key (401, 403), an unknown route (404), any other 5xx, a malformed answer: RemoteFailed (502)
* any other 4xx: the request's fault, InvalidInput (400) with the remote's message after the endpoint

The remote's message may quote the request (an unknown voice, say): it goes into the error a user
sees, clipped, but never into a log line.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ...errors import InvalidInput, RemoteFailed, RemoteTimeout, RemoteUnavailable, UserError, clip

MESSAGE_LIMIT = 400  # the most characters of a remote's error message quoted in ours


def transport_failure(name: str, endpoint: str, exc: httpx.HTTPError) -> RemoteUnavailable:
    """The error of a request that got no (complete) answer from `endpoint`."""
    detail = clip(str(exc).strip() or type(exc).__name__, 160)  # httpx's texts hold no URL nor header
    if isinstance(exc, httpx.TimeoutException):
        return RemoteTimeout(
            name,
            endpoint,
            f"did not answer in time ({type(exc).__name__}); it may be overloaded, or raise "
            "remote.timeout_s in models.yaml",
        )
    return RemoteUnavailable(
        name,
        endpoint,
        f"cannot be reached ({detail}); check that the server runs there and that this machine can "
        "reach it (remote.url in models.yaml)",
    )


def answer_failure(
    name: str, endpoint: str, response: httpx.Response, action: str, key_env: str | None
) -> UserError:
    """The error of an HTTP error answer (status 400 and up) to `action` (e.g. 'POST /embeddings')."""
    status = response.status_code
    message, param = remote_message(response)
    said = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if status in (401, 403):
        fix = (
            f"set {key_env} (remote.api_key_env) to a key that server accepts"
            if key_env
            else "name the variable that holds its key in remote.api_key_env in models.yaml"
        )
        return RemoteFailed(name, endpoint, f"refused the API key ({said}); {fix}")
    if status in (408, 504):
        return RemoteTimeout(name, endpoint, f"timed out ({said})")
    if status in (429, 503):
        return RemoteUnavailable(name, endpoint, f"is busy or not ready ({said}); retry in a moment")
    if status == 404:
        return RemoteFailed(name, endpoint, f"does not offer {action} for this model ({said})")
    if status >= 500:
        return RemoteFailed(name, endpoint, f"failed ({said})")
    return InvalidInput(f"{endpoint} refused the request: {message or said}", param=param)


def stream_failure(name: str, endpoint: str, error: Any) -> UserError:
    """The error of an `{"error": {...}}` event that ended a stream after it had started."""
    body = error if isinstance(error, dict) else {"message": str(error)}
    message = clip(str(body.get("message") or "an error without a message"), MESSAGE_LIMIT)
    if body.get("type") == "invalid_request_error":
        return InvalidInput(f"{endpoint} refused the request: {message}", param=_param(body.get("param")))
    return RemoteFailed(name, endpoint, f"failed while streaming: {message}")


def malformed(name: str, endpoint: str, action: str, what: str) -> RemoteFailed:
    """The error of an answer that is not what the OpenAI API promises."""
    return RemoteFailed(name, endpoint, f"gave a malformed answer to {action}: {what}")


def remote_message(response: httpx.Response) -> tuple[str, str | None]:
    """The message (clipped) and the field at fault of an error answer, in the shapes servers use:
    OpenAI's {"error": {"message", "param"}}, {"error": "text"}, FastAPI's {"detail"}, plain text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return clip(response.text.strip(), MESSAGE_LIMIT), None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return clip(str(error.get("message") or ""), MESSAGE_LIMIT), _param(error.get("param"))
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                return clip(str(body[key]), MESSAGE_LIMIT), None
    return clip(json.dumps(body), MESSAGE_LIMIT), None


def _param(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
