"""Where files come from: mirrors (base URLs or local directories) tried in order, and the plan of a download."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..catalog import DEFAULT_WEIGHTS_NAME, FILES, SPLIT_FILES, KnownFile
from ..errors import DownloadError
from ..locations import expand_user, packaged_file

MIRRORS_ENV = "MNIST_INFER_MIRRORS"


@dataclass(frozen=True)
class Source:
    """A place that holds files under their canonical names: a base URL or a local directory."""

    location: str

    @property
    def is_local(self) -> bool:
        return urlparse(self.location).scheme not in ("http", "https")

    @property
    def directory(self) -> Path:
        parsed = urlparse(self.location)
        return Path(unquote(parsed.path)) if parsed.scheme == "file" else expand_user(self.location)

    def locate(self, name: str) -> str:
        if not self.is_local:
            return self.location.rstrip("/") + "/" + name
        return str(self.directory / name)


@dataclass(frozen=True)
class Target:
    """A file to fetch and the full locations it may come from, in order."""

    known: KnownFile
    locations: tuple[str, ...]


def mirrors_from(cli_mirrors: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> list[Source]:
    """Mirrors given on the command line, then those of ``$MNIST_INFER_MIRRORS`` (comma-separated)."""
    environ = os.environ if environ is None else environ
    from_env = [m.strip() for m in environ.get(MIRRORS_ENV, "").split(",") if m.strip()]
    return [Source(m) for m in (*cli_mirrors, *from_env)]


def plan(
    split: str = "all", *, weights: bool = True, mirrors: Sequence[Source] = (), only_mirrors: bool = False
) -> list[Target]:
    """The files to fetch for ``split`` ("all", "train" or "test"), each with its sources in order.

    Unless ``only_mirrors``: the package's own copy first (the test split and the book's weights ship with the
    tool, so they never need the network), then ``mirrors``, then the public ones the catalog names.
    """
    splits = list(SPLIT_FILES) if split == "all" else [split]
    if any(s not in SPLIT_FILES for s in splits):
        raise DownloadError(f"unknown split {split!r}; expected all, train or test")
    names = [name for s in splits for name in SPLIT_FILES[s]] + ([DEFAULT_WEIGHTS_NAME] if weights else [])
    targets = []
    for name in names:
        known = FILES[name]
        packaged = None if only_mirrors else packaged_file(name)
        sources = (*mirrors, *(() if only_mirrors else (Source(m) for m in known.mirrors)))
        locations = (*([str(packaged)] if packaged else []), *(source.locate(name) for source in sources))
        targets.append(Target(known, locations))
    return targets
