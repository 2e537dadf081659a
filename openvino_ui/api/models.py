"""Endpoints that manage the models: list models and devices, load and unload, statistics (Gradio
adapters over the service's model operations). Loading and unloading follow the server's access
policy (openvino_ui.access): with --admin-key they take the admin key, under --read-only they are
refused."""

from ..access import AccessPolicy
from ..service import Service
from .errors import user_errors


class ModelsAPI:
    def __init__(self, service: Service, access: AccessPolicy | None = None):
        self.service = service
        self.access = access or AccessPolicy()

    @user_errors
    def models(self) -> list[dict]:
        """List every configured model.

        Returns:
            One dict per model: name, task, device, status (unloaded | loading | ready | failed),
            error (why a load failed), load_time_s, model_dir, description, requests, failures,
            last_latency_ms, avg_latency_ms, avg_ttft_ms, avg_tpot_ms, avg_tokens_per_s, generated_tokens,
            version (its numbered version; null: unversioned), memory_mb (measured at its last load); a
            model on Ray Serve also has replicas: [{replica_id, node_id, node_ip, state, requests}].
        """
        return [info.as_dict() for info in self.service.models()]

    @user_errors
    def devices(self) -> list[dict]:
        """List the devices OpenVINO sees on this machine.

        Returns:
            One dict per device: name (e.g. "CPU", "GPU.0", "NPU") and full_name. AUTO and
            HETERO:<dev>,<dev> combinations of these names are accepted wherever a device is.
        """
        return [d.as_dict() for d in self.service.devices()]

    @user_errors
    def load_model(self, name: str, device: str = "", admin_key: str = "", version: str = "") -> dict:
        """Load a model (or move it to another device, or switch its version). Waits until it is ready.

        Args:
            name: a model name from `/models`.
            device: e.g. "CPU", "GPU", "NPU", "AUTO"; empty means the device set in models.yaml.
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.
            version: a numbered version of the model ("2") or "latest" (see `/model_versions`);
                empty keeps the version it serves. A new version is built beside the running one.

        Returns:
            The model's entry as in `/models`, with status "ready".
        """
        self.access.check_management(admin_key or None)
        return self.service.load(name, device, version).as_dict()

    @user_errors
    def unload_model(self, name: str, admin_key: str = "") -> dict:
        """Unload a model and free its memory (a request in flight finishes first).

        Args:
            name: a model name from `/models`.
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.

        Returns:
            The model's entry as in `/models`, with status "unloaded".
        """
        self.access.check_management(admin_key or None)
        return self.service.unload(name).as_dict()

    @user_errors
    def stats(self, name: str = "") -> list[dict]:
        """Request statistics per model and device since the server started.

        Args:
            name: one model's name; empty means every model.

        Returns:
            One dict per (model, device) pair: name, task, device, requests, failures,
            last_latency_ms, avg_latency_ms, avg_ttft_ms, avg_tpot_ms, avg_tokens_per_s, generated_tokens.
        """
        return [row.as_dict() for row in self.service.stats(name)]
