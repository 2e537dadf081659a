"""Files sent to an endpoint (gradio_client's handle_file): find them on disk, safely.

gr.api endpoints receive file parameters unprocessed, as FileData dicts whose "path" the client
controls. Gradio's own components only read files inside its upload folder; we do the same, so that
an API call can never make the server read an arbitrary local file (nor fetch a URL for it).

A FileData dict marked as such ({"path": ..., "meta": {"_type": "gradio.FileData"}}) is checked by
Gradio before our function runs; api/errors.py's `guard_blocks` applies `check_reference` there
first, so the client gets the same message either way.
"""

from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder, is_in_or_equal

from ..errors import InvalidInput

# An example file name per file parameter, for the hint in messages.
EXAMPLES = {"audio": "speech.wav", "image": "photo.jpg"}


def hint(what: str, example: str | None = None) -> str:
    example = example or EXAMPLES.get(what, "file.bin")
    return f"send it with gradio_client.handle_file({example!r}), which uploads it first"


def check_reference(path: Any, what: str, example: str | None = None) -> str:
    """`path` if it names a file inside Gradio's upload folder; else an InvalidInput saying to upload.

    `what` names the parameter ("audio", "image"); `example` is a file name for the hint.
    """
    how = hint(what, example)
    if not isinstance(path, str) or not path:
        raise InvalidInput(f"The {what} must be an uploaded file; {how}.")
    if "://" in path:
        raise InvalidInput(
            f"The {what} must be uploaded to this server, not given as a URL: download it first, then {how}."
        )
    try:
        inside = is_in_or_equal(path, get_upload_folder())
    except (OSError, ValueError):  # a NUL byte, a name the file system cannot encode
        inside = False
    if not inside:
        raise InvalidInput(f"The {what} was not uploaded to this server; upload it first: {how}.")
    return path


def uploaded_file(value: Any, what: str, example: str) -> Path:
    """The local path of the uploaded file `value` (a FileData dict or object, as sent by handle_file).

    `what` names the parameter in errors; `example` is a file name for the hint, e.g. "photo.jpg".
    """
    if value is None or value == "" or value == {}:
        raise InvalidInput(f"No {what} was given; {hint(what, example)}.")
    path = value.get("path") if isinstance(value, dict) else getattr(value, "path", None)
    local = Path(check_reference(path, what, example))
    if not local.is_file():
        raise InvalidInput(f"The uploaded {what} is no longer on the server; {hint(what, example)} again.")
    return local
