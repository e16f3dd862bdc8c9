"""Figures as PNG files, drawn with matplotlib (the book's own choice): learning curves, and the figures of the
book's experiments.

Only matplotlib's object API is used (no pyplot, no window): a figure is drawn into memory and written atomically.
Labels are in the user's language; where no installed font has Hangul, Korean labels fall back to English.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import N_
from ..i18n import _
from ..paths import write_file

COLOURS = {"train": "#1f77b4", "validation": "#ff7f0e", "test": "#2ca02c"}
_HANGUL_FONTS = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP", "UnDotum", "Baekmuk Gulim")


def figure(width: float = 10.0, height: float = 4.0, columns: int = 1, rows: int = 1):
    """A matplotlib figure and its axes, in a font that can show the labels' language."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    font = hangul_font()
    if font:
        import matplotlib

        matplotlib.rcParams["font.family"] = [font, "DejaVu Sans"]
    return fig, fig.subplots(rows, columns, squeeze=False)


def hangul_font() -> str | None:
    """An installed font with Hangul, if any (Debian's fonts-nanum or fonts-noto-cjk)."""
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in _HANGUL_FONTS if name in names), None)


def save_figure(fig, path: str | os.PathLike[str]) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return write_file(path, buffer.getvalue(), N_("the figure"))


def learning_curves(history: Sequence, path: str | os.PathLike[str], title: str = "", kept: int | None = None,
                    weight_decay: float = 0.0):  # fmt: skip
    """Accuracy and loss (train, validation, test) against the epoch, a dotted line at the epoch kept."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = figure(columns=2)
    accuracy, loss = axes[0]
    epochs = [record.epoch for record in history]
    for name, label in (("train", _("train")), ("validation", _("validation")), ("test", _("test"))):
        for axis, kind in ((accuracy, "accuracy"), (loss, "loss")):
            values = [getattr(record, "loss" if (name, kind) == ("train", "loss") else f"{name}_{kind}")
                      for record in history]  # fmt: skip
            if any(value is not None for value in values):
                axis.plot(epochs, values, "o-", markersize=3, color=COLOURS[name], label=label)
    # The training loss is what the optimiser minimised: with weight decay, its penalty is part of it.
    loss_label = _("loss (train: + ½λΣW²)") if weight_decay else _("loss")
    for axis, ylabel in ((accuracy, _("accuracy")), (loss, loss_label)):
        axis.set_xlabel(_("epoch"))
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(epochs) == 1:  # the locator finds no whole number in the margins around one point
            axis.set_xticks(epochs)
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        if kept is not None:
            axis.axvline(kept, color="grey", linestyle=":", label=_("kept"))
        axis.legend(loc="lower right" if axis is accuracy else "upper right")
    if title:
        fig.suptitle(title, wrap=True)  # a long seed, validation, weight decay: two lines, not cut
    return save_figure(fig, path)
