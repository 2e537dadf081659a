"""Small helpers shared by the tabs: readouts, session-scoped cancel flags, model choices."""

import threading

import gradio as gr

from ..pool import EnginePool
from ..stats import GenerationMetrics

GLUE = {"api_visibility": "undocumented"}  # UI wiring that is not part of the public API


def model_dropdown(pool: EnginePool, task: str | tuple[str, ...], label: str = "Model") -> gr.Dropdown:
    """A dropdown of the configured models of `task`, with their descriptions as the info line."""
    names = pool.names(task)
    notes = [f"{n}: {pool.get(n).spec.description}" for n in names if pool.get(n).spec.description]
    return gr.Dropdown(
        choices=names,
        value=names[0] if names else None,
        label=label,
        info="; ".join(notes) or None,
        interactive=True,
    )


def generation_readout(metrics: GenerationMetrics, device: str, stopped: bool = False) -> str:
    """One line under a reply: TTFT, tokens/s, tokens and device."""
    parts = [
        f"TTFT **{metrics.ttft_ms:.0f} ms**",
        f"**{metrics.tokens_per_s:.1f} tok/s**",
        f"{metrics.generated_tokens} tokens",
        f"device **{device}**",
    ]
    if stopped:
        parts.append("stopped")
    return " · ".join(parts)


class SessionCancels:
    """One cancel flag per browser session, so a Stop click stops only that session's stream."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def begin(self, session: str | None) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events[session or ""] = event
        return event

    def cancel(self, session: str | None) -> None:
        with self._lock:
            event = self._events.get(session or "")
        if event is not None:
            event.set()
