"""`weight_format: auto`: the CPU family read from the flags, the table's choice per recipe and
device with its evidence, the config that resolves it once (explicit formats untouched), prepare
building the resolved variant in its own folder, and model_info and the Models tab showing it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from openvino_ui import auto_format, cpu
from openvino_ui.auto_format import STAND_IN, TABLE, choose_weight_format, target_device
from openvino_ui.config import PYPI_RECIPES, parse_config
from openvino_ui.errors import ConfigError
from openvino_ui.prepare import prepare_models, run_in_process
from openvino_ui.prepare.atomic import read_marker
from openvino_ui.prepare.context import BuildContext
from openvino_ui.prepare.plan import describe_source
from openvino_ui.prepare.recipes import RECIPES, Recipe

# /proc/cpuinfo `flags` lines, trimmed to what matters plus some noise.
EPYC = (  # the bench machine: 2-vCPU AMD EPYC, AVX-512 BF16, no AMX
    "fpu sse2 ht syscall nx avx f16c avx2 fma bmi2 avx512f avx512dq avx512cd avx512bw avx512vl "
    "avx512ifma avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg avx512_bf16 vaes"
)
XEON_AMX = (  # Sapphire Rapids
    "fpu sse2 avx f16c avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni avx512_bf16 "
    "avx_vnni avx512_fp16 amx_bf16 amx_tile amx_int8"
)
LAPTOP = "fpu sse2 avx f16c avx2 fma avx_vnni"  # an AVX2 laptop (no AVX-512)
SKYLAKE_X = "fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl"  # AVX-512, no bf16


def cpuinfo(flags: str | None) -> str:
    head = "processor\t: 0\nmodel name\t: Some CPU\n"
    if flags is None:  # ARM: `Features`, no `flags`
        return head + "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n"
    return head + f"flags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n"


def flags_of(flags: str | None) -> set[str]:
    return cpu.cpu_flags(cpuinfo(flags))


@pytest.mark.parametrize(
    "flags, family",
    [(EPYC, "avx512_bf16"), (XEON_AMX, "amx"), (SKYLAKE_X, "avx512"), (LAPTOP, "avx2"), (None, "other")],
)
def test_the_cpu_family_of_each_flag_set(flags: str | None, family: str) -> None:
    assert cpu.cpu_family(flags_of(flags)) == family
    assert cpu.cpu_model(cpuinfo(flags)) == "Some CPU"


def test_amx_counts_only_with_the_tiles_the_os_lists() -> None:
    assert cpu.cpu_family(flags_of(XEON_AMX) - {"amx_tile"}) == "avx512_bf16"


# (flags, recipe (None: a local or hub source), task, device) -> (format, family, evidence start)
CHOICES = [
    (EPYC, "gemma3-270m", "llm", "CPU", "int8", "avx512_bf16", "chat-ov-int8-vs-llamacpp-q4_k_m t=1"),
    (EPYC, "all-minilm-l6-v2", "embedding", "CPU", "int8", "avx512_bf16", "embed-ov-int8-vs-st-torch t=1"),
    (EPYC, "whisper-base", "asr", "CPU", "int8", "avx512_bf16", "asr-ov-whisper-base-vs-faster-whisper"),
    (EPYC, "kokoro-82m", "tts", "CPU", "int8", "avx512_bf16", "tts-ov-kokoro-vs-onnxruntime t=1"),
    (
        EPYC,
        "all-mpnet-base-v2",
        "embedding",
        "CPU",
        "int8",
        "avx512_bf16",
        "all-mpnet-base-v2 not measured: as all-minilm-l6-v2 (embed-ov-int8-vs-st-torch",
    ),
    # Measured on a Sapphire Rapids Xeon: the encoders run fastest on fp16 weights (bf16 tiles, no
    # int8 unpacking); Kokoro's int8 loses words in AMX's bf16, so w8a8
    (XEON_AMX, "all-minilm-l6-v2", "embedding", "CPU", "fp16", "amx", "embed-ov-int8-vs-fp16-weights t=1"),
    (
        XEON_AMX,
        "all-mpnet-base-v2",
        "embedding",
        "CPU",
        "fp16",
        "amx",
        "all-mpnet-base-v2 not measured: as all-minilm-l6-v2 (embed-ov-int8-vs-fp16-weights",
    ),
    (XEON_AMX, "whisper-base", "asr", "CPU", "int8", "amx", "asr-ov-whisper-int8-vs-fp16-weights t=1"),
    (XEON_AMX, "gemma3-270m", "llm", "CPU", "int8", "amx", "chat-ov-int8-vs-llamacpp-q8_0 t=1"),
    (XEON_AMX, "kokoro-82m", "tts", "CPU", "w8a8", "amx", "tts-ov-kokoro-vs-onnxruntime t=1"),
    (XEON_AMX, "kokoro-82m", "tts", "GPU", "int8", "amx", "w8a8 is a CPU variant: int8 off the CPU"),
    (XEON_AMX, None, "tts", "CPU", "int8", "amx", "optimum-intel makes no w8a8: int8 (this tts model"),
    (
        XEON_AMX,
        "minilm-cross-encoder",
        "rerank",
        "CPU",
        "int8",
        "amx",
        "not measured on amx: as on avx512_bf16",
    ),
    (
        LAPTOP,
        "whisper-tiny-en",
        "asr",
        "CPU",
        "int8",
        "avx2",
        "whisper-tiny-en not measured: as whisper",
    ),
    (LAPTOP, "gemma3-270m", "llm", "CPU", "int8", "avx2", "not measured on avx2: as on avx512_bf16"),
    (None, "kokoro-82m", "tts", "CPU", "int8", "other", "not measured on other: as on avx2"),
    (None, None, "llm", "CPU", "int8", "other", "this llm model not measured: as gemma3-270m (not measured"),
    (EPYC, None, "rerank", "CPU", "int8", "avx512_bf16", "this rerank model not measured: as minilm-cross"),
    (
        EPYC,
        "gemma3-270m",
        "llm",
        "GPU.1",
        "int8",
        "avx512_bf16",
        "not measured on GPU: the CPU rule",
    ),
    (XEON_AMX, "all-minilm-l6-v2", "embedding", "NPU", "fp16", "NPU", "not measured: fp16, the NPU's own"),
    (EPYC, None, "vlm", "AUTO:NPU,CPU", "fp16", "NPU", "not measured: fp16"),
    (EPYC, "kokoro-82m", "tts", "NPU", "int8", "NPU", "the recipe makes no fp16: its plain int8"),
    # Kokoro's w8a8 where the CPU computes in f32 (AVX-512 without bf16), never off the CPU, and
    # never for a source optimum-intel converts (no calibration set)
    (
        SKYLAKE_X,
        "kokoro-82m",
        "tts",
        "CPU",
        "w8a8",
        "avx512",
        "benchmarks/investigations/kokoro_variants_isa.py",
    ),
    (SKYLAKE_X, "kokoro-82m", "tts", "GPU", "int8", "avx512", "w8a8 is a CPU variant: int8 off the CPU"),
    (SKYLAKE_X, "kokoro-82m", "tts", "AUTO:GPU,CPU", "int8", "avx512", "w8a8 is a CPU variant"),
    (
        SKYLAKE_X,
        "kokoro-82m",
        "tts",
        "AUTO",
        "w8a8",
        "avx512",
        "benchmarks/investigations/kokoro_variants_isa.py",
    ),
    (SKYLAKE_X, None, "tts", "CPU", "int8", "avx512", "optimum-intel makes no w8a8: int8 (this tts model"),
    (LAPTOP, "kokoro-82m", "tts", "CPU", "int8", "avx2", "tts-ov-kokoro-vs-onnxruntime t=1"),
    (LAPTOP, "gemma3-270m", "llm", "AUTO", "int8", "avx2", "not measured on avx2"),
    # Measured on an AVX2-only EPYC: int8 against fp32 weights (f32 compute, no bf16).
    (LAPTOP, "all-minilm-l6-v2", "embedding", "CPU", "int8", "avx2", "embed-ov-int8-vs-fp32-weights t=1"),
    (LAPTOP, "whisper-base", "asr", "CPU", "int8", "avx2", "asr-ov-whisper-int8-vs-fp32-weights t=1"),
    (None, "whisper-base", "asr", "CPU", "int8", "other", "not measured on other: as on avx2"),
]


@pytest.mark.parametrize("flags, recipe, task, device, fmt, family, evidence", CHOICES)
def test_auto_choice_per_cpu_family_and_device(
    flags: str | None, recipe: str | None, task: str, device: str, fmt: str, family: str, evidence: str
) -> None:
    choice = choose_weight_format(recipe, task, device, flags_of(flags))
    assert (choice.weight_format, choice.family) == (fmt, family)
    assert choice.evidence.startswith(evidence), choice.evidence
    assert choice.resolved_by == f"{family}: {choice.evidence}"


@pytest.mark.parametrize(
    "device, kind",
    [("CPU", "CPU"), ("GPU.1", "GPU"), ("AUTO", "CPU"), ("AUTO:-CPU,GPU", "GPU"), ("HETERO:NPU,CPU", "NPU")],
)
def test_target_device(device: str, kind: str) -> None:
    assert target_device(device) == kind


def test_the_table_only_names_formats_its_recipes_make_and_every_recipe_resolves() -> None:
    for row in TABLE:
        if row.model in RECIPES:
            assert row.weight_format in RECIPES[row.model].formats, row
        assert row.evidence and row.family in cpu.FAMILIES
    assert all(any(row.model == target for row in TABLE) for target in STAND_IN.values())
    for recipe in PYPI_RECIPES:
        for flags in (EPYC, XEON_AMX, SKYLAKE_X, LAPTOP, None):
            for device in ("CPU", "GPU", "NPU"):
                choice = choose_weight_format(recipe, RECIPES[recipe].tasks[0], device, flags_of(flags))
                assert choice.weight_format in RECIPES[recipe].formats, (recipe, flags, device)
                if device != "CPU":
                    assert choice.weight_format not in auto_format.CPU_ONLY, (recipe, flags, device)
    for task in STAND_IN:  # a local or hub source: never a variant only a recipe makes
        if task in ("llm", "vlm", "asr", "tts", "embedding", "rerank"):
            for flags in (EPYC, XEON_AMX, SKYLAKE_X, LAPTOP, None):
                choice = choose_weight_format(None, task, "CPU", flags_of(flags))
                assert choice.weight_format in auto_format.CONVERTED, (task, flags)


# --- config: resolved once, when the file is loaded -----------------------------------------------


@pytest.fixture
def amx(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine is a Sapphire Rapids Xeon, whatever it really is."""
    amx_flags = flags_of(XEON_AMX)
    monkeypatch.setattr(cpu, "cpu_flags", lambda cpuinfo=None: amx_flags)


def load(folder: Path, models: dict) -> object:
    path = folder / "models.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"cache_dir": None}, "models": models}, sort_keys=False))
    return parse_config(path.read_text(), path)


def chat(weight_format: str, path: str = "models/chat", **extra: object) -> dict:
    source = {"kind": "pypi", "recipe": "gemma3-270m", "weight_format": weight_format}
    return {"task": "llm", "path": path, "source": source, **extra}


def test_config_resolves_auto_and_keeps_that_it_was_auto(tmp_path: Path, amx: None) -> None:
    config = load(tmp_path, {"auto": chat("auto"), "fixed": chat("fp16", path="models/fixed")})
    auto, fixed = config.models["auto"], config.models["fixed"]
    assert auto.source.weight_format == "int8"
    assert auto.source.auto_choice.family == "amx"
    assert auto.source.auto_choice.evidence.startswith("chat-ov-int8-vs-llamacpp-q8_0 t=1")
    assert auto.path == (tmp_path / "models/chat/int8").resolve()  # a folder per variant
    assert "auto_choice" not in auto.source.model_dump()  # the fingerprint sees the format only
    assert describe_source(auto) == "pypi:gemma3-270m int8 (auto)"
    # an explicit format wins: untouched, no variant folder
    assert fixed.source.weight_format == "fp16" and fixed.source.auto_choice is None
    assert fixed.path == (tmp_path / "models/fixed").resolve()
    assert describe_source(fixed) == "pypi:gemma3-270m fp16"


def test_auto_follows_the_models_device_and_other_sources(tmp_path: Path, amx: None) -> None:
    hub = {"kind": "hub", "repo_id": "BAAI/bge-small-en-v1.5", "weight_format": "auto"}
    local = {"kind": "local", "path": "hf/minilm", "weight_format": "auto"}
    config = load(
        tmp_path,
        {
            "npu": chat("auto", device="NPU"),
            "hub": {"task": "embedding", "path": "models/hub", "source": hub},
            "local": {"task": "embedding", "path": "models/local", "source": local},
        },
    )
    assert config.models["npu"].source.weight_format == "fp16"
    assert config.models["npu"].path.name == "fp16"
    for name in ("hub", "local"):  # as all-MiniLM-L6-v2 on AMX: fp16, which optimum-intel makes
        choice = config.models[name].source.auto_choice
        assert choice.weight_format == "fp16" and choice.evidence.startswith(
            "this embedding model not measured"
        )


def test_auto_choice_cannot_be_written_in_models_yaml(tmp_path: Path) -> None:
    source = {"kind": "pypi", "recipe": "gemma3-270m", "auto_choice": {"weight_format": "int4"}}
    with pytest.raises(ConfigError, match="source.pypi.auto_choice': is decided by openvino-ui"):
        load(tmp_path, {"chat": {"task": "llm", "path": "x", "source": source}})


# --- prepare builds the resolved variant ----------------------------------------------------------


def build_record(ctx: BuildContext) -> None:
    """A fake recipe builder that writes a pretend IR and the format it was asked for."""
    (ctx.out / "openvino_model.xml").write_text("<net/>")
    (ctx.out / "openvino_model.bin").write_bytes(b"\0" * 4)
    (ctx.out / "asked.txt").write_text(ctx.weight_format)


def test_prepare_builds_the_resolved_variant_in_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amx: None
) -> None:
    recipe = Recipe("gemma3-270m", 1, f"{__name__}:build_record", (), ("llm",), tools=(), scratch_mb=1)
    monkeypatch.setitem(RECIPES, "gemma3-270m", recipe)
    config = load(tmp_path, {"chat": chat("auto")})

    def prepare() -> str:
        (outcome,) = prepare_models(config, runner=run_in_process, stream=io.StringIO(), bars=False)
        assert outcome.source == "pypi:gemma3-270m int8 (auto)"
        return outcome.status

    assert prepare() == "built"
    folder = tmp_path / "models/chat/int8"
    assert (folder / "asked.txt").read_text() == "int8"
    assert read_marker(folder)["fingerprint"]["source"]["weight_format"] == "int8"
    assert prepare() == "up to date"  # the same machine resolves the same variant


# --- model_info and the Models tab show it --------------------------------------------------------


def test_model_info_and_the_models_tab_show_the_variant(tmp_path: Path, amx: None) -> None:
    from openvino_ui.pool import EnginePool
    from openvino_ui.service import Service
    from openvino_ui.ui.models_details import summary_markdown

    config = load(tmp_path, {"auto": chat("auto"), "fixed": chat("int8", path="models/fixed")})
    service = Service(EnginePool(config))
    try:
        auto, fixed = service.model_info("auto"), service.model_info("fixed")
    finally:
        service.pool.close()
    assert (auto.weight_format_configured, auto.weight_format_resolved) == ("auto", "int8")
    assert auto.resolved_by.startswith("amx: chat-ov-int8-vs-llamacpp-q8_0 t=1")
    assert auto.model_dir == str((tmp_path / "models/chat/int8").resolve())
    assert auto.as_dict()["resolved_by"] == auto.resolved_by
    assert (fixed.weight_format_configured, fixed.weight_format_resolved, fixed.resolved_by) == (
        "int8",
        "int8",
        None,
    )
    assert "| Variant | auto → **int8** (amx: chat-ov-int8-vs-llamacpp-q8_0 t=1" in summary_markdown(auto)
    assert "| Variant | **int8** (as models.yaml sets it) |" in summary_markdown(fixed)
