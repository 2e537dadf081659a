"""Where OpenVINO spends Kokoro time: per-op-type totals of one 1-thread inference (PERF_COUNT).

.venv/bin/python benchmarks/investigations/profile_kokoro.py
"""

import collections
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
import numpy as np
import openvino as ov

from openvino_ui.bench import assets
from openvino_ui.bench.cases import tts

ids = tts.phoneme_ids(tts.TEXTS["medium"])
c = ov.Core().compile_model(
    str(assets.kokoro_model()), "CPU", {"INFERENCE_NUM_THREADS": 1, "PERF_COUNT": True}
)
req = c.create_infer_request()
inp = [ids, tts.voice(ids.shape[1] - 2), np.array([1.0], np.float32)]
req.infer(inp)
t = time.perf_counter()
req.infer(inp)
print("wall", time.perf_counter() - t)
by_type = collections.Counter()
by_impl = collections.Counter()
nodes = []
for p in req.profiling_info:
    us = p.real_time.total_seconds() * 1e6
    by_type[p.node_type] += us
    by_impl[p.exec_type.split("_")[0]] += us
    nodes.append((us, p.node_name[:70], p.node_type, p.exec_type))
tot = sum(by_type.values())
print("total ms", tot / 1000)
for k, v in by_type.most_common(14):
    print(f"{k:28s} {v / 1000:8.1f} ms {100 * v / tot:5.1f}%")
print(by_impl.most_common(10))
for n in sorted(nodes, reverse=True)[:12]:
    print(round(n[0] / 1000, 1), n[1:])
