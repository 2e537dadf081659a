"""The device benchmark endpoints (Gradio adapters over the service's benchmark operations).
Running a benchmark loads the model a second time and keeps the machine busy for a while, so it
is a management action: it follows the access policy as load_model does (admin key, --read-only);
reading the kept results is open to everyone."""

from ..access import AccessPolicy
from ..service import Service
from .errors import user_errors


class BenchmarkAPI:
    def __init__(self, service: Service, access: AccessPolicy | None = None):
        self.service = service
        self.access = access or AccessPolicy()

    @user_errors
    def benchmark_model(self, name: str, devices: list[str], admin_key: str = "") -> dict:
        """Benchmark a model on each device asked for and keep the results. Waits until it is done
        (seconds for a small model, minutes for a large one on several devices).

        llm and vlm models: TTFT of a 512-token prompt (ms) and decode speed over 128 tokens
        (tok/s); asr and tts: real-time factor (processing time / audio duration) on an example clip
        or sentence; embedding and rerank: texts per second at batch 1 and at batch 32. Each figure
        is the median of 3 repetitions after a warm-up. The served model is not disturbed: the
        benchmark loads its own copy, outside the pool, and unloads it afterwards. One benchmark
        runs at a time per server.

        Args:
            name: a model name from `/models`.
            devices: the devices to measure on, e.g. ["CPU"] or ["CPU", "GPU"] (see `/devices`;
                AUTO and HETERO:GPU,CPU work too). A device OpenVINO does not see is refused
                before anything runs.
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.

        Returns:
            {"run_id", "model", "task", "results": [one per device: {"run_id", "date", "created",
            "model", "task", "device", "model_version", "versions": {"openvino", "openvino_genai",
            "openvino_ui"}, "figures": [{"name", "label", "unit", "better", "samples", "median"}],
            "setup"}], "failures": [{"device", "error"}] (devices the model failed to load on)}.
        """
        self.access.check_management(admin_key or None)
        return self.service.benchmark_model(name, devices).as_dict()

    @user_errors
    def benchmark_results(self, name: str = "") -> list[dict]:
        """The kept device benchmark results, newest first (at most 50).

        Args:
            name: one model's name; empty means every model.

        Returns:
            One dict per model x device of each run, as in the results of `/benchmark_model`.
        """
        return [result.as_dict() for result in self.service.benchmark_results(name)]
