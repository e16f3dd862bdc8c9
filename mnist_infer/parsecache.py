"""Parse each IDX file once: its arrays are kept as ``.npy`` beside the data and memory-mapped on later runs.

Gunzipping the test images costs more than the whole forward pass; mapping a ``.npy`` costs almost nothing.
A cache file is named after its source's size and modification time, so a changed source never meets a
stale cache; it is written atomically, checked when opened (header, shape, size) and rebuilt when it does not
pass. A data directory that cannot be written (or the package's own copy of the test split) is left alone: the
cache then goes to the user cache directory, and where that fails too, the file is simply parsed every time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .files import atomic_write
from .locations import is_packaged, user_cache_dir

CACHE_DIR_NAME = ".mnist-infer-cache"


def _writable(directory: Path) -> bool:
    """Writable, and not marked read-only by its mode (root may write anywhere; we respect r-x anyway)."""
    try:
        return os.access(directory, os.W_OK) and bool(directory.stat().st_mode & 0o222)
    except OSError:
        return False


def _fallback_dir(source: Path) -> Path | None:
    import hashlib  # only a read-only data directory needs it

    home = user_cache_dir()
    if home is None:
        return None
    key = hashlib.sha1(str(source.absolute().parent).encode()).hexdigest()[:16]
    return home / CACHE_DIR_NAME / key


def cache_path(source: Path) -> Path | None:
    """Where the cache of ``source`` (at its current size and mtime) is or may be written; None if nowhere.

    Beside the source if that directory may be written, else in the user cache.
    """
    info = source.stat()
    name = f"{source.name}.{info.st_size}-{info.st_mtime_ns}.npy"
    # The package's own copies are read-only by contract: their cache always goes to the user cache.
    candidates = [] if is_packaged(source) else [source.parent / CACHE_DIR_NAME / name]
    fallback_dir = _fallback_dir(source)
    if fallback_dir is not None:
        candidates.append(fallback_dir / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    for candidate in candidates:
        existing = next((p for p in candidate.parents if p.exists()), None)
        if existing is not None and _writable(existing):
            return candidate
    return None


def load_cached(source: Path, parse: Callable[[Path], np.ndarray], check: Callable[[np.ndarray], bool]) -> np.ndarray:
    """The array of ``source``: memory-mapped from its cache when that is valid, else parsed and cached.

    ``check`` tells whether a mapped cache holds what ``parse`` would return (shape, dtype, value range).
    """
    try:
        target = cache_path(source)
    except OSError:
        target = None
    if target is not None and target.is_file():
        cached = _open(target, check)
        if cached is not None:
            return cached
    array = parse(source)
    if target is not None:
        _store(target, array)
    return array


def _open(path: Path, check: Callable[[np.ndarray], bool]) -> np.ndarray | None:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or not check(array):
        return None
    return array


def _store(path: Path, array: np.ndarray) -> None:
    """Write the cache atomically and drop the caches of earlier versions of the same source; quietly."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            np.save(f, array, allow_pickle=False)
    except OSError:
        return
    stem = path.name.rsplit(".", 2)[0]  # "<source name>" of "<source name>.<size>-<mtime>.npy"
    for old in path.parent.glob(f"{stem}.*.npy"):
        if old != path and old.name.rsplit(".", 2)[0] == stem:
            with contextlib.suppress(OSError):
                old.unlink()
