"""Digits in the terminal: a 28×28 picture in grey half-blocks, or in ASCII where colour or Unicode is missing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.text import Text

from . import plain as lines
from .console import is_plain


def digit_text(image: np.ndarray, plain: bool, width: int | None = None) -> Text:
    """A 28×28 uint8 digit, at full resolution if ``width`` columns allow it, else at half resolution.

    In colour each character cell holds two pixels: the upper half-block ``▀`` in the upper pixel's grey over a
    background of the lower pixel's grey. Plain, each pixel is two characters of an ASCII ramp. Where not even
    half resolution fits, the text says so instead of drawing a broken picture.
    """
    if plain:
        return Text("\n".join(lines.digit(image, width)))
    if width is not None and image.shape[1] > width:
        image = lines.half(image)
        if image.shape[1] > width:
            return Text(lines.no_picture(image.shape[1], width), style="dim")
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


def render_digits(console: Console, entries: Sequence[tuple[str, np.ndarray]]) -> None:
    plain = is_plain(console)
    for title, image in entries:
        console.print(Text(title, style="bold"))
        console.print(digit_text(image, plain, console.width))
