"""Rendering for the terminal (Rich): each module draws what the core computed, and computes nothing itself.

- :mod:`.digits`: digits as grey half-blocks or ASCII, predictions with probability bars, the toy network;
- :mod:`.evaluations`: the accuracy panel, per-class table, confusion matrix, comparisons, a progress bar;
- :mod:`.downloads`: download progress bars and the table of files.

Where colour is off (a pipe, ``NO_COLOR``, a dumb terminal) digits are drawn with an ASCII ramp.
"""

from __future__ import annotations

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def is_plain(console: Console) -> bool:
    """True where colour cannot be shown, so pictures must be drawn with characters."""
    return console.no_color or console.color_system is None
