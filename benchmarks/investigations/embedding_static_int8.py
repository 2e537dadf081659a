"""Would static int8 (weights *and* activations, nncf.quantize) close the embeddings gap to
sentence-transformers fp32, and what does it cost in accuracy?

The product's MiniLM IR compresses weights only (int8 weights, bf16 compute on this CPU). This
script builds static-int8 variants of the same weights with nncf, then alternates them with the
product IR and sentence-transformers torch fp32 in one process (warm-up + 3 rounds) and prints
each side's sentences/s, the median ratio to sentence-transformers, and the min / mean cosine to
the fp32 reference on 200 fresh texts (the bench counts a speed-up only at min cosine >= 0.99).

Calibration: 240 sentences of Python standard-library docstrings (natural English, deterministic
for a Python version, and unlike the bench's texts), batches of 1, 4 and 8.

    .venv/bin/python benchmarks/investigations/embedding_static_int8.py [THREADS]
"""

import inspect
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases.embedding import OVEmbedRunner, STTorchRunner, texts

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
OUT = assets.cache_root() / "minilm" / "static-int8"
SMOOTH_QUANT_ALPHAS = (-1, 0.5, 0.75)


def calibration_sentences(n: int = 240) -> list[str]:
    import argparse
    import collections
    import email
    import http.client
    import json
    import logging
    import pathlib
    import subprocess
    import threading
    import unittest

    docs = []
    modules = (argparse, collections, email, http.client, json, logging, pathlib, subprocess)
    modules += (threading, unittest)
    for mod in modules:
        for _, obj in inspect.getmembers(mod):
            doc = inspect.getdoc(obj) if (inspect.isclass(obj) or inspect.isfunction(obj)) else None
            if doc:
                docs.append(doc)
    text = re.sub(r"\s+", " ", " ".join(docs))
    sents = [s for s in re.split(r"(?<=[.!?])\s+", text) if 20 < len(s) < 1500]
    return sents[:: max(1, len(sents) // n)][:n]


def build(name: str, fp32: Path, **kwargs) -> Path:
    import nncf
    import openvino as ov
    from tokenizers import Tokenizer

    dst = OUT / name
    if (dst / "openvino_model.xml").exists():
        return dst
    tok = Tokenizer.from_file(str(assets.minilm_dir() / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    sents = calibration_sentences()
    data, i = [], 0
    while i < len(sents):
        n = (1, 4, 8)[len(data) % 3]
        enc = tok.encode_batch(sents[i : i + n])
        i += n
        ids = np.array([e.ids for e in enc], np.int64)
        mask = np.array([e.attention_mask for e in enc], np.int64)
        data.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    model = ov.Core().read_model(str(fp32 / "openvino_model.xml"))
    q = nncf.quantize(
        model, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(data), **kwargs
    )
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(fp32, tmp)
    ov.save_model(q, str(tmp / "openvino_model.xml"))
    tmp.rename(dst)
    return dst


def main() -> None:
    import nncf
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters,
        AdvancedSmoothQuantParameters,
    )

    fp32 = assets.minilm_ov("fp32")
    mixed = nncf.QuantizationPreset.MIXED
    # The FFN down-projection of the first and last layer sees GELU outliers: keeping those two of
    # 36 MatMuls in bf16 lifts the worst cosine from 0.990 to 0.994.
    edge_ffn = nncf.IgnoredScope(patterns=[r".*layer\.(0|5)\.output\.dense/.*"], validate=False)
    all_ffn_down = nncf.IgnoredScope(patterns=[r".*layer\.\d+\.output\.dense/.*"], validate=False)
    runners = {
        "product int8-weights": OVEmbedRunner(assets.minilm_ov(), THREADS),
        "static int8": OVEmbedRunner(build("static", fp32), THREADS),
        "static int8 mixed": OVEmbedRunner(build("mixed", fp32, preset=mixed), THREADS),
        "static int8 mixed, edge FFN bf16": OVEmbedRunner(
            build("mixed-edge-ffn", fp32, preset=mixed, ignored_scope=edge_ffn), THREADS
        ),
        # every layer's FFN down-projection in bf16 (6 of 36 MatMuls, a third of the FFN's work)
        "static int8 mixed, all FFN down bf16": OVEmbedRunner(
            build("mixed-all-ffn-down", fp32, preset=mixed, ignored_scope=all_ffn_down), THREADS
        ),
        # SmoothQuant moves the activations' outliers into the weights before quantizing; NNCF's
        # default strength for MatMuls is 0.95, these try milder and none (-1)
        **{
            f"static int8 mixed, smooth quant {alpha}": OVEmbedRunner(
                build(
                    f"mixed-sq-{alpha}",
                    fp32,
                    preset=mixed,
                    advanced_parameters=AdvancedQuantizationParameters(
                        smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=alpha)
                    ),
                ),
                THREADS,
            )
            for alpha in SMOOTH_QUANT_ALPHAS
        },
        "sentence-transformers fp32": STTorchRunner(assets.minilm_dir(), THREADS),
    }
    ref_name = "sentence-transformers fp32"
    ref_runner = runners[ref_name]
    sample = texts(100, 40) + texts(100, 600)
    ref = ref_runner.embed(sample)
    rounds = alternate(runners)
    print(f"threads={THREADS}; sentences/s median of 3 rounds; ratio = median of per-round ratios vs ST fp32")
    for name, runner in runners.items():
        got = runner.embed(sample)
        cos = (got * ref).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1))
        cells = ratio_cells(rounds, name, ref_name)
        print(f"{name:34s} min cos {cos.min():.4f} mean {cos.mean():.4f} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
