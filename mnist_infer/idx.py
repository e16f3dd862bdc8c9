"""The IDX file format of MNIST: a parser that trusts nothing it reads.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
items in C order. MNIST ships them gzipped. The parser checks every claim of the header against the file
before it allocates, and inflates a gzip stream no further than the header promises (plus one byte, to notice
trailing data), so a hostile file costs at most the memory a valid file of its promised size would need.
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .catalog import IMAGE_SHAPE, NUM_CLASSES
from .errors import DataFileError
from .files import atomic_write_bytes

#: IDX type byte -> numpy dtype (IDX stores multi-byte numbers big-endian).
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_TYPE_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}

GZIP_MAGIC = b"\x1f\x8b"
#: Deflate cannot expand data by more than about 1032:1; a header promising more than that is a lie.
MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20


@dataclass(frozen=True)
class IdxHeader:
    """What the first bytes of an IDX file claim."""

    type_code: int
    shape: tuple[int, ...]

    @property
    def dtype(self) -> np.dtype:
        return IDX_TYPES[self.type_code]

    @property
    def size(self) -> int:
        """Header length in bytes."""
        return 4 + 4 * len(self.shape)

    @property
    def body_size(self) -> int:
        """Bytes of data the header promises (Python ints: no overflow for absurd claims)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        dims = "×".join(str(d) for d in self.shape) or "scalar"
        return f"{dims} {IDX_TYPE_NAMES[self.type_code]}"


def _read_exactly(stream: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        if not data and what == "magic number":
            raise DataFileError(f"{path}: the file is empty; expected an IDX file (delete it and download again)")
        raise DataFileError(f"{path}: truncated {what}: expected {n} bytes, found {len(data)}")
    return data


def _parse_header(stream: BinaryIO, path: Path) -> IdxHeader:
    magic = _read_exactly(stream, 4, path, "magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise DataFileError(
            f"{path}: not an IDX file: magic bytes {magic.hex(' ')}, expected 00 00 <type> <ndim> "
            "(such as 00 00 08 03 for images)"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_TYPES)
        raise DataFileError(f"{path}: unknown IDX type byte 0x{type_code:02X}; expected one of {known}")
    if ndim == 0:
        raise DataFileError(f"{path}: IDX header declares 0 dimensions; expected at least 1")
    dims = _read_exactly(stream, 4 * ndim, path, f"header ({ndim} dimension sizes)")
    shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    return IdxHeader(type_code, shape)


def _check_expectations(header: IdxHeader, path: Path, dtype: np.dtype | None, ndim: int | None) -> None:
    if dtype is not None and header.dtype != dtype:
        raise DataFileError(
            f"{path}: items are {IDX_TYPE_NAMES[header.type_code]} (type byte 0x{header.type_code:02X}), "
            f"expected {np.dtype(dtype).name} (0x08)"
        )
    if ndim is not None and len(header.shape) != ndim:
        kind = {1: "a labels file", 3: "an images file"}.get(len(header.shape), "another kind of file")
        wanted = {1: "labels", 3: "images"}.get(ndim, "data")
        raise DataFileError(
            f"{path}: {len(header.shape)} dimension(s) ({kind}), expected {ndim} ({wanted}, magic "
            f"0x0000080{ndim}); is this the right file?"
        )


def read_idx(path: str | os.PathLike[str], *, dtype: np.dtype | None = None, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of the shape its header declares.

    ``dtype`` and ``ndim``, when given, are what the caller expects; a file that disagrees raises
    :class:`DataFileError` before any data is read.
    """
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            raise DataFileError(f"{path}: not a regular file; expected an IDX file")  # a FIFO would block
        with open(path, "rb") as raw:
            file_size = os.fstat(raw.fileno()).st_size
            if raw.read(2) == GZIP_MAGIC:
                raw.seek(0)
                return _read_gzip(raw, path, file_size, dtype, ndim)
            raw.seek(0)
            return _read_plain(raw, path, file_size, dtype, ndim)
    except MemoryError:
        raise DataFileError(f"{path}: not enough memory for the data its header promises") from None
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a directory, expected an IDX file") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None


def _read_plain(raw: BinaryIO, path: Path, file_size: int, dtype, ndim) -> np.ndarray:
    header = _parse_header(raw, path)
    _check_expectations(header, path, dtype, ndim)
    found = file_size - header.size
    if found != header.body_size:
        relation = "truncated" if found < header.body_size else "has trailing bytes"
        raise DataFileError(
            f"{path}: {relation}: header promises {header.body_size:,} bytes of data ({header.describe()}), "
            f"the file holds {found:,}"
        )
    data = np.fromfile(raw, dtype=header.dtype, count=math.prod(header.shape))
    return _native(data.reshape(header.shape))


def _read_gzip(raw: BinaryIO, path: Path, file_size: int, dtype, ndim) -> np.ndarray:
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            header = _parse_header(stream, path)
            _check_expectations(header, path, dtype, ndim)
            limit = file_size * MAX_DEFLATE_RATIO
            if header.body_size > limit:
                raise DataFileError(
                    f"{path}: header promises {header.body_size:,} bytes of data ({header.describe()}), "
                    f"more than a gzip file of {file_size:,} bytes can hold; the file is corrupt"
                )
            body = np.empty(header.body_size, dtype=np.uint8)
            view = memoryview(body)
            filled = 0
            while filled < header.body_size:
                n = stream.readinto(view[filled : filled + _CHUNK])
                if not n:
                    raise DataFileError(
                        f"{path}: truncated: header promises {header.body_size:,} bytes of data "
                        f"({header.describe()}), the stream holds {filled:,}"
                    )
                filled += n
            if stream.read(1):
                raise DataFileError(
                    f"{path}: has trailing bytes: more data than the {header.body_size:,} bytes its header "
                    f"promises ({header.describe()})"
                )
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise DataFileError(f"{path}: corrupt gzip stream ({exc}); delete it and download again") from None
    return _native(body.view(header.dtype).reshape(header.shape))


def _native(array: np.ndarray) -> np.ndarray:
    """Big-endian multi-byte items to the machine's order (uint8 is returned as it is)."""
    if array.dtype.byteorder == ">":
        return array.astype(array.dtype.newbyteorder("="))
    return array


def read_images(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST images: ``uint8`` array of shape ``(N, 28, 28)``."""
    images = read_idx(path, dtype=np.dtype(np.uint8), ndim=3)
    if images.shape[1:] != IMAGE_SHAPE:
        rows, cols = images.shape[1:]
        raise DataFileError(f"{path}: images are {rows}×{cols}, expected 28×28")
    return images


def read_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST labels: ``uint8`` array of shape ``(N,)`` with values 0–9."""
    labels = read_idx(path, dtype=np.dtype(np.uint8), ndim=1)
    check_labels(labels, path)
    return labels


def check_labels(labels: np.ndarray, path: str | os.PathLike[str]) -> None:
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        where = int(np.argmax(labels >= NUM_CLASSES))
        raise DataFileError(f"{path}: labels must be digits 0–9, found {int(labels[where])} at index {where}")


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in ``.gz``).

    The inverse of :func:`read_idx`, for tests and for users who make their own MNIST-like sets.
    """
    path = Path(path)
    codes = {dt: code for code, dt in IDX_TYPES.items()}
    big_endian = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if big_endian not in codes:
        raise DataFileError(f"{path}: cannot write {array.dtype} as IDX; use uint8, int8, int16, int32, float")
    header = bytes([0, 0, codes[big_endian], array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=big_endian).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)
