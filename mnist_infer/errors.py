"""The project's exceptions: every anticipated failure is one of these, and carries its fields.

A message is an English template marked with :func:`N_` (so that the translation catalogs find it) and the fields
that fill it. The sentence is made at the edge: ``str(error)`` in English, ``error.render(_)`` in the user's
language (the command line prints it as one line ``Error: …`` and exits 1; the page shows it). A field that is
itself a phrase to translate is a :class:`Phrase`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from typing import Any

from .i18n import particles


class Phrase(str):
    """Text to be translated where it is shown (a template, or a field such as "a symbolic link")."""


def N_(message: str) -> Phrase:
    return Phrase(message)


#: What the operating system says, in words the catalogs translate: its own text (strerror) is the C library's,
#: in English unless that library's catalogs and a matching locale are installed.
_OS_REASONS = {
    errno.ENOENT: N_("no such file or directory"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.EISDIR: N_("is a directory"),
    errno.ENOTDIR: N_("not a directory"),
    errno.ENOSPC: N_("no space left on the device"),
    errno.EROFS: N_("read-only file system"),
    errno.EEXIST: N_("the file exists"),
    errno.ELOOP: N_("too many levels of symbolic links"),
    errno.ENAMETOOLONG: N_("file name too long"),
    errno.ECONNREFUSED: N_("connection refused"),
    errno.ECONNRESET: N_("connection reset by the other side"),
    errno.ETIMEDOUT: N_("timed out"),
    errno.EHOSTUNREACH: N_("no route to the host"),
    errno.ENETUNREACH: N_("the network is unreachable"),
    errno.EADDRINUSE: N_("the address is already in use"),
    errno.EADDRNOTAVAIL: N_("not an address of this machine"),
}


def os_reason(exc: BaseException | int) -> str:
    """Why the operating system refused, from an OSError or an errno: a :class:`Phrase` where the reason is one the
    catalogs know (translate it where it is shown), else the system's own words."""
    if isinstance(exc, int):
        return _OS_REASONS.get(exc) or os.strerror(exc)
    return _OS_REASONS.get(getattr(exc, "errno", None)) or getattr(exc, "strerror", None) or str(exc)


def silence_stdout() -> None:
    """After stdout failed (`mnist-infer … | head`): point it at devnull, so that flushing it at exit does not fail
    again and print a second message."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _same(text: str) -> str:
    return text


class MnistInferError(Exception):
    """Base class of every anticipated failure of mnist-infer: a template and its fields."""

    template = N_("{detail}")

    def __init__(self, template: str | None = None, /, **fields: Any) -> None:
        if template is not None:
            self.template = Phrase(template)
        self.fields = fields
        super().__init__(self.render())

    def render(self, translate: Callable[[str], str] = _same) -> str:
        """The message in the language ``translate`` gives (gettext's ``_``); English by default."""
        fields = {
            key: value.render(translate)
            if isinstance(value, MnistInferError)
            else translate(value)
            if isinstance(value, Phrase)
            else value
            for key, value in self.fields.items()
        }
        return particles(translate(self.template).format(**fields))

    def __str__(self) -> str:
        return self.render()


class DataFileError(MnistInferError):
    """An MNIST/IDX data file is malformed, truncated, or not what it claims to be."""


class MissingDataError(MnistInferError):
    """Files the command needs are not in the data directory."""


class WeightsError(MnistInferError):
    """A weights file cannot be used: wrong format, keys, shapes or values."""


class UnsafeWeightsError(WeightsError):
    """A weights file holds something other than numeric arrays (code, objects); nothing of it was run."""


class ImageError(MnistInferError):
    """An image file cannot be read or holds no digit."""


class DownloadError(MnistInferError):
    """A file could not be fetched and verified from any source."""


class UnsafePathError(MnistInferError):
    """A path the tool would write exists as something other than a regular file (a symbolic link, a directory,
    a FIFO, a device): it is refused rather than written through or replaced."""


class InputError(MnistInferError, ValueError):
    """Inputs the network cannot take as they are (integer pixels, the wrong shape), or a setting that cannot work."""
