"""The bench cases by area, in priority order. Each module has `cases(full) -> list[Case]`; its
heavy imports (peers, models) happen inside the runners, so listing cases is cheap."""

from __future__ import annotations

import importlib

from ..core import Case

AREAS = ("chat", "embeddings", "serving", "asr", "tts", "rerank", "settings", "cluster", "fake")
_MODULES: dict[str, tuple[str, ...]] = {
    "chat": ("llm",),
    "embeddings": ("embedding",),
    # serving: the Gradio and REST layers' own cost; continuous batching against the plain
    # pipeline; many users against llama-server; many embedding clients against a
    # dynamic-batching embedding server
    "serving": ("serving", "batching", "users", "embedding_users"),
    "asr": ("asr",),
    "tts": ("tts",),
    "rerank": ("rerank",),
    "settings": ("settings", "weights"),  # weights: the evidence for `weight_format: auto`
    "cluster": ("cluster",),  # Ray Serve replicas against the in-process engine ([cluster] extra)
    "fake": ("fake",),
}
# cluster needs the optional Ray extra: it runs when named (--areas cluster).
FULL_AREAS = tuple(a for a in AREAS if a not in ("cluster", "fake"))
# --quick leaves out the settings sweep (OpenVINO against itself: evidence for the defaults) to stay
# under 15 minutes on 2 cores including the first-run model builds; --full runs it.
QUICK_AREAS = tuple(a for a in FULL_AREAS if a != "settings")


def default_areas(full: bool) -> tuple[str, ...]:
    return FULL_AREAS if full else QUICK_AREAS


def load_cases(areas: tuple[str, ...], full: bool) -> list[Case]:
    out: list[Case] = []
    for area in areas:
        for name in _MODULES[area]:
            out += importlib.import_module(f"{__name__}.{name}").cases(full)
    return out
