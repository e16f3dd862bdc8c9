"""Predictions for single images, with what a person wants to see beside them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Dataset
from .network import Network, classify_images


@dataclass(frozen=True)
class Prediction:
    source: str  #: "test[0]", or the path of an image file
    index: int | None  #: position in the split, None for image files
    label: int | None  #: the true digit when known
    prediction: int
    probabilities: np.ndarray  #: ten class probabilities
    image: np.ndarray  #: the 28×28 uint8 picture the network saw

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
