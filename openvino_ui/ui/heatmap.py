"""A similarity-matrix heatmap drawn with pillow (no matplotlib at run time).

Rows are labelled "1. first words of the text", columns by the same numbers; every cell shows its
value when there is room. Colours: white at 0, deepening blue towards 1, red towards -1, with a
colour bar underneath, so the most similar pairs stand out at a glance.
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_BLUE = np.array([8, 48, 107], dtype=np.float64)  # similarity 1
_RED = np.array([103, 0, 13], dtype=np.float64)  # similarity -1
_WHITE = np.array([255, 255, 255], dtype=np.float64)
_INK = (33, 33, 33)
LABEL_CHARS = 36  # row labels are cut to this many characters


def colour_of(value: float) -> tuple[int, int, int]:
    """RGB for a similarity in [-1, 1] (values outside are clipped)."""
    v = float(np.clip(value, -1.0, 1.0))
    target = _BLUE if v >= 0 else _RED
    rgb = _WHITE + (target - _WHITE) * abs(v) ** 0.8  # a slight curve: mid values stay distinguishable
    return tuple(int(round(c)) for c in rgb)  # type: ignore[return-value]


def short_label(index: int, text: str, limit: int = LABEL_CHARS) -> str:
    """'3. The first words…' on one line."""
    flat = " ".join(text.split())
    return f"{index + 1}. " + (flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…")


def render_heatmap(
    matrix: np.ndarray, labels: Sequence[str], title: str = "Cosine similarity"
) -> Image.Image:
    """Draw the (n, n) `matrix` with one label per row; returns an RGB image about 400-1300 px wide."""
    values = np.asarray(matrix, dtype=np.float64)
    n = values.shape[0]
    if values.shape != (n, n) or n != len(labels):
        raise ValueError(f"need an (n, n) matrix and n labels; got {values.shape} and {len(labels)} labels")
    cell = int(np.clip(640 // max(n, 1), 6, 72))
    font = ImageFont.load_default(size=int(np.clip(cell * 0.32, 11, 16)))
    small = ImageFont.load_default(size=12)
    row_labels = [short_label(i, t) for i, t in enumerate(labels)]
    label_w = max(int(font.getlength(s)) for s in row_labels) + 12 if n else 0
    pad, title_h, bar_h = 12, 28, 44
    head_h = int(font.size) + 10  # column numbers
    width = pad + label_w + n * cell + 2 * pad  # room for the colour bar's end label
    height = pad + title_h + head_h + n * cell + bar_h + pad
    image = Image.new("RGB", (max(width, 360), height), "white")
    draw = ImageDraw.Draw(image)
    # centred over the cells: the image's top corners lie under the component's label and buttons
    title_x = min(max(pad + label_w + n * cell / 2, 180), image.width - 180)
    draw.text((title_x, pad), title, fill=_INK, font=ImageFont.load_default(size=16), anchor="ma")
    top, left = pad + title_h + head_h, pad + label_w
    show_values = cell >= 34
    number_every = max(1, int(np.ceil(14 / cell)))  # keep column numbers from overlapping
    for j in range(n):
        if j % number_every == 0:
            draw.text((left + j * cell + cell / 2, top - 4), str(j + 1), fill=_INK, font=font, anchor="md")
    for i in range(n):
        y = top + i * cell
        draw.text((left - 8, y + cell / 2), row_labels[i], fill=_INK, font=font, anchor="rm")
        for j in range(n):
            x = left + j * cell
            colour = colour_of(values[i, j])
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=colour)
            if show_values:
                dark = sum(colour) < 400
                draw.text(
                    (x + cell / 2, y + cell / 2),
                    f"{values[i, j]:.2f}",
                    fill="white" if dark else _INK,
                    font=font,
                    anchor="mm",
                )
    _colour_bar(draw, left, top + n * cell + 14, max(n * cell, 200), small)
    return image


def _colour_bar(draw: ImageDraw.ImageDraw, x0: int, y0: int, length: int, font: ImageFont.ImageFont) -> None:
    for k in range(length):
        value = -1 + 2 * k / max(length - 1, 1)
        draw.line([x0 + k, y0, x0 + k, y0 + 10], fill=colour_of(value))
    for value in (-1.0, 0.0, 1.0):
        x = x0 + (value + 1) / 2 * (length - 1)
        draw.text((x, y0 + 13), f"{value:g}", fill=_INK, font=font, anchor="ma")
