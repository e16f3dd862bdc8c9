"""The IDX file format of MNIST: a parser that trusts nothing it reads.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
items in C order; MNIST ships them gzipped. Every claim of the header is checked against the file before anything
is allocated (:func:`inspect` does only that, cheaply): a plain file must hold exactly what its header promises, a
gzip file may promise at most :data:`MAX_GZIP_RATIO` times its own size, and no file more than
:data:`MAX_IDX_BYTES`. A gzip stream is inflated no further than the header promises (plus one byte, to notice
trailing data), so a hostile file costs at most what a plausible file of its size would.
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

from ..catalog import IMAGE_SHAPE, NUM_CLASSES
from ..errors import N_, DataFileError, os_reason
from ..paths import NotRegularFile, atomic_write, open_regular

#: IDX type byte -> numpy dtype (IDX stores multi-byte numbers big-endian), and its name.
IDX_TYPES = {
    0x08: (np.dtype(np.uint8), "uint8"),
    0x09: (np.dtype(np.int8), "int8"),
    0x0B: (np.dtype(">i2"), "int16"),
    0x0C: (np.dtype(">i4"), "int32"),
    0x0D: (np.dtype(">f4"), "float32"),
    0x0E: (np.dtype(">f8"), "float64"),
}
GZIP_MAGIC = b"\x1f\x8b"
#: A gzip IDX file may promise at most this many times its own size of data (MNIST's promise 2 to 5 times), or
#: SMALL_PROMISE bytes, whichever is more: a file promising more is corrupt or a bomb.
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
        return IDX_TYPES[self.type_code][0]

    @property
    def size(self) -> int:
        """Header length in bytes."""
        return 4 + 4 * len(self.shape)

    @property
    def body_size(self) -> int:
        """Bytes of data the header promises (Python ints: no overflow for absurd claims)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        return f"{'×'.join(map(str, self.shape))} {IDX_TYPES[self.type_code][1]}"

    def to_bytes(self) -> bytes:
        return bytes([0, 0, self.type_code, len(self.shape)]) + b"".join(d.to_bytes(4, "big") for d in self.shape)


class IdxSource(NamedTuple):
    """An IDX file as :func:`inspect` found it: its checked header, and what identifies its content for the parse
    cache (size, modification time, owner, and for a gzip file the CRC-32 and length its trailer states)."""

    path: Path
    header: IdxHeader
    compressed: bool
    size: int
    mtime_ns: int
    owner: int
    trailer: tuple[int, int] | None

    @property
    def count(self) -> int:
        """The first dimension: how many images or labels the file holds."""
        return self.header.shape[0]


#: What MNIST images and labels files must be: ``inspect(path, **IMAGES)``.
IMAGES = {"dtype": np.dtype(np.uint8), "ndim": 3, "item_shape": IMAGE_SHAPE}
LABELS = {"dtype": np.dtype(np.uint8), "ndim": 1}


def inspect(path: str | os.PathLike[str], **expected) -> IdxSource:
    """Read and check the header of an IDX file, not its data: cheap even for the 60,000 train images.

    ``expected`` may give the ``dtype``, ``ndim`` and ``item_shape`` the caller needs (see :data:`IMAGES`); a file
    that disagrees, or cannot hold what its header promises, raises :class:`DataFileError`.
    """
    with _opened(path, **expected) as (source, _stream):
        return source


def read_idx(path: str | os.PathLike[str], **expected) -> np.ndarray:
    """An IDX file (gzipped or not) as an array of the shape its header declares, in native byte order."""
    with _opened(path, **expected) as (source, stream):
        body = np.empty(source.header.body_size, dtype=np.uint8)
        view, filled = memoryview(body), 0
        while filled < len(body):
            n = stream.readinto(view[filled : filled + _CHUNK])
            if not n:
                raise DataFileError(N_("{path}: truncated: header promises {promised:,} bytes of data ({header}), "
                                       "the stream holds {found:,}"),
                                    path=path, promised=len(body), header=source.header.describe(),
                                    found=filled)  # fmt: skip
            filled += n
        if stream.read(1):
            raise DataFileError(N_("{path}: has trailing bytes: more data than the {promised:,} bytes its header "
                                   "promises ({header})"),
                                path=path, promised=len(body), header=source.header.describe())  # fmt: skip
    array = body.view(source.header.dtype).reshape(source.header.shape)
    return array.astype(array.dtype.newbyteorder("=")) if array.dtype.byteorder == ">" else array


def read_images(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST images: ``uint8`` array of shape ``(N, 28, 28)``."""
    return read_idx(path, **IMAGES)


def read_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """MNIST labels: ``uint8`` array of shape ``(N,)`` with values 0–9."""
    labels = read_idx(path, **LABELS)
    check_labels(labels, path)
    return labels


def check_labels(labels: np.ndarray, path: str | os.PathLike[str]) -> None:
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        where = int(np.argmax(labels >= NUM_CLASSES))
        raise DataFileError(N_("{path}: labels must be digits 0–9, found {label} at index {index}"),
                            path=path, label=int(labels[where]), index=where)  # fmt: skip


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, gzipped when ``compress`` (by default: when the name ends in ``.gz``)."""
    path = Path(path)
    big_endian = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    code = next((code for code, (dtype, _) in IDX_TYPES.items() if dtype == big_endian), None)
    if code is None:
        raise DataFileError(N_("{path}: cannot write {dtype} as IDX"), path=path, dtype=array.dtype)
    payload = IdxHeader(code, tuple(int(d) for d in array.shape)).to_bytes()
    payload += np.ascontiguousarray(array, dtype=big_endian).tobytes()
    if path.suffix == ".gz" if compress is None else compress:
        payload = gzip.compress(payload, mtime=0)
    with atomic_write(path) as f:
        f.write(payload)


def _read_exactly(stream: BinaryIO, n: int, path: Path) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        if n == 4 and not data:
            raise DataFileError(N_("{path}: the file is empty; expected an IDX file (delete it and download again)"),
                                path=path)  # fmt: skip
        raise DataFileError(N_("{path}: truncated header: expected {expected} bytes, found {found}"),
                            path=path, expected=n, found=len(data))  # fmt: skip
    return data


def _parse_header(stream: BinaryIO, path: Path) -> IdxHeader:
    magic = _read_exactly(stream, 4, path)
    if magic[:2] != b"\0\0":
        raise DataFileError(N_("{path}: not an IDX file: magic bytes {magic}, expected 00 00 <type> <ndim> (such as "
                               "00 00 08 03 for images)"),
                            path=path, magic=magic.hex(" "))  # fmt: skip
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        raise DataFileError(N_("{path}: unknown IDX type byte 0x{code:02X}; expected one of {known}"),
                            path=path, code=type_code,
                            known=", ".join(f"0x{code:02X}" for code in IDX_TYPES))  # fmt: skip
    if ndim == 0:
        raise DataFileError(N_("{path}: IDX header declares 0 dimensions; expected at least 1"), path=path)
    dims = _read_exactly(stream, 4 * ndim, path)
    return IdxHeader(type_code, tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, 4 * ndim, 4)))


def _check(header: IdxHeader, path: Path, file_size: int, compressed: bool, dtype=None, ndim=None, item_shape=None):
    """The header against what the caller expects, and what it promises against the file."""
    if dtype is not None and header.dtype != dtype:
        raise DataFileError(N_("{path}: items are {found} (type byte 0x{code:02X}), expected {expected} (0x08)"),
                            path=path, found=IDX_TYPES[header.type_code][1], code=header.type_code,
                            expected=np.dtype(dtype).name)  # fmt: skip
    if ndim is not None and len(header.shape) != ndim:
        raise DataFileError(N_("{path}: {found} dimension(s), expected {expected} (magic 0x0000080{expected}: 3 for "
                               "images, 1 for labels); is this the right file?"),
                            path=path, found=len(header.shape), expected=ndim)  # fmt: skip
    if item_shape is not None and header.shape[1:] != item_shape:
        raise DataFileError(N_("{path}: images are {found}, expected {expected}"),
                            path=path, found="×".join(map(str, header.shape[1:])),
                            expected="×".join(map(str, item_shape)))  # fmt: skip
    promised = header.body_size
    found = file_size - header.size
    if not compressed and found != promised:
        raise DataFileError(N_("{path}: {relation}: header promises {promised:,} bytes of data ({header}), the file "
                               "holds {found:,}"),
                            path=path,
                            relation=N_("truncated") if found < promised else N_("has trailing bytes"),
                            promised=promised, header=header.describe(), found=found)  # fmt: skip
    plausible = max(MAX_GZIP_RATIO * file_size, SMALL_PROMISE) if compressed else promised
    # An empty array may still claim dimensions no array can have (0 beside billions): numpy refuses to shape it.
    if promised > min(plausible, MAX_IDX_BYTES) or math.prod(max(d, 1) for d in header.shape) > MAX_IDX_BYTES:
        raise DataFileError(N_("{path}: header declares {header}, more than a file of {size:,} bytes plausibly holds "
                               "(at most {ratio}× its size if gzipped, {limit:,} bytes in all); the file is corrupt"),
                            path=path, header=header.describe(), size=file_size, ratio=MAX_GZIP_RATIO,
                            limit=MAX_IDX_BYTES)  # fmt: skip


@contextlib.contextmanager
def _opened(path, **expected) -> Iterator[tuple[IdxSource, BinaryIO]]:
    """The checked source and a stream of its data (inflated for a gzip file), positioned after the header; every
    failure is a :class:`DataFileError` naming the file."""
    path, compressed = Path(path), False
    try:
        raw, info = open_regular(path)
        with raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            trailer = None
            if compressed and info.st_size >= 18:
                end = os.pread(raw.fileno(), 8, info.st_size - 8)
                trailer = (int.from_bytes(end[:4], "little"), int.from_bytes(end[4:], "little"))
            with gzip.GzipFile(fileobj=raw, mode="rb") if compressed else contextlib.nullcontext(raw) as stream:
                header = _parse_header(stream, path)
                _check(header, path, info.st_size, compressed, **expected)
                yield IdxSource(path, header, compressed, info.st_size, info.st_mtime_ns, info.st_uid, trailer), stream
    except DataFileError:
        raise
    except MemoryError:
        raise DataFileError(N_("{path}: not enough memory for the data its header promises"), path=path) from None
    except FileNotFoundError:
        raise DataFileError(N_("{path}: no such file"), path=path) from None
    except NotRegularFile as exc:
        raise DataFileError(N_("{path}: is {kind}; expected an IDX file"), path=path, kind=exc.kind) from None
    except PermissionError:
        raise DataFileError(N_("{path}: permission denied"), path=path) from None
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        if compressed:
            raise DataFileError(N_("{path}: corrupt gzip stream ({reason}); delete it and download again"),
                                path=path, reason=exc) from None  # fmt: skip
        raise DataFileError(N_("{path}: cannot read it ({reason})"),
                            path=path, reason=os_reason(exc)) from None  # fmt: skip
