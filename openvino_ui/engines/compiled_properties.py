"""How a loaded model was compiled: the properties the device plugin resolved (performance hint,
streams, inference and KV-cache precision, threads), which models.yaml mostly leaves to it.

openvino_genai's pipelines do not expose their compiled model, so this compiles the model's main
IR again, on the device it is loaded on and with the properties its engine builds pipelines with,
reads the properties and drops the compiled model. With CACHE_DIR set (models.yaml
`defaults.cache_dir`) that compile is a quick import of the blob the load cached. The result is
cached per engine load, so asking again costs nothing.

Caveats it cannot avoid: an LLM or VLM served by continuous batching runs a model genai has
transformed (paged attention) with its own KV-cache settings, so its KV_CACHE_PRECISION here is
the plugin's choice for the plain model; and for a moment the compile takes memory of its own.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any

from ..model_files import main_ir, short_reason
from .base import Engine, State

log = logging.getLogger(__name__)

# The properties read from the compiled model, in the order they are shown.
PROPERTIES = (
    "PERFORMANCE_HINT",
    "NUM_STREAMS",
    "INFERENCE_PRECISION_HINT",
    "KV_CACHE_PRECISION",
    "INFERENCE_NUM_THREADS",
    "DYNAMIC_QUANTIZATION_GROUP_SIZE",  # chosen per machine for int8 LLMs (openvino_ui.dynamic_quantization)
    "EXECUTION_DEVICES",  # what AUTO, HETERO or MULTI chose
)

PropertyValue = str | int | float | bool | list[str]


@dataclass(frozen=True)
class CompiledProperties:
    """The resolved properties of a model's compiled main IR, or why there are none (`reason`)."""

    device: str
    ir: str | None = None  # the IR file compiled, e.g. "openvino_model.xml"
    values: dict[str, PropertyValue] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # properties the device's plugin does not report
    reason: str | None = None  # set when `values` is empty: not loaded, no IR, compile failed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# engine -> (the load it describes, the result); weak keys: a replaced engine's entry goes with it.
_cache: weakref.WeakKeyDictionary[Engine, tuple[tuple[str, float | None], CompiledProperties]]
_cache = weakref.WeakKeyDictionary()
# One lock per engine, so a slow first compile of one model never holds up another's answer.
_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def compiled_properties(engine: Engine, core: Any) -> CompiledProperties:
    """What `engine`'s current load was compiled with, read on `core` (an openvino.Core).

    Only a ready model is compiled (an unloaded one says so, in `reason`); the answer is kept until
    the model is loaded again (another device, another load). A property the plugin does not know
    is listed in `missing`; a compile that fails gives its reason, never an exception.
    """
    device = engine.device
    if engine.state is not State.READY:
        return CompiledProperties(
            device, reason=f"not loaded ({engine.state.value}): load the model to see them"
        )
    load = (device, engine.load_time_s)
    with _lock_of(engine):
        cached = _cache.get(engine)
        if cached is not None and cached[0] == load:
            return cached[1]
        result = _compile_and_read(engine, core, device)
        _cache[engine] = (load, result)
        return result


def _lock_of(engine: Engine) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
        return lock


def _compile_and_read(engine: Engine, core: Any, device: str) -> CompiledProperties:
    xml = main_ir(engine.spec.path)
    if xml is None:
        return CompiledProperties(device, reason="the model has no OpenVINO IR of its own")
    properties = engine.pipeline_properties(device)
    try:
        compiled = core.compile_model(str(xml), device, properties)
    except Exception as exc:  # e.g. a device that needs static shapes genai would have set
        log.warning(
            "%s: compiling %s to read its properties failed: %s", engine.name, xml.name, type(exc).__name__
        )
        return CompiledProperties(
            device, xml.name, reason=f"compiling {xml.name} on {device} failed: {short_reason(exc)}"
        )
    values: dict[str, PropertyValue] = {}
    missing = []
    try:
        for name in PROPERTIES:
            try:  # each on its own: a plugin that does not know one must not lose the others
                values[name] = _plain(compiled.get_property(name))
            except Exception:
                missing.append(name)
    finally:
        del compiled  # frees the second copy now rather than when a collector gets to it
    return CompiledProperties(device, xml.name, values, tuple(missing))


def _plain(value: Any) -> PropertyValue:
    """A property value as JSON can carry it: element types by their short name ("bf16", "f16"),
    enums and other objects as their text."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    type_name = getattr(value, "get_type_name", None)
    if callable(type_name):
        return str(type_name())
    text = str(value)
    return text.rsplit(".", 1)[-1] if text.startswith(("PerformanceMode.", "Type.")) else text
