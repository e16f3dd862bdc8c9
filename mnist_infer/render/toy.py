"""The toy network in the terminal: its forward pass, step by step (section 3.4.3)."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .console import print_fitting
from .plain import TOY_STEPS, TOY_TITLE, vector


def render_toy(console: Console, values: dict[str, np.ndarray]) -> None:
    """The toy network's values, one row per step of the forward pass."""
    table = Table(title=TOY_TITLE, title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("value")
    table.add_column("computed as", style="dim")
    for key, how in TOY_STEPS.items():
        table.add_row(key, vector(values[key]), how)

    def compact() -> Text:
        text = Text(TOY_TITLE + "\n", style="bold")
        for key, how in TOY_STEPS.items():
            text.append(f"{key} = {how} = ", style="dim")
            text.append(vector(values[key]) + "\n")
        return text.rstrip() or text

    print_fitting(console, table, compact)
