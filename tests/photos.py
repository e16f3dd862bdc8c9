"""Photo-like pictures of real MNIST digits, the way users' pictures differ from MNIST: for the tests of
``predict --image`` and for benchmarks/photo_quality.py.

Each alteration takes a 28×28 uint8 MNIST digit (light on dark) and a random generator, and writes a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter


def _up(digit: np.ndarray, size: int) -> Image.Image:
    return Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC)


def upscaled_blurred(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Ten times larger and blurred, as a low-quality scan or a zoomed screenshot."""
    _up(digit, 280).filter(ImageFilter.GaussianBlur(4)).save(path.with_suffix(".png"))
    return path.with_suffix(".png")


def ink_on_paper(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Dark ink on light, uneven, noisy paper."""
    ink = np.asarray(_up(digit, 140), dtype=np.float32) / 255
    rows = np.linspace(0, 1, 140)[:, None]
    paper = 225 + 20 * rows - 10 * rows.T  # light falling unevenly across the sheet
    grey = paper - ink * (paper - 40) + rng.normal(0, 10, ink.shape)
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).save(path.with_suffix(".png"))
    return path.with_suffix(".png")


def off_centre(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Small, somewhere on a large white canvas."""
    canvas = np.full((240, 320), 250, dtype=np.uint8)
    size = 84
    top, left = int(rng.integers(0, 240 - size)), int(rng.integers(0, 320 - size))
    canvas[top : top + size, left : left + size] = 250 - np.asarray(_up(digit, size), dtype=np.float32) * 0.9
    Image.fromarray(canvas).save(path.with_suffix(".png"))
    return path.with_suffix(".png")


def rgb_jpeg(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Blue ballpoint on white, in colour, saved as a JPEG."""
    ink = np.asarray(_up(digit, 112), dtype=np.float32)[..., None] / 255
    white, blue = np.array([250, 248, 240]), np.array([30, 50, 160])
    rgb = white * (1 - ink) + blue * ink
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").save(path.with_suffix(".jpg"), quality=70)
    return path.with_suffix(".jpg")


def rgba_transparent(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """Black strokes on a transparent background, as a drawing program exports them."""
    rgba = np.zeros((84, 84, 4), dtype=np.uint8)
    rgba[..., :3] = 10
    rgba[..., 3] = np.asarray(_up(digit, 84))
    Image.fromarray(rgba, "RGBA").save(path.with_suffix(".png"))
    return path.with_suffix(".png")


def small_white_on_black(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """A small light digit on a black background larger than MNIST's field."""
    canvas = np.zeros((48, 48), dtype=np.uint8)
    small = np.asarray(Image.fromarray(digit).resize((20, 20), Image.Resampling.BOX))
    top, left = int(rng.integers(0, 28)), int(rng.integers(0, 28))
    canvas[top : top + 20, left : left + 20] = small
    Image.fromarray(canvas).save(path.with_suffix(".bmp"))
    return path.with_suffix(".bmp")


ALTERATIONS: dict[str, Callable[[np.ndarray, np.random.Generator, Path], Path]] = {
    "upscaled-blurred": upscaled_blurred,
    "ink-on-paper": ink_on_paper,
    "off-centre": off_centre,
    "rgb-jpeg": rgb_jpeg,
    "rgba-transparent": rgba_transparent,
    "small-white-on-black": small_white_on_black,
}


def write_photos(images: np.ndarray, directory: Path, seed: int = 0) -> dict[str, list[Path]]:
    """Every alteration of every image; file names keep the image's position (``ink-on-paper-0007.png``)."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[Path]] = {}
    for kind, alter in ALTERATIONS.items():
        written[kind] = [alter(digit, rng, directory / f"{kind}-{i:04d}") for i, digit in enumerate(images)]
    return written


def shadowed_photo(digit: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    """A phone photo of a sheet: light falling off strongly across it, a soft shadow, ink in the middle."""
    size = 200
    ink = np.zeros((size, size), np.float32)
    ink[40:160, 40:160] = np.asarray(_up(digit, 120), dtype=np.float32) / 255
    y, x = np.mgrid[0:size, 0:size] / size
    light = 0.35 + 0.6 * x  # from dim to bright, left to right
    light *= 1 - 0.35 * np.exp(-(((x - 0.3) ** 2 + (y - 0.7) ** 2) / 0.05))  # a hand's shadow
    reflectance = 0.92 - 0.8 * ink
    grey = 255 * light * reflectance + rng.normal(0, 4, ink.shape)
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).convert("RGB").save(path.with_suffix(".jpg"), quality=85)
    return path.with_suffix(".jpg")


ALTERATIONS["shadowed-photo"] = shadowed_photo
