"""The Speech recognition tab: upload or record audio, transcribe or translate it with Whisper,
show the text, a table of timed segments, SRT/VTT downloads and the real-time factor. Example clips
(English, German) transcribe with one click."""

from typing import Any

import gradio as gr

from .. import examples
from ..api import API
from ..api.asr import subtitle_files
from ..api.errors import as_gradio_error
from ..engines.admission import report_place
from ..languages import WHISPER_LANGUAGES
from ..service import ASROptions, TranscribeRequest
from .common import DOWNLOAD_CLASS, GLUE, PROGRESS, example_inputs, model_dropdown, queue_place

SEGMENT_HEADERS = ["start (s)", "end (s)", "text"]
AUTO = [("Auto-detect", "auto")]
ENGLISH_ONLY = "This model is English-only: it cannot take a language or translate."
MAX_BEAMS_SHOWN = 10  # the API takes up to 16; more than 10 beams rarely changes a transcript


def control_settings(api: API, model: str | None) -> tuple[dict[str, Any], ...]:
    """Settings of the language, task, timestamps and beam controls for `model`: the language is
    disabled, with the reason, for English-only models; 'word' needs the model's alignment heads;
    the beams start at the model's own beam_size."""
    try:
        options = api.service.asr_options(model)
    except Exception:  # no asr model configured: plain defaults
        options = ASROptions(multilingual=True, languages=(), can_translate=True, word_timestamps=True)
    if options.multilingual:
        choices = AUTO + [(f"{WHISPER_LANGUAGES.get(c, c)} ({c})", c) for c in options.languages]
        language = dict(
            choices=choices, value="auto", interactive=True, info="Auto-detect unless it guesses wrong."
        )
    else:
        language = dict(choices=AUTO, value="auto", interactive=False, info=ENGLISH_ONLY)
    tasks = ["transcribe", "translate"] if options.can_translate else ["transcribe"]
    task = dict(choices=tasks, value="transcribe", interactive=len(tasks) > 1)
    stamps = ["none", "segment", "word"] if options.word_timestamps else ["none", "segment"]
    return language, task, dict(choices=stamps, value="segment"), dict(value=options.beam_size)


def readout(result: Any) -> str:
    speed = f" ({1 / result.rtf:.1f}× real time)" if result.rtf else ""
    language = f" · language **{result.language}**" if result.language else ""
    return (
        f"audio **{result.duration_s:.2f} s** · processing **{result.processing_s:.2f} s** · "
        f"real-time factor **{result.rtf:.3f}**{speed}{language} · device **{result.device}**"
    )


def build_asr_tab(api: API) -> None:
    names = api.service.model_names("asr")
    lang_kw, task_kw, stamps_kw, beams_kw = control_settings(api, names[0] if names else None)
    with gr.Row():
        model = model_dropdown(api.service, "asr", elem_id="asr-model")
    with gr.Row():
        with gr.Column(scale=1):
            audio = gr.Audio(
                sources=["upload", "microphone"], type="filepath", label="Audio", elem_id="asr-audio"
            )
            with gr.Row():
                language = gr.Dropdown(label="Language", elem_id="asr-language", **lang_kw)
                task = gr.Radio(label="Task", elem_id="asr-task", **task_kw)
            with gr.Row():
                timestamps = gr.Radio(label="Timestamps", elem_id="asr-timestamps", **stamps_kw)
                beams = gr.Slider(
                    1,
                    MAX_BEAMS_SHOWN,
                    step=1,
                    label="Beam size",
                    info="1 is greedy and the fastest; 5 (faster-whisper's default) can be more accurate.",
                    elem_id="asr-beams",
                    **beams_kw,
                )
            run = gr.Button("Transcribe", variant="primary", elem_id="asr-run")
            clips = examples.asr_examples()
            example_clips = example_inputs(
                [path for path, _ in clips],
                [audio],
                "asr-examples",
                labels=[label for _, label in clips],
                label="Examples (click one to transcribe it, language auto-detected)",
            )
        with gr.Column(scale=1):
            text = gr.Textbox(label="Transcript", lines=6, buttons=["copy"], elem_id="asr-text")
            readout_md = gr.Markdown("", elem_id="asr-readout")
            table = gr.Dataframe(
                headers=SEGMENT_HEADERS,
                interactive=False,
                wrap=True,
                label="Segments",
                elem_id="asr-segments",
            )
            with gr.Row():
                srt = gr.File(label="SubRip (.srt)", elem_classes=[DOWNLOAD_CLASS], elem_id="asr-srt")
                vtt = gr.File(label="WebVTT (.vtt)", elem_classes=[DOWNLOAD_CLASS], elem_id="asr-vtt")

    def do_transcribe(
        path: str | None,
        name: str,
        lang: str,
        mode: str,
        stamps: str,
        beam_size: float,
        progress: gr.Progress = PROGRESS,  # injected by Gradio
    ) -> tuple[Any, ...]:
        try:
            request = api.service.request(
                TranscribeRequest,
                audio=path,
                model=name,
                language=lang,
                task=mode,
                timestamps=stamps,
                beam_size=int(beam_size),
            )
            with report_place(queue_place(progress, name)):
                result = api.service.transcribe(request)
        except Exception as exc:
            raise as_gradio_error(exc) from exc
        rows = result.words if stamps == "word" else result.segments
        srt_path, vtt_path = subtitle_files(result.segments)
        table_rows = [[f"{start:.2f}", f"{end:.2f}", words] for start, end, words in rows]
        files = [str(p) if p else None for p in (srt_path, vtt_path)]  # gr.File wants str, not Path
        return result.text, table_rows, *files, readout(result)

    def on_model(name: str) -> tuple[Any, ...]:
        return tuple(gr.update(**kw) for kw in control_settings(api, name))

    inputs = [audio, model, language, task, timestamps, beams]
    outputs = [text, table, srt, vtt, readout_md]
    run.click(do_transcribe, inputs, outputs, concurrency_limit=None, **GLUE)
    if example_clips is not None:  # a click transcribes the clip in its own language
        example_clips.load_input_event.then(
            lambda: ("auto", "transcribe"), None, [language, task], queue=False, **GLUE
        ).then(do_transcribe, inputs, outputs, concurrency_limit=None, **GLUE)
    model.change(on_model, [model], [language, task, timestamps, beams], queue=False, **GLUE)
