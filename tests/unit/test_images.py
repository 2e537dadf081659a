"""Image normalisation for vision models: formats, EXIF orientation, transparency, size limits."""

import io

import numpy as np
import pytest
from PIL import Image

from openvino_ui.errors import InvalidInput
from openvino_ui.images import MAX_PIXELS, prepare_image


def encoded(image: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kw)
    return buffer.getvalue()


def marked_photo() -> Image.Image:
    """40 wide x 20 high; red left half, blue right half: orientation is visible in the pixels."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    return image


def test_png_becomes_rgb_uint8_hwc(tmp_path):
    path = tmp_path / "a.png"
    Image.new("L", (30, 10), 128).save(path)
    prepared = prepare_image(str(path), max_side=100)
    assert prepared.pixels.dtype == np.uint8 and prepared.pixels.shape == (10, 30, 3)
    assert prepared.pixels.flags["C_CONTIGUOUS"]
    assert prepared.original_size == (30, 10) and prepared.size == (30, 10) and not prepared.resized


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    data = encoded(marked_photo(), "JPEG", exif=exif.tobytes(), quality=95)
    prepared = prepare_image(data, max_side=100)
    # upright, the 40x20 picture is 20 wide and 40 high, the red half on top
    assert prepared.pixels.shape == (40, 20, 3)
    assert prepared.original_size == (20, 40)
    top, bottom = prepared.pixels[5, 10], prepared.pixels[35, 10]
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_no_exif_keeps_orientation():
    prepared = prepare_image(encoded(marked_photo(), "JPEG", quality=95), max_side=100)
    assert prepared.pixels.shape == (20, 40, 3)
    assert prepared.pixels[10, 5][0] > 200


def test_large_images_are_scaled_down_keeping_the_aspect_ratio():
    prepared = prepare_image(encoded(Image.new("RGB", (1000, 500), (0, 255, 0))), max_side=200)
    assert prepared.pixels.shape == (100, 200, 3)
    assert prepared.resized and prepared.original_size == (1000, 500)
    assert tuple(prepared.pixels[50, 100]) == (0, 255, 0)


def test_large_jpeg_reports_its_real_size():
    data = encoded(Image.new("RGB", (1600, 1200), (10, 20, 30)), "JPEG")
    prepared = prepare_image(data, max_side=300)
    assert prepared.original_size == (1600, 1200) and prepared.resized
    assert max(prepared.size) == 300


def test_transparent_pixels_become_white():
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    pixels = prepare_image(encoded(rgba), max_side=10).pixels
    assert tuple(pixels[0, 0]) == (255, 0, 0)
    assert tuple(pixels[3, 3]) == (255, 255, 255)


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    pixels = prepare_image(buffer.getvalue(), max_side=10).pixels
    assert pixels[4, 4][0] > 200 and pixels[4, 4][2] < 50


def test_arrays_and_pil_images_are_accepted():
    array = np.zeros((1, 6, 9, 3), np.uint8)
    assert prepare_image(array, max_side=10).pixels.shape == (6, 9, 3)
    floats = np.ones((5, 5, 3), np.float32)  # [0, 1] floats become 255
    assert prepare_image(floats, max_side=10).pixels.max() == 255
    assert prepare_image(Image.new("P", (3, 2)), max_side=10).pixels.shape == (2, 3, 3)


def test_non_image_file_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not a picture")
    with pytest.raises(InvalidInput, match=r"notes\.txt\) is not an image .* PNG, JPEG"):
        prepare_image(str(path), max_side=100)


def test_truncated_image_is_a_clear_error():
    data = encoded(Image.new("RGB", (64, 64), (1, 2, 3)), "PNG")[:80]
    with pytest.raises(InvalidInput):
        prepare_image(data, max_side=100)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="was not found"):
        prepare_image(str(tmp_path / "gone.png"), max_side=100)


def test_absurd_sizes_are_refused_before_decoding():
    # a PNG header claiming 10000 x 10000 pixels: refused from the header alone
    huge = Image.new("1", (10_000, 10_000))
    with pytest.raises(InvalidInput, match=r"10000x10000 pixels \(100 megapixels\); the limit is 50"):
        prepare_image(encoded(huge), max_side=100)
    assert 10_000 * 10_000 > MAX_PIXELS


def test_bad_array_shape_is_a_clear_error():
    with pytest.raises(InvalidInput, match="HxW, HxWx3 or HxWx4"):
        prepare_image(np.zeros((2, 3, 4, 5), np.uint8), max_side=10)
