"""Clients of the in-process app's OpenAI-compatible routes, shared by the REST tests."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import openai
import pytest
from gradio_client import Client


@pytest.fixture(scope="module")
def sdk(app_url):
    """The official openai SDK pointed at the app's /v1 (no key configured, no retries)."""
    with openai.OpenAI(base_url=app_url + "v1", api_key="any", max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def http(app_url):
    """A plain httpx client on the app's /v1/, for what the SDK cannot send (malformed bodies)."""
    with httpx.Client(base_url=app_url + "v1/", timeout=120) as client:
        yield client


# For a test module that launches an app of its own as its `app` fixture:


@pytest.fixture(scope="module")
def api(app: SimpleNamespace) -> Client:
    """gradio_client on the module's own app."""
    return Client(app.url, verbose=False)


@pytest.fixture(scope="module")
def rest(app: SimpleNamespace) -> Iterator[httpx.Client]:
    """httpx on the module's own app's /v1/."""
    with httpx.Client(base_url=app.url + "v1/", timeout=120) as client:
        yield client
