"""Digits as PNG pictures (Pillow): strips of digits side by side, scaled up for people to look at."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .errors import MnistInferError
from .files import atomic_write_bytes

GAP = 2  #: pixels (before scaling) between digits in a strip


def digit_strip(images: np.ndarray, scale: int = 10) -> np.ndarray:
    """uint8 images ``(K, 28, 28)`` side by side, with a grey gap between them, each pixel ``scale``×``scale``."""
    count, rows, cols = images.shape
    strip = np.full((rows, count * cols + (count - 1) * GAP), 96, dtype=np.uint8)
    for i, image in enumerate(images):
        left = i * (cols + GAP)
        strip[:, left : left + cols] = image
    return np.kron(strip, np.ones((scale, scale), dtype=np.uint8)) if scale > 1 else strip


def save_png(pixels: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a greyscale (H, W) or RGB (H, W, 3) uint8 array as PNG, atomically."""
    from PIL import Image

    path = Path(path)
    if not path.parent.is_dir():
        raise MnistInferError(f"{path}: cannot write the picture: directory {path.parent} does not exist")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise MnistInferError(f"{path}: cannot write the picture ({exc.strerror or exc})") from None
    return path
