import statistics as st
import sys
import time

import openvino_genai as og
from faster_whisper import WhisperModel
from whisper_beam import WhisperBeam

from openvino_ui.bench import assets
from openvino_ui.bench.cases.asr import clip, wer

threads, rounds = int(sys.argv[1]), int(sys.argv[2])
a = clip()
al = a.tolist()
wb = WhisperBeam("models/whisper-base-int8", "CPU", {"INFERENCE_NUM_THREADS": threads})
pipe = og.WhisperPipeline("models/whisper-base-int8", "CPU", INFERENCE_NUM_THREADS=threads)
fw = WhisperModel(
    str(assets.whisper_ct2()), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
)
# instrument ours: encoder time and decoder infer time
tm = {"enc": 0.0, "dec": 0.0, "n": 0}
enc0, req = wb._encode, wb._dec


def enc(w):
    t = time.perf_counter()
    r = enc0(w)
    tm["enc"] += time.perf_counter() - t
    return r


wb._encode = enc


class R:
    def __getattr__(s, k):
        return getattr(req, k)

    def infer(s, *x):
        t = time.perf_counter()
        r = req.infer(*x)
        tm["dec"] += time.perf_counter() - t
        tm["n"] += 1
        return r


wb._dec = R()


def ours(b):
    for k in tm:
        tm[k] = 0
    r = wb.transcribe(a, "<|en|>", num_beams=b)
    return r.text, dict(tm)


def genai(b):
    cfg = pipe.get_generation_config()
    cfg.language, cfg.task, cfg.num_beams, cfg.max_new_tokens = "<|en|>", "transcribe", b, 440
    if b > 1:
        cfg.num_return_sequences = 1
    r = pipe.generate(al, cfg)
    return r.texts[0], {}


def fwr(b):
    segs, _ = fw.transcribe(
        a,
        language="en",
        task="transcribe",
        beam_size=b,
        vad_filter=False,
        without_timestamps=True,
        condition_on_previous_text=False,
        temperature=0.0,
    )
    return " ".join(s.text for s in segs), {}


runs = [("ours5", ours, 5), ("genai5", genai, 5), ("fw5", fwr, 5), ("genai1", genai, 1), ("fw1", fwr, 1)]
for _, fn, b in runs:
    fn(b)
res = {n: [] for n, _, _ in runs}
extra = {}
texts = {}
for r in range(rounds):
    for n, fn, b in runs if r % 2 == 0 else runs[::-1]:
        t = time.perf_counter()
        text, ex = fn(b)
        res[n].append(time.perf_counter() - t)
        texts[n] = text
        if n == "ours5":
            print("   ours5", round(res[n][-1], 2), round(wer(text), 4), ex, text[:60])
        if ex:
            extra.setdefault(n, []).append(ex)
print(f"threads={threads} rounds={rounds} (median wall s, 30 s clip)")
for n in res:
    print(f"  {n:7s} {st.median(res[n]):.3f}  all={[round(x, 2) for x in res[n]]}  WER={wer(texts[n]):.4f}")
ex = extra["ours5"]
print(
    "  ours5 parts: enc",
    round(st.median(e["enc"] for e in ex), 3),
    "dec infer",
    round(st.median(e["dec"] for e in ex), 3),
    "infer calls",
    ex[0]["n"],
)
print(
    "  speedup vs fw5: ours",
    round(st.median(res["fw5"]) / st.median(res["ours5"]), 2),
    "genai",
    round(st.median(res["fw5"]) / st.median(res["genai5"]), 2),
)
print("  same text ours5 == genai5:", texts["ours5"].strip() == texts["genai5"].strip())
