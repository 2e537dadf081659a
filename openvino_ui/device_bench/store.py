"""Benchmark results kept in a small SQLite file: one row per model x device of each run.

Where: $OPENVINO_UI_BENCHMARKS_DB, else `benchmarks.sqlite` beside the model cache folder of
models.yaml (`defaults.cache_dir`, e.g. .cache/benchmarks.sqlite), else
~/.cache/openvino-ui/benchmarks.sqlite. The file and its table are made when the first result is
kept (a listing before that makes nothing); every call opens its own connection, so threads (the
UI's and the REST routes') never share one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import UserError
from .results import DeviceResult, Figure, Versions

log = logging.getLogger(__name__)

DB_ENV = "OPENVINO_UI_BENCHMARKS_DB"
FILE_NAME = "benchmarks.sqlite"
MAX_LISTED = 500  # the most rows one listing returns
TIMEOUT_S = 10.0  # how long a write waits for another process's write

SCHEMA = """
CREATE TABLE IF NOT EXISTS device_benchmarks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    created REAL NOT NULL,
    model TEXT NOT NULL,
    task TEXT NOT NULL,
    device TEXT NOT NULL,
    model_version INTEGER,
    versions TEXT NOT NULL,
    figures TEXT NOT NULL,
    setup TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS device_benchmarks_by_model ON device_benchmarks (model, created);
"""
COLUMNS = "run_id, created, model, task, device, model_version, versions, figures, setup"


class BenchmarkStoreFailed(UserError):
    """The results file cannot be read or written (a full disk, no permission): the server's
    problem, not the request's."""

    title = "Benchmark results not saved"
    status = 500
    type = "server_error"
    code = "benchmark_store_failed"


def default_path(cache_dir: Path | None) -> Path:
    """Where the results are kept (see the module docstring)."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override).expanduser()
    if cache_dir is not None:
        return Path(cache_dir).parent / FILE_NAME
    return Path.home() / ".cache" / "openvino-ui" / FILE_NAME


class BenchmarkStore:
    """The results file at `path` (nothing is touched until the first add or listing)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=TIMEOUT_S)) as db:
                db.executescript(SCHEMA)
                with db:  # one transaction: committed on success, rolled back on an error
                    yield db
        except (sqlite3.Error, OSError) as exc:
            log.warning("benchmark results file %s: %s", self.path, type(exc).__name__)
            raise BenchmarkStoreFailed(
                f"The benchmark results file {self.path} cannot be used ({type(exc).__name__}: {exc}). "
                f"Check its folder, or point {DB_ENV} elsewhere."
            ) from exc

    def add(self, results: Sequence[DeviceResult]) -> None:
        """Keep `results` (one row each), all or none."""
        rows = [
            (
                r.run_id,
                r.created,
                r.model,
                r.task,
                r.device,
                r.model_version,
                json.dumps(r.versions.as_dict()),
                json.dumps([f.as_dict() for f in r.figures]),
                json.dumps(dict(r.setup)),
            )
            for r in results
        ]
        with self._connection() as db:
            db.executemany(f"INSERT INTO device_benchmarks ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def recent(self, model: str | None = None, limit: int = 50) -> list[DeviceResult]:
        """The newest `limit` results (at most MAX_LISTED), newest first; of `model` only if given."""
        if not self.path.exists():  # nothing kept yet: reading makes no file
            return []
        limit = max(1, min(int(limit), MAX_LISTED))
        where, args = ("WHERE model = ?", (model,)) if model else ("", ())
        query = f"SELECT {COLUMNS} FROM device_benchmarks {where} ORDER BY created DESC, id DESC LIMIT ?"
        with self._connection() as db:
            rows = db.execute(query, (*args, limit)).fetchall()
        results = []
        for row in rows:
            try:
                results.append(_result(row))
            except (ValueError, KeyError, TypeError) as exc:  # a row written by hand or a future version
                log.warning("skipped an unreadable benchmark row (%s)", type(exc).__name__)
        return results


def _result(row: tuple) -> DeviceResult:
    run_id, created, model, task, device, model_version, versions, figures, setup = row
    v = json.loads(versions)
    return DeviceResult(
        run_id=str(run_id),
        created=float(created),
        model=str(model),
        task=str(task),
        device=str(device),
        model_version=None if model_version is None else int(model_version),
        versions=Versions(str(v["openvino"]), str(v["openvino_genai"]), str(v["openvino_ui"])),
        figures=tuple(Figure.from_dict(f) for f in json.loads(figures)),
        setup=tuple((str(k), value) for k, value in json.loads(setup).items()),
    )
