"""Run a blocking openvino-genai `generate` in a worker thread and hand its text out as events.

The streamer callback returns StreamingStatus.STOP as soon as the consumer is gone (Stop button,
closed tab, closed generator) or `cancel` is set, so generation ends within one token and the
pipeline lock is released at once.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import openvino_genai as og

from ..errors import InvalidInput, clip
from ..generation import Delta, Finished, FinishReason, GenerationParams
from ..stats import GenerationMetrics

_DONE = object()
# openvino-genai's grammar compiler refusing a JSON schema: "...json_schema_converter.cc:881: Check
# failed: (...) is false: Type should be a string" or "...json_schema_converter.cc:898: Unsupported ..."
_SCHEMA_REFUSED = re.compile(r"json_schema_converter\.cc:\d+:\s*(?:Check failed: .*? is false:)?(.*)", re.S)


def generation_config(
    params: GenerationParams, base: og.GenerationConfig | None = None
) -> og.GenerationConfig:
    """A GenerationConfig for one request, never set on the shared pipeline: every field of
    `params` lands on the GenerationConfig field of the same meaning.

    Start from `base`, a copy of the model's own config (pipe.get_generation_config()), so that
    its stop tokens and stop strings from generation_config.json still apply (the request's stop
    strings are added to them).
    """
    cfg = base if base is not None else og.GenerationConfig()
    cfg.max_new_tokens = params.max_new_tokens
    if params.temperature > 0:
        cfg.do_sample = True
        cfg.temperature = params.temperature
        cfg.top_p = params.top_p
        # 0 means "no top-k filter": genai's own value for that is a fresh config's (SIZE_MAX)
        cfg.top_k = params.top_k if params.top_k > 0 else og.GenerationConfig().top_k
        if params.seed is not None:
            cfg.rng_seed = params.seed
    else:
        cfg.do_sample = False
    cfg.ignore_eos = params.ignore_eos
    cfg.repetition_penalty = params.repetition_penalty
    cfg.frequency_penalty = params.frequency_penalty
    cfg.presence_penalty = params.presence_penalty
    if params.ignore_eos:  # the model's own stop strings end its text as EOS does: ignored too
        cfg.stop_strings = set(params.stop)
    elif params.stop:
        cfg.stop_strings = set(cfg.stop_strings) | set(params.stop)
    if params.json_schema is not None:
        cfg.structured_output_config = og.StructuredOutputConfig(json_schema=params.json_schema)
    return cfg


def metrics_of(result: Any) -> GenerationMetrics:
    pm = result.perf_metrics
    return GenerationMetrics(
        ttft_ms=float(pm.get_ttft().mean),
        tpot_ms=float(pm.get_tpot().mean),
        tokens_per_s=float(pm.get_throughput().mean),
        generated_tokens=int(pm.get_num_generated_tokens()),
        input_tokens=int(pm.get_num_input_tokens()),
    )


def stream_generate(
    run: Callable[[Callable[[str], Any]], Any],
    device: str,
    cancel: threading.Event | None = None,
    sink: list[GenerationMetrics] | None = None,
) -> Iterator[Delta | Finished]:
    """Call `run(streamer)` in a worker thread; yield Delta per text chunk, then one Finished.

    `run` must call the pipeline's generate with the given streamer and return its result.
    Closing this generator stops generation and waits (one token at most) for the worker.
    """
    chunks: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def streamer(text: str) -> Any:
        if stop.is_set() or (cancel is not None and cancel.is_set()):
            return og.StreamingStatus.STOP
        chunks.put(text)
        return og.StreamingStatus.RUNNING

    def work() -> None:
        try:
            outcome["result"] = run(streamer)
        except BaseException as exc:  # handed to the consumer thread below
            outcome["error"] = exc
        finally:
            chunks.put(_DONE)

    pieces: list[str] = []
    started = time.perf_counter()
    if cancel is not None and cancel.is_set():  # cancelled while it waited for its turn: no work
        yield Finished(text="", metrics=_fallback_metrics(pieces, started), device=device, stopped=True)
        return
    worker = threading.Thread(target=work, name="ov-generate", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                break
            pieces.append(item)
            yield Delta(item)
    finally:
        stop.set()  # the consumer is gone or done: end generation at the next token
        worker.join()
    if "error" in outcome:
        raise schema_error(outcome["error"]) or outcome["error"]
    result = outcome.get("result")
    metrics = metrics_of(result) if result is not None else _fallback_metrics(pieces, started)
    if sink is not None:
        sink.append(metrics)
    stopped = cancel is not None and cancel.is_set()
    reason = finish_reason_of(result)
    yield Finished(
        text="".join(pieces), metrics=metrics, device=device, stopped=stopped, finish_reason=reason
    )


def refuse_logprobs(params: GenerationParams) -> None:
    """The plain pipelines report one score per reply, not a log probability per token."""
    if params.logprobs:
        raise InvalidInput(
            "logprobs need continuous batching, and this model runs the plain pipeline (batching: "
            "off, or an NPU). Leave logprobs off, or turn batching on for it in models.yaml.",
            param="logprobs",
        )


def schema_error(exc: BaseException) -> InvalidInput | None:
    """The request's JSON schema as the cause of `exc`, if openvino-genai's grammar compiler
    (xgrammar) refused it; the reason is kept short (it may quote a piece of the schema)."""
    found = _SCHEMA_REFUSED.search(str(exc)) if isinstance(exc, RuntimeError) else None
    if found is None:
        return None
    reason = found.group(1).strip().splitlines()[0] if found.group(1).strip() else "not supported"
    return InvalidInput(
        f"The JSON schema cannot constrain generation: {clip(reason, 120)}.", param="json_schema"
    )


def finish_reason_of(result: Any) -> FinishReason:
    """ "length" when generation hit max_new_tokens, else "stop" (a stop token or string, or Stop)."""
    reasons = getattr(result, "finish_reasons", None) or []
    return "length" if reasons and reasons[0] == og.GenerationFinishReason.LENGTH else "stop"


def _fallback_metrics(pieces: list[str], started: float) -> GenerationMetrics:
    elapsed = time.perf_counter() - started
    n = len(pieces)
    return GenerationMetrics(0.0, 0.0, n / elapsed if elapsed > 0 else 0.0, n, 0)
