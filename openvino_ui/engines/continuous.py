"""Continuous batching: many requests share one openvino-genai ContinuousBatchingPipeline.

One scheduler thread per loaded model calls `step()` while any request is unfinished and sleeps on a
condition otherwise. Request threads call `BatchScheduler.submit()`, which adds their request to
the pipeline (`add_request` is safe beside a running `step()`; adds are serialised among themselves
because a VLM's add encodes the images with a shared embedder) and returns a `BatchRequest`.
After each step the scheduler thread drains every request's GenerationHandle into that request's
own queue, stamped with the time; the request thread turns the token ids into text incrementally
(`Detokenizer`), so the scheduler thread only steps and hands out ids.

Cancelling (the Stop button, a closed stream, a closed HTTP connection) sets the request's cancel
event; the scheduler cancels the handle before its next step, which frees the sequence's KV blocks.

openvino-genai's `step()` holds Python's GIL for the whole step (tens of milliseconds with many
sequences), so no other Python thread runs meanwhile: not the request threads that detokenise, not
the event loop that sends the chunks. Stepping back to back would starve them (seconds of time to
first token over HTTP at 8 users). So after handing out a step's tokens the scheduler waits until
every request's thread has taken them (bounded by READERS_WAIT_S) and then yields the GIL once,
which gives the event loop its turn; the Python work of a step is then done before the next one.

A step that raises (openvino-genai refusing a request mid-step, say) leaves the pipeline unusable:
every request in it fails with that error and the scheduler is marked `broken`, so the engine
builds a fresh pipeline for the next request (engines/base.py).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openvino_genai as og

from ..config import BatchingSettings
from ..generation import Delta, Finished, FinishReason, GenerationParams, TokenLogprob
from ..json_schemas import check_json_schema
from ..stats import GenerationMetrics
from .streaming import generation_config
from .text_stream import Detokenizer, StopStrings, fast_tokenizer

log = logging.getLogger(__name__)
# The longest the scheduler waits for the request threads to take a step's tokens (a thread that
# is slow or gone must not stall everyone else's generation).
READERS_WAIT_S = 0.05


@dataclass(frozen=True)
class _Tokens:
    """New tokens of one request, read after one step."""

    ids: list[int]
    logprobs: list[float]
    at: float  # time.perf_counter() when the scheduler read them


@dataclass(frozen=True)
class _End:
    """The end of one request: how it ended, or the error that ended it."""

    finish_reason: FinishReason = "stop"
    stopped: bool = False  # cancelled by its consumer
    error: BaseException | None = None
    at: float = field(default_factory=time.perf_counter)


class BatchRequest:
    """A request in the pipeline, as its own thread sees it: token ids as they come, then the end."""

    def __init__(self, scheduler: BatchScheduler, request_id: int, cancel: threading.Event | None):
        self.id = request_id
        self.submitted = time.perf_counter()
        self.cancel_event = cancel if cancel is not None else threading.Event()
        self.handle: Any = None  # set by the scheduler's submit, read only by its thread
        self.unread = 0  # token batches handed out, not yet taken by its thread (scheduler._cond)
        self._items: queue.Queue[_Tokens | _End] = queue.Queue()
        self._scheduler = scheduler

    def cancel(self) -> None:
        """Stop generating for this request; its sequence is freed before the next step."""
        self.cancel_event.set()
        self._scheduler.wake()

    def events(self) -> Iterator[_Tokens | _End]:
        """Token batches in order, ending with one _End (blocks between them). A batch counts as
        taken once the consumer asks for the next one, i.e. when it has handled it."""
        while True:
            item = self._items.get()
            yield item
            if isinstance(item, _End):
                return
            self._scheduler.taken(self)

    def put(self, item: _Tokens | _End) -> None:
        self._items.put(item)


class BatchScheduler:
    """Steps one ContinuousBatchingPipeline for every request submitted to it (see module doc)."""

    serves_many = True  # the engine holds a place in it per request, not an exclusive turn

    def __init__(self, pipeline: Any, name: str, max_num_seqs: int, model_dir: Path | None = None):
        self.pipeline = pipeline
        self.tokenizer = pipeline.get_tokenizer()
        self.fast_tokenizer = fast_tokenizer(model_dir, self.tokenizer)  # None: OpenVINO's detokenizer
        self.name = name
        self.max_num_seqs = max_num_seqs  # how many it decodes at once; the rest wait inside
        self.broken = False
        self.steps = 0  # steps taken (tests and debugging)
        self.max_batch = 0  # the most requests ever in the pipeline at once (tests and debugging)
        self._ids = itertools.count()
        self._add_lock = threading.Lock()
        self._cond = threading.Condition(threading.Lock())
        self._active: dict[int, BatchRequest] = {}
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"ov-batch-{name}", daemon=True)
        self._thread.start()

    # -- request threads ---------------------------------------------------------------------

    def submit(
        self,
        inputs: Any,
        config: og.GenerationConfig,
        images: list[Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> BatchRequest:
        """Add a request: `inputs` is an ov.Tensor of token ids, or a rendered prompt string with
        `images` (a VLM). Raises what add_request raises (a bad config) without harming others."""
        if self.broken or self._closing:
            raise RuntimeError(f"the batching pipeline of {self.name} is closed")
        request = BatchRequest(self, next(self._ids), cancel)
        with self._add_lock:
            if images is not None:
                request.handle = self.pipeline.add_request(request.id, inputs, images, config)
            else:
                request.handle = self.pipeline.add_request(request.id, inputs, config)
        with self._cond:
            self._active[request.id] = request
            self.max_batch = max(self.max_batch, len(self._active))
            self._cond.notify_all()
        return request

    def active(self) -> int:
        """Requests in the pipeline (decoding, or waiting inside it for a free sequence slot)."""
        with self._cond:
            return len(self._active)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def taken(self, request: BatchRequest) -> None:
        """`request`'s thread has handled one batch of tokens."""
        with self._cond:
            request.unread -= 1
            if request.unread <= 0:
                self._cond.notify_all()

    def close(self, timeout: float | None = None) -> None:
        """Let the requests in the pipeline finish, then end the scheduler thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

    # -- the scheduler thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._active and not self._closing:
                    self._cond.wait()
                if not self._active:  # closing, and nothing left to finish
                    return
                requests = list(self._active.values())
            self._cancel_requested(requests)
            try:
                if self.pipeline.has_non_finished_requests():
                    self.pipeline.step()
                    self.steps += 1
            except Exception as exc:  # the pipeline is unusable now: fail everyone in it
                self._fail_all(exc)
                return
            self._hand_out(requests)
            self._let_readers_catch_up()

    def _let_readers_catch_up(self) -> None:
        """Wait (bounded) until every request's thread has taken its tokens, then yield the GIL once
        (the event loop's turn): step() holds the GIL, so this is when their work gets done."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._closing or all(r.unread <= 0 for r in self._active.values()),
                READERS_WAIT_S,
            )
        time.sleep(0)

    def _cancel_requested(self, requests: list[BatchRequest]) -> None:
        for request in requests:
            if request.cancel_event.is_set():
                request.handle.cancel()
                self._finish(request, _End(stopped=True))

    def _hand_out(self, requests: list[BatchRequest]) -> None:
        """Drain each request's handle into its queue; end the requests that finished."""
        now = time.perf_counter()
        for request in requests:
            if request.id not in self._active:
                continue
            handle = request.handle
            reason: FinishReason = "stop"
            while handle.can_read():
                for output in handle.read().values():
                    ids = list(output.generated_ids)
                    if ids:
                        with self._cond:
                            request.unread += 1
                        request.put(_Tokens(ids, list(output.generated_log_probs), now))
                    if output.finish_reason == og.GenerationFinishReason.LENGTH:
                        reason = "length"
            status = handle.get_status()
            if status == og.GenerationStatus.RUNNING:
                continue
            if status == og.GenerationStatus.FINISHED:
                self._finish(request, _End(finish_reason=reason))
            elif status == og.GenerationStatus.IGNORED:
                error = RuntimeError("the prompt does not fit the KV cache; raise batching.cache_size_gb")
                self._finish(request, _End(error=error))
            else:  # CANCEL or STOP: its consumer ended it
                self._finish(request, _End(stopped=True))

    def _finish(self, request: BatchRequest, end: _End) -> None:
        with self._cond:
            if self._active.pop(request.id, None) is None:
                return
        request.put(end)

    def _fail_all(self, exc: Exception) -> None:
        self.broken = True
        log.warning(
            "the batching pipeline of %s failed and will be rebuilt: %s", self.name, type(exc).__name__
        )
        with self._cond:
            requests = list(self._active.values())
            self._active.clear()
        for request in requests:
            request.put(_End(error=exc))


def measured(
    submitted: float, first: float | None, last: float | None, tokens: int, prompt: int
) -> GenerationMetrics:
    """One request's speed from the times the scheduler read its tokens (times in seconds)."""
    if first is None or last is None or tokens == 0:
        return GenerationMetrics(0.0, 0.0, 0.0, 0, prompt)
    ttft = first - submitted
    decode = last - first
    tpot = decode / (tokens - 1) if tokens > 1 else 0.0
    rate = (tokens - 1) / decode if tokens > 1 and decode > 0 else tokens / max(last - submitted, 1e-9)
    return GenerationMetrics(ttft * 1000.0, tpot * 1000.0, rate, tokens, prompt)


def stream_batched(
    scheduler: BatchScheduler,
    inputs: Any,
    params: GenerationParams,
    *,
    device: str,
    prompt_tokens: int | None,
    images: list[Any] | None = None,
    cancel: threading.Event | None = None,
    sink: list[GenerationMetrics] | None = None,
) -> Iterator[Delta | Finished]:
    """Submit one request to `scheduler`; yield a Delta per new piece of text, then one Finished.

    `inputs`: the prompt's token ids (ov.Tensor), or the rendered prompt string of a VLM with its
    `images`; `prompt_tokens`: its length (None: read from the VLM's metrics at the end).
    The stop strings (the model's and the request's) are matched here on the text (StopStrings),
    not by the sampler. Closing this generator (the consumer left) cancels the request. With
    `params.logprobs`, each Delta carries the log probability of every token it completes.
    """
    if params.json_schema is not None:
        # A schema the grammar compiler refuses fails a whole batching step (and with it every
        # request in the batch), so it is checked before it gets there.
        check_json_schema(params.json_schema)
    config = generation_config(params, scheduler.pipeline.get_config())
    config.apply_chat_template = False  # the prompt is already rendered (and maybe tokenised)
    config.logprobs = 1 if params.logprobs else 0
    stops = StopStrings(config.stop_strings)
    config.stop_strings = set()
    tokenizer = scheduler.tokenizer
    if cancel is not None and cancel.is_set():  # cancelled while it waited for its turn: no work
        metrics = measured(time.perf_counter(), None, None, 0, prompt_tokens or 0)
        yield Finished(text="", metrics=metrics, device=device, stopped=True)
        return
    request = scheduler.submit(inputs, config, images=images, cancel=cancel)
    detok = Detokenizer(tokenizer, scheduler.fast_tokenizer)
    want_logprobs = params.logprobs
    pieces: list[str] = []
    pending: list[TokenLogprob] = []
    first: float | None = None
    last: float | None = None
    end: _End | None = None
    try:
        for item in request.events():
            if isinstance(item, _End):
                end = item
                break
            first = item.at if first is None else first
            last = item.at
            if want_logprobs:
                pending += [
                    TokenLogprob(detok.token_text(t), lp)
                    for t, lp in zip(item.ids, item.logprobs, strict=False)
                ]
            text = stops.feed(detok.add(item.ids))
            if text:
                pieces.append(text)
                yield Delta(text, tuple(pending))
                pending = []
            if stops.found:  # the reply is complete; the sequence is freed before the next step
                request.cancel()
                end = _End(finish_reason="stop")
                break
    finally:
        if end is None:  # the consumer left mid-stream: free the sequence
            request.cancel()
    if end.error is not None:
        raise end.error
    tail = "" if stops.found else stops.feed(detok.flush()) + stops.flush()
    if tail or pending:
        pieces.append(tail)
        yield Delta(tail, tuple(pending))
    if prompt_tokens is None:  # a VLM prompt: its length includes the image tokens, known only now
        prompt_tokens = _vlm_prompt_tokens(request.handle)
    metrics = measured(request.submitted, first, last, len(detok.ids), prompt_tokens)
    if sink is not None:
        sink.append(metrics)
    yield Finished(
        text="".join(pieces),
        metrics=metrics,
        device=device,
        stopped=end.stopped,
        finish_reason=end.finish_reason,
    )


def scheduler_config(settings: BatchingSettings) -> og.SchedulerConfig:
    """openvino-genai's SchedulerConfig from a model's `batching` settings."""
    config = og.SchedulerConfig()
    config.max_num_seqs = settings.max_num_seqs
    config.cache_size = settings.cache_size_gb  # GB; 0: grows as needed
    config.max_num_batched_tokens = settings.max_num_batched_tokens
    config.dynamic_split_fuse = settings.dynamic_split_fuse
    config.enable_prefix_caching = settings.enable_prefix_caching
    return config


def build_scheduler(
    name: str, path: Path, settings: BatchingSettings, device: str, properties: dict[str, Any]
) -> BatchScheduler:
    """A scheduler around a ContinuousBatchingPipeline of the model at `path` (an LLM or a VLM
    folder: openvino-genai tells them apart by its files)."""
    pipeline = og.ContinuousBatchingPipeline(str(path), scheduler_config(settings), device, properties)
    return BatchScheduler(pipeline, name, settings.max_num_seqs, path)


def batches_on(settings: BatchingSettings, device: str) -> bool:
    """Whether a model with these settings runs continuous batching on `device`: never on an NPU,
    whose plugin compiles static shapes and runs one stateful request at a time."""
    return settings.enabled and "NPU" not in device.upper()


def _vlm_prompt_tokens(handle: Any) -> int:
    try:
        return int(handle.get_vlm_perf_metrics().get_num_input_tokens())
    except Exception:  # metrics are a report, never a reason to fail the request
        return 0
