"""OpenVINO against itself (thread count, attention backend, performance hint): the evidence for
the defaults in models.yaml."""

from __future__ import annotations

from ..core import Case
from . import embedding, llm


def cases(full: bool) -> list[Case]:
    return llm.settings_cases(full) + embedding.settings_cases()
