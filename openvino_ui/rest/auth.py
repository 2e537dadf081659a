"""Keys on the REST routes: `Authorization: Bearer KEY`, checked by openvino_ui.access's policy.

* APIKeyMiddleware: with API keys set, every request under /v1 (known routes or not) without a valid
  key is answered 401 in the OpenAI error shape, with `WWW-Authenticate: Bearer`, before its body is
  read. /health, /ready, /metrics and the UI are not under /v1 and stay as they are.
* management_refusal: the 401/403 response for a management route (load, unload) when the caller
  may not manage models (admin keys, --read-only), else None.

Keys are never logged, echoed or put in an error message.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ..access import AccessPolicy, KeyRequired, NotAllowed
from .errors import user_error_response
from .limits import in_v1

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_key(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None without one)."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def refusal(exc: KeyRequired | NotAllowed) -> JSONResponse:
    """The response for a refused key: 401 (with the Bearer challenge) or 403."""
    response = user_error_response(exc)
    if exc.status == 401:
        response.headers.update(CHALLENGE)
    return response


def management_refusal(policy: AccessPolicy, headers: Mapping[str, str]) -> JSONResponse | None:
    """None when the caller (its bearer key) may load and unload models; else the 401/403 response."""
    try:
        policy.check_management(bearer_key(headers))
    except (KeyRequired, NotAllowed) as exc:
        return refusal(exc)
    return None


class APIKeyMiddleware:
    """Require a valid API key (or admin key) on every /v1 request when the policy has API keys."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.policy.api_key_required and in_v1(scope):
            try:
                self.policy.check_api(bearer_key(Headers(scope=scope)))
            except KeyRequired as exc:
                await refusal(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)
