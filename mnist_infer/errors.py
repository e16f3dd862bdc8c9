"""The project's exceptions: every anticipated failure is one of these.

Messages are written for the person at the terminal: they name the file, say what was expected and what was
found, and what to do about it. The CLI prints them as one line ``Error: …`` and exits 1.
"""

from __future__ import annotations


class MnistInferError(Exception):
    """Base class of every anticipated failure of mnist-infer."""


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
    """Inputs the network cannot take as they are (integer pixels, the wrong width)."""
