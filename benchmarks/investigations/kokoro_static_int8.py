"""Would static int8 (weights *and* activations, nncf.quantize) make Kokoro faster than the product
IR, at the same Whisper round-trip WER?

Where it would matter most is a CPU without bf16 (AVX2: OpenVINO runs Kokoro in f32 there, 0.73x
onnxruntime, whose ConvInteger computes in integers); int8 convolutions run on every x86 CPU. This
script turns the product IR's int8-weight convolutions back into f32 constants, quantizes the
model with NNCF on phonemes of sentences that are not in the evaluation set (the ops kept f32 in
the product stay out of it), re-marks those ops precise, then alternates it with the product IR
and onnxruntime (warm-up + 5 rounds) and runs the bench's round-trip check.

    .venv/bin/python benchmarks/investigations/kokoro_static_int8.py [THREADS] [f32]

`f32` compiles both OpenVINO sides with INFERENCE_PRECISION_HINT f32: what an AVX2 CPU runs.

Measured 2026-12-02 on the AVX-512 BF16 EPYC (5 rounds, huge-page malloc), f32: static int8
1.54x / 1.50x onnxruntime at 1 thread (short / medium; product IR 0.80x / 0.82x), 1.59x / 1.56x at
2 threads, round-trip WER 0.019 (onnxruntime's; product 0.038). Under the default bf16 hint the
same IR returns no audio (the duration path breaks), so it is not usable there as it is.
This became the recipe's w8a8 variant (which keeps the text side's weights int8); the folding and
quantization below are now the product's own functions.
"""

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases import tts
from openvino_ui.prepare.precise import keep_in_f32
from openvino_ui.prepare.recipes.kokoro import CALIBRATION_FILE, F32_LAYERS, W8A8_KEEP_FLOAT
from openvino_ui.prepare.static_int8 import fold_int8_weights, quantize_static

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
PRECISION = sys.argv[2] if len(sys.argv) > 2 else None
OUT = assets.cache_root() / "kokoro" / "static-int8"
KINDS = ("short", "medium")


def build() -> Path:
    import openvino as ov

    dst = OUT / "model"
    if (dst / "openvino_model.xml").exists():
        return dst
    src = assets.kokoro_model().parent
    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    print("weights folded to f32:", fold_int8_weights(model))  # all of them, the text side's too
    data = []
    for sample in json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["samples"]:
        ids = np.array([sample["ids"]], dtype=np.int64)  # 16 sentences outside the evaluation set
        data.append([ids, tts.voice(ids.shape[1] - 2), np.array([1.0], np.float32)])
    # the product's procedure (openvino_ui/prepare/static_int8.py, the recipe's w8a8): only the
    # vocoder's convolutions and matmuls, the precise ops and the polynomial sines left float
    quantized = quantize_static(model, data, W8A8_KEEP_FLOAT)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ov.save_model(quantized, str(tmp / "openvino_model.xml"), compress_to_fp16=False)
    print("re-marked precise:", keep_in_f32(tmp / "openvino_model.xml", F32_LAYERS))
    tmp.rename(dst)
    return dst


class Runner(tts.OVKokoroRunner):
    def __init__(self, model: Path, threads: int, kinds: tuple[str, ...]):
        super().__init__(model, threads, kinds)
        if PRECISION:
            import openvino as ov

            self.properties["INFERENCE_PRECISION_HINT"] = PRECISION
            self.compiled = ov.Core().compile_model(str(model), "CPU", self.properties)


def main() -> None:
    static = build() / "openvino_model.xml"
    runners = {
        "product IR (v4)": Runner(assets.kokoro_model(), THREADS, KINDS),
        "static int8": Runner(static, THREADS, KINDS),
        "onnxruntime": tts.OrtKokoroRunner(assets.kokoro_onnx(), THREADS, KINDS),
    }
    rounds = alternate(runners, rounds=5)
    precision = PRECISION or "default"
    print(f"threads={THREADS} precision={precision}; RTF median of 5 rounds (x = speed vs onnxruntime)")
    for name in runners:
        print(f"{name:18s} " + " | ".join(ratio_cells(rounds, name, "onnxruntime", times=True)))
    for name in ("product IR (v4)", "static int8"):
        print(name, tts._quality(runners[name], runners["onnxruntime"]))


if __name__ == "__main__":
    main()
