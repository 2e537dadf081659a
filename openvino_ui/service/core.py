"""What every part of the service shares: the pool, building a request against the model it names,
and typed access to the engines (the pool hands out `Engine`; each task's engine class has the
task's method)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..config import AnySpec
from ..engines.base import Engine
from ..pool import EnginePool
from .requests import ModelRequest
from .validation import pick_model

if TYPE_CHECKING:  # the engine modules import openvino_genai: only their types are needed here
    from ..engines.asr import ASREngine
    from ..engines.embedding import EmbeddingEngine
    from ..engines.llm import LLMEngine
    from ..engines.rerank import RerankEngine
    from ..engines.tts import TTSEngine
    from ..engines.vlm import VLMEngine

R = TypeVar("R", bound=ModelRequest)


class ServiceBase:
    """Holds the pool; the task services (text, speech, retrieval, models) add the operations."""

    def __init__(self, pool: EnginePool):
        self.pool = pool

    def request(self, kind: type[R], /, **values: Any) -> R:
        """A `kind` request from an API client's `values`, checked against the model they name (the
        first model of the request's task when `model` is None or ""): what the model allows (its
        limits, max_documents, ...) is checked and named in the messages. `model` is filled in."""
        name = pick_model(self.pool, values.get("model"), kind.TASK)
        spec = self.pool.get(name, kind.TASK).spec
        return kind.of(spec, **{**values, "model": name})

    def resolve(self, request: ModelRequest) -> tuple[str, AnySpec]:
        """The name and configuration of the model `request` is for, with the request checked
        against it (a request built without its model's bounds is checked here)."""
        name = pick_model(self.pool, request.model, request.TASK)
        spec = self.pool.get(name, request.TASK).spec
        request.check(spec)
        return name, spec

    def engine(self, name: str) -> Engine:
        """The engine of model `name` (not loaded by this call)."""
        return self.pool.get(name)

    # -- typed engines: `get` does not load the model, `ready` loads it ----------------------------

    def _llm(self, name: str) -> LLMEngine:
        return cast("LLMEngine", self.pool.ready(name, "llm"))

    def _vlm(self, name: str) -> VLMEngine:
        return cast("VLMEngine", self.pool.ready(name, "vlm"))

    def _asr(self, name: str, ready: bool = False) -> ASREngine:
        engine = self.pool.ready(name, "asr") if ready else self.pool.get(name, "asr")
        return cast("ASREngine", engine)

    def _tts(self, name: str, ready: bool = False) -> TTSEngine:
        engine = self.pool.ready(name, "tts") if ready else self.pool.get(name, "tts")
        return cast("TTSEngine", engine)

    def _embedding(self, name: str) -> EmbeddingEngine:
        return cast("EmbeddingEngine", self.pool.ready(name, "embedding"))

    def _reranker(self, name: str) -> RerankEngine:
        return cast("RerankEngine", self.pool.ready(name, "rerank"))
