"""Blocks as plain text, for a pipe or a file: columns two spaces apart, digits in characters, no colour, no box.
The same lines Rich gives for such a stream (:mod:`.draw` draws terminals), without loading Rich's console, which
is a quarter of a small command's start-up. Too narrow, a table gives way to lines that wrap between its numbers
and a digit is drawn at half resolution; where the stream cannot take Unicode, everything is ASCII."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TextIO

import numpy as np
from rich.cells import cell_len, chop_cells, set_cell_size

from ..i18n import ASCII, _, unicode_ok
from . import Bars, Block, Cell, Picture, Pictures, Table, Text, justify

ASCII_RAMP = " .:-=+*#%@"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"
_WORD = re.compile(r"\s*\S+\s*")  # a word with the spaces around it, as Rich divides a line
_CONTROL = dict.fromkeys(map(ord, "\a\b\v\f\r"))  #: what Rich's Text drops


def clean(text: str) -> str:
    """``text`` as Rich shows it: without the control characters that would move the cursor (a file name may hold
    them), tabs as spaces."""
    return text.translate(_CONTROL).expandtabs(8)


def draw(blocks: Sequence[Block], stream: TextIO, width: int) -> None:
    """Write ``blocks`` to ``stream`` in lines of at most ``width`` cells (a longer word is folded)."""
    unicode = unicode_ok(stream)
    lines = [line for block in blocks for line in _lines(block, width, unicode)]
    stream.write("".join(line.rstrip() + "\n" for line in lines))
    stream.flush()


def wrap(text: str, width: int, fold: bool = True, ellipsis: str = "…") -> list[str]:
    """``text`` in lines of ``width`` cells, broken between words as Rich breaks them: the spaces after a word stay on
    its line, and a word longer than a line is cut across lines (``fold``) or on a line of its own, ending in
    ``ellipsis``."""
    lines = []
    for line in text.split("\n"):
        rows, current, used = [], "", 0
        for word in _WORD.findall(line) or [line]:
            length = cell_len(word.rstrip())
            if width - used >= length:
                current, used = current + word, used + cell_len(word)
                continue
            if current:
                rows.append(current)
            *full, current = chop_cells(word, width) if length > width and fold else [word]
            rows, used = rows + full, cell_len(current)
        lines += [*rows, current]
    return lines if fold else [set_cell_size(line, width - 1) + ellipsis if cell_len(line) > width else line
                               for line in (line.rstrip() for line in lines)]  # fmt: skip


def printable(text: str, unicode: bool) -> str:
    """``text`` as a stream shows it: cleaned (:func:`clean`), and through :data:`ASCII` where it takes no Unicode."""
    return clean(text if unicode else text.translate(ASCII))


def _lines(block: Block, width: int, unicode: bool) -> list[str]:
    def shown(text: str) -> str:
        return printable(text, unicode)

    if isinstance(block, Text):
        return wrap(shown(block.text), width)
    if isinstance(block, Table):
        return _table(block, width, shown)
    if isinstance(block, (Picture, Pictures)):
        return _pictures(block.pictures if isinstance(block, Pictures) else [block], width, shown)
    return _bars(block, width, unicode)


def row_lines(block: Table, shown: Callable[[str], str]) -> list[str]:
    """A table too wide for its columns, a line a row: ``header cell, header cell…`` after the first cell (a
    ``matrix``: the cells alone, a space apart)."""
    headers, lines = [shown(header) for header in block.headers], []
    for row in block.rows:
        texts = [shown(cell.text if isinstance(cell, Cell) else cell) for cell in row]
        line = f"{texts[0]}: " + (" ".join(texts[1:]) if block.matrix else ", ".join(
            f"{header} {cell}" for header, cell in zip(headers[1:], texts[1:], strict=True)))  # fmt: skip
        lines.append(line if block.matrix else f"{headers[0]} {line}")
    return lines


def _table(block: Table, width: int, shown: Callable[[str], str]) -> list[str]:
    def one_line(text: str) -> str:  # a name with a newline in it must not break the row
        return shown(text).replace("\n", " ")

    rows = [[cell.text if isinstance(cell, Cell) else cell for cell in row] for row in block.rows]
    grid = [[one_line(text) for text in row] for row in [block.headers, *rows]]
    widths = [max(cell_len(row[i]) for row in grid) for i in range(len(grid[0]))]
    if sum(widths) + 2 * (len(widths) - 1) <= width:
        title = wrap(shown(block.title), width) if block.title else []
        return title + ["  ".join(justify(cell, w, i in block.right) for i, (cell, w) in
                                  enumerate(zip(row, widths, strict=True))) for row in grid]  # fmt: skip
    return wrap((shown(block.title) + "\n" if block.title else "") + "\n".join(row_lines(block, shown)), width)


def no_picture(needed: int, limit: int) -> str:
    return _("(no picture: it needs {needed} columns, the output has {limit})").format(needed=needed, limit=limit)


def fitted(image: np.ndarray, columns_per_pixel: int, limit: int) -> np.ndarray | None:
    """The picture at full resolution if ``limit`` columns allow, else at half; None if not even that fits."""
    if image.shape[1] * columns_per_pixel <= limit:
        return image
    rows, cols = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    half = image[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).astype(np.uint16).mean(axis=(1, 3))
    return half.astype(np.uint8) if half.shape[1] * columns_per_pixel <= limit else None


def characters(picture: Picture, width: int) -> list[str]:
    """Two characters a pixel, dense where it is bright (where it is dark, for ``dark_ink`` pictures)."""
    image = fitted(255 - picture.image if picture.dark_ink else picture.image, 2, width)
    if image is None:
        return [no_picture(picture.image.shape[1] // 2 * 2, width)]
    levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
    return ["".join(ASCII_RAMP[v] * 2 for v in row) for row in levels]


def _pictures(pictures: Sequence[Picture], width: int, shown: Callable[[str], str]) -> list[str]:
    columns = [([shown(p.caption)] if p.caption else []) + characters(p, width) for p in pictures]
    widths = [max(map(cell_len, column)) for column in columns]
    if len(columns) > 1 and sum(widths) + 4 * (len(columns) - 1) <= width and \
            sum(p.image.shape[1] for p in pictures) * 2 < 160:  # fmt: skip
        height = max(map(len, columns))
        return ["    ".join(justify(column[i] if i < len(column) else "", w, right=False)
                           for column, w in zip(columns, widths, strict=True)) for i in range(height)]  # fmt: skip
    return [line for column in columns for text in column for line in wrap(text, width, False, shown("…"))]


def bar_size(width: int) -> int:
    """A bar's length in ``width`` columns, beside its digit and its percentage."""
    return max(1, min(BAR_WIDTH, width - 11))


def bar(value: float, size: int = BAR_WIDTH, unicode: bool = True) -> str:
    """A horizontal bar in eighths of a character (in whole ``#`` where the stream takes no Unicode)."""
    if not unicode:
        return ("#" * round(value * size)).ljust(size)
    full, part = divmod(round(value * size * 8), 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(size)


def _bars(block: Bars, width: int, unicode: bool) -> list[str]:
    size = bar_size(width)
    bars = [bar(v, size, unicode) for v in block.values]
    percents = [f"{value:6.1%}" for value in block.values]
    digits, right = len(str(len(block.values) - 1)), max(map(len, percents))
    return [f"{digit:>{digits}} {shown} {percent:>{right}}"
            for digit, (shown, percent) in enumerate(zip(bars, percents, strict=True))]  # fmt: skip
