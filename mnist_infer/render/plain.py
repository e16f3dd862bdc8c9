"""Plain lines for a pipe or a file: what the terminal views show, as text, without importing Rich.

Tables are columns aligned with spaces, one row a line, so that scripts and ``grep`` read them; where ``$COLUMNS``
says lines must be narrower than a table, its rows become lines that wrap between their numbers (no number is ever
cut). The terminal views (:mod:`.toy`, :mod:`.digits`, …) take their cells from here, so both say the same.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..locations import is_packaged
from . import can_encode

if TYPE_CHECKING:
    from ..download import FileReport
    from ..predictions import Failure, Prediction

ASCII_RAMP = " .:-=+*#%@"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def unicode_ok() -> bool:
    """Whether standard output can show block characters and ticks (not where its encoding is ASCII)."""
    return can_encode("█▏✓✗", unnamed="ascii")


def width() -> int | None:
    """How wide lines may be: ``$COLUMNS`` if set; else a pipe has no limit."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def wrap(text: str, limit: int | None, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``limit`` characters, broken between words (a number is never longer than a
    line, so never broken; a path longer than a line is folded)."""
    if limit is None or len(text) <= limit:
        return [text]
    import textwrap  # only a narrow $COLUMNS needs it

    return textwrap.wrap(text, limit, subsequent_indent=indent, break_on_hyphens=False) or [text]


def table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[int] = (),
    limit: int | None = None,
) -> list[str]:
    """``rows`` under ``headers`` in aligned columns (those numbered in ``right`` to the right: numbers); too
    wide for ``limit``, each row becomes a line "first: header cell, header cell, …" that wraps."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            str(cell).rjust(size) if index in right else str(cell).ljust(size)
            for index, (cell, size) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(aligned).rstrip()

    lines = [line(headers), *(line(row) for row in rows)]
    if limit is None or max(len(text) for text in lines) <= limit:
        return [*wrap(title, limit), *lines] if title else lines
    compact = wrap(title, limit) if title else []
    for row in rows:
        pairs = ", ".join(f"{header} {cell}" for header, cell in zip(headers[1:], row[1:], strict=True))
        compact += wrap(f"{headers[0]} {row[0]}: {pairs}", limit, indent="  ")
    return compact


# --- digits ---------------------------------------------------------------------------------------------------


def half(image: np.ndarray) -> np.ndarray:
    """Each 2×2 block of pixels as its mean."""
    rows, cols = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    blocks = image[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).astype(np.uint16)
    return (blocks.sum(axis=(1, 3)) // 4).astype(np.uint8)


def no_picture(columns: int, limit: int) -> str:
    return f"(no picture: it needs {columns} columns, the terminal has {limit})"


def digit(image: np.ndarray, limit: int | None = None) -> list[str]:
    """A uint8 digit in ASCII, two characters a pixel; at half resolution where ``limit`` columns are too few."""
    if limit is not None and image.shape[1] * 2 > limit:
        image = half(image)
        if image.shape[1] * 2 > limit:
            return wrap(no_picture(image.shape[1] * 2, limit), limit)
    levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
    return ["".join(ASCII_RAMP[v] * 2 for v in row) for row in levels]


def probability_bar(probability: float, size: int = BAR_WIDTH, unicode: bool = True) -> str:
    """A horizontal bar in eighths of a character (in whole ``#`` characters where Unicode cannot be shown)."""
    if not unicode:
        return ("#" * round(probability * size)).ljust(size)
    eighths = round(probability * size * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(size)


def verdict(label: int, prediction: int, unicode: bool = True) -> str:
    right = label == prediction
    return ("✓" if right else "✗") if unicode else ("right" if right else "wrong")


def predictions(items: Sequence[Prediction | Failure], show_input: bool = False) -> list[str]:
    """Per image: the verdict, the picture (and with ``show_input`` the 28×28 the network saw), the ten
    probabilities as bars; a picture that could not be read, with why."""
    limit, unicode = width(), unicode_ok()
    bar_size = BAR_WIDTH if limit is None else max(1, min(BAR_WIDTH, limit - 9))
    lines: list[str] = []
    for item in items:
        error = getattr(item, "error", None)
        if error is not None:
            lines += wrap(f"{item.source}  could not be read: {error}", limit, indent="  ")
            continue
        heading = f"{item.source}  prediction {item.prediction}"
        if item.label is not None:
            heading += f"  label {item.label} {verdict(item.label, item.prediction, unicode)}"
        lines += wrap(heading, limit)
        pictures = [item.image] if item.preview is None else [item.preview]
        if show_input and item.preview is not None:
            pictures.append(item.image)
        for picture in pictures:
            lines += digit(picture, limit)
        for number, probability in enumerate(item.probabilities):
            lines.append(f"{number} {probability_bar(float(probability), bar_size, unicode)} {probability:6.1%}")
    return lines


# --- the toy network ------------------------------------------------------------------------------------------

TOY_TITLE = "Toy network 2-3-2-2 (Deep Learning from Scratch, 3.4.3)"
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


def vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in np.ravel(values)) + "]"


def toy(values: dict[str, np.ndarray]) -> list[str]:
    rows = [(key, vector(values[key]), how) for key, how in TOY_STEPS.items()]
    return table(TOY_TITLE, ("step", "value", "computed as"), rows, limit=width())


# --- downloads ------------------------------------------------------------------------------------------------

DOWNLOAD_HEADERS = ("file", "bytes", "checksum", "status", "source")
_CHECKS = {"sha256": "sha256 {}", "content-sha256": "content sha256 {} (re-gzipped)", "content-md5": "content md5 {}"}


def download_rows(reports: Sequence[FileReport], unicode: bool = True) -> list[tuple[str, ...]]:
    tick, cross = ("✓", "✗") if unicode else ("ok", "x")
    rows = []
    for report in reports:
        failed = report.status.value == "failed"
        if failed:
            source = f"{len(report.attempts)} source(s) failed, see below"
        elif report.source and is_packaged(Path(report.source)):
            source = "packaged with mnist-infer"
        elif report.source:
            source = report.source.removesuffix(report.name)
        else:
            source = "already here"
        check = cross if failed else _CHECKS.get(report.verified or "", "").format(tick)
        size = f"{report.size:,}" if report.size is not None else ""
        rows.append((report.name, size, check, report.status.value, source))
    return rows


def downloads(reports: Sequence[FileReport], data_dir: str) -> list[str]:
    return table(f"Data directory {data_dir}", DOWNLOAD_HEADERS, download_rows(reports, unicode_ok()), (1,), width())
