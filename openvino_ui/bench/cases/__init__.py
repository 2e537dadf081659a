"""The bench cases by area, in priority order. Each module has `cases(full) -> list[Case]`; its
heavy imports (peers, models) happen inside the runners, so listing cases is cheap."""

from __future__ import annotations

import importlib

from ..core import Case

AREAS = ("chat", "embeddings", "serving", "asr", "tts", "rerank", "settings", "fake")
_MODULES = {
    "chat": "llm",
    "embeddings": "embedding",
    "serving": "serving",
    "asr": "asr",
    "tts": "tts",
    "rerank": "rerank",
    "settings": "settings",
    "fake": "fake",
}
FULL_AREAS = AREAS[:-1]
# --quick leaves out the settings sweep (OpenVINO against itself: evidence for the defaults) to stay
# under 15 minutes on 2 cores including the first-run model builds; --full runs it.
QUICK_AREAS = tuple(a for a in FULL_AREAS if a != "settings")


def default_areas(full: bool) -> tuple[str, ...]:
    return FULL_AREAS if full else QUICK_AREAS


def load_cases(areas: tuple[str, ...], full: bool) -> list[Case]:
    out: list[Case] = []
    for area in areas:
        module = importlib.import_module(f"{__name__}.{_MODULES[area]}")
        out += module.cases(full)
    return out
