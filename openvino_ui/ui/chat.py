"""The Chat tab: streaming chat with an `llm` model, Stop, Clear, system prompt, sampling controls,
example prompts, retry / undo / edit / copy, and a conversation kept in the browser across reloads."""

from typing import Any

import gradio as gr

from .. import examples
from ..api import API
from ..api.chat import conversation
from ..config import LLMSpec
from ..service import ChatRequest
from ..service.requests import ROLES
from ..service.sampling import default_max_new_tokens
from .common import (
    GLUE,
    PROGRESS,
    SessionCancels,
    TabEvents,
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

# The conversation is kept in this browser's localStorage (encrypted with a key made at each start):
# it survives a reload of the page until Clear, or until the server restarts.
STORAGE_KEY = "openvino-ui-chat"


def build_chat_tab(api: API) -> TabEvents:
    service = api.service
    first = first_model_spec(service, "llm")
    cancels = SessionCancels()

    with gr.Row():
        model = model_dropdown(service, "llm")
    chatbot = gr.Chatbot(
        label="Conversation",
        height=420,
        elem_id="chat-history",
        editable="user",
        buttons=["copy", "copy_all"],
        placeholder="Ask anything, or click an example below.",
    )
    with gr.Row():
        message = gr.Textbox(
            placeholder="Type a message and press Enter",
            show_label=False,
            scale=6,
            elem_id="chat-input",
            autofocus=True,
        )
        send = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send")
        stop = gr.Button("Stop", variant="stop", scale=1, elem_id="chat-stop")
        clear = gr.Button("Clear", scale=1, elem_id="chat-clear")
    readout = gr.Markdown("", elem_id="chat-readout")
    example_prompts = example_inputs(examples.chat_examples(), [message], "chat-examples")
    with gr.Accordion("Settings", open=False, elem_id="chat-settings"):
        system_prompt = gr.Textbox(
            label="System prompt", value=first.system_prompt if isinstance(first, LLMSpec) else "", lines=2
        )
        sampling = sampling_controls(first, "chat")

    pending = gr.State("")
    saved = gr.BrowserState([], storage_key=STORAGE_KEY)

    def take_message(text: str, history: list[Any] | None) -> tuple[str, list[Any], str]:
        if not (text or "").strip():
            raise gr.Error("The message is empty; type some text first.", title="Invalid input")
        return "", (history or []) + [{"role": "user", "content": text}], text

    def respond(
        text: str,
        history: list[Any] | None,
        model_name: str,
        system: str,
        max_new: float,
        temp: float,
        p: float,
        k: float,
        rep: float,
        seed_value: float | None,
        request: gr.Request,  # injected by Gradio (found by this annotation)
        progress: gr.Progress = PROGRESS,  # injected by Gradio too (found by this default)
    ) -> Any:
        cancel = cancels.begin(request)

        def start() -> Any:
            sampling = sampling_values(max_new, temp, p, k, rep, seed_value)
            turns = conversation(text, earlier_turns(history), ROLES, system)
            chat = service.request(ChatRequest, model=model_name, messages=turns, sampling=sampling)
            return service.chat(chat, cancel)

        events = reporting_place(deferred(start), queue_place(progress, model_name))
        yield from stream_reply(events, history)

    inputs = [pending, chatbot, model, system_prompt, *sampling]

    def model_defaults(model_name: str) -> tuple[Any, ...]:
        """Each model brings its own defaults and bounds from models.yaml."""
        spec = service.model_spec(model_name, "llm")
        assert isinstance(spec, LLMSpec)
        g = spec.generation
        return (
            spec.system_prompt,
            gr.Slider(maximum=spec.limits.max_new_tokens, value=default_max_new_tokens(spec)),
            g.temperature,
            g.top_p,
            g.top_k,
            g.repetition_penalty,
            -1 if g.seed is None else g.seed,
        )

    model.change(
        model_defaults,
        model,
        [system_prompt, *sampling],
        queue=False,
        **GLUE,
    )

    def after(event: Any) -> Any:
        """Store the conversation in the browser once it has changed."""
        return event.then(lambda history: history or [], chatbot, saved, queue=False, **GLUE)

    def reply(event: Any) -> Any:
        """Stream the answer to `pending` once `event` has put the question in the chat."""
        return after(event.success(respond, inputs, [chatbot, readout], concurrency_limit=None, **GLUE))

    take = dict(fn=take_message, inputs=[message, chatbot], outputs=[message, chatbot, pending], **GLUE)
    for trigger in (message.submit, send.click):
        reply(trigger(**take))
    if example_prompts is not None:  # a click asks the example at once
        reply(example_prompts.load_input_event.then(**take))
    wire_history_events(chatbot, message, pending, reply, after)
    # Stop sets this session's cancel flag: the engine ends generation at the next token and the
    # handler still yields its final readout. (Cancelling the Gradio event instead would drop it.)
    stop.click(cancels.cancel, None, None, queue=False, **GLUE)
    clear.click(lambda: ([], "", "", []), None, [chatbot, readout, message, saved], queue=False, **GLUE)
    # the chat's own trash button has emptied it already; forget the stored copy too
    chatbot.clear(lambda: ("", []), None, [readout, saved], queue=False, **GLUE)
    return TabEvents(on_page_load=[(lambda history: history or [], [saved], [chatbot])])
