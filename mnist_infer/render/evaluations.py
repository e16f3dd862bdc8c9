"""Evaluations in the terminal: the accuracy panel, per-class table, confusion heat map, comparisons, progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import plain_evaluations as plain
from .console import fits, is_plain, print_fitting

if TYPE_CHECKING:
    from ..catalog import KnownFile
    from ..evaluation import Evaluation


def render_evaluation(console: Console, evaluation: Evaluation, known: KnownFile | None = None) -> None:
    """The accuracy panel: as the book prints it, with counts, time and speed."""
    summary = plain.evaluation_summary(evaluation, known)
    figure = plain.book_figure(evaluation, known)
    lines = Text()
    for number, line in enumerate(summary):
        style = "bold" if number == 0 else "dim" if line.startswith(f"{evaluation.split} images:") else ""
        if line == figure:
            style = "green" if line.endswith("reproduced") else "red"
        lines.append(line + ("\n" if number < len(summary) - 1 else ""), style=style)
    title = plain.evaluation_title(evaluation)
    panel = Panel(lines, title=title, title_align="left", expand=False)
    if len(title) + 6 <= console.width and fits(console, panel):
        console.print(panel)
    else:  # a narrow terminal: no frame, so that nothing is cut
        console.print(Text(title, style="bold"), lines, sep="\n")


def render_evaluation_report(console: Console, evaluation: Evaluation, known: KnownFile | None = None) -> None:
    """Accuracy panel, per-class table and confusion matrix."""
    render_evaluation(console, evaluation, known)
    print_fitting(console, per_class_table(evaluation), lambda: per_class_text(evaluation))
    shades = not is_plain(console)
    confusion = evaluation.confusion
    print_fitting(console, confusion_table(confusion, shades), lambda: confusion_text(confusion, shades))


def per_class_table(evaluation: Evaluation) -> Table:
    table = Table(title="Per class", title_justify="left")
    for name in plain.PER_CLASS_HEADERS:
        table.add_column(name, justify="right", no_wrap=True)
    for cells in plain.per_class_rows(evaluation):
        table.add_row(*cells)
    return table


def per_class_text(evaluation: Evaluation) -> Text:
    """The per-class table for a narrow terminal: a line per digit that wraps between numbers."""
    text = Text("Per class", style="bold")
    for digit, *cells in plain.per_class_rows(evaluation):
        pairs = ", ".join(f"{name} {cell}" for name, cell in zip(plain.PER_CLASS_HEADERS[1:], cells, strict=True))
        text.append(f"\ndigit {digit}: ", style="bold")
        text.append(pairs)
    return text


def _confusion_styles(confusion: np.ndarray, shades: bool) -> list[list[str]]:
    """Heat-map styles: the diagonal green, mistakes redder the more there are, zeros dim."""
    errors_max = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
    styles = []
    for true, row in enumerate(confusion):
        row_styles = []
        for predicted, count in enumerate(row):
            if not shades or count == 0:
                style = "dim" if count == 0 else ""
            elif true == predicted:
                style = "bold black on green"
            else:
                level = 60 + int(195 * (count / errors_max) ** 0.5)
                style = f"white on rgb({level},{level // 5},{level // 5})"
            row_styles.append(style)
        styles.append(row_styles)
    return styles


def confusion_table(confusion: np.ndarray, shades: bool) -> Table:
    """The confusion matrix as a heat map: rows are true digits, columns predicted ones."""
    table = Table(title=plain.CONFUSION_TITLE, title_justify="left")
    table.add_column("true", justify="right", style="bold", no_wrap=True)
    for digit in range(len(confusion)):
        table.add_column(str(digit), justify="right", no_wrap=True)
    styles = _confusion_styles(confusion, shades)
    for (true, *counts), row_styles in zip(plain.confusion_rows(confusion), styles, strict=True):
        table.add_row(true, *(Text(count, style=style) for count, style in zip(counts, row_styles, strict=True)))
    return table


def confusion_text(confusion: np.ndarray, shades: bool) -> Text:
    """The confusion matrix for a narrow terminal: per true digit, its ten counts in the order predicted 0–9."""
    text = Text(plain.CONFUSION_COMPACT_TITLE, style="bold")
    styles = _confusion_styles(confusion, shades)
    for (true, *counts), row_styles in zip(plain.confusion_rows(confusion), styles, strict=True):
        text.append(f"\n{true}: ", style="bold")
        for predicted, (count, style) in enumerate(zip(counts, row_styles, strict=True)):
            text.append(count, style=style)
            if predicted < len(counts) - 1:
                text.append(" ")
    return text


def render_comparison(console: Console, evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> None:
    """Several weights on the same images: accuracies side by side, where they differ, recall per digit."""
    first = evaluations[0]
    title = f"{first.total:,} {first.split} images"
    rows = plain.comparison_rows(evaluations, disagreements)
    names = plain.COMPARISON_HEADERS
    table = Table(title=title, title_justify="left")
    table.add_column(names[0], overflow="fold")
    for name in names[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)

    def compact() -> Text:
        text = Text(title, style="bold")
        for index, (weights, *cells) in enumerate(rows, start=1):
            text.append(f"\n#{index} {weights}: ", style="bold")
            text.append(", ".join(f"{name} {cell}" for name, cell in zip(names[1:], cells, strict=True)))
        return text

    print_fitting(console, table, compact)
    recall_rows = plain.recall_rows(evaluations)
    recall = Table(title="Recall per digit", title_justify="left")
    recall.add_column("digit", justify="right", no_wrap=True)
    for index, _ in enumerate(evaluations, start=1):
        recall.add_column(f"#{index}", justify="right", no_wrap=True)
    for row in recall_rows:
        recall.add_row(*row)

    def recall_text() -> Text:
        text = Text("Recall per digit", style="bold")
        for digit, *cells in recall_rows:
            text.append(f"\ndigit {digit}: ", style="bold")
            text.append(", ".join(f"#{index} {cell}" for index, cell in enumerate(cells, start=1)))
        return text

    print_fitting(console, recall, recall_text)


class EvaluationProgress:
    """A progress bar for evaluations long enough to wait for: it appears only after a moment."""

    DELAY = 0.3  #: seconds before the bar shows (a test-set evaluation is over by then)

    def __init__(self, console: Console, description: str) -> None:
        self._console, self._description = console, description
        self._progress = None
        self._task = None
        self._start = 0.0

    def __enter__(self) -> EvaluationProgress:
        import time

        self._start = time.perf_counter()
        return self

    def __call__(self, done: int, total: int) -> None:
        import time

        if self._progress is None:
            if time.perf_counter() - self._start < self.DELAY or done >= total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            wide = self._console.width >= 80  # narrow: only what fits whole, the count and the name
            columns = (
                (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
                if wide
                else (MofNCompleteColumn(), TextColumn("{task.description}"))
            )
            self._progress = Progress(*columns, console=self._console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total)
        self._progress.update(self._task, completed=done)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
