"""The Rich console, and what it can show: colour, Unicode, the terminal's width."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.measure import Measurement


def make_console(stderr: bool = False) -> Console:
    # Strings are printed as they are: no markup (a path or "test[0]" is not a style) and no emoji codes (whose
    # table alone costs milliseconds to load).
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False)


def unicode_ok(console: Console) -> bool:
    """Whether the console's encoding can show block characters, ticks and box lines."""
    return console.encoding.replace("_", "-").startswith("utf")


def is_plain(console: Console) -> bool:
    """True where grey levels cannot be shown, so pictures must be drawn with ASCII characters."""
    return console.no_color or console.color_system is None or not unicode_ok(console)


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether ``renderable`` can be drawn at the console's width without cutting a word (or a number)."""
    unbounded = console.options.update_width(1 << 16)  # Measurement.get clamps to the width it is given
    return Measurement.get(console, unbounded, renderable).minimum <= console.width


def print_fitting(console: Console, wide: RenderableType, compact: Callable[[], RenderableType]) -> None:
    """Print ``wide`` (a table) if it fits the terminal, else ``compact()`` (text that wraps between numbers)."""
    console.print(wide if fits(console, wide) else compact())
