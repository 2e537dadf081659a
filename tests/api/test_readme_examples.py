"""The README's client examples, run as they are written against the app launched in-process.

Every fenced `bash` or `python` block directly preceded by a line `<!-- example: NAME -->` is an
example: its default URL and default model names are swapped for the test app's URL and the tiny
test models, it runs in a temporary folder (with `assets/` linked in, so `assets/speech-en.wav`
resolves; whatever it writes stays there) with `bash -e -o pipefail` or the venv's Python, and it
must exit 0 and produce what it says (CHECKS). The Open WebUI settings are not executable: their
routes are asked of the app and their model and voice names looked up in models.yaml."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import soundfile as sf
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEFAULT_URL = "http://127.0.0.1:7860"
# The default models the README names -> the tiny test models that stand in for them (TEST_MODELS).
MODELS = {
    "gemma-3-270m": "tiny-chat",
    "whisper-base": "tiny-asr",
    "kokoro-82m": "tiny-tts",
    "all-minilm-l6-v2": "tiny-embed",
    "minilm-reranker": "tiny-rerank",
}
# Kokoro's voice -> one of the tiny SpeechT5's (TTSEngine.voices(): "default" and voices/*.bin).
VOICES = {"jf_alpha": "default"}
TIMEOUT_S = 180

_EXAMPLE = re.compile(
    r"^<!-- example: (?P<name>[\w.-]+) -->\n```(?P<lang>bash|python)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Example:
    name: str
    lang: str
    code: str


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under `heading` (a whole line) up to the next heading of its level or above."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text[start:], re.M)]
    return text[start : start + ends[0]] if ends else text[start:]


def examples() -> list[Example]:
    return [Example(m["name"], m["lang"], m["code"]) for m in _EXAMPLE.finditer(readme())]


def for_tests(code: str, base_url: str) -> str:
    """`code` aimed at the test app: its URL, and the tiny models (and voice) for the defaults."""
    code = code.replace(DEFAULT_URL, base_url.rstrip("/"))
    for default, tiny in {**MODELS, **VOICES}.items():
        code = re.sub(rf"(?<![\w.-]){re.escape(default)}(?![\w-])", tiny, code)
    return code


def configured_models() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "models.yaml").read_text(encoding="utf-8"))["models"]


# -- what each example must produce (besides exiting 0) ------------------------------------------------


def _json_out(out: str) -> dict:
    return json.loads(out)


def _models(out: str, cwd: Path) -> None:
    ids = [entry["id"] for entry in _json_out(out)["data"]]
    assert set(MODELS.values()) <= set(ids)


def _sse(out: str, cwd: Path) -> None:
    events = [line.removeprefix("data: ") for line in out.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]", events[-3:]
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert "Paris" in text
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def _embeddings(out: str, cwd: Path) -> None:
    data = _json_out(out)["data"]
    assert len(data) == 2 and all(isinstance(x, float) for x in data[0]["embedding"])


def _rerank(out: str, cwd: Path) -> None:
    results = _json_out(out)["results"]
    assert len(results) == 1 and isinstance(results[0]["relevance_score"], float)


def _transcription(out: str, cwd: Path) -> None:
    assert isinstance(_json_out(out)["text"], str)


def _speech_file(out: str, cwd: Path) -> None:
    path = cwd / "speech.wav"
    assert path.is_file(), "the example wrote no speech.wav"
    info = sf.info(str(path))
    assert info.format == "WAV" and info.frames > 0


def _vectors(out: str, cwd: Path) -> None:
    assert re.search(r"^2 vectors of [1-9]\d* dimensions$", out, re.M), out


def _chat_with_usage(out: str, cwd: Path) -> None:
    assert "Paris" in out
    assert re.search(r"\[\d+ prompt \+ [1-9]\d* completion tokens\]", out), out


def _json_answer(out: str, cwd: Path) -> None:
    assert out.strip() in ("Paris", "Berlin"), out  # the block parsed the reply with json.loads


def _langchain_chat(out: str, cwd: Path) -> None:
    assert "Paris" in out and "'output_tokens'" in out, out


def _ran(out: str, cwd: Path) -> None:
    """Exit 0 is the check (a random Whisper's text is gibberish)."""


CHECKS: dict[str, Callable[[str, Path], None]] = {
    "curl-models": _models,
    "curl-chat-stream": _sse,
    "curl-embeddings": _embeddings,
    "curl-rerank": _rerank,
    "curl-transcription": _transcription,
    "curl-speech": _speech_file,
    "openai-chat-stream": _chat_with_usage,
    "openai-json-schema": _json_answer,
    "openai-embeddings": _vectors,
    "openai-transcription": _ran,
    "openai-speech": _speech_file,
    "langchain-chat-stream": _langchain_chat,
    "langchain-embeddings": _vectors,
}


# -- the README's shape --------------------------------------------------------------------------------


def test_every_example_is_found_and_checked():
    names = [e.name for e in examples()]
    assert len(names) == len(set(names)), f"duplicate example names: {names}"
    assert set(names) == set(CHECKS), "an example without a check, or a check without its example"


def test_every_code_block_in_clients_is_an_example():
    clients = section(readme(), "### Clients")
    blocks = re.findall(r"^```(?:bash|python)[ \t]*$", clients, re.M)
    assert blocks and len(blocks) == len(_EXAMPLE.findall(clients)), (
        "a bash or python block in ### Clients lacks its <!-- example: NAME --> line"
    )


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_example_uses_only_mapped_models(example):
    """A default model the mapping lacks would reach the test app as an unknown model: say so here."""
    code = for_tests(example.code, "http://testserver/")
    for name in configured_models():
        assert not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", code), (
            f"{example.name} names {name}: add it to MODELS with a test model of its task"
        )


# -- running them --------------------------------------------------------------------------------------


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "assets").symlink_to(ROOT / "assets", target_is_directory=True)
    return tmp_path


def run_example(example: Example, base_url: str, cwd: Path) -> str:
    code = for_tests(example.code, base_url)
    if example.lang == "bash":
        if shutil.which("curl") is None:
            pytest.fail("curl is not installed: run scripts/setup.sh --test, which installs it")
        script = cwd / "readme_example.sh"
        command = ["bash", "-e", "-o", "pipefail", str(script)]
    else:
        script = cwd / "readme_example.py"
        command = [sys.executable, str(script)]
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ)
    local = "127.0.0.1,localhost"
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = f"{env[key]},{local}" if env.get(key) else local
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 0, (
        f"example {example.name} exited {done.returncode}\n--- code\n{code}\n--- stdout\n"
        f"{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    )
    return done.stdout


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_example_runs(example, app_url, workdir):
    out = run_example(example, app_url, workdir)
    try:
        CHECKS[example.name](out, workdir)
    except (AssertionError, ValueError, KeyError, IndexError, TypeError) as exc:
        message = f"example {example.name} did not produce what it says: {exc!r}\n{out[-4000:]}"
        raise AssertionError(message) from exc


# -- Open WebUI's settings -----------------------------------------------------------------------------


def open_webui_settings() -> str:
    clients = section(readme(), "### Clients")
    start = clients.index("Open WebUI (")
    return clients[start:]


def kokoro_voices() -> set[str]:
    spec = configured_models()["kokoro-82m"]
    folder = ROOT / spec["path"] / "voices"
    if folder.is_dir():
        return {p.stem for p in folder.glob("*.bin")}
    # the model is not downloaded here: the voices models.yaml names (its default and description)
    return {spec["default_voice"], *re.findall(r"\b[a-z]{2}_[a-z]+\b", spec.get("description", ""))}


def test_open_webui_settings_name_real_models_and_voices():
    text = open_webui_settings()
    models = configured_models()
    tasks = {"STT model": "asr", "TTS model": "tts", "reranking model": "rerank", "key, model": "embedding"}
    for label, task in tasks.items():
        found = re.findall(r"\s+".join(map(re.escape, label.split())) + r"\s+`([^`]+)`", text)
        assert found, f"no {label!r} in the Open WebUI settings"
        for name in found:
            assert name in models and models[name]["task"] == task, f"{label} {name} is not a {task} model"
    voices = re.findall(r"`([a-z]{2}_[a-z]+)`", text)
    assert voices and set(voices) <= kokoro_voices(), (voices, kokoro_voices())
    assert re.findall(r"TTS\s+voice\s+`([^`]+)`", text)[0] == models["kokoro-82m"]["default_voice"]


def test_open_webui_settings_name_real_routes(app_url):
    text = open_webui_settings()
    routes = set(re.findall(r"`(GET|POST) /v1/([\w/]+)`", text))
    routes |= {("POST", path) for path in re.findall(r"`http://HOST:7860/v1/([\w/]+)`", text)}
    assert ("POST", "chat/completions") in routes and ("POST", "rerank") in routes
    assert re.search(r"`http://HOST:7860/v1`", text)
    with httpx.Client(base_url=app_url.rstrip("/") + "/v1/", timeout=60) as http:
        for method, path in sorted(routes):
            # an empty JSON body: a known route answers 200 (GET) or 400/422 (the body), never 404/405
            response = http.request(method, path, json={} if method == "POST" else None)
            assert response.status_code not in (404, 405), (method, path, response.status_code)
            assert response.status_code < 500, (method, path, response.text)
