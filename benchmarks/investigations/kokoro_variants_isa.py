"""Kokoro's two product variants, w8a8 against int8, with oneDNN held to an older instruction set:
what an AVX2 CPU would run, measured on an AVX-512 one.

OpenVINO's CPU plugin builds its kernels through oneDNN, which honours ONEDNN_MAX_CPU_ISA: with
AVX2 the convolutions become brgconv_avx2 / jit_avx2 kernels (checked below on the compiled
graphs), int8 ones without VNNI, as on an AVX2 CPU. Memory, caches and clocks stay this machine's,
so the figures are evidence for the variant choice (w8a8 vs int8 on the same hardware), not a
substitute for an AVX2 run of `openvino-ui bench`. int8 is compiled in f32, as an AVX2 CPU runs it
(no bf16); w8a8 in f32 as always.

    .venv/bin/python benchmarks/investigations/kokoro_variants_isa.py ISA THREADS [ROUNDS]

ISA: a ONEDNN_MAX_CPU_ISA value (AVX2, AVX2_VNNI, AVX512_CORE, ALL).
"""

import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases import tts

KINDS = ("short", "medium")
ISA, THREADS = sys.argv[1], int(sys.argv[2])
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5


class Runner(tts.OVKokoroRunner):
    def __init__(self, model: Path, threads: int):
        super().__init__(model, threads, KINDS, {"INFERENCE_PRECISION_HINT": "f32"})

    def kernels(self) -> str:
        """The most used convolution kernels of the compiled graph (which ISA they were built for)."""
        found = collections.Counter(
            op.get_rt_info()["primitiveType"].astype(str)
            for op in self.compiled.get_runtime_model().get_ordered_ops()
            if "Convolution" in op.get_rt_info()["layerType"].astype(str)
        )
        return ", ".join(f"{kind} x{n}" for kind, n in found.most_common(3))


def main() -> None:
    os.environ["ONEDNN_MAX_CPU_ISA"] = ISA  # before OpenVINO loads its CPU plugin (nothing above imports it)
    runners = {
        "w8a8": Runner(assets.kokoro_model("w8a8"), THREADS),
        "int8 (f32)": Runner(assets.kokoro_model("int8"), THREADS),
    }
    for name, runner in runners.items():
        print(f"{name}: {runner.kernels()}")
    rounds = alternate(runners, rounds=ROUNDS)
    print(f"ONEDNN_MAX_CPU_ISA={ISA} threads={THREADS}; RTF median of {ROUNDS} rounds (x = speed vs int8)")
    for name in runners:
        print(f"{name:11s} " + " | ".join(ratio_cells(rounds, name, "int8 (f32)", times=True)))


if __name__ == "__main__":
    main()
