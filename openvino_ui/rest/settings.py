"""What the REST routes need to know beyond the pool: limits and switches set on the command line."""

from __future__ import annotations

from dataclasses import dataclass

# A chat with a few images as data: URLs, or a few minutes of WAV: larger bodies are refused (413).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RestSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # image_url parts may name http(s) URLs that the server then downloads (off: data: URLs only)
    allow_remote_images: bool = False
