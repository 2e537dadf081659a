"""Command line: `openvino-ui serve`, `openvino-ui prepare`, `openvino-ui bench`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .access import ADMIN_KEYS_ENV, API_KEYS_ENV, key_problem, keys_from_env
from .errors import ConfigError, error_place, error_reason
from .outputs import DEFAULT_FILE_TTL_S

if TYPE_CHECKING:
    from .server import ServeOptions, Server

log = logging.getLogger("openvino_ui")


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the web app and its API")
    p.add_argument(
        "--config",
        default=os.environ.get("OPENVINO_UI_CONFIG", "models.yaml"),
        help="models.yaml to serve (default: %(default)s)",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME"),
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        help="port (default: %(default)s)",
    )
    p.add_argument(
        "--share",
        action="store_true",
        help="also serve through a public gradio.live link (UI, API, REST routes and MCP alike)",
    )
    p.add_argument(
        "--root-path",
        default=os.environ.get("GRADIO_ROOT_PATH"),
        help="URL prefix when served behind a reverse proxy",
    )
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login")
    p.add_argument("--max-file-size", default="200mb", help="largest upload accepted (default: %(default)s)")
    p.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="requests the queue runs at once across all models (default: %(default)s)",
    )
    p.add_argument("--title", default="openvino-ui", help="page title")
    p.add_argument(
        "--no-prepare",
        action="store_true",
        help="do not convert missing models before starting; name the command instead",
    )
    p.add_argument(
        "--file-ttl",
        type=float,
        default=float(os.environ.get("OPENVINO_UI_FILE_TTL", DEFAULT_FILE_TTL_S)),
        metavar="SECONDS",
        help="delete uploaded and generated files this long after they were made; 0 keeps them "
        "(default: %(default)g)",
    )
    p.add_argument("--inbrowser", action="store_true", help="open a browser tab")
    p.add_argument(
        "--no-mcp",
        action="store_true",
        help="do not serve the MCP server (at /gradio_api/mcp/)",
    )
    keys = p.add_argument_group("keys and limits of the API")
    keys.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help=f"require `Authorization: Bearer KEY` on every /v1 route (repeatable; or {API_KEYS_ENV}, "
        "comma-separated, which keeps keys out of the process list). /health, /ready and /metrics stay open",
    )
    keys.add_argument(
        "--admin-key",
        action="append",
        metavar="KEY",
        help="require this key to load and unload models, over REST, the Gradio API and the Models tab "
        f"(repeatable; or {ADMIN_KEYS_ENV}); an admin key is also an API key",
    )
    keys.add_argument(
        "--read-only",
        action="store_true",
        help="refuse loading and unloading models everywhere (a public demo)",
    )
    keys.add_argument(
        "--allow-remote-images",
        action="store_true",
        help="let /v1/chat/completions download image_url parts that are http(s) URLs "
        "(off: only data: URLs; the server would fetch whatever a client names)",
    )
    keys.add_argument(
        "--max-body-size",
        default="64mb",
        metavar="SIZE",
        help="largest request body under /v1, JSON or multipart (e.g. 64mb, 1gb; default: %(default)s)",
    )
    p.set_defaults(func=_serve)


def parse_size(text: str, option: str) -> int:
    """A size such as 64mb, 512kb, 1gb (powers of 1024) or a number of bytes, in bytes."""
    value = text.strip().lower().removesuffix("b").removesuffix("i")
    scale = 1
    if value and value[-1] in "kmg":
        scale = 1024 ** ("kmg".index(value[-1]) + 1)
        value = value[:-1]
    try:
        size = int(float(value) * scale)
    except ValueError:
        raise SystemExit(f"{option} takes a size such as 64mb, 512kb or 1gb; got {text!r}") from None
    if size < 1:
        raise SystemExit(f"{option} must be at least one byte; got {text!r}")
    return size


def _keys(given: list[str] | None, env: str, option: str) -> tuple[str, ...]:
    """The keys given with `option` (repeatable), else those of environment variable `env`."""
    keys = tuple(given) if given is not None else keys_from_env(env)
    for key in keys:
        problem = key_problem(key)
        if problem:  # never print the key itself
            raise SystemExit(f"{option} (or {env}): {problem}")
    return keys


def serve_options(args: argparse.Namespace) -> ServeOptions:
    """The server's options from the parsed `serve` arguments."""
    from .server import ServeOptions

    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user:
            raise SystemExit("--auth takes USER:PASSWORD")
        auth = (user, password)
    return ServeOptions(
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        auth=auth,
        max_file_size=args.max_file_size,
        concurrency=args.concurrency,
        title=args.title,
        file_ttl_s=args.file_ttl,
        mcp=not args.no_mcp,
        share=args.share,
        inbrowser=args.inbrowser,
        api_keys=_keys(args.api_key, API_KEYS_ENV, "--api-key"),
        admin_keys=_keys(args.admin_key, ADMIN_KEYS_ENV, "--admin-key"),
        read_only=args.read_only,
        max_body_bytes=parse_size(args.max_body_size, "--max-body-size"),
        allow_remote_images=args.allow_remote_images,
    )


def build_server(args: argparse.Namespace) -> Server:
    """The server `serve` runs, from its parsed arguments (tests build theirs here too): the
    configuration checked, missing models prepared (unless --no-prepare), the pool, the app."""
    from .config import load_config
    from .pool import EnginePool
    from .server import Server

    options = serve_options(args)
    config = load_config(args.config)
    missing = [n for n, s in config.models.items() if s.path is not None and not s.path.exists()]
    if missing:
        _prepare_missing(config, missing, args.no_prepare)
    return Server(EnginePool(config), options)


def _serve(args: argparse.Namespace) -> int:
    server = build_server(args)
    try:
        server.run()  # until Ctrl+C or SIGTERM; `preload: true` models load once it listens
    finally:
        server.pool.close()
    return 0


def _prepare_missing(config, missing: list[str], disabled: bool) -> None:
    names = " ".join(missing)
    command = f"openvino-ui prepare --config {config.path} {names}"
    if disabled:
        log.warning("models not prepared yet: %s; run `%s`", names, command)
        return
    try:
        from .prepare import prepare_models
    except ImportError:
        log.warning("models not prepared yet: %s; run `%s`", names, command)
        return
    prepare_models(config, missing)


class NoExceptionText(logging.Filter):
    """Keep exception text out of log lines above DEBUG: it may quote a user's request.

    pybind11's TypeErrors list the arguments of a failed openvino-genai call (the prompt), Gradio's
    and pydantic's errors repeat the values they refused. A record above DEBUG that carries an
    exception shows its type and where it was raised instead of the traceback; our own code logs
    internal errors that way already (api/errors.py), this covers the libraries' loggers. With
    OPENVINO_UI_LOG=DEBUG the filter is not installed and tracebacks are logged whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = (
                f"{record.getMessage()} [{type(exc).__name__} at {error_place(exc)}: "
                f"{error_reason(exc)}; the traceback is logged with OPENVINO_UI_LOG=DEBUG]"
            )
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def _configure_logging() -> None:
    """Log to stderr at OPENVINO_UI_LOG (default INFO). Above DEBUG, no line holds a user's content:
    our code never logs it, and NoExceptionText drops the exception text other libraries log.

    Gradio does not log requests: its "Received inputs: [...]" is the text of an exception that it
    prints (not logs) when a request has too few values; api/errors.py's guard_blocks turns those
    into messages for the client, so nothing is printed. Uvicorn runs at "warning" (no access log).
    """
    level = os.environ.get("OPENVINO_UI_LOG", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, NoExceptionText) for f in handler.filters):
                handler.addFilter(NoExceptionText())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openvino-ui", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    try:
        from .prepare.cli import add_prepare_parser
    except ImportError:
        pass
    else:
        add_prepare_parser(sub)
    try:
        from .bench.cli import add_bench_parser
    except ImportError:
        pass
    else:
        add_bench_parser(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Program entry (console script, `python -m openvino_ui`, app.py): `main` after restarting
    once with huge-page malloc for the commands that run models (see openvino_ui.hugepages)."""
    command = (list(argv) if argv is not None else sys.argv[1:])[:1]
    if command in (["serve"], ["bench"]):
        from .hugepages import reexec_with_hugepages

        _configure_logging()
        reexec_with_hugepages()
    return main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    _configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the configuration; nothing was started.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run())
