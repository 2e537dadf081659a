"""Kokoro before and after the Snake sines became polynomials (prepare/sine.py), beside onnxruntime,
alternated in one process: RTF per text at THREADS threads, medians of 5 rounds.

    cp -r models/kokoro-82m-int8 /tmp/kokoro-v3   # with recipe v3, before `openvino-ui prepare`
    .venv/bin/python benchmarks/investigations/kokoro_snake_sine.py /tmp/kokoro-v3 [THREADS]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases.tts import OrtKokoroRunner, OVKokoroRunner

THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
KINDS = ("short", "medium")


def main() -> None:
    before = Path(sys.argv[1]) / "openvino_model.xml"
    runners = {
        "recipe v3 (Sin)": OVKokoroRunner(before, THREADS, KINDS),
        "recipe v4 (polynomial)": OVKokoroRunner(assets.kokoro_model(), THREADS, KINDS),
        "onnxruntime": OrtKokoroRunner(assets.kokoro_onnx(), THREADS, KINDS),
    }
    rounds = alternate(runners, rounds=5)
    print(f"threads={THREADS}; RTF median of 5 rounds (speed ratio to onnxruntime: median per round)")
    for name in runners:
        print(f"{name:24s} " + " | ".join(ratio_cells(rounds, name, "onnxruntime", times=True)))


if __name__ == "__main__":
    main()
