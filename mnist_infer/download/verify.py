"""Is this the file the catalog knows? Its published checksums, or those of its content for a re-gzipped copy."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from ..catalog import KnownFile
from ..files import open_regular

_BLOCK = 1 << 20


class VerificationError(Exception):
    """The bytes are not the known file's; the message says what was expected and what was found."""


def size_limit(known: KnownFile) -> int:
    """A copy may be re-gzipped (other size), but never more than twice as large as the published file."""
    return 2 * known.size + 65536


def verify(path: Path, known: KnownFile, *, follow_links: bool = True) -> str:
    """How ``path`` was recognised as ``known``: "sha256", "content-sha256" or "content-md5".

    Only a regular file of at most :func:`size_limit` bytes is read, and never beyond that (a sparse file of
    20 GB is turned away by its size, not hashed). Raises :class:`VerificationError` for anything else, and
    OSError when the file cannot be read.
    """
    f, info = open_regular(path, follow_links=follow_links)
    with f:
        if info.st_size > size_limit(known):
            raise VerificationError(f"{info.st_size:,} bytes, expected {known.size:,}")
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        head = f.read(2)
        f.seek(0)
        remaining = size_limit(known) + 1
        while remaining > 0 and (block := f.read(min(_BLOCK, remaining))):
            remaining -= len(block)
            md5.update(block)
            sha256.update(block)
        if remaining <= 0:
            raise VerificationError(f"more than {size_limit(known):,} bytes, expected {known.size:,}")
    if sha256.hexdigest() == known.sha256 and md5.hexdigest() == known.md5:
        return "sha256"
    mismatch = f"expected sha256 {known.sha256}, got {sha256.hexdigest()}"
    if head == b"\x1f\x8b" and known.content_size is not None:
        content = _content_digests(path, known.content_size, follow_links)
        if content is not None:
            content_md5, content_sha256 = content
            if known.content_sha256 and content_sha256 == known.content_sha256:
                return "content-sha256"
            if not known.content_sha256 and content_md5 == known.content_md5:
                return "content-md5"
        mismatch += " (and its decompressed content is not MNIST's either)"
    raise VerificationError(mismatch)


def _content_digests(path: Path, content_size: int, follow_links: bool) -> tuple[str, str] | None:
    """md5 and sha256 of a gzip file's content, or None if it is not valid gzip or not the expected size."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    total = 0
    try:
        raw, _ = open_regular(path, follow_links=follow_links)
        with raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            while block := stream.read(_BLOCK):
                total += len(block)
                if total > content_size:  # inflate no further than the real file would
                    return None
                md5.update(block)
                sha256.update(block)
    except (OSError, EOFError, zlib.error):
        return None
    return (md5.hexdigest(), sha256.hexdigest()) if total == content_size else None
