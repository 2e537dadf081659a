"""The whole app on one server and port: the REST routes (openvino_ui.rest) and the Gradio UI with
its API and MCP server (openvino_ui.ui), on one FastAPI app run by uvicorn.

`openvino-ui serve`, `python app.py` and the tests all build it here, with `Server(pool, options)`:
the command line runs it in the foreground (`run()`), tests in a thread (`start()` / `close()`).
Models marked `preload: true` are loaded in the background once the server listens, so /health
answers at once and /ready says 503 until they are ready.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn

from .access import AccessPolicy
from .errors import ConfigError
from .metrics import Metrics
from .outputs import DEFAULT_FILE_TTL_S
from .pool import EnginePool
from .rest.app import create_app
from .rest.settings import DEFAULT_MAX_BODY_BYTES, RestSettings
from .service.runtime import RuntimeService
from .telemetry import ServerTelemetry, telemetry_of
from .ui import build_app
from .ui.mount import close_ui, mount_ui, open_share_link, ui_started

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
# Open streams (a chat being generated, Gradio's queue) may hold a stop this long at most.
GRACEFUL_SHUTDOWN_S = 5


@dataclass(frozen=True)
class ServeOptions:
    """The `serve` options (see cli.py for their help)."""

    host: str | None = None  # None: 127.0.0.1
    port: int = 7860
    root_path: str | None = None
    auth: tuple[str, str] | None = None
    max_file_size: str | int | None = "200mb"
    concurrency: int = 16
    title: str = "openvino-ui"
    file_ttl_s: float = DEFAULT_FILE_TTL_S
    mcp: bool = True
    share: bool = False
    inbrowser: bool = False
    # keys and roles (openvino_ui.access); never in a repr or a log line
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    admin_keys: tuple[str, ...] = field(default=(), repr=False)
    read_only: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # every /v1 request body
    allow_remote_images: bool = False  # image_url parts may be http(s) URLs the server downloads

    def access(self) -> AccessPolicy:
        return AccessPolicy.of(self.api_keys, self.admin_keys, self.read_only)


class Server:
    """The app for `pool`, ready to run: `.app` (FastAPI), `.demo` (Gradio), `.metrics`, `.url`."""

    def __init__(self, pool: EnginePool, options: ServeOptions):
        self.pool = pool
        self.options = options
        self.host = options.host or DEFAULT_HOST
        self._preloaded = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        self.mcp = options.mcp and options.auth is None
        self.access = options.access()
        # counts requests from now on (server_stats); its sampler starts once the server listens
        self.telemetry: ServerTelemetry = telemetry_of(pool)
        self.demo = build_app(pool, title=options.title, file_ttl_s=options.file_ttl_s, access=self.access)
        self.metrics = Metrics(pool)
        try:
            self._assemble()
        except BaseException:
            self._release()
            raise

    def _assemble(self) -> None:
        options = self.options
        self.demo.queue(default_concurrency_limit=options.concurrency)
        if self.mcp:
            _quiet_mcp_log()
        if options.mcp and not self.mcp:
            # Gradio's MCP server neither asks for the login nor can it pass one on to the queue it
            # calls: under --auth its tools would be listed to anyone and fail for everyone.
            log.warning("the MCP server is off: it cannot work with --auth (serve without --auth to use it)")
        mount = functools.partial(
            mount_ui,
            demo=self.demo,
            auth=options.auth,
            root_path=options.root_path,
            max_file_size=options.max_file_size,
            mcp=self.mcp,
        )
        settings = RestSettings(
            max_body_bytes=options.max_body_bytes,
            allow_remote_images=options.allow_remote_images,
            access=self.access,
        )
        self.app = create_app(
            self.pool,
            self.metrics,
            starting=self.starting,
            mount=mount,
            title=options.title,
            settings=settings,
        )
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=options.port,
            log_level="warning",  # no access log: request lines may carry user content
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        self._uvicorn = _Uvicorn(config, on_started=self._on_started, on_stopping=self._on_stopping)

    @property
    def url(self) -> str:
        """Where this machine reaches the server (the loopback address for 0.0.0.0 and ::)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.options.port}/"

    def starting(self) -> bool:
        """True until the startup preload has finished (for /ready)."""
        return not self._preloaded.is_set()

    # -- running ------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve in the main thread until SIGINT (Ctrl+C) or SIGTERM, then stop cleanly and return.

        uvicorn catches both while it serves and raises the signal again once it has stopped; here
        that ends this call (KeyboardInterrupt, or a SIGTERM handler that does nothing) instead of
        the process, so the caller can unload its models and exit with status 0.
        """
        previous = signal.signal(signal.SIGTERM, _ignore_signal)
        hangup = signal.signal(signal.SIGHUP, self._on_sighup) if hasattr(signal, "SIGHUP") else None
        try:
            self._uvicorn.run()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if hangup is not None:
                signal.signal(signal.SIGHUP, hangup)
            self._release()

    def start(self, timeout_s: float = 60.0) -> Server:
        """Serve from a daemon thread; returns once the server listens (raises if it cannot)."""
        self._thread = threading.Thread(target=self._uvicorn.run, name="openvino-ui-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._started.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the server did not start on {self.host}:{self.options.port}")
        return self

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop a server started with start(): end open streams, stop listening, wait (bounded)."""
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("the server did not stop within %.0f s", timeout_s)
        self._release()

    def _on_sighup(self, signum: int, frame: object) -> None:
        """SIGHUP re-reads models.yaml, as `reload_config` does; in a thread, since a changed model
        may take minutes to build and a signal handler must return at once."""
        threading.Thread(target=self.reload_config, name="sighup-reload", daemon=True).start()

    def reload_config(self) -> None:
        """Apply models.yaml as it is now; the outcome goes to the log (for SIGHUP)."""
        try:
            changes = RuntimeService(self.pool).reload_config()
        except ConfigError as exc:
            log.warning(
                "SIGHUP: models.yaml not applied; nothing changed (%d problem(s)):", len(exc.problems)
            )
            for problem in exc.problems:
                log.warning("  %s", problem)
            return
        except Exception as exc:  # never kill the server over a reload
            log.warning("SIGHUP: reloading models.yaml failed: %s", type(exc).__name__)
            return
        log.info("SIGHUP: models.yaml reloaded: %s", changes.summary())

    def _release(self) -> None:
        close_ui(self.demo)  # idempotent
        self.metrics.close()
        self.telemetry.close()  # idempotent

    # -- uvicorn's events (in its event loop) -------------------------------------------------------

    def _on_started(self) -> None:
        ui_started(self.demo, self.url)
        log.info("serving on %s (health: /health, readiness: /ready, metrics: /metrics)", self.url)
        log.info("OpenAI-compatible API: %sv1 (%s)", self.url, _access_summary(self.access))
        if self.mcp:
            log.info("MCP server (streamable HTTP): %sgradio_api/mcp/", self.url)
        threading.Thread(target=self._preload, name="preload", daemon=True).start()
        self.pool.start_idle_unloader()
        self.telemetry.start()
        if self.options.share:
            threading.Thread(target=self._share, name="share-link", daemon=True).start()
        if self.options.inbrowser:
            webbrowser.open(self.url)
        self._started.set()

    def _on_stopping(self) -> None:
        close_ui(self.demo)  # ends Gradio's open streams, so connections close at once

    def _preload(self) -> None:
        try:
            for problem in self.pool.preload():
                log.warning("preload: %s", problem)
        except Exception as exc:  # never kill the server; /ready reports the models' state
            log.warning("preload failed: %s", type(exc).__name__)
        finally:
            self._preloaded.set()

    def _share(self) -> None:
        if os.environ.get("SPACE_ID"):
            log.warning("--share is ignored on Hugging Face Spaces: the Space has its own URL")
            return
        try:
            log.info("public URL: %s", open_share_link(self.demo, self.host, self.options.port))
        except Exception as exc:
            log.warning("could not create a share link (%s): %s", type(exc).__name__, exc)


def _access_summary(access: AccessPolicy) -> str:
    """What the keys guard, for the log: counts and switches, never a key."""
    api = f"{len(access.api_keys)} API key(s) required" if access.api_key_required else "no API key needed"
    if access.read_only:
        manage = "read-only: models cannot be loaded or unloaded"
    elif access.admin_key_required:
        manage = f"managing models needs one of {len(access.admin_keys)} admin key(s)"
    else:
        manage = "no admin key: whoever may use the API or the UI may load and unload models"
    return f"{api}; {manage}"


def _quiet_mcp_log() -> None:
    """The mcp package logs every request at INFO and a client's unknown tool name at WARNING (a
    client's text): above DEBUG (OPENVINO_UI_LOG), keep only its errors."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("mcp").setLevel(logging.ERROR)


def _ignore_signal(signum: int, frame: object) -> None:
    pass


class _Uvicorn(uvicorn.Server):
    """uvicorn.Server that says when it listens and when it begins to stop."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], None], on_stopping: Callable[[], None]
    ):
        super().__init__(config)
        self._on_started_cb = on_started
        self._on_stopping_cb = on_stopping

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started_cb()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._on_stopping_cb()
        await super().shutdown(sockets=sockets)
