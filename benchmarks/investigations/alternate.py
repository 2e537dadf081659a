"""Shared by the embedding investigations: runners timed alternately (one warm-up, then rounds in
turn, so drift on the machine hits every runner alike) and each runner's median figure and median
per-round ratio against a reference runner."""

from __future__ import annotations

import statistics
from typing import Any


def alternate(runners: dict[str, Any], rounds: int = 3) -> dict[str, list[dict[str, float]]]:
    for runner in runners.values():
        runner.run()  # warm-up
    out: dict[str, list[dict[str, float]]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, runner in runners.items():
            out[name].append(runner.run())
    return out


def ratio_cells(
    rounds: dict[str, list[dict[str, float]]], name: str, reference: str, times: bool = False
) -> list[str]:
    """ "metric median (ratio x)" per metric of `name`, the ratio being the median of per-round
    ratios: name / reference for rates, reference / name for `times` (lower is better, e.g. RTF),
    so above 1 is faster either way."""
    cells = []
    for metric in rounds[name][0]:
        median = statistics.median(r[metric] for r in rounds[name])
        pairs = zip(rounds[name], rounds[reference], strict=True)
        ratio = statistics.median(b[metric] / a[metric] if times else a[metric] / b[metric] for a, b in pairs)
        shown = f"{median:.3f}" if times else f"{median:7.1f}"
        cells.append(f"{metric} {shown} ({ratio:4.2f}x)")
    return cells
