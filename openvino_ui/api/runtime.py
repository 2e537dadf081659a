"""Endpoints that operate the models at runtime, as OpenVINO Model Server's operators do: reload
models.yaml, rebuild a model from its files, list its versions, change its execution mode and
properties, and see memory against the budgets (Gradio adapters over service/runtime.py). The
changing ones follow the server's access policy (openvino_ui.access), as load_model does."""

from ..access import AccessPolicy
from ..service import Service
from .errors import user_errors


class RuntimeAPI:
    def __init__(self, service: Service, access: AccessPolicy | None = None):
        self.service = service
        self.access = access or AccessPolicy()

    @user_errors
    def reload_config(self, admin_key: str = "") -> dict:
        """Re-read models.yaml and serve what it lists now (also done on SIGHUP).

        New models appear; removed ones go once their requests in flight have finished; changed ones
        are rebuilt (loaded again first if they were loaded) and swapped in. A broken file changes
        nothing: the error lists every problem.

        Args:
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.

        Returns:
            {"added", "removed", "changed", "unchanged", "failed"}: model names (failed: "name:
            reason" for a changed model whose new entry did not load; it serves with its old one).
        """
        self.access.check_management(admin_key or None)
        return self.service.reload_config().as_dict()

    @user_errors
    def reload_model(self, name: str, admin_key: str = "") -> dict:
        """Rebuild a model from the files of the version it serves (after they changed on disk).

        A loaded model is built anew while the old one serves, and swapped in once ready; if the new
        build fails the old one keeps serving and the error says why.

        Args:
            name: a model name from `/models`.
            admin_key: as for `/reload_config`.

        Returns:
            The model's entry as in `/models`.
        """
        self.access.check_management(admin_key or None)
        return self.service.reload_model(name).as_dict()

    @user_errors
    def model_versions(self, name: str) -> dict:
        """List a model's numbered versions (folders 1/, 2/, ... under its path, as in OpenVINO
        Model Server). Load one with `/load_model`'s `version`.

        Args:
            name: a model name from `/models`.

        Returns:
            {"name", "versions": [1, 2, ...] (empty: the folder is not versioned), "serving": the
            version in use (null: unversioned), "configured": "latest" or the number models.yaml asks for}.
        """
        return self.service.model_versions(name)

    @user_errors
    def set_model_properties(
        self,
        name: str,
        performance_hint: str = "",
        num_streams: str = "",
        inference_precision: str = "",
        admin_key: str = "",
    ) -> dict:
        """Change a model's execution mode and OpenVINO properties, and rebuild it with them.

        The model is built with the new properties beside the running one (loaded if it was not, so
        OpenVINO checks them) and swapped in once ready; a value OpenVINO rejects changes nothing.
        The change lasts until models.yaml changes that model or the server restarts.

        Args:
            name: a model name from `/models`.
            performance_hint: "LATENCY", "THROUGHPUT" or "CUMULATIVE_THROUGHPUT"; "default" removes
                it; empty leaves it as it is.
            num_streams: a number of streams, "AUTO", or "default"; empty leaves it.
            inference_precision: "f32", "bf16" or "f16"; "default" removes it; empty leaves it.
            admin_key: as for `/reload_config`.

        Returns:
            The model's entry as in `/models` (see `/model_info` for the properties it resolved).
        """
        self.access.check_management(admin_key or None)
        wanted = {
            "PERFORMANCE_HINT": performance_hint,
            "NUM_STREAMS": num_streams,
            "INFERENCE_PRECISION_HINT": inference_precision,
        }
        changes = {key: value for key, value in wanted.items() if value not in ("", None)}
        return self.service.set_model_properties(name, changes).as_dict()

    @user_errors
    def memory_budget(self) -> list[dict]:
        """Memory per device against its budget (models.yaml defaults.memory_budget_gb).

        Returns:
            One dict per device with a budget or a loaded model: device, budget_gb (null: no
            budget), used_gb, and models: [{"name", "gb"}] (measured at load, else size on disk).
        """
        return [row.as_dict() for row in self.service.memory_budget()]
