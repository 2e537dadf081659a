"""What the device benchmark runs on each task's engine: its inputs built with the service's
request types (the checks a user's request gets) from the example files in assets/, and the one
call per repetition that device_bench measures (openvino_ui/device_bench/measure.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .. import examples
from ..config import EmbeddingSpec, LLMSpec, RerankSpec, VLMSpec
from ..device_bench import (
    BATCH,
    NEW_TOKENS,
    Generate,
    Measurement,
    Process,
    Realtime,
    Step,
    measure_generation,
    measure_realtime,
    measure_throughput,
)
from ..engines.base import Engine
from ..errors import InvalidInput, UserError
from ..generation import Finished, StreamEvent
from ..images import prepare_image
from ..stats import GenerationMetrics
from .requests import (
    CompletionRequest,
    DescribeRequest,
    EmbedRequest,
    RerankRequest,
    SpeakRequest,
    TranscribeRequest,
)
from .sampling import generation_params
from .speech import read_audio

if TYPE_CHECKING:  # the engine modules import openvino_genai: only their types are needed here
    from ..engines.asr import ASREngine
    from ..engines.embedding import EmbeddingEngine
    from ..engines.llm import LLMEngine
    from ..engines.rerank import RerankEngine
    from ..engines.tts import TTSEngine
    from ..engines.vlm import VLMEngine

SPEECH_CLIP = "speech-en.wav"
# The inputs where assets/ is missing (a wheel without the checkout's examples).
SENTENCE = "The quick brown fox jumps over the lazy dog."
QUERY = "What is the capital of France?"
TEXTS = ("Paris is the capital of France.", "A man is riding a horse.", "The sky is blue today.")


def measure(engine: Engine, step: Step) -> Measurement:
    """The figures of `engine`'s task (loaded), measured with inputs built by the request types."""
    spec = engine.spec
    if isinstance(spec, LLMSpec):
        new_tokens = min(NEW_TOKENS, spec.limits.max_new_tokens)
        return measure_generation(
            _llm(cast("LLMEngine", engine), spec), spec.limits.max_input_chars, new_tokens, step
        )
    if isinstance(spec, VLMSpec):
        new_tokens = min(NEW_TOKENS, spec.limits.max_new_tokens)
        return measure_generation(
            _vlm(cast("VLMEngine", engine), spec), spec.limits.max_input_chars, new_tokens, step
        )
    if spec.task == "asr":
        return measure_realtime(_transcription(cast("ASREngine", engine)), step, SPEECH_CLIP)
    if spec.task == "tts":
        run, source = _speech(cast("TTSEngine", engine))
        return measure_realtime(run, step, source)
    if isinstance(spec, EmbeddingSpec):
        return measure_throughput(_embedding(cast("EmbeddingEngine", engine), spec), _texts(), step)
    if isinstance(spec, RerankSpec):
        return measure_throughput(_rerank(cast("RerankEngine", engine), spec), _texts(), step)
    raise InvalidInput(f"Models of task {spec.task!r} cannot be benchmarked.", param="name")


def _sampling(new_tokens: int) -> dict[str, Any]:
    """Greedy, no penalty, exactly `new_tokens` tokens: the same work on every device."""
    return {"max_new_tokens": new_tokens, "temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True}


def _finished(events: Iterator[StreamEvent]) -> GenerationMetrics:
    last = None
    for event in events:
        last = event
    if not isinstance(last, Finished):
        raise RuntimeError("the generation ended without its Finished event")
    return last.metrics


def _llm(engine: LLMEngine, spec: LLMSpec) -> Generate:
    def generate(prompt: str, new_tokens: int) -> GenerationMetrics:
        request = CompletionRequest.of(spec, model=engine.name, prompt=prompt, sampling=_sampling(new_tokens))
        return _finished(engine.complete(request.prompt, generation_params(spec, request.sampling)))

    return generate


def _vlm(engine: VLMEngine, spec: VLMSpec) -> Generate:
    picture = examples.asset("cat.jpg")
    source: Any = str(picture) if picture.is_file() else np.full((300, 450, 3), 127, np.uint8)
    pixels = prepare_image(source, spec.max_image_side).pixels  # decoded once, not per repetition

    def generate(prompt: str, new_tokens: int) -> GenerationMetrics:
        request = DescribeRequest.of(
            spec,
            model=engine.name,
            image=pixels,
            messages=[{"role": "user", "content": prompt}],
            sampling=_sampling(new_tokens),
        )
        params = generation_params(spec, request.sampling)
        return _finished(engine.stream(request.prompt_turns(spec), [pixels], params))

    return generate


def _transcription(engine: ASREngine) -> Realtime:
    clip = examples.asset(SPEECH_CLIP)
    if not clip.is_file():
        raise UserError(
            f"The benchmark clip {SPEECH_CLIP} is not in {examples.assets_dir()} (set "
            f"{examples.ASSETS_ENV} to the assets folder of a checkout)."
        )
    request = TranscribeRequest.of(engine.spec, model=engine.name, audio=str(clip))
    samples = read_audio(request.audio, engine.spec.max_audio_s)

    def run() -> tuple[float, float]:
        transcript = engine.transcribe(
            samples, language=request.language, task=request.task, timestamps=request.timestamps
        )
        return transcript.processing_s, transcript.duration_s

    return run


def _speech(engine: TTSEngine) -> tuple[Realtime, str]:
    available = examples.asset(examples.TTS_SENTENCES).is_file()
    text = examples.lines(examples.TTS_SENTENCES)[0] if available else SENTENCE
    request = SpeakRequest.of(engine.spec, model=engine.name, text=text)
    engine.check_request(request.text, request.voice, request.speed, request.language)

    def run() -> tuple[float, float]:
        speech = engine.synthesize(
            request.text, voice=request.voice, speed=request.speed, language=request.language
        )
        return speech.synthesis_s, speech.duration_s

    return run, f"{examples.TTS_SENTENCES}, line 1" if available else "a built-in sentence"


def _texts() -> list[str]:
    """BATCH different short texts (the Embeddings examples, numbered)."""
    file = examples.asset(examples.EMBEDDING_TEXTS)
    base = examples.lines(examples.EMBEDDING_TEXTS) if file.is_file() else list(TEXTS)
    return [f"{base[i % len(base)]} ({i + 1})" for i in range(BATCH)]


def _embedding(engine: EmbeddingEngine, spec: EmbeddingSpec) -> Process:
    # A batch of BATCH even where models.yaml allows API clients fewer texts per request: the
    # benchmark measures what the model can do, the limit is for requests.
    roomy = spec.model_copy(update={"max_texts": max(spec.max_texts, BATCH)})

    def process(texts: Sequence[str]) -> object:
        request = EmbedRequest.of(roomy, model=engine.name, texts=list(texts))
        return engine.embed(request.texts, kind=request.kind)

    return process


def _rerank(engine: RerankEngine, spec: RerankSpec) -> Process:
    roomy = spec.model_copy(update={"max_documents": max(spec.max_documents, BATCH)})
    query = (
        examples.lines(examples.RERANK_QUERY)[0] if examples.asset(examples.RERANK_QUERY).is_file() else QUERY
    )

    def process(documents: Sequence[str]) -> object:
        request = RerankRequest.of(roomy, model=engine.name, query=query, documents=list(documents))
        return engine.rerank(request.query, request.documents, len(request.documents))

    return process
