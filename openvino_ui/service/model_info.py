"""One model in detail, as OpenVINO Model Server's operators inspect theirs: the inputs and outputs
of each IR, the weight format, size on disk and memory at load, how the device compiled it, and
the numbered versions beside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import AnySpec, FixtureSource, RerankSpec
from ..engines.compiled_properties import CompiledProperties, compiled_properties
from ..model_files import IRInfo, dominant_format, folder_weight_bytes, inspect_folder
from ..versions import list_versions
from .core import ServiceBase
from .validation import MAX_NAME_CHARS, string


@dataclass(frozen=True)
class ModelDetails:
    """Everything `model_info` tells about one configured model."""

    name: str
    task: str
    status: str  # unloaded | loading | ready | failed
    device: str
    # The IR folder served (a numbered version folder when the model is versioned), and the folder
    # models.yaml names (the one above the versions). Not 'path': gradio_client takes {'path': ...}
    # dicts for files.
    model_dir: str | None
    versions_dir: str | None
    version: int | None  # the version served (None: an unversioned folder)
    versions: tuple[int, ...]  # every version under versions_dir, ascending
    disk_bytes: int  # the served folder's files
    memory_bytes: int | None  # resident memory its last load added (None: never measured)
    weight_format: str | None  # fp32 | fp16 | bf16 | fp8 | int8 | int4: the most weight bytes
    # The source's weight_format as models.yaml writes it ("auto", "int8", ...; None: no source to
    # convert), the variant prepare builds and the engine loads (what `auto` resolved to), and
    # for `auto` the CPU family (or device) and the evidence it was decided by.
    weight_format_configured: str | None
    weight_format_resolved: str | None
    resolved_by: str | None
    weight_bytes: dict[str, int]  # weight bytes per format, over every IR that is not a tokenizer
    irs: tuple[IRInfo, ...]  # each IR file of model_dir, by name
    compiled: CompiledProperties
    note: str | None = None  # e.g. that a bi-encoder reranker has no IR of its own

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "status": self.status,
            "device": self.device,
            "model_dir": self.model_dir,
            "versions_dir": self.versions_dir,
            "version": self.version,
            "versions": list(self.versions),
            "disk_bytes": self.disk_bytes,
            "memory_bytes": self.memory_bytes,
            "weight_format": self.weight_format,
            "weight_format_configured": self.weight_format_configured,
            "weight_format_resolved": self.weight_format_resolved,
            "resolved_by": self.resolved_by,
            "weight_bytes": dict(self.weight_bytes),
            "irs": [ir.as_dict() for ir in self.irs],
            "compiled": self.compiled.as_dict(),
            "note": self.note,
        }


class ModelInfoService(ServiceBase):
    def model_info(self, name: str) -> ModelDetails:
        """Model `name` in detail: for each IR file of its folder (the model and its tokenizer and
        detokenizer; a VLM's or Whisper's parts) its inputs and outputs (names, element type,
        partial shape, layout) and weight format; the weight format of the whole model, the one
        models.yaml asks for and the variant it resolved to (`auto`: why); its size
        on disk and the memory its last load added; the properties its device resolved when it
        compiled the main IR (performance hint, streams, inference and KV-cache precision,
        threads: only while it is loaded, else `compiled.reason` says why); and its numbered
        versions. Reading the IR compiles nothing; ModelNotFound for an unknown name."""
        name = str(string(name, "name", max_chars=MAX_NAME_CHARS))
        engine = self.pool.get(name)
        configured = self.pool.configured_spec(name)
        spec = engine.spec
        folder = None if spec.path is None else Path(spec.path)
        irs = tuple(inspect_folder(folder))
        weights = folder_weight_bytes(ir for ir in irs if ir.kind == "model")
        return ModelDetails(
            name=name,
            task=spec.task,
            status=engine.state.value,
            device=engine.device,
            model_dir=None if folder is None else str(folder),
            versions_dir=None if configured.path is None else str(configured.path),
            version=engine.version,
            versions=tuple(list_versions(configured.path)),
            disk_bytes=engine.disk_bytes(),
            memory_bytes=engine.memory_bytes,
            weight_format=dominant_format(weights),
            weight_format_configured=_configured_format(configured),
            weight_format_resolved=getattr(configured.source, "weight_format", None),
            resolved_by=_resolved_by(configured),
            weight_bytes=weights,
            irs=irs,
            compiled=compiled_properties(engine, self.pool.core),
            note=_note(name, spec, irs),
        )


def _configured_format(spec: AnySpec) -> str | None:
    source = spec.source
    if source is None or isinstance(source, FixtureSource):
        return None
    return "auto" if source.auto_choice else source.weight_format


def _resolved_by(spec: AnySpec) -> str | None:
    choice = getattr(spec.source, "auto_choice", None)
    return None if choice is None else choice.resolved_by


def _note(name: str, spec: AnySpec, irs: tuple[IRInfo, ...]) -> str | None:
    """What to know about a model whose folder shows nothing (why, and where to look instead)."""
    if isinstance(spec, RerankSpec) and spec.method == "bi_encoder":
        return (
            "A bi-encoder reranker has no IR of its own: it ranks with the embedding model "
            f"'{spec.embedding_model}'; see that model's details."
        )
    if spec.remote is not None:
        return (
            f"Served by the remote server {spec.remote.url} through its OpenAI-compatible API: its "
            "files, properties and memory are that server's (see its own model metadata)."
        )
    if spec.path is None:
        return "This model has no folder of its own."
    if not irs:
        return (
            f"No OpenVINO IR in {spec.path}: run `openvino-ui prepare {name}` (or fix 'path' in models.yaml)."
        )
    return None
