"""Which DYNAMIC_QUANTIZATION_GROUP_SIZE decodes the product int8 Gemma-3-270M fastest on this
machine, and how does each compare with llama.cpp Q8_0 / Q4_K_M in the same rounds?

OpenVINO's CPU plugin quantizes the activations of int8-weight matmuls on the fly, per group of
DYNAMIC_QUANTIZATION_GROUP_SIZE values (32 by default; 0 turns it off and the matmuls run in bf16
on the decompressed weights). On the first AVX-512 BF16 EPYC (2026-11-25) turning it off cost 17 %
of decode (BENCHMARKS.md, settings); a per-node profile on a later EPYC of the same family
(`profile_decode.py 1 48 - '{"DYNAMIC_QUANTIZATION_GROUP_SIZE": 256}'`) showed the 18 layers'
matmuls taking 14.8 ms a step at group 32 against 8.7 ms at 256 and 9.5 ms off. This script
alternates the product int8 at the given group sizes with the two llama.cpp quantizations (child
processes, as in the bench; warm-up + ROUNDS) and prints decode tok/s, TTFT at 128 and 512 tokens
and the greedy agreement with PyTorch fp32 on the bench's three prompts (its quality bar).

    .venv/bin/python benchmarks/investigations/chat_dynquant.py [THREADS] [ROUNDS] [GROUPS]

GROUPS is a comma-separated list (default 32,64,128,256,0); the first is the reference.

Measured 2026-12-02 on the second AVX-512 BF16 EPYC (huge-page malloc; `chat_dynquant.py 1 5
32,128,256,0` and `2 3 32,256,0`): decode tok/s at 1 thread 30.1 (32), 33.6 (128), 35.4 (256), 38.3
(off) against llama.cpp Q8_0 37.2 and Q4_K_M 34.5, so off is 1.27x the default, 1.02x Q8_0, 1.15x
Q4_K_M; TTFT512 635 / 490 / 532 / 745 ms (llama.cpp ~1,950). At 2 threads 44.0 / 48.7 / 53.8
(32 / 256 / off) against 53.7 and 55.0: off 1.22x the default, 1.00x Q8_0, 0.99x Q4_K_M. Greedy
agreement 0.847 at 32, 256 and off, 0.542 at 128 (coarser activation groups on every matmul).
"""

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
GROUPS = [int(g) for g in (sys.argv[3] if len(sys.argv) > 3 else "32,64,128,256,0").split(",")]


def main() -> None:
    from tokenizers import Tokenizer

    path = assets.gemma_ov("int8")
    q8, q4 = "llama.cpp Q8_0", "llama.cpp Q4_K_M"
    runners = {
        f"int8 group {g}": GenAIRunner(path, THREADS, {"DYNAMIC_QUANTIZATION_GROUP_SIZE": g}) for g in GROUPS
    }
    runners[q8] = isolated(LlamaCppRunner, assets.gemma_gguf("q8_0"), THREADS)
    runners[q4] = isolated(LlamaCppRunner, assets.gemma_gguf("q4_k_m"), THREADS)
    tok = Tokenizer.from_file(str(assets.gemma_hf() / "tokenizer.json"))
    prompts = [tok.encode(p).ids for p in QUALITY_PROMPTS]
    reference = _reference(prompts, 24)
    rounds = alternate(runners, rounds=ROUNDS)
    base = f"int8 group {GROUPS[0]}"
    print(f"threads={THREADS}; medians of {ROUNDS} rounds; ratios = median of per-round decode ratios")

    def ratio(name: str, other: str) -> float:
        pairs = zip(rounds[name], rounds[other], strict=True)
        return statistics.median(a["decode_tok_s"] / b["decode_tok_s"] for a, b in pairs)

    for name, runner in runners.items():
        median = {m: statistics.median(r[m] for r in rounds[name]) for m in rounds[name][0]}
        agreement = statistics.mean(
            _agreement(runner.greedy(p, 24), r) for p, r in zip(prompts, reference, strict=True)
        )
        line = f"{name:18s} decode {median['decode_tok_s']:5.1f} tok/s"
        if name not in (q8, q4):
            line += f" ({ratio(name, base):4.2f}x {base}, {ratio(name, q8):4.2f}x Q8_0,"
            line += f" {ratio(name, q4):4.2f}x Q4_K_M)"
        line += f"  TTFT128 {median['ttft128_ms']:4.0f} ms  TTFT512 {median['ttft512_ms']:4.0f} ms"
        print(line + f"  agreement {agreement:.3f}", flush=True)


if __name__ == "__main__":
    main()
