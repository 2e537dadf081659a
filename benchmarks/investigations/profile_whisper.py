"""Whisper base on this CPU: encoder time and decoder time per step at batch 1 and 5 (greedy and
our beam 5 run the same stateful decoder IR with 1 or 5 rows), int8 against fp16 weights, with the
top op types of the last step (PERF_COUNT) and of the encoder.

    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 python benchmarks/investigations/profile_whisper.py THREADS

int8 is models.yaml's whisper-base (models/whisper-base-int8); fp16 the bench's own
(~/.cache/openvino-ui/bench/whisper-base-fp16, made by `openvino-ui bench --areas settings --case
fp16-weights`). Random features and tokens: timings only. Findings: BENCHMARKS.md, Intel AMX.
"""

import collections
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import openvino as ov

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
folders = {
    "int8": "models/whisper-base-int8",
    "fp16": str(Path.home() / ".cache/openvino-ui/bench/whisper-base-fp16"),
}
core = ov.Core()
props = {"INFERENCE_NUM_THREADS": threads, "PERF_COUNT": True}
rng = np.random.default_rng(0)
feats = rng.standard_normal((1, 80, 3000)).astype(np.float32)
for fmt, folder in folders.items():
    enc = core.compile_model(f"{folder}/openvino_encoder_model.xml", "CPU", props)
    dec = core.compile_model(f"{folder}/openvino_decoder_model.xml", "CPU", props)
    er = enc.create_infer_request()
    ts = []
    for _ in range(4):
        t = time.perf_counter()
        er.infer({0: feats})
        ts.append(time.perf_counter() - t)
    hidden = er.get_output_tensor(0).data.copy()
    out = {"encoder_ms": round(1e3 * statistics.median(ts[1:]), 1)}
    for beams in (1, 5):
        dr = dec.create_infer_request()
        dr.reset_state()
        h = np.repeat(hidden, beams, axis=0)
        dr.infer(
            {
                "input_ids": np.full((beams, 4), 50258, np.int64),
                "encoder_hidden_states": h,
                "beam_idx": np.arange(beams, dtype=np.int32),
            }
        )
        steps = []
        for _ in range(60):
            t = time.perf_counter()
            dr.infer(
                {
                    "input_ids": rng.integers(0, 50000, (beams, 1)).astype(np.int64),
                    "encoder_hidden_states": h,
                    "beam_idx": np.arange(beams, dtype=np.int32),
                }
            )
            steps.append(time.perf_counter() - t)
        out[f"step_b{beams}_ms"] = round(1e3 * statistics.median(steps[5:]), 2)
        by = collections.Counter()
        kinds = collections.Counter()
        for p in dr.profiling_info:
            by[p.node_type] += p.real_time.total_seconds() * 1e3
            kinds[(p.node_type, p.exec_type)] += p.real_time.total_seconds() * 1e3
        top = ", ".join(f"{k[0]}/{k[1]} {v:.2f}" for k, v in kinds.most_common(6))
        out[f"b{beams}_last_step_top_ms"] = top
    enc_kinds = collections.Counter()
    for p in er.profiling_info:
        enc_kinds[(p.node_type, p.exec_type)] += p.real_time.total_seconds() * 1e3
    out["encoder_top_ms"] = ", ".join(f"{k[0]}/{k[1]} {v:.1f}" for k, v in enc_kinds.most_common(4))
    print(fmt, out)
