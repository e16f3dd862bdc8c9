"""Parse each gzip IDX file once: its array is kept as ``.npy`` and memory-mapped on later runs.

Gunzipping the test images costs more than the whole forward pass; mapping a ``.npy`` costs almost nothing. A
plain (uncompressed) IDX file is read as it is: that is as fast as any cache.

A cache can never change an answer. It is used only if all of this holds, else the source is parsed again and the
cache rewritten:

- it is named after its source's size and modification time, opened without following links, is a regular file,
  and belongs to this user, to root or to the owner of the source (who could change the answer anyway);
- its size and ``.npy`` header are exactly those of the array the source's header promises;
- the CRC-32 of the IDX content it holds is the one the source's gzip trailer states (4 ms for the test images).

Caches go to ``.mnist-infer-cache/`` beside the source if that may be written (and is not a link), else to the user
cache directory; the package's own copies always use the user cache directory.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..errors import UnsafePathError
from ..paths import atomic_write, is_packaged, open_directory, open_regular, trusted_owner, user_cache_dir
from .idx import IdxSource

CACHE_DIR_NAME = ".mnist-infer-cache"


def cache_name(source: IdxSource) -> str:
    return f"{source.path.name}.{source.size}-{source.mtime_ns}.npy"


def npy_header(shape: tuple[int, ...]) -> bytes:
    """The ``.npy`` (format 1.0) header of a C-ordered uint8 array of ``shape``, padded to 64 bytes."""
    text = "{'descr': '|u1', 'fortran_order': False, 'shape': %r, }" % (shape,)  # noqa: UP031 (numpy's own form)
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def load_cached(source: IdxSource, parse: Callable[[Path], np.ndarray]) -> np.ndarray:
    """The array of ``source``: memory-mapped from a cache that passes every check, else ``parse(source.path)``,
    then cached where that may be written (quietly nowhere if nowhere may)."""
    if not source.compressed or source.trailer is None or source.header.body_size == 0:
        return parse(source.path)
    for base, parts in _places(source):
        with _directory(base, parts) as directory:
            if directory is not None and (cached := _open(directory, source)) is not None:
                return cached
    array = parse(source.path)
    if _crc(source, array) != source.trailer:  # a multi-member gzip: its trailer describes its last member only
        return array
    for base, parts in _places(source):
        if _writable(base.joinpath(*parts)):
            with contextlib.suppress(OSError):
                base.mkdir(parents=True, exist_ok=True)
                with _directory(base, parts, create=True) as directory:
                    if directory is not None and _store(directory, source, array):
                        break
    return array


def _places(source: IdxSource) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Where the cache may be, preferred first: a directory as given, and names below it opened without links."""
    if not is_packaged(source.path):
        yield source.path.parent, (CACHE_DIR_NAME,)
    home = user_cache_dir()
    if home is not None:
        parent = str(source.path.absolute().parent).encode()
        yield home, (CACHE_DIR_NAME, f"{zlib.crc32(parent):08x}{zlib.adler32(parent):08x}")


@contextlib.contextmanager
def _directory(base: Path, parts: tuple[str, ...], create: bool = False) -> Iterator[int | None]:
    try:
        fd = open_directory(base, *parts, create=create)
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def _writable(directory: Path) -> bool:
    """The directory, or its nearest existing ancestor, may be written and is not read-only by its mode."""
    try:
        existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
        return existing is not None and os.access(existing, os.W_OK) and bool(existing.stat().st_mode & 0o222)
    except OSError:
        return False


def _crc(source: IdxSource, body) -> tuple[int, int]:
    """CRC-32 and length (mod 2**32) of the IDX content made of ``source``'s header and ``body``."""
    header = source.header.to_bytes()
    return zlib.crc32(body, zlib.crc32(header)), (len(header) + source.header.body_size) & 0xFFFFFFFF


def _open(directory: int, source: IdxSource) -> np.ndarray | None:
    header = npy_header(source.header.shape)
    try:
        f, info = open_regular(cache_name(source), follow=False, dir_fd=directory)
    except OSError:
        return None
    with f:
        if info.st_size != len(header) + source.header.body_size or not trusted_owner(info, source.owner):
            return None
        if f.read(len(header)) != header:
            return None
        try:
            array = np.memmap(f, dtype=np.uint8, mode="r", offset=len(header), shape=source.header.shape)
        except (OSError, ValueError):
            return None
    return array if _crc(source, array) == source.trailer else None


def _store(directory: int, source: IdxSource, array: np.ndarray) -> bool:
    """Write the cache atomically (a link planted in our cache directory is removed, never followed) and drop the
    caches of earlier versions of the same source."""
    name = cache_name(source)
    with contextlib.suppress(OSError):
        mode = os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            os.unlink(name, dir_fd=directory)
    try:
        with atomic_write(name, dir_fd=directory) as f:
            f.write(npy_header(array.shape))
            f.write(memoryview(np.ascontiguousarray(array, dtype=np.uint8)).cast("B"))
    except (OSError, UnsafePathError):
        return False
    for old in os.listdir(directory):
        if old != name and old.startswith(source.path.name + ".") and old.endswith(".npy"):
            with contextlib.suppress(OSError):
                os.unlink(old, dir_fd=directory)
    return True
