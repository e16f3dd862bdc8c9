"""Bring one location into a ``.part`` file: an HTTP download that resumes, or a copy from a local mirror.

urllib3's ``Retry`` on the requests session retries what fails before a body arrives (connection errors,
timeouts waiting for an answer, 5xx), with backoff. A body cut short is different: the bytes that arrived are
kept and the rest is asked for with a Range request, which ``Retry`` cannot do; that is the loop here.

Every location has an overall deadline (:mod:`.deadline`): a server that trickles a byte a second never times
out between bytes, so a watchdog shuts its connection when the deadline passes, whatever it is waiting for.
The ``.part`` file is opened without following links and extended only if it is this user's own regular file
(:func:`mnist_infer.files.open_for_writing`); a local mirror is read only if it is a regular file, and never
beyond the size it states.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

from .. import __version__
from ..catalog import KnownFile
from ..errors import DownloadError
from ..files import NotRegularFile, open_for_writing, open_regular
from .deadline import MIN_RATE, Watchdog, check_timeout, grace, watched_adapter
from .reasons import explain as _explain
from .sources import Source
from .verify import size_limit

USER_AGENT = f"mnist-infer/{__version__} (Deep Learning from Scratch, chapter 3)"
DEFAULT_TIMEOUT = (10.0, 30.0)  #: seconds to connect, seconds between bytes
DEFAULT_RETRIES = 2  #: further attempts per source after the first
DEFAULT_BACKOFF = 0.5  #: seconds before the second retry; doubled each time
_CHUNK = 1 << 16
_LENGTH = re.compile(r"[0-9]{1,20}")


class Progress(Protocol):
    """What the caller hears while a file arrives (the CLI draws progress bars from it)."""

    def start(self, name: str, source: str, total: int | None, done: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def finish(self) -> None: ...


class Silent:
    def start(self, name: str, source: str, total: int | None, done: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def finish(self) -> None:
        pass


class SourceFailed(Exception):
    """This location cannot give the file (404, too large, retries spent): the next one is tried."""


class HostDown(SourceFailed):
    """The host cannot be reached at all: later files skip it."""


class _Interrupted(Exception):
    """The body stopped before its end; what arrived is kept (or was discarded, when it cannot be resumed)."""


class Fetcher:
    """Fetches locations into ``.part`` files. One instance is one run: it remembers hosts that were down."""

    def __init__(
        self,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        progress: Progress | None = None,
    ) -> None:
        self.timeout, self.retries, self.backoff = check_timeout(timeout), retries, backoff
        self.progress = progress or Silent()
        self._session = None
        self._down_hosts: dict[str, str] = {}
        self._watchdog = Watchdog()

    def fetch(self, location: str, part: Path, known: KnownFile) -> bool:
        """Bring ``location`` into ``part``; True if it was appended to bytes already there (a resumed download).

        Raises :class:`SourceFailed` when this location cannot give the file.
        """
        source = Source(location)
        if source.is_local:
            self._copy(Path(location), part, known)
            return False
        self._watchdog.start(grace(self.timeout))
        try:
            interruptions = 0
            while True:
                try:
                    return self._get(location, part, known)
                except _Interrupted as exc:
                    self._check_deadline()
                    interruptions += 1
                    if interruptions > self.retries:
                        raise SourceFailed(str(exc)) from None
                    time.sleep(self.backoff * 2 ** (interruptions - 1))
        finally:
            self._watchdog.stop()

    def _check_deadline(self) -> None:
        watchdog = self._watchdog
        if watchdog.late():
            raise SourceFailed(
                f"too slow: {watchdog.received:,} bytes in {time.monotonic() - watchdog.started:.0f} s (at least "
                f"{MIN_RATE // 1024} KiB/s expected after {watchdog.grace:.0f} s); what arrived is kept for a resume"
            )

    def _copy(self, path: Path, part: Path, known: KnownFile) -> None:
        """Copy a local mirror's file: a regular file (links followed), never read beyond the size it states."""
        try:
            src, info = open_regular(path)
        except FileNotFoundError:
            raise SourceFailed("no such file") from None
        except NotRegularFile as exc:
            raise SourceFailed(exc.strerror) from None
        except OSError as exc:
            raise SourceFailed(f"cannot read ({exc.strerror or exc})") from None
        with src:
            size = info.st_size
            if size > size_limit(known):
                raise SourceFailed(f"{size:,} bytes, far more than the expected {known.size:,}")
            if size == 0:
                raise SourceFailed("an empty file")  # also what /proc and /sys files say, however much they stream
            with writing(part):
                dst, _ = open_for_writing(part, append=False)
            self.progress.start(known.name, str(path), size, 0)
            copied = 0
            try:
                with dst:
                    while block := src.read(min(_CHUNK, size - copied + 1)):
                        copied += len(block)
                        if copied > size:
                            raise SourceFailed(f"holds more than the {size:,} bytes its size states; not a plain file")
                        with writing(part):
                            dst.write(block)
                        self.progress.advance(len(block))
            except OSError as exc:
                raise SourceFailed(f"cannot copy ({exc.strerror or exc})") from None
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
                raise_on_status=False,  # the last 5xx comes back as a response, reported as such
                respect_retry_after_header=False,  # a server must not make us sleep as long as it likes
            )
            session = requests.Session()
            adapter = watched_adapter(self._watchdog, retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            session.headers["Accept-Encoding"] = "identity"  # the bytes as published, not re-encoded
            self._session = session
        return self._session

    def _get(self, url: str, part: Path, known: KnownFile) -> bool:
        """One request for what ``part`` lacks; True if the answer was appended to bytes already there."""
        import requests

        host = urlparse(url).netloc
        if host in self._down_hosts:
            raise SourceFailed(f"skipped: {host} was unreachable earlier ({self._down_hosts[host]})")
        with writing(part):
            f, offset = open_for_writing(part, append=True)
        with f:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            try:
                with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
                    status = response.status_code
                    if status == 416 and offset:
                        _start_over(f, part)  # our partial file is not a prefix of theirs
                        raise _Interrupted("HTTP 416: range not satisfiable; starting over")
                    if status >= 400:
                        raise SourceFailed(f"HTTP {status} {response.reason}")
                    if status == 206 and offset and _range_start(response) == offset:
                        append = True
                    elif status == 200:
                        offset, append = 0, False  # Range ignored (or not asked): take the whole body
                        _start_over(f, part)
                    elif status == 206:
                        _start_over(f, part)
                        raise _Interrupted(f"partial content from another offset than {offset}; starting over")
                    else:
                        raise SourceFailed(f"unexpected HTTP {status} {response.reason}")
                    length = response.headers.get("Content-Length", "")
                    total = offset + int(length) if _LENGTH.fullmatch(length) else None
                    if total is not None and total > size_limit(known):
                        raise SourceFailed(f"announces {total:,} bytes, far more than the expected {known.size:,}")
                    self._stream(response, f, part, offset, total, known, url)
                    return append
            except requests.exceptions.RequestException as exc:
                self._check_deadline()
                reason, unreachable = _explain(exc)
                if unreachable:
                    self._down_hosts[host] = reason
                    raise HostDown(reason) from None
                raise SourceFailed(reason) from None

    def _stream(
        self, response, f: BinaryIO, part: Path, offset: int, total: int | None, known: KnownFile, url: str
    ) -> None:
        """Write the raw body (no content decoding: a .gz stays gzip) to ``f``, never past the size limit."""
        import urllib3

        limit = size_limit(known)
        written = offset
        self._watchdog.progress(written)
        self.progress.start(known.name, url, total, offset)
        try:
            for block in response.raw.stream(_CHUNK, decode_content=False):
                written += len(block)
                if written > limit:
                    raise SourceFailed(f"sent more than {limit:,} bytes; expected {known.size:,}")
                with writing(part):
                    f.write(block)
                self.progress.advance(len(block))
                self._watchdog.progress(written)
                if self._watchdog.expired:
                    break
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            self._check_deadline()
            reason, _ = _explain(exc)
            raise _Interrupted(f"connection cut after {written:,} bytes ({reason})") from None
        finally:
            self.progress.finish()
        if total is None or written < total:
            self._check_deadline()  # cut by the watchdog: too slow, not a glitch
        if total is not None and written < total:
            raise _Interrupted(f"connection cut after {written:,} of {total:,} bytes")


def _start_over(f: BinaryIO, part: Path) -> None:
    """Drop what ``f`` holds (it is opened for appending, so later writes start at 0 again)."""
    with writing(part):
        f.truncate(0)


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """A local write failure (disk full, permissions) is not the source's fault: stop with a clear error."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise
        raise DownloadError(f"{path}: cannot write ({exc.strerror or exc}); the partial file is kept") from None


def _range_start(response) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None
