"""Fetch MNIST and the book's weights: verified, resumable, from sources tried in order.

Each file streams to ``NAME.part`` in the data directory, is checked against its published md5 and sha256 (a
re-gzipped copy by the checksums of its content) and only then renamed. Sources, in order: the package's own copy
(no network), the user's mirrors (base URLs or directories), the public ones the catalog names. urllib3's ``Retry``
retries what fails before a body arrives (connection errors, 5xx) with backoff; a body cut short is resumed with a
Range request; a 404 moves on at once. Each source has a deadline that moves with the bytes that arrive (after a grace
of three times the timeouts, :data:`MIN_RATE` on average): a watchdog shuts the connection when it passes, whatever
it waits for, so a server trickling a byte a second is left in bounded time. A ``.part`` is extended only if it is
this user's own regular file with no other link; two downloads into one directory wait for each other.
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import unquote, urlparse

from . import __version__
from .catalog import BOOK_WEIGHTS, FILES, SPLIT_FILES, KnownFile
from .errors import N_, DownloadError, MnistInferError, os_reason
from .i18n import _
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

    @property
    def copied(self) -> bool:
        """Put in place from the package or a mirror on this machine: nothing came over the network."""
        return self.status == "downloaded" and self.source is not None and _local(self.source) is not None

    def to_dict(self) -> dict[str, object]:
        return {"file": self.name, "path": str(self.path), "status": self.status, "bytes": self.size,
                "verified": self.verified, "source": self.source,
                "errors": [{"source": a.source, "error": a.error} for a in self.attempts]}  # fmt: skip


class DownloadReport(NamedTuple):
    data_dir: Path
    files: list[FileReport]

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if report.status == "failed"]

    def to_dict(self) -> dict[str, object]:
        return {"data_dir": str(self.data_dir), "files": [report.to_dict() for report in self.files]}

    def error(self, *, mirrored: bool = False, verbose: bool = False) -> DownloadError:
        """One short line: what could not be fetched, how many sources were tried, the first reason, and the ways out
        the user has not taken yet (a mirror, skipping the weights, ``-v``)."""
        failed = self.failed
        first = next((a for r in failed for a in r.attempts), None)
        weights = {r.name for r in failed} & {*BOOK_WEIGHTS}
        return DownloadError(
            N_("could not fetch {names} ({count} of {total} file(s); tried {tried} source(s), first: {first})"
               "{mirror}{weights}{details}"),
            names=", ".join(r.name for r in failed), count=len(failed), total=len(self.files),
            tried=max(len(r.attempts) for r in failed),
            first=f"{first.source}: {first.error[:120]}" if first else N_("no source to try"),
            mirror="" if mirrored else MnistInferError(N_("; give a copy with --mirror DIR_OR_URL or ${env}"),
                                                       env=MIRRORS_ENV),
            weights=N_("; skip the weights with --no-weights") if weights else "",
            details="" if verbose else N_("; -v lists every source tried"),
        )  # fmt: skip


def mirrors_from(given: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """Mirrors given on the command line, then those of ``$MNIST_INFER_MIRRORS`` (comma-separated)."""
    environ = os.environ if environ is None else environ
    return [*given, *(m.strip() for m in environ.get(MIRRORS_ENV, "").split(",") if m.strip())]


def _local(location: str) -> Path | None:
    """The file or directory a location names, or None for a URL."""
    parsed = urlparse(location)
    if parsed.scheme in ("http", "https"):
        return None
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else expand_user(location)


def plan(split: str = "all", *, weights: Sequence[str] | None = None, mirrors: Sequence[str] = (),
         only_mirrors: bool = False) -> list[Target]:  # fmt: skip
    """The files of ``split`` ("all", "train" or "test") and the book's ``weights`` (by default all three), each with
    its locations in order: the packaged copy, ``mirrors``, the public ones; with ``only_mirrors``, ``mirrors`` and
    then the packaged copy (which needs no network)."""
    if split != "all" and split not in SPLIT_FILES:
        raise DownloadError(N_("unknown split {split!r}; expected all, train or test"), split=split)
    names = [name for s in (SPLIT_FILES if split == "all" else [split]) for name in SPLIT_FILES[s]]
    targets = []
    for name in [*names, *(BOOK_WEIGHTS if weights is None else weights)]:
        known, packaged = FILES[name], packaged_file(name)
        bases = [*mirrors, *(() if only_mirrors else FILES[name].mirrors)]
        located = [str(_local(b) / name) if _local(b) else b.rstrip("/") + "/" + name for b in bases]
        own = [str(packaged)] if packaged else []
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

    advance = finish = lambda self, *args: None


def check_timeout(timeout: tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` seconds, each finite and between 0 and :data:`MAX_TIMEOUT`."""
    try:
        values = tuple(float(t) for t in timeout)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 2 or not all(math.isfinite(t) and 0 < t <= MAX_TIMEOUT for t in values):
        raise DownloadError(N_("timeout {timeout!r}: expected seconds between 0 and {limit:.0f}, finite"),
                            timeout=timeout, limit=MAX_TIMEOUT)  # fmt: skip
    return values  # type: ignore[return-value]


def download(data_dir: Path, targets: Sequence[Target], *, force: bool = False,
             timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
             backoff: float = DEFAULT_BACKOFF, progress: Progress | None = None) -> DownloadReport:  # fmt: skip
    """Make every target present and verified in ``data_dir``; a report per file (some may have failed)."""
    fetcher = _Fetcher(check_timeout(timeout), retries, backoff, progress)
    present = {} if force else {t.known.name: r for t in targets if (r := _present(data_dir, t.known))}
    if len(present) == len(targets):
        return DownloadReport(data_dir, list(present.values()))  # nothing to write: a read-only directory is fine
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(N_("{path}: cannot create the data directory ({reason})"),
                            path=data_dir, reason=os_reason(exc)) from None  # fmt: skip
    with _directory_lock(data_dir):
        return DownloadReport(data_dir, [present.get(t.known.name) or _fetch(data_dir, t, fetcher, force)
                                         for t in targets])  # fmt: skip


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
        report.attempts.append(Attempt(str(final), _("present but does not verify; fetching again")))
    with _writing(part):
        if force:
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
                        raise _SourceFailed(_("wrong bytes: {reason}").format(reason=exc)) from None
        except _SourceFailed as exc:
            report.attempts.append(Attempt(location, str(exc)))
            continue
        with _writing(final):
            check_replaceable(final)
            os.replace(part, final)
            report.size, report.status, report.source = final.stat().st_size, "downloaded", location
        return report
    with _writing(part):
        remove_file(part)  # nothing usable is left behind, under any name
    return report


class _Mismatch(Exception):
    """The bytes are not the known file's."""


def size_limit(known: KnownFile) -> int:
    """A copy may be re-gzipped (another size), but never more than twice as large as the published file."""
    return 2 * known.size + 65536


def verify(path: Path, known: KnownFile, *, follow: bool = True) -> str:
    """How ``path`` was recognised as ``known``: "sha256", "content-sha256" or "content-md5". Only a regular file
    within :func:`size_limit` is read; raises ``_Mismatch`` for other bytes, OSError when it cannot be read."""

    def digests(stream, limit: int) -> tuple[str, str, int]:
        md5, sha256, total = hashlib.md5(), hashlib.sha256(), 0
        while (block := stream.read(1 << 20)) and total <= limit:  # never further than the real file
            md5.update(block)
            sha256.update(block)
            total += len(block)
        return md5.hexdigest(), sha256.hexdigest(), total

    f, info = open_regular(path, follow=follow)
    with f:
        if info.st_size > size_limit(known):
            raise _Mismatch(_("{size:,} bytes, expected {expected:,}").format(size=info.st_size, expected=known.size))
        md5, sha256, _read = digests(f, info.st_size)
        if sha256 == known.sha256 and md5 == known.md5:
            return "sha256"
        mismatch = _("expected sha256 {expected}, got {sha256}").format(expected=known.sha256, sha256=sha256)
        f.seek(0)
        if known.content_size is None or f.read(2) != b"\x1f\x8b":
            raise _Mismatch(mismatch)
        f.seek(0)
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                md5, sha256, total = digests(stream, known.content_size)
        except (OSError, EOFError, zlib.error):
            total = -1
    if total == known.content_size and known.content_sha256 == sha256:
        return "content-sha256"
    if total == known.content_size and not known.content_sha256 and md5 == known.content_md5:
        return "content-md5"
    raise _Mismatch(mismatch + _(" (and its decompressed content is not MNIST's either)"))


class _SourceFailed(Exception):
    """This location cannot give the file (404, too large, retries spent): the next one is tried."""


class _Interrupted(Exception):
    """The body stopped before its end; what arrived is kept (or dropped, when it cannot be resumed)."""


class _Fetcher:
    """Fetches locations into ``.part`` files; remembers hosts that were unreachable, for the next files."""

    def __init__(self, timeout, retries, backoff, progress) -> None:
        self.timeout, self.retries, self.backoff, self.progress = timeout, retries, backoff, progress or _Silent()
        self.session, self.down, self.watchdog = None, {}, _Watchdog()

    def fetch(self, location: str, part: Path, known: KnownFile) -> bool:
        """Bring ``location`` into ``part``; True if it was appended to bytes already there (a resume)."""
        path = _local(location)
        if path is not None:
            self._copy(path, part, known)
            return False
        self.watchdog.start(3 * sum(self.timeout))
        try:
            for interruption in range(self.retries + 1):
                try:
                    return self._get(location, part, known)
                except _Interrupted as exc:
                    self._check_deadline()
                    if interruption == self.retries:
                        raise _SourceFailed(str(exc)) from None
                    time.sleep(self.backoff * 2**interruption)
        finally:
            self.watchdog.stop()
        raise AssertionError("unreachable")

    def _check_deadline(self) -> None:
        dog = self.watchdog
        if dog.late():
            slow = _(
                "too slow: {received:,} bytes in {seconds:.0f} s (at least {rate} KiB/s expected after {grace:.0f} "
                "s); what arrived is kept for a resume"
            )
            seconds = time.monotonic() - dog.started
            raise _SourceFailed(
                slow.format(received=dog.received, seconds=seconds, rate=MIN_RATE // 1024, grace=dog.grace)
            )

    def _copy(self, path: Path, part: Path, known: KnownFile) -> None:
        """A local mirror's file: a regular file (links followed), never read beyond the size it states."""
        try:
            src, info = open_regular(path)
        except FileNotFoundError:
            raise _SourceFailed(_("no such file")) from None
        except NotRegularFile as exc:
            raise _SourceFailed(_("is {kind}, not a regular file").format(kind=_(exc.kind))) from None
        except OSError as exc:
            raise _SourceFailed(_("cannot read ({reason})").format(reason=_(os_reason(exc)))) from None
        with src:
            if info.st_size == 0:  # also what /proc files say, however much they stream
                raise _SourceFailed(_("an empty file"))
            if info.st_size > size_limit(known):
                raise _SourceFailed(_("{size:,} bytes, far more than the expected {expected:,}").format(
                    size=info.st_size, expected=known.size))  # fmt: skip
            with _writing(part):
                remove_file(part)
            try:
                self._pour(iter(lambda: src.read(_CHUNK), b""), part, 0, info.st_size, known, info.st_size)
            except OSError as exc:
                raise _SourceFailed(_("cannot copy ({reason})").format(reason=_(os_reason(exc)))) from None

    def _pour(self, blocks: Iterable[bytes], part: Path, offset: int, total: int | None, known: KnownFile,
              limit: int | None = None) -> None:  # fmt: skip
        """Write ``blocks`` after the ``offset`` bytes ``part`` holds, never past ``limit`` (the known file's bound)."""
        limit, written = min(limit or size_limit(known), size_limit(known)), offset
        with _writing(part):
            f, held = open_for_append(part)
            if held != offset:
                f.truncate(offset)
        self.progress.start(known.name, total, offset)
        try:
            with f:
                for block in blocks:
                    written += len(block)
                    if written > limit:
                        raise _SourceFailed(_("sent more than {limit:,} bytes; expected {expected:,}").format(
                            limit=limit, expected=known.size))  # fmt: skip
                    with _writing(part):
                        f.write(block)
                    self.progress.advance(len(block))
                    self.watchdog.received = written
                    if self.watchdog.expired:
                        break
        finally:
            self.progress.finish()
        if total is not None and written < total:
            self._check_deadline()  # cut by the watchdog: too slow, not a glitch
            cut = _("connection cut after {written:,} of {total:,} bytes")
            raise _Interrupted(cut.format(written=written, total=total))

    def _get(self, url: str, part: Path, known: KnownFile) -> bool:
        """One request for what ``part`` lacks; True if the answer was appended to bytes already there."""
        import requests
        import urllib3

        host = urlparse(url).netloc
        if host in self.down:
            raise _SourceFailed(_("skipped: {host} was unreachable earlier ({reason})").format(
                host=host, reason=self.down[host]))  # fmt: skip
        with _writing(part):
            f, offset = open_for_append(part)
            f.close()
        try:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            with self._session().get(url, headers=headers, stream=True, timeout=self.timeout) as response:
                status = response.status_code
                start = response.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
                append = status == 206 and offset > 0 and start == str(offset)
                if (status == 416 and offset) or (status == 206 and not append):
                    self._pour((), part, 0, None, known)  # our partial file is not a prefix of theirs
                    raise _Interrupted(_("HTTP {status}: not the part from byte {offset}; starting over").format(
                        status=status, offset=offset))  # fmt: skip
                if status not in (200, 206):
                    raise _SourceFailed(f"HTTP {status} {response.reason}")
                offset = offset if append else 0  # Range ignored (or not asked): the whole body
                length = response.headers.get("Content-Length", "")
                total = offset + int(length) if length.isascii() and length.isdigit() and len(length) < 20 else None
                if total is not None and total > size_limit(known):
                    raise _SourceFailed(_("announces {total:,} bytes, far more than the expected {expected:,}").format(
                        total=total, expected=known.size))  # fmt: skip
                try:
                    self._pour(response.raw.stream(_CHUNK, decode_content=False), part, offset, total, known)
                except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
                    self._check_deadline()
                    raise _Interrupted(_("connection cut ({reason})").format(reason=_explain(exc)[0])) from None
                if total is None:
                    self._check_deadline()
                return append
        except requests.exceptions.RequestException as exc:
            self._check_deadline()
            reason, unreachable = _explain(exc)
            if unreachable:
                self.down[host] = reason
            raise _SourceFailed(reason) from None

    def _session(self):
        if self.session is None:
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
            self.session = requests.Session()
            adapter = self.watchdog.adapter(retry)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
            self.session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})  # bytes as published
        return self.session


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A local write failure (disk full, permissions) is not the source's fault: stop with a clear error."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise
        raise DownloadError(N_("{path}: cannot write ({reason}); the partial file is kept"),
                            path=path, reason=os_reason(exc)) from None  # fmt: skip


def _explain(exc: BaseException) -> tuple[str, bool]:
    """What went wrong, in a few words, and whether the host is unreachable (retrying it is pointless)."""
    import urllib3

    chain, pending = [], [exc]
    while pending:  # requests wraps urllib3's errors, which wrap the socket's
        current = pending.pop(0)
        if all(current is not seen for seen in chain):
            chain.append(current)
            wrapped = (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args[:1])
            pending += [e for e in wrapped if isinstance(e, BaseException)]
    for cause in chain:
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return _("could not resolve the host name"), True
        if isinstance(cause, OSError) and cause.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH):
            return _(os_reason(cause.errno)), True
    if any(isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError)) for cause in chain):
        return _("timed out"), False
    errnos = [cause.errno for cause in chain if isinstance(cause, OSError) and cause.errno]
    if errnos:
        return _(os_reason(errnos[0])), False
    return f"{type(chain[-1]).__name__}: {str(chain[-1])[:160]}", False


class _Watchdog:
    """Shuts the connections of the current location when it misses its deadline: ``grace + received / MIN_RATE``
    seconds after it started (bytes that arrive move the deadline)."""

    def __init__(self) -> None:
        self.connections, self.lock, self.timer = weakref.WeakSet(), threading.Lock(), None
        self.expired, self.started, self.grace, self.received = False, 0.0, 0.0, 0

    def start(self, grace: float) -> None:
        self.stop()
        with self.lock:
            self.expired, self.started, self.grace, self.received = False, time.monotonic(), grace, 0
            self._arm(grace)

    def stop(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    def late(self) -> bool:
        return self.expired or time.monotonic() > self.started + self.grace + self.received / MIN_RATE

    def _arm(self, seconds: float) -> None:
        self.timer = threading.Timer(max(seconds, 0.01), self._check)
        self.timer.daemon = True
        self.timer.start()

    def _check(self) -> None:
        with self.lock:
            if self.timer is None:
                return
            remaining = self.started + self.grace + self.received / MIN_RATE - time.monotonic()
            if remaining > 0:
                return self._arm(remaining)
            self.expired = True
            for connection in list(self.connections):
                self._shut(connection)

    def _watch(self, connection) -> None:
        with self.lock:
            self.connections.add(connection)
            if self.expired:
                self._shut(connection)

    @staticmethod
    def _shut(connection) -> None:
        import socket

        with contextlib.suppress(OSError, ValueError, AttributeError):
            connection.sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread; close() would not

    def adapter(self, retry):
        """A requests adapter whose connections this watchdog can shut (urllib3's ``ConnectionCls`` hook)."""
        from requests.adapters import HTTPAdapter
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        watch = self._watch

        def watched(base: type) -> type:
            return type(base.__name__, (base,), {"connect": lambda self: (watch(self), base.connect(self))[1]})

        pools = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": watched(HTTPConnection)}),
            "https": type("TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": watched(HTTPSConnection)}),
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
        raise DownloadError(N_("{path}: cannot write to the data directory ({reason})"),
                            path=directory, reason=os_reason(exc)) from None  # fmt: skip
    try:
        if not stat.S_ISREG(mode := os.fstat(fd).st_mode):
            raise DownloadError(N_("{path}: exists as {kind}, not a regular file; refusing to use it as the download "
                                   "lock (remove it)"),
                                path=path, kind=kind_of(mode))  # fmt: skip
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DownloadError(N_("{path}: another `mnist-infer download` has been writing here for "
                                           "{wait:.0f} s; wait for it to finish or stop it"),
                                        path=directory, wait=wait) from None  # fmt: skip
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
