"""The toy network in the terminal: its forward pass, step by step (section 3.4.3)."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import print_fitting


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
