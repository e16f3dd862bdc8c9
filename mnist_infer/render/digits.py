"""Digits in the terminal: a 28×28 picture, the toy network's values, predictions with probability bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import is_plain

if TYPE_CHECKING:
    from ..predictions import Prediction

ASCII_RAMP = " .:-=+*#%@"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def digit_text(image: np.ndarray, plain: bool) -> Text:
    """A 28×28 uint8 digit at full resolution.

    In colour each character cell holds two pixels: the upper half-block ``▀`` in the upper pixel's grey over a
    background of the lower pixel's grey. Plain, each pixel is two characters of an ASCII ramp.
    """
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


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in np.ravel(values)) + "]"


def render_toy(console: Console, values: dict[str, np.ndarray]) -> None:
    """The toy network's values, one row per step of the forward pass."""
    table = Table(title="Toy network 2-3-2-2 (Deep Learning from Scratch, 3.4.3)", title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("value")
    table.add_column("computed as", style="dim")
    explanations = {
        "x": "input",
        "a1": "x·W1 + b1",
        "z1": "sigmoid(a1)",
        "a2": "z1·W2 + b2",
        "z2": "sigmoid(a2)",
        "a3": "z2·W3 + b3",
        "y": "identity(a3)",
        "softmax": "softmax(a3)",
    }
    for key, how in explanations.items():
        table.add_row(key, _vector(values[key]), how)
    console.print(table)


def render_digits(console: Console, entries: Sequence[tuple[str, np.ndarray]]) -> None:
    plain = is_plain(console)
    for title, image in entries:
        console.print(Text(title, style="bold"))
        console.print(digit_text(image, plain))


def probability_bar(probability: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    eighths = round(probability * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def render_predictions(console: Console, predictions: Sequence[Prediction], show_input: bool = False) -> None:
    """Per image: the picture (an image file as given, and with ``show_input`` the 28×28 the network saw),
    the verdict, and a bar chart of the ten probabilities."""
    plain = is_plain(console)
    for item in predictions:
        bars = Table.grid(padding=(0, 1))
        bars.add_column(justify="right")
        bars.add_column()
        bars.add_column(justify="right")
        for digit, probability in enumerate(item.probabilities):
            chosen = digit == item.prediction
            bars.add_row(
                str(digit),
                Text(probability_bar(float(probability)), style="green" if chosen else "blue"),
                Text(f"{probability:6.1%}", style="bold" if chosen else ""),
            )
        heading = Text.assemble((f"{item.source}  ", "bold"), "prediction ", (str(item.prediction), "bold"))
        if item.label is not None:
            verdict = ("✓", "green") if item.label == item.prediction else ("✗", "red")
            heading.append(f"  label {item.label} ")
            heading.append(*verdict)
        pictures = [item.image] if item.preview is None else [item.preview]
        if show_input and item.preview is not None:
            pictures.append(item.image)
        drawn = [digit_text(picture, plain) for picture in pictures]
        if plain:  # an ASCII picture is 56 columns wide: bars go below
            body = Group(heading, *drawn, bars)
        else:
            layout = Table.grid(padding=(0, 3))
            layout.add_row(*drawn, bars)
            body = Group(heading, layout)
        console.print(Panel(body, expand=False))
