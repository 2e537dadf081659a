"""The folder of files the app writes for its users (speech WAVs, subtitles, embedding downloads),
and the sweeper that deletes them after a set time, as Gradio's `delete_cache` does for uploads.

Gradio copies every file an endpoint returns into its own cache, so ours are only needed until the
response is sent; the time to live is what a user may take to download a file the page still shows.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

# One hour: long enough to download what a page shows, short enough that a busy server stays small.
DEFAULT_FILE_TTL_S = 3600


def output_dir() -> Path:
    """The app's output folder, inside Gradio's cache folder ($GRADIO_TEMP_DIR or <tmp>/gradio)."""
    base = os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio")
    folder = Path(base) / "openvino-ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep(folder: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete the files in `folder` last modified more than `max_age_s` ago; return how many."""
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > max_age_s:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # another sweeper (another app on this machine) was faster
            continue
    return removed


def sweep_interval(ttl_s: float) -> float:
    """How often to look: a quarter of the time to live, between 1 s and 10 min."""
    return min(600.0, max(1.0, ttl_s / 4))


class OutputSweeper:
    """A daemon thread that sweeps the output folder every sweep_interval(ttl_s) seconds."""

    def __init__(self, ttl_s: float, folder: Path | None = None):
        if ttl_s <= 0:
            raise ValueError("the time to live of output files must be positive")
        self.ttl_s = ttl_s
        self.folder = folder
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="output-sweeper", daemon=True)

    def start(self) -> OutputSweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        interval = sweep_interval(self.ttl_s)
        while not self._stop.wait(interval):
            try:
                removed = sweep(self.folder or output_dir(), self.ttl_s)
            except OSError as exc:  # keep sweeping; the next round retries
                log.warning("sweeping output files failed: %s", type(exc).__name__)
                continue
            if removed:
                log.debug("removed %d output files older than %.0f s", removed, self.ttl_s)
