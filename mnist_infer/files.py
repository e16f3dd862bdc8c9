"""Files the tool writes and reads: atomically, never through a link, never onto anything but a regular file.

A data directory may be shared (a lab server, a group cache), so anyone who can write in it may plant a
symbolic link, a FIFO or a device under a name the tool is about to write. Every write here therefore opens
without following links (``O_NOFOLLOW``), creates its temporary file exclusively (``O_EXCL``) in the target's
own directory, and refuses, with :class:`UnsafePathError` naming the path, a name that exists as anything but
a regular file. Readers open with ``O_NONBLOCK`` and check what they opened (``fstat``), so that a FIFO never
blocks them and a device is never read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import UnsafePathError

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """What a file of this mode is, for messages: "a symbolic link", "a FIFO", …"""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


class NotRegularFile(OSError):
    """What :func:`open_regular` opened is a FIFO, a device, a directory (or a link, when links are not followed)."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        self.kind = kind


def open_regular(
    path: str | os.PathLike[str], *, follow_links: bool = True, dir_fd: int | None = None
) -> tuple[BinaryIO, os.stat_result]:
    """Open a regular file for reading; raises :class:`NotRegularFile` for anything else, without blocking.

    With ``follow_links=False`` a symbolic link is refused too (``O_NOFOLLOW``).
    """
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY | (0 if follow_links else NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise NotRegularFile(path, "a symbolic link") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path, kind_of(info.st_mode))
        return os.fdopen(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file (so that the caller can tell it holds more than ``limit``)."""
    f, _ = open_regular(path)
    with f:
        return f.read(limit + 1)


def check_replaceable(
    path: str | os.PathLike[str], *, dir_fd: int | None = None, shown: str | os.PathLike[str] | None = None
) -> os.stat_result | None:
    """The ``lstat`` of ``path`` if it is a regular file, None if it does not exist; :class:`UnsafePathError` if it
    exists as anything else (a link, a directory, a FIFO, a device), which the tool never writes over.

    ``shown`` is the path the message names (``path`` itself by default; a bare name when ``dir_fd`` is given).
    """
    shown = path if shown is None else shown
    try:
        info = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(
            f"{shown}: exists as {kind_of(info.st_mode)}, not a regular file; refusing to write over it "
            "(remove it, or choose another name)"
        )
    return info


def _create_exclusive(name: str | os.PathLike[str], dir_fd: int | None, flags: int = 0) -> int:
    """A new file, created by this call (never one that existed, never through a link)."""
    return os.open(
        name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | _CLOEXEC | _BINARY | flags, 0o666, dir_fd=dir_fd
    )


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, dir_fd: int | None = None) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary file beside it, renamed into place only if the block succeeds.

    The temporary file is created exclusively and without following links; ``path`` must be absent or a
    regular file (checked before the work and again before the rename). With ``dir_fd``, ``path`` is a name
    in that open directory (so that the directory cannot be swapped for a link midway).
    """
    path = Path(path)
    if dir_fd is None:
        directory = os.open(path.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        name = path.name
    else:
        directory, name = dir_fd, str(path)
    try:
        check_replaceable(name, dir_fd=directory, shown=path)
        for _ in range(100):
            temporary = f".{name}.{os.urandom(6).hex()}.tmp"
            try:
                fd = _create_exclusive(temporary, directory)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
            check_replaceable(name, dir_fd=directory, shown=path)
            os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=directory)
            raise
    finally:
        if dir_fd is None:
            os.close(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, dir_fd: int | None = None) -> None:
    with atomic_write(path, dir_fd=dir_fd) as f:
        f.write(data)


def remove_file(path: str | os.PathLike[str]) -> None:
    """Delete a regular file if it exists; anything else under that name is refused, not removed."""
    if check_replaceable(path) is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def replace_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename ``source`` to ``target``, which must be absent or a regular file."""
    check_replaceable(target)
    os.replace(source, target)


def open_for_writing(path: str | os.PathLike[str], *, append: bool) -> tuple[BinaryIO, int]:
    """A file to stream into and the number of bytes it already holds: the existing one when ``append`` and it
    is ours to extend (a regular file, owned by this user, with no other hard link), else a new, empty one.

    A name that exists as a link, a directory, a FIFO or a device is refused (:class:`UnsafePathError`).
    """
    existing = check_replaceable(path)
    if append and existing is not None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            check_replaceable(path)  # swapped for a link since: refuse it by name
            raise
        info = os.fstat(fd)
        ours = (
            stat.S_ISREG(info.st_mode)
            and (info.st_dev, info.st_ino) == (existing.st_dev, existing.st_ino)
            and info.st_nlink == 1
            and info.st_uid == _euid()
        )
        if ours:
            return os.fdopen(fd, "ab"), info.st_size
        os.close(fd)
    remove_file(path)
    try:
        fd = _create_exclusive(path, None)
    except FileExistsError:
        check_replaceable(path)  # something appeared under the name meanwhile: refuse it by name
        raise
    return os.fdopen(fd, "wb"), 0


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0


def trusted_owner(info: os.stat_result, *also: int) -> bool:
    """Whether a file belongs to this user, to root, or to one of ``also`` (such as the owner of the file it was
    derived from, who could change the answer anyway)."""
    return info.st_uid in (_euid(), 0, *also)


def open_directory(path: str | os.PathLike[str], *parts: str, create: bool = False) -> int:
    """An open descriptor of ``path/parts…``: ``path`` as given (links followed: the user's choice), each of
    ``parts`` without following links (made when ``create``). The caller closes it."""
    fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | NOFOLLOW | _CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """File descriptor 2 pointed at devnull while the block runs: decoders in C (libtiff) print their complaints
    there, where they would precede the one line of an error."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep quiet
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
