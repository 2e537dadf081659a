"""Raw stateful OV infer loop vs genai generate vs llama.cpp Q8_0 on the same weights, 1 thread,
alternated: is the int8 decode gap in the pipeline or in the compiled model?

    .venv/bin/python benchmarks/investigations/raw_decode.py
"""

import statistics
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
import numpy as np
import openvino as ov

from openvino_ui.bench import assets
from openvino_ui.bench.cases import llm

path = assets.gemma_ov("int8")
c = ov.Core().compile_model(str(path / "openvino_model.xml"), "CPU", {"INFERENCE_NUM_THREADS": 1})
req = c.create_infer_request()
names = [i.get_any_name() for i in c.inputs]


def raw(n=64):
    req.reset_state()
    ids = llm.fresh_ids(16)[None]
    L = ids.shape[1]
    feed = {
        "input_ids": ids,
        "attention_mask": np.ones((1, L), np.int64),
        "position_ids": np.arange(L, dtype=np.int64)[None],
        "beam_idx": np.zeros(1, np.int32),
    }
    req.infer({k: v for k, v in feed.items() if k in names})
    tok = int(np.argmax(req.get_output_tensor(0).data[0, -1]))
    t0 = time.perf_counter()
    for _i in range(n - 1):
        L += 1
        feed = {
            "input_ids": np.array([[tok]], np.int64),
            "attention_mask": np.ones((1, L), np.int64),
            "position_ids": np.array([[L - 1]], np.int64),
            "beam_idx": np.zeros(1, np.int32),
        }
        req.infer({k: v for k, v in feed.items() if k in names})
        tok = int(np.argmax(req.get_output_tensor(0).data[0, -1]))
    return (n - 1) / (time.perf_counter() - t0)


g = llm.GenAIRunner(path, 1)
q = llm.LlamaCppRunner(assets.gemma_gguf("q8_0"), 1)


def gen(r):
    f, t = r.first_and_total(llm.fresh_ids(16), 64)
    return 63 / (t - f)


res = {"raw-ov-infer": [], "genai": [], "llama-q8_0": []}
for i in range(6):
    a, b, d = raw(), gen(g), gen(q)
    if i:
        res["raw-ov-infer"].append(a)
        res["genai"].append(b)
        res["llama-q8_0"].append(d)
for k, v in res.items():
    print(f"{k:14s} {statistics.median(v):6.1f} tok/s {[round(x, 1) for x in v]}")
print("inputs", names)
