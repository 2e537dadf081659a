"""A model's replicas as Serve's controller sees them: their ids, nodes and states (what `serve
status` and Ray's dashboard show), for the Models tab and `/models`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..engines.base import ReplicaInfo

log = logging.getLogger(__name__)

# A status read waits at most this long: the Models tab refreshes every few seconds, and a
# controller that does not answer must not hold it up.
STATUS_TIMEOUT_S = 2.0


def replica_details(app: str, timeout_s: float = STATUS_TIMEOUT_S) -> list[dict[str, Any]]:
    """Each replica of application `app` (one per model): replica_id, node_id, node_ip, state,
    actor_name. Empty when Serve does not answer in time or the application does not exist."""
    import ray
    from ray.serve.context import _get_global_client

    try:
        client = _get_global_client(raise_if_no_controller_running=False)
        if client is None:
            return []
        # The controller's own report (ServeInstanceDetails); serve.status() keeps only counts.
        details = ray.get(client._controller.get_serve_instance_details.remote(), timeout=timeout_s)
    except Exception as exc:  # a report only: never a reason to fail the Models tab
        log.warning("reading the replicas of %s failed: %s", app, type(exc).__name__)
        return []
    found = (details.get("applications") or {}).get(app) or {}
    rows = []
    for deployment in (found.get("deployments") or {}).values():
        for replica in deployment.get("replicas") or []:
            state = replica.get("state")
            rows.append(
                {
                    "replica_id": str(replica.get("replica_id")),
                    "node_id": str(replica.get("node_id") or ""),
                    "node_ip": replica.get("node_ip"),
                    "state": str(getattr(state, "value", state)),
                    "actor_name": replica.get("actor_name"),
                }
            )
    return rows


def replicas(app: str, served_by: Mapping[str, int]) -> tuple[ReplicaInfo, ...]:
    """The replicas of `app`, each with the requests this process sent it (`served_by`)."""
    return tuple(
        ReplicaInfo(
            replica_id=row["replica_id"],
            node_id=row["node_id"],
            node_ip=row["node_ip"],
            state=row["state"],
            requests=int(served_by.get(row["replica_id"], 0)),
        )
        for row in replica_details(app)
    )


def deployed_apps() -> list[str]:
    """The names of the Serve applications on the cluster (one per deployed model)."""
    from ray import serve

    return sorted(serve.status().applications)
