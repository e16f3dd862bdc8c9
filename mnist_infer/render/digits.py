"""Digits in the terminal: a 28×28 picture, the toy network's values, predictions with probability bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import is_plain, print_fitting, unicode_ok

if TYPE_CHECKING:
    from ..predictions import Failure, Prediction

ASCII_RAMP = " .:-=+*#%@"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"
_PANEL_EDGES = 4  #: columns a panel adds around its content


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


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in np.ravel(values)) + "]"


#: The toy's forward pass, step by step, as section 3.4.3 writes it.
TOY_STEPS = {
    "x": "input",
    "a1": "x·W1 + b1",
    "z1": "sigmoid(a1)",
    "a2": "z1·W2 + b2",
    "z2": "sigmoid(a2)",
    "a3": "z2·W3 + b3",
    "y": "identity(a3)",
    "softmax": "softmax(a3)",
}


def render_toy(console: Console, values: dict[str, np.ndarray]) -> None:
    """The toy network's values, one row per step of the forward pass."""
    title = "Toy network 2-3-2-2 (Deep Learning from Scratch, 3.4.3)"
    table = Table(title=title, title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("value")
    table.add_column("computed as", style="dim")
    for key, how in TOY_STEPS.items():
        table.add_row(key, _vector(values[key]), how)

    def compact() -> Text:
        text = Text(title + "\n", style="bold")
        for key, how in TOY_STEPS.items():
            text.append(f"{key} = {how} = ", style="dim")
            text.append(_vector(values[key]) + "\n")
        return text.rstrip() or text

    print_fitting(console, table, compact)


def render_digits(console: Console, entries: Sequence[tuple[str, np.ndarray]]) -> None:
    plain = is_plain(console)
    for title, image in entries:
        console.print(Text(title, style="bold"))
        console.print(digit_text(image, plain, console.width))


def probability_bar(probability: float, width: int = BAR_WIDTH, unicode: bool = True) -> str:
    """A horizontal bar in eighths of a character (in whole ``#`` characters where Unicode cannot be shown)."""
    if not unicode:
        return ("#" * round(probability * width)).ljust(width)
    eighths = round(probability * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def render_predictions(console: Console, predictions: Sequence[Prediction | Failure], show_input: bool = False) -> None:
    """Per image: the picture (an image file as given, and with ``show_input`` the 28×28 the network saw),
    the verdict, and a bar chart of the ten probabilities. A picture that could not be read gets its reason."""
    plain, unicode = is_plain(console), unicode_ok(console)
    inner = max(1, console.width - _PANEL_EDGES)
    bar_width = max(1, min(BAR_WIDTH, inner - 11))  # "9 " + bar + " 100.0%"
    for item in predictions:
        error = getattr(item, "error", None)  # a Failure: the picture could not be read
        if error is not None:
            message = Text.assemble((f"{item.source}  ", "bold"), ("could not be read: ", "red"), error)
            console.print(Panel(message, expand=False, border_style="red"))
            continue
        bars = Table.grid(padding=(0, 1))
        bars.add_column(justify="right")
        bars.add_column()
        bars.add_column(justify="right", no_wrap=True)
        for digit, probability in enumerate(item.probabilities):
            chosen = digit == item.prediction
            bars.add_row(
                str(digit),
                Text(probability_bar(float(probability), bar_width, unicode), style="green" if chosen else "blue"),
                Text(f"{probability:6.1%}", style="bold" if chosen else ""),
            )
        heading = Text.assemble((f"{item.source}  ", "bold"), "prediction ", (str(item.prediction), "bold"))
        if item.label is not None:
            right = item.label == item.prediction
            heading.append(f"  label {item.label} ")
            mark = ("✓" if right else "✗") if unicode else ("right" if right else "wrong")
            heading.append(mark, "green" if right else "red")
        pictures = [item.image] if item.preview is None else [item.preview]
        if show_input and item.preview is not None:
            pictures.append(item.image)
        drawn = [digit_text(picture, plain, inner) for picture in pictures]
        widths = [max(line.cell_len for line in text.split("\n")) for text in drawn]
        if plain or sum(widths) + 3 * len(drawn) + 11 + bar_width > inner:  # bars go below the pictures
            body = Group(heading, *drawn, bars)
        else:
            layout = Table.grid(padding=(0, 3))
            layout.add_row(*drawn, bars)
            body = Group(heading, layout)
        console.print(Panel(body, expand=False))
