"""What a device benchmark produces: one Figure per measured quantity (its repetitions and their
median), one DeviceResult per model x device (what the SQLite store keeps, one row each), and the
BenchmarkRun a caller gets back (the devices measured and those that failed)."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

Better = Literal["higher", "lower"]
# A setup value: how a figure was measured (prompt tokens, clip length, batch size, ...).
SetupValue = int | float | str


@dataclass(frozen=True)
class Figure:
    """One measured quantity on one device: the repetitions after the warm-up, and their median
    (the value shown and compared: a median shrugs off one repetition disturbed by the machine)."""

    name: str  # a stable key, e.g. "ttft_ms"
    label: str  # for people, e.g. "TTFT, 512-token prompt"
    unit: str  # e.g. "ms", "tok/s"
    better: Better  # which way is better
    samples: tuple[float, ...]
    median: float

    @classmethod
    def of(cls, name: str, label: str, unit: str, better: Better, samples: list[float]) -> Figure:
        if not samples:
            raise ValueError(f"figure {name} has no samples")
        return cls(name, label, unit, better, tuple(samples), float(statistics.median(samples)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "better": self.better,
            "samples": list(self.samples),
            "median": self.median,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(
            name=str(data["name"]),
            label=str(data["label"]),
            unit=str(data["unit"]),
            better="lower" if data["better"] == "lower" else "higher",
            samples=tuple(float(s) for s in data["samples"]),
            median=float(data["median"]),
        )


@dataclass(frozen=True)
class Versions:
    """The software a result was measured with (results of other versions are not comparable)."""

    openvino: str
    openvino_genai: str
    openvino_ui: str

    @classmethod
    def current(cls) -> Versions:
        """The installed versions, by their distributions' metadata ("unknown" when not installed)."""
        return cls(_installed("openvino"), _installed("openvino-genai"), _installed("openvino-ui"))

    def as_dict(self) -> dict[str, str]:
        return {
            "openvino": self.openvino,
            "openvino_genai": self.openvino_genai,
            "openvino_ui": self.openvino_ui,
        }


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Measurement:
    """What a task's measurement gives for one device: its figures and how they were taken."""

    figures: tuple[Figure, ...]
    setup: tuple[tuple[str, SetupValue], ...] = ()


@dataclass(frozen=True)
class DeviceResult:
    """One model benchmarked on one device: a row of the store and of the results table."""

    run_id: str  # shared by the devices of one benchmark run
    created: float  # Unix time
    model: str
    task: str
    device: str
    model_version: int | None  # the numbered version folder measured (None: unversioned)
    versions: Versions
    figures: tuple[Figure, ...]
    setup: tuple[tuple[str, SetupValue], ...] = ()

    @property
    def date(self) -> str:
        """When it was measured, ISO 8601 in UTC to the second."""
        return datetime.fromtimestamp(self.created, UTC).isoformat(timespec="seconds")

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "date": self.date,
            "created": self.created,
            "model": self.model,
            "task": self.task,
            "device": self.device,
            "model_version": self.model_version,
            "versions": self.versions.as_dict(),
            "figures": [f.as_dict() for f in self.figures],
            "setup": dict(self.setup),
        }


@dataclass(frozen=True)
class DeviceFailure:
    """A device the run could not measure on (the model failed to load there, say)."""

    device: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"device": self.device, "error": self.error}


@dataclass(frozen=True)
class BenchmarkRun:
    """One benchmark of a model on the devices asked for: a result per device measured (stored),
    a failure per device that could not be."""

    run_id: str
    model: str
    task: str
    results: tuple[DeviceResult, ...]
    failures: tuple[DeviceFailure, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "task": self.task,
            "results": [r.as_dict() for r in self.results],
            "failures": [f.as_dict() for f in self.failures],
        }


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
