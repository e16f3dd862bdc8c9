"""The blocks of a view drawn by Rich on a terminal: digits in grey half-blocks at full 28×28 resolution, colour,
tables that fit the width (too wide, they give way to lines that wrap between their numbers), progress bars; where
the terminal has no colour or no Unicode, ASCII."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text as RichText

from . import (
    BAR_WIDTH,
    MIN_WIDTH,
    Bars,
    Block,
    Cell,
    Picture,
    Pictures,
    Table,
    Text,
    ascii_lines,
    bar,
    compact_row,
    fitted,
)


def console(stream: TextIO | None = None) -> Console:
    """A Rich console for ``stream``, at least :data:`MIN_WIDTH` wide; strings printed as they are (no markup: a
    path or "test[0]" is not a style). Its size is ``$COLUMNS`` and ``$LINES`` where they are numbers above 0, else
    the terminal's, as shutil reads them (Rich itself reads "²" as a number, then fails to convert it)."""
    size = shutil.get_terminal_size()
    return Console(
        file=stream, width=max(size.columns, MIN_WIDTH), height=size.lines, highlight=False, markup=False, emoji=False
    )


def unicode_ok(console: Console) -> bool:
    return console.encoding.replace("_", "-").lower().startswith("utf")


def draw(blocks: Sequence[Block], stream: TextIO | None = None, target: Console | None = None) -> None:
    target = target or console(stream)
    for block in blocks:
        target.print(renderable(block, target))


def renderable(block: Block, console: Console) -> RenderableType:
    if isinstance(block, Text):
        return RichText(block.text, style=block.style)
    if isinstance(block, Table):
        return _table(block, console)
    if isinstance(block, (Picture, Pictures)):
        return _pictures(block.pictures if isinstance(block, Pictures) else [block], console)
    return _bars(block, console)


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether ``renderable`` can be drawn at the console's width without cutting a word (or a number)."""
    unbounded = console.options.update_width(1 << 16)
    return Measurement.get(console, unbounded, renderable).minimum <= console.width


def _table(block: Table, console: Console) -> RenderableType:
    table = RichTable(title=block.title or None, title_justify="left", title_style="bold")
    for index, header in enumerate(block.headers):
        table.add_column(header, justify="right" if index in block.right else "left", no_wrap=index > 0)
    for row in block.rows:
        table.add_row(*(RichText(cell.text, style=cell.style) if isinstance(cell, Cell) else cell for cell in row))
    if fits(console, table):
        return table
    text = RichText(block.title + "\n" if block.title else "", style="bold")
    for number, row in enumerate(block.rows):
        cells = [cell.text if isinstance(cell, Cell) else cell for cell in row]
        text.append(compact_row(block, cells) + ("\n" if number < len(block.rows) - 1 else ""))
    return text


def _picture(picture: Picture, console: Console, colour: bool) -> RichText:
    """Half-blocks: each character cell holds two pixels, the upper ``▀`` over a background of the lower's grey."""
    if not colour:
        return RichText("\n".join(ascii_lines(picture, console.width)))
    image = fitted(picture.image, 1, console.width)
    if image is None:
        return RichText("\n".join(ascii_lines(picture, console.width)), style="dim")
    text, rows = RichText(), image.tolist()
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        for upper, lower in zip(top, bottom, strict=True):
            text.append("▀", style=f"rgb({upper},{upper},{upper}) on rgb({lower},{lower},{lower})")
        text.append("\n")
    text.rstrip()
    return text


def _pictures(pictures: Sequence[Picture], console: Console) -> RenderableType:
    colour = not (console.no_color or console.color_system is None or not unicode_ok(console))
    cells = [
        RichText.assemble((p.caption + "\n", "bold"), _picture(p, console, colour))
        if p.caption
        else _picture(p, console, colour)
        for p in pictures
    ]
    grid = RichTable.grid(padding=(0, 3))
    grid.add_row(*cells)
    if len(cells) > 1 and fits(console, grid):
        return grid
    column = RichTable.grid()
    for cell in cells:
        column.add_row(cell)
    return column


def _bars(block: Bars, console: Console) -> RenderableType:
    unicode = unicode_ok(console)
    size = max(1, min(BAR_WIDTH, console.width - 11))
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(justify="right")
    grid.add_column()
    grid.add_column(justify="right", no_wrap=True)
    for digit, value in enumerate(block.values):
        chosen = digit == block.chosen
        grid.add_row(
            str(digit),
            RichText(bar(value, size, unicode), style="green" if chosen else "blue"),
            RichText(f"{value:6.1%}", style="bold" if chosen else ""),
        )
    return grid


class EvaluationProgress:
    """A bar for evaluations long enough to wait for: it appears only after :data:`DELAY` seconds."""

    DELAY = 0.3

    def __init__(self, description: str) -> None:
        self.description, self.progress, self.task = description, None, None

    def __enter__(self) -> EvaluationProgress:
        import time

        self.start = time.perf_counter()
        return self

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.progress is None:
            if time.perf_counter() - self.start < self.DELAY or done >= total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            target = console()
            columns = (
                (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
                if target.width >= 80
                else (MofNCompleteColumn(), TextColumn("{task.description}"))
            )
            self.progress = Progress(*columns, console=target, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc_info: object) -> None:
        if self.progress is not None:
            self.progress.stop()


class DownloadProgress:
    """A bar per file, with bytes, rate and time left (the percentage and the name alone when narrow)."""

    def __enter__(self) -> DownloadProgress:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        target = console()
        columns = (
            (
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            if target.width >= 80
            else (TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.description}"))
        )
        self.progress = Progress(*columns, console=target)
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def start(self, name: str, total: int | None, done: int) -> None:
        self.task = self.progress.add_task(name, total=total, completed=done)

    def advance(self, nbytes: int) -> None:
        self.progress.advance(self.task, nbytes)

    def finish(self) -> None:
        self.progress.remove_task(self.task)


class BatchProgress:
    """The epoch in progress: a transient bar with its running loss and accuracy."""

    def __init__(self, stream: TextIO, epochs: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console, self.epochs, self.task = console(stream), epochs, None
        self.progress = Progress(
            TextColumn("{task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]:.4f} {task.fields[accuracy]:.4f}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.progress.start()

    def update(self, epoch: int, done: int, total: int, loss: float, accuracy: float) -> None:
        if self.task is None:
            self.task = self.progress.add_task(
                "", total=total, epoch=epoch, epochs=self.epochs, loss=loss, accuracy=accuracy
            )
        self.progress.update(self.task, completed=done, epoch=epoch, loss=loss, accuracy=accuracy)

    def clear(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None

    def stop(self) -> None:
        self.progress.stop()
