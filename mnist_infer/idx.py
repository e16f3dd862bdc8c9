"""The IDX file format of MNIST: a parser that trusts nothing it reads.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
items in C order. MNIST ships them gzipped. The parser checks every claim of the header against the file
before it allocates (:func:`inspect` does only that, cheaply): a plain file must hold exactly what its header
promises, a gzip file may promise at most :data:`MAX_GZIP_RATIO` times its own size, and no file more than
:data:`MAX_IDX_BYTES`. A gzip stream is inflated no further than the header promises (plus one byte, to
notice trailing data), so a hostile file costs at most the memory a plausible file of its size would need.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from .catalog import IMAGE_SHAPE, NUM_CLASSES
from .errors import DataFileError
from .files import NotRegularFile, atomic_write_bytes, open_regular

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
#: A gzip IDX file may promise at most this many times its own size of data (MNIST's promise 2 to 5 times),
#: or :data:`SMALL_PROMISE` bytes, whichever is more: a file promising more is corrupt or a bomb.
MAX_GZIP_RATIO = 64
SMALL_PROMISE = 1 << 20
#: No IDX file may hold more data than this: 1.37 million 28×28 images (MNIST's train set is 47 MB).
MAX_IDX_BYTES = 1 << 30
_CHUNK = 1 << 20


class IdxHeader(NamedTuple):
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

    def to_bytes(self) -> bytes:
        """The header as a file holds it."""
        return bytes([0, 0, self.type_code, len(self.shape)]) + b"".join(d.to_bytes(4, "big") for d in self.shape)


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


def _check_expectations(
    header: IdxHeader, path: Path, dtype: np.dtype | None, ndim: int | None, item_shape: tuple[int, ...] | None
) -> None:
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
    if item_shape is not None and header.shape[1:] != item_shape:
        found = "×".join(str(d) for d in header.shape[1:])
        raise DataFileError(f"{path}: images are {found}, expected {'×'.join(str(d) for d in item_shape)}")


class IdxSource:
    """An IDX file as :func:`inspect` found it: what its header claims (checked against the file) and what
    identifies its content (for the parse cache: size, modification time, owner, and for a gzip file the
    CRC-32 and length (mod 2**32) of the content its trailer states)."""

    # A plain class, not a dataclass: read on every run, and a dataclass costs start-up time.
    __slots__ = ("compressed", "header", "mtime_ns", "owner", "path", "size", "trailer")

    def __init__(
        self,
        path: Path,
        header: IdxHeader,
        compressed: bool,
        size: int,
        mtime_ns: int,
        owner: int,
        trailer: tuple[int, int] | None,
    ) -> None:
        self.path, self.header, self.compressed = path, header, compressed
        self.size, self.mtime_ns, self.owner, self.trailer = size, mtime_ns, owner, trailer

    def __repr__(self) -> str:
        return f"IdxSource({str(self.path)!r}, {self.header.describe()}, {self.size} bytes)"

    @property
    def count(self) -> int:
        """The first dimension: how many images or labels the file holds."""
        return self.header.shape[0]


def inspect(
    path: str | os.PathLike[str],
    *,
    dtype: np.dtype | None = None,
    ndim: int | None = None,
    item_shape: tuple[int, ...] | None = None,
) -> IdxSource:
    """Read and check the header of an IDX file, without its data: cheap even for the 60,000 train images.

    Raises :class:`DataFileError` if the file disagrees with the expectations (``dtype``, ``ndim``, the shape
    of one item) or cannot hold what its header promises.
    """
    with _opened(path, dtype, ndim, item_shape) as (source, _stream):
        return source


def read_idx(path: str | os.PathLike[str], *, dtype: np.dtype | None = None, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of the shape its header declares.

    ``dtype`` and ``ndim``, when given, are what the caller expects; a file that disagrees raises
    :class:`DataFileError` before any data is read.
    """
    return _read(path, dtype, ndim)


def _read(path, dtype=None, ndim=None, item_shape=None) -> np.ndarray:
    with _opened(path, dtype, ndim, item_shape) as (source, stream):
        body = np.empty(source.header.body_size, dtype=np.uint8)
        view = memoryview(body)
        filled = 0
        while filled < len(body):
            n = stream.readinto(view[filled : filled + _CHUNK])
            if not n:
                raise DataFileError(
                    f"{source.path}: truncated: header promises {len(body):,} bytes of data "
                    f"({source.header.describe()}), the stream holds {filled:,}"
                )
            filled += n
        if stream.read(1):
            raise DataFileError(
                f"{source.path}: has trailing bytes: more data than the {len(body):,} bytes its header "
                f"promises ({source.header.describe()})"
            )
    return _native(body.view(source.header.dtype).reshape(source.header.shape))


@contextlib.contextmanager
def _opened(path, dtype, ndim, item_shape) -> Iterator[tuple[IdxSource, BinaryIO]]:
    """The checked source and a stream of its data (inflated for a gzip file), positioned after the header;
    every failure is a :class:`DataFileError` naming the file."""
    path, compressed = Path(path), False
    try:
        raw, info = open_regular(path)  # links followed; a FIFO or a device is refused without blocking
        with raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            trailer = None
            if compressed and info.st_size >= 18:
                end = os.pread(raw.fileno(), 8, info.st_size - 8)
                trailer = (int.from_bytes(end[:4], "little"), int.from_bytes(end[4:], "little"))
            with gzip.GzipFile(fileobj=raw, mode="rb") if compressed else contextlib.nullcontext(raw) as stream:
                header = _parse_header(stream, path)
                _check_expectations(header, path, dtype, ndim, item_shape)
                _check_promise(header, path, info.st_size, compressed)
                yield IdxSource(path, header, compressed, info.st_size, info.st_mtime_ns, info.st_uid, trailer), stream
    except DataFileError:
        raise
    except MemoryError:
        raise DataFileError(f"{path}: not enough memory for the data its header promises") from None
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except NotRegularFile as exc:
        raise DataFileError(f"{path}: {exc.strerror}; expected an IDX file") from None
    except PermissionError:
        raise DataFileError(f"{path}: permission denied") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataFileError(f"{path}: corrupt gzip stream ({exc}); delete it and download again") from None
    except OSError as exc:
        if compressed:
            raise DataFileError(f"{path}: corrupt gzip stream ({exc}); delete it and download again") from None
        raise DataFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _check_promise(header: IdxHeader, path: Path, file_size: int, compressed: bool) -> None:
    """What the header promises must fit the file: exactly (plain), plausibly (gzip), and within MAX_IDX_BYTES."""
    promised = header.body_size
    if not compressed:
        found = file_size - header.size
        if found != promised:
            relation = "truncated" if found < promised else "has trailing bytes"
            raise DataFileError(
                f"{path}: {relation}: header promises {promised:,} bytes of data ({header.describe()}), "
                f"the file holds {found:,}"
            )
    elif promised > max(MAX_GZIP_RATIO * file_size, SMALL_PROMISE):
        raise DataFileError(
            f"{path}: header promises {promised:,} bytes of data ({header.describe()}), more than a gzip file of "
            f"{file_size:,} bytes plausibly holds (at most {MAX_GZIP_RATIO}× its size); the file is corrupt"
        )
    if promised > MAX_IDX_BYTES:
        raise DataFileError(
            f"{path}: header promises {promised:,} bytes of data ({header.describe()}), more than the "
            f"{MAX_IDX_BYTES:,} an IDX file may hold here"
        )
    # An empty array can still have dimensions no array may have (0 beside billions): numpy refuses to shape it.
    if math.prod(max(size, 1) for size in header.shape) * header.dtype.itemsize > MAX_IDX_BYTES:
        raise DataFileError(
            f"{path}: header declares {header.describe()}: dimensions that no array of at most "
            f"{MAX_IDX_BYTES:,} bytes can have; the file is corrupt"
        )


def _native(array: np.ndarray) -> np.ndarray:
    """Big-endian multi-byte items to the machine's order (uint8 is returned as it is)."""
    if array.dtype.byteorder == ">":
        return array.astype(array.dtype.newbyteorder("="))
    return array


#: What MNIST images and labels files must be: ``inspect(path, **IMAGES)``.
IMAGES = {"dtype": np.dtype(np.uint8), "ndim": 3, "item_shape": IMAGE_SHAPE}
LABELS = {"dtype": np.dtype(np.uint8), "ndim": 1}


def read_images(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST images: ``uint8`` array of shape ``(N, 28, 28)``."""
    return _read(path, **IMAGES)


def read_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST labels: ``uint8`` array of shape ``(N,)`` with values 0–9."""
    labels = _read(path, **LABELS)
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
    header = IdxHeader(codes[big_endian], tuple(int(d) for d in array.shape)).to_bytes()
    payload = header + np.ascontiguousarray(array, dtype=big_endian).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)
