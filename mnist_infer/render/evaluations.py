"""Evaluations in the terminal: the accuracy panel, per-class table, confusion heat map, comparisons, progress."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..locations import describe
from . import fits, is_plain, print_fitting

if TYPE_CHECKING:
    from ..catalog import KnownFile
    from ..evaluation import Evaluation


def render_evaluation(console: Console, evaluation: Evaluation, known: KnownFile | None = None) -> None:
    """The accuracy panel: as the book prints it, with counts, time and speed."""
    lines = Text()
    lines.append(f"Accuracy:{evaluation.accuracy}\n", style="bold")
    lines.append(f"{evaluation.correct:,} of {evaluation.total:,} {evaluation.split} images correct\n")
    if evaluation.data is not None:
        lines.append(f"{evaluation.split} images: {describe(evaluation.data[0])}\n", style="dim")
    lines.append(
        f"{evaluation.seconds * 1000:.1f} ms, {evaluation.images_per_second:,.0f} images/s "
        f"(batch size {evaluation.batch_size})"
    )
    if evaluation.batch_size == 1:
        lines.append("\nthe book's per-image loop: compare the default batch size", style="dim")
    if known is not None and evaluation.split == "test" and evaluation.total == known.test_total:
        same = evaluation.correct == known.test_correct
        lines.append(
            f"\n{known.name}: the book reports {known.test_accuracy} "
            + ("— reproduced" if same else f"— got {evaluation.accuracy} instead"),
            style="green" if same else "red",
        )
    title = f"evaluate {describe(Path(evaluation.weights))}"
    panel = Panel(lines, title=title, title_align="left", expand=False)
    if len(title) + 6 <= console.width and fits(console, panel):
        console.print(panel)
    else:  # a narrow terminal: no frame, so that nothing is cut
        console.print(Text(title, style="bold"), lines, sep="\n")


def render_evaluation_report(console: Console, evaluation: Evaluation, known: KnownFile | None = None) -> None:
    """Accuracy panel, per-class table and confusion matrix."""
    render_evaluation(console, evaluation, known)
    print_fitting(console, per_class_table(evaluation), lambda: per_class_text(evaluation))
    plain = is_plain(console)
    print_fitting(
        console, confusion_table(evaluation.confusion, plain), lambda: confusion_text(evaluation.confusion, plain)
    )


_PER_CLASS_COLUMNS = ("digit", "support", "correct", "precision", "recall", "F1")


def _per_class_cells(evaluation: Evaluation) -> list[tuple[str, ...]]:
    return [
        (
            str(row.digit),
            f"{row.support:,}",
            f"{row.correct:,}",
            f"{row.precision:.4f}",
            f"{row.recall:.4f}",
            f"{row.f1:.4f}",
        )
        for row in evaluation.per_class
    ]


def per_class_table(evaluation: Evaluation) -> Table:
    table = Table(title="Per class", title_justify="left")
    for name in _PER_CLASS_COLUMNS:
        table.add_column(name, justify="right", no_wrap=True)
    for cells in _per_class_cells(evaluation):
        table.add_row(*cells)
    return table


def per_class_text(evaluation: Evaluation) -> Text:
    """The per-class table for a narrow terminal: a line per digit that wraps between numbers."""
    text = Text("Per class", style="bold")
    for digit, *cells in _per_class_cells(evaluation):
        pairs = ", ".join(f"{name} {cell}" for name, cell in zip(_PER_CLASS_COLUMNS[1:], cells, strict=True))
        text.append(f"\ndigit {digit}: ", style="bold")
        text.append(pairs)
    return text


def _confusion_styles(confusion: np.ndarray, plain: bool) -> list[list[str]]:
    """Heat-map styles: the diagonal green, mistakes redder the more there are, zeros dim."""
    errors_max = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
    styles = []
    for true, row in enumerate(confusion):
        row_styles = []
        for predicted, count in enumerate(row):
            if plain or count == 0:
                style = "dim" if count == 0 else ""
            elif true == predicted:
                style = "bold black on green"
            else:
                level = 60 + int(195 * (count / errors_max) ** 0.5)
                style = f"white on rgb({level},{level // 5},{level // 5})"
            row_styles.append(style)
        styles.append(row_styles)
    return styles


def confusion_table(confusion: np.ndarray, plain: bool) -> Table:
    """The confusion matrix as a heat map: rows are true digits, columns predicted ones."""
    table = Table(title="Confusion matrix (rows: true digit, columns: predicted)", title_justify="left")
    table.add_column("true", justify="right", style="bold", no_wrap=True)
    for digit in range(len(confusion)):
        table.add_column(str(digit), justify="right", no_wrap=True)
    for true, (row, styles) in enumerate(zip(confusion, _confusion_styles(confusion, plain), strict=True)):
        table.add_row(str(true), *(Text(f"{count:,}", style=style) for count, style in zip(row, styles, strict=True)))
    return table


def confusion_text(confusion: np.ndarray, plain: bool) -> Text:
    """The confusion matrix for a narrow terminal: per true digit, its ten counts in the order predicted 0–9."""
    text = Text("Confusion matrix (per true digit: how often it was predicted as 0 to 9)", style="bold")
    for true, (row, styles) in enumerate(zip(confusion, _confusion_styles(confusion, plain), strict=True)):
        text.append(f"\n{true}: ", style="bold")
        for predicted, (count, style) in enumerate(zip(row, styles, strict=True)):
            text.append(f"{count:,}", style=style)
            if predicted < len(row) - 1:
                text.append(" ")
    return text


def render_comparison(console: Console, evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> None:
    """Several weights on the same images: accuracies side by side, where they differ, recall per digit."""
    first = evaluations[0]
    table = Table(title=f"{first.total:,} {first.split} images", title_justify="left")
    names = ("weights", "correct", "accuracy", "images/s", "disagrees on")
    rows = [
        (
            describe(Path(evaluation.weights)),
            f"{evaluation.correct:,}",
            f"{evaluation.accuracy:.4f}",
            f"{evaluation.images_per_second:,.0f}",
            f"{int(count):,}",
        )
        for evaluation, count in zip(evaluations, disagreements, strict=True)
    ]
    table.add_column(names[0], overflow="fold")
    for name in names[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)

    def compact() -> Text:
        text = Text(f"{first.total:,} {first.split} images", style="bold")
        for index, (weights, *cells) in enumerate(rows, start=1):
            text.append(f"\n#{index} {weights}: ", style="bold")
            text.append(", ".join(f"{name} {cell}" for name, cell in zip(names[1:], cells, strict=True)))
        return text

    print_fitting(console, table, compact)
    recall_rows = [
        (str(digit), *(f"{e.per_class[digit].recall:.4f}" for e in evaluations))
        for digit in range(len(first.confusion))
    ]
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

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total)
        self._progress.update(self._task, completed=done)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
