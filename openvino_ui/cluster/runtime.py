"""Ray, connected (or started) once per process as models.yaml's `defaults.cluster` says, with Serve
running on it.

`auto` joins the cluster this machine belongs to (`ray start` ran here; RAY_ADDRESS overrides),
`ray://host:10001` reaches a remote one through Ray Client, `local` starts Ray inside this process,
bound to 127.0.0.1 only. Serve is started without its HTTP proxies: the app calls the models
through DeploymentHandles, so no port is opened for them (a cluster where Serve already runs keeps
its own settings).
"""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType

from ..placement import ClusterSettings

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "openvino-ui[cluster]"'

_lock = threading.Lock()
_address: str | None = None  # what this process connected to (None: not yet)


class RayMissing(ImportError):
    """Ray (with Serve) is not installed, but a model asks for replicas."""

    def __init__(self) -> None:
        super().__init__(
            "Ray is not installed: models with 'replicas' or 'autoscaling' run as Ray Serve "
            f"deployments; install it with `{INSTALL_HINT}` (or remove those keys from models.yaml)"
        )


def require_ray() -> ModuleType:
    """The `ray` module, with Serve; RayMissing (naming the extra to install) when absent."""
    try:
        import ray
        import ray.serve  # noqa: F401 - the [serve] extra, not just the core
    except ImportError as exc:
        raise RayMissing() from exc
    return ray


def connect(settings: ClusterSettings) -> None:
    """Connect this process to Ray and start Serve, once; later calls return at once.

    One process holds one Ray connection: a second address (after models.yaml changed) is logged
    and ignored until the app restarts. A Ray connection made before (a test, a notebook) is kept.
    """
    global _address
    with _lock:
        if _address is not None:
            if settings.address != _address:
                log.warning(
                    "defaults.cluster.address changed to %s; this process stays on %s until it restarts",
                    settings.address,
                    _address,
                )
            return
        ray = require_ray()
        from ray import serve

        # Ray reports usage to its makers unless told not to; a local app should not phone home.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if not ray.is_initialized():
            if settings.address == "local":
                # Loopback only: a Ray started for this app must not listen on the network.
                ray.init(
                    address="local",
                    include_dashboard=False,
                    log_to_driver=False,
                    _node_ip_address="127.0.0.1",
                )
            else:
                # Replicas log to Ray's session folder (/tmp/ray/session_latest/logs), not here.
                ray.init(address=settings.address, log_to_driver=False)
        serve.start(proxy_location="Disabled")
        _address = settings.address
        log.info("connected to Ray (%s); Serve is running", settings.address)


def connected() -> bool:
    """Whether this process has connected to Ray (a model with replicas was loaded)."""
    return _address is not None
