"""Many images through the network: uint8 pixels as its inputs (÷ 255, as the book does), batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .catalog import DEFAULT_BATCH_SIZE
from .errors import InputError

if TYPE_CHECKING:
    from .network import Network


def images_to_inputs(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` → rows of ``dtype`` in [0, 1], exactly as the book normalises them (÷ 255)."""
    flat = np.asarray(images).reshape(len(images), -1)
    return np.divide(flat, np.dtype(dtype).type(255.0), dtype=dtype)  # one pass: convert and scale together


def classify_images(
    network: Network,
    images: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and probabilities for uint8 images, ``batch_size`` images at a time.

    Only one batch is ever held as floats, so memory is bounded by ``batch_size``, not by the data set.
    ``progress(done, total)`` is called after each batch. Probabilities that are not finite (weights so large
    that the forward pass overflows) are an :class:`InputError`, never a silent accuracy or numpy's warnings.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    count = len(images)
    probabilities = np.empty((count, network.sizes[-1]), dtype=network.dtype)
    with np.errstate(all="ignore"):  # an overflow is checked below, once
        for start in range(0, count, batch_size):
            batch = images_to_inputs(images[start : start + batch_size], network.dtype)
            probabilities[start : start + len(batch)] = network.forward(batch)
            if progress is not None:
                progress(start + len(batch), count)
    if not np.isfinite(probabilities).all():
        raise InputError(
            "the forward pass overflowed: its probabilities are not finite numbers; the network's weights are too "
            f"large for {network.dtype}"
        )
    return np.argmax(probabilities, axis=1), probabilities
