"""Can the lm_head be read in int4 and still decide in int8? A shortlist head for Gemma-3-270M.

The tied 262,144 x 640 table is 168 MB of the int8 model's 269 MB and 15.9 ms of a 31 ms decode step
(profile_decode.py). An int4 lm_head alone breaks greedy decoding (chat_int4_head.py: agreement
0.03-0.44 against int8's 0.847), but as a *candidate generator* it is good: over 1,500 positions of
README/code text, the int8 argmax was always within the int4 (asymmetric, group 128) top 20, and
within the top 53 for symmetric g128 (numpy, 2026-12-02). So this builds, from the fp32 export, a
head that computes int4 logits for the whole vocabulary plus the hidden state itself (identity rows
appended to the int4 table, so that the logits MatMul stays the last one and openvino-genai still
slices/gathers its input to the sampled positions), takes the top K, recomputes those K logits
exactly from the int8 embedding table (a compressed Gather of K rows, in f32) and scatters them
back; the 640 extra columns get -1e9.

    .venv/bin/python benchmarks/investigations/chat_shortlist_head.py [K]
    .venv/bin/python benchmarks/investigations/profile_decode.py 1 32 <the folder it prints>

Measured 2026-12-02 on the second AVX-512 BF16 EPYC, 1 thread, K=64: greedy agreement unchanged
(0.847 on the bench's prompts, 0.630 mean over twelve), but decode 0.34x the product int8 (10.7 vs
31.5 tok/s): the CPU plugin's TopK over 262,144 logits took 77 ms a step (jit_avx512_f32), and the
int4 FullyConnected was 12.8 ms against the int8 one's 15.9 (decompressing int4 at one row is
compute-bound at 1 thread), plus ~7 ms of glue (reorders, the broadcast, the split). Even with a
free TopK the head would save ~3 ms of 31: not worth a non-standard logits width. Kept as evidence.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from chat_mixed_int8 import OUT, fp32_export, lm_head_names, save_beside  # noqa: E402

K = int(sys.argv[1]) if len(sys.argv) > 1 else 64
NAME = f"shortlist-k{K}"


def build() -> Path:
    import nncf
    import openvino as ov
    from openvino import opset13 as ops

    from openvino_ui.prepare.precise import keep_in_f32

    dst = OUT / NAME
    if (dst / "openvino_model.xml").exists():
        return dst
    src = fp32_export()
    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    (head,) = lm_head_names(model)
    matmul = next(op for op in model.get_ordered_ops() if op.get_friendly_name() == head)
    table = matmul.input(1).get_source_output().get_node().get_data()
    vocab, hidden = table.shape
    aug = np.concatenate([table, np.eye(hidden, dtype=table.dtype)])
    w = ops.constant(aug)
    w.set_friendly_name("lm_head.weight")
    matmul.input(1).replace_source_output(w.output(0))
    model.validate_nodes_and_infer_types()
    others = [
        op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() in ("MatMul", "Gather")
    ]
    model = nncf.compress_weights(
        model,
        mode=nncf.CompressWeightsMode.INT4_ASYM,
        group_size=128,
        ratio=1.0,
        all_layers=True,
        ignored_scope=nncf.IgnoredScope(names=[n for n in others if n != head], validate=False),
    )
    model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    matmul = next(op for op in model.get_ordered_ops() if op.get_friendly_name() == head)
    gather = next(
        op
        for op in model.get_ordered_ops()
        if op.get_type_name() == "Gather" and "embed_tokens" in op.get_friendly_name()
    )
    int8_table = gather.input(0).get_source_output()
    out = matmul.output(0)
    (result_input,) = list(out.get_target_inputs())

    def c(v, dt=np.int64):
        return ops.constant(np.array(v, dtype=dt))

    def named(node, name):
        node.set_friendly_name(f"shortlist/{name}")
        return node

    approx = named(ops.slice(out, c([0]), c([vocab]), c([1]), c([-1])), "approx")
    hidden_q = named(ops.slice(out, c([vocab]), c([vocab + hidden]), c([1]), c([-1])), "hidden")
    top = named(ops.topk(approx, c(K), -1, "max", "none", "i64"), "topk")
    rows = named(ops.gather(int8_table, top.output(1), c(0)), "rows")
    prod = named(ops.multiply(ops.unsqueeze(hidden_q, c([-2])), rows), "mul")
    exact = named(ops.reduce_sum(prod, c([-1]), False), "exact")
    diff = named(ops.subtract(exact, top.output(0)), "diff")
    bias = np.zeros(vocab + hidden, np.float32)
    bias[vocab:] = -1e9
    base = named(ops.broadcast(c(bias, np.float32), ops.shape_of(out)), "base")
    delta = named(ops.scatter_elements_update(base, top.output(1), diff, c(-1)), "delta")
    logits = named(ops.add(out, delta), "logits")
    result_input.replace_source_output(logits.output(0))
    model.validate_nodes_and_infer_types()
    exact_ops = r"^shortlist/(rows|mul|exact|diff|base|delta|logits)"
    return save_beside(model, src, dst, after=lambda xml: print("precise:", keep_in_f32(xml, exact_ops)))


if __name__ == "__main__":
    print(build())
