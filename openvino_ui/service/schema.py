"""The base of every request: a typed, frozen pydantic model that checks an API client's values with
the messages of service/validation.py.

Build one with `Kind.of(spec, **values)` (or `Service.request(Kind, **values)`, which finds `spec`
from the model the values name): the field validators run our checks first, so a wrong value gets
the message every adapter shows ("top_n must be between 1 and 8 (an integer); got '2' (a string).")
with `param` naming the field, never pydantic's own text. `spec` is the configuration of the model
the request is for (config.*Spec); with it, the bounds that depend on the model (its
limits.max_new_tokens, max_documents, ...) are checked and named in the messages too. Without it,
the service checks them when the request runs (`Request.check`).

A request constructed directly (`ChatRequest(...)`) is validated by pydantic alone (strict types,
the global bounds); its ValidationError is a programming error, not a user's.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator

from ..config import AnySpec
from ..errors import InvalidInput, describe, quote


class Request(BaseModel):
    """A typed, frozen request to one operation of the service."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", arbitrary_types_allowed=True)

    noun: ClassVar[str] = "parameter"  # for "Unknown parameter 'x'."

    @classmethod
    def of(cls, spec: AnySpec | None = None, /, **values: Any) -> Self:
        """Check `values` (as an API client sent them) and build the request; the first bad value
        raises InvalidInput naming it and what it takes. `spec`: the model's configuration."""
        try:
            return cls.model_validate(values, context={"spec": spec})
        except ValidationError as exc:
            raise _invalid(cls, exc) from None

    def check(self, spec: AnySpec) -> None:
        """Check what depends on the model (`spec`): limits, counts, lengths. InvalidInput if wrong."""

    @model_validator(mode="after")
    def _check_for_model(self, info: ValidationInfo) -> Self:
        spec = spec_of(info)
        if spec is not None:
            self.check(spec)
        return self


def spec_of(info: ValidationInfo) -> AnySpec | None:
    """The model configuration a request is being checked against (None: not known yet)."""
    context = info.context if isinstance(info.context, dict) else {}
    return context.get("spec")


def _invalid(kind: type[Request], exc: ValidationError) -> InvalidInput:
    """A ValidationError that our own field checks did not turn into a message first."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    name = loc[0] if loc else kind.__name__
    path = name + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in loc[1:])
    if error["type"] == "extra_forbidden":
        return InvalidInput(f"Unknown {kind.noun} {quote(loc[-1])}.", param=name)
    if error["type"] == "missing":
        return InvalidInput(f"{path} is required.", param=name)
    reason = str(error["msg"]).removeprefix("Value error, ").rstrip(".").lower()
    return InvalidInput(f"{path} is not valid: {reason}; got {describe(error.get('input'))}.", param=name)
