"""Would int8 with symmetric quantization on only part of Gemma-3-270M keep the default's fidelity
and gain symmetric int8's decode speed?

Measured before (BENCHMARKS.md, chat): the default int8 (optimum's asymmetric, per output channel)
decodes 0.94x llama.cpp Q8_0 at greedy agreement 0.85 with PyTorch fp32; `--sym` 1.09x at 0.68,
below Q8_0's 0.78. The tied embedding / lm_head is 63 % of the weights, so it decides most of the
bytes and work per token. This script builds, from an fp32 export, the two mixes with NNCF
(lm_head symmetric + layers asymmetric, and the reverse), then alternates them with the product
int8 and int8-sym (warm-up + 3 rounds, in one process) and prints decode tok/s, TTFT and the
greedy agreement with PyTorch fp32 on the bench's prompts (the bar for a default: >= 0.778).

    .venv/bin/python benchmarks/investigations/chat_mixed_int8.py [THREADS] [ROUNDS]
"""

import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from alternate import alternate

from openvino_ui.bench import assets
from openvino_ui.bench.cases.llm import QUALITY_PROMPTS, GenAIRunner, LlamaCppRunner, _agreement, _reference
from openvino_ui.bench.isolation import isolated

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
OUT = assets.cache_root() / "gemma" / "mixed-int8"


def fp32_export() -> Path:
    from openvino_ui.conversion import optimum_cli_export

    dst = OUT / "fp32"
    if not (dst / "openvino_model.xml").exists():
        optimum_cli_export(assets.gemma_hf(), dst, "text-generation-with-past", "fp32")
    return dst


def lm_head_names(model) -> list[str]:
    """The MatMul(s) whose weight has the vocabulary as a dimension: the lm_head, which shares its
    constant with the embedding's Gather (tied), so both get the lm_head's mode."""
    return [
        op.get_friendly_name()
        for op in model.get_ordered_ops()
        if op.get_type_name() == "MatMul" and "262144" in str(op.input(1).get_partial_shape())
    ]


def build(name: str, head_sym: bool) -> Path:
    import nncf
    import openvino as ov

    dst = OUT / name
    if (dst / "openvino_model.xml").exists():
        return dst
    src = fp32_export()
    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    heads = lm_head_names(model)
    print(name, "lm_head:", heads)
    head_only = nncf.IgnoredScope(names=[n for n in _matmuls(model) if n not in heads])
    sym, asym = nncf.CompressWeightsMode.INT8_SYM, nncf.CompressWeightsMode.INT8_ASYM
    # first the lm_head alone, then every weight still in float (the layers, the gather if untied)
    model = nncf.compress_weights(model, mode=sym if head_sym else asym, ignored_scope=head_only)
    model = nncf.compress_weights(model, mode=asym if head_sym else sym)
    return save_beside(model, src, dst)


def save_beside(model, src: Path, dst: Path, after=None) -> Path:
    """Save `model` as dst/openvino_model.xml with src's other files (tokenizer, configs), via a
    temporary folder renamed at the end; `after(xml)` may edit the saved IR before that."""
    import openvino as ov

    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("openvino_model.*"))
    ov.save_model(model, str(tmp / "openvino_model.xml"), compress_to_fp16=False)
    if after is not None:
        after(tmp / "openvino_model.xml")
    tmp.rename(dst)
    return dst


def _matmuls(model) -> list[str]:
    return [op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"]


def main() -> None:
    from tokenizers import Tokenizer

    runners = {
        "int8 (asym, product)": GenAIRunner(assets.gemma_ov("int8"), THREADS),
        "int8 sym": GenAIRunner(assets.gemma_ov("int8-sym"), THREADS),
        "lm_head sym, layers asym": GenAIRunner(build("head-sym", head_sym=True), THREADS),
        "lm_head asym, layers sym": GenAIRunner(build("head-asym", head_sym=False), THREADS),
        # the target's peer, alternated in the same rounds (a child process, as in the bench)
        "llama.cpp Q8_0": isolated(LlamaCppRunner, assets.gemma_gguf("q8_0"), THREADS),
    }
    tok = Tokenizer.from_file(str(assets.gemma_hf() / "tokenizer.json"))
    prompts = [tok.encode(p).ids for p in QUALITY_PROMPTS]
    ref = _reference(prompts, 24)
    rounds = alternate(runners, rounds=ROUNDS)
    print(
        f"threads={THREADS}; medians of {ROUNDS} rounds; ratios = median per-round ratio to the "
        "product int8 and to llama.cpp Q8_0"
    )
    base, peer = "int8 (asym, product)", "llama.cpp Q8_0"

    def ratio(name: str, other: str) -> float:
        pairs = zip(rounds[name], rounds[other], strict=True)
        return statistics.median(a["decode_tok_s"] / b["decode_tok_s"] for a, b in pairs)

    for name, runner in runners.items():
        if name == peer:
            continue
        agreement = sum(_agreement(runner.greedy(p, 24), r) for p, r in zip(prompts, ref, strict=True)) / 3
        decode = statistics.median(r["decode_tok_s"] for r in rounds[name])
        ttft = statistics.median(r["ttft512_ms"] for r in rounds[name])
        mb = runner.weight_bytes / 1e6
        print(
            f"{name:26s} {mb:6.0f} MB  decode {decode:5.1f} tok/s ({ratio(name, base):4.2f}x int8, "
            f"{ratio(name, peer):4.2f}x Q8_0)  TTFT512 {ttft:5.0f} ms  agreement {agreement:.3f}"
        )
    print(f"{peer:26s} decode {statistics.median(r['decode_tok_s'] for r in rounds[peer]):5.1f} tok/s")


if __name__ == "__main__":
    main()
