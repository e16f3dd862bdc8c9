"""Where a classifier is right and wrong: the confusion matrix and per-class precision, recall and F1."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .catalog import NUM_CLASSES


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """``classes``×``classes`` counts: row = true digit, column = predicted digit."""
    pairs = labels.astype(np.int64) * classes + predictions.astype(np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


class ClassReport(NamedTuple):
    digit: int
    support: int  #: images of this digit
    correct: int  #: of those, classified as this digit
    precision: float  #: of the images classified as this digit, the fraction that are
    recall: float  #: of the images of this digit, the fraction found
    f1: float

    def to_dict(self) -> dict[str, float | int]:
        return self._asdict()


def per_class(confusion: np.ndarray) -> list[ClassReport]:
    """Precision, recall and F1 of every class, from a confusion matrix (0 where undefined)."""
    reports = []
    for digit in range(len(confusion)):
        correct = int(confusion[digit, digit])
        support, predicted = int(confusion[digit].sum()), int(confusion[:, digit].sum())
        precision = correct / predicted if predicted else 0.0
        recall = correct / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reports.append(ClassReport(digit, support, correct, precision, recall, f1))
    return reports
