"""Rendering: what the core computed, drawn for people; nothing here computes.

On a terminal, Rich draws (:mod:`.console` and the views: :mod:`.digits`, :mod:`.predictions`, :mod:`.toy`,
:mod:`.evaluations`, :mod:`.downloads`, :mod:`.training`): grey half-blocks, colour, tables that fit the width
(too wide, they give way to lines that wrap between numbers), progress bars; where colour or Unicode is missing,
ASCII. Into a pipe or a file, :mod:`.plain` writes plain lines instead, without importing Rich at all: aligned
columns that scripts can read and grep, narrower only where ``$COLUMNS`` asks.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


def can_encode(text: str, stream: TextIO | None = None, *, unnamed: str | None = None) -> bool:
    """Whether ``stream`` (standard output by default) can carry ``text`` in its encoding.

    A stream that names no encoding is taken to use ``unnamed``; with ``unnamed=None`` it takes any text.
    """
    stream = sys.stdout if stream is None else stream
    encoding = getattr(stream, "encoding", None) or unnamed
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def to_terminal(stream: TextIO | None = None) -> bool:
    """Whether output goes to a terminal (Rich draws) or to a pipe or a file (plain lines).

    ``FORCE_COLOR`` and ``TTY_COMPATIBLE=1`` make Rich treat any stream as a terminal: so do we.
    """
    stream = sys.stdout if stream is None else stream
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # a closed or odd stream
        return False
