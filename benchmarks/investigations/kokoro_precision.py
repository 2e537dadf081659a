"""Which precision should Kokoro run at? Whisper base transcribes the audio of 8 sentences made by
each variant, and the word error rate against the text is printed with the synthesis RTF
(1 thread):

* float ops on int8 weights (the prepare recipe's IR, prepare/dequantize.py) at the CPU's default
  inference precision (bf16 where the CPU has it) and at f32;
* the packaged ONNX read as it is (integer MatMul/Conv, activations quantized per call);
* onnxruntime on the same ONNX (the peer).

Measured here (two runs): bf16 RTF 0.43-0.46 / WER 0.19-0.23, f32 RTF 0.68-0.73 / WER 0.088-0.095,
integer graph RTF 0.75-0.85 / WER 0.139, onnxruntime RTF 0.51 / WER 0.080: bf16 loses words, so
models.yaml set f32. Since recipe version 3 the prepared IR keeps only the ops that lose words in
f32 (prepare/precise.py; bf16 elsewhere): WER 0.117, RTF 0.25-0.27 (BENCHMARKS.md, Kokoro). This
script reads the packaged ONNX, without those marks.

    .venv/bin/python benchmarks/investigations/kokoro_precision.py
"""

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import jiwer
import numpy as np
import openvino as ov
import openvino_genai as og
import soxr

from openvino_ui.bench import assets
from openvino_ui.bench.cases import tts
from openvino_ui.prepare.dequantize import float_compute

SENTENCES = [
    *tts.TEXTS.values(),
    *tts.CHECK_TEXTS,
    "She bought fresh bread, cheese and apples at the market.",
    "Open the window, the kitchen is getting too warm.",
]


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


def main() -> None:
    core = ov.Core()
    one = {"INFERENCE_NUM_THREADS": 1}
    rewritten = core.read_model(str(assets.kokoro_onnx()))
    float_compute(rewritten)
    compiled = {
        "float ops, default precision": core.compile_model(rewritten, "CPU", one),
        "float ops, f32": core.compile_model(rewritten, "CPU", {**one, "INFERENCE_PRECISION_HINT": "f32"}),
        "integer graph as read": core.compile_model(str(assets.kokoro_onnx()), "CPU", one),
    }
    synth = {
        name: (
            lambda ids, c=c: np.asarray(c([ids, tts.voice(ids.shape[1] - 2), np.float32([1.0])])[0]).ravel()
        )
        for name, c in compiled.items()
    }
    synth["onnxruntime"] = tts.OrtKokoroRunner(assets.kokoro_onnx(), 1, ("short",)).synth
    whisper = og.WhisperPipeline(str(assets.whisper_ov()), "CPU")
    for name, fn in synth.items():
        heard, seconds, audio_s = [], 0.0, 0.0
        for text in SENTENCES:
            ids = tts.phoneme_ids(text)
            t0 = time.perf_counter()
            audio = fn(ids)
            seconds += time.perf_counter() - t0
            audio_s += audio.size / tts.SR
            pcm = soxr.resample(audio.astype(np.float32), tts.SR, 16000).astype(np.float32)
            heard.append(words(whisper.generate(pcm, language="<|en|>", task="transcribe").texts[0]))
        wer = jiwer.wer([words(t) for t in SENTENCES], heard)
        print(f"{name:30s} RTF {seconds / audio_s:.3f}  WER {wer:.3f}", flush=True)


if __name__ == "__main__":
    main()
