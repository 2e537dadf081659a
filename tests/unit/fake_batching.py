"""A fake ContinuousBatchingPipeline: the scheduler and the LLM engine run for real around it.

The "model" echoes its prompt: each step gives every running request the next byte of its prompt
(token ids are UTF-8 bytes, so a multi-byte character spans several tokens, as with byte-level
BPE). Tests steer it with `start_when` (no step before that many requests arrived), `gate` (every
step after the first `gate_after` waits for it) and `fail_on_step` (that step raises).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import numpy as np
import openvino as ov
import openvino_genai as og

from openvino_ui.engines.continuous import BatchScheduler
from openvino_ui.engines.llm import LLMEngine


class FakeTokenizer:
    chat_template = ""

    def encode(self, text: str, add_special_tokens: bool = True) -> Any:
        return SimpleNamespace(input_ids=ov.Tensor(np.array([list(text.encode())], dtype=np.int64)))

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return bytes(ids).decode("utf-8", errors="replace")


class FakeHandle:
    def __init__(self, prompt: list[int], max_new_tokens: int):
        self.todo = prompt[:max_new_tokens]
        self.limited = len(prompt) > max_new_tokens
        self.unread: list[int] = []
        self.status = og.GenerationStatus.RUNNING

    def can_read(self) -> bool:
        return bool(self.unread)

    def read(self) -> dict[int, Any]:
        ids, self.unread = self.unread, []
        done = self.status == og.GenerationStatus.FINISHED
        reason = og.GenerationFinishReason.LENGTH if done and self.limited else og.GenerationFinishReason.NONE
        output = SimpleNamespace(
            generated_ids=ids, generated_log_probs=[-0.5] * len(ids), finish_reason=reason
        )
        return {0: output}

    def get_status(self) -> Any:
        return self.status

    def cancel(self) -> None:
        self.status = og.GenerationStatus.CANCEL


class FakeBatchingPipeline:
    def __init__(
        self,
        start_when: int = 1,
        gate: threading.Event | None = None,
        gate_after: int = 0,
        fail_on_step: int | None = None,
    ):
        self.start_when = start_when
        self.gate = gate
        self.gate_after = gate_after
        self.fail_on_step = fail_on_step
        self.handles: list[FakeHandle] = []
        self.batch_sizes: list[int] = []  # running requests in each step
        self.arrived = threading.Condition()
        self.steps = 0

    def get_tokenizer(self) -> FakeTokenizer:
        return FakeTokenizer()

    def get_config(self) -> og.GenerationConfig:
        return og.GenerationConfig()

    def add_request(self, request_id: int, ids: ov.Tensor, config: og.GenerationConfig) -> FakeHandle:
        handle = FakeHandle([int(t) for t in ids.data[0]], config.max_new_tokens)
        with self.arrived:
            self.handles.append(handle)
            self.arrived.notify_all()
        return handle

    def running(self) -> list[FakeHandle]:
        return [h for h in self.handles if h.status == og.GenerationStatus.RUNNING]

    def has_non_finished_requests(self) -> bool:
        return bool(self.running())

    def step(self) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.handles) >= self.start_when, 10), "requests missing"
        if self.gate is not None and self.steps >= self.gate_after:
            assert self.gate.wait(10), "the test never opened the step gate"
        self.steps += 1
        if self.steps == self.fail_on_step:
            raise RuntimeError("Check 'x' failed at sampler.cpp:1\nthe step failed")
        running = self.running()
        self.batch_sizes.append(len(running))
        for handle in running:
            handle.unread.append(handle.todo.pop(0))
            if not handle.todo:
                handle.status = og.GenerationStatus.FINISHED


class FakeBatchingEngine(LLMEngine):
    """The real LLM engine on a FakeBatchingPipeline; `make` builds each new pipeline."""

    make = FakeBatchingPipeline
    built: list[FakeBatchingPipeline] = []

    def _check_files(self) -> None:
        pass

    def _build(self, device: str) -> Any:
        pipe = type(self).make()
        type(self).built.append(pipe)
        self._has_template = False
        return BatchScheduler(pipe, self.name, self.spec.batching.max_num_seqs)
