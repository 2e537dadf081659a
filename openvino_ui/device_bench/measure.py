"""The measurements of each task, as pure orchestration over callables that run the model once
(the service builds them from an engine and its request types): a warm-up, then REPS repetitions,
and the median of each figure.

  llm, vlm          TTFT of a PROMPT_TOKENS-token prompt and decode tok/s over NEW_TOKENS tokens
                    (end-of-text ignored, greedy), both from one generation per repetition
  asr, tts          real-time factor: processing time / audio duration (below 1: faster than real time)
  embedding, rerank texts per second at batch 1 (BATCH calls of one text) and at batch BATCH (one call)

Every generation starts with its own "Sample N." line: openvino-genai's prefix cache would
otherwise serve the repeated prompt from the KV cache and fake the TTFT.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..stats import GenerationMetrics
from .results import Figure, Measurement

T = TypeVar("T")

WARMUP = 1
REPS = 3
PROMPT_TOKENS = 512
NEW_TOKENS = 128
BATCH = 32

# Told what runs next ("warm-up", "repetition 2 of 3"): the service turns it into progress.
Step = Callable[[str], None]
# Generate `new_tokens` tokens (greedy, end-of-text ignored) after `prompt`; the generation's metrics.
Generate = Callable[[str, int], GenerationMetrics]
# Run once; (processing seconds, audio seconds).
Realtime = Callable[[], tuple[float, float]]
# Run the model once on these texts (the result is not needed).
Process = Callable[[Sequence[str]], object]

# Plain prose, its words repeated to the prompt's length: ordinary tokens, as a user's text gives.
FILLER = (
    "The river runs past the old mill, where the miller counts the sacks of grain each morning "
    "and the children watch the great wheel turn in the cold water."
).split()
CHARS_PER_TOKEN = 4  # the estimate where a model does not count its prompt tokens
CALIBRATION = (32, 256)  # prompt words counted to fit tokens = fixed + per_word * words
TOLERANCE = 0.05  # a sized prompt within 5 % of PROMPT_TOKENS is not corrected again


def planned_steps(task: str) -> int:
    """How many steps (Step calls) a task's measurement takes, loading included: for progress."""
    runs = WARMUP + REPS
    if task in ("llm", "vlm"):
        return 1 + len(CALIBRATION) + 1 + runs
    if task in ("embedding", "rerank"):
        return 1 + 2 * runs
    return 1 + runs


def repeat(
    run: Callable[[], T], step: Step, what: str = "", warmup: int = WARMUP, reps: int = REPS
) -> list[T]:
    """`run()` `warmup` times (results dropped: compiling, caches, first allocations), then `reps`
    times; the repetitions' results."""
    prefix = f"{what}: " if what else ""
    kept = []
    for index in range(warmup + reps):
        if index < warmup:
            step(f"{prefix}warm-up")
        else:
            step(f"{prefix}repetition {index - warmup + 1} of {reps}")
        result = run()
        if index >= warmup:
            kept.append(result)
    return kept


# -- generation ------------------------------------------------------------------------------------


def prompt_text(nonce: int, words: int) -> str:
    """ "Sample <nonce>." and `words` words of FILLER (repeated as needed)."""
    return " ".join([f"Sample {nonce}.", *(FILLER[i % len(FILLER)] for i in range(words))])


def sized_words(count: Callable[[str], int], max_chars: int, target: int = PROMPT_TOKENS) -> int:
    """How many words of FILLER make a prompt of about `target` tokens, by the model's own count
    (`count(prompt)`; 0 when the model does not say): a line through two counts, checked once and
    corrected once. Never more than `max_chars` characters (the model's input limit)."""
    longest = max(len(word) for word in FILLER) + 1
    most = max(1, (max_chars - len(prompt_text(999_999, 0))) // longest)
    low, high = CALIBRATION
    a, b = count(prompt_text(0, low)), count(prompt_text(1, high))
    if a <= 0 or b <= a:  # no count: estimate from the characters
        average = sum(len(word) + 1 for word in FILLER) / len(FILLER)
        return min(most, max(1, round(target * CHARS_PER_TOKEN / average)))
    per_word = (b - a) / (high - low)
    words = min(most, max(1, round(low + (target - a) / per_word)))
    got = count(prompt_text(2, words))
    if got > 0 and abs(got - target) > TOLERANCE * target:
        words = min(most, max(1, round(words + (target - got) / per_word)))
    return words


def measure_generation(generate: Generate, max_chars: int, new_tokens: int, step: Step) -> Measurement:
    """TTFT of a PROMPT_TOKENS-token prompt and the decode rate over `new_tokens` tokens."""
    calls = iter(range(len(CALIBRATION) + 1))

    def count(prompt: str) -> int:
        if next(calls, None) is not None:
            step("sizing the prompt")
        return generate(prompt, 1).input_tokens

    words = sized_words(count, max_chars)
    nonces = iter(range(100, 100 + WARMUP + REPS))
    runs = repeat(lambda: generate(prompt_text(next(nonces), words), new_tokens), step)
    figures = (
        Figure.of("ttft_ms", f"TTFT, {PROMPT_TOKENS}-token prompt", "ms", "lower", [m.ttft_ms for m in runs]),
        Figure.of(
            "decode_tok_s", f"decode, {new_tokens} tokens", "tok/s", "higher", [m.tokens_per_s for m in runs]
        ),
    )
    setup = (
        ("prompt_tokens", _median_int([m.input_tokens for m in runs])),
        ("new_tokens", _median_int([m.generated_tokens for m in runs])),
    )
    return Measurement(figures, setup)


# -- speech ----------------------------------------------------------------------------------------


def measure_realtime(run: Realtime, step: Step, what: str) -> Measurement:
    """The real-time factor of `run` (processing seconds / audio seconds; lower is better)."""
    runs = repeat(run, step)
    rtf = [processing / audio if audio > 0 else 0.0 for processing, audio in runs]
    figure = Figure.of("rtf", "real-time factor (processing / audio)", "x", "lower", rtf)
    return Measurement((figure,), (("input", what), ("audio_s", round(runs[-1][1], 2))))


# -- retrieval -------------------------------------------------------------------------------------


def measure_throughput(process: Process, texts: Sequence[str], step: Step) -> Measurement:
    """Texts per second at batch 1 (one call per text) and at batch len(texts) (one call)."""
    texts = list(texts)

    def one_by_one() -> float:
        started = time.perf_counter()
        for text in texts:
            process([text])
        return len(texts) / max(time.perf_counter() - started, 1e-9)

    def all_at_once() -> float:
        started = time.perf_counter()
        process(texts)
        return len(texts) / max(time.perf_counter() - started, 1e-9)

    figures = (
        Figure.of("texts_per_s_batch1", "batch 1", "texts/s", "higher", repeat(one_by_one, step, "batch 1")),
        Figure.of(
            f"texts_per_s_batch{len(texts)}",
            f"batch {len(texts)}",
            "texts/s",
            "higher",
            repeat(all_at_once, step, f"batch {len(texts)}"),
        ),
    )
    return Measurement(figures, (("texts", len(texts)),))


def _median_int(values: list[int]) -> int:
    return int(statistics.median_low(values)) if values else 0
