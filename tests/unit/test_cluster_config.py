"""Models on Ray Serve, without Ray: the configuration, which engine serves such a model, what a
missing Ray says, the options a deployment gets, and how errors cross from a replica. The real
cluster is exercised in tests/cluster/."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from openvino_ui.cluster.engine import RayEmbeddingEngine, RayLLMEngine, RayRerankEngine
from openvino_ui.cluster.errors import RemoteUserError, ReplicaFailed, mapped
from openvino_ui.cluster.handle import deployment_options, failure_reason, replica_slots
from openvino_ui.config import parse_config
from openvino_ui.engines import engine_class
from openvino_ui.engines.base import ModelInfo, ReplicaInfo
from openvino_ui.errors import ConfigError, InvalidInput, ModelBusy, ModelLoadFailed, ModelQueueFull
from openvino_ui.pool import EnginePool
from openvino_ui.stats import StatsSnapshot

CLUSTER = "defaults: {cache_dir: null, cluster: {address: local}}\n"


def config(models: str, defaults: str = CLUSTER):
    return parse_config(defaults + "models:\n" + models, Path("/tmp/cluster-models.yaml"))


def test_replicas_need_defaults_cluster_and_name_the_fix():
    with pytest.raises(ConfigError, match="defaults.cluster is not set.*address: local"):
        config("  m: {task: llm, path: /m, replicas: 2}\n", defaults="")
    with pytest.raises(ConfigError, match="address"):
        config("  m: {task: llm, path: /m, replicas: 2}\n", "defaults: {cluster: {address: 'http://x'}}\n")


def test_replicas_and_autoscaling_exclude_each_other_and_a_remote():
    with pytest.raises(ConfigError, match="give one of them"):
        config("  m: {task: llm, path: /m, replicas: 2, autoscaling: {max_replicas: 3}}\n")
    with pytest.raises(ConfigError, match="only for a model run on Ray"):
        config("  m: {task: llm, path: /m, ray_actor_options: {num_cpus: 1}}\n")
    with pytest.raises(ConfigError, match="min_replicas"):
        config("  m: {task: llm, path: /m, autoscaling: {min_replicas: 3, max_replicas: 2}}\n")


def test_a_model_with_replicas_is_served_by_its_tasks_proxy_engine():
    cfg = config(
        "  chat: {task: llm, path: /m, replicas: 2}\n"
        "  embed: {task: embedding, path: /e, autoscaling: {max_replicas: 4}}\n"
        "  rank: {task: rerank, path: /r, replicas: 1}\n"
        "  plain: {task: llm, path: /m}\n"
    )
    assert engine_class(cfg.models["chat"]) is RayLLMEngine
    assert engine_class(cfg.models["embed"]) is RayEmbeddingEngine
    assert engine_class(cfg.models["rank"]) is RayRerankEngine
    assert engine_class(cfg.models["plain"]).__module__ == "openvino_ui.engines.llm"


def test_choosing_the_proxy_engine_imports_no_ray():
    code = (
        "import sys; from pathlib import Path; from openvino_ui.config import parse_config; "
        "from openvino_ui.pool import EnginePool; import openvino_ui.service; "
        "cfg = parse_config('defaults: {cluster: {address: local}}\\nmodels:\\n  m: {task: llm, path: /m, "
        "replicas: 2}\\n', Path('/tmp/x.yaml')); pool = EnginePool(cfg); pool.info('m'); "
        "print(type(pool.get('m')).__name__, 'ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["RayLLMEngine", "False"], out.stderr[-2000:]


def test_without_ray_loading_fails_naming_the_extra_to_install(monkeypatch):
    for name in ("ray", "ray.serve"):
        monkeypatch.setitem(sys.modules, name, None)  # `import ray` raises ImportError
    monkeypatch.setattr("openvino_ui.cluster.runtime._address", None)
    pool = EnginePool(config("  chat: {task: llm, path: /m, replicas: 2}\n"))
    with pytest.raises(ModelLoadFailed, match=r'pip install "openvino-ui\[cluster\]"'):
        pool.load("chat")
    info = pool.info("chat")
    assert info.status == "failed" and 'pip install "openvino-ui[cluster]"' in (info.error or "")
    assert info.replicas == ()


def test_an_engine_outside_a_pool_with_cluster_settings_says_what_is_missing():
    spec = config("  chat: {task: llm, path: /m, replicas: 2}\n").models["chat"]
    engine = RayLLMEngine("chat", spec)  # no lookup: no pool, so no defaults.cluster
    with pytest.raises(ModelLoadFailed, match="defaults.cluster is not set"):
        engine.load()


def test_deployment_options_follow_the_models_entry():
    cfg = config(
        "  chat: {task: llm, path: /m, replicas: 3, batching: {max_num_seqs: 6},"
        " ray_actor_options: {num_cpus: 2, resources: {intel_gpu: 1}}}\n"
        "  embed: {task: embedding, path: /e, instances: 2,"
        " autoscaling: {min_replicas: 1, max_replicas: 4, target_ongoing_requests: 3}}\n"
        "  asr: {task: asr, path: /a, replicas: 2, ray_actor_options: {num_gpus: 1}}\n"
    )
    chat = deployment_options("chat", cfg.models["chat"])
    assert chat == {
        "name": "chat",
        "max_ongoing_requests": 6,
        "num_replicas": 3,
        "ray_actor_options": {"num_cpus": 2.0, "resources": {"intel_gpu": 1.0}},
    }
    embed = deployment_options("embed", cfg.models["embed"])
    scaling = {"min_replicas": 1, "max_replicas": 4, "target_ongoing_requests": 3.0}
    assert embed["autoscaling_config"] == scaling
    assert "num_replicas" not in embed and embed["max_ongoing_requests"] == 8  # 2 pipelines x 4
    assert deployment_options("asr", cfg.models["asr"])["ray_actor_options"] == {"num_gpus": 1.0}
    assert replica_slots(cfg.models["asr"]) == 1


def test_user_errors_cross_from_a_replica_as_themselves():
    for error in (
        ModelBusy("m", 3.0),
        ModelQueueFull("m", 2),
        InvalidInput("bad schema", param="json_schema"),
        ModelLoadFailed("m", "GPU", "no GPU"),
    ):
        sent = pickle.loads(pickle.dumps(RemoteUserError.of(error)))
        back = sent.rebuilt()
        assert type(back) is type(error) and str(back) == str(error)
        assert (back.status, back.code, back.param) == (error.status, error.code, error.param)
    assert sent.rebuilt().reason == "no GPU"


def test_a_ray_error_wrapping_a_user_error_maps_to_it_and_others_to_replica_failed():
    class TaskError(Exception):  # as Ray's RayTaskError carries the replica's error in `cause`
        def __init__(self, cause):
            super().__init__("traceback text that may quote the request")
            self.cause = cause

    remote = RemoteUserError.of(InvalidInput("not JSON", param="json_schema"))
    assert isinstance(mapped("chat", TaskError(remote)), InvalidInput)
    other = mapped("chat", TaskError(ValueError("the user's secret prompt")))
    assert isinstance(other, ReplicaFailed) and "'chat'" in str(other) and "ValueError" in str(other)
    assert "secret" not in str(other)


def test_the_failure_reason_is_the_replicas_own():
    message = (
        "Failed to deploy.\nTraceback (most recent call last):\n  File x\n"
        "openvino_ui.cluster.deployment.ReplicaLoadFailed: no OpenVINO model in /m; run `openvino-ui "
        "prepare m`\n"
    )
    app = SimpleNamespace(message="", deployments={"m": SimpleNamespace(message=message)})
    assert failure_reason(app) == "no OpenVINO model in /m; run `openvino-ui prepare m`"
    app = SimpleNamespace(message="Deploying", deployments={})
    assert failure_reason(app) == "Deploying"


def test_model_info_lists_replicas_only_for_a_model_on_ray():
    base = dict(
        name="m",
        task="llm",
        device="CPU",
        status="ready",
        error=None,
        load_time_s=1.0,
        model_dir="/m",
        description="",
        stats=StatsSnapshot(),
    )
    assert "replicas" not in ModelInfo(**base).as_dict()
    replica = ReplicaInfo("r1", "node1", "127.0.0.1", "RUNNING", 3)
    listed = ModelInfo(**base, replicas=(replica,)).as_dict()["replicas"]
    assert [dict(r) for r in listed] == [
        {"replica_id": "r1", "node_id": "node1", "node_ip": "127.0.0.1", "state": "RUNNING", "requests": 3}
    ]
