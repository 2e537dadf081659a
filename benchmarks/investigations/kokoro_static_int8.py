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
"""

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases import tts
from openvino_ui.prepare.precise import keep_in_f32
from openvino_ui.prepare.recipes.kokoro import F32_LAYERS

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
PRECISION = sys.argv[2] if len(sys.argv) > 2 else None
OUT = assets.cache_root() / "kokoro" / "static-int8"
KINDS = ("short", "medium")

CALIBRATION = (
    "Good morning, and welcome to the quarterly review.",
    "The package will arrive on Thursday between noon and four.",
    "Could you tell me where the nearest train station is?",
    "She painted the fence blue, then changed her mind.",
    "Numbers like seventeen and forty two are hard to hear.",
    "Press the green button twice to start the machine.",
    "A gentle breeze carried the smell of fresh bread.",
    "Why did the meeting move to the third floor?",
    "Remember to water the plants while we are away.",
    "The museum keeps its oldest maps in a cold, dark room.",
    "He answered every question calmly and clearly.",
    "Traffic was light, so we reached the airport early.",
    "Please spell your last name for the reservation.",
    "Bright stars filled the sky above the quiet valley.",
    "Our software update fixes three small problems.",
    "Thank you for calling; your call is important to us.",
)


def _constant(node):
    """The value of a Constant, or of a Convert of one (how the product IR stores scales and zero
    points), else None."""
    if node.get_type_name() == "Convert":
        node = node.input_value(0).get_node()
    return node.get_data() if node.get_type_name() == "Constant" else None


def float_weights(model) -> int:
    """Fold each u8/i8 weight's decompression (Convert -> Subtract zero point -> Multiply scale) into
    an f32 Constant, so that NNCF sees plain float weights."""
    import openvino as ov
    import openvino.opset13 as ops

    folded = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Multiply":
            continue
        sub, scale = node.input_value(0).get_node(), _constant(node.input_value(1).get_node())
        if sub.get_type_name() != "Subtract" or scale is None:
            continue
        convert, zero_point = sub.input_value(0).get_node(), _constant(sub.input_value(1).get_node())
        if convert.get_type_name() != "Convert" or zero_point is None:
            continue
        q = convert.input_value(0).get_node()
        if q.get_type_name() != "Constant" or q.get_output_element_type(0) not in (ov.Type.u8, ov.Type.i8):
            continue
        w = (q.get_data().astype(np.float32) - zero_point.astype(np.float32)) * scale.astype(np.float32)
        node.output(0).replace(ops.constant(w.astype(np.float32)).output(0))
        folded += 1
    model.validate_nodes_and_infer_types()
    return folded


def build() -> Path:
    import nncf
    import openvino as ov

    dst = OUT / "model"
    if (dst / "openvino_model.xml").exists():
        return dst
    src = assets.kokoro_model().parent
    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    print("weights folded to f32:", float_weights(model))
    data = []
    for text in CALIBRATION:
        ids = tts.phoneme_ids(text)
        data.append([ids, tts.voice(ids.shape[1] - 2), np.array([1.0], np.float32)])
    # Only the convolutions and matmuls compute in int8: NNCF's default also puts quantizers on
    # the elementwise ops (1,661 of them), and the CPU plugin has no int8 (Group)ConvolutionBackpropData
    # kernel for this graph ("No suitable implementations").
    elementwise = ["Multiply", "Add", "Subtract", "Divide", "Power", "Sqrt", "ReduceMean", "ReduceSum", "MVN"]
    transposed = ["ConvolutionBackpropData", "GroupConvolutionBackpropData", "Interpolate", "Pad"]
    keep = nncf.IgnoredScope(
        # the vocoder only: quantizing the text side too (BERT, duration predictor) gave zero-length audio
        patterns=[f".*({F32_LAYERS}).*", ".*/Sin/poly/.*", r"^(?!/decoder/decoder/).*"],
        types=elementwise + transposed,
        validate=False,
    )
    quantized = nncf.quantize(
        model,
        nncf.Dataset(data),
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(data),
        ignored_scope=keep,
        fast_bias_correction=True,
    )
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
