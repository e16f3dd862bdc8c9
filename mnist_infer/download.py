"""Fetch MNIST and the book's weights: verified, resumable, from sources tried in order.

Each file streams to ``NAME.part`` in the data directory, is checked against its published md5 and sha256 (a
re-gzipped copy by the checksums of its content) and only then renamed. Sources, in order: the package's own copy
(the test split and two of the book's weights ship with the tool), the user's mirrors (base URLs or directories),
then the public ones the catalog names. urllib3's ``Retry`` retries what fails before a body arrives (connection
errors, 5xx) with backoff; a body cut short is resumed with a Range request; a 404 moves on at once. Every source has
a deadline that moves with the bytes that arrive (after a grace of three times the timeouts, at least
:data:`MIN_RATE` on average): a watchdog shuts the connection when it passes, whatever the connection waits for, so
a server trickling a byte a second is left in bounded time. A ``.part`` is extended only if it is this user's own
regular file with no other link; two downloads into one directory wait for each other.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import math
import os
import stat
import threading
import time
import weakref
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol
from urllib.parse import unquote, urlparse

from . import __version__
from .catalog import BOOK_WEIGHTS, FILES, SPLIT_FILES, KnownFile
from .errors import N_, DownloadError
from .paths import (
    NotRegularFile,
    check_replaceable,
    expand_user,
    kind_of,
    open_for_append,
    open_regular,
    packaged_file,
    remove_file,
)

MIRRORS_ENV = "MNIST_INFER_MIRRORS"
LOCK_NAME = ".mnist-infer-download.lock"
USER_AGENT = f"mnist-infer/{__version__} (Deep Learning from Scratch)"
DEFAULT_TIMEOUT = (10.0, 30.0)  #: seconds to connect, seconds between bytes
DEFAULT_RETRIES = 2  #: further attempts per source after the first
DEFAULT_BACKOFF = 0.5  #: seconds before the second retry; doubled each time
MAX_TIMEOUT = 3600.0
MIN_RATE = 32 * 1024  #: bytes a second a source must average once its grace is over
_CHUNK = 1 << 16


class Target(NamedTuple):
    """A file to fetch and the full locations it may come from, in order."""

    known: KnownFile
    locations: tuple[str, ...]


class Attempt(NamedTuple):
    source: str
    error: str


@dataclass
class FileReport:
    """What happened to one file: "present" (already there, verified), "downloaded" or "failed"."""

    name: str
    path: Path
    status: str
    size: int | None = None
    verified: str | None = None  #: "sha256", "content-sha256" or "content-md5"
    source: str | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.name,
            "path": str(self.path),
            "status": self.status,
            "bytes": self.size,
            "verified": self.verified,
            "source": self.source,
            "errors": [{"source": a.source, "error": a.error} for a in self.attempts],
        }


class DownloadReport(NamedTuple):
    data_dir: Path
    files: list[FileReport]

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if report.status == "failed"]

    def to_dict(self) -> dict[str, object]:
        return {"data_dir": str(self.data_dir), "files": [report.to_dict() for report in self.files]}

    def error(self) -> DownloadError:
        """One short line: what could not be fetched, how many sources were tried, the first reason, the way out."""
        failed = self.failed
        first = next((a for r in failed for a in r.attempts), None)
        weights = any(FILES[r.name].kind == "weights" for r in failed)
        return DownloadError(
            N_(
                "could not fetch {names} ({count} of {total} file(s); tried {tried} source(s), first: {first}); give a "
                "copy with --mirror DIR_OR_URL or ${env}{weights}, or -v for details"
            ),
            names=", ".join(r.name for r in failed),
            count=len(failed),
            total=len(self.files),
            tried=max(len(r.attempts) for r in failed),
            first=f"{first.source}: {first.error[:120]}" if first else N_("no source to try"),
            env=MIRRORS_ENV,
            weights=N_(" (or skip the weights with --no-weights)") if weights else "",
        )


def mirrors_from(given: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """Mirrors given on the command line, then those of ``$MNIST_INFER_MIRRORS`` (comma-separated)."""
    environ = os.environ if environ is None else environ
    return [*given, *(m.strip() for m in environ.get(MIRRORS_ENV, "").split(",") if m.strip())]


def _is_local(location: str) -> bool:
    return urlparse(location).scheme not in ("http", "https")


def _local_path(location: str) -> Path:
    parsed = urlparse(location)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else expand_user(location)


def plan(
    split: str = "all", *, weights: Sequence[str] | None = None, mirrors: Sequence[str] = (), only_mirrors: bool = False
) -> list[Target]:
    """The files to fetch for ``split`` ("all", "train" or "test") and the book's ``weights`` (by default all three),
    each with its locations in order: the packaged copy, ``mirrors``, then the public ones; with ``only_mirrors``,
    ``mirrors`` and then the packaged copy."""
    splits = list(SPLIT_FILES) if split == "all" else [split]
    if any(s not in SPLIT_FILES for s in splits):
        raise DownloadError(N_("unknown split {split!r}; expected all, train or test"), split=split)
    names = [name for s in splits for name in SPLIT_FILES[s]] + list(BOOK_WEIGHTS if weights is None else weights)
    targets = []
    for name in names:
        known = FILES[name]
        packaged = packaged_file(name)
        bases = [*mirrors, *(() if only_mirrors else known.mirrors)]
        located = [str(_local_path(b) / name) if _is_local(b) else b.rstrip("/") + "/" + name for b in bases]
        own = [str(packaged)] if packaged else []  # no network needed: first, or after the user's only mirrors
        targets.append(Target(known, (*located, *own) if only_mirrors else (*own, *located)))
    return targets


class Progress(Protocol):
    """What the caller hears while a file arrives (the command line draws progress bars from it)."""

    def start(self, name: str, total: int | None, done: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def start(self, name: str, total: int | None, done: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def finish(self) -> None:
        pass


def check_timeout(timeout: tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` seconds, each finite and between 0 and :data:`MAX_TIMEOUT`."""
    try:
        values = tuple(float(t) for t in timeout)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 2 or not all(math.isfinite(t) and 0 < t <= MAX_TIMEOUT for t in values):
        raise DownloadError(
            N_("timeout {timeout!r}: expected seconds between 0 and {limit:.0f}, finite"),
            timeout=timeout,
            limit=MAX_TIMEOUT,
        )
    return values  # type: ignore[return-value]


def download(
    data_dir: Path,
    targets: Sequence[Target],
    *,
    force: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress | None = None,
) -> DownloadReport:
    """Make every target present and verified in ``data_dir``; a report per file (some may have failed)."""
    fetcher = _Fetcher(check_timeout(timeout), retries, backoff, progress or _Silent())
    present = {} if force else {t.known.name: r for t in targets if (r := _present(data_dir, t.known))}
    if len(present) == len(targets):
        return DownloadReport(data_dir, list(present.values()))  # nothing to write: a read-only directory is fine
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            N_("{path}: cannot create the data directory ({reason})"), path=data_dir, reason=exc.strerror or exc
        ) from None
    with _directory_lock(data_dir):
        # Files verified above stay valid (a concurrent run only ever renames verified files into place).
        return DownloadReport(
            data_dir, [present.get(t.known.name) or _fetch(data_dir, t, fetcher, force) for t in targets]
        )


def _present(data_dir: Path, known: KnownFile) -> FileReport | None:
    """The report of a file already in place and verified (a file far larger than the known one is not hashed)."""
    final = data_dir / known.name
    try:
        return FileReport(known.name, final, "present", final.stat().st_size, verify(final, known))
    except (_Mismatch, OSError):
        return None


def _fetch(data_dir: Path, target: Target, fetcher: _Fetcher, force: bool) -> FileReport:
    known = target.known
    if not force and (present := _present(data_dir, known)):  # put in place by a run that held the lock before
        return present
    final, part = data_dir / known.name, data_dir / (known.name + ".part")
    report = FileReport(known.name, final, "failed")
    if final.is_file() and not force:
        report.attempts.append(Attempt(str(final), "present but does not verify; fetching again"))
    if force:
        with _writing(part):
            remove_file(part)
    for location in target.locations:
        try:
            for fresh in (False, True):  # bytes kept from an earlier run that spoil the result: dropped, fetched anew
                resumed = fetcher.fetch(location, part, known)
                try:
                    report.verified = verify(part, known, follow=False)
                    break
                except _Mismatch as exc:
                    with _writing(part):
                        remove_file(part)
                    if not resumed or fresh:
                        raise _SourceFailed(f"wrong bytes: {exc}") from None
        except _SourceFailed as exc:
            report.attempts.append(Attempt(location, str(exc)))
            continue
        with _writing(final):
            check_replaceable(final)
            os.replace(part, final)
            report.size = final.stat().st_size
        report.status, report.source = "downloaded", location
        return report
    with _writing(part):
        remove_file(part)  # nothing usable is left behind, under any name
    return report


# --- verification ----------------------------------------------------------------------------------------------


class _Mismatch(Exception):
    """The bytes are not the known file's."""


def size_limit(known: KnownFile) -> int:
    """A copy may be re-gzipped (another size), but never more than twice as large as the published file."""
    return 2 * known.size + 65536


def verify(path: Path, known: KnownFile, *, follow: bool = True) -> str:
    """How ``path`` was recognised as ``known``: "sha256", "content-sha256" or "content-md5". Only a regular file
    within :func:`size_limit` is read; raises ``_Mismatch`` for other bytes, OSError when it cannot be read."""
    f, info = open_regular(path, follow=follow)
    with f:
        if info.st_size > size_limit(known):
            raise _Mismatch(f"{info.st_size:,} bytes, expected {known.size:,}")
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        head = f.read(2)
        f.seek(0)
        while block := f.read(1 << 20):
            md5.update(block)
            sha256.update(block)
    if sha256.hexdigest() == known.sha256 and md5.hexdigest() == known.md5:
        return "sha256"
    mismatch = f"expected sha256 {known.sha256}, got {sha256.hexdigest()}"
    if head == b"\x1f\x8b" and known.content_size is not None:
        md5, sha256, total = hashlib.md5(), hashlib.sha256(), 0
        try:
            raw, _ = open_regular(path, follow=follow)
            with raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                while (block := stream.read(1 << 20)) and total <= known.content_size:  # no further than the real file
                    total += len(block)
                    md5.update(block)
                    sha256.update(block)
        except (OSError, EOFError, zlib.error):
            total = -1
        if total == known.content_size and known.content_sha256 == sha256.hexdigest():
            return "content-sha256"
        if total == known.content_size and not known.content_sha256 and md5.hexdigest() == known.content_md5:
            return "content-md5"
        mismatch += " (and its decompressed content is not MNIST's either)"
    raise _Mismatch(mismatch)


# --- one location into a .part ---------------------------------------------------------------------------------


class _SourceFailed(Exception):
    """This location cannot give the file (404, too large, retries spent): the next one is tried."""


class _Interrupted(Exception):
    """The body stopped before its end; what arrived is kept (or dropped, when it cannot be resumed)."""


class _Fetcher:
    """Fetches locations into ``.part`` files; remembers hosts that were unreachable, for the next files."""

    def __init__(self, timeout, retries, backoff, progress) -> None:
        self.timeout, self.retries, self.backoff, self.progress = timeout, retries, backoff, progress
        self._session = None
        self._down: dict[str, str] = {}
        self._watchdog = _Watchdog()

    def fetch(self, location: str, part: Path, known: KnownFile) -> bool:
        """Bring ``location`` into ``part``; True if it was appended to bytes already there (a resume)."""
        if _is_local(location):
            self._copy(_local_path(location), part, known)
            return False
        self._watchdog.start(3 * sum(self.timeout))
        try:
            interruptions = 0
            while True:
                try:
                    return self._get(location, part, known)
                except _Interrupted as exc:
                    self._check_deadline()
                    interruptions += 1
                    if interruptions > self.retries:
                        raise _SourceFailed(str(exc)) from None
                    time.sleep(self.backoff * 2 ** (interruptions - 1))
        finally:
            self._watchdog.stop()

    def _check_deadline(self) -> None:
        dog = self._watchdog
        if dog.late():
            raise _SourceFailed(
                f"too slow: {dog.received:,} bytes in {time.monotonic() - dog.started:.0f} s (at least "
                f"{MIN_RATE // 1024} KiB/s expected after {dog.grace:.0f} s); what arrived is kept for "
                "a resume"
            )

    def _copy(self, path: Path, part: Path, known: KnownFile) -> None:
        """A local mirror's file: a regular file (links followed), never read beyond the size it states."""
        try:
            src, info = open_regular(path)
        except FileNotFoundError:
            raise _SourceFailed("no such file") from None
        except NotRegularFile as exc:
            raise _SourceFailed(f"is {exc.kind}, not a regular file") from None
        except OSError as exc:
            raise _SourceFailed(f"cannot read ({exc.strerror or exc})") from None
        with src:
            size = info.st_size
            if size > size_limit(known):
                raise _SourceFailed(f"{size:,} bytes, far more than the expected {known.size:,}")
            if size == 0:
                raise _SourceFailed("an empty file")  # also what /proc files say, however much they stream
            with _writing(part):
                remove_file(part)
                dst, _ = open_for_append(part)
            self.progress.start(known.name, size, 0)
            copied = 0
            try:
                with dst:
                    while block := src.read(min(_CHUNK, size - copied + 1)):
                        copied += len(block)
                        if copied > size:
                            raise _SourceFailed(f"holds more than the {size:,} bytes its size states; not a plain file")
                        with _writing(part):
                            dst.write(block)
                        self.progress.advance(len(block))
            except OSError as exc:
                raise _SourceFailed(f"cannot copy ({exc.strerror or exc})") from None
            finally:
                self.progress.finish()

    @property
    def session(self):
        if self._session is None:
            import requests
            from urllib3.util.retry import Retry

            retry = Retry(
                total=None,
                connect=self.retries,
                read=self.retries,
                status=self.retries,
                other=self.retries,
                allowed_methods=frozenset({"GET"}),
                status_forcelist=range(500, 600),
                backoff_factor=self.backoff,
                raise_on_status=False,
                respect_retry_after_header=False,
            )  # a server must not make us sleep as long as it likes
            session = requests.Session()
            adapter = self._watchdog.adapter(retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})  # the bytes published
            self._session = session
        return self._session

    def _get(self, url: str, part: Path, known: KnownFile) -> bool:
        """One request for what ``part`` lacks; True if the answer was appended to bytes already there."""
        import requests

        host = urlparse(url).netloc
        if host in self._down:
            raise _SourceFailed(f"skipped: {host} was unreachable earlier ({self._down[host]})")
        with _writing(part):
            f, offset = open_for_append(part)
        with f:
            try:
                headers = {"Range": f"bytes={offset}-"} if offset else {}
                with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
                    status = response.status_code
                    if status == 416 and offset:
                        self._start_over(f, part)  # our partial file is not a prefix of theirs
                        raise _Interrupted("HTTP 416: range not satisfiable; starting over")
                    if status >= 400:
                        raise _SourceFailed(f"HTTP {status} {response.reason}")
                    start = response.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
                    append = status == 206 and offset > 0 and start == str(offset)
                    if status not in (200, 206):
                        raise _SourceFailed(f"unexpected HTTP {status} {response.reason}")
                    if not append:
                        self._start_over(f, part)
                        if status == 206:
                            raise _Interrupted(f"partial content from another offset than {offset}; starting over")
                        offset = 0  # Range ignored (or not asked): the whole body
                    length = response.headers.get("Content-Length", "")
                    total = offset + int(length) if length.isascii() and length.isdigit() and len(length) < 20 else None
                    if total is not None and total > size_limit(known):
                        raise _SourceFailed(f"announces {total:,} bytes, far more than the expected {known.size:,}")
                    self._stream(response, f, part, offset, total, known)
                    return append
            except requests.exceptions.RequestException as exc:
                self._check_deadline()
                reason, unreachable = _explain(exc)
                if unreachable:
                    self._down[host] = reason
                raise _SourceFailed(reason) from None

    def _start_over(self, f: BinaryIO, part: Path) -> None:
        with _writing(part):
            f.truncate(0)

    def _stream(self, response, f: BinaryIO, part: Path, offset: int, total: int | None, known: KnownFile) -> None:
        """Write the raw body (a .gz stays gzip) to ``f``, never past the size limit."""
        import urllib3

        limit, written = size_limit(known), offset
        self._watchdog.received = written
        self.progress.start(known.name, total, offset)
        try:
            for block in response.raw.stream(_CHUNK, decode_content=False):
                written += len(block)
                if written > limit:
                    raise _SourceFailed(f"sent more than {limit:,} bytes; expected {known.size:,}")
                with _writing(part):
                    f.write(block)
                self.progress.advance(len(block))
                self._watchdog.received = written
                if self._watchdog.expired:
                    break
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            self._check_deadline()
            raise _Interrupted(f"connection cut after {written:,} bytes ({_explain(exc)[0]})") from None
        finally:
            self.progress.finish()
        if total is None or written < total:
            self._check_deadline()  # cut by the watchdog: too slow, not a glitch
        if total is not None and written < total:
            raise _Interrupted(f"connection cut after {written:,} of {total:,} bytes")


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A local write failure (disk full, permissions) is not the source's fault: stop with a clear error."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise
        raise DownloadError(
            N_("{path}: cannot write ({reason}); the partial file is kept"), path=path, reason=exc.strerror or exc
        ) from None


def _explain(exc: BaseException) -> tuple[str, bool]:
    """What went wrong, in a few words, and whether the host is unreachable (retrying it is pointless)."""
    import urllib3

    chain, pending, seen = [], [exc], set()
    while pending:  # requests wraps urllib3's errors, which wrap the socket's
        current = pending.pop(0)
        if id(current) not in seen:
            seen.add(id(current))
            chain.append(current)
            wrapped = (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args[:1])
            pending += [e for e in wrapped if isinstance(e, BaseException)]
    for cause in chain:
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return "could not resolve the host name", True
        if isinstance(cause, OSError) and cause.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH):
            return os.strerror(cause.errno), True
    if any(isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError)) for cause in chain):
        return "timed out", False
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno), False
    return f"{type(chain[-1]).__name__}: {str(chain[-1])[:160]}", False


class _Watchdog:
    """Shuts down one fetcher's connections when the current location misses its deadline: ``grace + received /
    MIN_RATE`` seconds after it started."""

    def __init__(self) -> None:
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.expired, self.started, self.grace, self.received = False, 0.0, 0.0, 0

    def start(self, grace: float) -> None:
        self.stop()
        with self._lock:
            self.expired, self.started, self.grace, self.received = False, time.monotonic(), grace, 0
            self._arm(grace)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def late(self) -> bool:
        return self.expired or time.monotonic() > self.started + self.grace + self.received / MIN_RATE

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(max(seconds, 0.01), self._check)
        self._timer.daemon = True
        self._timer.start()

    def _check(self) -> None:
        with self._lock:
            if self._timer is None:
                return
            remaining = self.started + self.grace + self.received / MIN_RATE - time.monotonic()
            if remaining > 0:
                return self._arm(remaining)  # bytes arrived since: the deadline moved
            self.expired = True
            for connection in list(self._connections):
                self._shut(connection)

    def _watch(self, connection) -> None:
        with self._lock:
            self._connections.add(connection)
            if self.expired:
                self._shut(connection)

    @staticmethod
    def _shut(connection) -> None:
        import socket

        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread; close() would not

    def adapter(self, retry):
        """A requests adapter whose connections this watchdog can shut (urllib3's ``ConnectionCls`` hook)."""
        from requests.adapters import HTTPAdapter
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        watch = self._watch

        class Watched(HTTPConnection):
            def connect(self) -> None:
                watch(self)
                super().connect()

        class WatchedTLS(HTTPSConnection):
            def connect(self) -> None:
                watch(self)
                super().connect()

        pools = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": Watched}),
            "https": type("TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": WatchedTLS}),
        }

        class Adapter(HTTPAdapter):
            def init_poolmanager(self, *args, **kwargs) -> None:
                super().init_poolmanager(*args, **kwargs)
                self.poolmanager.pool_classes_by_scheme = pools

            def proxy_manager_for(self, proxy, **kwargs):  # through an HTTP proxy too (not SOCKS: its own classes)
                manager = super().proxy_manager_for(proxy, **kwargs)
                if not proxy.lower().startswith("socks"):
                    manager.pool_classes_by_scheme = pools
                return manager

        return Adapter(max_retries=retry)


@contextlib.contextmanager
def _directory_lock(directory: Path, wait: float = 600.0) -> Iterator[None]:
    """An exclusive lock on ``directory`` (a lock file opened without following links) for one download at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = directory / LOCK_NAME
    flags = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o666)
        except PermissionError:  # another user's lock file in a shared directory: read-only locks as well
            fd = os.open(path, os.O_RDONLY | flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            check_replaceable(path)  # a link, a directory, a FIFO or a device: refused by name
        raise DownloadError(
            N_("{path}: cannot write to the data directory ({reason})"), path=directory, reason=exc.strerror or exc
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DownloadError(
                N_("{path}: exists as {kind}, not a regular file; refusing to use it as the download lock (remove it)"),
                path=path,
                kind=kind_of(mode),
            )
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DownloadError(
                        N_(
                            "{path}: another `mnist-infer download` has been writing here for {wait:.0f} "
                            "s; wait for it to finish or stop it"
                        ),
                        path=directory,
                        wait=wait,
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
