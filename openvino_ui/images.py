"""Turn whatever a user uploads into the pixels a vision model takes: RGB, upright, bounded in size.

Pillow only (no openvino), so it is cheap to import and to unit-test. The rules:

* Any format pillow reads (PNG, JPEG, WebP, GIF (first frame), BMP, TIFF, ...). Anything else is
  refused with a message naming the file.
* The EXIF orientation tag is applied, so a phone photo taken sideways is seen upright.
* Transparent pixels are composited onto white (dropping alpha would turn them black or random).
* Inputs above MAX_PIXELS (50 megapixels) are refused before their pixels are decoded: such a
  request is a mistake or an attack, and the model would see a thumbnail of it anyway.
* The longer side is scaled down to `max_side` (VLMSpec.max_image_side, default 1344 px); vision
  processors resize again to their own grid, so larger inputs only cost memory and time.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput, clip

MAX_PIXELS = 50_000_000  # width x height above which an image is refused
ImageSource = str | Path | bytes | Image.Image | np.ndarray


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for a vision model."""

    pixels: np.ndarray  # uint8, shape (height, width, 3), C-contiguous
    original_size: tuple[int, int]  # (width, height) as uploaded, after EXIF rotation
    resized: bool  # True when it was scaled down to the side limit

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of `pixels`."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def prepare_image(source: ImageSource, max_side: int, name: str = "the image") -> PreparedImage:
    """Decode `source` (a path, encoded bytes, a PIL image or an HxW[xC] uint8 array) for a VLM.

    Raises InvalidInput for a file that is not an image, a missing file, or more than MAX_PIXELS.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    image = _open(source, name)
    width, height = image.size
    _check_pixels(width, height, name)
    try:
        orientation = int(image.getexif().get(0x0112, 1))  # EXIF Orientation; 5..8 swap the sides
    except Exception:
        orientation = 1
    if getattr(image, "is_animated", False):
        image.seek(0)  # an animated GIF/WebP: its first frame
    if image.format == "JPEG":
        # Let the JPEG decoder scale by 1/2..1/8 while decoding: huge photos decode much faster.
        image.draft("RGB", (max_side, max_side))
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a corrupt EXIF block must not lose the picture
        upright = image
    try:
        rgb = _to_rgb(upright)
    except OSError as exc:  # truncated or corrupt pixel data
        raise InvalidInput(
            f"{_capital(name)} could not be decoded ({clip(str(exc))}); re-save it and try again."
        ) from None
    # The size as uploaded (draft() may have decoded it smaller), turned upright like the pixels.
    original = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    resized = max(original) > max_side
    if max(rgb.size) > max_side:
        rgb = ImageOps.contain(rgb, (max_side, max_side), Image.Resampling.LANCZOS)
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    return PreparedImage(pixels=pixels, original_size=original, resized=resized)


def _open(source: ImageSource, name: str) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source, name)
    where = f"{name} ({clip(Path(source).name)})" if isinstance(source, str | Path) else name
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            # We check the pixel count ourselves, with a clearer message than pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(handle)
    except FileNotFoundError:
        raise InvalidInput(f"{_capital(where)} was not found; upload it again.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{_capital(where)} is a folder, not an image file.") from None
    except Image.DecompressionBombError:
        raise InvalidInput(
            f"{_capital(where)} is larger than {MAX_PIXELS // 1_000_000} megapixels; scale it down first."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidInput(
            f"{_capital(where)} is not an image this server can read; upload a PNG, JPEG, WebP, GIF, "
            "BMP or TIFF file."
        ) from None


def _from_array(array: np.ndarray, name: str) -> Image.Image:
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]  # a batch of one, as VLMPipeline takes it
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise InvalidInput(f"{_capital(name)} must be an HxW, HxWx3 or HxWx4 array; got shape {array.shape}.")
    _check_pixels(array.shape[1], array.shape[0], name)
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0  # floats in [0, 1]
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    return Image.fromarray(array)


def _check_pixels(width: int, height: int, name: str) -> None:
    if width < 1 or height < 1:
        raise InvalidInput(f"{_capital(name)} is empty ({width}x{height} pixels).")
    if width * height > MAX_PIXELS:
        raise InvalidInput(
            f"{_capital(name)} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); the limit "
            f"is {MAX_PIXELS // 1_000_000} megapixels. Scale it down and try again."
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency is composited onto white."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit or float greyscale: scale its range into 8 bits instead of clipping to white.
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255 if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
