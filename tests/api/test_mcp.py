"""Gradio's MCP server on the served app, driven with the official `mcp` client SDK.

The task endpoints are tools (with their docstrings); the management endpoints are not, and cannot
be called through MCP. Files reach a tool as a base64 `data:` URL (Gradio's MCP server uploads it);
a plain URL is refused by our rule that every file is uploaded to this server.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np
import soundfile as sf
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

TASK_TOOLS = {"chat", "describe", "transcribe", "speak", "embed", "rerank"}
MANAGEMENT = {"models", "devices", "load_model", "unload_model", "stats"}


def with_session(app_url: str, work: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """Run `work` in an initialised MCP session on the app's streamable HTTP endpoint."""

    async def main() -> Any:
        async with httpx.AsyncClient(timeout=httpx.Timeout(120)) as http:
            async with streamable_http_client(app_url + "gradio_api/mcp/", http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(asyncio.wait_for(main(), timeout=300))


def text_of(result: Any) -> str:
    return "".join(getattr(part, "text", "") for part in result.content)


def test_the_task_endpoints_are_tools_and_management_is_not(app_url):
    async def work(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in with_session(app_url, work)}
    assert set(tools) == TASK_TOOLS
    assert tools["embed"].description.startswith("Embed texts as vectors")
    assert "texts" in tools["embed"].inputSchema["properties"]
    schema = httpx.get(app_url + "gradio_api/mcp/schema").json()
    assert {tool["name"] for tool in schema} == TASK_TOOLS


def test_embed_through_mcp(app_url):
    async def work(session: ClientSession) -> Any:
        return await session.call_tool("embed", {"texts": ["hello", "world"], "model": "tiny-embed"})

    result = with_session(app_url, work)
    assert not result.isError, text_of(result)
    vectors = json.loads(text_of(result))
    assert len(vectors) == 2 and len(vectors[0]) == len(vectors[1]) > 0


def test_transcribe_takes_a_base64_wav_and_refuses_a_url(app_url):
    buffer = io.BytesIO()
    t = np.arange(16000) / 16000
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * 220 * t), 16000, format="WAV")
    wav = "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()

    async def work(session: ClientSession) -> Any:
        uploaded = await session.call_tool("transcribe", {"audio": wav, "model": "tiny-asr"})
        linked = await session.call_tool(
            "transcribe", {"audio": "http://127.0.0.1:9/x.wav", "model": "tiny-asr"}
        )
        return uploaded, linked

    uploaded, linked = with_session(app_url, work)
    assert not uploaded.isError, text_of(uploaded)
    assert "duration_s" in text_of(uploaded)  # the info dict, after text, segments and subtitles
    assert linked.isError and "must be uploaded to this server" in text_of(linked)


def test_management_cannot_be_called_through_mcp(app_url):
    async def work(session: ClientSession) -> Any:
        return [
            await session.call_tool(name, {"name": "tiny-embed"}) for name in ("load_model", "unload_model")
        ]

    for result in with_session(app_url, work):
        assert result.isError and "Unknown tool" in text_of(result)


def test_no_tool_call_puts_its_arguments_or_tool_name_in_the_log(app_url, capfd):
    marker = "zq7MCPMARKERx41"
    records: list[logging.LogRecord] = []
    keep = logging.Handler(logging.DEBUG)
    keep.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(keep)

    async def work(session: ClientSession) -> Any:
        return [
            await session.call_tool("embed", {"texts": [marker], "model": "tiny-embed"}),
            await session.call_tool("embed", {"texts": [marker], "model": marker}),
            await session.call_tool("transcribe", {"audio": f"http://{marker}/x.wav", "model": "tiny-asr"}),
            await session.call_tool(marker, {"text": marker}),
        ]

    try:
        results = with_session(app_url, work)
    finally:
        root.removeHandler(keep)
    assert [r.isError for r in results] == [False, True, True, True]
    logged = [r.getMessage() for r in records if r.levelno > logging.DEBUG]
    assert not [line for line in logged if marker in line]
    out, err = capfd.readouterr()
    assert marker not in out and marker not in err
