"""What a configuration reload changed: the reply of `reload_config` (and of SIGHUP, in the log)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ConfigChanges:
    """Model names by what happened to them; `failed` holds "name: reason" for each model whose new
    entry could not be built (it keeps serving with its old one)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {key: list(value) for key, value in asdict(self).items()}

    def summary(self) -> str:
        """One line for the log and the UI: "added x; removed y; changed z" (or "nothing changed")."""
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (
                ("added", self.added),
                ("removed", self.removed),
                ("changed", self.changed),
                ("failed", self.failed),
            )
            if names
        ]
        return "; ".join(parts) or "nothing changed"
