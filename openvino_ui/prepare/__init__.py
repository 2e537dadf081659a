"""`openvino-ui prepare`: turn each model's `source` into the OpenVINO IR folder at its `path`.

    from openvino_ui.prepare import prepare_models
    outcomes = prepare_models(load_config("models.yaml"), ["gemma-3-270m"])

The public interface of this package is what this module exports, and the recipe registry
(openvino_ui.prepare.recipes: RECIPES, Recipe); its other modules are its own business.

Each model is built in a worker subprocess (torch and transformers stay out of the caller), in a
temporary folder beside its path that is renamed into place when complete. A marker file inside
records the source, so a second run does nothing and a changed source rebuilds. One model failing
does not stop the others. This module imports nothing heavy: `serve` calls it before starting.
"""

from __future__ import annotations

import errno
import importlib
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .atomic import folder_size, is_up_to_date, model_lock, staged, write_marker
from .context import Job
from .errors import DiskFull, PrepareError
from .misaki import add_misaki_data, has_misaki_data, is_kokoro_folder
from .packages import require
from .plan import OPTIMUM_TASKS, Plan, plan_model
from .progress import Outcome, StepDisplay, human_bytes, summary_table
from .recipes import RECIPES
from .runner import Runner, run_in_process, run_subprocess

log = logging.getLogger(__name__)

__all__ = [
    "Outcome",
    "PrepareError",
    "prepare_models",
    "run_in_process",
    "run_subprocess",
    "transformers_checkpoint",
]

LOG_FOLDER = ".prepare-logs"  # beside the models: the conversion output of each model's last build


def prepare_models(
    config: Any,
    names: Sequence[str] | None = None,
    *,
    force: bool = False,
    runner: Runner | None = None,
    stream: TextIO | None = None,
    bars: bool | None = None,
) -> list[Outcome]:
    """Prepare the models `names` of `config` (an AppConfig; default: all), printing progress.

    Args:
        config: the loaded models.yaml.
        names: model names to prepare; None or empty means every model in the file.
        force: rebuild even when the folder is up to date (or was not made by prepare).
        runner: how a build runs (default: a worker subprocess per model).
        stream: where progress and the summary go (default: stdout).
        bars: progress bars (True), plain lines (False), or bars only on a terminal (None).

    Returns:
        One Outcome per model, in order; `outcome.failed` tells which failed (the others went on).

    Raises:
        PrepareError: a name is not in the configuration (nothing is done then).
    """
    stream = stream or sys.stdout
    selected = list(names) if names else config.names()
    unknown = [n for n in selected if n not in config.models]
    if unknown:
        raise PrepareError(
            f"unknown model(s) {', '.join(unknown)}; {config.path} has: {', '.join(config.names())}"
        )
    outcomes = []
    for name in selected:
        plan = plan_model(name, config.models[name], force=force)
        if plan.action == "build":
            outcome = _build(plan, runner or run_subprocess, stream, bars, force)
        else:
            outcome = _settled(plan)
            print(
                f"{name}: {outcome.status}" + (f" ({outcome.message})" if outcome.message else ""),
                file=stream,
                flush=True,
            )
            if outcome.status in ("kept", "up to date") and plan.spec.path is not None:
                _complete_for_serving(name, plan.spec.task, Path(plan.spec.path), stream)
        outcomes.append(outcome)
    print(summary_table(outcomes), file=stream, flush=True)
    return outcomes


def transformers_checkpoint(recipe: str, dst: Path) -> Path:
    """Write the fp32 transformers checkpoint that `recipe` exports from (built from its packaged
    weights) into `dst`, for tools that export variants of their own (`openvino-ui bench`).

    Runs in this process and imports torch and transformers (the `convert` extra): call it from a
    subprocess if the caller must stay light. PrepareError for a recipe without one.
    """
    known = RECIPES.get(recipe)
    if known is None or known.checkpoint is None:
        with_one = ", ".join(sorted(n for n, r in RECIPES.items() if r.checkpoint)) or "none"
        raise PrepareError(f"recipe {recipe!r} has no transformers checkpoint (recipes with one: {with_one})")
    require(recipe, known.weights, known.tools)
    module, _, function = known.checkpoint.partition(":")
    getattr(importlib.import_module(module), function)(Path(dst))
    return Path(dst)


def _settled(plan: Plan) -> Outcome:
    """The outcome of a model that needs no build (up to date, kept, skipped, or failed planning)."""
    path = plan.spec.path
    size = folder_size(path) if path is not None and Path(path).is_dir() else None
    status = plan.action
    return Outcome(plan.name, plan.spec.task, plan.source_text, status, size=size, message=plan.reason)


def _build(plan: Plan, runner: Runner, stream: TextIO, bars: bool | None, force: bool) -> Outcome:
    spec, name = plan.spec, plan.name
    path = Path(spec.path)
    outcome = Outcome(name, spec.task, plan.source_text, "failed")
    display = StepDisplay(name, stream, bars)
    display.line(f"== {name}: building from {plan.source_text} into {path}")
    started = time.perf_counter()
    try:
        if plan.recipe is not None:
            require(name, plan.recipe.weights, plan.recipe.tools)
            _check_free_space(name, path.parent, plan.recipe.scratch_mb)
        with model_lock(path):
            if not force and is_up_to_date(
                path, plan.fingerprint or {}
            ):  # built meanwhile by another process
                outcome.status = "up to date"
            else:
                with staged(path, name) as stage:
                    options = dict(
                        spec.source.model_dump(mode="json"),
                        task=spec.task,
                        optimum_task=OPTIMUM_TASKS.get(spec.task),
                    )
                    job = Job(name, spec.task, plan.builder, options, str(stage.out), str(stage.work))
                    runner(job, display, path.parent / LOG_FOLDER / f"{name}.log")
                    if not any(stage.out.rglob("*.xml")):
                        raise PrepareError(
                            f"model {name!r}: the build finished but wrote no OpenVINO model (*.xml)"
                        )
                    _complete_for_serving(name, spec.task, stage.out, stream)
                    write_marker(stage.out, plan.fingerprint or {}, time.perf_counter() - started)
                outcome.status = "built"
    except PrepareError as exc:
        outcome.message = str(exc)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            outcome.message = str(DiskFull(name, str(path.parent), str(exc)))
        else:
            outcome.message = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # one broken model must not stop the others
        log.exception("preparing %s failed", name)
        outcome.message = f"{type(exc).__name__}: {exc}"
    outcome.seconds = time.perf_counter() - started
    if outcome.failed:
        display.line(f"!! {name}: FAILED: {outcome.message}")
    else:
        outcome.size = folder_size(path)
        display.line(f"== {name}: {outcome.status}, {human_bytes(outcome.size)} in {outcome.seconds:.1f} s")
    return outcome


def _complete_for_serving(name: str, task: str, folder: Path, stream: TextIO) -> None:
    """Add what the engines read from a model folder besides the model: misaki's lexicons for a
    Kokoro folder (the TTS engine reads them only from there; see prepare/misaki.py)."""
    if task != "tts" or not folder.is_dir() or not is_kokoro_folder(folder) or has_misaki_data(folder):
        return
    if add_misaki_data(folder):
        print(f"{name}: added misaki's English lexicons to {folder}", file=stream, flush=True)
    else:
        print(
            f"{name}: this Kokoro model needs misaki's English lexicons in {folder}/misaki_data: "
            "pip install --no-deps misaki==0.9.4 and prepare again",
            file=stream,
            flush=True,
        )


def _check_free_space(name: str, folder: Path, needed_mb: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(folder).free // 2**20
    if free_mb < needed_mb:
        raise DiskFull(
            name, str(folder), f"about {needed_mb} MiB are needed while building, {free_mb} MiB are free"
        )
