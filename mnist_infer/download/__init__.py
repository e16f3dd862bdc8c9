"""Fetch MNIST and the book's weights: verified, resumable, from mirrors tried in order.

Each file streams to ``<name>.part`` in the data directory, is checked against its published checksums (or,
for a re-gzipped copy, against the checksum of its decompressed content) and only then renamed to its final
name. The parts: :mod:`.sources` (where files come from), :mod:`.fetch` (one location into a ``.part``, with
retries and resume), :mod:`.verify` (checksums), :mod:`.lock` (one writer per directory). This module runs
them over a list of files and reports what happened to each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..errors import DownloadError
from ..files import remove_file, replace_file
from .deadline import check_timeout
from .fetch import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Fetcher,
    Progress,
    SourceFailed,
    writing,
)
from .lock import LOCK_NAME, directory_lock
from .sources import MIRRORS_ENV, Source, Target, mirrors_from, plan
from .verify import VerificationError, size_limit, verify

__all__ = [
    "LOCK_NAME",
    "MIRRORS_ENV",
    "USER_AGENT",
    "Attempt",
    "FileReport",
    "Source",
    "Status",
    "Target",
    "download",
    "failure_message",
    "mirrors_from",
    "plan",
]


class Status(str, Enum):
    PRESENT = "present"  #: already there, verified
    DOWNLOADED = "downloaded"
    FAILED = "failed"


@dataclass
class Attempt:
    source: str
    error: str


@dataclass
class FileReport:
    """What happened to one file."""

    name: str
    path: Path
    status: Status
    size: int | None = None
    verified: str | None = None  #: "sha256", "content-sha256" or "content-md5"
    source: str | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.name,
            "path": str(self.path),
            "status": self.status.value,
            "bytes": self.size,
            "verified": self.verified,
            "source": self.source,
            "errors": [{"source": a.source, "error": a.error} for a in self.attempts],
        }


class _Downloader:
    """Makes targets present and verified in ``data_dir``, one location after another."""

    def __init__(self, data_dir: Path, fetcher: Fetcher) -> None:
        self.data_dir, self.fetcher = data_dir, fetcher

    def present(self, target: Target) -> FileReport | None:
        """The report of a file already in place and verified, else None.

        Its size is checked first: a file far larger than the known one is not hashed (a sparse file of 20 GB
        would take a minute), nor is anything but a regular file.
        """
        final = self.data_dir / target.known.name
        try:
            size = final.stat().st_size
            if not final.is_file() or size > size_limit(target.known):
                return None
            verified = verify(final, target.known)
        except (VerificationError, OSError):
            return None
        return FileReport(target.known.name, final, Status.PRESENT, size, verified)

    def fetch(self, target: Target, force: bool = False) -> FileReport:
        """Keep a verified copy; else try each location in order until one gives verified bytes, and rename
        them into place."""
        if not force and (report := self.present(target)):
            return report
        known = target.known
        final = self.data_dir / known.name
        report = FileReport(known.name, final, Status.FAILED)
        if final.is_file() and not force:
            report.attempts.append(Attempt(str(final), "present but does not verify; fetching again"))
        part = self.data_dir / (known.name + ".part")
        if force:
            with writing(part):
                remove_file(part)
        for location in target.locations:
            try:
                report.verified = self._fetch_verified(location, part, target)
            except SourceFailed as exc:
                report.attempts.append(Attempt(location, str(exc)))
                continue
            with writing(final):
                replace_file(part, final)
                report.size = final.stat().st_size
            report.status, report.source = Status.DOWNLOADED, location
            return report
        with writing(part):
            remove_file(part)  # nothing usable is left behind, under any name
        return report

    def _fetch_verified(self, location: str, part: Path, target: Target) -> str:
        """Fetch and verify; bytes kept from an earlier run that spoil the result are dropped and fetched anew."""
        for fresh in (False, True):
            resumed = self.fetcher.fetch(location, part, target.known)
            try:
                with writing(part):
                    return verify(part, target.known, follow_links=False)
            except VerificationError as exc:
                with writing(part):
                    remove_file(part)
                if not resumed or fresh:
                    raise SourceFailed(f"wrong bytes: {exc}") from None
        raise AssertionError("unreachable")


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
    """Make every target present and verified in ``data_dir``; a report per file (some may have failed).

    ``timeout`` is (seconds to connect, seconds between bytes), each finite and at most an hour; each location
    also has an overall deadline derived from it and the file's size (see :mod:`.deadline`).
    """
    downloader = _Downloader(data_dir, Fetcher(check_timeout(timeout), retries, backoff, progress))
    verified: dict[str, FileReport] = {}
    if not force:
        verified = {t.known.name: r for t in targets if (r := downloader.present(t))}
        if len(verified) == len(targets):
            return list(verified.values())  # nothing to write: a read-only directory is fine
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{data_dir}: cannot create the data directory ({exc.strerror or exc})") from None
    with directory_lock(data_dir):
        # Files verified above stay valid (a concurrent run only ever renames verified files into place).
        return [verified.get(t.known.name) or downloader.fetch(t, force=force) for t in targets]


def failure_message(reports: Sequence[FileReport]) -> str:
    """One short line: what could not be fetched, how many sources were tried, the first reason, the way out.

    Every attempt is in the reports (``mnist-infer download -v`` lists them).
    """
    failed = [r for r in reports if r.status is Status.FAILED]
    first = next((a for r in failed for a in r.attempts), None)
    reason = f"first: {first.source}: {_shorten(first.error)}" if first else "no source to try"
    tried = max(len(r.attempts) for r in failed)
    return (
        f"could not fetch {', '.join(r.name for r in failed)} ({len(failed)} of {len(reports)} file(s); tried "
        f"{tried} source(s), {reason}); give a copy with --mirror DIR_OR_URL or ${MIRRORS_ENV}, or -v for details"
    )


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
