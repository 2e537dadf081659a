"""What a model folder's OpenVINO IR files declare: each IR's inputs and outputs, and the format its
weights are stored in. Pure functions over a folder; nothing is compiled.

`openvino.Core().read_model` reads the XML and maps the weights (.bin) without copying them, so
inspecting is cheap in memory; it still takes a while for a big IR, so each file's result is cached
per (path, modification time, size) and a file replaced on disk is read again.

Tokenizer and detokenizer IRs use operations of the openvino_tokenizers extension; the reader
adds that extension itself (it does not import openvino_tokenizers, whose import patches every
openvino.Core of the process).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The weight formats of IR constants, by element type (`Type.get_type_name()`). Other types
# (i32, i64, boolean, ...) hold shapes, indices and masks, not weights.
WEIGHT_FORMATS: dict[str, str] = {
    "f32": "fp32",
    "f16": "fp16",
    "bf16": "bf16",
    "f8e4m3": "fp8",
    "f8e5m2": "fp8",
    "u8": "int8",
    "i8": "int8",
    "u4": "int4",
    "i4": "int4",
    "nf4": "int4",
}
# The main IR of a pipeline, by the file names optimum-intel writes (LLM; VLM language model).
MAIN_IR_NAMES = ("openvino_model.xml", "openvino_language_model.xml")


@dataclass(frozen=True)
class PortInfo:
    """One input or output of an IR."""

    name: str  # any one of its names ("" when it has none)
    names: tuple[str, ...]  # all of its tensor names, sorted
    element_type: str  # OpenVINO's short name: f32, i64, string, ...
    shape: str  # the partial shape as OpenVINO prints it: "[?,?,400]"; "[...]": any rank
    dims: tuple[int, ...] | None  # -1 for a dynamic (or bounded) dimension; None: dynamic rank
    layout: str | None  # e.g. "[N,C,H,W]" when the IR sets one

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IRInfo:
    """One IR file of a model folder (an LLM has its model plus a tokenizer and a detokenizer)."""

    file: str  # the XML's name, relative to the folder ("file", not "path": see ModelInfo.model_dir)
    kind: str  # "model" | "tokenizer" | "detokenizer"
    xml_bytes: int
    bin_bytes: int  # 0 without a .bin
    inputs: tuple[PortInfo, ...] = ()
    outputs: tuple[PortInfo, ...] = ()
    # Bytes of the weight constants per format (fp32, fp16, int8, int4, ...); empty for tokenizers,
    # whose constants are vocabularies, not weights.
    weight_bytes: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # why the IR could not be read (the rest is then empty)

    @property
    def weight_format(self) -> str | None:
        return dominant_format(self.weight_bytes)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["weight_format"] = self.weight_format
        return data


def ir_files(folder: Path | None) -> list[Path]:
    """The IR files (`*.xml`) directly in `folder`, by name; [] when it is missing."""
    if folder is None or not Path(folder).is_dir():
        return []
    return sorted(p for p in Path(folder).glob("*.xml") if p.is_file())


def ir_kind(xml: Path) -> str:
    """ "tokenizer", "detokenizer" or "model", from the file name optimum-intel gives each."""
    stem = xml.stem.lower()
    if "detokenizer" in stem:
        return "detokenizer"
    return "tokenizer" if "tokenizer" in stem else "model"


def main_ir(folder: Path | None) -> Path | None:
    """The IR that does most of a model's work: openvino_model.xml or openvino_language_model.xml,
    else the one with the largest weights that is not a tokenizer; None without one."""
    files = [p for p in ir_files(folder) if ir_kind(p) == "model"]
    for name in MAIN_IR_NAMES:
        found = next((p for p in files if p.name == name), None)
        if found is not None:
            return found
    return max(files, key=lambda p: (_file_bytes(p.with_suffix(".bin")), p.name), default=None)


def inspect_folder(folder: Path | None) -> list[IRInfo]:
    """Every IR of `folder`, by file name (each read once per change on disk)."""
    return [inspect_ir(xml) for xml in ir_files(folder)]


def inspect_ir(xml: Path) -> IRInfo:
    """One IR's inputs, outputs and weights; a file that cannot be read gives an IRInfo whose
    `error` says why (one broken IR does not hide the others)."""
    weights = xml.with_suffix(".bin")
    stamp = (_stamp(xml), _stamp(weights))
    return _inspect_cached(str(xml), stamp)


def dominant_format(weight_bytes: dict[str, int]) -> str | None:
    """The format that holds the most weight bytes; None without weights."""
    if not weight_bytes:
        return None
    return max(weight_bytes.items(), key=lambda item: (item[1], item[0]))[0]


def folder_weight_bytes(irs: Iterable[IRInfo]) -> dict[str, int]:
    """The weight bytes per format over several IRs (a VLM's or Whisper's parts together)."""
    total: Counter[str] = Counter()
    for ir in irs:
        total.update(ir.weight_bytes)
    return dict(sorted(total.items(), key=lambda item: -item[1]))


# -- reading ---------------------------------------------------------------------------------------


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _file_bytes(path: Path) -> int:
    return _stamp(path)[1]


@functools.lru_cache(maxsize=256)
def _inspect_cached(xml_path: str, stamp: tuple[tuple[int, int], tuple[int, int]]) -> IRInfo:
    """`stamp` (the XML's and .bin's mtime and size) is only the cache key: a changed file reads anew."""
    xml = Path(xml_path)
    kind = ir_kind(xml)
    base = IRInfo(file=xml.name, kind=kind, xml_bytes=stamp[0][1], bin_bytes=stamp[1][1])
    try:
        model = _reader().read_model(str(xml))
    except Exception as exc:  # a truncated file, an extension missing: say so for this IR only
        reason = short_reason(exc)
        if kind != "model":
            reason += " (tokenizer IRs need the openvino_tokenizers extension)"
        log.warning("could not read the IR %s: %s", xml.name, type(exc).__name__)
        return replace(base, error=reason)
    parameters = model.get_parameters()
    results = model.get_results()
    return replace(
        base,
        inputs=tuple(_port(port, node) for port, node in zip(model.inputs, parameters, strict=True)),
        outputs=tuple(_port(port, node) for port, node in zip(model.outputs, results, strict=True)),
        weight_bytes={} if kind != "model" else _weight_bytes(model),
    )


@functools.cache
def _reader() -> Any:
    """One openvino.Core for reading IR, with the tokenizers extension when it is installed."""
    import openvino as ov

    core = ov.Core()
    extension = _tokenizers_extension()
    if extension is not None:
        try:
            core.add_extension(str(extension))
        except RuntimeError as exc:  # a build for another openvino: tokenizer IRs then say so
            log.warning("the openvino_tokenizers extension did not load: %s", type(exc).__name__)
    return core


def _tokenizers_extension() -> Path | None:
    """The openvino_tokenizers extension library, found without importing the package."""
    spec = importlib.util.find_spec("openvino_tokenizers")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for pattern in ("libopenvino_tokenizers.*", "openvino_tokenizers.dll"):
            found = sorted((Path(location) / "lib").glob(pattern))
            if found:
                return found[0]
    return None


def _port(port: Any, node: Any) -> PortInfo:
    """A port (ov.Output) and the Parameter or Result node behind it (which holds the layout)."""
    names = tuple(sorted(port.get_names()))
    shape = port.get_partial_shape()
    dims = None
    if shape.rank.is_static:
        dims = tuple(d.get_length() if d.is_static else -1 for d in shape)
    layout = node.get_layout()
    return PortInfo(
        name=port.get_any_name() if names else "",
        names=names,
        element_type=port.get_element_type().get_type_name(),
        shape=str(shape),
        dims=dims,
        layout=None if layout.empty else str(layout),
    )


def _weight_bytes(model: Any) -> dict[str, int]:
    """Bytes of the model's Constant nodes per weight format (their size is in the XML: nothing of
    the mapped .bin is touched)."""
    total: Counter[str] = Counter()
    for op in model.get_ordered_ops():
        if op.get_type_name() != "Constant":
            continue
        weight_format = WEIGHT_FORMATS.get(op.get_element_type().get_type_name())
        if weight_format is not None:
            total[weight_format] += int(op.get_byte_size())
    return dict(sorted(total.items(), key=lambda item: -item[1]))


def short_reason(exc: BaseException) -> str:
    """The last meaningful line of an openvino error (its C++ trace lines come first)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Exception from", "Check '"))]
    return (useful or lines or [type(exc).__name__])[-1][:300]
