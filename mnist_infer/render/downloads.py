"""Downloads in the terminal: a progress bar per file, then the table of what happened to each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..locations import is_packaged

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
    table = Table(title=f"Data directory {data_dir}", title_justify="left")
    table.add_column("file", no_wrap=True)
    table.add_column("bytes", justify="right")
    table.add_column("checksum")
    table.add_column("status")
    table.add_column("source", overflow="fold")
    checks = {
        "sha256": "sha256 ✓",
        "content-sha256": "content sha256 ✓ (re-gzipped)",
        "content-md5": "content md5 ✓ (re-gzipped)",
    }
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
        table.add_row(
            report.name,
            f"{report.size:,}" if report.size is not None else "",
            Text("✗", style="red") if failed else checks.get(report.verified or "", ""),
            Text(report.status.value, style="red" if failed else "green"),
            source,
        )
    console.print(table)
