"""Standard streams that never fail on a character the terminal cannot show (``PYTHONIOENCODING=ascii``, a C
locale without UTF-8): what we and Rich draw degrades to ASCII instead of ending in UnicodeEncodeError."""

from __future__ import annotations

import sys
from typing import TextIO

#: Characters the tool prints, and what stands for them in ASCII.
_ASCII = str.maketrans(
    {
        "×": "x",
        "–": "-",
        "—": "-",
        "·": "*",
        "…": "...",
        "→": "->",
        "✓": "ok",
        "✗": "x",
        "█": "#",
        "▀": "#",
        **dict.fromkeys("▏▎▍▌▋▊▉", "|"),
    }
)
_SAMPLE = "".join(chr(code) for code in _ASCII)


class EncodableText:
    """A text stream that writes what its encoding cannot hold as ASCII stand-ins (or ``?``).

    It has no ``buffer``, on purpose: Click would otherwise bypass it and write UTF-8 to an ASCII terminal.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding: str = stream.encoding
        self.errors: str = "replace"

    def write(self, text: str) -> int:
        safe = text.translate(_ASCII).encode(self.encoding, "replace").decode(self.encoding)
        return self._stream.write(safe)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True


def make_encodable() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` where their encoding cannot show the tool's characters."""
    from ..render import can_encode

    if sys.stdout is not None and not can_encode(_SAMPLE, sys.stdout):
        sys.stdout = EncodableText(sys.stdout)  # type: ignore[assignment]
    if sys.stderr is not None and not can_encode(_SAMPLE, sys.stderr):
        sys.stderr = EncodableText(sys.stderr)  # type: ignore[assignment]
