"""Run a build: in a worker subprocess (the default) or in this process (tests with fake builders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .context import Job
from .errors import PrepareError
from .worker import as_prepare_error, run_builder

Display = Callable[[dict[str, Any]], None]
Runner = Callable[[Job, Display, Path], None]


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def run_subprocess(job: Job, display: Display, log_path: Path) -> None:
    """Run the job in `python -m openvino_ui.prepare.worker`; raise PrepareError if it fails.

    Library output goes to `log_path`; progress events come back through a pipe.
    """
    job_file = Path(job.work) / "job.json"
    job_file.write_text(json.dumps(job.to_dict()), encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    if job.options.get("kind") != "hub":  # nothing but the hub source may reach the network
        env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    read_fd, write_fd = os.pipe()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "openvino_ui.prepare.worker", str(job_file), str(write_fd)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            env=env,
        )
    os.close(write_fd)
    error: dict[str, Any] | None = None
    try:
        with os.fdopen(read_fd, encoding="utf-8") as events:
            for line in events:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "error":
                    error = event
                else:
                    display(event)
        code = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C): do not leave a converter running
            proc.kill()
            proc.wait()
    if code == 0:
        return
    if error and error.get("known"):
        raise PrepareError(error["message"])
    what = error["message"] if error else f"the conversion process exited with code {code}"
    if code < 0 and not error:
        what += " (killed: out of memory?)" if code == -9 else f" (signal {-code})"
    tail = _log_tail(log_path)
    raise PrepareError(f"{what}; full log: {log_path}" + (f"\n{tail}" if tail else ""))


def run_in_process(job: Job, display: Display, log_path: Path) -> None:
    """Run the job's builder here (fast; used by tests with small fake builders)."""
    try:
        run_builder(job, display)
    except PrepareError:
        raise
    except Exception as exc:
        known = as_prepare_error(exc, job)
        if known is not None:
            raise known from exc
        raise PrepareError(f"{type(exc).__name__}: {exc}") from exc
