"""Read an ``.npz`` archive of numeric arrays without pickles, and without trusting a size it states.

An ``.npz`` is a zip file of ``.npy`` members (``numpy.savez`` stores them, ``savez_compressed`` deflates them).
Before :mod:`zipfile` reads the central directory, its size and member count are taken from the end record
(5 million entries would take zipfile half a minute and gigabytes); only stored and deflated members are
opened (a bzip2 member of 3 kB may inflate to 4 GiB before the first bytes come out), each member's size must
be one its compressed size can hold, and every member's ``.npy`` header is read and checked (dtype, bytes for
its shape) before any data is: a caller's ``check`` sees every array's :class:`ArraySpec` first.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .catalog import NUMERIC_KINDS
from .errors import UnsafeWeightsError, WeightsError

#: Members an archive may have, and bytes its central directory may take (numpy writes ~100 per member).
MAX_MEMBERS = 64
MAX_DIRECTORY_BYTES = 256 * 1024
#: Deflate never expands data by more than about 1032:1: a member claiming more is lying about its size.
MAX_DEFLATE_RATIO = 1032
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"


class ArraySpec(NamedTuple):
    """What an array of a weights file will be (its shape and dtype), known before its bytes are read or made into
    it: by this reader from a member's header, by :mod:`mnist_infer.safepickle` from its stand-ins."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)


def loads_npz(
    data: bytes, source: str, max_bytes: int, check: Callable[[dict[str, ArraySpec]], None] | None = None
) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` archive ``data`` (at most ``max_bytes`` of them in all), by member name
    without ``.npy``. Raises :class:`WeightsError` (:class:`UnsafeWeightsError` for object arrays)."""
    import zipfile  # only .npz needs it

    _check_directory(data, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's notes on odd dtype names must not reach the terminal
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
                if len(members) > MAX_MEMBERS:
                    raise WeightsError(f"{source}: {len(members):,} members in the archive; at most {MAX_MEMBERS}")
                layout: dict[str, ArraySpec] = {}
                total = 0
                for info in members:
                    key = info.filename.removesuffix(".npy")
                    _check_member(info, key, source)
                    total += info.file_size
                    if total > max_bytes:
                        raise WeightsError(f"{source}: its members hold more than the {max_bytes:,} bytes allowed")
                    with archive.open(info) as member:
                        layout[key] = _read_spec(member, info.file_size, key, source)
                if check is not None:
                    check(layout)
                arrays = {}
                for info in members:
                    with archive.open(info) as member:
                        arrays[info.filename.removesuffix(".npy")] = np.lib.format.read_array(
                            member, allow_pickle=False
                        )
                return arrays
    except WeightsError:
        raise
    except MemoryError:
        raise WeightsError(f"{source}: not enough memory for the arrays of the archive") from None
    except Exception as exc:  # zipfile, zlib and numpy's header parser raise many kinds on damaged bytes
        reason = " ".join(str(exc).split())[:160]
        raise WeightsError(f"{source}: not a valid .npz archive ({type(exc).__name__}: {reason})") from None


def _check_directory(data: bytes, source: str) -> None:
    """The central directory's size and entry count, from the end record (zip64 too), within the bounds."""
    end = data.rfind(_END, max(0, len(data) - 65_557))
    if end < 0 or len(data) - end < 22:
        return  # no end record: zipfile refuses the archive without reading further
    entries, size = struct.unpack_from("<HI", data, end + 10)
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and end >= 20 and data[end - 20 : end - 16] == _END64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", data, end - 12)
        if offset + 56 <= len(data) and data[offset : offset + 4] == _END64:
            entries, size = struct.unpack_from("<QQ", data, offset + 32)
    if entries > MAX_MEMBERS or size > MAX_DIRECTORY_BYTES:
        raise WeightsError(
            f"{source}: its zip directory lists {entries:,} members in {size:,} bytes; a weights archive has at "
            f"most {MAX_MEMBERS} members"
        )


def _check_member(info, key: str, source: str) -> None:
    import zipfile

    if info.flag_bits & 0x1:
        raise WeightsError(f"{source}: member {key[:40]!r} is encrypted; expected plain arrays")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise WeightsError(
            f"{source}: member {key[:40]!r} uses compression method {info.compress_type}; expected stored or "
            "deflated members, as numpy.savez and numpy.savez_compressed write them"
        )
    stored = info.compress_type == zipfile.ZIP_STORED
    if info.file_size > (info.compress_size if stored else MAX_DEFLATE_RATIO * info.compress_size + 1024):
        raise WeightsError(
            f"{source}: member {key[:40]!r} claims {info.file_size:,} bytes from {info.compress_size:,} compressed; "
            "the archive is corrupt"
        )


def _read_spec(member, size: int, key: str, source: str) -> ArraySpec:
    """A member's ``.npy`` header, checked: a numeric dtype, and no more bytes for its shape than it holds."""
    version = np.lib.format.read_magic(member)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _fortran, dtype = read_header(member)
    if dtype.hasobject:
        raise UnsafeWeightsError(
            f"{source}: holds something other than numeric arrays ({key[:40]} is an object array); "
            "refused, nothing in it was run. mnist-infer loads only numeric arrays"
        )
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WeightsError(f"{source}: {key[:40]} has dtype {dtype}; expected a number type")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > size:
        raise WeightsError(
            f"{source}: {key[:40]} claims shape {shape} ({nbytes:,} bytes), the archive member holds {size:,}"
        )
    return ArraySpec(tuple(shape), dtype)
