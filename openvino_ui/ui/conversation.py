"""What the chat-like tabs (Chat, Vision) share beyond streaming: retry, undo and edit of a
gr.Chatbot conversation. The history functions are pure; `wire_history_events` attaches them."""

from collections.abc import Callable
from typing import Any

import gradio as gr

from .common import GLUE, _text_of

Message = dict[str, Any]


def _role(message: Any) -> str | None:
    return message.get("role") if isinstance(message, dict) else getattr(message, "role", None)


def _content(message: Any) -> Any:
    return message.get("content") if isinstance(message, dict) else getattr(message, "content", "")


def user_message(text: str) -> Message:
    return {"role": "user", "content": text}


def pop_last_exchange(history: list[Any] | None) -> tuple[list[Any], str]:
    """The history without its last user message(s) and the replies after them, and that message's
    text: what Undo takes away and puts back in the input box, and what Retry asks again."""
    messages = list(history or [])
    end = len(messages)
    while end > 0 and _role(messages[end - 1]) != "user":
        end -= 1
    start = end
    while start > 0 and _role(messages[start - 1]) == "user":
        start -= 1
    text = "".join(_text_of(_content(m)) for m in messages[start:end])
    return messages[:start], text


def retry_history(history: list[Any] | None) -> tuple[list[Any], str]:
    """(history ending with the last user message, its text): the reply after it is made again."""
    earlier, text = pop_last_exchange(history)
    if not text.strip():
        raise gr.Error("There is no message to retry yet.", title="Invalid input")
    return earlier + [user_message(text)], text


def edit_history(
    history: list[Any] | None, index: int | tuple[int, int] | list[int], text: str
) -> tuple[list[Any], str]:
    """(history up to the edited user message, which now says `text`; `text`): everything after the
    edited message is dropped and the reply is made again from there."""
    if not (text or "").strip():
        raise gr.Error("The edited message is empty; type some text.", title="Invalid input")
    position = index[0] if isinstance(index, (list, tuple)) else index
    return list(history or [])[: int(position)] + [user_message(text)], text


def wire_history_events(
    chatbot: gr.Chatbot,
    message: gr.Textbox,
    pending: gr.State,
    reply: Callable[[Any], Any],
    after: Callable[[Any], Any] = lambda event: event,
) -> None:
    """Retry, undo and edit on `chatbot`. Retry and edit put the question in `pending` and then
    `reply(event)` chains the streamed answer; undo puts the last question back in `message`.
    `after(event)` chains what follows any change of the history (e.g. saving it)."""

    def on_retry(history: list[Any] | None, _: gr.RetryData) -> tuple[list[Any], str]:
        return retry_history(history)

    def on_edit(history: list[Any] | None, data: gr.EditData) -> tuple[list[Any], str]:
        return edit_history(history, data.index, _text_of(data.value))

    def on_undo(history: list[Any] | None, _: gr.UndoData) -> tuple[list[Any], str]:
        return pop_last_exchange(history)

    reply(chatbot.retry(on_retry, [chatbot], [chatbot, pending], queue=False, **GLUE))
    reply(chatbot.edit(on_edit, [chatbot], [chatbot, pending], queue=False, **GLUE))
    after(chatbot.undo(on_undo, [chatbot], [chatbot, message], queue=False, **GLUE))
