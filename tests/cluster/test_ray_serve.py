"""Models as Ray Serve deployments on a real local cluster: a head and one more node, both on
127.0.0.1 (ray.cluster_utils.Cluster), kept small (2 CPUs each, 80 MB object stores, no dashboard,
no usage stats). One cluster for the module: starting one takes seconds.

tiny-embed (unary calls) and tiny-chat (streams) run as 2 replicas each, through an EnginePool
whose models.yaml has `defaults.cluster` and `replicas: 2`, as `openvino-ui serve` would build it.
Every wait is bounded in count and time; no test asserts a duration.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from openvino_ui.config import parse_config
from openvino_ui.errors import InvalidInput, ModelLoadFailed
from openvino_ui.fixtures import fixture_path
from openvino_ui.fixtures.text import ENDLESS_PROMPT
from openvino_ui.generation import Delta, Finished, GenerationParams
from openvino_ui.pool import EnginePool
from tests.conftest import TEST_MODELS

ray = pytest.importorskip("ray", reason='the cluster extra: pip install "openvino-ui[cluster]"')

NODE = {"num_cpus": 2, "object_store_memory": 80 * 2**20, "node_ip_address": "127.0.0.1"}
ONE_CPU = {"num_cpus": 1}  # 2 models x 2 replicas on 2 nodes of 2 CPUs each
GREEDY = GenerationParams(max_new_tokens=32, temperature=0.0)
PARIS = [{"role": "user", "content": "What is the capital of France?"}]


def entries(**extra: Any) -> dict[str, Any]:
    """tiny-embed and tiny-chat as TEST_MODELS has them, with `extra` keys (e.g. replicas)."""
    out = {}
    for name in ("tiny-embed", "tiny-chat"):
        fixture, entry = TEST_MODELS[name]
        out[name] = {**entry, "path": str(fixture_path(fixture)), **extra}
    return out


def make_pool(folder: Path, defaults: dict[str, Any], models: dict[str, Any]) -> EnginePool:
    text = yaml.safe_dump({"defaults": {"cache_dir": None, **defaults}, "models": models})
    return EnginePool(parse_config(text, folder / "models.yaml"))


def until(condition: Any, what: str, timeout_s: float = 120.0, every_s: float = 0.5) -> Any:
    """Poll `condition()` until it returns something true (bounded); fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    for _ in range(int(timeout_s / every_s) + 1):
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(every_s)
    pytest.fail(f"not reached within {timeout_s:.0f} s: {what}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ray.cluster_utils import Cluster

    from openvino_ui.cluster import runtime

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        # Ray turns 127.0.0.1 into the machine's address when a driver connects unless it runs
        # without multi-machine support; the nodes are given 127.0.0.1 and inherit this too.
        patch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        patch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
        patch.setattr(runtime, "_address", None)  # this module's connection is its own
        local = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
        try:
            local.add_node(**NODE)
            patch.setenv("RAY_ADDRESS", local.address)  # defaults.cluster.address: auto finds it
            yield local
        finally:
            if ray.is_initialized():
                from ray import serve

                serve.shutdown()
                ray.shutdown()
            local.shutdown()


@pytest.fixture(scope="module")
def pool(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    models = entries(replicas=2, ray_actor_options=ONE_CPU)
    served = make_pool(tmp_path_factory.mktemp("cluster"), {"cluster": {"address": "auto"}}, models)
    yield served
    served.close()


@pytest.fixture(scope="module")
def local_chat(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """tiny-chat in this process, as the app serves it without Ray: the answers to compare with."""
    local = make_pool(tmp_path_factory.mktemp("local"), {}, {"tiny-chat": entries()["tiny-chat"]})
    yield local.ready("tiny-chat", "llm")
    local.close()


def activity(engine: Any) -> dict[str, dict[str, Any]]:
    """Each replica's stream counters, by replica id (Serve picks the replica per call, so ask
    until every running one answered; bounded)."""
    from openvino_ui.cluster.status import replica_details

    running = {r["replica_id"] for r in replica_details(engine.name) if r["state"] == "RUNNING"}
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(40):
        report = engine.deployment().ask("activity")
        seen[report["replica"]] = report
        if running <= set(seen):
            break
    return seen


def test_two_replicas_on_two_nodes_answer_concurrent_requests(cluster, pool):
    engine = pool.ready("tiny-embed", "embedding")
    texts = [f"text number {i}" for i in range(24)]
    expected = engine.embed(texts[:1]).vectors.shape[1]
    for _ in range(5):  # until both replicas have served some (Serve routes each to one of them)
        with ThreadPoolExecutor(8) as workers:
            results = list(workers.map(lambda t: engine.embed([t]), texts))
        assert all(r.vectors.shape == (1, expected) for r in results)
        if len(engine.deployment().served_by) == 2:
            break
    served = engine.deployment().served_by
    assert len(served) == 2 and all(n > 0 for n in served.values()), served
    info = pool.info("tiny-embed")
    assert info.status == "ready" and info.stats.requests == sum(served.values())  # summed
    assert len(info.replicas) == 2 and {r.state for r in info.replicas} == {"RUNNING"}
    assert len({r.node_id for r in info.replicas}) == 2  # Serve spreads them over both nodes
    assert {r.replica_id: r.requests for r in info.replicas} == dict(served)
    assert cluster.address.startswith("127.0.0.1:")
    listed = next(m for m in pool.models() if m.name == "tiny-embed").as_dict()
    assert [r["node_ip"] for r in listed["replicas"]] == ["127.0.0.1", "127.0.0.1"]


def test_streamed_chat_through_pool_and_service_equals_the_in_process_answer(pool, local_chat):
    from openvino_ui.service import ChatRequest, Service

    service = Service(pool)
    request = service.request(
        ChatRequest, model="tiny-chat", messages=PARIS, sampling={"max_new_tokens": 32, "temperature": 0}
    )
    events = list(service.chat(request))
    deltas = [e for e in events if isinstance(e, Delta)]
    done = events[-1]
    assert isinstance(done, Finished) and not done.stopped
    assert done.text == "Paris." == "".join(d.text for d in deltas)
    assert done.metrics.generated_tokens > 0 and len(deltas) >= 2
    assert [e.text for e in local_chat.stream(PARIS, GREEDY) if isinstance(e, Delta)] == [
        d.text for d in deltas
    ]
    assert pool.info("tiny-chat").stats.generated_tokens >= done.metrics.generated_tokens


def test_replica_errors_come_back_as_ours(pool):
    engine = pool.ready("tiny-chat", "llm")
    params = GenerationParams(max_new_tokens=8, temperature=0.0, json_schema="{not json")
    with pytest.raises(InvalidInput) as raised:
        list(engine.stream(PARIS, params))
    assert raised.value.param == "json_schema" and "not JSON" in str(raised.value)
    assert raised.value.status == 400
    assert list(engine.stream(PARIS, GREEDY))[-1].text == "Paris."  # the replica serves on


def test_a_cancelled_stream_stops_on_the_replica(pool):
    engine = pool.ready("tiny-chat", "llm")
    endless = [{"role": "user", "content": ENDLESS_PROMPT}]
    long = GenerationParams(max_new_tokens=20000, temperature=0.0)
    before = sum(r["stopped"] for r in activity(engine).values())

    cancel = threading.Event()  # the Stop button's way
    events = []
    for event in engine.stream(endless, long, cancel):
        events.append(event)
        if len(events) == 3:
            cancel.set()
        assert len(events) < 1000, "the stream did not stop"
    assert isinstance(events[-1], Finished) and events[-1].stopped

    stream = engine.stream(endless, long)  # a client that goes away: the generator is closed
    for _ in range(3):
        assert isinstance(next(stream), Delta)
    stream.close()

    def stopped_everywhere() -> bool:
        seen = activity(engine).values()
        return all(r["active"] == 0 for r in seen) and sum(r["stopped"] for r in seen) >= before + 2

    until(stopped_everywhere, "both streams stopped on their replicas", timeout_s=60)
    assert engine.in_flight() == 0 and list(engine.stream(PARIS, GREEDY))[-1].text == "Paris."


def test_a_killed_replica_is_replaced_and_requests_keep_succeeding(pool):
    from openvino_ui.cluster.status import replica_details

    engine = pool.ready("tiny-embed", "embedding")
    victim = replica_details("tiny-embed")[0]
    ray.kill(ray.get_actor(victim["actor_name"], namespace="serve"), no_restart=True)
    for i in range(20):  # the proxy tries another replica when one dies (bounded tries)
        assert engine.embed([f"after the kill {i}"]).vectors.shape[0] == 1

    def replaced() -> list[dict[str, Any]] | None:
        rows = replica_details("tiny-embed")
        running = [r for r in rows if r["state"] == "RUNNING"]
        ids = {r["replica_id"] for r in rows}
        return running if len(running) == 2 and victim["replica_id"] not in ids else None

    fresh = until(replaced, "a new replica in place of the killed one", timeout_s=150)
    served = engine.deployment().served_by
    before = served[fresh[0]["replica_id"]] + served[fresh[1]["replica_id"]]
    for _ in range(5):
        with ThreadPoolExecutor(8) as workers:
            list(workers.map(lambda i: engine.embed([f"again {i}"]), range(16)))
        if all(served[r["replica_id"]] > 0 for r in fresh):
            break
    assert all(served[r["replica_id"]] > 0 for r in fresh)
    assert served[fresh[0]["replica_id"]] + served[fresh[1]["replica_id"]] >= before + 16


def test_a_failed_update_puts_the_previous_deployment_back(pool):
    from openvino_ui.cluster.status import replica_details

    engine = pool.ready("tiny-embed", "embedding")
    broken = engine.spec.model_copy(update={"path": Path("/nonexistent/tiny-embed")})
    with pytest.raises(ModelLoadFailed, match="no OpenVINO model in /nonexistent.*nothing changed"):
        pool.rebuild("tiny-embed", spec=broken, load=True)
    assert pool.get("tiny-embed") is engine and pool.info("tiny-embed").status == "ready"
    assert engine.embed(["still served"]).vectors.shape[0] == 1
    running = lambda: [r for r in replica_details("tiny-embed") if r["state"] == "RUNNING"]  # noqa: E731
    until(lambda: len(running()) == 2, "the previous deployment's 2 replicas running again")


def test_unload_deletes_the_deployment(pool):
    from ray import serve

    pool.ready("tiny-embed", "embedding")
    assert "tiny-embed" in serve.status().applications
    info = pool.unload("tiny-embed")
    assert info.status == "unloaded" and "tiny-embed" not in serve.status().applications
    assert info.replicas == ()
    assert "tiny-chat" in serve.status().applications  # only its own deployment
    pool.unload("tiny-chat")
    assert serve.status().applications == {}


def test_the_application_builder_builds_the_servers_deployment(tmp_path):
    """`serve run openvino_ui.cluster.app:build` (a RayService's serveConfigV2) builds what Load deploys."""
    from openvino_ui.cluster.app import build

    models = entries(replicas=2, ray_actor_options=ONE_CPU)
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"cluster": {"address": "auto"}}, "models": models}))
    deployment = build({"config": str(path), "model": "tiny-embed"})._bound_deployment
    assert (deployment.name, deployment.num_replicas) == ("tiny-embed", 2)
    assert deployment.ray_actor_options["num_cpus"] == 1
