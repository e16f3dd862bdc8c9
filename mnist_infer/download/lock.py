"""One writer per data directory: a lock that a second download waits for."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import DownloadError

LOCK_NAME = ".mnist-infer-download.lock"


@contextlib.contextmanager
def directory_lock(directory: Path, wait: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` so that two downloads never write it at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before this existed
        yield
        return
    try:
        handle = open(directory / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the whole block)
    except OSError as exc:
        raise DownloadError(f"{directory}: cannot write to the data directory ({exc.strerror or exc})") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        handle.close()
