"""Small helpers shared by the tabs: readouts, session-scoped cancel flags, model choices, the
sampling controls (their bounds are the service's: SamplingOptions)."""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import gradio as gr
from gradio.helpers import Examples

from ..api.errors import as_gradio_error
from ..config import GenerationDefaults, GenerativeSpec
from ..engines.admission import PlaceListener, report_place
from ..generation import MAX_NEW_TOKENS, Delta, StreamEvent
from ..service import SamplingOptions, Service
from ..service.requests import Task
from ..service.sampling import default_max_new_tokens, rule
from ..stats import GenerationMetrics

T = TypeVar("T")

# A fast model makes hundreds of tokens a second; re-rendering a chat that often floods the
# browser, so a streamed reply updates the page at most this many times a second.
UPDATES_PER_S = 20

GLUE = {"api_visibility": "undocumented"}  # UI wiring that is not part of the public API
# CSS class of the download boxes (gr.File outputs): empty, Gradio draws each as a 236 px blank area
# that pushes the results below it out of sight; the app's CSS makes that smaller.
DOWNLOAD_CLASS = "ov-download"

# (function, inputs, outputs) of an event handler a tab asks build_app to attach.
Handler = tuple[Callable[..., Any], list[Any], list[Any]]


@dataclass(frozen=True)
class TabEvents:
    """What a tab builder asks build_app to wire outside the tab: handlers to run when the page is
    opened (or reloaded) and handlers to run each time the tab is selected."""

    on_page_load: list[Handler] = field(default_factory=list)
    on_select: list[Handler] = field(default_factory=list)


def example_inputs(
    samples: Sequence[Any],
    inputs: list[Any],
    elem_id: str,
    labels: list[str] | None = None,
    label: str = "Examples",
) -> Examples | None:
    """Clickable example inputs (None when there are none): clicking one fills `inputs`; the tab
    chains what runs next on `.load_input_event`. Never cached (caching would run the models at
    start) and never a public API endpoint."""
    if not samples:
        return None
    rows = [list(s) if isinstance(s, (list, tuple)) else [s] for s in samples]
    return gr.Examples(
        rows,
        inputs,
        label=label,
        elem_id=elem_id,
        example_labels=labels,
        cache_examples=False,
        run_on_click=False,
        examples_per_page=20,
        **GLUE,
    )


# Set on a dropdown that lists model names: the task(s) it lists (ALL_TASKS: every model). build_app
# refreshes every such dropdown when a page opens, so models added or removed at runtime (reload,
# add, remove) show in every tab after a page reload.
MODEL_LIST = "openvino_ui_lists_models_of"
ALL_TASKS = "*"


def lists_models(dropdown: gr.Dropdown, task: Task | tuple[Task, ...] | None = None) -> gr.Dropdown:
    """Mark `dropdown` as a list of the models of `task` (None: all) for the page-load refresh."""
    setattr(dropdown, MODEL_LIST, ALL_TASKS if task is None else task)
    return dropdown


def model_dropdown(
    service: Service, task: Task | tuple[Task, ...], label: str = "Model", elem_id: str | None = None
) -> gr.Dropdown:
    """A dropdown of the configured models of `task`, with their descriptions as the info line."""
    names = service.model_names(task)
    descriptions = {n: service.model_spec(n).description for n in names}
    notes = [f"{n}: {text}" for n, text in descriptions.items() if text]
    dropdown = gr.Dropdown(
        choices=names,
        value=names[0] if names else None,
        label=label,
        info="; ".join(notes) or None,
        interactive=True,
        elem_id=elem_id,
    )
    return lists_models(dropdown, task)


def refresh_model_lists(demo: gr.Blocks, service: Service) -> None:
    """When a page opens, give every dropdown marked with lists_models the models served now (the
    page's structure is built once, at start), keeping its choice while that model exists."""
    dropdowns = [block for block in demo.blocks.values() if hasattr(block, MODEL_LIST)]
    if not dropdowns:
        return

    def refresh(*values: Any) -> list[Any]:
        updates = []
        for dropdown, value in zip(dropdowns, values, strict=True):
            task = getattr(dropdown, MODEL_LIST)
            names = service.model_names(None if task == ALL_TASKS else task)
            if value in names:  # only the choices: a value sent back would undo a pick made meanwhile
                updates.append(gr.update(choices=names))
            else:
                updates.append(gr.update(choices=names, value=names[0] if names else None))
        return updates

    demo.load(refresh, dropdowns, dropdowns, queue=False, show_progress="hidden", **GLUE)


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


def first_model_spec(service: Service, task: Task) -> GenerativeSpec | None:
    """The configuration of the first `task` model the dropdown shows (None when none is
    configured): the sampling controls start from it."""
    names = service.model_names(task)
    spec = service.model_spec(names[0], task) if names else None
    return spec if isinstance(spec, GenerativeSpec) else None


class SessionCancels:
    """One cancel flag per browser session, so a Stop click stops only that session's stream."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _session(request: gr.Request | None) -> str:
        return (request.session_hash if request else None) or ""

    def begin(self, request: gr.Request | None) -> threading.Event:
        """A fresh flag for this request's session (a new stream replaces the old flag)."""
        event = threading.Event()
        with self._lock:
            self._events[self._session(request)] = event
        return event

    def cancel(self, request: gr.Request) -> None:
        """Stop handler: set the flag of the clicking session's current stream."""
        with self._lock:
            event = self._events.get(self._session(request))
        if event is not None:
            event.set()


def _text_of(content: Any) -> str:
    """Chatbot message content as plain text (Gradio may hand it back as a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content or "")


def plain_turns(history: list[Any] | None) -> list[dict[str, str]]:
    """Chatbot messages as {"role", "content"} text turns, oldest first."""
    turns = []
    for msg in history or []:
        role = msg.get("role") if isinstance(msg, dict) else getattr(msg, "role", None)
        text = _text_of(msg.get("content") if isinstance(msg, dict) else getattr(msg, "content", ""))
        if role in ("user", "assistant") and text:
            turns.append({"role": role, "content": text})
    return turns


def earlier_turns(history: list[Any] | None) -> list[dict[str, str]]:
    """The turns before the question just added to the chat (which is sent on its own)."""
    turns = plain_turns(history)
    return turns[:-1] if turns and turns[-1]["role"] == "user" else turns


# Slider steps; each slider's minimum and maximum are the bounds SamplingOptions accepts.
STEPS = {"temperature": 0.05, "top_p": 0.01, "top_k": 1, "repetition_penalty": 0.05}


def slider_bounds(name: str, step: float, high: float | None = None) -> tuple[float, float]:
    """(minimum, maximum) of the slider of sampling parameter `name`: SamplingOptions' bounds (an open
    lower bound, top_p's "above 0", starts one step above it); `high` replaces the maximum (a model's
    own max_new_tokens limit)."""
    bounds = rule(name)
    low = float(bounds.low or 0) + (step if bounds.low_open else 0)
    top = high if high is not None else bounds.high
    assert top is not None, f"{name} has no upper bound to end its slider"
    return (int(low), int(top)) if bounds.kind is int else (low, float(top))


def sampling_controls(spec: GenerativeSpec | None, elem_prefix: str) -> list[Any]:
    """Max new tokens, temperature, top-p, top-k, repetition penalty and seed, starting from the
    defaults of model `spec` (None: the built-in ones); in the order sampling_values takes.

    Each slider spans exactly what a request may ask for (SamplingOptions; max new tokens up to the
    model's limit), so any value set here is accepted and every accepted value can be set here:
    top-k goes to 1000, its API bound, rather than to a shorter range that hid valid values.
    """
    gen = spec.generation if spec else GenerationDefaults()
    limit = spec.limits.max_new_tokens if spec else MAX_NEW_TOKENS
    with gr.Row():
        low, high = slider_bounds("max_new_tokens", 1, limit)
        max_new_tokens = gr.Slider(
            low,
            high,
            value=default_max_new_tokens(spec) if spec else gen.max_new_tokens,
            step=1,
            label="Max new tokens",
            elem_id=f"{elem_prefix}-max-new-tokens",
        )
        temperature = _slider("temperature", gen.temperature, "Temperature (0 = greedy)")
        top_p = _slider("top_p", gen.top_p, "Top-p")
    with gr.Row():
        top_k = _slider("top_k", gen.top_k, "Top-k (0 = off)")
        repetition_penalty = _slider("repetition_penalty", gen.repetition_penalty, "Repetition penalty")
        seed = gr.Number(value=-1, precision=0, label="Seed (-1 = random)")
    return [max_new_tokens, temperature, top_p, top_k, repetition_penalty, seed]


def _slider(name: str, value: float, label: str) -> gr.Slider:
    low, high = slider_bounds(name, STEPS[name])
    return gr.Slider(low, high, value=value, step=STEPS[name], label=label)


def sampling_values(
    max_new: float, temperature: float, top_p: float, top_k: float, penalty: float, seed: float | None
) -> SamplingOptions:
    """The sampling controls' values as the service's SamplingOptions (seed -1 means random); a
    value out of bounds (a number typed into a slider's box) is an InvalidInput naming it."""
    return SamplingOptions.of(
        max_new_tokens=int(max_new),
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=int(top_k),
        repetition_penalty=float(penalty),
        seed=None if seed is None or seed < 0 else int(seed),
    )


# The default of a handler's `progress` parameter: Gradio finds the parameter by this default and
# passes a fresh tracker on each call (so one shared default is safe); it is not an API input.
PROGRESS = gr.Progress()


def queue_place(progress: gr.Progress, model: str | None) -> PlaceListener:
    """A listener for engines.admission.report_place that shows a waiting request's place on the
    tab's outputs ("Waiting for whisper-base: 2 requests ahead"), as gr.Progress text over a bar
    that fills as the request moves up; Gradio's usual spinner returns once its turn begins.

    gr.Progress shows no text without a level, so the bar is the share of the way from the place
    the request started waiting at to the head of the queue.
    """
    name = model or "the model"
    start: list[int] = []  # the most requests ahead seen in this wait

    def show(ahead: int | None) -> None:
        if ahead is None:
            start.clear()
            progress(None)
            return
        if not start or ahead > start[0]:  # housekeeping may jump ahead; a requeue goes back
            start[:] = [ahead]
        where = "next in line" if ahead == 0 else f"{ahead} request{'s' if ahead != 1 else ''} ahead"
        progress((start[0] - ahead) / (start[0] + 1), desc=f"Waiting for {name}: {where}")

    return show


def reporting_place(events: Iterator[T], listener: PlaceListener) -> Iterator[T]:
    """`events`, with `listener` told the request's queue place while the first one is pulled.

    A request is admitted before its first event (a request waiting inside a continuous batch is
    told its place when admitted, and the place is cleared here once its first event came). Gradio
    runs each next() of a streaming handler in
    a worker thread of its choice, so the listener (a context variable) is set and reset within
    that one pull, never across a yield.
    """
    iterator = iter(events)
    told: list[int | None] = []

    def telling(ahead: int | None) -> None:
        told.append(ahead)
        listener(ahead)

    with report_place(telling):
        first = next(iterator, _END)
    if told and told[-1] is not None:  # a wait inside a continuous batch ends with the first token
        listener(None)
    if first is _END:
        return
    yield first  # type: ignore[misc]
    yield from iterator


_END = object()


def deferred(start: Callable[[], Iterator[T]]) -> Iterator[T]:
    """The iterator `start()` returns, called only when the first item is asked for: its errors
    (a bad request, a model that fails to load) then surface where the stream is consumed."""
    yield from start()


def stream_reply(events: Iterator[StreamEvent], history: list[Any] | None) -> Iterator[tuple[list, str]]:
    """Turn engine events into (chat messages, readout) updates for a Chatbot and a Markdown."""
    shown = list(history or []) + [{"role": "assistant", "content": ""}]
    reply = ""
    last_update = 0.0
    try:
        for event in events:
            if isinstance(event, Delta):
                reply += event.text
                now = time.monotonic()
                if now - last_update >= 1 / UPDATES_PER_S:
                    last_update = now
                    shown[-1] = {"role": "assistant", "content": reply}
                    yield shown, "generating…"
            else:
                shown[-1] = {"role": "assistant", "content": event.text or reply}
                yield shown, generation_readout(event.metrics, event.device, event.stopped)
    except Exception as exc:
        raise as_gradio_error(exc) from exc
