"""Digits as picture files (Pillow): strips of digits side by side and galleries, scaled up for people to look
at, written in the format their extension names.

A picture is never larger than :data:`MAX_PICTURE_PIXELS`: its size is computed and checked before anything
is allocated. It is written atomically, never through a link, never over anything but a regular file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .errors import MnistInferError
from .files import atomic_write_bytes

GAP = 2  #: pixels (before scaling) between digits in a strip
#: The largest picture written (16.8 megapixels, 4096×4096): 199 digits side by side at the default scale 10.
MAX_PICTURE_PIXELS = 1 << 24


def _check_size(width: int, height: int, what: str, advice: str) -> None:
    if width * height > MAX_PICTURE_PIXELS:
        raise MnistInferError(
            f"{what} would make a picture of {width:,}×{height:,} pixels, more than the {MAX_PICTURE_PIXELS:,} this "
            f"tool writes; {advice}"
        )


def digit_strip(images: np.ndarray, scale: int = 10) -> np.ndarray:
    """uint8 images ``(K, 28, 28)`` side by side, with a grey gap between them, each pixel ``scale``×``scale``.

    Refused before any allocation when the strip would exceed :data:`MAX_PICTURE_PIXELS`.
    """
    count, rows, cols = images.shape
    width, height = (count * cols + max(count - 1, 0) * GAP) * scale, rows * scale
    _check_size(width, height, f"{count:,} digit(s) at scale {scale}", "use a smaller --scale or fewer digits")
    strip = np.full((rows, count * cols + (count - 1) * GAP), 96, dtype=np.uint8)
    for i, image in enumerate(images):
        left = i * (cols + GAP)
        strip[:, left : left + cols] = image
    return np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1) if scale > 1 else strip


#: Picture formats by file extension (Pillow's names).
FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


def picture_format(path: str | os.PathLike[str]) -> str:
    """The format ``path``'s extension names; an error naming the extension if it names none we write."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise MnistInferError(
            f"{path}: unknown picture format {suffix or '(no extension)'!r}; name the file "
            f"{', '.join(sorted(set(FORMATS)))}"
        )
    return FORMATS[suffix]


def save_picture(pixels: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a greyscale (H, W) or RGB (H, W, 3) uint8 array atomically, in the format its extension names;
    ``path`` must be absent or a regular file (a link, a device or a FIFO there is refused, never written through
    or replaced)."""
    from PIL import Image

    from .files import check_replaceable

    path = Path(path)
    kind = picture_format(path)
    if not path.parent.is_dir():
        raise MnistInferError(f"{path}: cannot write the picture: directory {path.parent} does not exist")
    try:
        check_replaceable(path)  # before the work: a refused name fails fast
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format=kind, **({"quality": 95} if kind in ("JPEG", "WEBP") else {}))
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise MnistInferError(f"{path}: cannot write the picture ({exc.strerror or exc})") from None
    return path


def mistakes_gallery(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    confidences: np.ndarray,
    columns: int = 10,
    scale: int = 3,
) -> np.ndarray:
    """A grid of digits, each captioned "true->predicted confidence%", in the order given (RGB uint8)."""
    from PIL import Image, ImageDraw, ImageFont

    count = len(images)
    if count == 0:
        raise MnistInferError("no mistakes to draw: every image was classified correctly")
    columns = min(columns, count)
    rows = -(-count // columns)
    side, caption = 28 * scale, 16
    tile_w, tile_h = side + GAP * scale, side + caption + GAP * scale
    _check_size(columns * tile_w, rows * tile_h, f"a gallery of {count:,} mistakes", "lower --errors-max")
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), (40, 40, 48))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=12)
    for i, (image, label, predicted, confidence) in enumerate(
        zip(images, labels, predictions, confidences, strict=True)
    ):
        left, top = (i % columns) * tile_w, (i // columns) * tile_h
        digit = Image.fromarray(np.kron(image, np.ones((scale, scale), dtype=np.uint8))).convert("RGB")
        sheet.paste(digit, (left, top))
        draw.text((left + 2, top + side + 1), f"{label}->{predicted} {confidence:.0%}", font=font, fill=(255, 120, 110))
    return np.asarray(sheet)
