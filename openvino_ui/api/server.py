"""The server as a whole, for its operators (a Gradio adapter over the service's server_stats). It
reads and changes nothing, so it takes no admin key and answers under --read-only too; it is a
management endpoint, not a task, so it is not an MCP tool (ui/mount.py)."""

from ..service import Service
from .errors import user_errors


class ServerAPI:
    def __init__(self, service: Service):
        self.service = service

    @user_errors
    def server_stats(self) -> dict:
        """Statistics of the whole server, as OpenVINO Model Server's operators read them.

        Returns:
            A dict: uptime_s; versions ({"openvino-ui", "openvino", "openvino-genai"}: version or
            None); models_configured; active_models (the names of the loaded models);
            requests_total and failures_total (every finished request since the server started);
            requests_per_s and avg_inference_ms (the time a request held its model; None when none
            reached one) over the last window_s (60) seconds; cpu_percent (the process, percent of
            all cores); memory_mb (the process's resident memory, MiB); devices: one dict per device
            OpenVINO sees: device, total_mb and used_mb (None where the device reports nothing:
            GPU and NPU report them), by_kind_mb (GPU: MiB per allocation type).
        """
        return self.service.server_stats().as_dict()
