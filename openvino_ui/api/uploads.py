"""Files sent to an endpoint (gradio_client's handle_file): find them on disk, safely.

gr.api endpoints receive file parameters unprocessed, as FileData dicts whose "path" the client
controls. Gradio's own components only read files inside its upload folder; we do the same, so that
an API call can never make the server read an arbitrary local file.
"""

from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder, is_in_or_equal

from ..errors import InvalidInput


def uploaded_file(value: Any, what: str, example: str) -> Path:
    """The local path of the uploaded file `value` (a FileData dict or object, as sent by handle_file).

    `what` names the parameter in errors; `example` is a file name for the hint, e.g. "photo.jpg".
    """
    hint = f"send it with gradio_client.handle_file({example!r})"
    if value is None or value == "" or value == {}:
        raise InvalidInput(f"No {what} was given; {hint}.")
    path = value.get("path") if isinstance(value, dict) else getattr(value, "path", None)
    if not isinstance(path, str) or not path:
        raise InvalidInput(f"The {what} must be an uploaded file; {hint}.")
    if "://" in path:
        raise InvalidInput(f"The {what} must be uploaded, not a URL: download it first, then {hint}.")
    if not is_in_or_equal(path, get_upload_folder()):
        raise InvalidInput(f"The {what} was not uploaded to this server; {hint}.")
    local = Path(path)
    if not local.is_file():
        raise InvalidInput(f"The uploaded {what} is no longer on the server; {hint} again.")
    return local
