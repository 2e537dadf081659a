"""Operating the served models at runtime, as OpenVINO Model Server's operators do: re-read
models.yaml (`reload_config`, also on SIGHUP), rebuild one model from its files (`reload_model`),
switch versions (`model_versions`, `load(..., version=)`), change its execution mode and OpenVINO
properties (`set_model_properties`), and see memory against the budgets (`memory_budget`).

Every change builds first and swaps after: requests keep being served by the model as it was until
the new one is ready, and a change that fails (a broken file, a property OpenVINO rejects) changes
nothing and says why.
"""

from __future__ import annotations

import logging
from typing import Any

from ..changes import ConfigChanges
from ..config import PROPERTY_PATTERN, load_config
from ..engines.base import ModelInfo
from ..errors import ConfigError, ConfigNotApplied, InvalidInput, quote
from ..memory import DeviceBudget
from ..versions import list_versions
from .core import ServiceBase
from .validation import MAX_NAME_CHARS, check_unicode, string

log = logging.getLogger(__name__)

# The execution modes OpenVINO's PERFORMANCE_HINT takes (LATENCY: one request fast; THROUGHPUT:
# many requests at once, several streams; CUMULATIVE_THROUGHPUT: THROUGHPUT across AUTO's devices).
PERFORMANCE_HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
PRECISIONS = ("f32", "bf16", "f16")
# A value that removes a property set at runtime or in models.yaml (OpenVINO's own default applies).
DEFAULT = "default"
MAX_STREAMS = 256


class RuntimeService(ServiceBase):
    def reload_config(self) -> ConfigChanges:
        """Re-read models.yaml and serve what it lists now (OpenVINO Model Server's
        /v1/config/reload): new models appear; removed ones go once their requests in flight have
        finished; changed ones are rebuilt (loaded again first if they were loaded) and swapped.
        Returns what changed. A broken file changes nothing and raises ConfigNotApplied listing
        every problem."""
        path = self.pool.config.path
        try:
            config = load_config(path)
        except ConfigError as exc:
            log.warning("models.yaml not applied: %d problem(s)", len(exc.problems))
            raise ConfigNotApplied(exc.problems) from None
        return self.pool.apply(config)

    def reload_model(self, name: str) -> ModelInfo:
        """Rebuild model `name` from the files of the version it serves (after they were replaced
        on disk). A loaded model is built anew beside the old one, which serves until the new one
        is ready; a failure leaves the old one serving (ModelLoadFailed says so)."""
        return self.pool.rebuild(_name(name))

    def model_versions(self, name: str) -> dict[str, Any]:
        """Model `name`'s numbered versions (folders 1/, 2/, ... under its path, as in OpenVINO
        Model Server), the one it serves, and what models.yaml asks for ("latest" or a number)."""
        model = _name(name)
        engine = self.pool.get(model)
        spec = self.pool.configured_spec(model)
        return {
            "name": model,
            "versions": list_versions(spec.path),
            "serving": engine.version,
            "configured": spec.version,
        }

    def set_model_properties(self, name: str, properties: dict[str, Any]) -> ModelInfo:
        """Change model `name`'s OpenVINO properties at runtime and rebuild it with them, e.g.
        {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 2, "INFERENCE_PRECISION_HINT": "f32"}; a
        value "default" (or None) removes the property so OpenVINO's default applies. The model is
        built with them (loaded if it was not, so OpenVINO checks them) beside the running one and
        swapped in when ready; a property OpenVINO rejects changes nothing (ModelLoadFailed). The
        change lasts until models.yaml changes that model or the server restarts."""
        model = _name(name)
        engine = self.pool.get(model)
        if not isinstance(properties, dict) or not properties:
            raise InvalidInput(
                "Give at least one property, e.g. {'PERFORMANCE_HINT': 'THROUGHPUT'}.", param="properties"
            )
        check_unicode(properties, "properties", param="properties")
        merged = dict(engine.spec.properties)
        for key, value in properties.items():
            checked = _property(key, value)
            if checked is None:
                merged.pop(key, None)
            else:
                merged[key] = checked
        spec = engine.spec.model_copy(
            update={"properties": merged, "path": self.pool.configured_spec(model).path}
        )
        return self.pool.rebuild(model, spec=spec, load=True)

    def memory_budget(self) -> list[DeviceBudget]:
        """Per device: its memory budget (models.yaml defaults.memory_budget_gb; None: none), the GB
        its loaded models take (measured at load, else their size on disk) and by which model."""
        return self.pool.memory_budget().rows()


def _name(value: str) -> str:
    return str(string(value, "name", max_chars=MAX_NAME_CHARS))


def _bad(key: str, accepts: str, value: Any) -> InvalidInput:
    return InvalidInput(f"{key} must be {accepts} or 'default'; got {quote(value)}.", param="properties")


def _property(key: Any, value: Any) -> str | int | float | bool | None:
    """A checked property value; None to remove it. The three the UI offers are checked by name;
    any other upper-case OpenVINO property passes through, for OpenVINO to accept or reject."""
    if not isinstance(key, str) or not PROPERTY_PATTERN.match(key):
        raise InvalidInput(
            f"Property {quote(key)} is not an OpenVINO property name (upper case, e.g. PERFORMANCE_HINT).",
            param="properties",
        )
    if value is None or (isinstance(value, str) and value.strip().lower() in (DEFAULT, "")):
        return None
    if key == "PERFORMANCE_HINT":
        hint = str(value).strip().upper()
        if hint not in PERFORMANCE_HINTS:
            raise _bad(key, f"one of {', '.join(PERFORMANCE_HINTS)}", value)
        return hint
    if key == "NUM_STREAMS":
        if isinstance(value, str) and value.strip().upper() == "AUTO":
            return "AUTO"
        try:
            streams = int(value)
        except (TypeError, ValueError):
            streams = 0
        if isinstance(value, bool) or not 1 <= streams <= MAX_STREAMS or float(value) != streams:
            raise _bad(key, f"a whole number from 1 to {MAX_STREAMS}, 'AUTO'", value)
        return streams
    if key == "INFERENCE_PRECISION_HINT":
        precision = str(value).strip().lower()
        if precision not in PRECISIONS:
            raise _bad(key, f"one of {', '.join(PRECISIONS)}", value)
        return precision
    if isinstance(value, str | int | float | bool):
        return value
    raise InvalidInput(
        f"Property {key} takes a string, number or boolean; got {quote(value)}.", param="properties"
    )
