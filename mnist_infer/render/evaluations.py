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
from . import is_plain

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
    console.print(
        Panel(lines, title=f"evaluate {describe(Path(evaluation.weights))}", title_align="left", expand=False)
    )


def render_evaluation_report(console: Console, evaluation: Evaluation, known: KnownFile | None = None) -> None:
    """Accuracy panel, per-class table and confusion matrix."""
    render_evaluation(console, evaluation, known)
    console.print(per_class_table(evaluation))
    console.print(confusion_table(evaluation.confusion, is_plain(console)))


def per_class_table(evaluation: Evaluation) -> Table:
    table = Table(title="Per class", title_justify="left")
    for name in ("digit", "support", "correct", "precision", "recall", "F1"):
        table.add_column(name, justify="right")
    for row in evaluation.per_class:
        table.add_row(
            str(row.digit),
            f"{row.support:,}",
            f"{row.correct:,}",
            f"{row.precision:.4f}",
            f"{row.recall:.4f}",
            f"{row.f1:.4f}",
        )
    return table


def confusion_table(confusion: np.ndarray, plain: bool) -> Table:
    """The confusion matrix as a heat map: rows are true digits, columns predicted ones."""
    table = Table(title="Confusion matrix (rows: true digit, columns: predicted)", title_justify="left")
    table.add_column("true", justify="right", style="bold")
    for digit in range(len(confusion)):
        table.add_column(str(digit), justify="right")
    errors_max = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
    for true, row in enumerate(confusion):
        cells = []
        for predicted, count in enumerate(row):
            if plain or count == 0:
                style = "dim" if count == 0 else ""
            elif true == predicted:
                style = "bold black on green"
            else:  # mistakes glow redder the more there are
                level = 60 + int(195 * (count / errors_max) ** 0.5)
                style = f"white on rgb({level},{level // 5},{level // 5})"
            cells.append(Text(f"{count:,}", style=style))
        table.add_row(str(true), *cells)
    return table


def render_comparison(console: Console, evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> None:
    """Several weights on the same images: accuracies side by side, where they differ, recall per digit."""
    first = evaluations[0]
    table = Table(title=f"{first.total:,} {first.split} images", title_justify="left")
    table.add_column("weights")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("images/s", justify="right")
    table.add_column("disagrees on", justify="right")
    for evaluation, count in zip(evaluations, disagreements, strict=True):
        table.add_row(
            describe(Path(evaluation.weights)),
            f"{evaluation.correct:,}",
            f"{evaluation.accuracy:.4f}",
            f"{evaluation.images_per_second:,.0f}",
            f"{int(count):,}",
        )
    console.print(table)
    recall = Table(title="Recall per digit", title_justify="left")
    recall.add_column("digit", justify="right")
    for index, _ in enumerate(evaluations, start=1):
        recall.add_column(f"#{index}", justify="right")
    for digit in range(len(first.confusion)):
        recall.add_row(str(digit), *(f"{e.per_class[digit].recall:.4f}" for e in evaluations))
    console.print(recall)


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
