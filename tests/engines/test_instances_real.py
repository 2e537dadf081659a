"""Issue 13, `instances: 2` on real openvino-genai pipelines (the tiny fixtures): two requests run at
once, each on its own pipeline, and each gets the answer it gets alone. Deterministic: every
pipeline call waits at a two-party barrier, so the test passes only if both requests are inside
their pipelines at the same time (one pipeline at a time would time the barrier out)."""

import dataclasses
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from openvino_ui.config import parse_config
from openvino_ui.fixtures import fixture_path
from openvino_ui.pool import EnginePool


class Meeting:
    """Wraps a real pipeline: every call waits until the other instance is in a call too."""

    def __init__(self, real, ident: int, barrier: threading.Barrier, used: list):
        self.real, self.ident, self.barrier, self.used = real, ident, barrier, used

    def _meet(self) -> None:
        self.used.append(self.ident)
        self.barrier.wait()  # BrokenBarrierError after the timeout: the calls did not overlap

    def embed_documents(self, texts):
        self._meet()
        return self.real.embed_documents(texts)

    def generate(self, *args, **kwargs):
        self._meet()
        return self.real.generate(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


def meeting(engine) -> list:
    """Make both instances of `engine` meet at a barrier; returns the list of instances used."""
    loaded = engine._loaded
    (spare,) = loaded.spares
    assert spare is not loaded.pipeline  # two pipelines were built
    barrier, used = threading.Barrier(2, timeout=30), []
    engine._loaded = dataclasses.replace(
        loaded,
        pipeline=Meeting(loaded.pipeline, 0, barrier, used),
        spares=(Meeting(spare, 1, barrier, used),),
    )
    return used


@pytest.fixture(scope="module")
def pool():
    embed, whisper = fixture_path("tiny-embedding"), fixture_path("tiny-whisper")
    text = f"""
models:
  embed-solo: {{task: embedding, path: '{embed}', batching: off}}
  embed-two: {{task: embedding, path: '{embed}', instances: 2, batch_wait_ms: 0}}
  asr-solo: {{task: asr, path: '{whisper}', max_new_tokens: 8}}
  asr-two: {{task: asr, path: '{whisper}', max_new_tokens: 8, instances: 2}}
"""
    pool = EnginePool(parse_config(text, Path("/tmp/instances.yaml")))
    yield pool
    pool.close()


def test_two_embedding_requests_run_at_once_on_two_pipelines_and_match_one_at_a_time(pool):
    solo, two = pool.ready("embed-solo", "embedding"), pool.ready("embed-two", "embedding")
    cores = len(os.sched_getaffinity(0))
    assert two.instances == 2 and two.pipeline_properties("CPU")["INFERENCE_NUM_THREADS"] == max(
        1, cores // 2
    )
    requests = [["a cat sat on the mat", "dogs like to play"], ["paris is the capital of france"]]
    alone = [solo.embed(texts).vectors for texts in requests]
    used = meeting(two)
    with ThreadPoolExecutor(2) as executor:  # two batch leaders, one per pipeline
        together = list(executor.map(lambda texts: two.embed(texts).vectors, requests))
    assert sorted(used) == [0, 1]
    for got, want in zip(together, alone, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert two.stats().requests == 2 and two.stats().failures == 0


def test_two_transcriptions_run_at_once_on_two_pipelines_and_match_one_at_a_time(pool):
    solo, two = pool.ready("asr-solo", "asr"), pool.ready("asr-two", "asr")
    clips = [
        (np.random.default_rng(seed).standard_normal(16000 * 2) * 0.1).astype(np.float32) for seed in (1, 2)
    ]
    alone = [solo.transcribe(clip, language="en").text for clip in clips]
    used = meeting(two)
    with ThreadPoolExecutor(2) as executor:
        together = list(executor.map(lambda clip: two.transcribe(clip, language="en").text, clips))
    assert sorted(used) == [0, 1] and together == alone
    assert two.stats().requests == 2 and not two.is_busy()
