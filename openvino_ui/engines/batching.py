"""Dynamic batching: requests that arrive together share one pipeline call. Document embeddings
(rows of vectors per text) and cross-encoder reranking (a score per query-document pair) use it;
what one call does is the batcher's `call(pipeline, items) -> rows`, one row per item.

The first request to find no batch forming becomes the *leader*: it waits up to `batch_wait_ms`
for company (only when the model is idle and requests have lately come together: a lone client
would only lose the wait; a busy model gathers company anyway), then takes the
pipeline turn through `Engine.serving()` like any request. Requests that arrive meanwhile are
*followers*: they do not queue on the engine's FairLock, they wait for the leader. Holding the
turn, the leader takes the waiting requests in arrival order, up to `max_batch_texts` texts (a
request is never split; one larger than the limit goes alone), makes one `embed_documents` call
and hands each request its own rows. Whoever is left over waits for the next leader: the head of
the remaining requests, which queues for the turn behind everyone already waiting (fair).

Each request is still counted as its own request: the leader's by `serving()`, each follower's
by `Engine.record_request` (same latency as the merged call; its own time waited). If the merged
call fails, each request is retried alone within the same turn, so one bad input fails only its
own request. A leader that is refused admission (busy, queue full, model not loadable) fails
alone, and the next request leads in its place.

Followers count against `max_queue` like requests waiting for the lock: a request that would
make more than `max_queue` requests wait for a batch is refused at once (ModelQueueFull).

A model with `instances: N` has N leaders at most, each serving its batch on its own pipeline: a
request that arrives while fewer than N lead becomes a leader too (an idle pipeline should not
wait for a busy one's batch to end); with N leaders, it follows. A leader's batch is itself and
the oldest followers; another leader's request is never taken into it (that leader serves it).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelQueueFull
from .admission import tell_place

if TYPE_CHECKING:
    from .admission import Session
    from .base import Engine


class _Job:
    """One request's texts, and (once served) its rows or its error."""

    def __init__(self, texts: Sequence[Any]):
        self.texts = list(texts)
        self.arrived = time.perf_counter()
        self.wake = threading.Event()  # set when served, or when promoted to leader
        self.lead = False
        self.finished = False
        self.rows: np.ndarray | None = None
        self.seconds = 0.0
        self.error: BaseException | None = None


def embed_documents(pipeline: Any, texts: list[Any]) -> Any:
    """The default call: openvino_genai.TextEmbeddingPipeline's, one vector per text."""
    return pipeline.embed_documents(texts)


# One pipeline call for a batch: (the pipeline, the items of every request in it) -> one row each.
BatchCall = Callable[[Any, list[Any]], Any]


class DocumentBatcher:
    """Merges concurrent requests of one engine into one `call` (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        max_batch_texts: int,
        batch_wait_ms: float,
        leaders: int = 1,
        call: BatchCall = embed_documents,
    ):
        self.engine = engine
        self.call = call
        self.max_batch_texts = max_batch_texts
        self.batch_wait_s = batch_wait_ms / 1000.0
        self.max_leaders = leaders  # the engine's instances: one batch per pipeline at once
        self.pipeline_calls = 0  # merged or single calls made (for tests and debugging)
        self._cond = threading.Condition(threading.Lock())
        self._pending: deque[_Job] = deque()  # not yet taken into a batch (leaders waiting included)
        # Leaders waiting for their turn or serving a batch. Followers exist only while there are
        # max_leaders of them: a leader with nobody to hand over to steps down.
        self._leaders = 0
        # Requests came together lately: the last batch had company, or requests waited behind it.
        # Without that a leader does not wait for company (a lone client would only lose the wait).
        self._crowded = False

    def waiting(self) -> int:
        """How many requests wait for a batch (the leader waiting for its turn included)."""
        with self._cond:
            return len(self._pending)

    def embed(self, texts: Sequence[Any]) -> tuple[np.ndarray, float]:
        """Rows (len(texts), dim) float32 for `texts` (the items of one request), and the seconds the
        pipeline call took."""
        job = _Job(texts)
        with self._cond:
            limit = self.engine.max_queue
            follows = self._leaders >= self.max_leaders
            if follows and limit is not None and len(self._pending) >= limit:
                waiting = len(self._pending)
                self.engine.record_failed_request()
                raise ModelQueueFull(self.engine.name, waiting)
            self._pending.append(job)
            if self._leaders:
                self._cond.notify_all()  # a leader in its gathering window may be waiting for us
            if not follows:
                self._leaders += 1
                job.lead = True
        told = False
        if not job.lead:  # a follower: its place is the requests before it that wait for a batch
            with self._cond:
                ahead = self._pending.index(job) if job in self._pending else 0
            told = tell_place(ahead)
        while not job.lead:
            job.wake.wait()
            if job.finished:
                break
        if told:
            tell_place(None)
        if job.lead:
            self._lead(job)
        if job.error is not None:
            raise job.error
        assert job.rows is not None
        return job.rows, job.seconds

    # -- the leader ----------------------------------------------------------------------------

    def _lead(self, job: _Job) -> None:
        batch: list[_Job] = []
        try:
            self._gather()
            with self.engine.serving() as session:
                batch = self._take(job)
                started = time.perf_counter()
                self._run(session, batch)
                for other in batch[1:]:
                    self.engine.record_request(
                        session.device, other.error is None, other.seconds, started - other.arrived
                    )
                    other.finished = True
                    other.wake.set()
                if job.error is not None:
                    raise job.error  # serving() counts the leader's own failure
        except BaseException as exc:
            job.error = exc
            for other in batch[1:]:  # only if something unexpected broke off the batch
                if not other.finished:
                    other.error = other.error or exc
                    other.finished = True
                    other.wake.set()
        finally:
            job.finished = True
            self._hand_over(job)

    def _gather(self) -> None:
        """An idle model: wait up to batch_wait_ms for more requests (until the batch is full)."""
        if self.batch_wait_s <= 0 or self.engine.is_busy() or not self._crowded:
            return
        deadline = time.monotonic() + self.batch_wait_s
        with self._cond:
            while sum(len(j.texts) for j in self._pending) < self.max_batch_texts:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def _take(self, leader: _Job) -> list[_Job]:
        """The leader's request, then the followers, oldest first, up to max_batch_texts texts.

        With one leader it is the head of the waiting requests (the oldest), so this is the waiting
        requests in arrival order."""
        with self._cond:
            self._pending.remove(leader)
            batch, total = [leader], len(leader.texts)
            for job in list(self._pending):
                if job.lead:  # another leader, waiting for its own turn
                    continue
                if total + len(job.texts) > self.max_batch_texts:
                    break
                self._pending.remove(job)
                batch.append(job)
                total += len(job.texts)
            self._crowded = len(batch) > 1
        return batch

    def _run(self, session: Session, batch: list[_Job]) -> None:
        """One pipeline call for the whole batch; if it fails, each request alone."""
        texts = [text for job in batch for text in job.texts]
        try:
            rows, seconds = self._call(session, texts)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for job in batch:  # inputs were validated: this is a fallback, not the normal path
                try:
                    job.rows, job.seconds = self._call(session, job.texts)
                except Exception as single:
                    job.error = single
            return
        offset = 0
        for job in batch:
            job.rows, job.seconds = rows[offset : offset + len(job.texts)], seconds
            offset += len(job.texts)

    def _call(self, session: Session, texts: list[Any]) -> tuple[np.ndarray, float]:
        started = time.perf_counter()
        self.pipeline_calls += 1
        result = self.call(session.pipeline, texts)
        rows = np.asarray(result, dtype=np.float32).reshape(len(texts), -1)
        return rows, time.perf_counter() - started

    def _hand_over(self, job: _Job) -> None:
        """The leader is done: the oldest follower leads in its place, or one leader fewer."""
        with self._cond:
            if job in self._pending:  # refused admission before taking a batch
                self._pending.remove(job)
            follower = next((other for other in self._pending if not other.lead), None)
            self._crowded = self._crowded or follower is not None
            if follower is not None:
                follower.lead = True
                follower.wake.set()
            else:
                self._leaders -= 1
