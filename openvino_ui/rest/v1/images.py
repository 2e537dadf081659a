"""The bytes of an `image_url` part: a data: URL decoded, or an http(s) URL downloaded (only when
RestSettings.allow_remote_images is on, with a size and a time bound). Decoding the image itself is
the service's (openvino_ui.images, through Service.describe).

Nothing here logs a URL or its content.
"""

from __future__ import annotations

import base64
import binascii
import re

import anyio
import httpx

from ...errors import InvalidInput
from ..settings import RestSettings

MAX_REMOTE_BYTES = 20 * 1024 * 1024  # an image downloaded from an http(s) URL
REMOTE_TIMEOUT_S = 10.0  # to connect, and between two reads
REMOTE_TOTAL_S = 30.0  # the whole download
MAX_REDIRECTS = 3

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^;,]*)*),(?P<data>.*)", re.S | re.I)


async def image_bytes(url: str, settings: RestSettings, param: str) -> bytes:
    """The encoded image that `url` (a data: or, when allowed, an http(s) URL) holds; `param` names
    the field in the InvalidInput raised for a bad one."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return decode_data_url(url, param)
    if scheme in ("http", "https"):
        if not settings.allow_remote_images:
            raise InvalidInput(
                "This server does not download images from http(s) URLs (it was started without "
                "--allow-remote-images); send the image inline as a data: URL "
                "(data:image/png;base64,...).",
                param=param,
            )
        return await download(url, param)
    raise InvalidInput(
        "An image URL must be a data: URL (data:image/png;base64,...) or an http(s) URL.", param=param
    )


def decode_data_url(url: str, param: str) -> bytes:
    """The bytes of a base64 data: URL of an image (data:image/png;base64,....)."""
    found = _DATA_URL.fullmatch(url)
    if found is None or ";base64" not in found["params"].lower():
        raise InvalidInput(
            "A data: URL of an image must be base64-encoded: data:image/<type>;base64,<data>.", param=param
        )
    mime = (found["mime"] or "").lower()
    if mime and not mime.startswith("image/") and mime != "application/octet-stream":
        raise InvalidInput(f"The data: URL holds {mime}, not an image.", param=param)
    try:
        data = base64.b64decode(re.sub(r"\s+", "", found["data"]), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("The data: URL's base64 data is malformed.", param=param) from None
    if not data:
        raise InvalidInput("The data: URL holds no data.", param=param)
    return data


async def download(url: str, param: str) -> bytes:
    """GET `url` (redirects followed, at most MAX_REDIRECTS); a failure, a status other than 200, more
    than MAX_REMOTE_BYTES or more than REMOTE_TOTAL_S seconds is an InvalidInput."""
    limit = MAX_REMOTE_BYTES
    timeout = httpx.Timeout(REMOTE_TIMEOUT_S)
    try:
        with anyio.fail_after(REMOTE_TOTAL_S):
            async with httpx.AsyncClient(
                timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
            ) as client:
                async with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise InvalidInput(
                            f"The image URL answered HTTP {response.status_code}, not an image.", param=param
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise _too_large(limit, param)
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise _too_large(limit, param)
    except TimeoutError:
        raise InvalidInput(
            f"The image URL did not deliver within {REMOTE_TOTAL_S:.0f} s; send the image as a data: URL.",
            param=param,
        ) from None
    except httpx.InvalidURL:
        raise InvalidInput("The image URL is not a valid URL.", param=param) from None
    except httpx.HTTPError as exc:
        raise InvalidInput(
            f"The image URL could not be downloaded ({type(exc).__name__}); send the image as a data: URL.",
            param=param,
        ) from None
    return bytes(body)


def _too_large(limit: int, param: str) -> InvalidInput:
    size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return InvalidInput(f"The image at the URL is larger than {size}.", param=param)
