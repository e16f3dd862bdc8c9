"""The learning curves of a training run as a PNG (Pillow): accuracy per epoch beside loss per epoch.

The book's figure of chapter 4 (train and test accuracy over the epochs), with the loss beside it, so that
over-fitting (train rising, test flat or falling) and a learning rate too high (loss jumping) show at a glance.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MnistInferError
from .files import atomic_write_bytes

if TYPE_CHECKING:
    from .training import EpochRecord

PANEL = (520, 360)  #: width, height of each chart
MARGIN = (64, 24, 24, 52)  #: left, top, right, bottom, around each chart's plot area
COLOURS = {"train": (31, 119, 180), "validation": (255, 127, 14), "test": (44, 160, 44), "loss": (214, 39, 40)}


def learning_curves(history: Sequence[EpochRecord], title: str = "", kept: int | None = None) -> bytes:
    """A PNG of accuracy (train, validation, test) and loss against the epoch; a dotted line at epoch ``kept``."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    width, height = PANEL
    image = Image.new("RGB", (2 * width, height + (28 if title else 0)), "white")
    draw = ImageDraw.Draw(image)
    top = 0
    if title:
        draw.text((MARGIN[0], 6), title, fill="black", font=font)
        top = 28
    epochs = [r.epoch for r in history]
    accuracy = {
        name: [getattr(r, f"{name}_accuracy") for r in history]
        for name in ("train", "validation", "test")
        if any(getattr(r, f"{name}_accuracy") is not None for r in history)
    }
    _chart(draw, font, (0, top), "accuracy", epochs, accuracy, kept)
    _chart(draw, font, (width, top), "loss", epochs, {"loss": [r.loss for r in history]}, kept)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_learning_curves(
    history: Sequence[EpochRecord], path: str | os.PathLike[str], title: str = "", kept: int | None = None
) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise MnistInferError(f"{path}: cannot write the plot: directory {path.parent} does not exist")
    try:
        atomic_write_bytes(path, learning_curves(history, title, kept))
    except OSError as exc:
        raise MnistInferError(f"{path}: cannot write the plot ({exc.strerror or exc})") from None
    return path


def _chart(draw, font, origin: tuple[int, int], label: str, epochs: list[int], series: dict, kept: int | None) -> None:
    """One chart: axes with ticks, a line with dots per series, a legend in the lower right (upper right for loss)."""
    left, top = origin[0] + MARGIN[0], origin[1] + MARGIN[1]
    right, bottom = origin[0] + PANEL[0] - MARGIN[2], origin[1] + PANEL[1] - MARGIN[3]
    values = [v for line in series.values() for v in line if v is not None]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 0.01
    low, high = low - pad, high + pad
    first, last = min(epochs), max(max(epochs), min(epochs) + 1)

    def x_of(epoch: float) -> float:
        return left + (epoch - first) / (last - first) * (right - left)

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    for value in _ticks(low, high):
        y = y_of(value)
        draw.line([(left, y), (right, y)], fill=(232, 232, 232))
        text = f"{value:.3f}".rstrip("0").rstrip(".") if high - low < 1 else f"{value:g}"
        draw.text((left - 6, y), text, fill="black", font=font, anchor="rm")
    for epoch in _ticks(first, last, integer=True):
        draw.text((x_of(epoch), bottom + 6), str(int(epoch)), fill="black", font=font, anchor="mt")
    if kept is not None:  # the epoch whose weights were saved
        x = x_of(kept)
        for y in range(int(top), int(bottom), 6):
            draw.line([(x, y), (x, min(y + 3, bottom))], fill=(120, 120, 120))
        if label == "accuracy":
            draw.text((x + 3, top + 2), "kept", fill=(90, 90, 90), font=font, anchor="lt")
    draw.rectangle([left, top, right, bottom], outline="black")
    draw.text(((left + right) / 2, bottom + 26), "epoch", fill="black", font=font, anchor="mt")
    draw.text((left, top - 4), label, fill="black", font=font, anchor="lb")
    first_row = (bottom - 18 * len(series)) if label == "accuracy" else top + 10
    draw.rectangle([right - 126, first_row - 9, right - 4, first_row + 18 * (len(series) - 1) + 9], fill="white")
    for row, (name, line) in enumerate(series.items()):
        colour = COLOURS[name]
        points = [(x_of(e), y_of(v)) for e, v in zip(epochs, line, strict=True) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)
        legend_y = first_row + 18 * row
        draw.line([(right - 120, legend_y), (right - 96, legend_y)], fill=colour, width=3)
        draw.text((right - 90, legend_y), name, fill="black", font=font, anchor="lm")


def _ticks(low: float, high: float, integer: bool = False) -> list[float]:
    """About five round values between ``low`` and ``high``."""
    import math

    span = high - low
    step = 10 ** math.floor(math.log10(span / 5)) if span > 0 else 1
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    if integer:
        step = max(1, round(step))
    start = math.ceil(low / step) * step
    return [start + i * step for i in range(int((high - start) / step + 1e-9) + 1)]
