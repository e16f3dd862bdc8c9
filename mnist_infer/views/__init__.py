"""One view per result: what the core computed, said for people. :mod:`.results` makes each result into blocks
(text, tables, digits, bars) in the user's language; :mod:`.draw` draws them with Rich on a terminal (grey
half-blocks, colour, boxed tables that fit the width), :mod:`.plain` writes the same content as plain aligned
columns into a pipe or a file (no colour, no box, as wide as ``$COLUMNS`` asks, else unlimited). ``--json`` prints
the result's ``to_dict()`` instead. Pictures and plots written to files are in :mod:`.pictures` and :mod:`.plots`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple, TextIO

import numpy as np

from ..errors import N_, MnistInferError
from ..i18n import _


class Cell(NamedTuple):
    text: str
    style: str = ""  #: a Rich style, shown on a terminal


class Text(NamedTuple):
    """A paragraph, wrapped between words where the width asks."""

    text: str
    style: str = ""


class Table(NamedTuple):
    """Rows under headers, numbers (the ``right`` columns) aligned right; too wide, each row becomes a line
    ``first: header cell, header cell…`` (``matrix``: ``first: cell cell …``) that wraps between its cells."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str | Cell]]
    right: frozenset[int] = frozenset()
    matrix: bool = False


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


#: The splits' names for people (the command line's values stay ``test`` and ``train``).
SPLIT_NAMES = {"test": N_("test"), "train": N_("train"), "validation": N_("validation")}


def split_name(split: str) -> str:
    return _(SPLIT_NAMES[split]) if split in SPLIT_NAMES else split


def source_name(source: str) -> str:
    """Where a digit came from, for people: ``test[8]`` with the split's name translated; a file's path as it is."""
    split, bracket, rest = source.partition("[")
    return _("{split}[{index}]").format(split=split_name(split), index=rest[:-1]) if bracket and split in SPLIT_NAMES \
        else source  # fmt: skip


def cells(text: str) -> int:
    """The terminal cells ``text`` takes (a Hangul syllable takes two)."""
    from rich.cells import cell_len

    return cell_len(text)


def justify(text: str, width: int, right: bool = True) -> str:
    """``text`` aligned right (or left) in ``width`` terminal cells."""
    padding = " " * max(0, width - cells(text))
    return padding + text if right else text + padding


def to_terminal(stream: TextIO | None = None) -> bool:
    """Whether output goes to a terminal; ``FORCE_COLOR`` and ``TTY_COMPATIBLE=1`` make Rich treat any stream as
    one: so do we."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return (sys.stdout if stream is None else stream).isatty()
    except (AttributeError, ValueError, OSError):
        return False


#: No view is drawn narrower, whatever the terminal says (COLUMNS=0 still shows everything).
MIN_WIDTH = 20


def columns(terminal: bool) -> tuple[int, int]:
    """The width and height to draw in: a terminal's, else ``$COLUMNS``, else (a pipe) any width; at least
    :data:`MIN_WIDTH` wide."""
    # shutil reads $COLUMNS and $LINES where they are numbers above 0, else asks the terminal; Rich alone would take
    # "²" for a number, then fail to convert it.
    size, given = shutil.get_terminal_size(), os.environ.get("COLUMNS", "").strip()
    number = given.isascii() and given.isdigit() and len(given) < 10
    width = int(given) if number else size.columns if terminal else 1 << 14
    return max(width, MIN_WIDTH), size.lines


def render(blocks: Sequence[Block], stream: TextIO | None = None) -> None:
    """Blocks drawn by Rich on a terminal (:mod:`.draw`), as plain lines into a pipe or a file (:mod:`.plain`)."""
    stream = sys.stdout if stream is None else stream
    if to_terminal(stream):
        from .draw import draw as draw_terminal

        draw_terminal(blocks, stream)
    else:
        from .plain import draw as draw_plain

        draw_plain(blocks, stream, columns(False)[0])


def emit(result: Any, as_json: bool = False, save: os.PathLike[str] | None = None, **options: Any) -> None:
    """Write a result: its ``to_dict()`` as strict JSON, or its view (``options``: what the command asked to see);
    and with ``save``, its figure (:data:`.explain.FIGURES`), before anything is printed."""
    if save is not None:
        from .explain import FIGURES

        FIGURES[type(result).__name__](result, save)
        if not as_json:
            sys.stderr.write(_("saved the figure to {path}").format(path=save) + "\n")
    if as_json:
        return print_json(result.to_dict())
    from .results import view

    render(view(result, **options))


def print_json(payload: Any) -> None:
    """Strict JSON on stdout (non-ASCII text as it is): a NaN or an infinity is an error, never printed."""
    try:
        text = _json(payload)
    except ValueError:
        raise MnistInferError(
            N_("the result holds a number that is not finite (NaN or infinity); not printed")
        ) from None
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _json(value: Any, level: int = 0) -> str:
    """``value`` as JSON indented by two spaces, but a list of numbers or strings (a digit's row of pixels, the
    probabilities) on one line: the same data as ``json.dumps(value, indent=2)``, in far fewer lines."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict) and value:
        items = (f"{inner}{_key(key)}: {_json(item, level + 1)}" for key, item in value.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)) and any(isinstance(item, (dict, list, tuple)) for item in value):
        return "[\n" + ",\n".join(inner + _json(item, level + 1) for item in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(", ", ": "))


def _key(key: Any) -> str:
    """A key as json.dumps writes it: a string, or a number, true, false or null made one."""
    return json.dumps(key if isinstance(key, str) else json.dumps(key), ensure_ascii=False)


@contextlib.contextmanager
def progress(description: str, quiet: bool = False):
    """A progress bar for a long evaluation on a terminal (it shows after a moment): a callable ``(done, total)``, or
    None."""
    if quiet or not to_terminal():
        yield None
        return
    from .draw import EvaluationProgress

    with EvaluationProgress(description) as bar:
        yield bar


@contextlib.contextmanager
def download_progress(quiet: bool = False):
    """Progress bars for downloads on a terminal (see :class:`mnist_infer.download.Progress`), or None."""
    if quiet or not to_terminal():
        yield None
        return
    from .draw import DownloadProgress

    with DownloadProgress() as bars:
        yield bars


def training_display(config, train_images: int, test_set, as_json: bool):
    """What ``train`` shows while it runs (see :mod:`.training`)."""
    from .training import TrainingDisplay

    return TrainingDisplay(config, train_images, test_set, as_json)
