"""What every remote engine shares: an Engine whose "pipeline" is a RemoteClient.

The lifecycle, admission, statistics and pool behaviour are the base Engine's: loading checks the
endpoint (it answers, with our key, and lists the model) and builds the client; a request holds a
place in it (the client serves many at once). The device is where the model runs, e.g.
'remote:ovms:8000': there is no local device to check, choose or move to.

Reachability, for the Models tab: a load that cannot reach the endpoint fails with the reason; a
request that cannot reach it sets `error` to the reason (the model stays ready: the next request
tries again) and the next request that gets through clears it. A model whose last load failed is
checked again by its next request or Load, since a remote server comes back on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from ...config import AnySpec
from ...errors import ModelLoadFailed, RemoteUnavailable
from ...placement import RemoteEndpoint
from ..base import Engine, ModelInfo, State
from .client import RemoteClient, endpoint_label, remote_device

# How many requests of a model (other than an llm or vlm, whose batching.max_num_seqs says it) go
# to the remote server at once; more wait here, bounded by the model's max_queue.
REMOTE_SLOTS = 16


class RemoteEngine(Engine):
    """Base of the remote engines of every task; see the module doc."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        remote = self.spec.remote
        if remote is None:  # engines.engine_class picks this class only for a `remote` entry
            raise ValueError(f"model {self.name!r} has no 'remote' entry")
        self.remote: RemoteEndpoint = remote
        self.endpoint = endpoint_label(remote.url)
        self.device = remote_device(remote.url)
        self._unreachable = False  # `error` holds why the last request could not reach the endpoint
        # One client serves every request; `instances: N` asks for N times the requests at once.
        self.max_num_seqs = REMOTE_SLOTS * int(getattr(self.spec, "instances", 1) or 1)

    @classmethod
    def _pipelines_per_load(cls, spec: AnySpec) -> int:
        return 1  # one client, however many requests it carries

    # -- lifecycle ------------------------------------------------------------------------------

    def _check_files(self) -> None:
        """No model folder here: _build checks the endpoint instead."""

    def _build(self, device: str) -> RemoteClient:
        client = RemoteClient(self.name, self.remote, self.max_num_seqs)
        try:
            client.check_model()
        except RemoteUnavailable as exc:
            client.close()
            raise ConnectionError(exc.reason) from exc  # the load error says what, not whose model
        except BaseException:
            client.close()
            raise
        self._unreachable = False
        return client

    def load(self, device: str | None = None) -> None:
        """Check the endpoint and connect: the model runs where the endpoint is, whatever `device`.
        A model already loaded is checked again (Load on the Models tab tells whether it is
        reachable now); a failed check raises ModelLoadFailed and leaves the reason in `error`."""
        loaded = self._loaded
        if loaded is not None:
            try:
                with self.reaching():
                    loaded.pipeline.check_model()
            except (RemoteUnavailable, ValueError) as exc:
                self.error = exc.reason if isinstance(exc, RemoteUnavailable) else str(exc)
                self._unreachable = True  # cleared by the next request that gets through
                raise ModelLoadFailed(self.name, self.device, self.error) from exc
        super().load(self.device)

    def ensure_ready(self) -> None:
        if self.state is State.FAILED:  # the server may be back: check again rather than repeat why not
            self.load()
            return
        super().ensure_ready()

    def info(self) -> ModelInfo:
        return replace(super().info(), model_dir=self.endpoint)  # where the model is, for the Models tab

    # -- requests -------------------------------------------------------------------------------

    @contextmanager
    def reaching(self) -> Iterator[None]:
        """Around one request's calls to the endpoint: keep `error` telling whether it is reachable."""
        try:
            yield
        except RemoteUnavailable as exc:
            self.error, self._unreachable = exc.reason, True
            raise
        if self._unreachable:
            self.error, self._unreachable = None, False
