"""Evaluate a network on a data set: how many images it classifies right, where it goes wrong, how fast."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np

from .catalog import DEFAULT_BATCH_SIZE
from .classify import classify_images
from .data import Dataset
from .locations import is_packaged
from .metrics import ClassReport, confusion_matrix, per_class
from .network import Network


class Evaluation:
    """The outcome of running a network over a data set.

    ``seconds`` is the time spent in the forward pass (data and weights already loaded); ``data`` names the
    images and labels files the data came from.
    """

    # A plain class, not a dataclass: `evaluate` builds one on every run, and a dataclass costs start-up time.
    def __init__(
        self,
        weights: str,
        split: str,
        labels: np.ndarray,
        predictions: np.ndarray,
        probabilities: np.ndarray,
        seconds: float,
        batch_size: int,
        data: tuple[Path, Path] | None = None,
    ) -> None:
        self.weights, self.split, self.labels = weights, split, labels
        self.predictions, self.probabilities = predictions, probabilities
        self.seconds, self.batch_size, self.data = seconds, batch_size, data

    def __repr__(self) -> str:
        return f"Evaluation(weights={self.weights!r}, split={self.split!r}, {self.correct}/{self.total} correct)"

    @property
    def total(self) -> int:
        return len(self.labels)

    @property
    def correct(self) -> int:
        return int(np.count_nonzero(self.predictions == self.labels))

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def images_per_second(self) -> float:
        return self.total / max(self.seconds, 1e-9)  # finite: it goes into JSON

    @cached_property
    def confusion(self) -> np.ndarray:
        """10×10 counts, row = true digit, column = predicted digit."""
        return confusion_matrix(self.labels, self.predictions)

    @cached_property
    def per_class(self) -> list[ClassReport]:
        return per_class(self.confusion)

    def mistakes(self, limit: int | None = None) -> np.ndarray:
        """Indices of the misclassified images, the most confident mistakes first."""
        wrong = np.flatnonzero(self.predictions != self.labels)
        confidence = self.probabilities[wrong, self.predictions[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")][:limit]

    def summary(self) -> dict[str, object]:
        """The JSON report of ``mnist-infer evaluate``."""
        return {
            "weights": self.weights,
            "split": self.split,
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "images_per_second": self.images_per_second,
            "per_class": [report.to_dict() for report in self.per_class],
            "confusion": self.confusion.tolist(),
            "data": None
            if self.data is None
            else {"images": str(self.data[0]), "labels": str(self.data[1]), "packaged": is_packaged(self.data[0])},
        }


def disagreements(evaluations: list[Evaluation]) -> np.ndarray:
    """For each evaluation, on how many images its predictions differ from another's (same images)."""
    predictions = np.stack([e.predictions for e in evaluations])
    return np.array([int(np.count_nonzero((predictions != row).any(axis=0))) for row in predictions])


def evaluate(
    network: Network,
    dataset: Dataset,
    *,
    weights: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> Evaluation:
    """Classify the first ``limit`` images of ``dataset`` (all by default), at most ``batch_size`` at a time, on
    ``workers`` threads (see :func:`mnist_infer.classify.classify_images`).

    ``progress(done, total)`` is called after every batch.
    """
    count = len(dataset) if limit is None else min(limit, len(dataset))
    images, labels = dataset.images[:count], dataset.labels[:count]
    start = time.perf_counter()
    predictions, probabilities = classify_images(
        network, images, batch_size=batch_size, progress=progress, workers=workers
    )
    seconds = time.perf_counter() - start
    return Evaluation(
        weights,
        dataset.split,
        labels,
        predictions,
        probabilities,
        seconds,
        batch_size,
        (dataset.images_path, dataset.labels_path),
    )
