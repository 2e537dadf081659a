"""The endpoint that shows one model in detail (a Gradio adapter over the service's model_info).
Reading is open to every caller, as `/models` is; nothing is loaded by it."""

from ..service import Service
from .errors import user_errors


class ModelInfoAPI:
    def __init__(self, service: Service):
        self.service = service

    @user_errors
    def model_info(self, name: str) -> dict:
        """One model in detail: its IR files' inputs and outputs, weight format, size and memory,
        how its device compiled it, and its versions. Loads nothing.

        Args:
            name: a model name from `/models`.

        Returns:
            A dict: name, task, status, device; model_dir (the IR folder served) and versions_dir
            (the folder models.yaml names); version (the one served, null when unversioned) and
            versions (all under versions_dir); disk_bytes; memory_bytes (resident memory its last
            load added, null before one); weight_format (fp32 | fp16 | bf16 | fp8 | int8 | int4,
            the one holding the most weight bytes) and weight_bytes (bytes per format);
            weight_format_configured (the source's weight_format as models.yaml writes it, e.g.
            "auto"; null without a source to convert), weight_format_resolved (the variant
            prepared and loaded) and resolved_by (for "auto": the CPU family or device and the
            measurement it was chosen by, else null); irs, one per IR file: file, kind (model |
            tokenizer | detokenizer), xml_bytes, bin_bytes, inputs and outputs (each: name,
            names, element_type, shape such as "[?,?]", dims with -1 for a dynamic dimension,
            layout), weight_format, weight_bytes, error; compiled: device, ir, values
            (PERFORMANCE_HINT, NUM_STREAMS, INFERENCE_PRECISION_HINT, KV_CACHE_PRECISION,
            INFERENCE_NUM_THREADS, EXECUTION_DEVICES as the device resolved them), missing (those
            the device does not report) and reason (why values is empty, e.g. the model is not
            loaded); note (e.g. a bi-encoder reranker has no IR of its own).
        """
        return self.service.model_info(name).as_dict()
