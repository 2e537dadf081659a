"""The Vision tab: show an image (upload, paste or webcam), ask about it, follow up; streamed, with
Stop, sampling controls and a TTFT / tokens-per-second readout; retry, undo, edit and copy as in Chat.
Example images (colours the demo model names, a photo for real models) are answered with one click."""

from typing import Any

import gradio as gr

from .. import examples
from ..api import API
from ..api.chat import conversation
from ..api.errors import as_gradio_error
from ..errors import UserError
from ..service import DescribeRequest
from ..service.requests import IMAGE_ROLES
from .common import (
    GLUE,
    PROGRESS,
    SessionCancels,
    deferred,
    earlier_turns,
    example_inputs,
    first_model_spec,
    model_dropdown,
    queue_place,
    reporting_place,
    sampling_controls,
    sampling_values,
    stream_reply,
)
from .conversation import wire_history_events


def model_note(api: API, name: str | None) -> str:
    """A warning line for models whose description calls them a demo; empty otherwise."""
    if not name:
        return "No vision model is configured; add a `task: vlm` model to models.yaml."
    try:
        description = api.service.model_spec(name, "vlm").description
    except UserError:  # a name the pool does not know (e.g. a stale dropdown value): no note
        return ""
    if "demo" in description.lower():
        return f"⚠️ **Demo model.** {description}"
    return ""


def image_readout(api: API, image: str | None, model: str | None) -> str:
    if not image:
        return ""
    try:
        prepared = api.service.inspect_image(image, model)
    except Exception as exc:
        return f"⚠️ {as_gradio_error(exc).message}"
    w, h = prepared.original_size
    if prepared.resized:
        sw, sh = prepared.size
        return f"image {w}×{h}, scaled down to {sw}×{sh} for the model"
    return f"image {w}×{h}"


def build_vision_tab(api: API) -> None:
    service = api.service
    first = first_model_spec(service, "vlm")
    cancels = SessionCancels()

    with gr.Row():
        model = model_dropdown(service, "vlm", elem_id="vision-model")
    note = gr.Markdown(model_note(api, model.value), elem_id="vision-model-note")
    with gr.Row():
        with gr.Column(scale=2):
            image = gr.Image(
                sources=["upload", "clipboard", "webcam"],
                type="filepath",
                image_mode=None,  # the file as uploaded: openvino_ui.images converts and rotates it
                label="Image (upload, paste or webcam)",
                elem_id="vision-image",
                height=360,
            )
            image_info = gr.Markdown("", elem_id="vision-image-info")
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Conversation about the image",
                height=360,
                elem_id="vision-history",
                editable="user",
                buttons=["copy", "copy_all"],
            )
            with gr.Row():
                question = gr.Textbox(
                    placeholder="Ask about the image, e.g. What color is this?",
                    label="Question",  # shown only as the examples' column heading
                    show_label=False,
                    scale=6,
                    elem_id="vision-question",
                )
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="vision-send", min_width=70)
                stop = gr.Button("Stop", variant="stop", scale=1, elem_id="vision-stop", min_width=70)
                clear = gr.Button("Clear", scale=1, elem_id="vision-clear", min_width=70)
            readout = gr.Markdown("", elem_id="vision-readout")
    example_pictures = example_inputs(
        examples.vision_examples(),
        [image, question],
        "vision-examples",
        label="Examples (click one to ask about it)",
    )
    with gr.Accordion("Settings", open=False):
        sampling = sampling_controls(first, "vision")

    pending = gr.State("")
    about = gr.State(None)  # the picture the conversation is about

    def take_question(
        text: str, picture: str | None, history: list[Any] | None, subject: str | None
    ) -> tuple[str, list[Any], str, str]:
        if not picture:
            raise gr.Error("No image yet: upload, paste or capture one first.", title="Invalid input")
        if not (text or "").strip():
            raise gr.Error("The question is empty; type a question about the image.", title="Invalid input")
        earlier = (history or []) if picture == subject else []  # another picture: a new conversation
        return "", earlier + [{"role": "user", "content": text}], text, picture

    def take_example(text: str, picture: str | None) -> tuple[str, list[Any], str, str]:
        return take_question(text, picture, [], None)

    def respond(
        text: str,
        picture: str | None,
        history: list[Any] | None,
        model_name: str,
        max_new: float,
        temp: float,
        p: float,
        k: float,
        rep: float,
        seed_value: float | None,
        request: gr.Request,
        progress: gr.Progress = PROGRESS,  # injected by Gradio
    ) -> Any:
        cancel = cancels.begin(request)

        def start() -> Any:
            sampling = sampling_values(max_new, temp, p, k, rep, seed_value)
            turns = conversation(text, earlier_turns(history), IMAGE_ROLES)
            ask = service.request(
                DescribeRequest, model=model_name, image=picture, messages=turns, sampling=sampling
            )
            return service.describe(ask, cancel)

        events = reporting_place(deferred(start), queue_place(progress, model_name))
        yield from stream_reply(events, history)

    inputs = [pending, image, chatbot, model, *sampling]

    def reply(event: Any) -> Any:
        return event.success(respond, inputs, [chatbot, readout], concurrency_limit=None, **GLUE)

    taken = [question, chatbot, pending, about]
    for trigger in (question.submit, send.click):
        reply(trigger(take_question, [question, image, chatbot, about], taken, **GLUE))
    if example_pictures is not None:  # a click asks the example's question about its picture
        reply(example_pictures.load_input_event.then(take_example, [question, image], taken, **GLUE))
    wire_history_events(chatbot, question, pending, reply)
    # Stop sets this session's cancel flag: generation ends at the next token and the final
    # readout still arrives (cancelling the Gradio event would drop it).
    stop.click(cancels.cancel, None, None, queue=False, **GLUE)
    clear.click(lambda: ([], "", ""), None, [chatbot, readout, question], queue=False, **GLUE)
    chatbot.clear(lambda: "", None, readout, queue=False, **GLUE)  # the chat's own trash button
    # A new picture starts a new conversation: earlier answers were about the old one. Only the
    # user's own upload or clear empties the chat at once (an example fills the image and asks in
    # one go; a change event would race with its answer); take_question covers any other way in.
    image.change(lambda picture, name: image_readout(api, picture, name), [image, model], image_info, **GLUE)
    for user_action in (image.upload, image.clear):
        user_action(lambda: ([], ""), None, [chatbot, readout], queue=False, **GLUE)
    model.change(lambda name: model_note(api, name), model, note, queue=False, **GLUE)
