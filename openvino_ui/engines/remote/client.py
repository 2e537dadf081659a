"""The connection to one remote OpenAI-compatible endpoint (models.yaml `remote`): what a remote
engine holds as its "pipeline". OpenVINO Model Server 2025+ (`/v3`), another openvino-ui (`/v1`),
vLLM and llama-server all speak this API.

It serves many requests at once (`serves_many`): the engine gives each request a place in it, not an
exclusive turn, up to `max_num_seqs` at a time (the rest wait, bounded by the model's max_queue),
and the HTTP connection pool has as many connections. The API key is read from the environment
variable that `remote.api_key_env` names when the client is built (each load reads it again); it
goes into the Authorization header only, never into a message or a log line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from ...errors import quote
from ...placement import RemoteEndpoint
from .failures import answer_failure, malformed, stream_failure, transport_failure

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0  # connecting takes milliseconds when the server is there; don't wait minutes
LISTED_NAMES = 12  # the most model names an error lists


def endpoint_label(url: str) -> str:
    """`url` as messages show it: scheme, host, port and path, without user, password or query."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{_host_port(parsed)}{parsed.path.rstrip('/')}"


def remote_device(url: str) -> str:
    """The device a remote model is shown on: where it runs, e.g. 'remote:ovms:8000'."""
    return f"remote:{_host_port(httpx.URL(url))}"


def _host_port(parsed: httpx.URL) -> str:
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host  # an IPv6 address
    return host if parsed.port is None else f"{host}:{parsed.port}"


def api_key(variable: str | None) -> str | None:
    """The key in the environment variable `variable` names (None: no key is configured)."""
    if variable is None:
        return None
    key = os.environ.get(variable, "").strip()
    if not key:
        raise ValueError(
            f"the environment variable {variable} (remote.api_key_env in models.yaml) is not set; "
            "set it to the remote server's API key before starting openvino-ui"
        )
    return key


class RemoteClient:
    """HTTP calls to one endpoint for one model; errors come out as ours (see failures.py)."""

    serves_many = True  # many requests at once: each holds a place, none an exclusive turn

    def __init__(self, name: str, endpoint: RemoteEndpoint, max_num_seqs: int):
        self.name = name
        self.model = endpoint.model or name  # the model's name on the remote server
        self.endpoint = endpoint_label(endpoint.url)
        self.key_env = endpoint.api_key_env
        self.max_num_seqs = max_num_seqs
        key = api_key(endpoint.api_key_env)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        # httpx's timeouts are per read: for a stream, the longest pause between two pieces.
        timeout = httpx.Timeout(endpoint.timeout_s, connect=min(endpoint.timeout_s, CONNECT_TIMEOUT_S))
        limits = httpx.Limits(max_connections=max_num_seqs + 2, max_keepalive_connections=max_num_seqs)
        self.http = httpx.Client(
            base_url=endpoint.url.rstrip("/") + "/", headers=headers, timeout=timeout, limits=limits
        )

    def close(self, timeout: float | None = None) -> None:
        """Close the connections (the engine calls this once no request uses the client)."""
        self.http.close()

    # -- the model ------------------------------------------------------------------------------

    def check_model(self) -> None:
        """Make sure the endpoint answers and serves our model: GET /models, as every client does
        first. A server without that route (404) is taken at its word on the requests themselves."""
        answer = self._send("GET", "models", tolerate=(404,))
        if answer.status_code == 404:
            log.info("%s: %s does not list its models; not checking the name", self.name, self.endpoint)
            return
        listing = self._json(answer, "GET /models")
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, list):
            raise malformed(self.name, self.endpoint, "GET /models", "no 'data' list")
        names = [str(item.get("id")) for item in data if isinstance(item, dict)]
        if self.model not in names:
            shown = ", ".join(names[:LISTED_NAMES]) + (", ..." if len(names) > LISTED_NAMES else "")
            raise ValueError(
                f"{self.endpoint} serves no model named {quote(self.model)}; it lists: {shown or 'none'}. "
                "Set remote.model in models.yaml to one of them"
            )

    # -- requests ---------------------------------------------------------------------------------

    def get_json(self, path: str) -> Any:
        return self._json(self._send("GET", path), f"GET /{path}")

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self._json(self._send("POST", path, json=body), f"POST /{path}")

    def post_form(self, path: str, fields: dict[str, Any], files: dict[str, Any]) -> Any:
        """A multipart request (audio uploads); its JSON answer."""
        return self._json(self._send("POST", path, data=fields, files=files), f"POST /{path}")

    def post_for_bytes(self, path: str, body: dict[str, Any]) -> bytes:
        """A JSON request whose answer is a file (speech)."""
        return self._send("POST", path, json=body).content

    @contextmanager
    def events(self, path: str, body: dict[str, Any]) -> Iterator[Iterator[dict[str, Any]]]:
        """POST `body` with `stream: true` and read its server-sent events, each a JSON object, up to
        `data: [DONE]`. Leaving the block (the consumer stopped, or left) closes the HTTP stream,
        which tells the remote to stop generating."""
        action = f"POST /{path}"
        try:
            with self.http.stream("POST", path, json=body, headers={"Accept": "text/event-stream"}) as answer:
                if answer.status_code >= 400:
                    answer.read()
                    raise answer_failure(self.name, self.endpoint, answer, action, self.key_env)
                yield self._parsed_events(answer, action)
        except httpx.HTTPError as exc:
            raise transport_failure(self.name, self.endpoint, exc) from None

    def _parsed_events(self, answer: httpx.Response, action: str) -> Iterator[dict[str, Any]]:
        try:
            for event in EventSource(answer).iter_sse():
                data = event.data.strip()
                if data == "[DONE]":
                    return
                if not data:
                    continue
                try:
                    item = json.loads(data)
                except ValueError:
                    raise malformed(self.name, self.endpoint, action, "an event that is not JSON") from None
                if not isinstance(item, dict):
                    raise malformed(self.name, self.endpoint, action, "an event that is not an object")
                if "error" in item and not item.get("choices"):
                    raise stream_failure(self.name, self.endpoint, item["error"])
                yield item
        except SSEError:
            raise malformed(self.name, self.endpoint, action, "not a server-sent event stream") from None

    def _send(self, method: str, path: str, tolerate: tuple[int, ...] = (), **kwargs: Any) -> httpx.Response:
        """The answer to one request; an error answer (other than a `tolerate`d status) raises."""
        action = f"{method} /{path}"
        try:
            answer = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_failure(self.name, self.endpoint, exc) from None
        if answer.status_code >= 400 and answer.status_code not in tolerate:
            raise answer_failure(self.name, self.endpoint, answer, action, self.key_env)
        return answer

    def _json(self, answer: httpx.Response, action: str) -> Any:
        try:
            return answer.json()
        except ValueError:
            raise malformed(self.name, self.endpoint, action, "not JSON") from None
