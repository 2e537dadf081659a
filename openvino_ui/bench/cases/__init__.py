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
DEFAULT_AREAS = AREAS[:-1]


def load_cases(areas: tuple[str, ...], full: bool) -> list[Case]:
    out: list[Case] = []
    for area in areas:
        module = importlib.import_module(f"{__name__}.{_MODULES[area]}")
        out += module.cases(full)
    return out
