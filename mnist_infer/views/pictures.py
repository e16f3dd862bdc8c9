"""Digits written as picture files (Pillow): strips side by side and galleries of mistakes, scaled up for people,
in the format their extension names.

A picture's size is computed and checked before anything is allocated (at most :data:`MAX_PICTURE_PIXELS`); it is
written atomically, never through a link, never over anything but a regular file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..errors import N_, MnistInferError
from ..paths import check_replaceable, write_file

GAP = 2  #: pixels (before scaling) between digits
MAX_PICTURE_PIXELS = 1 << 24  #: 4096×4096: 199 digits side by side at the default scale 10
#: Picture formats by file extension (Pillow's names): the one table of them.
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
EXTENSIONS = ", ".join(sorted(set(FORMATS)))


def picture_format(path: str | os.PathLike[str]) -> str:
    """The format ``path``'s extension names; an error naming the extension if it names none written here."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise MnistInferError(N_("{path}: unknown picture format {suffix!r}; name the file {extensions}"),
                              path=path, suffix=suffix or N_("(no extension)"), extensions=EXTENSIONS)  # fmt: skip
    return FORMATS[suffix]


def check_picture_path(path: str | os.PathLike[str]) -> None:
    """Fail before any work: an extension that names no format, or a name that exists as a link or a device."""
    picture_format(path)
    check_replaceable(path)


def _phrase(template: str, **fields) -> MnistInferError:
    """A phrase with fields, translated where the error that holds it is shown."""
    return MnistInferError(template, **fields)


def _check_size(width: int, height: int, what: str | MnistInferError, advice: str) -> None:
    if width * height > MAX_PICTURE_PIXELS:
        raise MnistInferError(N_("{what} would make a picture of {width:,}×{height:,} pixels, more than the "
                                 "{limit:,} this tool writes; {advice}"),
                              what=what, width=width, height=height, limit=MAX_PICTURE_PIXELS,
                              advice=advice)  # fmt: skip


def digit_strip(images: np.ndarray, scale: int = 10) -> np.ndarray:
    """uint8 images ``(K, 28, 28)`` side by side with a grey gap between them, each pixel ``scale``×``scale``."""
    count, rows, cols = images.shape
    width = count * cols + (count - 1) * GAP
    what = _phrase(N_("{count:,} digit(s) at scale {scale}"), count=count, scale=scale)
    _check_size(width * scale, rows * scale, what, N_("use a smaller --scale or fewer digits"))
    strip = np.full((rows, width), 96, dtype=np.uint8)
    for i, image in enumerate(images):
        strip[:, i * (cols + GAP) : i * (cols + GAP) + cols] = image
    return np.kron(strip, np.ones((scale, scale), dtype=np.uint8))


def mistakes_gallery(images, indices, labels, predictions, confidences, columns=10, scale=3) -> np.ndarray:
    """A grid of digits, each captioned with its index in the split over "true->predicted confidence%", in the order
    given (RGB uint8)."""
    from PIL import Image, ImageDraw, ImageFont

    count = len(images)
    columns = min(columns, count)
    side, caption = 28 * scale, 30
    tile_w, tile_h = side + GAP * scale, side + caption + GAP * scale
    rows = -(-count // columns)
    what = _phrase(N_("a gallery of {count:,} mistakes"), count=count)
    _check_size(columns * tile_w, rows * tile_h, what, N_("lower --errors-max"))
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), (40, 40, 48))
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default(size=12)
    for i, (image, index, label, predicted, confidence) in enumerate(
        zip(images, indices, labels, predictions, confidences, strict=True)
    ):
        left, top = (i % columns) * tile_w, (i // columns) * tile_h
        sheet.paste(
            Image.fromarray(np.kron(image, np.ones((scale, scale), dtype=np.uint8))).convert("RGB"), (left, top)
        )
        draw.text((left + 2, top + side + 1), f"#{index}", font=font, fill=(200, 200, 210))
        draw.text(
            (left + 2, top + side + 15), f"{label}->{predicted} {confidence:.0%}", font=font, fill=(255, 120, 110)
        )
    return np.asarray(sheet)


def save_picture(pixels: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a grey (H, W) or RGB (H, W, 3) uint8 array in the format its extension names, atomically."""
    from PIL import Image

    kind = picture_format(path)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=kind, **({"quality": 95} if kind in ("JPEG", "WEBP") else {}))
    return write_file(path, buffer.getvalue(), N_("the picture"))
