"""LangChain's ChatOpenAI against /v1/chat/completions: a reply, a stream with usage
(stream_usage=True sends stream_options.include_usage), sync and async."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

FRANCE = "What is the capital of France?"


@pytest.fixture(scope="module")
def chat(app_url):
    return ChatOpenAI(
        base_url=app_url + "v1",
        api_key="any",
        model="tiny-chat",
        streaming=True,
        stream_usage=True,
        max_retries=0,
        max_tokens=32,
    )


def joined(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    return total


def test_invoke(chat):
    reply = chat.invoke([HumanMessage(FRANCE)])
    assert reply.content == "Paris."
    usage = reply.usage_metadata
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert reply.response_metadata["finish_reason"] == "stop"


def test_stream_with_usage(chat):
    chunks = list(chat.stream([SystemMessage("Answer briefly."), HumanMessage(FRANCE)]))
    whole = joined(chunks)
    assert isinstance(whole.content, str)
    assert whole.usage_metadata["output_tokens"] > 0
    assert whole.response_metadata["finish_reason"] == "stop"
    assert joined(list(chat.stream([HumanMessage(FRANCE)]))).content == "Paris."


def test_async_stream(chat):
    async def run() -> AIMessageChunk:
        return joined([chunk async for chunk in chat.astream([HumanMessage(FRANCE)])])

    whole = asyncio.run(run())
    assert whole.content == "Paris." and whole.usage_metadata["input_tokens"] > 0
