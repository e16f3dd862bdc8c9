"""Downloads in the terminal: a progress bar per file, then the table of what happened to each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import plain
from .console import print_fitting, unicode_ok

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

        wide = console.width >= 80  # a narrow terminal gets what fits whole: the percentage and the name
        columns = (
            (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
            if wide
            else (TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.description}"))
        )
        self._progress = Progress(*columns, *((TimeRemainingColumn(),) if wide else ()), console=console)
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
    rows = plain.download_rows(reports, unicode_ok(console))
    failed = [report.status.value == "failed" for report in reports]
    table = Table(title=title, title_justify="left")
    table.add_column("file", no_wrap=True)
    table.add_column("bytes", justify="right", no_wrap=True)
    table.add_column("checksum")
    table.add_column("status", no_wrap=True)
    table.add_column("source", overflow="fold")
    for (name, size, check, status, source), bad in zip(rows, failed, strict=True):
        mark = "red" if bad else "green"
        table.add_row(name, size, Text(check, style="red" if bad else ""), Text(status, style=mark), source)

    def compact() -> Text:
        text = Text(title, style="bold")
        for (name, size, check, status, source), bad in zip(rows, failed, strict=True):
            text.append(f"\n{name}", style="bold")
            text.append("\n  ")
            text.append(status, style="red" if bad else "green")
            text.append(f", {size} bytes, " if size else ", ")
            text.append(check)
            text.append(f"\n  from {source}")
        return text

    print_fitting(console, table, compact)
