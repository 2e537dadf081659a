"""Runs one model's build in its own process, so that the caller (e.g. `serve`) never imports torch
and all memory the conversion used is returned when it ends.

    python -m openvino_ui.prepare.worker JOB.json EVENTS_FD

The builder's progress events are written as JSON lines to file descriptor EVENTS_FD; library
output (optimum, transformers) goes to stdout/stderr, which the parent sends to a log file.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .context import BuildContext, Job
from .errors import DiskFull, MissingPackages, PrepareError
from .packages import CONVERT_EXTRA


def as_prepare_error(exc: BaseException, job: Job) -> PrepareError | None:
    """Our error for the failures a user can fix (None: an internal error, shown with its type)."""
    if isinstance(exc, PrepareError):
        return exc
    cause: BaseException | None = exc
    while cause is not None:  # ENOSPC often arrives wrapped (RuntimeError from OpenVINO, optimum)
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return DiskFull(job.name, str(Path(job.out).parent.parent), str(cause))
        if "No space left on device" in str(cause):
            return DiskFull(job.name, str(Path(job.out).parent.parent))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return MissingPackages(job.name, [exc.name.split(".")[0]], CONVERT_EXTRA)
    return None


def run_builder(job: Job, emit: Callable[[dict[str, Any]], None]) -> None:
    """Import the job's builder and run it with a BuildContext."""
    module_name, _, function = job.builder.partition(":")
    builder = getattr(importlib.import_module(module_name), function)
    builder(BuildContext(job, emit))


def main(argv: list[str]) -> int:
    job = Job(**json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    events = os.fdopen(int(argv[1]), "w", buffering=1, encoding="utf-8")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def emit(event: dict[str, Any]) -> None:
        events.write(json.dumps(event) + "\n")

    try:
        run_builder(job, emit)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        traceback.print_exc()
        known = as_prepare_error(exc, job)
        message = str(known) if known else f"{type(exc).__name__}: {exc}"
        emit({"event": "error", "message": message, "known": known is not None})
        return 1
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
