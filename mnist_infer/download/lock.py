"""One writer per data directory: a lock that a second download waits for.

The lock file is opened without following links and must be a regular file: in a shared directory, a link
planted under its name must not make the tool create or open the file it points to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import DownloadError
from ..files import NOFOLLOW, check_replaceable, kind_of

LOCK_NAME = ".mnist-infer-download.lock"
_FLAGS = NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | _FLAGS, 0o666)
    except PermissionError:
        # Another user's lock file in a shared directory: a read-only descriptor locks as well.
        try:
            return os.open(path, os.O_RDONLY | _FLAGS)
        except OSError:
            pass
        raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            check_replaceable(path)  # a link, a directory, a FIFO or a device: refused by name
        raise


@contextlib.contextmanager
def directory_lock(directory: Path, wait: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` so that two downloads never write it at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before this existed
        yield
        return
    path = directory / LOCK_NAME
    try:
        fd = _open_lock(path)
    except OSError as exc:
        raise DownloadError(f"{directory}: cannot write to the data directory ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DownloadError(
                f"{path}: exists as {kind_of(mode)}, not a regular file; refusing to use it as the download lock "
                "(remove it)"
            )
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DownloadError(
                        f"{directory}: another `mnist-infer download` has been writing here for {wait:.0f} s; "
                        "wait for it to finish or stop it"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
