"""Where a model runs besides a local pipeline, in models.yaml: on Ray Serve replicas (`replicas`,
`autoscaling`, `ray_actor_options`, and `defaults.cluster`), or on another server (`remote`)."""

from __future__ import annotations

from pydantic import Field, model_validator

from .config_base import Strict


class ClusterSettings(Strict):
    """Where Ray runs the models that have `replicas` or `autoscaling` (`pip install
    "openvino-ui[cluster]"`): `auto` joins the cluster this machine's `ray start` belongs to,
    `ray://host:10001` a remote one through Ray Client, `local` starts Ray inside this process."""

    address: str = Field(pattern=r"^(auto|local|ray://[^\s/]+(:\d+)?)$")


class Autoscaling(Strict):
    """Ray Serve's autoscaling of a model's replicas between `min_replicas` and `max_replicas`,
    aiming at `target_ongoing_requests` per replica."""

    min_replicas: int = Field(default=1, ge=0, le=1024)
    max_replicas: int = Field(default=2, ge=1, le=1024)
    target_ongoing_requests: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) is above max_replicas ({self.max_replicas})"
            )
        return self


class ActorOptions(Strict):
    """Ray's `ray_actor_options` for each replica: CPUs, GPUs, memory and custom resources (e.g.
    `{intel_gpu: 1}` for nodes started with `ray start --resources '{"intel_gpu": 1}'`)."""

    num_cpus: float | None = Field(default=None, ge=0)
    num_gpus: float | None = Field(default=None, ge=0)
    memory: int | None = Field(default=None, ge=0)  # bytes
    resources: dict[str, float] = Field(default_factory=dict)


class RemoteEndpoint(Strict):
    """A model served by another server through its OpenAI-compatible API: OpenVINO Model Server
    2025+ (`http://ovms:8000/v3`), another openvino-ui (`http://host:7860/v1`), vLLM, llama-server."""

    url: str = Field(pattern=r"^https?://[^\s]+$")  # the API's base, ending in /v1 or /v3
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")  # the key's variable
    model: str | None = None  # the model's name there (default: this entry's name)
    timeout_s: float = Field(default=300.0, gt=0)  # per request; a stream's gap between pieces
