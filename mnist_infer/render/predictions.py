"""Predictions in the terminal: each picture with its verdict and the ten probabilities as bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .console import is_plain, unicode_ok
from .digits import digit_text
from .plain import BAR_WIDTH, probability_bar, verdict

if TYPE_CHECKING:
    from ..predictions import Failure, Prediction

_PANEL_EDGES = 4  #: columns a panel adds around its content


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
            heading.append(f"  label {item.label} ")
            heading.append(
                verdict(item.label, item.prediction, unicode), "green" if item.label == item.prediction else "red"
            )
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
