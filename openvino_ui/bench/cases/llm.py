"""Chat LLM: openvino-genai LLMPipeline vs llama.cpp (llama-cpp-python) and transformers PyTorch,
all on the packaged Gemma-3-270M weights.

Every timed call gets fresh random token ids (same length for every engine, the same `<bos>`
first), so no engine can reuse a cached prefix: genai's prefix cache otherwise fakes TTFT.
Generation ignores EOS so every engine produces exactly N tokens.
  ttft{P}_ms   wall time of a 1-token generation from a fresh P-token prompt (prefill + 1 sample)
  decode_tok_s (N-1) / (total - first-token time) for N tokens after a 16-token prompt
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, Metric
from ..isolation import isolated
from ..probe import ov_resolved

BOS = 2
_RNG = np.random.default_rng()


def fresh_ids(n: int) -> np.ndarray:
    """`<bos>` + n-1 random ordinary token ids (Gemma's vocabulary holds 262144 tokens)."""
    return np.concatenate([[BOS], _RNG.integers(1000, 200000, n - 1)]).astype(np.int64)


class _LLMRunner:
    label = "llm"
    decode_n = 64

    def first_and_total(self, ids: np.ndarray, n: int) -> tuple[float, float]:
        raise NotImplementedError

    def greedy(self, ids: list[int], n: int) -> list[int]:
        raise NotImplementedError

    def run(self) -> dict[str, float]:
        out = {}
        for p in (128, 512):
            _, total = self.first_and_total(fresh_ids(p), 1)
            out[f"ttft{p}_ms"] = total * 1000
        first, total = self.first_and_total(fresh_ids(16), self.decode_n)
        out["decode_tok_s"] = (self.decode_n - 1) / max(total - first, 1e-9)
        return out

    def close(self) -> None:
        pass


class GenAIRunner(_LLMRunner):
    def __init__(self, path: Path, threads: int, properties: dict[str, Any] | None = None):
        import openvino as ov
        import openvino_genai as og

        self.og, self.ov = og, ov
        self.path = Path(path)
        self.properties = {"INFERENCE_NUM_THREADS": threads, **(properties or {})}
        self.pipe = og.LLMPipeline(str(path), "CPU", **self.properties)
        self.weight_bytes = sum(f.stat().st_size for f in self.path.glob("openvino_model*.bin"))

    def _config(self, n: int) -> Any:
        cfg = self.og.GenerationConfig()
        cfg.max_new_tokens, cfg.min_new_tokens, cfg.ignore_eos, cfg.do_sample = n, n, True, False
        return cfg

    def _inputs(self, ids: np.ndarray | list[int]) -> Any:
        arr = np.asarray(ids, dtype=np.int64)[None]
        return self.og.TokenizedInputs(self.ov.Tensor(arr), self.ov.Tensor(np.ones_like(arr)))

    def first_and_total(self, ids: np.ndarray, n: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        result = self.pipe.generate(self._inputs(ids), self._config(n))
        total = time.perf_counter() - t0
        return result.perf_metrics.get_ttft().mean / 1000, total

    def greedy(self, ids: list[int], n: int) -> list[int]:
        return list(self.pipe.generate(self._inputs(ids), self._config(n)).tokens[0])

    def resolved(self) -> dict[str, Any]:
        return ov_resolved(str(self.path / "openvino_model.xml"), self.properties)

    def close(self) -> None:
        self.pipe = None


class LlamaCppRunner(_LLMRunner):
    def __init__(self, gguf: Path, threads: int):
        from llama_cpp import Llama

        self.gguf = Path(gguf)
        self.threads = threads
        self.llm = Llama(
            str(gguf),
            n_ctx=1024,
            n_batch=512,
            n_ubatch=512,
            n_threads=threads,
            n_threads_batch=threads,
            # Weights in malloc'd memory, not mmap'd from the page cache: with the bench's
            # huge-page malloc (openvino_ui.hugepages) that is llama.cpp's fastest setting here
            # (Q8_0 decode 61-62 tok/s vs 47-56 mmap'd, varying with the page cache's state).
            use_mmap=False,
            verbose=False,
        )
        self.weight_bytes = self.gguf.stat().st_size
        self.n_vocab = self.llm.n_vocab()

    def _next(self) -> int:
        # Greedy pick from the last token's logits, read in place (llama-cpp-python 0.3 no longer
        # copies logits into `scores` unless logits_all=True, which would compute every row).
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.n_vocab,))
        return int(np.argmax(logits))

    def first_and_total(self, ids: np.ndarray, n: int) -> tuple[float, float]:
        llm = self.llm
        t0 = time.perf_counter()
        llm.reset()  # n_past = 0: eval() drops the old KV cells from position 0 on
        llm.eval(ids.tolist())
        tok = self._next()
        first = time.perf_counter() - t0
        for _ in range(n - 1):
            llm.eval([tok])
            tok = self._next()
        return first, time.perf_counter() - t0

    def greedy(self, ids: list[int], n: int) -> list[int]:
        self.llm.reset()
        self.llm.eval(list(ids))
        out = [self._next()]
        for _ in range(n - 1):
            self.llm.eval([out[-1]])
            out.append(self._next())
        return out

    def resolved(self) -> dict[str, Any]:
        return {"n_threads": self.threads, "n_batch": 512, "use_mmap": False, "gguf": self.gguf.name}

    def close(self) -> None:
        self.llm.close()


class TorchRunner(_LLMRunner):
    def __init__(self, hf: Path, threads: int, dtype: str = "bfloat16"):
        from ...conversion import hide_torchvision

        hide_torchvision()
        import torch
        from transformers import AutoModelForCausalLM
        from transformers.generation.streamers import BaseStreamer

        self.torch, self.threads = torch, threads
        torch.set_num_threads(threads)
        self.model = AutoModelForCausalLM.from_pretrained(
            str(hf), dtype=getattr(torch, dtype), attn_implementation="sdpa"
        ).eval()
        # The prepared checkpoint carries the chat stop string "\nUser:"; the bench generates exactly
        # N tokens on every engine (and transformers refuses stop strings without a tokenizer).
        self.model.generation_config.stop_strings = None
        self.weight_bytes = sum(p.numel() * p.element_size() for p in self.model.parameters())

        class Clock(BaseStreamer):
            def __init__(self) -> None:
                self.times: list[float] = []

            def put(self, value: Any) -> None:  # first call: the prompt; then one per new token
                self.times.append(time.perf_counter())

            def end(self) -> None:
                pass

        self._clock = Clock

    def _generate(self, ids: Any, n: int, streamer: Any = None) -> Any:
        torch = self.torch
        torch.set_num_threads(self.threads)  # a no-op in its own child; kept: timed as before
        x = torch.as_tensor(np.asarray(ids), dtype=torch.long)[None]
        with torch.inference_mode():
            return self.model.generate(
                x,
                attention_mask=torch.ones_like(x),
                max_new_tokens=n,
                min_new_tokens=n,
                do_sample=False,
                streamer=streamer,
                pad_token_id=0,
            )

    def first_and_total(self, ids: np.ndarray, n: int) -> tuple[float, float]:
        clock = self._clock()
        t0 = time.perf_counter()
        self._generate(ids, n, clock)
        total = time.perf_counter() - t0
        first = clock.times[1] - t0 if len(clock.times) > 1 else total
        return first, total

    def greedy(self, ids: list[int], n: int) -> list[int]:
        return self._generate(ids, n)[0, len(ids) :].tolist()

    def resolved(self) -> dict[str, Any]:
        return {"torch_threads": self.torch.get_num_threads(), "dtype": str(self.model.dtype), "attn": "sdpa"}


# --- cases ------------------------------------------------------------------------------------


QUALITY_PROMPTS = (
    "The capital of France is Paris. The capital of Germany is",
    "Water boils at a temperature of",
    "Once upon a time, in a small village by the sea, there lived",
)
_REFERENCE: dict[str, list[int]] = {}


def _reference(prompts: list[list[int]], n: int) -> list[list[int]]:
    """Greedy continuations by transformers PyTorch fp32 (the unquantized reference), computed once,
    in a child process like every peer."""
    from .. import assets

    key = repr((prompts, n))
    if key not in _REFERENCE:
        ref = isolated(TorchRunner, assets.gemma_hf(), os.cpu_count() or 1, dtype="float32")
        try:
            _REFERENCE[key] = [ref.greedy(p, n) for p in prompts]
        finally:
            ref.close()
    return _REFERENCE[key]


def _agreement(a: list[int], b: list[int]) -> float:
    """Fraction of the continuation before the first differing token."""
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a)) / len(a)


def _quality(cand: Any, peer: Any) -> dict[str, Any]:
    """Greedy continuations of three prompts vs PyTorch fp32: mean leading-token agreement per side."""
    from tokenizers import Tokenizer

    from .. import assets

    tok = Tokenizer.from_file(str(assets.gemma_hf() / "tokenizer.json"))
    prompts = [tok.encode(p).ids for p in QUALITY_PROMPTS]
    n = 24
    ref = _reference(prompts, n)
    out: dict[str, Any] = {}
    for side, runner in (("engine", cand), ("peer", peer)):
        got = [runner.greedy(p, n) for p in prompts]
        out[f"{side}_agreement_vs_fp32"] = round(sum(map(_agreement, got, ref)) / len(ref), 3)
        out[f"{side}_sample"] = tok.decode(got[0][:16])
    out["reference_sample"] = tok.decode(ref[0][:16])
    # Quantized models drift from fp32 after a few tokens; flag a clear loss against the peer.
    out["ok"] = out["engine_agreement_vs_fp32"] >= out["peer_agreement_vs_fp32"] - 0.1
    return out


def _layer_params() -> int:
    """Weights multiplied per prompt token (every layer's projections; not the embedding table)."""
    import json

    from .. import assets

    c = json.loads((assets.gemma_hf() / "config.json").read_text())
    c = c.get("text_config", c)
    h, hd = c["hidden_size"], c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    return c["num_hidden_layers"] * (2 * h * q + 2 * h * kv + 3 * h * c["intermediate_size"])


def _derive(
    cand: Any, peer: Any, threads: int, medians: dict[str, dict[str, float]], probe: dict[str, Any]
) -> dict[str, Any]:
    """MBU (decode): weight bytes streamed per token x tok/s / probed bandwidth.
    MFU (prefill of 512 tokens): 2 x layer weights x 512 / TTFT / probed OpenVINO GEMM FLOP/s at the
    precision the CPU runs by default (bf16 on AVX-512 BF16 and AMX CPUs, f32 on others)."""
    bw = probe.get("bw_1t_gbs" if threads == 1 else "bw_all_gbs") or float("nan")
    precision = probe.get("openvino_cpu", {}).get("default_precision", "bf16")
    peak = probe.get("gemm", {}).get(f"{precision}_t{threads}_gflops")
    flops = 2 * _layer_params() * 512 / 1e9
    out: dict[str, Any] = {
        "bw_gbs": bw,
        "gemm_precision": precision,
        "gemm_gflops": peak,
        "prefill512_gflop": round(flops, 1),
    }
    for side, runner in (("engine", cand), ("peer", peer)):
        mb = runner.weight_bytes / 1e6
        tok_s = medians[side]["decode_tok_s"]
        gflops = flops / (medians[side]["ttft512_ms"] / 1000)
        out[side] = {
            "weight_mb": round(mb, 1),
            "achieved_gbs": round(tok_s * mb / 1000, 1),
            "mbu": round(tok_s * mb / 1000 / bw, 3),
            "prefill_gflops": round(gflops, 1),
            "mfu": round(gflops / peak, 3) if isinstance(peak, float) else None,
        }
    return out


def product_properties(path: Path, threads: int) -> dict[str, Any]:
    """The properties the product's LLM engine adds when it compiles this IR on the CPU at `threads`:
    for int8 weights, the dynamic quantization group measured fastest on this machine
    (openvino_ui/dynamic_quantization.py), so that the bench times what `serve` runs."""
    from ... import dynamic_quantization

    xml = Path(path) / "openvino_model.xml"
    return dynamic_quantization.properties_for(xml, "CPU", {"INFERENCE_NUM_THREADS": threads})


def product_runner(path: Path, threads: int) -> GenAIRunner:
    return GenAIRunner(path, threads, product_properties(path, threads))


def cases(full: bool) -> list[Case]:
    from .. import assets

    def metrics(decode: float | None, prefill: float | None) -> list[Metric]:
        return [
            Metric("decode_tok_s", "tok/s", True, decode),
            Metric("ttft128_ms", "ms", False, prefill),
            Metric("ttft512_ms", "ms", False, prefill),
        ]

    def ov_vs_gguf(variant: str, gguf: str, decode: float | None) -> Case:
        return Case(
            name=f"chat-ov-{variant}-vs-llamacpp-{gguf}",
            group="chat",
            engine=f"openvino-genai {variant}",
            peer=f"llama.cpp {gguf.upper()}",
            metrics=metrics(decode, 2.0),
            make=lambda t: (
                product_runner(assets.gemma_ov(variant), t),
                isolated(LlamaCppRunner, assets.gemma_gguf(gguf), t),
            ),
            quality=_quality,
            derive=_derive,
        )

    out = [ov_vs_gguf("int8", "q8_0", 1.0), ov_vs_gguf("int8", "q4_k_m", 1.0)]
    int4 = [v for v in assets.GEMMA_OV if v.startswith("int4")]
    # --quick: the best int4 setting of the --full sweep that passes the quality check (channel-wise
    # symmetric, 1.14x Q4_0 at 1 thread); --full builds and runs all of them.
    for variant in int4 if full else ["int4-cw-sym"]:
        out.append(ov_vs_gguf(variant, "q4_0", 0.9))
    out.append(
        Case(
            name="chat-ov-int8-vs-torch-bf16",
            group="chat",
            engine="openvino-genai int8",
            peer="transformers PyTorch bf16",
            metrics=metrics(3.0, 3.0),
            make=lambda t: (
                product_runner(assets.gemma_ov("int8"), t),
                isolated(TorchRunner, assets.gemma_hf(), t),
            ),
            quality=_quality,
            derive=_derive,
        )
    )
    if full:
        out.append(ov_vs_gguf("int8-sym", "q8_0", 1.0))  # symmetric int8: no zero points
        out.append(ov_vs_gguf("int8", "f16", None))
    return out
