"""Peers in child processes (openvino_ui/bench/isolation.py): a crash by a signal, an exit, a Python
exception and a hang each become a clear failure; a crashing peer fails its case and the next case
still runs. The peers are fakes (tests/unit/fake_peers.py); no timing is asserted.
"""

from __future__ import annotations

import json

import pytest

from openvino_ui.bench.core import Case, Metric, run_case
from openvino_ui.bench.isolation import (
    IsolatedRunner,
    PeerCrashed,
    PeerError,
    PeerTimedOut,
    exit_reason,
    isolated,
)
from openvino_ui.cli import main
from tests.unit import fake_peers


class _Candidate:
    """The in-process side of a case."""

    label = "candidate"

    def run(self) -> dict[str, float]:
        return {"x": 1.0}

    def close(self) -> None:
        pass


def test_a_peer_returns_its_figures_and_forwards_methods_and_values():
    peer = IsolatedRunner(fake_peers.Peer, (2,), env={"OMP_NUM_THREADS": "2"})
    try:
        assert peer.run() == {"x": 2.0, "threads": 2.0, "omp": 2.0}  # args and env reached the child
        assert peer.echo([1, 2], scale=2) == [1, 2, 1, 2]
        assert peer.weight_bytes == 1234  # a plain value, read from the child
        assert peer.resolved()["threads"] == 2
        assert peer.factory is fake_peers.Peer and peer.label == "Peer"
        with pytest.raises(AttributeError):
            peer.no_such_thing  # noqa: B018 - the lookup is the test
        with pytest.raises(PeerError, match="(?i)pickl"):  # an answer that cannot cross
            peer.unpicklable()
        assert peer.run()["x"] == 2.0  # still serving after an exception
    finally:
        peer.close()
    assert not peer._process.is_alive() and peer._process.exitcode == 0
    peer.close()  # twice is harmless


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("SIGILL", "killed by SIGILL (illegal instruction: the peer's build uses CPU instructions"),
        ("SIGSEGV", "killed by SIGSEGV (segmentation fault"),
        ("SIGKILL", "killed by SIGKILL (likely out of memory)"),
        ("3", "exited with status 3"),
    ],
)
def test_a_peer_that_dies_becomes_a_crash_with_its_reason(how, words):
    peer = isolated(fake_peers.Peer, 1, crash=how)
    with pytest.raises(PeerCrashed) as info:
        peer.run()
    assert words in str(info.value) and "during run()" in str(info.value)
    assert not peer._process.is_alive()
    peer.close()  # after a crash: nothing left to do, no error


def test_a_peer_that_dies_while_loading_fails_at_once():
    with pytest.raises(PeerCrashed, match="killed by SIGILL .* during loading"):
        isolated(fake_peers.Peer, 1, load_crash="SIGILL")


def test_an_exception_in_the_peer_comes_back_with_its_type_and_message():
    peer = isolated(fake_peers.Peer, 1, fail=True)
    try:
        with pytest.raises(PeerError, match="raised ValueError: the peer refused this input") as info:
            peer.run()
        assert info.value.type_name == "ValueError"
        assert "fake_peers.py" in info.value.child_traceback  # the child's own traceback
    finally:
        peer.close()


def test_a_hung_peer_is_killed_at_the_bound():
    with pytest.raises(PeerTimedOut, match="within the case's 2 s bound") as info:
        IsolatedRunner(fake_peers.hang, timeout_s=2)
    assert "killed" in str(info.value)


def test_exit_reasons():
    assert exit_reason(-4).startswith("killed by SIGILL (illegal instruction")
    assert exit_reason(-9) == "killed by SIGKILL (likely out of memory)"
    assert exit_reason(2) == "exited with status 2"


def test_a_crashing_peer_fails_its_case_and_the_next_case_runs(tmp_path, monkeypatch):
    metrics = [Metric("x", "u")]
    crashing = Case(
        "peer-crashes",
        "fake",
        "candidate",
        "fake peer (SIGILL)",
        metrics,
        make=lambda t: (_Candidate(), isolated(fake_peers.Peer, t, crash="SIGILL")),
    )
    fine = Case(
        "peer-runs",
        "fake",
        "candidate",
        "fake peer",
        metrics,
        make=lambda t: (_Candidate(), isolated(fake_peers.Peer, t)),
    )
    monkeypatch.setattr("openvino_ui.bench.cases.load_cases", lambda areas, full: [crashing, fine])
    out, md = tmp_path / "results", tmp_path / "BENCHMARKS.md"
    argv = ["bench", "--areas", "fake", "--threads", "1", "--no-probe", "--warmup", "0"]
    assert main([*argv, "--out", str(out), "--markdown", str(md)]) == 0
    first, second = json.loads((out / "results.json").read_text())
    assert first["case"] == "peer-crashes" and "rounds" not in first
    assert first["error"].startswith("PeerCrashed: peer Peer: its process killed by SIGILL (illegal")
    assert first["failed_at"] == "round 1"
    assert second["case"] == "peer-runs" and "error" not in second
    assert second["metrics"]["x"]["ratio_median"] == 0.5  # 1.0 against the peer's 2.0
    assert second["resolved"]["peer"]["threads"] == 1
    text = md.read_text()
    assert "killed by SIGILL" in text and "peer-runs" in text


def test_run_case_records_a_peer_exception_as_the_case_error():
    case = Case(
        "peer-raises",
        "fake",
        "candidate",
        "fake peer",
        [Metric("x", "u")],
        make=lambda t: (_Candidate(), isolated(fake_peers.Peer, t, fail=True)),
    )
    record = run_case(case, 1, 3, 1, {})
    assert "raised ValueError: the peer refused this input" in record["error"]
    assert record["failed_at"] == "warm-up"


def test_every_peer_library_of_the_head_to_head_cases_runs_isolated(monkeypatch):
    """The cases' `make` hands each peer runner to `isolated` (nothing is built here: the assets,
    our own runners and `isolated` are stand-ins)."""
    from pathlib import Path

    from openvino_ui.bench import assets
    from openvino_ui.bench.cases import asr, embedding, llm, load_cases, rerank, tts

    for name in (
        "gemma_ov gemma_gguf gemma_hf minilm_ov minilm_dir minilm_st_onnx whisper_ov whisper_ct2 "
        "kokoro_model kokoro_onnx reranker_ov reranker_hf"
    ).split():
        monkeypatch.setattr(assets, name, lambda *a, name=name: Path(name))
    ours = {
        llm: "GenAIRunner",
        embedding: "OVEmbedRunner",
        asr: "OVWhisperRunner",
        tts: "OVKokoroRunner",
        rerank: "OVCrossRunner",
    }
    built: list[tuple[object, tuple[object, ...]]] = []

    class Isolated:
        def __init__(self, factory: object, *args: object, **kwargs: object) -> None:
            built.append((factory, args))

    for module, candidate in ours.items():
        monkeypatch.setattr(module, candidate, lambda *a, **k: _Candidate())
        monkeypatch.setattr(module, "isolated", Isolated)
    monkeypatch.setattr(rerank, "OVEmbedRunner", lambda *a, **k: _Candidate())
    cases = load_cases(("chat", "embeddings", "asr", "tts", "rerank"), full=True)
    for case in cases:
        cand, peer = case.make(1)
        assert isinstance(peer, Isolated) and not isinstance(cand, Isolated), case.name
    factories = {getattr(f, "__name__", "") for f, _ in built}
    assert factories == {
        "LlamaCppRunner",
        "TorchRunner",
        "STTorchRunner",
        "STOnnxRunner",
        "FasterWhisperRunner",
        "GenaiBeamRunner",  # genai's own beam search, the peer of our beam search
        "OrtKokoroRunner",
        "STCrossRunner",
        "st_bi_encoder",
    }
    assert all(1 in args for _, args in built)  # the case's thread count goes to the child
