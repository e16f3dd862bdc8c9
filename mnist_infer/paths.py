"""Where files live, and how the tool touches them: the data directory, the user cache, the packaged copies; files
read only if regular, written atomically and never through a link.

The data directory is ``--data-dir`` if given, else ``$MNIST_INFER_HOME``, else ``$XDG_CACHE_HOME/mnist-infer``
(an absolute ``XDG_CACHE_HOME`` only, as the XDG specification says), else ``~/.cache/mnist-infer``. The package
ships the MNIST test split and the book's weights: they serve where the data directory lacks them.

A data directory may be shared, so anyone who can write in it may plant a link, a FIFO or a device under a name the
tool is about to write. Every write therefore creates a new file exclusively (``O_EXCL``) without following links
(``O_NOFOLLOW``) in the target's own directory and renames it into place; a name that exists as anything but a
regular file is refused (:class:`UnsafePathError`). Readers open with ``O_NONBLOCK`` and check what they opened, so
that a FIFO never blocks them and a device is never read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .catalog import FILES
from .errors import N_, MnistInferError, Phrase, UnsafePathError, os_reason

HOME_ENV = "MNIST_INFER_HOME"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_KINDS = (
    (stat.S_ISLNK, N_("a symbolic link")),
    (stat.S_ISDIR, N_("a directory")),
    (stat.S_ISFIFO, N_("a FIFO")),
    (stat.S_ISCHR, N_("a character device")),
    (stat.S_ISBLK, N_("a block device")),
    (stat.S_ISSOCK, N_("a socket")),
)


# --- places ----------------------------------------------------------------------------------------------------


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` expanded; an error when there is no home to expand it to."""
    path = Path(path)
    if not str(path).startswith("~"):
        return path
    try:
        return path.expanduser()
    except (RuntimeError, KeyError):
        raise MnistInferError(N_("{path}: cannot expand ~ (no home directory); give a full path"), path=path) from None


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/mnist-infer`` (if absolute), else ``~/.cache/mnist-infer``; None without a home."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(cache):
        return Path(cache) / "mnist-infer"
    try:
        return Path.home() / ".cache" / "mnist-infer"
    except (RuntimeError, KeyError):  # HOME unset and no passwd entry for this user
        return None


def data_dir(given: str | os.PathLike[str] | None = None) -> Path | None:
    """``given``, else ``$MNIST_INFER_HOME``, else the user cache directory; None when there is none at all (the
    packaged copies then serve)."""
    if given:
        return expand_user(given)
    home = os.environ.get(HOME_ENV)
    return expand_user(home) if home else user_cache_dir()


def existing_data_dir(given: str | os.PathLike[str] | None = None) -> Path | None:
    """:func:`data_dir`, refusing a ``given`` directory that does not exist (a typo would silently fall back to
    the packaged copies)."""
    directory = data_dir(given)
    if given and directory is not None and not directory.is_dir():
        raise MnistInferError(N_("{path}: no such data directory; check the name, or let `mnist-infer download "
                                 "--data-dir {path}` create it"),
                              path=directory)  # fmt: skip
    return directory


def package_dir(package: str) -> Path:
    """The directory of one of mnist-infer's packages (the data files it ships lie there)."""
    import importlib

    return Path(importlib.import_module(package).__file__).parent


def packaged_file(name: str) -> Path | None:
    """The copy of the catalog's file ``name`` shipped inside the package, if there is one."""
    known = FILES.get(name)
    if known is None or known.packaged_in is None:
        return None
    path = package_dir(known.packaged_in) / name
    return path if path.is_file() else None


def is_packaged(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is one of the package's own copies (read-only: nothing is written beside it)."""
    copy = packaged_file(Path(path).name)
    return copy is not None and copy.resolve() == Path(path).resolve()


# --- reading ---------------------------------------------------------------------------------------------------


def kind_of(mode: int) -> Phrase:
    """What a file of this mode is, for messages: "a symbolic link", "a FIFO", …"""
    return next((name for test, name in _KINDS if test(mode)), N_("not a regular file"))


class NotRegularFile(OSError):
    """What was opened is a FIFO, a device, a directory (or a link, when links are not followed)."""

    def __init__(self, path: str | os.PathLike[str], kind: Phrase) -> None:
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        self.kind = kind


def open_regular(
    path: str | os.PathLike[str], *, follow: bool = True, dir_fd: int | None = None
) -> tuple[BinaryIO, os.stat_result]:
    """A regular file open for reading and its ``fstat``; :class:`NotRegularFile` for anything else (a link too,
    unless ``follow``), without blocking on a FIFO."""
    try:
        fd = os.open(path, _READ | (0 if follow else _NOFOLLOW), dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise NotRegularFile(path, kind_of(stat.S_IFLNK)) from None
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


def trusted_owner(info: os.stat_result, *also: int) -> bool:
    """Whether a file belongs to this user, to root, or to one of ``also``."""
    return info.st_uid in (os.geteuid() if hasattr(os, "geteuid") else 0, 0, *also)


# --- writing ---------------------------------------------------------------------------------------------------


def check_replaceable(
    path: str | os.PathLike[str], *, dir_fd: int | None = None, shown: object = None
) -> os.stat_result | None:
    """The ``lstat`` of ``path`` if it is a regular file, None if it does not exist; :class:`UnsafePathError` if it
    exists as anything else, which the tool never writes over. ``shown`` is the path messages name."""
    try:
        info = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(N_("{path}: exists as {kind}, not a regular file; refusing to write over it (remove "
                                 "it, or choose another name)"),
                              path=path if shown is None else shown, kind=kind_of(info.st_mode))  # fmt: skip
    return info


def open_directory(path: str | os.PathLike[str], *parts: str, create: bool = False) -> int:
    """A descriptor of ``path/parts…``: ``path`` as given (links followed: the user's choice), each of ``parts``
    without following links (made when ``create``). The caller closes it."""
    fd = os.open(path, _DIRECTORY)
    try:
        for part in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
            inner = os.open(part, _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, dir_fd: int | None = None) -> Iterator[BinaryIO]:
    """Write ``path`` through a new temporary file beside it, renamed into place only if the block succeeds.

    ``path`` must be absent or a regular file (checked before the work and again before the rename). With
    ``dir_fd``, ``path`` is a name in that open directory (which cannot then be swapped for a link midway).
    The temporary name is short, so that any name the system allows can be written.
    """
    path = Path(path)
    directory = os.open(path.parent, _DIRECTORY) if dir_fd is None else dir_fd
    name = path.name if dir_fd is None else str(path)
    try:
        check_replaceable(name, dir_fd=directory, shown=path)
        while True:
            temporary = f".mnist-infer-{os.urandom(6).hex()}.tmp"
            try:
                fd = os.open(temporary, _CREATE, 0o666, dir_fd=directory)
                break
            except FileExistsError:
                continue
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


_THE_FILE = N_("the file")


def _check_directory(path: Path, what: Phrase) -> None:
    """The directory ``path`` goes in is there; if not, the nearest part of the path that is says why: a file where
    a directory should be, or nothing."""
    if path.parent.is_dir():
        return
    there = next((part for part in path.parents if part.exists()), None)
    if there is not None and not there.is_dir():
        raise MnistInferError(N_("{path}: cannot write {what}: {directory} is a file, not a directory"),
                              path=path, what=what, directory=there)  # fmt: skip
    raise MnistInferError(N_("{path}: cannot write {what}: directory {directory} does not exist"),
                          path=path, what=what, directory=path.parent)  # fmt: skip


def write_file(path: str | os.PathLike[str], data: bytes, what: Phrase = _THE_FILE) -> Path:
    """Write ``data`` to ``path`` atomically; a missing directory or a refusal is one :class:`MnistInferError`."""
    path = Path(path)
    _check_directory(path, what)
    try:
        with atomic_write(path) as f:
            f.write(data)
    except OSError as exc:
        raise MnistInferError(N_("{path}: cannot write {what} ({reason})"),
                              path=path, what=what, reason=os_reason(exc)) from None  # fmt: skip
    return path


def check_writable(path: str | os.PathLike[str], what: Phrase = _THE_FILE) -> None:
    """Fail now, not after a long computation, if ``path`` cannot be written: a missing directory, no permission,
    or a name that exists as a link, a directory, a FIFO or a device."""
    path = Path(path)
    _check_directory(path, what)
    check_replaceable(path)
    if not os.access(path.parent, os.W_OK):
        raise MnistInferError(N_("{path}: cannot write {what} (permission denied)"), path=path, what=what)
    try:  # what access() cannot tell (root, /proc, a read-only mount): a file made there and removed
        fd, probe = tempfile.mkstemp(prefix=".mnist-infer-", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MnistInferError(N_("{path}: cannot write {what} ({reason})"),
                              path=path, what=what, reason=os_reason(exc)) from None  # fmt: skip


def open_for_append(path: str | os.PathLike[str]) -> tuple[BinaryIO, int]:
    """A file to stream into and the bytes it already holds: the existing one if it is ours to extend (a regular
    file, owned by this user, with no other hard link), else a new, empty one. A link, a directory, a FIFO or a
    device under the name is refused (:class:`UnsafePathError`)."""
    existing = check_replaceable(path)
    if existing is not None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        info = os.fstat(fd)
        same = (info.st_dev, info.st_ino) == (existing.st_dev, existing.st_ino)
        if same and stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and trusted_owner(info):
            return os.fdopen(fd, "ab"), info.st_size
        os.close(fd)
        os.unlink(path)
    try:
        return os.fdopen(os.open(path, _CREATE, 0o666), "wb"), 0
    except FileExistsError:
        check_replaceable(path)  # something appeared under the name meanwhile: refuse it by name
        raise


def remove_file(path: str | os.PathLike[str]) -> None:
    """Delete a regular file if it exists; anything else under that name is refused, not removed."""
    if check_replaceable(path) is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
