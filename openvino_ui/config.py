"""The typed schema of `models.yaml` and its loader.

A file looks like::

    defaults:
      device: CPU
      properties: {PERFORMANCE_HINT: LATENCY}
    models:
      gemma-3-270m:            # the name used in the UI and the API
        task: llm              # llm | vlm | asr | tts | embedding | rerank
        path: models/gemma-3-270m-int8
        source: {kind: pypi, recipe: gemma3-270m, weight_format: int8}   # or auto
        generation: {max_new_tokens: 256, temperature: 0.7}

Every problem (unknown or duplicate key, unknown task, malformed device, bad value) is reported at
once, one line each, naming the file, the model and the key; nothing starts until the file is right.
Relative paths resolve against the folder of the YAML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from .auto_format import CONVERTED, AutoChoice, WeightFormat, formats_of, resolve_auto
from .config_base import Strict
from .devices import device_syntax_error, normalize_device
from .errors import ConfigError
from .generation import (
    GenerationParams,
    MaxNewTokens,
    Penalty,
    RepetitionPenalty,
    Seed,
    Temperature,
    TopK,
    TopP,
)
from .placement import ActorOptions, Autoscaling, ClusterSettings, RemoteEndpoint
from .versions import list_versions

TASKS = ("llm", "vlm", "asr", "tts", "embedding", "rerank")
Task = Literal["llm", "vlm", "asr", "tts", "embedding", "rerank"]
# `auto`: the variant the bench measured fastest on this CPU family (openvino_ui.auto_format),
# decided when the file is loaded.
WeightFormatSetting = Literal[WeightFormat, "auto"]  # one Literal: one error message for a typo
PropertyValue = str | int | float | bool
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PROPERTY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
VIRTUAL = ("AUTO", "HETERO", "MULTI", "BATCH")  # devices that pick among others: no memory of their own

# Recipes that turn weights carried by PyPI packages into OpenVINO IR (see openvino_ui/prepare/).
PYPI_RECIPES = (
    "gemma3-270m",
    "all-minilm-l6-v2",
    "all-mpnet-base-v2",
    "whisper-base",
    "whisper-tiny-en",
    "kokoro-82m",
)
# Tiny models trained or built locally in seconds (tests, and the offline vision demo).
FIXTURES = (
    "tiny-llm",
    "tiny-vlm",
    "tiny-embedding",
    "tiny-reranker",
    "tiny-whisper",
    "tiny-whisper-en",
    "tiny-speecht5",
)


# --- where weights come from ------------------------------------------------------------------


class _Converted(Strict):
    """A source that prepare converts at a `weight_format`."""

    # What `weight_format: auto` resolved to on this machine and why: set by the loader, never
    # written in models.yaml, and left out of model_dump (prepare's fingerprint and the builder
    # see the concrete format only).
    auto_choice: AutoChoice | None = Field(default=None, exclude=True)

    @field_validator("auto_choice", mode="before")
    @classmethod
    def _not_written(cls, value: Any) -> Any:
        raise ValueError("is decided by openvino-ui for `weight_format: auto`; remove it")


class PyPISource(_Converted):
    """Weights carried by PyPI packages, converted locally by a named recipe."""

    kind: Literal["pypi"]
    recipe: Literal[PYPI_RECIPES]  # type: ignore[valid-type]
    weight_format: WeightFormatSetting = "int8"


def _not_calibrated(value: str) -> str:
    """optimum-intel converts weights only: w8a8 needs a calibration set, which only recipes carry."""
    if value != "auto" and value not in CONVERTED:
        raise ValueError(uncalibrated_w8a8())
    return value


def uncalibrated_w8a8() -> str:
    """Why a source converted by optimum-intel cannot be w8a8, and what to use instead."""
    calibrated = ", ".join(n for n in PYPI_RECIPES if "w8a8" in formats_of(n))
    return (
        "w8a8 (int8 weights and activations) needs a calibration set, which only the pypi recipes "
        f"{calibrated} carry; use int8 (or auto) for this source"
    )


class LocalSource(_Converted):
    """A Hugging Face model folder on disk, converted with optimum-intel."""

    kind: Literal["local"]
    path: Path
    weight_format: WeightFormatSetting = "int8"

    _weights_only = field_validator("weight_format")(_not_calibrated)


class HubSource(_Converted):
    """A Hugging Face hub repository: OpenVINO IR repositories are downloaded as they are,
    other checkpoints are downloaded and converted with optimum-intel (needs a network)."""

    kind: Literal["hub"]
    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    revision: str | None = None
    weight_format: WeightFormatSetting = "int8"

    _weights_only = field_validator("weight_format")(_not_calibrated)


class FixtureSource(Strict):
    """A tiny model trained locally in seconds (tests and offline demos)."""

    kind: Literal["fixture"]
    name: Literal[FIXTURES]  # type: ignore[valid-type]


Source = Annotated[PyPISource | LocalSource | HubSource | FixtureSource, Field(discriminator="kind")]


# --- per-task settings ------------------------------------------------------------------------


class BatchingSettings(Strict):
    """Continuous batching of an llm or vlm model: openvino-genai's SchedulerConfig.

    `batching: false` (or `off`) serves one request at a time on the plain pipeline, as an NPU or a
    stateful model needs; an NPU device always does. A model may set some keys; the rest come from
    `defaults.batching`.
    """

    enabled: bool = True
    # Sequences decoded together per step; more requests wait inside the pipeline (and count
    # against max_queue beyond this).
    max_num_seqs: int = Field(default=16, ge=1, le=1024)
    # KV-cache size in whole GB; 0 lets it grow as needed (dynamic).
    cache_size_gb: int = Field(default=0, ge=0)
    # Tokens processed per step, prompt chunks included.
    max_num_batched_tokens: int = Field(default=256, ge=1)
    # Split long prompts into chunks that share steps with other requests' decoding.
    dynamic_split_fuse: bool = True
    # Reuse the KV cache of a prompt prefix seen before (a chat re-sends its history every turn).
    enable_prefix_caching: bool = True

    @model_validator(mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


class Defaults(Strict):
    """Settings every model inherits unless it sets its own."""

    device: str = "CPU"
    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    # OpenVINO's model cache: a second start reuses compiled blobs instead of compiling again.
    cache_dir: Path | None = Path(".cache/openvino")
    # How long a request waits for a busy model before it is told to try again.
    queue_timeout_s: float = Field(default=300.0, gt=0)
    # The most requests that may wait for one busy model (not counting the one it serves); more
    # are refused at once with "busy, retry" (HTTP 429 + Retry-After). None: no bound. 32 keeps a
    # burst of a few dozen clients queued while a flood fails fast instead of piling up threads
    # that each wait up to queue_timeout_s. A model may set its own.
    max_queue: int | None = Field(default=32, ge=0)
    # Memory control: unload a model unused for this long (None: never), and keep at most this
    # many models loaded, unloading the least recently used one first (None: no limit).
    idle_unload_s: float | None = Field(default=None, gt=0)
    max_loaded_models: int | None = Field(default=None, ge=1)
    # Continuous batching of llm and vlm models (a model's own `batching` keys override these).
    batching: BatchingSettings = Field(default_factory=BatchingSettings)
    # Memory a device may give to loaded models, in GB: {CPU: 12, GPU: 6}, or one number for the
    # CPU. Before a load, least recently used idle models on that device are unloaded until the
    # model fits (its memory measured at its last load, else its size on disk). None: no budget.
    memory_budget_gb: dict[str, float] | None = None
    # Ray, for models with `replicas` or `autoscaling` (None: no Ray; such models are refused).
    cluster: ClusterSettings | None = None

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        return _checked_device(value)

    @field_validator("memory_budget_gb", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = {"CPU": value}
        if isinstance(value, dict):
            for device, gb in value.items():
                if not isinstance(device, str) or device_syntax_error(device) or device.startswith(VIRTUAL):
                    raise ValueError(f"{device!r} is not a physical device name such as CPU, GPU or GPU.1")
                if isinstance(gb, bool) or not isinstance(gb, int | float) or gb <= 0:
                    raise ValueError(f"the budget of {device} must be a number of GB above 0 (got {gb!r})")
        return value

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        return _checked_properties(value)


_BUILT_IN = GenerationParams()  # the defaults of a model that sets none


class GenerationDefaults(Strict):
    """Sampling defaults of a generative model; the UI starts from these. The bounds are those a
    request may ask for (openvino_ui.generation's annotated types, shared with SamplingOptions)."""

    max_new_tokens: MaxNewTokens = _BUILT_IN.max_new_tokens
    temperature: Temperature = _BUILT_IN.temperature  # 0 means greedy decoding
    top_p: TopP = _BUILT_IN.top_p
    top_k: TopK = _BUILT_IN.top_k  # 0 means no top-k filter
    repetition_penalty: RepetitionPenalty = _BUILT_IN.repetition_penalty
    frequency_penalty: Penalty = _BUILT_IN.frequency_penalty
    presence_penalty: Penalty = _BUILT_IN.presence_penalty
    seed: Seed | None = _BUILT_IN.seed


class GenerationLimits(Strict):
    """Upper bounds a request may not exceed (protects the server from oversized requests)."""

    max_new_tokens: MaxNewTokens = 4096
    max_input_chars: int = Field(default=32000, ge=1)


class ModelBase(Strict):
    path: Path | None = None
    source: Source | None = None
    device: str | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    preload: bool = False
    description: str = ""
    max_queue: int | None = Field(default=None, ge=0)  # unset: defaults.max_queue; null: no bound
    # Pipelines built of this model (OpenVINO Model Server's instance_count): that many requests run
    # at once, one per pipeline, the rest queue. asr, tts, embedding and rerank only (_entry_problems).
    instances: int = Field(default=1, ge=1, le=64)
    # Which numbered version folder under `path` to serve (OpenVINO Model Server's layout: 1/, 2/,
    # ...): "latest" (the highest) or a number. A folder without numbered versions is used as it is.
    version: Literal["latest"] | Annotated[int, Field(ge=1)] = "latest"
    # Served by another server's OpenAI-compatible API instead of a local pipeline.
    remote: RemoteEndpoint | None = None
    # Run as a Ray Serve deployment (defaults.cluster): a fixed number of replicas, or autoscaling.
    replicas: int | None = Field(default=None, ge=1, le=1024)
    autoscaling: Autoscaling | None = None
    ray_actor_options: ActorOptions | None = None

    @field_validator("device")
    @classmethod
    def _device(cls, value: str | None) -> str | None:
        return None if value is None else _checked_device(value)

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        return _checked_properties(value)


class LLMSpec(ModelBase):
    task: Literal["llm"]
    generation: GenerationDefaults = Field(default_factory=GenerationDefaults)
    limits: GenerationLimits = Field(default_factory=GenerationLimits)
    system_prompt: str = ""
    batching: BatchingSettings = Field(default_factory=BatchingSettings)


class VLMSpec(ModelBase):
    task: Literal["vlm"]
    generation: GenerationDefaults = Field(default_factory=GenerationDefaults)
    limits: GenerationLimits = Field(default_factory=GenerationLimits)
    batching: BatchingSettings = Field(default_factory=BatchingSettings)
    # Images are scaled down so that their longer side is at most this many pixels.
    max_image_side: int = Field(default=1344, ge=28, le=8192)


MAX_WHISPER_BEAMS = 16


class ASRSpec(ModelBase):
    task: Literal["asr"]
    max_audio_s: float = Field(default=1800.0, gt=0)  # longer uploads are refused
    max_new_tokens: int = Field(default=440, ge=1, le=448)  # per 30 s window
    # Beams a request searches unless it says (1: greedy, the fastest; faster-whisper's default is 5).
    beam_size: int = Field(default=1, ge=1, le=MAX_WHISPER_BEAMS)


class TTSSpec(ModelBase):
    task: Literal["tts"]
    default_voice: str | None = None
    default_language: str = "en-us"
    max_chars: int = Field(default=5000, ge=1)


class EmbeddingSpec(ModelBase):
    task: Literal["embedding"]
    pooling: Literal["cls", "mean", "last_token"] | None = None  # None: read from the model's config
    normalize: bool | None = None  # None: read from the model's config (sentence-transformers' modules)
    query_instruction: str = ""
    document_instruction: str = ""
    max_length: int | None = Field(default=None, ge=1)
    max_texts: int = Field(default=256, ge=1)
    # Dynamic batching of document embeddings: requests that arrive while the model is busy (or
    # within batch_wait_ms of each other) share one pipeline call of at most max_batch_texts texts.
    # `batching: off` or `max_batch_texts: 1` serves each request alone.
    batching: bool = True
    max_batch_texts: int = Field(default=64, ge=1)
    batch_wait_ms: float = Field(default=2.0, ge=0, le=100)


class RerankSpec(ModelBase):
    task: Literal["rerank"]
    # cross_encoder: a TextRerankPipeline model at `path`;
    # bi_encoder: cosine similarity with the embedding model named in `embedding_model`.
    method: Literal["cross_encoder", "bi_encoder"] = "cross_encoder"
    embedding_model: str | None = None
    max_documents: int = Field(default=256, ge=1)
    top_n: int = Field(default=10, ge=1)
    # cross_encoder: requests that arrive together (or while the model is busy, or within
    # batch_wait_ms of each other) are scored in one call of at most max_batch_texts
    # query-document pairs; `batching: off` scores each request alone.
    batching: bool = True
    max_batch_texts: int = Field(default=64, ge=1)
    batch_wait_ms: float = Field(default=2.0, ge=0, le=100)


# One model's entry, whatever its task (narrow it by `spec.task` or isinstance).
AnySpec = LLMSpec | VLMSpec | ASRSpec | TTSSpec | EmbeddingSpec | RerankSpec
GenerativeSpec = LLMSpec | VLMSpec
ModelSpec = Annotated[AnySpec, Field(discriminator="task")]
_MODEL_ADAPTER: TypeAdapter[AnySpec] = TypeAdapter(ModelSpec)


class _TopLevel(Strict):
    defaults: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, Any]


@dataclass(frozen=True)
class AppConfig:
    """A validated `models.yaml`: defaults applied, paths absolute."""

    path: Path
    defaults: Defaults
    models: dict[str, AnySpec] = field(default_factory=dict)

    def names(self, task: str | tuple[str, ...] | None = None) -> list[str]:
        """Model names in file order, optionally only those of one task (or several)."""
        tasks = (task,) if isinstance(task, str) else task
        return [n for n, s in self.models.items() if tasks is None or s.task in tasks]


# --- loading ----------------------------------------------------------------------------------


def _checked_device(value: str) -> str:
    problem = device_syntax_error(value)
    if problem:
        raise ValueError(problem)
    return normalize_device(value)


def _checked_properties(value: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    for key in value:
        if not PROPERTY_PATTERN.match(key):
            raise ValueError(f"OpenVINO property {key!r} must be an upper-case name such as PERFORMANCE_HINT")
    return value


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key] + 1}, again at line "
                    f"{key_node.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _format_errors(where: str, error: ValidationError, tag: str | None = None) -> list[str]:
    lines = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        if tag and loc and loc[0] == tag:  # pydantic prefixes the discriminator's value
            loc = loc[1:]
        key = ".".join(loc) or "(whole entry)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; see the comments in models.yaml)"
        elif (
            "input" in item
            and item["type"] not in ("missing", "union_tag_invalid")
            and not isinstance(item["input"], dict)
        ):
            message += f" (got {item['input']!r})"
        lines.append(f"{where}: key {key!r}: {message}")
    return lines


def parse_config(text: str, path: Path) -> AppConfig:
    """Validate the YAML `text` of the file at `path`; raise ConfigError listing every problem."""
    path = Path(path)
    where = str(path)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}:{at}: {problem}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{where}: expected a mapping with 'models:' (and optionally 'defaults:')"])
    try:
        top = _TopLevel.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(where, exc)) from None

    problems: list[str] = []
    try:
        defaults = Defaults.model_validate(top.defaults)
    except ValidationError as exc:
        problems += _format_errors(f"{where}: defaults", exc)
        defaults = Defaults()
    base = path.parent
    models: dict[str, AnySpec] = {}
    for name, entry in (top.models or {}).items():
        here = f"{where}: model {name!r}"
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            problems.append(f"{here}: the name may use letters, digits, '.', '_' and '-' only")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{here}: expected a mapping with at least 'task:' and 'path:'")
            continue
        if "task" not in entry:
            problems.append(f"{here}: key 'task' is missing; use one of {', '.join(TASKS)}")
            continue
        if entry["task"] not in TASKS:
            problems.append(
                f"{here}: key 'task': unknown task {entry['task']!r}; use one of {', '.join(TASKS)}"
            )
            continue
        try:
            spec = _MODEL_ADAPTER.validate_python(entry)
        except ValidationError as exc:
            problems += _format_errors(here, exc, tag=entry["task"])
            continue
        problems += [f"{here}: {p}" for p in _entry_problems(spec)]
        models[name] = _resolved(spec, defaults, base)
        problems += [f"{here}: {p}" for p in _version_problems(models[name])]
    if defaults.cluster is None:
        for name, spec in models.items():
            if spec.replicas is not None or spec.autoscaling is not None:
                problems.append(
                    f"{where}: model {name!r}: key 'replicas': runs on Ray, but defaults.cluster is not "
                    "set; add `cluster: {address: local}` (or auto, or ray://host:10001) under defaults"
                )
    for name, spec in models.items():
        if spec.task == "rerank" and spec.method == "bi_encoder":
            target = models.get(spec.embedding_model or "")
            if target is None or target.task != "embedding":
                problems.append(
                    f"{where}: model {name!r}: key 'embedding_model': {spec.embedding_model!r} is not an "
                    f"embedding model in this file; choose one of {config_names(models, 'embedding')}"
                )
            else:  # as many reranks at once as its embedding model has pipelines
                models[name] = spec.model_copy(update={"instances": target.instances})
    if problems:
        raise ConfigError(problems)
    cache_dir = defaults.cache_dir
    if cache_dir is not None and not cache_dir.is_absolute():
        defaults = defaults.model_copy(update={"cache_dir": (base / cache_dir).resolve()})
    return AppConfig(path=path.resolve(), defaults=defaults, models=models)


def config_names(models: dict[str, AnySpec], task: str) -> str:
    return ", ".join(n for n, s in models.items() if s.task == task) or "none is configured"


def _entry_problems(spec: AnySpec) -> list[str]:
    bi_encoder = isinstance(spec, RerankSpec) and spec.method == "bi_encoder"
    problems = _placement_problems(spec)
    if not bi_encoder and spec.path is None and spec.remote is None:
        problems.append("key 'path' is missing: the folder of the OpenVINO IR model")
    if isinstance(spec, RerankSpec) and bi_encoder and not spec.embedding_model:
        problems.append("key 'embedding_model' is missing: a bi_encoder reranker needs an embedding model")
    if isinstance(spec, LLMSpec | VLMSpec) and "instances" in spec.model_fields_set:
        problems.append(
            f"key 'instances': {spec.task} models serve many requests at once on one pipeline "
            "(continuous batching); remove it, and raise batching.max_num_seqs to serve more at once"
        )
    if bi_encoder and "instances" in spec.model_fields_set:
        problems.append(
            "key 'instances': a bi_encoder reranker has no pipeline of its own; remove it and set "
            f"instances on its embedding model {spec.embedding_model!r} (the reranker follows it)"
        )
    if (
        isinstance(spec, LLMSpec | VLMSpec)
        and "max_new_tokens" in spec.generation.model_fields_set  # the built-in default is clipped
        and spec.generation.max_new_tokens > spec.limits.max_new_tokens
    ):
        problems.append(
            f"key 'generation.max_new_tokens': {spec.generation.max_new_tokens} is above "
            f"limits.max_new_tokens ({spec.limits.max_new_tokens}); lower it or raise the limit"
        )
    return problems


def _placement_problems(spec: AnySpec) -> list[str]:
    """`remote`, Ray (`replicas`/`autoscaling`) and a local pipeline exclude each other."""
    problems = []
    ray = spec.replicas is not None or spec.autoscaling is not None
    if spec.replicas is not None and spec.autoscaling is not None:
        problems.append("keys 'replicas' and 'autoscaling': give one of them (a fixed count, or a range)")
    if spec.ray_actor_options is not None and not ray:
        problems.append(
            "key 'ray_actor_options': only for a model run on Ray (give 'replicas' or 'autoscaling')"
        )
    if spec.remote is not None:
        for key in ("path", "source", "replicas", "autoscaling", "ray_actor_options"):
            if key in spec.model_fields_set:
                problems.append(f"key {key!r}: a remote model is served by {spec.remote.url}; remove {key!r}")
        if isinstance(spec, RerankSpec) and spec.method == "bi_encoder":
            problems.append(
                "key 'remote': a bi_encoder reranker uses a local embedding model; use cross_encoder"
            )
    if ray and isinstance(spec, RerankSpec) and spec.method == "bi_encoder":
        problems.append(
            "key 'replicas': a bi_encoder reranker has no pipeline of its own; give its embedding "
            "model replicas"
        )
    return problems


def _version_problems(spec: AnySpec) -> list[str]:
    """A numbered `version` must be one of the folders under `path` (checked once paths are absolute)."""
    if not isinstance(spec.version, int) or spec.path is None:
        return []
    there = list_versions(spec.path)
    if spec.version in there:
        return []
    listed = ", ".join(map(str, there)) or "none (it holds no numbered version folders 1/, 2/, ...)"
    return [f"key 'version': {spec.version} is not a version folder under {spec.path}; versions: {listed}"]


def _resolved(spec: AnySpec, defaults: Defaults, base: Path) -> AnySpec:
    """Apply the defaults, make paths absolute (relative paths are relative to the YAML file) and
    decide `weight_format: auto` for this machine (openvino_ui.auto_format.resolve_auto)."""
    update: dict[str, Any] = {
        "device": spec.device or defaults.device,
        "properties": {**defaults.properties, **spec.properties},
    }
    if "max_queue" not in spec.model_fields_set:  # an explicit null means no bound
        update["max_queue"] = defaults.max_queue
    if isinstance(spec, LLMSpec | VLMSpec):  # the model's own batching keys over the defaults'
        own = {key: getattr(spec.batching, key) for key in spec.batching.model_fields_set}
        update["batching"] = defaults.batching.model_copy(update=own)
    if spec.path is not None and not spec.path.is_absolute():
        update["path"] = (base / spec.path).resolve()
    if isinstance(spec.source, LocalSource) and not spec.source.path.is_absolute():
        update["source"] = spec.source.model_copy(update={"path": (base / spec.source.path).resolve()})
    source = update.get("source", spec.source)
    if isinstance(source, _Converted) and source.weight_format == "auto":  # decided once, here
        update["source"], update["path"] = resolve_auto(
            source, spec.task, update["device"], update.get("path", spec.path)
        )
    return spec.model_copy(update=update)


def load_config(path: str | Path) -> AppConfig:
    """Read and validate a `models.yaml` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found; pass --config PATH to a models.yaml"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read it: {exc.strerror}"]) from None
    return parse_config(text, path)
