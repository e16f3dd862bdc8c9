"""A trained network at work: images classified batch by batch, a split evaluated (accuracy, per class, where it
goes wrong), single digits and pictures predicted. The command line and the page call these; each result has
``to_dict()`` for JSON and a view in :mod:`mnist_infer.views`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .catalog import DEFAULT_BATCH_SIZE, NUM_CLASSES, KnownFile
from .data.mnist import Dataset, images_to_inputs
from .errors import N_, ImageError, InputError
from .model import Network
from .paths import is_packaged

#: Numbers a batch may hold in its largest layer (im2col's windows included): bounds the memory of a forward
#: pass whatever the network (a convolutional network's batches are smaller than a fully connected one's).
BATCH_NUMBERS = 1 << 24


def batch_limit(network: Network, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """How many images one forward pass takes: at most ``batch_size``, and at most :data:`BATCH_NUMBERS` numbers in
    the network's largest layer."""
    largest = max(
        math.prod(step.output_shape)
        + (
            step.output_shape[0] * step.output_shape[1] * step.spec["size"] ** 2 * step.input_shape[-1]
            if step.spec["type"] == "conv"
            else 0
        )
        for step in network.steps
    )
    return max(1, min(batch_size, BATCH_NUMBERS // max(largest, math.prod(network.architecture.input_shape))))


def classify_images(
    network: Network,
    images: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and probabilities for uint8 images, a bounded batch at a time (see :func:`batch_limit`).

    Probabilities that are not finite (weights so large that the forward pass overflows) are an :class:`InputError`,
    never a silent accuracy. ``progress(done, total)`` is called after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    count, step = len(images), batch_limit(network, batch_size)
    probabilities = np.empty((count, network.architecture.classes), dtype=network.dtype)
    with np.errstate(all="ignore"):  # an overflow is checked below, once
        for start in range(0, count, step):
            batch = images_to_inputs(images[start : start + step], network.dtype)
            probabilities[start : start + len(batch)] = network.forward(batch)
            if progress is not None:
                progress(min(start + step, count), count)
    if not np.isfinite(probabilities).all():
        raise InputError(
            N_(
                "the forward pass overflowed: its probabilities are not finite numbers; the network's "
                "weights are too large for {dtype}"
            ),
            dtype=network.dtype,
        )
    return np.argmax(probabilities, axis=1), probabilities


# --- evaluation ------------------------------------------------------------------------------------------------


class ClassReport(NamedTuple):
    digit: int
    support: int  #: images of this digit
    correct: int  #: of those, classified as this digit
    precision: float  #: of the images classified as this digit, the fraction that are
    recall: float  #: of the images of this digit, the fraction found
    f1: float

    def to_dict(self) -> dict[str, float | int]:
        return self._asdict()


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """``classes``×``classes`` counts: row = true digit, column = predicted digit."""
    pairs = labels.astype(np.int64) * classes + predictions.astype(np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


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


class Evaluation:
    """A network run over a split: its predictions, where they came from, and what they add up to.

    ``seconds`` is the forward pass alone (data and weights loaded); ``known`` is the book's file the weights are,
    when they are one (for "the book reports …").
    """

    def __init__(
        self,
        weights: Path,
        dataset: Dataset,
        predictions,
        probabilities,
        seconds: float,
        batch_size: int,
        labels: np.ndarray,
        known: KnownFile | None = None,
        architecture: str = "",
    ) -> None:
        self.weights, self.split, self.labels = weights, dataset.split, labels
        self.predictions, self.probabilities = predictions, probabilities
        self.seconds, self.batch_size, self.known, self.architecture = seconds, batch_size, known, architecture
        self.data = (dataset.images_path, dataset.labels_path)

    def __repr__(self) -> str:
        return f"Evaluation({str(self.weights)!r}, {self.split!r}, {self.correct}/{self.total} correct)"

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
        return self.total / max(self.seconds, 1e-9)

    @cached_property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.labels, self.predictions)

    @cached_property
    def per_class(self) -> list[ClassReport]:
        return per_class(self.confusion)

    @property
    def reproduces(self) -> bool | None:
        """Whether the book's figure for these weights is reproduced (None: not the book's file on its test set)."""
        if self.known is None or self.split != "test" or self.total != 10_000:
            return None
        return self.correct == self.known.test_correct

    def mistakes(self, limit: int | None = None) -> np.ndarray:
        """Indices of the misclassified images, the most confident mistakes first."""
        wrong = np.flatnonzero(self.predictions != self.labels)
        confidence = self.probabilities[wrong, self.predictions[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")][:limit]

    def to_dict(self) -> dict[str, object]:
        """The JSON report of ``mnist-infer evaluate``."""
        return {
            "weights": str(self.weights),
            "architecture": self.architecture,
            "split": self.split,
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "images_per_second": self.images_per_second,
            "per_class": [report.to_dict() for report in self.per_class],
            "confusion": self.confusion.tolist(),
            "data": {"images": str(self.data[0]), "labels": str(self.data[1]), "packaged": is_packaged(self.data[0])},
        }


def evaluate(
    network: Network,
    dataset: Dataset,
    *,
    weights: Path = Path(""),
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    known: KnownFile | None = None,
) -> Evaluation:
    """Classify the first ``limit`` images of ``dataset`` (all by default), a bounded batch at a time."""
    count = len(dataset) if limit is None else min(limit, len(dataset))
    start = time.perf_counter()
    predictions, probabilities = classify_images(network, dataset.images[:count], batch_size, progress)
    seconds = time.perf_counter() - start
    return Evaluation(
        weights,
        dataset,
        predictions,
        probabilities,
        seconds,
        batch_size,
        dataset.labels[:count],
        known,
        network.architecture.summary(),
    )


class Comparison:
    """Several networks evaluated on the same images."""

    def __init__(self, evaluations: list[Evaluation]) -> None:
        self.evaluations = evaluations

    @cached_property
    def disagreements(self) -> np.ndarray:
        """For each evaluation, on how many images its prediction differs from at least one other's."""
        predictions = np.stack([e.predictions for e in self.evaluations])
        return np.array([int(np.count_nonzero((predictions != row).any(axis=0))) for row in predictions])

    def pairwise(self) -> np.ndarray:
        """On how many images each two of them disagree."""
        predictions = np.stack([e.predictions for e in self.evaluations])
        return (predictions[:, None, :] != predictions[None, :, :]).sum(axis=2)

    def to_dict(self) -> list[dict[str, object]]:
        return [
            {**e.to_dict(), "disagreements": int(n)} for e, n in zip(self.evaluations, self.disagreements, strict=True)
        ]


# --- single digits and pictures ----------------------------------------------------------------------------------


class Prediction(NamedTuple):
    source: str  #: "test[0]", or the path of an image file
    index: int | None  #: position in the split, None for image files
    label: int | None  #: the true digit when known
    prediction: int
    probabilities: np.ndarray  #: ten class probabilities
    image: np.ndarray  #: the 28×28 uint8 picture the network saw
    preview: np.ndarray | None = None  #: an image file as the user sees it, small (None for dataset images)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "index": self.index,
            "label": self.label,
            "prediction": self.prediction,
            "probabilities": [float(p) for p in self.probabilities],
        }


class Failure(NamedTuple):
    """A picture that could not be read (or holds no digit), and why."""

    source: str
    error: ImageError

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "error": str(self.error).removeprefix(f"{self.source}: ")}


class Predictions(NamedTuple):
    """What ``predict`` answers: a prediction (or a failure) per image, and where the network and data came from."""

    items: list[Prediction | Failure]
    weights: Path
    data: Path | None = None  #: the images file, when MNIST digits were asked for

    def to_dict(self) -> dict[str, object]:
        return {"predictions": [item.to_dict() for item in self.items]}

    @property
    def failures(self) -> list[Failure]:
        return [item for item in self.items if isinstance(item, Failure)]


def predict_indices(network: Network, dataset: Dataset, indices: Sequence[int]) -> list[Prediction]:
    """Predictions for the images at ``indices`` of ``dataset`` (in one batch)."""
    chosen = [dataset.check_index(i) for i in indices]
    images = np.asarray(dataset.images[chosen])
    classes, probabilities = classify_images(network, images)
    return [
        Prediction(f"{dataset.split}[{i}]", i, int(dataset.labels[i]), int(c), p, image)
        for i, c, p, image in zip(chosen, classes, probabilities, images, strict=True)
    ]


def predict_files(network: Network, paths: Sequence[Path]) -> list[Prediction | Failure]:
    """Predictions for picture files, each prepared the way MNIST was made. Like ``cp`` or ``grep`` with several
    files, one picture that cannot be read does not stop the others: it becomes a :class:`Failure` in its place."""
    from .data.pictures import prepare_image

    prepared: list = []
    for path in paths:
        try:
            prepared.append(prepare_image(path))
        except ImageError as exc:  # kept without its traceback, which holds the decoder's frames and their pixels
            exc.__traceback__ = exc.__context__ = None
            prepared.append(Failure(str(path), exc))
    readable = [item for item in prepared if not isinstance(item, Failure)]
    if not readable:
        return prepared
    classes, probabilities = classify_images(network, np.stack([item.pixels for item in readable]))
    answers = iter(
        Prediction(str(item.path), None, None, int(c), p, item.pixels, item.preview)
        for item, c, p in zip(readable, classes, probabilities, strict=True)
    )
    return [item if isinstance(item, Failure) else next(answers) for item in prepared]


class Digits(NamedTuple):
    """MNIST digits by index, as ``show`` draws them; ``saved``: where they were written, and the picture's size."""

    split: str
    indices: list[int]
    labels: list[int]
    images: np.ndarray
    data: Path
    saved: tuple[Path, tuple[int, int]] | None = None

    def to_dict(self) -> dict[str, object]:
        digits = [
            {"split": self.split, "index": i, "label": label, "pixels": image.tolist()}
            for i, label, image in zip(self.indices, self.labels, self.images, strict=True)
        ]
        return {"digits": digits, "data": str(self.data)}


def digits(dataset: Dataset, indices: Sequence[int]) -> Digits:
    chosen = [dataset.check_index(i) for i in indices]
    return Digits(
        dataset.split,
        chosen,
        [int(dataset.labels[i]) for i in chosen],
        np.asarray(dataset.images[chosen]),
        dataset.images_path,
    )


class ToyPass(NamedTuple):
    """The toy 2-3-2-2 network's forward pass (3.4.3), step by step: ``x a1 z1 a2 z2 a3``, its output ``y`` (the
    identity of ``a3``) and ``softmax`` (3.5)."""

    values: dict[str, np.ndarray]

    def to_dict(self) -> dict[str, list[float]]:
        return {key: [float(v) for v in value] for key, value in self.values.items()}


def toy(x: Sequence[float] | None = None) -> ToyPass:
    """The toy network on ``x`` (by default the book's [1.0, 0.5]); non-finite inputs or outputs are an error."""
    from .weights import toy_network

    network, default = toy_network()
    inputs = default if x is None else np.array(x, dtype=np.float64)
    if not np.isfinite(inputs).all():
        raise InputError(N_("--x {x}: expected two finite numbers"), x=" ".join(map(str, inputs)))
    trace: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # an overflow is reported below, as one error
        probabilities = network.forward(inputs, trace)
    values = {"x": inputs, **trace, "y": trace["a3"], "softmax": probabilities}
    if not all(np.isfinite(value).all() for value in values.values()):
        raise InputError(
            N_("--x {x}: the forward pass overflows (float64); give smaller numbers"), x=" ".join(map(str, inputs))
        )
    return ToyPass(values)
