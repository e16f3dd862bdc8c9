"""Parse each gzip IDX file once: its array is kept as ``.npy`` and memory-mapped on later runs.

Gunzipping the test images costs more than the whole forward pass; mapping a ``.npy`` costs almost nothing. A
plain (uncompressed) IDX file is read as it is: that is as fast as any cache.

A cache can never change an answer: it is used only if everything below holds, else the source is parsed
again and the cache rewritten.

- It is named after its source's size and modification time, opened without following links, is a regular
  file, and belongs to this user, to root or to the owner of the source (who could change the answer anyway,
  by changing the source): in a shared directory, nobody else's file is taken for a cache.
- Its size and its ``.npy`` header are exactly those of the array the source's header promises (the count
  included): nothing in the cache file itself decides how much is read.
- The CRC-32 of the IDX content it holds is the one its source's gzip trailer states: the digest the source
  was written with, read from the source's last 8 bytes, checked in 4 ms for the 10,000 test images. A cache
  cut short, reversed, zeroed, or swapped for another valid ``.npy`` does not pass. (A source whose trailer
  does not describe its content, such as a multi-member gzip, gets no cache.)

Caches go to ``.mnist-infer-cache/`` beside the source if that may be written (and is not a link), else to the
user cache directory; the package's own copies always use the user cache directory. Where neither may be
written, the file is simply parsed every time.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .errors import UnsafePathError
from .files import atomic_write, open_directory, open_regular, trusted_owner
from .idx import IdxSource
from .locations import is_packaged, user_cache_dir

CACHE_DIR_NAME = ".mnist-infer-cache"
_VERSION = re.compile(r"\.[0-9]+-[0-9]+\.npy")


def cache_name(source: IdxSource) -> str:
    return f"{source.path.name}.{source.size}-{source.mtime_ns}.npy"


def npy_header(shape: tuple[int, ...]) -> bytes:
    """The ``.npy`` (format 1.0) header of a C-ordered uint8 array of ``shape``, padded to 64 bytes."""
    text = "{'descr': '|u1', 'fortran_order': False, 'shape': %r, }" % (shape,)  # noqa: UP031 (numpy's own form)
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def load_cached(source: IdxSource, parse: Callable[[Path], np.ndarray]) -> np.ndarray:
    """The array of ``source`` (checked by :func:`mnist_infer.idx.inspect`): memory-mapped from a cache that
    passes every check, else ``parse(source.path)``, then cached."""
    if not source.compressed or source.trailer is None or source.header.body_size == 0:
        return parse(source.path)
    for base, parts in _places(source):
        with _directory(base, parts) as directory:
            if directory is not None and (cached := _open(directory, source)) is not None:
                return cached
    array = parse(source.path)
    if array.shape == source.header.shape and _crc(source, array) == source.trailer:
        for base, parts in _places(source):
            if _writable(base.joinpath(*parts)):
                with contextlib.suppress(OSError):
                    base.mkdir(parents=True, exist_ok=True)
                    with _directory(base, parts, create=True) as directory:
                        if directory is not None:
                            _store(directory, source, array)
                            break
    return array


def _places(source: IdxSource) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Where the cache of ``source`` may be, preferred first: (a directory as given, names below it that are
    opened without following links). Lazily: a cache found beside the data costs nothing more."""
    if not is_packaged(source.path):
        yield source.path.parent, (CACHE_DIR_NAME,)
    home = user_cache_dir()
    if home is not None:
        parent = str(source.path.absolute().parent).encode()
        yield home, (CACHE_DIR_NAME, f"{zlib.crc32(parent):08x}{zlib.adler32(parent):08x}")


@contextlib.contextmanager
def _directory(base: Path, parts: tuple[str, ...], create: bool = False):
    """An open descriptor of the cache directory, or None if it is absent, a link, or cannot be opened."""
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
    """The directory, or its nearest existing ancestor, may be written, and is not marked read-only by its mode
    (root may write anywhere; r-x is respected anyway). Quietly False if that cannot even be looked at."""
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
    """The cache of ``source`` in ``directory``, memory-mapped, if it passes every check; else None."""
    header = npy_header(source.header.shape)
    try:
        f, info = open_regular(cache_name(source), follow_links=False, dir_fd=directory)
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


def _store(directory: int, source: IdxSource, array: np.ndarray) -> None:
    """Write the cache atomically and drop the caches of earlier versions of the same source; quietly."""
    name = cache_name(source)
    try:
        if not stat.S_ISREG(mode := os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode):
            if stat.S_ISDIR(mode):
                return
            os.unlink(name, dir_fd=directory)  # a link planted in our cache directory: removed, never followed
    except FileNotFoundError:
        pass
    except OSError:
        return
    try:
        with atomic_write(name, dir_fd=directory) as f:
            f.write(npy_header(array.shape))
            f.write(memoryview(np.ascontiguousarray(array, dtype=np.uint8)).cast("B"))
    except (OSError, UnsafePathError):
        return
    prefix = source.path.name
    for old in os.listdir(directory):
        if old != name and old.startswith(prefix) and _VERSION.fullmatch(old[len(prefix) :]):
            with contextlib.suppress(OSError):
                os.unlink(old, dir_fd=directory)
