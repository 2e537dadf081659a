"""A trivial case with no peers and no models: it exercises the bench machinery in CI in seconds."""

from __future__ import annotations

import time

import numpy as np

from ..core import Case, Metric


class _Spin:
    """Sums `n` random floats with numpy (the candidate) or in pure Python (the peer)."""

    def __init__(self, vectorised: bool, n: int = 20_000):
        self.vectorised, self.n = vectorised, n
        self.label = "numpy" if vectorised else "python"

    def run(self) -> dict[str, float]:
        data = np.random.default_rng().random(self.n)
        t0 = time.perf_counter()
        total = float(data.sum()) if self.vectorised else sum(data.tolist())
        elapsed = time.perf_counter() - t0
        return {"items_per_s": self.n / max(elapsed, 1e-9), "latency_ms": elapsed * 1000, "checksum": total}

    def resolved(self) -> dict[str, object]:
        return {"vectorised": self.vectorised}

    def close(self) -> None:
        pass


def cases(full: bool) -> list[Case]:
    return [
        Case(
            name="fake-numpy-vs-python",
            group="fake",
            engine="numpy sum",
            peer="python sum",
            metrics=[Metric("items_per_s", "items/s", True, 1.0), Metric("latency_ms", "ms", False, 1.0)],
            make=lambda t: (_Spin(True), _Spin(False)),
            quality=lambda c, p: {"ok": True},
            notes="machinery smoke test; not a benchmark",
        )
    ]
