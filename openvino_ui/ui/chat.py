"""The Chat tab: streaming chat with an `llm` model, Stop, Clear, system prompt, sampling controls."""

from typing import Any

import gradio as gr

from ..api import API
from .common import (
    GLUE,
    SessionCancels,
    earlier_turns,
    first_model_settings,
    model_dropdown,
    sampling_controls,
    sampling_values,
    stream_reply,
)


def build_chat_tab(api: API) -> None:
    pool = api.pool
    first, gen, limit = first_model_settings(pool, "llm")
    cancels = SessionCancels()

    with gr.Row():
        model = model_dropdown(pool, "llm")
    chatbot = gr.Chatbot(label="Conversation", height=420, elem_id="chat-history")
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
    with gr.Accordion("Settings", open=False, elem_id="chat-settings"):
        system_prompt = gr.Textbox(label="System prompt", value=first.system_prompt if first else "", lines=2)
        sampling = sampling_controls(gen, limit, "chat")

    pending = gr.State("")

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
    ) -> Any:
        cancel = cancels.begin(request)
        params = sampling_values(max_new, temp, p, k, rep, seed_value)
        events = api.chat.events(text, model_name, system, earlier_turns(history), params, cancel)
        yield from stream_reply(events, history)

    inputs = [pending, chatbot, model, system_prompt, *sampling]

    def model_defaults(model_name: str) -> tuple[Any, ...]:
        """Each model brings its own defaults and bounds from models.yaml."""
        spec = pool.get(model_name, "llm").spec
        g = spec.generation
        return (
            spec.system_prompt,
            gr.Slider(maximum=spec.limits.max_new_tokens, value=g.max_new_tokens),
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
    for trigger in (message.submit, send.click):
        step = trigger(take_message, [message, chatbot], [message, chatbot, pending], **GLUE)
        step.then(respond, inputs, [chatbot, readout], concurrency_limit=None, **GLUE)
    # Stop sets this session's cancel flag: the engine ends generation at the next token and the
    # handler still yields its final readout. (Cancelling the Gradio event instead would drop it.)
    stop.click(cancels.cancel, None, None, queue=False, **GLUE)
    clear.click(lambda: ([], "", ""), None, [chatbot, readout, message], queue=False, **GLUE)
