"""The many-users bench (openvino_ui/bench/cases/users.py, openvino_ui/bench/load.py) without a real
llama-server: the load client and the sides against a fake OpenAI SSE server run as a child process,
the AMX-grant detection and the build plan, and a crashing peer becoming a failed case.

Timings are never asserted; only counts, shapes and reasons.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from openvino_ui.bench import load
from openvino_ui.bench.cases import users
from openvino_ui.bench.core import Case, Metric, run_case

ROOT = Path(__file__).resolve().parents[2]

# A tiny OpenAI-compatible server (stdlib only): GET /health; POST /v1/chat/completions streams
# max_tokens one-word chunks (EOS_AT without ignore_eos), usage when asked. With --crash it dies
# by SIGILL on the first chat request, as llama-server built with an ungranted AMX path does.
FAKE = textwrap.dedent(
    """
    import json, os, signal, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    EOS_AT = 100
    CRASH = "--crash" in sys.argv

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if CRASH:
                os.kill(os.getpid(), signal.SIGILL)
            if body.get("bad"):
                self.send_response(400)
                self.end_headers()
                self.wfile.write(b'{"error": {"message": "unknown field bad"}}')
                return
            n = body.get("max_tokens", 16)
            if not body.get("ignore_eos"):
                n = min(n, EOS_AT)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()

            def send(obj):
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\\n\\n")

            send({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
            for i in range(n):
                last = "length" if i == n - 1 else None
                send({"choices": [{"index": 0, "delta": {"content": f" w{i}"}, "finish_reason": last}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                send({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": n}})
            self.wfile.write(b"data: [DONE]\\n\\n")

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 64  # 16 users connect at once
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


@pytest.fixture
def fake_server(tmp_path):
    script = tmp_path / "fake_openai.py"
    script.write_text(FAKE, encoding="utf-8")
    started: list[load.ChildServer] = []

    def start(*flags: str) -> load.ChildServer:
        port = load.free_port()
        server = load.ChildServer(
            f"fake{len(started)}",
            [sys.executable, str(script), str(port), *flags],
            f"http://127.0.0.1:{port}",
            "/health",
            ready_timeout_s=60,
            log_dir=tmp_path,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


# --- the load client --------------------------------------------------------------------------------


def test_percentile_is_nearest_rank():
    assert load.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert load.percentile([4.0, 1.0, 3.0, 2.0], 95) == 4.0
    assert load.percentile([7.0], 95) == 7.0
    assert str(load.percentile([], 50)) == "nan"


def test_a_level_counts_every_users_replies_and_the_servers_usage(fake_server):
    server = fake_server()
    url = server.base_url + "/v1/chat/completions"

    def body(u: int, i: int) -> dict:
        return {"model": "m", "max_tokens": 24, "stream": True, "stream_options": {"include_usage": True}}

    level = load.run_coroutine(load.run_level(url, 3, body, requests_per_user=2))
    assert level.errors() == []
    assert [len(user) for user in level.replies] == [2, 2, 2]
    for reply in level.all:
        assert reply.ok and reply.usage_tokens == 24 and reply.chunks == 24
        assert reply.finish_reason == "length" and reply.text.startswith(" w0 w1")
        assert 0 < reply.ttft_s <= reply.total_s
    s = level.summary()
    assert s["replies"] == 6 and s["tokens"] == 24
    assert s["agg_tok_s"] > 0 and s["user_tok_s"] > 0 and s["ttft_p50_ms"] <= s["ttft_p95_ms"]


def test_without_usage_the_content_chunks_are_counted_and_errors_are_kept(fake_server):
    server = fake_server()
    url = server.base_url + "/v1/chat/completions"
    level = load.run_coroutine(load.run_level(url, 1, lambda u, i: {"max_tokens": 7, "stream": True}))
    (reply,) = level.all
    assert reply.usage_tokens is None and reply.tokens == 7
    bad = load.run_coroutine(load.run_level(url, 2, lambda u, i: {"bad": True}, requests_per_user=3))
    assert [len(user) for user in bad.replies] == [1, 1]  # a user stops at its first failure
    assert len(bad.errors()) == 2 and bad.errors()[0].startswith("HTTP 400")


def test_a_side_sweeps_every_user_count_and_reports_the_tokens_written(fake_server):
    side = users._Side(fake_server(), "m", {"ignore_eos": True})
    out = side.run()
    for n in users.USERS:
        assert out[f"tokens_u{n}"] == users.N_TOKENS
        for key in (f"agg_tok_s_u{n}", f"user_tok_s_u{n}", f"ttft_p50_u{n}_ms", f"ttft_p95_u{n}_ms"):
            assert out[key] > 0
    assert {m.name for m in users._metrics()} <= set(out)
    # Without ignore_eos the fake stops at its EOS: the tokens actually written are reported.
    short = users._Side(fake_server(), "m", {})
    assert short.run()["tokens_u1"] == 100
    assert short.mean_tokens()["u16"] == 100


# --- child servers: failures become reasons -------------------------------------------------------


def test_a_server_that_dies_at_start_names_its_signal(tmp_path):
    argv = [sys.executable, "-c", "import os, signal; print('starting'); os.kill(os.getpid(), signal.SIGILL)"]
    with pytest.raises(load.ServerFailed, match=r"killed by SIGILL \(signal 4\)") as info:
        load.ChildServer("peer", argv, f"http://127.0.0.1:{load.free_port()}", log_dir=tmp_path)
    assert "starting" in str(info.value)  # the end of its log
    assert load.exit_reason(3) == "exited with status 3"


def test_a_server_that_never_gets_ready_is_stopped_after_a_bounded_wait(tmp_path):
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(load.ServerFailed, match="not ready within 0.5 s"):
        load.ChildServer("slow", argv, f"http://127.0.0.1:{load.free_port()}", ready_timeout_s=0.5)
    assert not load._LIVE  # stopped, not left behind


def test_a_peer_crashing_mid_run_becomes_a_failed_case(fake_server):
    sides: list[users._Side] = []

    def make(threads: int):
        sides[:] = [users._Side(fake_server(), "m", {}), users._Side(fake_server("--crash"), "m", {})]
        return sides[0], sides[1]

    case = Case("users-fake", "users", "fake", "crashing fake", [Metric("agg_tok_s_u1", "tok/s")], make=make)
    record = run_case(case, 1, 3, 0, {})
    assert "killed by SIGILL" in record["error"] and "rounds" not in record
    assert all(not side.server.alive() for side in sides)  # both servers stopped by run_case


# --- AMX and the build plan -------------------------------------------------------------------------

AVX512 = {
    "avx",
    "avx2",
    "fma",
    "f16c",
    "sse4_2",
    "bmi2",
    "avx512f",
    "avx512cd",
    "avx512vl",
    "avx512dq",
    "avx512bw",
}
AMX = {"amx_tile", "amx_int8", "amx_bf16"}


def fake_syscall(grant: bool, calls: list):
    def syscall(nr, code, arg):
        calls.append(code)
        if code == users.ARCH_REQ_XCOMP_PERM:
            assert arg == users.XFEATURE_XTILEDATA
            return 0 if grant else -1
        arg._obj.value = 1 << users.XFEATURE_XTILEDATA  # ARCH_GET_XCOMP_PERM writes the mask
        return 0

    return syscall


def test_a_cpu_without_amx_is_built_native_without_asking_the_os():
    def never(*args):
        raise AssertionError("no arch_prctl without AMX")

    amx = users.amx_status(AVX512, syscall=never, probe=never)
    assert amx == {
        "cpu_has_amx": False,
        "granted": False,
        "reason": "no amx_tile/amx_int8 in the CPU flags",
        "usable": False,
    }
    assert users.build_flags(AVX512, amx)[1] == ["-DGGML_NATIVE=ON"]


def test_amx_granted_by_the_os_and_running_builds_native_with_tiles():
    calls: list = []
    amx = users.amx_status(AVX512 | AMX, syscall=fake_syscall(True, calls), probe=lambda: (True, "tiles ran"))
    assert amx["cpu_has_amx"] and amx["granted"] and amx["usable"]
    assert calls == [users.ARCH_REQ_XCOMP_PERM, users.ARCH_GET_XCOMP_PERM]
    label, args = users.build_flags(AVX512 | AMX, amx)
    assert args == ["-DGGML_NATIVE=ON"] and "AMX" in label and "tiles ran" in label


def test_a_probe_that_could_not_be_built_leaves_the_decision_to_the_grant():
    amx = users.amx_status(AVX512 | AMX, syscall=fake_syscall(True, []), probe=lambda: (None, "no compiler"))
    assert amx["usable"] and users.build_flags(AVX512 | AMX, amx)[1] == ["-DGGML_NATIVE=ON"]


def assert_built_without_amx(flags: set[str], amx: dict) -> str:
    label, args = users.build_flags(flags, amx)
    assert "-DGGML_NATIVE=OFF" in args and "-DGGML_NATIVE=ON" not in args
    for off in ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16", "GGML_AVX512_VBMI", "GGML_AVX_VNNI"):
        assert f"-D{off}=OFF" in args
    for on in ("GGML_AVX2", "GGML_FMA", "GGML_AVX512", "GGML_AVX512_VNNI", "GGML_AVX512_BF16"):
        assert f"-D{on}=ON" in args
    assert "no AMX" in label
    return label


def test_amx_not_granted_lists_the_cpus_features_and_leaves_amx_out():
    def never():
        raise AssertionError("no probe without the tile state")

    flags = AVX512 | AMX | {"avx512_vnni", "avx512_bf16"}
    amx = users.amx_status(flags, syscall=fake_syscall(False, []), probe=never)
    assert amx["cpu_has_amx"] and not amx["granted"] and not amx["usable"] and "refused" in amx["reason"]
    assert "refused" in assert_built_without_amx(flags, amx)


def test_amx_granted_but_dying_in_the_tile_set_up_is_left_out():
    # What happened on an Intel Xeon (AMX, KVM) with Debian 12's g++ 12.2: the OS grants the tile
    # state, but ggml's tile configuration is miscompiled and its first AMX matmul dies.
    flags = AVX512 | AMX | {"avx512_vnni", "avx512_bf16"}
    why = "ggml's AMX tile set-up built by g++ 12.2.0 -O3 -march=native dies with SIGSEGV"
    amx = users.amx_status(flags, syscall=fake_syscall(True, []), probe=lambda: (False, why))
    assert amx["granted"] and not amx["usable"] and amx["reason"] == why
    assert "SIGSEGV" in assert_built_without_amx(flags, amx)


def test_a_granted_mask_without_tile_data_is_not_a_grant():
    def syscall(nr, code, arg):
        return 0  # the request "succeeds" but the permission mask stays 0

    granted, reason = users.request_amx(syscall)
    assert not granted and "does not list tile data" in reason


def test_this_machine_gets_a_plan_without_assumptions(tmp_path, monkeypatch):
    monkeypatch.setenv(users.CACHE_ENV, str(tmp_path))
    p = users.plan()
    assert set(p["amx"]) == {"cpu_has_amx", "granted", "reason", "usable"}
    assert Path(p["binary"]).parent.parent.parent == tmp_path and p["binary"].endswith("bin/llama-server")
    assert "-DLLAMA_USE_PREBUILT_UI=OFF" in p["cmake_args"]  # nothing downloaded at build time
    # A plan for other flags lands in another folder (the hash covers the flags).
    refused = {"cpu_has_amx": True, "granted": False, "reason": "test", "usable": False}
    native = users.plan(AVX512, {**refused, "cpu_has_amx": False})
    other = users.plan(AVX512 | AMX, refused)
    assert native["dir"] != other["dir"] and Path(native["dir"]).parent == Path(other["dir"]).parent
    monkeypatch.delenv(users.BINARY_ENV, raising=False)
    with pytest.raises(RuntimeError, match="run `bash scripts/llama-server.sh`"):
        users.llama_server()


def test_the_build_script_reads_the_plan_and_check_says_not_built(tmp_path):
    env = {**os.environ, users.CACHE_ENV: str(tmp_path), "PYTHONPATH": str(ROOT)}
    shell = subprocess.run(
        [sys.executable, "-m", "openvino_ui.bench.cases.users", "plan", "--shell"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    values = dict(line.split("=", 1) for line in shell.splitlines())
    assert shlex.split(values["LS_DIR"])[0].startswith(str(tmp_path))
    assert json.loads(shlex.split(values["LS_AMX"])[0])["granted"] in (True, False)
    check = subprocess.run(
        ["bash", str(ROOT / "scripts" / "llama-server.sh"), "--check"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 3 and "not built" in check.stderr


def test_the_cases_are_listed_with_their_targets():
    from openvino_ui.bench.cases import load_cases

    quick = {c.name for c in load_cases(("serving",), full=False) if c.name.startswith("users-")}
    assert quick == {"users-ov-int8-vs-llama-server-q4_k_m"}
    found = {c.name: c for c in load_cases(("serving",), full=True) if c.name.startswith("users-")}
    assert set(found) == {"users-ov-int8-vs-llama-server-q8_0", "users-ov-int8-vs-llama-server-q4_k_m"}
    targets = {m.name: m.target for m in found["users-ov-int8-vs-llama-server-q8_0"].metrics}
    assert (targets["agg_tok_s_u1"], targets["agg_tok_s_u8"], targets["agg_tok_s_u16"]) == (1.0, 1.5, 1.8)
    assert found["users-ov-int8-vs-llama-server-q8_0"].metrics[0].name == "agg_tok_s_u1"
    ttft = next(m for m in found["users-ov-int8-vs-llama-server-q8_0"].metrics if m.name == "ttft_p95_u8_ms")
    assert not ttft.higher_is_better


def test_derived_targets_that_are_not_ratios():
    class Side:
        eos, sample = "x", ""

        def mean_tokens(self):
            return {"u1": 128.0}

    engine = {"agg_tok_s_u1": 20.0, "agg_tok_s_u8": 90.0, "ttft_p95_u8_ms": 800.0}
    peer = {"agg_tok_s_u1": 30.0, "agg_tok_s_u8": 60.0, "ttft_p95_u8_ms": 1500.0}
    out = users._derive(Side(), Side(), 2, {"engine": engine, "peer": peer}, {})
    assert out["engine_u8_over_u1"] == 4.5 and out["u8_over_u1_target_4_met"] is True
    assert out["ttft_p95_u8_target_1000ms_met"] is True and out["peer_u8_over_u1"] == 2.0


def test_request_amx_on_this_machine_answers_without_crashing():
    granted, reason = users.request_amx()
    assert isinstance(granted, bool) and reason


def test_the_load_runs_where_an_event_loop_already_runs():
    # Playwright's sync API (the browser tests, earlier in a full run) keeps a loop running in the
    # main thread; asyncio.run() would refuse there
    import asyncio

    async def answer() -> int:
        return 5

    async def caller() -> int:
        return load.run_coroutine(answer())

    def in_a_thread_with_its_own_loop() -> None:  # whatever this test's own thread runs
        loop = asyncio.new_event_loop()
        try:
            found.append(loop.run_until_complete(caller()))
        finally:
            loop.close()

    found: list[int] = []
    thread = threading.Thread(target=in_a_thread_with_its_own_loop)
    thread.start()
    thread.join(30)
    assert found == [5]
