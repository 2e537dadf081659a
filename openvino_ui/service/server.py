"""The server as a whole, for its operators: `server_stats` (uptime, versions, loaded models,
requests, CPU, memory, device memory) and `server_history` (the last 10 minutes, for charts).

The figures come from the pool's telemetry (openvino_ui.telemetry), one per pool and shared by every
service around it, so the UI and the REST routes report the same uptime and the same history.
"""

from __future__ import annotations

from ..pool import EnginePool
from ..telemetry import HistoryPoint, ServerStats, ServerTelemetry, telemetry_of
from .core import ServiceBase


class ServerService(ServiceBase):
    def __init__(self, pool: EnginePool):
        super().__init__(pool)
        telemetry_of(pool)  # requests are counted from now on (no thread is started here)

    @property
    def telemetry(self) -> ServerTelemetry:
        """The pool's telemetry (the server starts its sampler at startup and closes it at shutdown)."""
        return telemetry_of(self.pool)

    def server_stats(self) -> ServerStats:
        """The server now: uptime (s); the versions of openvino-ui, OpenVINO and openvino-genai; how
        many models are configured and which are loaded; requests finished since it started (and how
        many failed); requests per second and the average inference time (ms, the time a request
        held its model; None when no request reached a model) over the last 60 seconds; the process's
        CPU use (percent of all cores) and resident memory (MiB); and, per device OpenVINO sees, the
        memory it reports (GPU, NPU: total and allocated; a device that reports nothing has None)."""
        return self.telemetry.stats()

    def server_history(self) -> list[HistoryPoint]:
        """One point every 5 seconds over the last 10 minutes, oldest first: its time (Unix s),
        requests per second over the minute before it, the process's memory (MiB) and CPU use (%).
        The server's sampler takes the first as it starts; server_stats takes one when the last is
        older than 5 s, so a service used without a server fills it as it is read."""
        return self.telemetry.history()
