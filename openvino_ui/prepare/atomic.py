"""Never a half-written model: build in a temporary folder beside the final one, then rename it
into place; a marker file inside records what the folder was built from."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DiskFull

MARKER = "openvino_ui_prepared.json"
MARKER_VERSION = 1


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a prepared folder, or None (no folder, no marker, unreadable marker)."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_marker(folder: Path, fingerprint: dict[str, Any], seconds: float) -> None:
    data = {
        "marker_version": MARKER_VERSION,
        "fingerprint": fingerprint,
        "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 1),
    }
    (Path(folder) / MARKER).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def is_up_to_date(folder: Path, fingerprint: dict[str, Any]) -> bool:
    marker = read_marker(folder)
    return bool(marker) and marker.get("fingerprint") == fingerprint  # type: ignore[union-attr]


def folder_size(folder: Path) -> int:
    """Bytes of all files under `folder` (0 if it does not exist)."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file() and not f.is_symlink())


@dataclass(frozen=True)
class Staging:
    """The temporary folders of one build: `out` becomes the model, `work` holds intermediates."""

    root: Path
    out: Path
    work: Path


@contextmanager
def model_lock(final: Path) -> Iterator[None]:
    """One prepare per model folder at a time, across processes (serve and a test may race)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / f".{final.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staged(final: Path, model: str) -> Iterator[Staging]:
    """Yield temporary folders beside `final`; on success move `out` into place, always clean up.

    The temporary folder sits on the same file system as `final`, so the last step is a rename.
    An existing `final` (stale: its source changed) is moved aside first and deleted afterwards.
    Running out of disk space becomes a DiskFull error naming the model.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    root = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    stage = Staging(root=root, out=root / "model", work=root / "work")
    try:
        stage.out.mkdir(parents=True)
        stage.work.mkdir()
        yield stage
        shutil.rmtree(stage.work, ignore_errors=True)  # before the rename: frees space early
        replace_folder(stage.out, final)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFull(model, str(final.parent), str(exc)) from exc
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for stale in final.parent.glob(f".{final.name}.partial-*"):  # left by a killed earlier run
            if not _pid_alive(stale.name.rsplit("-", 1)[-1]):
                shutil.rmtree(stale, ignore_errors=True)


def replace_folder(new: Path, final: Path) -> None:
    """Rename `new` to `final`, replacing an existing folder there (moved aside, then deleted)."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(new, final)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def _pid_alive(text: str) -> bool:
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
