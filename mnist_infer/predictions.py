"""Predictions for single images, with what a person wants to see beside them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .classify import classify_images
from .errors import ImageError, MnistInferError

if TYPE_CHECKING:
    from .data import Dataset
    from .network import Network


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


def predict_indices(network: Network, dataset: Dataset, indices: list[int]) -> list[Prediction]:
    """Predictions for the images at ``indices`` of ``dataset`` (all in one batch)."""
    chosen = [dataset.check_index(i) for i in indices]
    images = dataset.images[chosen]
    classes, probabilities = classify_images(network, images)
    return [
        Prediction(f"{dataset.split}[{i}]", i, int(dataset.labels[i]), int(c), p, image)
        for i, c, p, image in zip(chosen, classes, probabilities, images, strict=True)
    ]


class Failure(NamedTuple):
    """A picture that could not be read (or holds no digit), and why."""

    source: str
    error: str

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "error": self.error}


def predict_files(network: Network, paths: list[Path]) -> list[Prediction | Failure]:
    """Predictions for image files (photos, scans, drawings), each preprocessed the way MNIST was made.

    Like ``cp`` or ``grep`` with several files, one picture that cannot be read does not stop the others: it
    becomes a :class:`Failure` in its place.
    """
    from .photo_input import prepare_image

    prepared: list = []
    for path in paths:
        try:
            prepared.append(prepare_image(path))
        except ImageError as exc:
            prepared.append(Failure(str(path), _reason(str(exc), path)))
    readable = [item for item in prepared if not isinstance(item, Failure)]
    if not readable:
        return prepared
    classes, probabilities = classify_images(network, np.stack([item.pixels for item in readable]))
    predictions = iter(
        Prediction(str(item.path), None, None, int(c), p, item.pixels, item.preview)
        for item, c, p in zip(readable, classes, probabilities, strict=True)
    )
    return [item if isinstance(item, Failure) else next(predictions) for item in prepared]


def _reason(message: str, path: Path) -> str:
    """The error without the path it starts with (the failure names its source already)."""
    return message.removeprefix(f"{path}: ")


def save_inputs(predictions: list[Prediction | Failure], directory: Path) -> list[Path]:
    """Write the 28×28 input of each prediction as a PNG in ``directory`` (created if missing)."""
    from .picture_files import save_picture  # only --save-input writes pictures (and needs Pillow)

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MnistInferError(f"{directory}: cannot create the directory ({exc.strerror or exc})") from None
    written: list[Path] = []
    for item in predictions:
        if isinstance(item, Failure):
            continue
        stem = Path(item.source).stem if item.index is None else item.source.replace("[", "-").rstrip("]")
        path = directory / f"{stem}.png"
        suffix = 1
        while path in written:
            suffix += 1
            path = directory / f"{stem}-{suffix}.png"
        written.append(save_picture(item.image, path))
    return written
