"""A user's picture of a digit → the 28×28 input the network expects, made the way MNIST was made.

MNIST digits are light on dark, fitted into a 20×20 box keeping their aspect ratio (with antialiasing), and
placed in a 28×28 field with their centre of mass at the centre. A photo, a scan or a drawing is brought to
the same form:

1. read safely (:mod:`.photo_reading`: a bomb is refused before any pixel is decoded), apply the EXIF orientation;
2. composite transparency onto white, and convert to grey (16-bit images keep their full range; a dithered
   two-level picture is averaged back to the greys its dots stand for);
3. find the background from the border and invert if needed, so the digit is light on dark;
4. stretch the contrast and cut faint noise (a picture with no ink is refused: "no digit found");
5. crop to the digit's bounding box, resize it to fit 20×20 keeping its aspect ratio;
6. place it in 28×28 with its intensity-weighted centre of mass at the centre; scale to [0, 1].
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .catalog import IMAGE_SIDE
from .errors import ImageError
from .photo_reading import decode_grey, read_grey

BOX, FIELD = 20, IMAGE_SIDE  #: MNIST fits each digit into 20×20, then centres it in 28×28
NOISE_FLOOR = 0.2  #: after stretching, ink fainter than this is background noise
MIN_INK_CONTRAST = 0.08  #: a picture whose ink differs from its background by less than this holds no digit
NOISE_MARGIN = 8.0  #: ink must also stand this many noise deviations (measured on the border) above the paper
#: MNIST's centre of mass, in pixel-index coordinates (measured on the test set: 13.99, 14.02).
MNIST_CENTRE = 14.0
#: Paper's brightness is estimated locally, over windows of this fraction of the picture (shadows, falloff).
BACKGROUND_WINDOW = 0.15
#: Polarity is read from this many of the darkest and lightest pixels (a few, so that one hot pixel cannot decide).
EXTREME_PIXELS = 3
#: A digit is strokes on a ground: ink over more than this fraction of the picture is not a digit.
MAX_INK_COVER = 0.7
#: Nor is a speck: the digit must be at least this many pixels (at working size) tall or wide.
MIN_DIGIT_PIXELS = 4


class PreparedImage(NamedTuple):
    """What the network sees, and what the user gave."""

    path: Path
    pixels: np.ndarray  #: uint8 (28, 28), light digit on dark, as an MNIST image
    preview: np.ndarray  #: uint8 greyscale picture as the user sees it, at most 28 pixels on a side


def prepare_image(source: str | os.PathLike[str] | bytes, name: str = "upload") -> PreparedImage:
    """Read the picture at the path ``source``, or the image file's bytes (called ``name`` in messages), and
    make it an MNIST-like 28×28 digit."""
    if isinstance(source, bytes):
        import io

        path = Path(name)
        grey = decode_grey(io.BytesIO(source), name)
    else:
        path = Path(source)
        grey = read_grey(path)
    return PreparedImage(path, to_mnist(grey, source=str(path)), _preview(grey))


def to_mnist(grey: np.ndarray, source: str = "image") -> np.ndarray:
    """Grey levels in [0, 1] (any polarity, any size) → uint8 (28, 28), light digit centred on dark."""
    ink = _ink(grey, source)
    digit = _crop(ink)
    if max(digit.shape) < MIN_DIGIT_PIXELS:
        raise ImageError(f"{source}: no digit found (only a speck of {digit.shape[1]}×{digit.shape[0]} pixels)")
    box = _fit(digit, BOX)
    field = _centre(box, FIELD)
    return np.clip(np.rint(field * 255.0), 0, 255).astype(np.uint8)


def _ink(grey: np.ndarray, source: str) -> np.ndarray:
    """How much ink each pixel holds, in [0, 1], the digit light on dark.

    The background level comes from the border; ink lies on the side of it where the picture strays furthest.
    Dark ink on paper is measured against the paper's local brightness, so that light falling off across a
    photographed sheet, or a shadow, does not read as ink.
    """
    edges = (grey[0], grey[-1], grey[:, 0], grey[:, -1])
    background = _quantile(np.concatenate(edges), 0.5)
    # Noise from differences of neighbours along the border: blind to light that varies smoothly.
    steps = np.concatenate([np.diff(edge) for edge in edges])
    noise = 1.4826 * _quantile(np.abs(steps), 0.5) / np.sqrt(2) if steps.size else 0.0
    dark_ink_on_paper = _dark_ink(grey, background)
    ink = _local_background(grey) - grey if dark_ink_on_paper else grey - _local_background(grey, dark=True)
    np.clip(ink, 0.0, None, out=ink)
    top = _quantile(ink, 0.995) if ink.size > 400 else float(ink.max())
    top = max(top, float(ink.max()) * 0.5)  # a thin digit on a large sheet covers under 0.5% of it
    if top < max(MIN_INK_CONTRAST, NOISE_MARGIN * noise):
        raise ImageError(f"{source}: no digit found (no ink stands out from the background)")
    ink = np.clip(ink / top, 0.0, 1.0)
    ink = np.clip((ink - NOISE_FLOOR) / (1.0 - NOISE_FLOOR), 0.0, 1.0)
    if np.count_nonzero(ink > 0.5) > MAX_INK_COVER * ink.size:
        raise ImageError(f"{source}: no digit found (the whole picture reads as ink: a gradient or a texture?)")
    return ink


def _quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile, interpolated linearly as numpy's median and percentile do; not those, though: they
    import numpy.ma, which costs more start-up than the rest of this module."""
    flat = np.asarray(values).ravel()  # its own dtype: numpy selects in float32 ten times faster than in float64
    position = q * (flat.size - 1)
    low = int(position)
    high = min(low + 1, flat.size - 1)
    part = np.partition(flat, (low, high))
    below, above = float(part[low]), float(part[high])  # exact: interpolated in Python floats, as in float64
    return below + (above - below) * (position - low)


def _dark_ink(grey: np.ndarray, background: float) -> bool:
    """Whether the ink is darker than the background: the side where the picture strays furthest from it.

    Measured on the few most extreme pixels of the whole picture, not on percentiles: a small digit on a large
    canvas covers far less than 1% of it. The rule is symmetric, so a picture and its negative are read alike.
    """
    flat = grey.ravel()
    k = min(EXTREME_PIXELS, flat.size) - 1
    part = np.partition(flat, (k, flat.size - 1 - k))  # both ends in one pass
    darkest, lightest = float(part[k]), float(part[flat.size - 1 - k])
    return background - darkest >= lightest - background


def _local_background(grey: np.ndarray, dark: bool = False) -> np.ndarray:
    """The paper's brightness under every pixel: a maximum filter wider than a stroke, at low resolution,
    smoothed and scaled back up."""
    from PIL import Image

    height, width = grey.shape
    scale = min(1.0, 64 / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(grey, mode="F").resize(small_size, Image.Resampling.BOX))
    window = max(3, round(max(small_size) * BACKGROUND_WINDOW) | 1)
    paper = Image.fromarray(extreme_filter(small, window, np.minimum if dark else np.maximum), mode="F")
    coarse = paper.resize((max(1, small_size[0] // 4), max(1, small_size[1] // 4)), Image.Resampling.BOX)
    return np.asarray(coarse.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def extreme_filter(values: np.ndarray, window: int, take: np.ufunc = np.maximum) -> np.ndarray:
    """The maximum (``take=np.maximum``) or minimum of each ``window``×``window`` square, the borders repeated
    outwards: Pillow's ``MaxFilter`` and ``MinFilter``, value for value, as two passes of one dimension each
    (Pillow sorts every square: 1.4 ms where this takes a twentieth). ``window`` is odd, as Pillow requires."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f"the window must be an odd number of pixels, not {window}")
    height, width = values.shape
    padded = np.pad(values, window // 2, mode="edge")
    across = padded[:, :width].copy()
    for shift in range(1, window):
        take(across, padded[:, shift : shift + width], out=across)
    out = across[:height].copy()
    for shift in range(1, window):
        take(out, across[shift : shift + height], out=out)
    return out


def _crop(ink: np.ndarray, trim: float = 0.005) -> np.ndarray:
    """The digit's bounding box; stray specks holding under ``trim`` of the ink on either side are left out."""
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)
    total = float(rows.sum())

    def span(profile: np.ndarray) -> tuple[int, int]:
        cumulative = np.cumsum(profile) / total
        first = int(np.searchsorted(cumulative, trim, side="right"))
        last = int(np.searchsorted(cumulative, 1.0 - trim, side="left"))
        return first, max(first, min(last, len(profile) - 1)) + 1

    top, bottom = span(rows)
    left, right = span(cols)
    return ink[top:bottom, left:right]


def _fit(digit: np.ndarray, box: int) -> np.ndarray:
    """Resize so the longer side is ``box`` pixels, keeping the aspect ratio, with antialiasing."""
    from PIL import Image

    height, width = digit.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _centre(box: np.ndarray, field: int) -> np.ndarray:
    """Place ``box`` in a ``field``×``field`` square with its intensity-weighted centre of mass where MNIST's is."""
    height, width = box.shape
    total = float(box.sum())
    rows, cols = np.arange(height), np.arange(width)
    cy = float((box.sum(axis=1) * rows).sum() / total) if total else (height - 1) / 2
    cx = float((box.sum(axis=0) * cols).sum() / total) if total else (width - 1) / 2
    top, left = round(MNIST_CENTRE * field / FIELD - cy), round(MNIST_CENTRE * field / FIELD - cx)
    top = min(max(top, 0), field - height)  # never push the digit out of the field
    left = min(max(left, 0), field - width)
    out = np.zeros((field, field), dtype=np.float32)
    out[top : top + height, left : left + width] = box
    return out


def _preview(grey: np.ndarray, size: int = FIELD) -> np.ndarray:
    """The picture as the user sees it, reduced to at most ``size`` pixels on its longer side."""
    from PIL import Image

    height, width = grey.shape
    scale = min(1.0, size / max(height, width))
    image = Image.fromarray(np.rint(grey * 255).astype(np.uint8))
    if scale < 1.0:
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.uint8)
