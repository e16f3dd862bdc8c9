"""Evaluations as plain lines (for a pipe or a file): the accuracy lines, per-class table, confusion matrix and
comparisons; the terminal's views in :mod:`.evaluations` take their cells from here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..locations import describe
from .plain import table, width, wrap

if TYPE_CHECKING:
    from ..catalog import KnownFile
    from ..evaluation import Evaluation

PER_CLASS_HEADERS = ("digit", "support", "correct", "precision", "recall", "F1")
CONFUSION_TITLE = "Confusion matrix (rows: true digit, columns: predicted)"
CONFUSION_COMPACT_TITLE = "Confusion matrix (per true digit: how often it was predicted as 0 to 9)"


def evaluation_title(evaluation: Evaluation) -> str:
    return f"evaluate {describe(Path(evaluation.weights))}"


def evaluation_summary(evaluation: Evaluation, known: KnownFile | None = None) -> list[str]:
    """The lines of the accuracy panel: as the book prints it, then counts, where the images came from, time and
    speed, and the book's figure where the weights are the book's."""
    lines = [
        f"Accuracy:{evaluation.accuracy}",
        f"{evaluation.correct:,} of {evaluation.total:,} {evaluation.split} images correct",
    ]
    if evaluation.data is not None:
        lines.append(f"{evaluation.split} images: {describe(evaluation.data[0])}")
    lines.append(
        f"{evaluation.seconds * 1000:.1f} ms, {evaluation.images_per_second:,.0f} images/s "
        f"(batch size {evaluation.batch_size})"
    )
    if evaluation.batch_size == 1:
        lines.append("the book's per-image loop: compare the default batch size")
    if book_figure(evaluation, known) is not None:
        lines.append(book_figure(evaluation, known))
    return lines


def book_figure(evaluation: Evaluation, known: KnownFile | None) -> str | None:
    """ "the book reports …" for the book's weights on the whole test set, else None."""
    if known is None or evaluation.split != "test" or evaluation.total != known.test_total:
        return None
    same = evaluation.correct == known.test_correct
    outcome = "— reproduced" if same else f"— got {evaluation.accuracy} instead"
    return f"{known.name}: the book reports {known.test_accuracy} {outcome}"


def per_class_rows(evaluation: Evaluation) -> list[tuple[str, ...]]:
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


def confusion_rows(confusion: np.ndarray) -> list[tuple[str, ...]]:
    return [(str(true), *(f"{count:,}" for count in row)) for true, row in enumerate(confusion)]


def confusion(confusion: np.ndarray, limit: int | None = None) -> list[str]:
    """The confusion matrix; too wide for ``limit``, a line per true digit with its ten counts in order."""
    headers = ("true", *(str(digit) for digit in range(len(confusion))))
    rows = confusion_rows(confusion)
    lines = table(CONFUSION_TITLE, headers, rows, range(len(headers)))
    if limit is None or max(len(line) for line in lines) <= limit:
        return lines
    compact = wrap(CONFUSION_COMPACT_TITLE, limit)
    for true, *counts in rows:
        compact += wrap(f"{true}: {' '.join(counts)}", limit, indent="   ")
    return compact


def evaluation(evaluation: Evaluation, known: KnownFile | None = None) -> list[str]:
    """The whole report: the accuracy lines, the per-class table and the confusion matrix."""
    limit = width()
    return [
        *wrap(evaluation_title(evaluation), limit),
        *(line for text in evaluation_summary(evaluation, known) for line in wrap(text, limit)),
        "",
        *table("Per class", PER_CLASS_HEADERS, per_class_rows(evaluation), range(6), limit),
        "",
        *confusion(evaluation.confusion, limit),
    ]


COMPARISON_HEADERS = ("weights", "correct", "accuracy", "images/s", "disagrees on")


def comparison_rows(evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> list[tuple[str, ...]]:
    return [
        (
            describe(Path(evaluation.weights)),
            f"{evaluation.correct:,}",
            f"{evaluation.accuracy:.4f}",
            f"{evaluation.images_per_second:,.0f}",
            f"{int(count):,}",
        )
        for evaluation, count in zip(evaluations, disagreements, strict=True)
    ]


def recall_rows(evaluations: Sequence[Evaluation]) -> list[tuple[str, ...]]:
    return [
        (str(digit), *(f"{e.per_class[digit].recall:.4f}" for e in evaluations))
        for digit in range(len(evaluations[0].confusion))
    ]


def comparison(evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> list[str]:
    """Several weights on the same images: accuracies side by side, where they differ, recall per digit."""
    limit, first = width(), evaluations[0]
    title = f"{first.total:,} {first.split} images"
    recall_headers = ("digit", *(f"#{index}" for index in range(1, len(evaluations) + 1)))
    return [
        *table(title, COMPARISON_HEADERS, comparison_rows(evaluations, disagreements), (1, 2, 3, 4), limit),
        "",
        *table("Recall per digit", recall_headers, recall_rows(evaluations), range(len(recall_headers)), limit),
    ]
