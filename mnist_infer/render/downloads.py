"""Downloads in the terminal: a progress bar per file, then the table of what happened to each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..locations import is_packaged
from . import print_fitting, unicode_ok

if TYPE_CHECKING:
    from ..download import FileReport


class DownloadProgress:
    """Rich progress bars for :mod:`mnist_infer.download`: one bar per file, with bytes, rate and time left."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = None

    def __enter__(self) -> DownloadProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def start(self, name: str, source: str, total: int | None, done: int) -> None:
        self._task = self._progress.add_task(name, total=total, completed=done)

    def advance(self, nbytes: int) -> None:
        self._progress.advance(self._task, nbytes)

    def finish(self) -> None:
        self._progress.remove_task(self._task)


def render_download_report(console: Console, reports: Sequence[FileReport], data_dir: str) -> None:
    title = f"Data directory {data_dir}"
    tick, cross = ("✓", "✗") if unicode_ok(console) else ("ok", "x")
    checks = {
        "sha256": f"sha256 {tick}",
        "content-sha256": f"content sha256 {tick} (re-gzipped)",
        "content-md5": f"content md5 {tick} (re-gzipped)",
    }
    rows = []
    for report in reports:
        failed = report.status.value == "failed"
        if failed:
            source = f"{len(report.attempts)} source(s) failed, see below"
        elif report.source and is_packaged(Path(report.source)):
            source = "packaged with mnist-infer"
        elif report.source:
            source = report.source.removesuffix(report.name)
        else:
            source = "already here"
        size = f"{report.size:,}" if report.size is not None else ""
        check = Text(cross, style="red") if failed else Text(checks.get(report.verified or "", ""))
        rows.append((report.name, size, check, Text(report.status.value, style="red" if failed else "green"), source))
    table = Table(title=title, title_justify="left")
    table.add_column("file", no_wrap=True)
    table.add_column("bytes", justify="right", no_wrap=True)
    table.add_column("checksum")
    table.add_column("status", no_wrap=True)
    table.add_column("source", overflow="fold")
    for row in rows:
        table.add_row(*row)

    def compact() -> Text:
        text = Text(title, style="bold")
        for name, size, check, status, source in rows:
            text.append(f"\n{name}", style="bold")
            text.append("\n  ")
            text.append_text(status)
            text.append(f", {size} bytes, " if size else ", ")
            text.append_text(check)
            text.append(f"\n  from {source}")
        return text

    print_fitting(console, table, compact)
