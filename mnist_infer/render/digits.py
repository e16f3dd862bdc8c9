"""Digits in the terminal: a 28×28 picture in grey half-blocks, or in ASCII where colour or Unicode is missing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.text import Text

from . import is_plain

ASCII_RAMP = " .:-=+*#%@"


def digit_text(image: np.ndarray, plain: bool, width: int | None = None) -> Text:
    """A 28×28 uint8 digit, at full resolution if ``width`` columns allow it, else at half resolution.

    In colour each character cell holds two pixels: the upper half-block ``▀`` in the upper pixel's grey over a
    background of the lower pixel's grey. Plain, each pixel is two characters of an ASCII ramp. Where not even
    half resolution fits, the text says so instead of drawing a broken picture.
    """
    columns = image.shape[1] * (2 if plain else 1)
    if width is not None and columns > width:
        image = _half(image)
        columns //= 2
        if columns > width:
            return Text(f"(no picture: it needs {columns} columns, the terminal has {width})", style="dim")
    if plain:
        levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
        return Text("\n".join("".join(ASCII_RAMP[v] * 2 for v in row) for row in levels))
    text = Text()
    rows = image.tolist()
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        for upper, lower in zip(top, bottom, strict=True):
            text.append("▀", style=f"rgb({upper},{upper},{upper}) on rgb({lower},{lower},{lower})")
        text.append("\n")
    text.rstrip()
    return text


def _half(image: np.ndarray) -> np.ndarray:
    """Each 2×2 block of pixels as its mean."""
    rows, cols = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    blocks = image[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).astype(np.uint16)
    return (blocks.sum(axis=(1, 3)) // 4).astype(np.uint8)


def render_digits(console: Console, entries: Sequence[tuple[str, np.ndarray]]) -> None:
    plain = is_plain(console)
    for title, image in entries:
        console.print(Text(title, style="bold"))
        console.print(digit_text(image, plain, console.width))
