"""`weight_format: auto`: the variant of a model that the bench measured fastest on this kind of CPU
among those that passed its quality check, decided from a table of measurements kept here.

Only measurements decide. Each row of TABLE is one (model, CPU family) the bench ran, the format
it chose and the evidence: the bench case and its record in benchmarks/results/results.json. A
row lists only a variant that passed the same quality bar as the bench (a faster variant that
failed is named in the evidence, not chosen):

* embeddings: cosine >= 0.99 to the fp32 PyTorch reference on every text;
* Whisper: word error rate within 0.02 of the peer's (faster-whisper, or the other variant);
* Kokoro: Whisper round-trip WER within 0.05 of onnxruntime's on the same ONNX;
* chat: greedy agreement with PyTorch fp32 at least llama.cpp Q8_0's (0.778). That is stricter
  than the bench's int4 check, which only compares int4 with llama.cpp Q4_0: `auto` picks a
  default, and a default must answer like the model does, so no int4 variant measured so far
  (agreement 0.19-0.50) qualifies.

Where a family has no row the choice falls back to the closest family that has one (CLOSEST) and
says so ("not measured on amx: as avx512_bf16 ..."); a model without rows of its own uses the rows
of a measured model of the same task (STAND_IN) and says that too. To measure a variant on your
CPU: `openvino-ui bench --areas settings --case fp16-weights` (int8 against fp16 weights of MiniLM
and Whisper base, 1 thread and all threads), then add a row citing its record.

The device matters first: an NPU computes in f16 and OpenVINO's NPU guide asks for symmetric
weight compression, which `int8`/`int4` here (optimum's asymmetric default) are not, so `auto` is
fp16 there (not measured; a recipe without fp16, Kokoro's, gives its plain variant). A GPU runs
int8-compressed weights with f16 activations, and nothing was measured on one, so it follows the
CPU rule, except that a CPU-only variant (w8a8, CPU_ONLY) becomes the recipe's plain one.
Virtual devices (AUTO:GPU,CPU, HETERO:...) follow the first device they list; plain AUTO starts
on the CPU and follows the CPU rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from . import cpu
from .cpu import Family

WeightFormat = Literal["fp32", "fp16", "int8", "int4", "w8a8"]
# w8a8: int8 weights *and* activations (static quantization, NNCF with a calibration set); only
# recipes that calibrate make it (Kokoro's vocoder). It is a CPU variant: measured on CPUs only, and
# compiled in f32 there (the recipe's model_properties), so on other devices `auto` picks the
# recipe's plain variant instead (CPU_ONLY maps it).
CPU_ONLY: dict[WeightFormat, WeightFormat] = {"w8a8": "int8"}


@dataclass(frozen=True)
class Measured:
    """One row: `model` (a recipe name, or a model only the bench builds) on `family` runs fastest
    as `weight_format` among the variants that passed the quality bar, because of `evidence`."""

    model: str
    family: Family
    weight_format: WeightFormat
    evidence: str


# Rows were measured by `openvino-ui bench` with OpenVINO 2026.4.1 on 2-vCPU machines of three kinds:
# AMD EPYC with AVX-512 BF16 and no AMX (BENCHMARKS.md, runs of 2026-11-25 to 2026-12-02), AMD EPYC
# with AVX2 only (2026-12-02) and an Intel Xeon with AMX (Sapphire Rapids under KVM, 2026-12-02); the
# avx512 row by an investigation on the first (see the row); records in
# benchmarks/results/results.json, `t=1` the 1-thread record, each with its probe. Chat was not
# measured on avx2 (no llama.cpp build in that run), so it falls back.
TABLE: tuple[Measured, ...] = (
    Measured(
        "gemma3-270m",
        "avx512_bf16",
        "int8",
        "chat-ov-int8-vs-llamacpp-q4_k_m t=1: decode 1.02x llama.cpp Q4_K_M (0.86x on a second "
        "machine of this kind, the record kept), prefill 2.45x, greedy agreement with fp32 0.847; the "
        "faster int4 variants (chat-ov-int4-*-vs-llamacpp-q4_0: 0.96-1.07x Q4_0) agree 0.19-0.50 and "
        "int8 --sym 0.68, below the chat bar; lm_head-only symmetric (0.847) was 0.93x int8",
    ),
    Measured(
        "all-minilm-l6-v2",
        "avx512_bf16",
        "int8",
        "embed-ov-int8-vs-st-torch t=1: 4.72x (short, batch 1) to 2.15x (long, batch 32) "
        "sentence-transformers fp32, min cosine 0.999; embed-ov-int8-vs-fp16-weights: int8 "
        "1.06-1.39x (t=1) / 0.99-1.22x (t=2) fp16 weights, min cosine 0.9988 vs 0.99997 (both pass)",
    ),
    Measured(
        "whisper-base",
        "avx512_bf16",
        "int8",
        "asr-ov-whisper-base-vs-faster-whisper t=1: RTF 0.018 at beam 1 (1.66x faster-whisper), "
        "WER 0.062 as the peer's; asr-ov-whisper-int8-vs-fp16-weights: int8 1.14x (t=1) / 1.23x (t=2) "
        "fp16 weights at beam 1, 1.27x / 1.03x at beam 5 (our beam search), WER 0.062 vs 0.050 "
        "(within the bar)",
    ),
    Measured(
        "kokoro-82m",
        "avx512_bf16",
        "int8",
        "tts-ov-kokoro-vs-onnxruntime t=1: RTF 0.41 / 0.40 (1.36x / 1.55x onnxruntime, short / "
        "medium text; bf16 with its precision-sensitive ops kept f32, Snake sines as polynomials), "
        "round-trip WER 0.038 (onnxruntime 0.019); tts-ov-kokoro-w8a8-vs-int8: w8a8 1.01x / 0.97x "
        "int8 at t=1, 1.15x / 0.98x at t=2 (within the rounds' spread), WER 0.019, so int8, which "
        "needs no calibration at prepare",
    ),
    Measured(
        "minilm-cross-encoder",  # the bench's reranker: MiniLM's encoder with a scoring head
        "avx512_bf16",
        "int8",
        "rerank-ov-cross-encoder-vs-st t=1: 2.39x sentence-transformers fp32 (20 passages), "
        "Spearman 0.994 to its ranking; the only variant measured",
    ),
    # AVX2 only: no bf16, so OpenVINO computes in f32 and unpacks int8 or fp16 weights per call;
    # fp32 weights skip that, and the question was whether that wins. It does not.
    Measured(
        "all-minilm-l6-v2",
        "avx2",
        "int8",
        "embed-ov-int8-vs-fp32-weights t=1: int8 0.86-1.00x fp32 weights (t=2 0.97-1.32x; rounds "
        "spread 0.74-1.46x), embed-ov-int8-vs-fp16-weights: int8 0.98-1.21x (t=2 0.92-1.05x); no "
        "variant is reliably faster, so int8, a quarter of fp32's bytes; min cosine 0.9993 (all pass)",
    ),
    Measured(
        "whisper-base",
        "avx2",
        "int8",
        "asr-ov-whisper-int8-vs-fp32-weights t=1: int8 1.23x fp32 weights at beam 1, 1.17x at beam 5 "
        "(t=2 1.11x / 0.91x); asr-ov-whisper-int8-vs-fp16-weights: 0.99x / 1.07x (t=2 1.08x / "
        "1.05x); WER 0.062 on every variant",
    ),
    Measured(
        "kokoro-82m",
        "avx2",
        "int8",
        "tts-ov-kokoro-vs-onnxruntime t=1: RTF 1.22 / 1.15 (0.73x / 0.88x onnxruntime, short / "
        "medium text; f32, the CPU has no bf16); w8a8 not measured on avx2 (oneDNN held to AVX2 on an "
        "AVX-512 CPU compiles neither variant), though it won where the CPU computes f32 (avx512)",
    ),
    # Intel AMX: bf16 matmuls run on the tiles, where unpacking int8 weights per call costs more
    # than it saves on the encoders; decode-bound models (chat, Whisper's greedy decoder) still
    # gain from int8's fewer bytes.
    Measured(
        "all-minilm-l6-v2",
        "amx",
        "fp16",
        "embed-ov-int8-vs-fp16-weights t=1: int8 0.79x / 0.62x / 0.69x / 0.68x fp16 weights (short "
        "b1 / short b32 / long b1 / long b32; t=2 0.89x / 0.85x / 0.77x / 0.74x), so fp16 (computed in "
        "bf16 on the tiles): 334.8 sentences/s at short b1 against sentence-transformers onnx 262.8 "
        "and torch 125.0 in the same session; min cosine 0.99998 (int8 0.9993)",
    ),
    Measured(
        "whisper-base",
        "amx",
        "int8",
        "asr-ov-whisper-int8-vs-fp16-weights t=1: int8 1.07x fp16 weights at beam 1 (t=2 1.12x), "
        "0.79x at beam 5 (t=2 0.83x); models.yaml's default is greedy, so int8; WER 0.062 (fp16 "
        "0.050, within the bar)",
    ),
    Measured(
        "kokoro-82m",
        "amx",
        "w8a8",
        "tts-ov-kokoro-vs-onnxruntime t=1 (w8a8, what auto serves here): RTF 0.31 / 0.27, 1.69x / "
        "1.95x onnxruntime (short / medium text; t=2 1.86x / 2.12x), round-trip WER 0.019 as "
        "onnxruntime's; tts-ov-kokoro-w8a8-vs-int8: int8 in bf16 is faster (w8a8 0.63x / 0.82x of it) "
        "but its WER is 0.094 (AMX's bf16 kernels lose words: it fails the bar, and int8 is now "
        "compiled f32 on AMX)",
    ),
    Measured(
        "gemma3-270m",
        "amx",
        "int8",
        "chat-ov-int8-vs-llamacpp-q8_0 t=1: decode 0.96x llama.cpp Q8_0 (t=2 1.03x), 0.99x Q4_K_M, "
        "prefill 4.3-6.7x (llama.cpp without AMX: its tile set-up is miscompiled by g++ 12.2); "
        "greedy agreement with fp32 0.847; bf16/fp16 weights double the bytes a decode step reads",
    ),
    # AVX-512 without bf16 (Skylake-SP, Cascade Lake): f32 compute, measured with oneDNN held to
    # that instruction set on the AVX-512 BF16 EPYC (the convolutions compile as brgconv_avx512 f32
    # and int8 kernels); emulated, so a bench run on such a CPU should replace it.
    Measured(
        "kokoro-82m",
        "avx512",
        "w8a8",
        "benchmarks/investigations/kokoro_variants_isa.py, oneDNN held to AVX512_CORE: w8a8 "
        "1.43x / 1.43x int8 (f32) at t=1, 1.35x / 1.35x at t=2; to AVX512_CORE_VNNI 1.78x / 1.98x, "
        "1.67x / 1.73x; round-trip WER 0.019 (int8 0.038) in tts-ov-kokoro-w8a8-vs-int8",
    ),
)

# Models the bench has not run borrow the rows of a measured model of the same task (recipes by
# name; local and hub sources by their task).
STAND_IN: dict[str, str] = {
    "all-mpnet-base-v2": "all-minilm-l6-v2",  # a larger BERT-style sentence encoder
    "whisper-tiny-en": "whisper-base",
    "llm": "gemma3-270m",
    "vlm": "gemma3-270m",  # most of a VLM's weights are its language model
    "asr": "whisper-base",
    "embedding": "all-minilm-l6-v2",
    "rerank": "minilm-cross-encoder",
    "tts": "kokoro-82m",
}

# For each family, the others from the closest to the farthest, as OpenVINO's CPU plugin runs
# them: an AMX CPU also has AVX-512 BF16 and runs bf16 by default on both; plain AVX-512 has the
# vector width but computes f32; AVX2 is closest to plain AVX-512; an unknown CPU (ARM) to AVX2.
CLOSEST: dict[Family, tuple[Family, ...]] = {
    "amx": ("avx512_bf16", "avx512", "avx2", "other"),
    "avx512_bf16": ("amx", "avx512", "avx2", "other"),
    "avx512": ("avx512_bf16", "avx2", "amx", "other"),
    "avx2": ("avx512", "avx512_bf16", "amx", "other"),
    "other": ("avx2", "avx512", "avx512_bf16", "amx"),
}

_VIRTUAL = ("AUTO", "MULTI", "HETERO", "BATCH")
Source = TypeVar("Source", bound=BaseModel)


@dataclass(frozen=True)
class AutoChoice:
    """What `auto` resolved to: the format prepare builds and the engine loads, the CPU family
    (or device) it was chosen for, and why."""

    weight_format: WeightFormat
    family: str  # a cpu.Family, or "NPU"
    evidence: str

    @property
    def resolved_by(self) -> str:
        return f"{self.family}: {self.evidence}"


def target_device(device: str) -> str:
    """The physical device kind a device string runs on first: "CPU", "GPU", "NPU", ...
    ("AUTO:GPU,CPU" -> "GPU", "GPU.1" -> "GPU", plain "AUTO" -> "CPU")."""
    head, _, devices = device.partition(":")
    if head.upper() in _VIRTUAL:
        listed = [d for d in devices.split(",") if d and not d.startswith("-")]
        head = listed[0] if listed else "CPU"
    return head.split(".", 1)[0].upper()


def choose_weight_format(
    recipe: str | None, task: str, device: str = "CPU", flags: set[str] | frozenset[str] | None = None
) -> AutoChoice:
    """The format `auto` means for a model built by `recipe` (None for local and hub sources) for
    `task`, served on `device`, on a CPU with `flags` (None: this machine's)."""
    model = recipe or task
    kind = target_device(device)
    formats = formats_of(recipe)
    if kind == "NPU":
        if "fp16" not in formats:
            return AutoChoice(
                _plain(formats), "NPU", f"the recipe makes no fp16: its plain {_plain(formats)}"
            )
        return AutoChoice(
            "fp16",
            "NPU",
            "not measured: fp16, the NPU's own precision (its guide asks for symmetric weight "
            "compression, which int8/int4 here are not)",
        )
    family = cpu.cpu_family(cpu.cpu_flags() if flags is None else flags)
    measured = model if any(row.model == model for row in TABLE) else STAND_IN.get(model, STAND_IN[task])
    row = _closest_row(measured, family)
    evidence = row.evidence
    if row.family != family:
        evidence = f"not measured on {family}: as on {row.family}, the closest measured family ({evidence})"
    if measured != model:
        what = model if recipe else f"this {task} model"
        evidence = f"{what} not measured: as {measured} ({evidence})"
    weight_format = row.weight_format
    if kind != "CPU" and weight_format in CPU_ONLY:
        weight_format = CPU_ONLY[weight_format]
        evidence = f"{row.weight_format} is a CPU variant: {weight_format} off the CPU ({evidence})"
    elif kind == "GPU":
        evidence = f"not measured on GPU: the CPU rule ({evidence})"
    if weight_format not in formats:  # a stand-in's variant this source cannot make (w8a8)
        source = "the recipe" if recipe else "optimum-intel"
        evidence = f"{source} makes no {weight_format}: {_plain(formats)} ({evidence})"
        weight_format = _plain(formats)
    return AutoChoice(weight_format, family, evidence)


# What optimum-intel converts local and hub sources to (weights only: no calibration set).
CONVERTED: tuple[WeightFormat, ...] = ("fp32", "fp16", "int8", "int4")


def formats_of(recipe: str | None) -> tuple[WeightFormat, ...]:
    """The formats `recipe` makes; for a local or hub source (None), what optimum-intel makes."""
    from .prepare.recipes import RECIPES

    known = RECIPES.get(recipe) if recipe else None
    return known.formats if known else CONVERTED  # type: ignore[return-value]


def _plain(formats: tuple[WeightFormat, ...]) -> WeightFormat:
    return "int8" if "int8" in formats else formats[0]


def _closest_row(model: str, family: Family) -> Measured:
    rows = {row.family: row for row in TABLE if row.model == model}
    for candidate in (family, *CLOSEST[family]):
        if candidate in rows:
            return rows[candidate]
    raise LookupError(f"no measurement of {model!r} in auto_format.TABLE")  # a stand-in without rows


def resolve_auto(source: Source, task: str, device: str, path: Path | None) -> tuple[Source, Path | None]:
    """A models.yaml source with `weight_format: auto`, and the model's `path`, as the loader keeps
    them: the source holds the concrete format, so prepare's plan, fingerprint and build and the
    engine see one answer, and its `auto_choice` keeps that it was auto, and why, for model_info.

    Each variant gets a folder of its own under `path` (path/int8, path/fp16): a models folder
    shared by machines of different CPU families keeps both variants instead of rebuilding one
    folder back and forth, and a variant prepared before is found again.
    """
    choice = choose_weight_format(getattr(source, "recipe", None), task, device)
    resolved = source.model_copy(update={"weight_format": choice.weight_format, "auto_choice": choice})
    return resolved, None if path is None else Path(path) / choice.weight_format
