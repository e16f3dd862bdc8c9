"""Augmentation: each change does what it says, the digits stay digits, and a seed repeats it."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import packaged
from mnist_infer.data.augment import Augmentation, change_thickness, warp
from mnist_infer.data.idx import read_images

NONE = Augmentation(shift=0, rotation=0, scale=(1, 1), aspect=0, slant=0, thickness=(0, 0))


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """The first 200 digits of the packaged test split."""
    return read_images(packaged("t10k-images-idx3-ubyte.gz"))[:200]


def centre_of_mass(inputs: np.ndarray) -> np.ndarray:
    images = inputs.reshape(-1, 28, 28)
    rows, cols = np.indices((28, 28))
    total = images.sum(axis=(1, 2))
    return np.stack([(images * rows).sum(axis=(1, 2)) / total, (images * cols).sum(axis=(1, 2)) / total], axis=1)


def test_no_change_gives_the_book_inputs(digits: np.ndarray) -> None:
    out = NONE(digits, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.shape == (200, 784)
    np.testing.assert_allclose(out, digits.reshape(200, -1) / 255, atol=1e-6)


def test_warp_moves_turns_and_scales_the_digit(digits: np.ndarray) -> None:
    inputs = digits.astype(np.float32) / 255
    shift = np.random.default_rng(1).uniform(-3, 3, (len(inputs), 2)).astype(np.float32)
    identity = np.tile(np.eye(2, dtype=np.float32), (len(inputs), 1, 1))
    moved = centre_of_mass(warp(inputs, identity, shift)) - centre_of_mass(inputs)
    np.testing.assert_allclose(np.median(moved - shift, axis=0), 0, atol=0.05)  # a few digits lose ink at the border
    quarter = np.tile(np.array([[0, 1], [-1, 0]], dtype=np.float32), (len(inputs), 1, 1))  # source of p: 90° away
    np.testing.assert_allclose(warp(inputs, quarter, 0 * shift), np.rot90(inputs, k=1, axes=(1, 2)), atol=1e-5)
    half = warp(inputs, 2 * identity, 0 * shift)  # each output pixel reads twice as far out: half the size
    assert np.allclose(half.sum(axis=(1, 2)) / inputs.sum(axis=(1, 2)), 0.25, atol=0.06)


def test_thicker_and_thinner_strokes(digits: np.ndarray) -> None:
    inputs = digits.astype(np.float32) / 255
    ink = inputs.sum(axis=(1, 2))
    thicker = change_thickness(inputs, np.full(len(inputs), 1.0, np.float32)).sum(axis=(1, 2))
    thinner = change_thickness(inputs, np.full(len(inputs), -0.5, np.float32)).sum(axis=(1, 2))
    assert (thicker > 1.3 * ink).all() and (thinner < 0.9 * ink).all()


def test_changed_digits_stay_digits_and_a_seed_repeats_them(digits: np.ndarray) -> None:
    augment = Augmentation()
    first, again = augment(digits, np.random.default_rng(5)), augment(digits, np.random.default_rng(5))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, augment(digits, np.random.default_rng(6)))
    assert first.min() >= 0 and first.max() <= 1 + 1e-6
    original = digits.reshape(len(digits), -1) / 255
    ink = first.sum(axis=1) / original.sum(axis=1)
    assert ink.min() > 0.35 and ink.max() < 2.5  # no digit vanishes or floods its square
    correlation = [np.corrcoef(a, b)[0, 1] for a, b in zip(first, original, strict=True)]
    assert 0.2 < np.median(correlation) < 0.95  # changed, but still mostly the same shape
