"""Does huge-page malloc (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, what `openvino-ui serve` and
`bench` now start with) speed up the engines? glibc reads the tunable at start-up, so each
measurement is a child process; children with and without it alternate (3 rounds), and the median
of the per-round ratios is printed.

Child: Gemma-3-270M int8 LLMPipeline (decode tok/s after a 16-token prompt, TTFT of a fresh
512-token prompt) and all-MiniLM-L6-v2 TextEmbeddingPipeline (32 long texts), 1 thread.

    .venv/bin/python benchmarks/investigations/hugepages.py
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child() -> None:
    sys.path.insert(0, str(ROOT))
    from openvino_ui.bench import assets
    from openvino_ui.bench.cases import embedding, llm

    chat = llm.GenAIRunner(assets.gemma_ov("int8"), 1)
    chat.run()  # warm-up
    decode, ttft = [], []
    for _ in range(3):
        first, total = chat.first_and_total(llm.fresh_ids(16), 64)
        decode.append(63 / (total - first))
        ttft.append(chat.first_and_total(llm.fresh_ids(512), 1)[1] * 1000)
    embed = embedding.OVEmbedRunner(assets.minilm_ov(), 1)
    embed.run()
    long_b32 = statistics.median(embed.run()["long_b32_sps"] for _ in range(3))
    print(
        json.dumps(
            {
                "decode_tok_s": statistics.median(decode),
                "ttft512_ms": statistics.median(ttft),
                "embed_long_b32_sps": long_b32,
            }
        )
    )


def measure(hugepages: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    if hugepages:
        env["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rounds = []
    for i in range(3):
        on, off = measure(True), measure(False)
        rounds.append((on, off))
        print(f"round {i + 1}: huge pages {on} | ordinary pages {off}", flush=True)
    for metric in rounds[0][0]:
        lower_better = metric.endswith("_ms")
        ratios = [(b[metric] / a[metric]) if lower_better else (a[metric] / b[metric]) for a, b in rounds]
        print(
            f"{metric}: huge/ordinary {statistics.median(ratios):.2f}x "
            f"[{min(ratios):.2f}-{max(ratios):.2f}] (> 1: huge pages better)"
        )


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
