"""Blocks as plain text, for a pipe or a file: columns two spaces apart, digits in characters, no colour, no box.
The same lines Rich gives for such a stream (:mod:`.draw` draws terminals), without loading Rich's console, which
is a quarter of a small command's start-up. Too narrow, a table gives way to lines that wrap between its numbers
and a digit is drawn at half resolution; where the stream cannot take Unicode, everything is ASCII."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

import numpy as np
from rich.cells import cell_len, chop_cells, set_cell_size

from ..i18n import _
from . import Bars, Block, Cell, Picture, Pictures, Table, Text, justify

ASCII_RAMP = " .:-=+*#%@"
#: What stands for the characters the views use where the output cannot show them (an ASCII or Latin-1 terminal).
ASCII = str.maketrans({"×": "x", "–": "-", "—": "-", "·": "*", "…": "...", "→": "->", "✓": "right", "✗": "wrong",
                       "λ": "lambda", "²": "2", "█": "#", "⊛": "(*)", "μ": "mu", "σ": "sd",
                       **dict.fromkeys("▏▎▍▌▋▊▉", ""), **dict(zip("▁▂▃▄▅▆▇", "_.-:=+*", strict=True))})  # fmt: skip
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"
_WORD = re.compile(r"\s*\S+\s*")  # a word with the spaces around it, as Rich divides a line


def unicode_ok(stream: TextIO) -> bool:
    return (getattr(stream, "encoding", None) or "utf-8").replace("_", "-").lower().startswith("utf")


def draw(blocks: Sequence[Block], stream: TextIO, width: int) -> None:
    """Write ``blocks`` to ``stream`` in lines of at most ``width`` cells (a longer word is folded)."""
    unicode = unicode_ok(stream)
    lines = [line for block in blocks for line in _lines(block, width, unicode)]
    stream.write("".join(line.rstrip() + "\n" for line in lines))
    stream.flush()


def wrap(text: str, width: int, fold: bool = True) -> list[str]:
    """``text`` in lines of ``width`` cells, broken between words as Rich breaks them: the spaces after a word stay on
    its line, and a word longer than a line is cut across lines (``fold``) or on a line of its own, ending in "…"."""
    lines = []
    for line in text.split("\n"):
        rows, current = [], ""
        for word in _WORD.findall(line) or [line]:
            length = cell_len(word.rstrip())
            if width - cell_len(current) >= length and cell_len(current) <= width:
                current += word
                continue
            if current:
                rows.append(current)
            *full, current = chop_cells(word, width) if length > width and fold else [word]
            rows += full
        lines += [*rows, current]
    return lines if fold else [set_cell_size(line, width - 1) + "…" if cell_len(line) > width else line
                               for line in (line.rstrip() for line in lines)]  # fmt: skip


def _lines(block: Block, width: int, unicode: bool) -> list[str]:
    def ascii_(text: str) -> str:
        return text if unicode else text.translate(ASCII)

    if isinstance(block, Text):
        return wrap(ascii_(block.text), width)
    if isinstance(block, Table):
        return _table(block, width, ascii_)
    if isinstance(block, (Picture, Pictures)):
        return _pictures(block.pictures if isinstance(block, Pictures) else [block], width)
    return _bars(block, width, unicode)


def _table(block: Table, width: int, ascii_) -> list[str]:
    rows = [[ascii_(cell.text if isinstance(cell, Cell) else cell) for cell in row] for row in block.rows]
    headers = [ascii_(header) for header in block.headers]
    widths = [max(cell_len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    title = wrap(ascii_(block.title), width) if block.title else []
    if sum(widths) + 2 * (len(widths) - 1) <= width:
        return title + ["  ".join(justify(cell, w, i in block.right) for i, (cell, w) in
                                  enumerate(zip(row, widths, strict=True))) for row in [headers, *rows]]  # fmt: skip
    lines = []  # too wide: a line a row, that wraps between its cells
    for row in rows:
        line = f"{row[0]}: " + (" ".join(row[1:]) if block.matrix else ", ".join(
            f"{header} {cell}" for header, cell in zip(headers[1:], row[1:], strict=True)))  # fmt: skip
        lines.append(line if block.matrix else f"{headers[0]} {line}")
    return wrap((ascii_(block.title) + "\n" if block.title else "") + "\n".join(lines), width)


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
        return [_("(no picture: it needs {needed} columns, the terminal has {limit})").format(
            needed=picture.image.shape[1] // 2 * 2, limit=width)]  # fmt: skip
    levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
    return ["".join(ASCII_RAMP[v] * 2 for v in row) for row in levels]


def _pictures(pictures: Sequence[Picture], width: int) -> list[str]:
    cells = [([picture.caption] if picture.caption else []) + characters(picture, width) for picture in pictures]
    widths = [max(map(cell_len, cell)) for cell in cells]
    if len(cells) > 1 and sum(widths) + 4 * (len(cells) - 1) <= width and \
            sum(p.image.shape[1] for p in pictures) * 2 < 160:  # fmt: skip
        height = max(map(len, cells))
        return ["    ".join(justify(cell[i] if i < len(cell) else "", w, right=False)
                           for cell, w in zip(cells, widths, strict=True)) for i in range(height)]  # fmt: skip
    return [line for cell in cells for text in cell for line in wrap(text, width, fold=False)]


def bar(value: float, size: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    full, part = divmod(round(value * size * 8), 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(size)


def _bars(block: Bars, width: int, unicode: bool) -> list[str]:
    size = max(1, min(BAR_WIDTH, width - 11))
    shown = [bar(v, size) if unicode else ("#" * round(v * size)).ljust(size) for v in block.values]
    percent = [f"{value:6.1%}" for value in block.values]
    digits, right = len(str(len(block.values) - 1)), max(map(len, percent))
    return [f"{digit:>{digits}} {b} {p:>{right}}" for digit, (b, p) in enumerate(zip(shown, percent, strict=True))]
