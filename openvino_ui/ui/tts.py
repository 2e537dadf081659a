"""The Text to speech tab: text, model, voice, speed and language in; an audio player, a WAV download
and the synthesis time and real-time factor out. Example sentences speak with one click."""

from typing import Any

import gradio as gr

from .. import examples
from ..api import API
from ..api.errors import as_gradio_error
from ..audio import write_wav
from ..engines.admission import report_place
from ..service import SpeakRequest
from .common import DOWNLOAD_CLASS, GLUE, PROGRESS, example_inputs, model_dropdown, queue_place

SPEED_ONLY_KOKORO = "SpeechT5 models speak at one speed only."


def control_settings(api: API, model: str | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Settings of the voice, speed and language controls for `model` (voices found beside it)."""
    try:
        options = api.service.tts_options(model)
    except Exception:  # no tts model configured
        return dict(choices=[], value=None), dict(value=1.0), dict(choices=[], value=None)
    voice = dict(choices=list(options.voices), value=options.default_voice)
    if options.speed:
        speed = dict(value=1.0, interactive=True, info="0.5 = slower, 2 = faster")
    else:
        speed = dict(value=1.0, interactive=False, info=SPEED_ONLY_KOKORO)
    languages = [(f"{name} ({code})", code) for code, name in options.languages]
    language = dict(choices=languages, value=options.default_language, interactive=len(languages) > 1)
    return voice, speed, language


def readout(speech: Any) -> str:
    return (
        f"audio **{speech.duration_s:.2f} s** at {speech.sample_rate} Hz · "
        f"synthesis **{speech.synthesis_s:.2f} s** · "
        f"real-time factor **{speech.rtf:.3f}** · {speech.pieces} piece(s) · device **{speech.device}**"
    )


def build_tts_tab(api: API) -> None:
    names = api.service.model_names("tts")
    voice_kw, speed_kw, lang_kw = control_settings(api, names[0] if names else None)
    with gr.Row():
        model = model_dropdown(api.service, "tts", elem_id="tts-model")
    text = gr.Textbox(
        label="Text",
        lines=5,
        placeholder="Type what to say. Long text is spoken sentence by sentence.",
        elem_id="tts-text",
    )
    with gr.Row():
        voice = gr.Dropdown(label="Voice", elem_id="tts-voice", **voice_kw)
        speed = gr.Slider(0.5, 2.0, step=0.05, label="Speed", elem_id="tts-speed", **speed_kw)
        language = gr.Dropdown(label="Language", elem_id="tts-language", **lang_kw)
    run = gr.Button("Speak", variant="primary", elem_id="tts-run")
    example_texts = example_inputs(
        examples.tts_examples(), [text], "tts-examples", label="Examples (click one to hear it)"
    )
    audio = gr.Audio(label="Speech", type="filepath", format="wav", interactive=False, elem_id="tts-audio")
    with gr.Row():
        wav = gr.File(label="WAV", elem_classes=[DOWNLOAD_CLASS], elem_id="tts-wav")
    readout_md = gr.Markdown("", elem_id="tts-readout")

    def do_speak(
        words: str,
        name: str,
        who: str | None,
        rate: float,
        lang: str | None,
        progress: gr.Progress = PROGRESS,  # injected by Gradio
    ) -> tuple[Any, ...]:
        try:
            request = api.service.request(
                SpeakRequest, text=words, model=name, voice=who, speed=rate, language=lang
            )
            # a long text waits again between its sentences when others wait: shown the same way
            with report_place(queue_place(progress, name)):
                speech = api.service.speak(request)
        except Exception as exc:
            raise as_gradio_error(exc) from exc
        path = str(write_wav(speech.samples, speech.sample_rate))
        return path, path, readout(speech)

    def on_model(name: str) -> tuple[Any, Any, Any]:
        return tuple(gr.update(**kw) for kw in control_settings(api, name))  # type: ignore[return-value]

    inputs = [text, model, voice, speed, language]
    outputs = [audio, wav, readout_md]
    run.click(do_speak, inputs, outputs, concurrency_limit=None, **GLUE)
    if example_texts is not None:
        example_texts.load_input_event.then(do_speak, inputs, outputs, concurrency_limit=None, **GLUE)
    model.change(on_model, [model], [voice, speed, language], queue=False, **GLUE)
