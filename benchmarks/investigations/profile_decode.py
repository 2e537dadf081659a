"""Where one int8 decode step of Gemma-3-270M spends its time (OpenVINO's per-node counters), at
one thread: is the gap to llama.cpp Q8_0 in the lm_head (63 % of the weights), the layers'
matmuls, attention, or the glue between them?

Compiles the product int8 IR with PERF_COUNT, prefills 16 tokens, then decodes STEPS tokens
greedily with the stateful request (as raw_decode.py) and sums each node's real time over the
decode steps, grouped by the layer type the plugin ran and the kernel it chose, with the largest
single nodes. Wall time per step beside the summed node time shows what is outside the graph.

    .venv/bin/python benchmarks/investigations/profile_decode.py \
        [THREADS] [STEPS] [IR_FOLDER|-] [PROPERTIES_JSON]

Measured 2026-12-02 on the second AVX-512 BF16 EPYC, 1 thread, huge-page malloc: 32.4 tok/s, 30.8
ms a step, of which the compressed matmuls (brgemm_avx512_bf16 on int8 weights) 25.9 ms (91 % of
node time): the lm_head alone 15.9 ms for its 168 MB (10.5 GB/s), the 18 layers ~10 ms for 100 MB;
attention 0.7 ms, the lm_head's bf16->f32 reorder 0.7 ms, RMS norms 0.3 ms. llama.cpp Q8_0 runs at
11.4 GB/s on the same VM (38.9 tok/s, 292 MB): both stream weights at well under half of what the
probe's streaming add reaches (27 GB/s), so the gap is in the weight-streaming kernels, not the
graph around them. (A first run once showed the embedding Gather at 9.7 ms a step: its table is
read from the memory-mapped .bin, and each new random token faulted in a cold page; on a second
run it was 0.1 ms.)
"""

import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np

from openvino_ui.bench import assets
from openvino_ui.bench.cases import llm

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 64
# an IR folder other than the product int8 (e.g. chat_shortlist_head.py's), to profile it instead
FOLDER = Path(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
# extra compile properties as JSON, e.g. '{"DYNAMIC_QUANTIZATION_GROUP_SIZE": 256}'
PROPERTIES = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}


def main() -> None:
    import openvino as ov

    path = FOLDER or assets.gemma_ov("int8")
    compiled = ov.Core().compile_model(
        str(path / "openvino_model.xml"),
        "CPU",
        {"INFERENCE_NUM_THREADS": THREADS, "PERF_COUNT": True, **PROPERTIES},
    )
    request = compiled.create_infer_request()
    names = {i.get_any_name() for i in compiled.inputs}

    def step(ids: np.ndarray, start: int) -> int:
        length = start + ids.shape[1]
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones((1, length), np.int64),
            "position_ids": np.arange(start, length, dtype=np.int64)[None],
            "beam_idx": np.zeros(1, np.int32),
        }
        request.infer({k: v for k, v in feed.items() if k in names})
        return int(np.argmax(request.get_output_tensor(0).data[0, -1]))

    by_kind: collections.Counter = collections.Counter()
    by_node: collections.Counter = collections.Counter()
    walls = []
    for rep in range(2):  # the first pass warms up
        request.reset_state()
        prompt = llm.fresh_ids(16)[None]
        token, position = step(prompt, 0), prompt.shape[1]
        for _ in range(STEPS):
            started = time.perf_counter()
            token = step(np.array([[token]], np.int64), position)
            position += 1
            if rep:
                walls.append(time.perf_counter() - started)
                for info in request.get_profiling_info():
                    micro = info.real_time.total_seconds() * 1e6
                    by_kind[(info.node_type, info.exec_type)] += micro
                    by_node[(info.node_name, info.node_type, info.exec_type)] += micro
    wall_ms = 1000 * float(np.median(walls))
    graph_ms = sum(by_kind.values()) / STEPS / 1000
    rate = 1000 / wall_ms
    print(f"threads={THREADS}: {rate:.1f} tok/s; per step {wall_ms:.2f} ms wall, {graph_ms:.2f} ms in nodes")
    print("by layer type and kernel (ms per step, share of node time):")
    for (kind, kernel), micro in by_kind.most_common(12):
        print(
            f"  {kind:22s} {kernel:28s} {micro / STEPS / 1000:6.3f} ms  {micro / sum(by_kind.values()):5.1%}"
        )
    print("largest nodes:")
    for (name, kind, kernel), micro in by_node.most_common(12):
        print(f"  {name[-60:]:60s} {kind:16s} {kernel:24s} {micro / STEPS / 1000:6.3f} ms")


if __name__ == "__main__":
    main()
