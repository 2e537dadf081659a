"""A model's Serve application built from models.yaml outside openvino-ui's server: for Serve's
own tools and for a KubeRay RayService's `serveConfigV2` (examples/rayservice.yaml)::

    serve run openvino_ui.cluster.app:build config=/models/models.yaml model=gemma-3-270m

It is the application the server deploys when it loads that model (same name, same options), so
either may start it; the server's Load and Unload then act on it as on its own.
"""

from __future__ import annotations

from typing import Any

from ..config import load_config
from ..versions import resolve_version
from .handle import deployment_options


def build(args: dict[str, str]) -> Any:
    """Serve's application builder: `args` holds `config` (a models.yaml path) and `model`."""
    from .runtime import require_ray

    require_ray()
    from ray import serve

    from .deployment import ModelReplica

    config = load_config(args["config"])
    name = args["model"]
    spec = config.models[name]
    path, _ = resolve_version(spec.path, spec.version)  # the version folder the server would serve
    spec = spec.model_copy(update={"path": path})
    properties: dict[str, Any] = dict(spec.properties)
    if config.defaults.cache_dir is not None:  # as the pool gives every pipeline (pool.properties_for)
        properties.setdefault("CACHE_DIR", str(config.defaults.cache_dir))
    app = serve.deployment(ModelReplica).options(**deployment_options(name, spec))
    return app.bind(name, spec.model_dump(mode="json"), properties, config.defaults.queue_timeout_s)
