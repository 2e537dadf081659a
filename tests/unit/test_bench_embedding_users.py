"""The embedding many-clients bench (openvino_ui/bench/cases/embedding_users.py): its texts, its
aggregation, its load driver against the real app on the tiny fixture embedding model, and how a
missing or crashing infinity-emb peer is recorded. No timing is asserted."""

import os
import stat

import numpy as np
import pytest

from openvino_ui.bench.cases import embedding_users as eu
from openvino_ui.bench.core import run_case


def test_texts_are_short_fresh_per_seed_and_repeatable():
    first = eu.texts(5, 6)
    assert first == eu.texts(5, 6) and first != eu.texts(6, 6)
    assert len(set(first)) == 6
    assert all(30 <= len(t) <= 70 for t in first)


def test_summarize_gives_throughput_and_percentiles():
    latencies = [i / 1000 for i in range(1, 101)]  # 1 .. 100 ms
    out = eu.summarize(latencies, wall_s=2.0)
    assert out["rps"] == pytest.approx(50.0)
    assert out["p50_ms"] == pytest.approx(50.5)
    assert out["p95_ms"] == pytest.approx(95.05)
    assert out["requests"] == 100
    with pytest.raises(ValueError):
        eu.summarize([], 1.0)


def test_cosines_row_by_row():
    a = np.array([[1.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [-1.0, -1.0]])
    assert eu.cosines(a, b) == pytest.approx([1.0, -1.0])


@pytest.fixture(scope="module")
def app():
    from openvino_ui.fixtures import fixture_path

    # pooling and normalisation from the fixture's own files, as tests/conftest.py serves it
    app = eu.EmbedApp(fixture_path("tiny-embedding"), 1, pooling=None, normalize=None)
    yield app
    app.close()


def test_driver_counts_every_request_and_batched_rows_match_serial(app):
    batched = eu.run_driver(app.url, "batched", clients=4, requests=3, seed=11, vectors=True)
    serial = eu.run_driver(app.url, "serial", clients=4, requests=3, seed=11, vectors=True)
    for result in (batched, serial):
        assert result["errors"] == 0 and result["expected"] == 12
        assert len(result["latencies_s"]) == 12 and result["wall_s"] > 0
    a, b = np.asarray(batched["vectors"]), np.asarray(serial["vectors"])
    assert a.shape == b.shape and a.shape[0] == 12
    assert eu.cosines(a, b).min() >= eu.SERIAL_MIN_COSINE


def test_sides_use_the_same_texts_per_round_and_report_the_batches(app):
    cand = eu.AppSide(app, "batched", clients=4, seed=100, owner=False)
    peer = eu.AppSide(app, "serial", clients=4, seed=100, owner=False)
    cand.requests = peer.requests = 3
    for side in (cand, peer):
        out = side.run()
        cpu = {"server_cpu_ms_per_request", "client_cpu_ms_per_request"}
        assert set(out) == {"rps", "p50_ms", "p95_ms", "requests", *cpu} and out["requests"] == 12
        assert all(out[key] > 0 for key in cpu)
        assert side.runs == 1  # round 1 of both sides: texts of seed 101
    assert len(cand.mean_batch) == 1 and cand.mean_batch[0] >= 1.0
    assert peer.mean_batch == []  # the serialized model has no batcher
    assert cand.resolved()["batching"] is True and peer.resolved()["batching"] is False
    quality = eu._quality(eu.SERIAL_MIN_COSINE)(cand, peer)
    assert quality["ok"] is True and quality["texts"] == eu.CLIENTS * 4
    assert eu._derive(cand, peer, 1, {}, {}) == {"mean_batch_median": round(cand.mean_batch[0], 2)}


def test_failed_requests_fail_the_run_with_the_reason(app):
    with pytest.raises(RuntimeError, match=r"4 of 4 requests .* failed; first: HTTP 4\d\d"):
        eu.run_driver(app.url, "no-such-model", clients=2, requests=2, seed=1)


def test_cases_target_two_times_serialized_and_keep_the_peer_quick():
    quick = {c.name: c for c in eu.cases(full=False)}
    assert set(quick) == {
        "embed-users-8-batched-vs-serial",
        "embed-users-1-batched-vs-serial",
        "embed-users-8-vs-infinity-torch",
        "embed-users-8-vs-infinity-onnx",
    }
    main = quick["embed-users-8-batched-vs-serial"]
    assert main.metrics[0].name == "rps" and main.metrics[0].target == 2.0
    assert quick["embed-users-1-batched-vs-serial"].metrics[0].target is None
    assert quick["embed-users-8-vs-infinity-onnx"].only_threads == (os.cpu_count() or 1,)
    full = {c.name: c for c in eu.cases(full=True)}
    assert {"embed-users-1-vs-infinity-torch", "embed-users-1-vs-infinity-onnx"} <= set(full)
    assert full["embed-users-8-vs-infinity-torch"].only_threads is None


def test_missing_infinity_is_recorded_as_not_run_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENVINO_UI_INFINITY_VENV", str(tmp_path / "none"))
    with pytest.raises(eu.PeerUnavailable, match="needs a virtual environment of its own"):
        eu.infinity_python()
    case = next(c for c in eu.cases(full=False) if c.name == "embed-users-8-vs-infinity-torch")
    record = run_case(case, 1, 3, 0, {})
    assert "infinity-emb is not installed" in record["error"]
    assert "pip install" in record["error"] and "rounds" not in record


def test_infinity_crash_while_starting_is_reported_with_its_log(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ValueError: no model here' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(RuntimeError, match=r"exited with code 3 while starting: .*no model here"):
        eu.InfinityServer("torch", 1, python=fake, folder=tmp_path)


def test_cpu_per_request_is_the_median_of_the_rounds_per_side():
    from openvino_ui.bench.cases.embedding_users import cpu_per_request

    rounds = [
        {"cand": {"server_cpu_ms_per_request": a, "client_cpu_ms_per_request": 0.5}, "peer": {"rps": 1.0}}
        for a in (2.0, 3.0, 9.0)
    ]
    assert cpu_per_request({"rounds": rounds}) == {
        "cand": {"server_cpu_ms_per_request": 3.0, "client_cpu_ms_per_request": 0.5}
    }
    assert cpu_per_request({}) == {}
