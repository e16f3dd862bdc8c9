"""Blocks drawn by Rich on a terminal: digits in grey half-blocks at full 28×28 resolution, colour, boxed tables that
fit the width, progress bars. Too narrow, a table gives way to lines that wrap between its numbers and a digit is
drawn at half resolution (no number is ever cut); where the terminal cannot show Unicode, everything is ASCII. Into a
pipe or a file, :mod:`.plain` writes the same content as plain lines."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from rich.box import HEAVY_HEAD
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text as RichText

from ..i18n import unicode_ok
from . import Bars, Block, Cell, Picture, Pictures, Table, Text, columns, to_terminal
from .plain import bar, bar_size, characters, fitted, no_picture, printable, row_lines


def console(stream: TextIO | None = None) -> Console:
    """A console for ``stream`` (stdout by default), as wide as :func:`mnist_infer.views.columns` says. Strings are
    printed as they are (no markup: "test[0]" is not a style)."""
    stream = sys.stdout if stream is None else stream
    terminal = to_terminal(stream)
    width, height = columns(terminal)
    return Console(file=stream, width=width, height=height, force_terminal=terminal, highlight=False, markup=False,
                   emoji=False, soft_wrap=False)  # fmt: skip


def draw(blocks: Sequence[Block], stream: TextIO | None = None, target: Console | None = None) -> None:
    """Blocks on ``target`` (a console for ``stream``); a console that is not a terminal's gets plain lines."""
    target = target or console(stream)
    if not target.is_terminal:
        from .plain import draw as draw_plain

        draw_plain(blocks, target.file, target.width)
        return
    for block in blocks:
        target.print(renderable(block, target))


def renderable(block: Block, console: Console) -> RenderableType:
    if isinstance(block, Text):
        return RichText(_ascii(block.text, console), style=block.style)
    if isinstance(block, Table):
        return _table(block, console)
    if isinstance(block, (Picture, Pictures)):
        return _pictures(block.pictures if isinstance(block, Pictures) else [block], console)
    return _bars(block, console)


def _ascii(text: str, console: Console) -> str:
    return printable(text, unicode_ok(console.file))


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether ``renderable`` can be drawn whole at the console's width, without folding or cutting a cell."""
    return Measurement.get(console, console.options.update_width(1 << 16), renderable).maximum <= console.width


def _table(block: Table, console: Console) -> RenderableType:
    cells = [[cell if isinstance(cell, Cell) else Cell(cell) for cell in row] for row in block.rows]
    table = RichTable(box=HEAVY_HEAD, header_style="bold")
    for index, header in enumerate(block.headers):
        table.add_column(_ascii(header, console), justify="right" if index in block.right else "left", no_wrap=True)
    for row in cells:
        table.add_row(*(RichText(_ascii(cell.text, console), style=cell.style) for cell in row))
    if fits(console, table):  # the title its own line above: as wide as it needs, however narrow the columns
        return Group(RichText(_ascii(block.title, console), style="bold"), table) if block.title else table
    text = RichText(_ascii(block.title, console) + "\n" if block.title else "", style="bold")
    text.append("\n".join(row_lines(block, lambda line: _ascii(line, console))))
    return text


def _picture(picture: Picture, console: Console, colour: bool) -> RichText:
    """In colour, half-blocks: each character cell holds two pixels, the upper ``▀`` over a background of the lower's
    grey. Else characters, as into a pipe (:func:`.plain.characters`)."""
    if not colour:
        return RichText("\n".join(characters(picture, console.width)))
    image = fitted(picture.image, 1, console.width)
    if image is None:
        return RichText(no_picture(picture.image.shape[1] // 2, console.width), style="dim")
    text, rows = RichText(), image.tolist()
    rows += [[0] * len(rows[0])] * (len(rows) % 2)
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        for upper, lower in zip(top, bottom, strict=True):
            text.append("▀", style=f"rgb({upper},{upper},{upper}) on rgb({lower},{lower},{lower})")
        text.append("\n")
    text.rstrip()
    return text


def _pictures(pictures: Sequence[Picture], console: Console) -> RenderableType:
    colour = not console.no_color and console.color_system is not None and unicode_ok(console.file)
    cells = [RichText.assemble((_ascii(p.caption, console) + "\n", "bold"), _picture(p, console, colour)) if p.caption
             else _picture(p, console, colour) for p in pictures]  # fmt: skip
    grid = RichTable.grid(padding=(0, 4))
    grid.add_row(*cells)
    if len(cells) > 1 and fits(console, grid) and sum(p.image.shape[1] for p in pictures) * (2 - colour) < 160:
        return grid
    column = RichTable.grid()
    for cell in cells:
        column.add_row(cell)
    return column


def _bars(block: Bars, console: Console) -> RenderableType:
    size, unicode = bar_size(console.width), unicode_ok(console.file)
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(justify="right")
    grid.add_column()
    grid.add_column(justify="right", no_wrap=True)
    for digit, value in enumerate(block.values):
        shown = bar(value, size, unicode)
        chosen = digit == block.chosen
        grid.add_row(str(digit), RichText(shown, style="green" if chosen else "blue"),
                     RichText(f"{value:6.1%}", style="bold" if chosen else ""))  # fmt: skip
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
            columns = ((TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
                       if target.width >= 80 else (MofNCompleteColumn(), TextColumn("{task.description}")))  # fmt: skip
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
            TransferSpeedColumn,  # fmt: skip
        )

        target = console()
        columns = ((TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn()) if target.width >= 80
                   else (TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.description}")))  # fmt: skip
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
