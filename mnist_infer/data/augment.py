"""Random changes of handwriting for training: shifts, rotations, scalings, slant and stroke thickness; and, for
``evaluate --robustness``, the same changes (with blur and noise) at fixed strengths (:data:`PERTURBATIONS`).

A training digit is seen slightly differently at each epoch, as another writer might have drawn it, so the
weights learn the digit rather than the pixels, and read real handwriting (photos, drawing pads) better. A whole
batch is resampled at once: one affine map per digit, bilinear interpolation gathered with numpy indexing,
then a blend towards a dilated (thicker) or eroded (thinner) version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..catalog import IMAGE_SIDE


@dataclass(frozen=True)
class Augmentation:
    """How far each change may go; every digit draws its own amounts uniformly within these bounds."""

    shift: float = 2.0  #: pixels, along each axis
    rotation: float = 12.0  #: degrees, either way
    scale: tuple[float, float] = (0.85, 1.12)  #: size factor
    aspect: float = 0.1  #: the width's factor relative to the height's: within exp(±aspect)
    slant: float = 0.25  #: horizontal shear per pixel of height, either way
    thickness: tuple[float, float] = (-0.6, 0.8)  #: blend towards erosion (< 0) or dilation (> 0)

    def __call__(self, images: np.ndarray, rng: np.random.Generator, dtype: type = np.float32) -> np.ndarray:
        """uint8 digits ``(N, 28, 28)`` → changed digits as network inputs ``(N, 784)`` in [0, 1]."""
        pixels = np.asarray(images, dtype=dtype) / dtype(255)
        warped = warp(pixels, self.inverse_maps(len(images), rng, dtype), self.shifts(len(images), rng, dtype))
        return change_thickness(warped, rng.uniform(*self.thickness, len(images)).astype(dtype)).reshape(
            len(images), -1
        )

    def inverse_maps(self, count: int, rng: np.random.Generator, dtype: type) -> np.ndarray:
        """Per digit, the 2×2 matrix taking an output pixel's offset from the centre to the source's offset."""
        angle = np.deg2rad(rng.uniform(-self.rotation, self.rotation, count))
        size = rng.uniform(*self.scale, count)
        aspect = np.exp(rng.uniform(-self.aspect, self.aspect, count))
        slant = rng.uniform(-self.slant, self.slant, count)
        cos, sin = np.cos(angle), np.sin(angle)
        # forward map (row, col): scale, then slant (columns move with the row), then rotate
        scale_rows, scale_cols = size, size * aspect
        forward = np.empty((count, 2, 2))
        forward[:, 0, 0] = cos * scale_rows
        forward[:, 0, 1] = -sin * scale_cols
        forward[:, 1, 0] = sin * scale_rows + cos * slant * scale_rows
        forward[:, 1, 1] = cos * scale_cols
        return np.linalg.inv(forward).astype(dtype)

    def shifts(self, count: int, rng: np.random.Generator, dtype: type) -> np.ndarray:
        return rng.uniform(-self.shift, self.shift, (count, 2)).astype(dtype)


_CENTRE = (IMAGE_SIDE - 1) / 2
_OFFSETS = np.indices((IMAGE_SIDE, IMAGE_SIDE)).reshape(2, -1) - _CENTRE  #: each pixel's (row, col) from the centre


def warp(pixels: np.ndarray, inverse: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Resample each ``(28, 28)`` image at ``inverse·(p - centre - shift) + centre``, bilinear, zero outside."""
    count, side = len(pixels), IMAGE_SIDE
    dtype = pixels.dtype.type
    rows = _OFFSETS[0].astype(dtype)[None] - shift[:, :1]  # (N, 784): each output pixel's offset from the centre
    cols = _OFFSETS[1].astype(dtype)[None] - shift[:, 1:]
    # Source coordinates in a frame one pixel wider on each side, which holds zeros: what lies outside reads 0.
    source_rows = inverse[:, 0, 0, None] * rows + inverse[:, 0, 1, None] * cols
    source_cols = inverse[:, 1, 0, None] * rows + inverse[:, 1, 1, None] * cols
    limit = dtype(side + 1 - 1e-3)
    np.clip(source_rows + dtype(_CENTRE + 1), 0, limit, out=source_rows)
    np.clip(source_cols + dtype(_CENTRE + 1), 0, limit, out=source_cols)
    top, left = source_rows.astype(np.int32), source_cols.astype(np.int32)  # floor: all are >= 0
    down = source_rows - top.astype(dtype)  # how far into the cell, towards the lower right
    right = source_cols - left.astype(dtype)
    wide = side + 2
    framed = np.zeros((count, wide, wide), dtype=pixels.dtype)
    framed[:, 1:-1, 1:-1] = pixels
    framed = framed.reshape(-1)
    corner = top
    corner *= wide
    corner += np.arange(0, count * wide * wide, wide * wide, dtype=np.int32)[:, None]
    corner += left  # index of each source point's upper left neighbour in the flattened frames
    # The other three neighbours are at the same indices of views shifted by 1, a row, a row and 1.
    upper_left, upper = np.take(framed, corner), np.take(framed[1:], corner)
    lower_left, lower = np.take(framed[wide:], corner), np.take(framed[wide + 1 :], corner)
    upper -= upper_left  # interpolate along the upper edge, then the lower, then between them
    upper *= right
    upper += upper_left
    lower -= lower_left
    lower *= right
    lower += lower_left
    lower -= upper
    lower *= down
    upper += lower
    return upper.reshape(count, side, side)


def change_thickness(pixels: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Blend each image towards its dilation (``amount`` > 0, thicker strokes) or erosion (< 0, thinner).

    Dilation and erosion take the maximum and minimum over each pixel and its four neighbours.
    """
    count, rows, cols = pixels.shape
    framed = np.zeros((count, rows + 2, cols + 2), dtype=pixels.dtype)
    framed[:, 1:-1, 1:-1] = pixels
    thicker, thinner = pixels.copy(), pixels.copy()
    for neighbour in (framed[:, :-2, 1:-1], framed[:, 2:, 1:-1], framed[:, 1:-1, :-2], framed[:, 1:-1, 2:]):
        np.maximum(thicker, neighbour, out=thicker)
        np.minimum(thinner, neighbour, out=thinner)
    thicker -= pixels
    thinner -= pixels
    thicker *= np.maximum(amount, 0)[:, None, None]
    thinner *= np.maximum(-amount, 0)[:, None, None]
    thicker += thinner
    thicker += pixels
    return thicker


def _warped(pixels: np.ndarray, rng: np.random.Generator, angle=0.0, size=1.0, shift=0.0) -> np.ndarray:
    """Each image turned by ``angle`` degrees either way, made ``size`` times larger or smaller, and shifted by
    ``shift`` pixels in a random direction (each digit draws its own way)."""
    count, dtype = len(pixels), pixels.dtype
    turn, factor = np.deg2rad(angle) * rng.choice((-1, 1), count), size ** rng.choice((-1.0, 1.0), count)
    cos, sin = np.cos(turn) / factor, np.sin(turn) / factor
    inverse = np.stack([np.stack([cos, sin], axis=1), np.stack([-sin, cos], axis=1)], axis=1).astype(dtype)
    heading = rng.uniform(0, 2 * np.pi, count)
    return warp(pixels, inverse, (shift * np.stack([np.sin(heading), np.cos(heading)], axis=1)).astype(dtype))


def _thickness(pixels: np.ndarray, amount: float) -> np.ndarray:
    """Strokes thickened (``amount`` > 0) or thinned by ``amount`` pixels: whole dilations, then a blend."""
    while abs(amount) > 1e-9:
        step = max(-1.0, min(1.0, amount))
        pixels, amount = change_thickness(pixels, np.full(len(pixels), step, pixels.dtype)), amount - step
    return pixels


def _blur(pixels: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels, separable: along the rows, then the columns."""
    radius = int(3 * sigma + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    framed = np.pad(pixels, ((0, 0), (radius, radius), (radius, radius)))
    rows = sum(w * framed[:, i : i + IMAGE_SIDE] for i, w in enumerate(kernel / kernel.sum()))
    return sum(w * rows[:, :, i : i + IMAGE_SIDE] for i, w in enumerate(kernel / kernel.sum())).astype(pixels.dtype)


#: What ``evaluate --robustness`` does to the test digits: each change at three strengths, and how.
PERTURBATIONS = {
    "shift": ((1, 2, 4), lambda x, s, rng: _warped(x, rng, shift=s)),  # pixels, in a random direction
    "rotate": ((15, 30, 45), lambda x, s, rng: _warped(x, rng, angle=s)),  # degrees, either way
    "scale": ((1.2, 1.4, 1.7), lambda x, s, rng: _warped(x, rng, size=s)),  # times larger or smaller
    "thicken": ((0.5, 1, 2), lambda x, s, rng: _thickness(x, s)),  # pixels
    "thin": ((0.25, 0.5, 1), lambda x, s, rng: _thickness(x, -s)),  # pixels
    "blur": ((0.5, 1, 1.5), lambda x, s, rng: _blur(x, s)),  # Gaussian σ, pixels
    "noise": ((0.1, 0.25, 0.5), lambda x, s, rng: np.clip(x + rng.normal(0, s, x.shape).astype(x.dtype), 0, 1)),  # σ
}
#: What ``evaluate --robustness`` measures, in order: the digits as they are ("none"), then each change and strength.
CHANGES = [("none", 0), *((name, s) for name, (levels, _) in PERTURBATIONS.items() for s in levels)]
