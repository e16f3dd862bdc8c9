"""Fetch MNIST and the book's weights: verified, resumable, from mirrors tried in order.

Each file streams to ``<name>.part`` in the data directory, is checked against its published checksums (or,
for a re-gzipped copy, against the checksum of its decompressed content) and only then renamed to its final
name. An interrupted ``.part`` is resumed with an HTTP Range request. Connection errors, bodies cut short and
5xx answers are retried with backoff; a 404 moves on to the next source at once. A lock keeps two runs from
writing the same directory at the same time.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from . import __version__
from .errors import DownloadError
from .resources import MNIST_MIRRORS, MNIST_RESOURCES, SPLIT_FILES, Resource

MIRRORS_ENV = "MNIST_INFER_MIRRORS"
USER_AGENT = f"mnist-infer/{__version__} (Deep Learning from Scratch, chapter 3)"
DEFAULT_TIMEOUT = (10.0, 30.0)  #: seconds to connect, seconds between bytes
DEFAULT_RETRIES = 2  #: further attempts per source after the first
DEFAULT_BACKOFF = 0.5  #: seconds before the first retry; doubled each time
LOCK_NAME = ".mnist-infer-download.lock"
_CHUNK = 1 << 16


class Progress(Protocol):
    """What the caller hears while a file arrives (the CLI draws Rich progress bars from it)."""

    def start(self, name: str, source: str, total: int | None, done: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def start(self, name: str, source: str, total: int | None, done: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class Source:
    """A place that holds files under their canonical names: a base URL or a local directory."""

    location: str

    @property
    def is_local(self) -> bool:
        return urlparse(self.location).scheme not in ("http", "https")

    def locate(self, name: str) -> str:
        if not self.is_local:
            return self.location.rstrip("/") + "/" + name
        return str(self.directory / name)

    @property
    def directory(self) -> Path:
        parsed = urlparse(self.location)
        return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(self.location).expanduser()


@dataclass
class Attempt:
    source: str
    error: str


@dataclass
class FileReport:
    """What happened to one file."""

    name: str
    path: Path
    status: str  #: "present" (already there, verified), "downloaded", or "failed"
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


@dataclass(frozen=True)
class Target:
    """A file to fetch and the full locations it may come from, in order."""

    resource: Resource
    locations: tuple[str, ...]


# --- verification -------------------------------------------------------------------------------------------


class VerificationError(Exception):
    pass


def verify(path: Path, resource: Resource) -> str:
    """How ``path`` was recognised as ``resource`` ("sha256", "content-sha256", "content-md5").

    Raises :class:`VerificationError` saying what was expected and what was found.
    """
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        for block in iter(lambda: f.read(1 << 20), b""):
            md5.update(block)
            sha256.update(block)
    if sha256.hexdigest() == resource.sha256 and md5.hexdigest() == resource.md5:
        return "sha256"
    mismatch = f"expected sha256 {resource.sha256}, got {sha256.hexdigest()}"
    if head == b"\x1f\x8b" and resource.content_size is not None:
        content = _content_digests(path, resource.content_size)
        if content is not None:
            content_md5, content_sha256 = content
            if resource.content_sha256 and content_sha256 == resource.content_sha256:
                return "content-sha256"
            if not resource.content_sha256 and content_md5 == resource.content_md5:
                return "content-md5"
        mismatch += " (and its decompressed content is not MNIST's either)"
    raise VerificationError(mismatch)


def _content_digests(path: Path, content_size: int) -> tuple[str, str] | None:
    """md5 and sha256 of a gzip file's content, or None if it is not valid gzip or not the expected size."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                total += len(block)
                if total > content_size:  # inflate no further than the real file would
                    return None
                md5.update(block)
                sha256.update(block)
    except (OSError, EOFError, zlib.error):
        return None
    return (md5.hexdigest(), sha256.hexdigest()) if total == content_size else None


# --- planning -----------------------------------------------------------------------------------------------


def _weights_target(mirrors: Sequence[Source], only_mirrors: bool) -> Target:
    from .weights import DEFAULT_WEIGHTS_NAME, manifest

    known = manifest()[DEFAULT_WEIGHTS_NAME]
    resource = Resource(known.name, "weights", known.size, md5=known.md5, sha256=known.sha256)
    defaults = () if only_mirrors else known.sources
    return Target(resource, (*(m.locate(known.name) for m in mirrors), *defaults))


def mirrors_from(cli_mirrors: Sequence[str] = (), environ: dict[str, str] | None = None) -> list[Source]:
    """Mirrors given on the command line, then those of ``$MNIST_INFER_MIRRORS`` (comma-separated)."""
    environ = os.environ if environ is None else environ
    from_env = [m.strip() for m in environ.get(MIRRORS_ENV, "").split(",") if m.strip()]
    return [Source(m) for m in (*cli_mirrors, *from_env)]


def plan(
    split: str = "all", *, weights: bool = True, mirrors: Sequence[Source] = (), only_mirrors: bool = False
) -> list[Target]:
    """The files to fetch for ``split`` ("all", "train" or "test"), each with its sources in order."""
    splits = list(SPLIT_FILES) if split == "all" else [split]
    if any(s not in SPLIT_FILES for s in splits):
        raise DownloadError(f"unknown split {split!r}; expected all, train or test")
    defaults = () if only_mirrors else tuple(Source(m) for m in MNIST_MIRRORS)
    targets = [
        Target(MNIST_RESOURCES[name], tuple(source.locate(name) for source in (*mirrors, *defaults)))
        for s in splits
        for name in SPLIT_FILES[s]
    ]
    if weights:
        targets.append(_weights_target(mirrors, only_mirrors))
    return targets


# --- fetching -----------------------------------------------------------------------------------------------


class _Retry(Exception):
    """A failure worth another try from the same source (connection, cut body, 5xx)."""


class _GiveUp(Exception):
    """A failure that moves on to the next source at once (404, wrong bytes, too large)."""


class _HostDown(_GiveUp):
    """The host could not be reached at all; later files skip it."""


@dataclass
class Downloader:
    """Fetches targets into ``data_dir``. One instance is one run: it remembers hosts that were unreachable."""

    data_dir: Path
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    progress: Progress = field(default_factory=_Silent)
    _session: object = field(default=None, init=False, repr=False)
    _down_hosts: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def present(self, target: Target) -> FileReport | None:
        """The report of a file already in place and verified, else None."""
        final = self.data_dir / target.resource.name
        if not final.is_file():
            return None
        try:
            verified = verify(final, target.resource)
        except VerificationError:
            return None
        return FileReport(target.resource.name, final, "present", final.stat().st_size, verified)

    def fetch(self, target: Target, force: bool = False) -> FileReport:
        """Make ``target`` present: keep a verified copy, else try each location in order."""
        if not force and (report := self.present(target)):
            return report
        resource = target.resource
        final = self.data_dir / resource.name
        report = FileReport(resource.name, final, "failed")
        if final.is_file() and not force:
            report.attempts.append(Attempt(str(final), "present but does not verify; fetching again"))
        part = self.data_dir / (resource.name + ".part")
        if force:
            part.unlink(missing_ok=True)
        for location in target.locations:
            try:
                report.verified = self._fetch_from(location, resource, part)
            except (_GiveUp, _Retry) as exc:
                report.attempts.append(Attempt(location, str(exc)))
                continue
            with _writing(final):
                os.replace(part, final)
            report.status, report.source, report.size = "downloaded", location, final.stat().st_size
            return report
        part.unlink(missing_ok=True)  # nothing usable is left behind, under any name
        return report

    def _fetch_from(self, location: str, resource: Resource, part: Path) -> str:
        """Bring ``location`` into ``part`` and verify it; returns the verification method, or raises."""
        source = Source(location)
        for attempt in range(self.retries + 1):
            try:
                if source.is_local:
                    self._copy(Path(location), part, resource)
                    resumed = False
                else:
                    resumed = self._get(location, part, resource)
                return self._verify_part(part, resource, resumed)
            except _Retry:
                if attempt == self.retries:
                    raise
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _verify_part(self, part: Path, resource: Resource, resumed: bool) -> str:
        try:
            return verify(part, resource)
        except VerificationError as exc:
            part.unlink(missing_ok=True)
            if resumed:  # the bytes kept from an earlier attempt may be another copy's: start over
                raise _Retry(f"resumed download does not verify ({exc}); starting over") from None
            raise _GiveUp(f"wrong bytes: {exc}") from None

    def _copy(self, path: Path, part: Path, resource: Resource) -> None:
        if not path.is_file():
            raise _GiveUp("no such file")
        size = path.stat().st_size
        if size > _size_limit(resource):
            raise _GiveUp(f"{size:,} bytes, far more than the expected {resource.size:,}")
        self.progress.start(resource.name, str(path), size, 0)
        try:
            with open(path, "rb") as src, open(part, "wb") as dst:
                while block := src.read(_CHUNK):
                    dst.write(block)
                    self.progress.advance(len(block))
        except OSError as exc:
            raise _GiveUp(f"cannot copy ({exc.strerror or exc})") from None
        finally:
            self.progress.finish()

    @property
    def session(self):
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            session.headers["Accept-Encoding"] = "identity"  # the bytes as published, not re-encoded
            self._session = session
        return self._session

    def _get(self, url: str, part: Path, resource: Resource) -> bool:
        """Stream ``url`` into ``part``, resuming it if it has bytes; True if it resumed."""
        import requests
        import urllib3

        host = urlparse(url).netloc
        if host in self._down_hosts:
            raise _GiveUp(f"skipped: {host} was unreachable earlier ({self._down_hosts[host]})")
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        limit = _size_limit(resource)
        try:
            with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
                status = response.status_code
                if status == 416 and offset:
                    part.unlink()  # our partial file is not a prefix of theirs: start over
                    raise _Retry("HTTP 416: range not satisfiable; starting over")
                if status >= 500:
                    raise _Retry(f"HTTP {status} {response.reason}")
                if status >= 400:
                    raise _GiveUp(f"HTTP {status} {response.reason}")
                if status == 206 and offset and _range_start(response) == offset:
                    mode = "ab"
                elif status == 200:
                    offset, mode = 0, "wb"  # Range ignored (or not asked): take the whole body
                elif status == 206:
                    part.unlink(missing_ok=True)
                    raise _Retry(f"partial content from another offset than {offset}; starting over")
                else:
                    raise _GiveUp(f"unexpected HTTP {status} {response.reason}")
                length = response.headers.get("Content-Length")
                total = offset + int(length) if length and length.isdigit() else None
                if total is not None and total > limit:
                    raise _GiveUp(f"announces {total:,} bytes, far more than the expected {resource.size:,}")
                self._stream(response, part, mode, offset, total, resource, url)
                return mode == "ab"
        except (requests.exceptions.ConnectionError, urllib3.exceptions.ProtocolError, ConnectionError) as exc:
            reason = _connection_reason(exc)
            if _unreachable(exc):
                self._down_hosts[host] = reason
                raise _HostDown(reason) from None
            raise _Retry(reason) from None
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise _Retry(f"timed out ({_connection_reason(exc)})") from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise _Retry(_connection_reason(exc)) from None

    def _stream(
        self, response, part: Path, mode: str, offset: int, total: int | None, resource: Resource, url: str
    ) -> None:
        """Append the raw body (no content decoding: a .gz stays gzip) to ``part``, never past the size limit."""
        limit = _size_limit(resource)
        written = offset
        self.progress.start(resource.name, url, total, offset)
        try:
            with _writing(part), open(part, mode) as f:
                for block in response.raw.stream(_CHUNK, decode_content=False):
                    written += len(block)
                    if written > limit:
                        raise _GiveUp(f"sent more than {limit:,} bytes; expected {resource.size:,}")
                    f.write(block)
                    self.progress.advance(len(block))
        finally:
            self.progress.finish()
        if total is not None and written < total:
            raise _Retry(f"connection cut after {written:,} of {total:,} bytes")


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A local write failure (disk full, permissions) is not the source's fault: stop with a clear error."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise
        raise DownloadError(f"{path}: cannot write ({exc.strerror or exc}); the partial file is kept") from None


def _size_limit(resource: Resource) -> int:
    """A copy may be re-gzipped (other size), but never more than twice as large as the published file."""
    return 2 * resource.size + 65536


def _range_start(response) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _unreachable(exc: Exception) -> bool:
    """Name not resolved or connection refused/unroutable: retrying the same host is pointless."""
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NameResolutionError",
            "Name or service not known",
            "nodename nor servname",
            "Temporary failure in name resolution",
            "Connection refused",
            "Network is unreachable",
            "No route to host",
        )
    )


def _connection_reason(exc: Exception) -> str:
    """The specific part of a requests/urllib3 message ("Connection refused", "Read timed out", …)."""
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno:
        return errno.group(1).strip()
    for marker in ("Failed to resolve", "Read timed out", "Connection broken", "Connection aborted", "timed out"):
        if marker in text:
            return text[text.index(marker) :][:120].rstrip("')\"")
    return f"{type(exc).__name__}: {text[:160]}"


# --- locking and the whole run ------------------------------------------------------------------------------


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


def download(
    data_dir: Path,
    targets: Sequence[Target],
    *,
    force: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress | None = None,
) -> list[FileReport]:
    """Make every target present and verified in ``data_dir``; a report per file (some may have failed)."""
    downloader = Downloader(data_dir, timeout, retries, backoff, progress or _Silent())
    verified: dict[str, FileReport] = {}
    if not force:
        verified = {t.resource.name: r for t in targets if (r := downloader.present(t))}
        if len(verified) == len(targets):
            return list(verified.values())  # nothing to write: a read-only directory is fine
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{data_dir}: cannot create the data directory ({exc.strerror or exc})") from None
    with directory_lock(data_dir):
        # Files verified above stay valid (a concurrent run only ever renames verified files into place).
        return [verified.get(t.resource.name) or downloader.fetch(t, force=force) for t in targets]


def failure_message(reports: Sequence[FileReport]) -> str:
    """One line naming each file that failed and what each of its sources answered."""
    failed = [r for r in reports if r.status == "failed"]
    parts = [f"{r.name} ({'; '.join(f'{a.source}: {a.error}' for a in r.attempts) or 'no source'})" for r in failed]
    return f"could not fetch {len(failed)} of {len(reports)} file(s): " + ", ".join(parts)
