"""What ``experiment`` shows: while it runs, its numbers as rows under their headers (a new header when the columns
change) and on a terminal a progress bar; then the book's conclusion in those numbers; and the book's figure, drawn
with matplotlib as the book's scripts draw it (:func:`draw`)."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..i18n import _, language, ngettext, particles
from . import Block, Text, cells, justify, progress, render, to_terminal
from .plots import figure, hangul_font, save_figure

if TYPE_CHECKING:
    from ..training.experiments import Experiment


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"
    return f"{value:,}" if isinstance(value, int) else _(str(value))  # a label of the book's figure


def _header(key: str) -> str:
    """A column's header: its name, or for a number (the loss curves' columns) that many iterations."""
    if key.replace(",", "").isdigit():
        return ngettext("{count} iteration", "{count} iterations", int(key.replace(",", ""))).format(count=key)
    return _(key)


class Display:
    """The command line's :class:`~mnist_infer.training.experiments.Watch`: rows on ``stream`` (None: nowhere), and
    the progress bar ``bar`` (or None)."""

    def __init__(self, stream, bar) -> None:
        self.stream, self.bar, self.done, self.total, self.columns, self.widths = stream, bar, 0, 1, None, []

    def start(self, total: int) -> None:
        self.total = total

    def tick(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None and count:
            self.bar(min(self.done, self.total), self.total)

    def row(self, row: dict) -> None:
        if self.stream is None:
            return
        values, blocks = [_cell(value) for value in row.values()], []
        if list(row) != self.columns:
            self.columns = list(row)
            headers = [_header(key) for key in row]
            self.widths = [max(cells(h), cells(c), 10) for h, c in zip(headers, values, strict=True)]
            self.widths[0] = max(self.widths[0], 26)  # the first column names things: "sigmoid, std 0.01"…
            blocks.append(Text(self._line(headers), "bold"))
        blocks.append(Text(self._line(values)))
        live = getattr(self.bar, "progress", None)
        if self.stream is False and live is not None:  # above the bar, through its console (a console of our own
            from .draw import draw  # would write past Rich's redirection of stdout, onto the bar's line)

            return draw(blocks, target=live.console)
        render(blocks, self.stream or sys.stdout)

    def _line(self, values: list[str]) -> str:
        first, *rest = zip(values, self.widths, strict=True)
        return "  ".join([justify(*first, right=False), *(justify(value, width) for value, width in rest)]).rstrip()


@contextlib.contextmanager
def display(name: str, as_json: bool):
    """The display of a run: on stdout (False: whatever stdout is when a row comes, which the progress bar redirects
    above itself); with ``--json``, rows on stderr if that is a terminal, else none."""
    stream = False if not as_json else sys.stderr if to_terminal(sys.stderr) else None
    with progress(name, quiet=as_json) as bar:
        yield Display(stream, bar)


def duration(seconds: float) -> str:
    """A duration in the unit that fits it: seconds, minutes, hours or days."""
    if seconds < 60:
        return _("{count:.1f} s").format(count=seconds)
    if seconds < 3600:
        return _("{count:.1f} minutes").format(count=seconds / 60)
    if seconds < 86_400:
        return _("{count:.1f} hours").format(count=seconds / 3600)
    return _("{count:,.1f} days").format(count=seconds / 86_400)


def _conclusion(result: Experiment) -> str:
    """The numbers that carry the book's conclusion, in a sentence."""
    s, name = result.summary, result.name
    if name in ("optimizers", "init"):
        final = ", ".join(f"{_(label)} {loss:.3f}" for label, loss in s["final_loss"].items())
        return _("Loss at the end (smoothed as the book does): {final}.").format(final=final)
    if name == "overfit":
        text = _("{label}: train {train:.3f}, test {test:.3f}, gap {gap:.3f}")
        return "; ".join(text.format(label=_(label), **s[label]) for label in ("none", "weight decay", "dropout"))
    if name == "activations":
        ones, xavier = s["saturated"]["sigmoid, std 1"], s["saturated"]["sigmoid, Xavier"]
        text = _("Activations near 0 or 1: with sigmoid and std 1 {low:.0%} to {high:.0%}, with Xavier's {xavier:.0%}.")
        return text.format(low=min(ones), high=max(ones), xavier=max(xavier))
    if name == "numerical-gradient":
        text = _(
            "The numerical gradient agrees with backpropagation (largest relative error {max_relative_error:.1e}) "
            "and takes {ratio:,.0f} times as long ({numerical_seconds:.1f} s against {backprop_seconds:.1e} s on "
            "{images} images): the {training} of this training would take {numerical_training} with it."
        )
        numerical = s["numerical_training_days"] * 86_400
        training = duration(s["training_seconds"])  # "0.1초": the particle after it depends on the unit
        return particles(text.format(training=training, numerical_training=duration(numerical), **s))
    return {
        "batch-norm": _(
            "Batch Normalization learns faster (a higher mean accuracy) at {faster_with_batch_norm} of the {scales} "
            "scales."
        ),
        "hyperparameters": _(
            "The best {best} trials' learning rates lie from {best_lr[0]:.4f} to {best_lr[1]:.4f}, within "
            "{decades:.1f} of the 4 decades searched (validation accuracy up to {best_validation:.4f})."
        ),
    }[name].format(**s)


def experiment_view(result: Experiment, saved: Path | None = None, note: str | None = None) -> list[Block]:
    holds = _("the book's conclusion holds") if result.summary["holds"] else _("the book's conclusion does NOT hold")
    style = "bold green" if result.summary["holds"] else "bold red"
    ending = _("{holds} ({book}; {seconds:.1f} s)").format(holds=holds, book=_(result.book), seconds=result.seconds)
    blocks = [Text(_conclusion(result)), Text(ending, style)]
    if result.name == "batch-norm" and any(None in curve for curve in result.series["without"]):  # under the table
        blocks.insert(0, Text(_("–: diverged (its loss overflowed): no accuracy from then on"), "dim"))
    blocks += [Text(_("Figure: {path}").format(path=saved))] if saved is not None else []
    return blocks + ([Text(note, "yellow")] if note else [])


# --- the figures -----------------------------------------------------------------------------------------------


def draw(result: Experiment, path: str | os.PathLike[str]) -> str | None:
    """The book's figure of ``result`` as a PNG; a note if Korean labels had to fall back to English (no font with
    Hangul is installed: they would show as empty boxes)."""
    translate, note = _, None
    if language() == "ko" and hangul_font() is None:
        translate, note = str, _("No installed font has Hangul, so the figure's labels are in English.")
    fig = FIGURES[result.name](result, translate)
    save_figure(fig, path)
    return note


def _losses(result, _, top: float):
    from ..training.experiments import smooth

    fig, axes = figure(7, 5)
    ax = axes[0][0]
    for (label, losses), marker in zip(result.series.items(), "oxsD", strict=False):
        ax.plot(np.arange(1, len(losses) + 1), smooth(losses), marker=marker, markevery=100, label=_(label))
    ax.set(xlabel=_("iterations"), ylabel=_("loss"), ylim=(0, top))
    ax.legend()
    return fig


def _numerical_gradient(result, _):
    s, series = result.summary, result.series
    fig, axes = figure(15, 4.5, columns=3)
    whole, zoom, accuracy = axes[0]
    for ax, shown in ((whole, len(series["loss"])), (zoom, min(1000, len(series["loss"])))):
        ax.plot(np.arange(1, shown + 1), series["loss"][:shown], linewidth=0.6)
        ax.set(xlabel=_("iteration"), ylabel=_("loss"), xlim=(0, shown), ylim=(0, None))
    whole.set_title(_("the loss by iteration (fig. 4-11)"))
    zoom.set_title(_("enlarged: the first 1,000"))
    accuracy.set_title(_("accuracy by epoch (fig. 4-12)"))
    accuracy.plot(series["epoch"], series["train"], label=_("train acc"))
    accuracy.plot(series["epoch"], series["test"], "--", label=_("test acc"))
    accuracy.set(xlabel=_("epochs"), ylabel=_("accuracy"), ylim=(0, 1))
    accuracy.legend(loc="lower right")
    fig.suptitle(_("The numerical gradient takes {ratio:,.0f} times as long as backpropagation").format(**s))
    return fig


def _activations(result, _):
    fig, axes = figure(13, 13, columns=5, rows=len(result.series))
    for row, (label, histograms) in zip(axes, result.series.items(), strict=True):
        for layer, (ax, counts) in enumerate(zip(row, histograms, strict=True), 1):
            ax.stairs(counts, np.linspace(0, 1, 31), fill=True)
            ax.set_title(f"{layer}-layer" if layer > 1 else f"{label}\n1-layer", fontsize=9)
            ax.set(ylim=(0, 7000) if label.startswith("ReLU") else (0, None))
            ax.tick_params(labelsize=7, labelleft=layer == 1)
    return fig


def _batch_norm(result, _):
    series = result.series
    count = len(series["scales"])
    fig, axes = figure(12, 11 * math.ceil(count / 4) / 4, columns=4, rows=math.ceil(count / 4))
    for index, (ax, std) in enumerate(zip(axes.flat, series["scales"], strict=False)):
        ax.plot(series["batch_norm"][index], label=_("Batch Normalization"))
        ax.plot(np.array(series["without"][index], dtype=float), "--", label=_("Normal (without BatchNorm)"))
        ax.set(title=f"W:{std:.4g}", ylim=(0, 1))
        if None in series["without"][index]:  # its loss overflowed
            ax.text(0.97, 0.03, _("without: diverged"), transform=ax.transAxes, ha="right", color="C1", fontsize=8)
        ax.set(ylabel=_("accuracy") if index % 4 == 0 else "", xlabel=_("epochs") if index >= count - 4 else "")
        ax.tick_params(labelleft=index % 4 == 0, labelbottom=index >= count - 4)
    axes.flat[count - 1].legend(loc="lower right", fontsize=7)
    return fig


def _overfit(result, _):
    fig, axes = figure(15, 4.5, columns=3)
    titles = {"none": _("no regularisation (fig. 6-20)"), "weight decay": _("weight decay λ = 0.1 (fig. 6-21)"),
              "dropout": _("Dropout 0.15 (fig. 6-23)")}  # fmt: skip
    for ax, (label, scores) in zip(axes[0], result.series.items(), strict=True):
        ax.plot(scores["train"], marker="o", markevery=10, label=_("train"))
        ax.plot(scores["test"], marker="s", markevery=10, label=_("test"))
        ax.set(title=titles[label], xlabel=_("epochs"), ylabel=_("accuracy"), ylim=(0, 1))
        ax.legend(loc="lower right")
    return fig


def _hyperparameters(result, _):
    fig, axes = figure(13, 10, columns=5, rows=4)
    for k, (ax, trial) in enumerate(zip(axes.flat, result.series["trials"], strict=False), 1):
        ax.plot(trial["validation"])
        ax.plot(trial["train"], "--")
        ax.set_title(f"Best-{k}\nlr {trial['lr']:.2g}, wd {trial['weight_decay']:.1g}", fontsize=8)
        ax.set(ylim=(0, 1), xticks=[])
        ax.tick_params(labelleft=k % 5 == 1)
    fig.suptitle(_("solid: validation accuracy, dashed: train accuracy"))
    return fig


FIGURES = {
    "numerical-gradient": _numerical_gradient,
    "optimizers": lambda result, _: _losses(result, _, 1.0),
    "activations": _activations,
    "init": lambda result, _: _losses(result, _, 2.5),
    "batch-norm": _batch_norm,
    "overfit": _overfit,
    "hyperparameters": _hyperparameters,
}
