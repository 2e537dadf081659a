"""Does an int4 lm_head, with the embedding and the layers kept int8, keep the default's fidelity
and close the decode gap to llama.cpp?

Measured before (BENCHMARKS.md, "Why the misses happen"): one int8 decode step of Gemma-3-270M is
~31 ms at 1 thread on the second AVX-512 BF16 EPYC, and the lm_head (the tied 262,144 x 640 table,
168 MB in int8) is 15.9 ms of it; no int8 layout reaches Q8_0 there. `--all-layers` int4 puts the
table *and* the embedding lookup in int4 and the greedy agreement collapses (0.01-0.06). This
script unties the table (the embedding Gather keeps an int8 copy), compresses only the lm_head
MatMul to int4 with NNCF (settings below) and everything else to the product's int8 (asymmetric,
per channel), then alternates them with the product int8 and llama.cpp Q8_0 / Q4_K_M (warm-up +
ROUNDS, one process; llama.cpp in a child process as in the bench) and prints decode tok/s, TTFT
at 512 tokens and greedy agreement with PyTorch fp32: on the bench's three prompts (its quality
bar: >= Q8_0's) and on twelve prompts x 32 tokens (a steadier figure).

    .venv/bin/python benchmarks/investigations/chat_int4_head.py [THREADS] [ROUNDS] [VARIANT ...]

Measured 2026-12-02 (second AVX-512 BF16 EPYC; agreement only, as the quality decides it): greedy
agreement on the bench's prompts / mean over twelve prompts x 32 tokens: product int8 0.847 / 0.630,
int8 --sym 0.681 / 0.539, lm_head int4 sym g128 0.181 / 0.091, asym g128 0.222 / 0.201, sym g64
0.444 / 0.255, sym per channel 0.028 / 0.026. The lm_head alone carries the collapse that
`--all-layers` showed, so no int4 lm_head passes the bar; chat_shortlist_head.py tries int4 only to
pick candidates.
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from alternate import alternate
from chat_mixed_int8 import OUT, fp32_export, lm_head_names, save_beside

from openvino_ui.bench import assets
from openvino_ui.bench.cases.llm import QUALITY_PROMPTS, GenAIRunner, LlamaCppRunner, _agreement, _reference
from openvino_ui.bench.isolation import isolated

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
# name -> (NNCF mode name, group size; -1 = per output channel)
VARIANTS = {
    "head-int4-sym-g128": ("INT4_SYM", 128),
    "head-int4-asym-g128": ("INT4_ASYM", 128),
    "head-int4-sym-g64": ("INT4_SYM", 64),
    "head-int4-sym-cw": ("INT4_SYM", -1),
}
CHOSEN = sys.argv[3:] or list(VARIANTS)
MORE_PROMPTS = (
    "The quick brown fox",
    "In 1969, the first humans landed on",
    "def fibonacci(n):",
    "The three primary colors are",
    "To make a cup of tea, first",
    "The largest planet in our solar system is",
    "Photosynthesis is the process by which",
    "My favourite book is",
    "The stock market fell sharply today after",
)


def untie(model) -> str:
    """Give the lm_head MatMul its own copy of the tied table; return the MatMul's name."""
    import numpy as np
    import openvino as ov

    (head,) = lm_head_names(model)
    matmul = next(op for op in model.get_ordered_ops() if op.get_friendly_name() == head)
    table = matmul.input(1).get_source_output().get_node()
    copy = ov.opset13.constant(np.array(table.get_data(), copy=True))
    copy.set_friendly_name("lm_head.weight")
    matmul.input(1).replace_source_output(copy.output(0))
    return head


def build(name: str) -> Path:
    import nncf
    import openvino as ov

    dst = OUT / name
    if (dst / "openvino_model.xml").exists():
        return dst
    mode, group = VARIANTS[name]
    src = fp32_export()
    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    head = untie(model)
    others = [
        op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() in ("MatMul", "Gather")
    ]
    head_only = nncf.IgnoredScope(names=[n for n in others if n != head], validate=False)
    model = nncf.compress_weights(
        model,
        mode=getattr(nncf.CompressWeightsMode, mode),
        group_size=group,
        ratio=1.0,
        all_layers=True,
        ignored_scope=head_only,
    )
    model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    return save_beside(model, src, dst)


def main() -> None:
    from tokenizers import Tokenizer

    base, q8, q4 = "int8 (product)", "llama.cpp Q8_0", "llama.cpp Q4_K_M"
    runners = {base: GenAIRunner(assets.gemma_ov("int8"), THREADS)}
    for name in CHOSEN:
        runners[name] = GenAIRunner(build(name), THREADS)
    runners[q8] = isolated(LlamaCppRunner, assets.gemma_gguf("q8_0"), THREADS)
    runners[q4] = isolated(LlamaCppRunner, assets.gemma_gguf("q4_k_m"), THREADS)
    tok = Tokenizer.from_file(str(assets.gemma_hf() / "tokenizer.json"))
    bar = [tok.encode(p).ids for p in QUALITY_PROMPTS]
    wide = bar + [tok.encode(p).ids for p in MORE_PROMPTS]
    bar_ref, wide_ref = _reference(bar, 24), _reference(wide, 32)
    rounds = alternate(runners, rounds=ROUNDS)
    print(f"threads={THREADS}; medians of {ROUNDS} rounds; ratios = median per-round ratio")

    def ratio(name: str, other: str) -> float:
        pairs = zip(rounds[name], rounds[other], strict=True)
        return statistics.median(a["decode_tok_s"] / b["decode_tok_s"] for a, b in pairs)

    def agreement(runner, prompts, ref, n) -> float:
        return statistics.mean(_agreement(runner.greedy(p, n), r) for p, r in zip(prompts, ref, strict=True))

    for name, runner in runners.items():
        decode = statistics.median(r["decode_tok_s"] for r in rounds[name])
        ttft = statistics.median(r["ttft512_ms"] for r in rounds[name])
        mb = runner.weight_bytes / 1e6
        line = f"{name:22s} {mb:6.0f} MB  decode {decode:5.1f} tok/s"
        if name not in (q8, q4):
            line += f" ({ratio(name, base):4.2f}x int8, {ratio(name, q8):4.2f}x Q8_0,"
            line += f" {ratio(name, q4):4.2f}x Q4_K_M)"
        line += f"  TTFT512 {ttft:5.0f} ms  agreement {agreement(runner, bar, bar_ref, 24):.3f}"
        line += f" (12 prompts: {agreement(runner, wide, wide_ref, 32):.3f})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
