"""The bench's load client and its child servers: many users against any OpenAI-compatible server.

* `ChildServer`: a server started as a child process on a loopback port, waited for through a
  readiness URL (a bounded loop: so many attempts, so many seconds), stopped on close. Its death
  at any point becomes a `ServerFailed` naming the exit status or signal (SIGILL, ...) and the end
  of its log, so a crashing peer fails its case instead of the bench.
* `run_level` / `sweep`: N users at once (asyncio + httpx, one connection each), every user sending
  streamed `/v1/chat/completions` requests one after another; per reply the time to the first
  content chunk, the wall time and the output tokens (the server's `usage` when it sends one,
  else the content chunks); per level the aggregate and per-user tokens/s and TTFT percentiles.

No timing is asserted anywhere here: these are measurements, not pass/fail checks.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import math
import os
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- child servers ---------------------------------------------------------------------------------


class ServerFailed(RuntimeError):
    """A child server that would not start, or died; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_LIVE: weakref.WeakSet[ChildServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:  # a bench that ends early leaves no server behind
    for server in list(_LIVE):
        server.close()


def exit_reason(returncode: int) -> str:
    """'exited with status 1' or 'killed by SIGILL (signal 4)'."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"killed by {name} (signal {-returncode})"
    return f"exited with status {returncode}"


class ChildServer:
    """`argv` run as a child process (output to a log file); ready when GET `ready_url` answers 200.

    The readiness wait is bounded twice: at most `ready_timeout_s` seconds and at most
    `ready_timeout_s / poll_s + 1` attempts; the process's death ends it at once.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        base_url: str,
        ready_path: str = "/health",
        env: dict[str, str] | None = None,
        ready_timeout_s: float = 300.0,
        poll_s: float = 0.25,
        log_dir: Path | None = None,
    ):
        self.name, self.argv, self.base_url = name, list(argv), base_url.rstrip("/")
        self.ready_url = self.base_url + ready_path
        folder = Path(log_dir or tempfile.mkdtemp(prefix="bench-server-"))
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        except OSError as exc:
            self._log.close()
            raise ServerFailed(f"{name} did not start: {exc}") from exc
        _LIVE.add(self)
        try:
            self._wait_ready(ready_timeout_s, poll_s)
        except BaseException:
            self.close()
            raise
        self.ready_s = time.monotonic() - self.started

    def _wait_ready(self, timeout_s: float, poll_s: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        attempts = int(timeout_s / poll_s) + 1
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            for _ in range(attempts):
                self.check()
                try:
                    status = client.get(self.ready_url).status_code
                    if status == 200:
                        return
                    last = f"HTTP {status}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() >= deadline:
                    break
                time.sleep(poll_s)
        self.check()
        raise ServerFailed(
            f"{self.name} not ready within {timeout_s:g} s ({self.ready_url}: {last}){self._tail()}"
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def check(self, grace_s: float = 0.0) -> None:
        """Raise ServerFailed if the process has ended (or ends within `grace_s` seconds: a server
        whose connections just broke may take a moment to be reaped)."""
        code = self.proc.poll()
        if code is None and grace_s > 0:
            try:
                code = self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                code = None
        if code is not None:
            raise ServerFailed(f"{self.name} {exit_reason(code)}{self._tail()}")

    def _tail(self, lines: int = 12) -> str:
        try:
            self._log.flush()
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            return ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return ("; log " + str(self.log_path) + ":\n" + "\n".join(tail)) if tail else ""

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        _LIVE.discard(self)
        if not self._log.closed:
            self._log.close()


# --- the load client -------------------------------------------------------------------------------


@dataclass
class Reply:
    """One streamed chat completion as the client saw it (times in seconds from its request)."""

    ok: bool
    total_s: float
    ttft_s: float | None = None
    chunks: int = 0  # chunks that carried content
    usage_tokens: int | None = None  # completion_tokens of the server's usage, when sent
    finish_reason: str | None = None
    text: str = ""
    error: str | None = None

    @property
    def tokens(self) -> int:
        return self.usage_tokens if self.usage_tokens is not None else self.chunks


@dataclass
class Level:
    users: int
    wall_s: float
    replies: list[list[Reply]] = field(default_factory=list)  # per user, in order

    @property
    def all(self) -> list[Reply]:
        return [r for user in self.replies for r in user]

    def errors(self) -> list[str]:
        return [r.error or "failed" for r in self.all if not r.ok]

    def summary(self) -> dict[str, float]:
        """agg_tok_s, user_tok_s, ttft_p50_ms, ttft_p95_ms, tokens (mean per reply), replies."""
        replies = [r for r in self.all if r.ok]
        ttfts = [r.ttft_s * 1000 for r in replies if r.ttft_s is not None]
        per_user = [
            sum(r.tokens for r in user) / max(sum(r.total_s for r in user), 1e-9)
            for user in self.replies
            if user and all(r.ok for r in user)
        ]
        return {
            "agg_tok_s": sum(r.tokens for r in replies) / max(self.wall_s, 1e-9),
            "user_tok_s": statistics_mean(per_user),
            "ttft_p50_ms": percentile(ttfts, 50),
            "ttft_p95_ms": percentile(ttfts, 95),
            "tokens": statistics_mean([float(r.tokens) for r in replies]),
            "replies": float(len(replies)),
        }


def statistics_mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (p95 of 4 values: the largest); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _sse_data(line: str) -> str | None:
    """The data of one SSE line (None for comments, other fields and blank lines)."""
    if line.startswith("data:"):
        return line[5:].strip()
    return None


async def stream_chat(client: Any, url: str, body: dict[str, Any]) -> Reply:
    """POST one streamed chat completion and read it to the end."""
    import httpx

    t0 = time.perf_counter()
    reply = Reply(ok=False, total_s=0.0)
    parts: list[str] = []
    try:
        async with client.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                text = (await response.aread()).decode("utf-8", "replace")
                reply.error = f"HTTP {response.status_code}: {text[:300]}"
                return reply
            async for line in response.aiter_lines():
                data = _sse_data(line)
                if data is None or not data:
                    continue
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    reply.error = f"error event: {json.dumps(chunk['error'])[:300]}"
                    return reply
                usage = chunk.get("usage")
                if usage and usage.get("completion_tokens") is not None:
                    reply.usage_tokens = int(usage["completion_tokens"])
                for choice in chunk.get("choices") or ():
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        if reply.ttft_s is None:
                            reply.ttft_s = time.perf_counter() - t0
                        reply.chunks += 1
                        parts.append(content)
                    if choice.get("finish_reason"):
                        reply.finish_reason = choice["finish_reason"]
        reply.ok = reply.ttft_s is not None
        if not reply.ok:
            reply.error = "the stream carried no content"
    except (httpx.HTTPError, json.JSONDecodeError, OSError) as exc:
        reply.error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        reply.total_s = time.perf_counter() - t0
        reply.text = "".join(parts)
    return reply


async def run_level(
    url: str,
    users: int,
    body: Callable[[int, int], dict[str, Any]],
    requests_per_user: int = 1,
    timeout_s: float = 600.0,
    read_timeout_s: float = 120.0,
) -> Level:
    """`users` users start together; user u sends body(u, i) for i < requests_per_user, one after
    another, each read to the end. Bounded: the whole level by `timeout_s`, each read by
    `read_timeout_s`."""
    import httpx

    timeout = httpx.Timeout(connect=10.0, read=read_timeout_s, write=10.0, pool=10.0)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:

        async def user(u: int) -> list[Reply]:
            out = []
            for i in range(requests_per_user):
                out.append(await stream_chat(client, url, body(u, i)))
                if not out[-1].ok:
                    break
            return out

        t0 = time.perf_counter()
        try:
            replies = await asyncio.wait_for(asyncio.gather(*(user(u) for u in range(users))), timeout_s)
        except TimeoutError:
            wall = time.perf_counter() - t0
            failed = Reply(ok=False, total_s=wall, error=f"the level did not finish within {timeout_s:g} s")
            return Level(users, wall, [[failed]])
        return Level(users, time.perf_counter() - t0, list(replies))


def run_coroutine(coroutine: Any) -> Any:
    """Run `coroutine` to its end from synchronous code, also where this thread already runs an
    event loop (Playwright's sync API keeps one running, for one): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def sweep(
    url: str,
    levels: Sequence[int],
    body: Callable[[int, int, int], dict[str, Any]],
    requests_per_user: Callable[[int], int] = lambda users: 1,
    check: Callable[[], None] | None = None,
    timeout_s: float = 600.0,
) -> dict[int, Level]:
    """One level after another (body(users, user, i) makes each request); `check` runs after each
    level (a ChildServer's check: a dead server fails the sweep with its reason)."""
    out: dict[int, Level] = {}
    # httpx logs every request at INFO: hundreds of lines per sweep, written inside the timed calls.
    httpx_log = logging.getLogger("httpx")
    level = httpx_log.level
    httpx_log.setLevel(logging.WARNING)
    try:
        for n in levels:

            def make(u: int, i: int, n: int = n) -> dict[str, Any]:
                return body(n, u, i)

            out[n] = run_coroutine(run_level(url, n, make, requests_per_user(n), timeout_s))
            if check is not None:
                check()
    finally:
        httpx_log.setLevel(level)
    return out
