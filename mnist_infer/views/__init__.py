"""One view per result: what the core computed, said for people (:mod:`.results` makes blocks of text, tables,
digits and bars from each result), and written either way from the same blocks: Rich on a terminal
(:mod:`.terminal`: grey half-blocks, colour, tables that fit the width), plain aligned lines into a pipe or a file
(here, without importing Rich): columns scripts can read, narrower only where ``$COLUMNS`` asks. ``--json`` prints
the result's ``to_dict()`` instead. Pictures and plots written to files are in :mod:`.pictures` and :mod:`.plots`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NamedTuple, TextIO

import numpy as np

from ..errors import N_, MnistInferError
from ..i18n import _

ASCII_RAMP = " .:-=+*#%@"
#: What stands for the characters the views use where the output cannot show them (an ASCII or Latin-1 terminal).
ASCII = str.maketrans(
    {"×": "x", "–": "-", "—": "-", "·": "*", "…": "...", "→": "->", "✓": "right", "✗": "wrong", "λ": "lambda", "²": "2"}
)
BAR_WIDTH = 30
MIN_WIDTH = 20  #: no view is drawn narrower, whatever the terminal says (COLUMNS=0 still shows everything)
_EIGHTHS = " ▏▎▍▌▋▊▉"


class Cell(NamedTuple):
    text: str
    style: str = ""  #: a Rich style, for the terminal only


class Text(NamedTuple):
    """A paragraph, wrapped between words where the width asks."""

    text: str
    style: str = ""


class Table(NamedTuple):
    """Rows under headers, numbers (the ``right`` columns) aligned right; too wide, each row becomes a line
    ``first: header cell, header cell…`` that wraps between its cells."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str | Cell]]
    right: frozenset[int] = frozenset()
    matrix: bool = False  #: too wide, a row is ``first: cell cell …`` (a matrix's counts, in order)


class Picture(NamedTuple):
    """A uint8 grey image: a digit (light on dark, as MNIST's) or a photo as given (``dark_ink``: drawn inverted in
    characters, so that its ink, not its paper, is what stands out)."""

    image: np.ndarray
    caption: str = ""
    dark_ink: bool = False


class Pictures(NamedTuple):
    """Pictures side by side where the width allows, else one under another."""

    pictures: Sequence[Picture]


class Bars(NamedTuple):
    """Probabilities as horizontal bars, ``chosen`` highlighted."""

    values: Sequence[float]
    chosen: int


Block = Text | Table | Picture | Pictures | Bars


def to_terminal(stream: TextIO | None = None) -> bool:
    """Whether output goes to a terminal (Rich draws) or to a pipe or a file (plain lines). ``FORCE_COLOR`` and
    ``TTY_COMPATIBLE=1`` make Rich treat any stream as a terminal: so do we."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def emit(result: Any, as_json: bool = False, **options: Any) -> None:
    """Write a result: its ``to_dict()`` as strict JSON, or its view (Rich on a terminal, plain lines elsewhere)."""
    if as_json:
        return print_json(result.to_dict())
    from .results import view

    write(view(result, **options))


def write(blocks: Sequence[Block], stream: TextIO | None = None) -> None:
    """Blocks drawn for ``stream`` (standard output by default): Rich on a terminal, plain lines elsewhere."""
    stream = sys.stdout if stream is None else stream
    if to_terminal(stream):
        from .terminal import draw

        draw(blocks, stream)
    else:
        text = "\n".join(plain(blocks, width()))
        stream.write(text + "\n" if text else "")
        stream.flush()


@contextlib.contextmanager
def progress(description: str, quiet: bool = False):
    """A progress bar for a long evaluation, on a terminal only (it shows after a moment): a callable
    ``(done, total)``, or None."""
    if quiet or not to_terminal():
        yield None
        return
    from .terminal import EvaluationProgress

    with EvaluationProgress(description) as bar:
        yield bar


@contextlib.contextmanager
def download_progress(quiet: bool = False):
    """Progress bars for downloads, on a terminal only (see :class:`mnist_infer.download.Progress`), or None."""
    if quiet or not to_terminal():
        yield None
        return
    from .terminal import DownloadProgress

    with DownloadProgress() as bars:
        yield bars


def training_display(config, train_images: int, test_set, as_json: bool):
    """What ``train`` shows while it runs (see :mod:`.training`)."""
    from .training import training_display as display

    return display(config, train_images, test_set, as_json)


def print_json(payload: Any) -> None:
    """Strict JSON on stdout (non-ASCII text as it is): a NaN or an infinity is an error, never printed."""
    try:
        text = json.dumps(payload, indent=2, allow_nan=False, ensure_ascii=False)
    except ValueError:
        raise MnistInferError(
            N_("the result holds a number that is not finite (NaN or infinity); not printed")
        ) from None
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def width() -> int | None:
    """How wide plain lines may be: ``$COLUMNS`` if it is a number (at least :data:`MIN_WIDTH`); else no limit."""
    value = os.environ.get("COLUMNS", "").strip()
    return max(int(value), MIN_WIDTH) if value.isascii() and value.isdigit() and len(value) < 10 else None


def can_encode(text: str, stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (standard output by default) can carry ``text`` in its encoding."""
    encoding = getattr(sys.stdout if stream is None else stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# --- plain lines -----------------------------------------------------------------------------------------------


def plain(blocks: Sequence[Block], limit: int | None = None, unicode: bool | None = None) -> list[str]:
    """The blocks as lines of text at most ``limit`` wide (None: any width)."""
    unicode = can_encode("█▏✓✗") if unicode is None else unicode
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            lines += wrap(block.text, limit) if block.text else [""]
        elif isinstance(block, Table):
            lines += table_lines(block, limit)
        elif isinstance(block, (Picture, Pictures)):
            lines += pictures_lines(block.pictures if isinstance(block, Pictures) else [block], limit)
        elif isinstance(block, Bars):
            size = BAR_WIDTH if limit is None else max(1, min(BAR_WIDTH, limit - 9))
            lines += [f"{digit} {bar(value, size, unicode)} {value:6.1%}" for digit, value in enumerate(block.values)]
    return lines if unicode else [line.translate(ASCII) for line in lines]


def wrap(text: str, limit: int | None, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``limit`` characters, broken between words (a word longer than a line is
    folded)."""
    if limit is None or len(text) <= limit:
        return [text]
    return textwrap.wrap(text, limit, subsequent_indent=indent, break_on_hyphens=False) or [text]


def table_lines(table: Table, limit: int | None) -> list[str]:
    rows = [[cell.text if isinstance(cell, Cell) else cell for cell in row] for row in table.rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(table.headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(size) if index in table.right else cell.ljust(size)
            for index, (cell, size) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    title = wrap(table.title, limit) if table.title else []
    lines = [line(table.headers), *(line(row) for row in rows)]
    if limit is None or max(map(len, lines)) <= limit:
        return title + lines
    return title + [part for row in rows for part in wrap(compact_row(table, row), limit, indent="  ")]


def compact_row(table: Table, row: Sequence[str]) -> str:
    if table.matrix:
        return f"{row[0]}: {' '.join(row[1:])}"
    pairs = ", ".join(f"{header} {cell}" for header, cell in zip(table.headers[1:], row[1:], strict=True))
    return f"{table.headers[0]} {row[0]}: {pairs}"


def half(image: np.ndarray) -> np.ndarray:
    """Each 2×2 block of pixels as its mean (a picture at half resolution)."""
    rows, cols = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    return (image[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).astype(np.uint16).sum(axis=(1, 3)) // 4).astype(
        np.uint8
    )


def fitted(image: np.ndarray, columns_per_pixel: int, limit: int | None) -> np.ndarray | None:
    """The picture at full resolution if ``limit`` columns allow, else at half; None if not even that fits."""
    if limit is None or image.shape[1] * columns_per_pixel <= limit:
        return image
    image = half(image)
    return image if image.shape[1] * columns_per_pixel <= limit else None


def ascii_lines(picture: Picture, limit: int | None) -> list[str]:
    """A picture in characters, two a pixel, dense where it is bright (dark, for ``dark_ink`` pictures)."""
    image = fitted(255 - picture.image if picture.dark_ink else picture.image, 2, limit)
    if image is None:
        return wrap(
            _("(no picture: it needs {needed} columns, the terminal has {limit})").format(
                needed=picture.image.shape[1], limit=limit
            ),
            limit,
        )
    levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
    return ["".join(ASCII_RAMP[v] * 2 for v in row) for row in levels]


def pictures_lines(pictures: Sequence[Picture], limit: int | None, gap: int = 4) -> list[str]:
    """Pictures with their captions above them, side by side where ``limit`` allows."""
    drawn = [(picture.caption, ascii_lines(picture, limit)) for picture in pictures]
    sizes = [max([len(caption), *map(len, lines)]) for caption, lines in drawn]
    if len(drawn) > 1 and (limit is None or sum(sizes) + gap * (len(sizes) - 1) <= limit) and max(sizes) <= 80:
        height = max(len(lines) for _, lines in drawn)
        columns = [[caption, *lines, *[""] * (height - len(lines))] for caption, lines in drawn]
        pad = " " * gap
        return [
            pad.join(cell.ljust(size) for cell, size in zip(row, sizes, strict=True)).rstrip()
            for row in zip(*columns, strict=True)
        ]
    return [line for caption, lines in drawn for line in ([caption] if caption else []) + lines]


def bar(value: float, size: int = BAR_WIDTH, unicode: bool = True) -> str:
    """A horizontal bar in eighths of a character (whole ``#`` characters where Unicode cannot be shown)."""
    if not unicode:
        return ("#" * round(value * size)).ljust(size)
    full, part = divmod(round(value * size * 8), 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(size)
