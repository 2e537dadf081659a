"""What the REST routes need to know beyond the pool: limits and switches set on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..access import AccessPolicy

# A chat with a few images as data: URLs, or a few minutes of WAV: larger bodies are refused (413).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RestSettings:
    # every request body under /v1, JSON or multipart (`serve --max-body-size`)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # image_url parts may name http(s) URLs that the server then downloads (off: data: URLs only)
    allow_remote_images: bool = False
    # API keys for /v1, admin keys for managing models, read-only (openvino_ui.access)
    access: AccessPolicy = field(default_factory=AccessPolicy)
