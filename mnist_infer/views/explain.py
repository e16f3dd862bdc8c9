"""The views of looking inside a network (issue 24): a digit's forward pass step by step, the first layer's templates,
the saliency of a digit; each as blocks for the terminal and, with ``--save``, as a matplotlib figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import N_
from ..i18n import _
from . import Bars, Block, Picture, Pictures, Table, Text
from .plots import figure, save_figure

_LEVELS = " ▁▂▃▄▅▆▇█"


def mosaic(pictures: np.ndarray, each: bool = True, width: int = 80) -> np.ndarray:
    """Arrays ``(K, h, w)`` as one uint8 grey picture, small enough for a terminal: each scaled on its own (``each``:
    its lowest black, its highest white, as matplotlib draws a filter) or all on one scale from 0 (feature maps, whose
    strengths compare); 28×28 ones at half size, tiny ones enlarged, in rows at most ``width`` pixels wide."""
    count, h, w = pictures.shape
    if h > 16 and h % 2 == w % 2 == 0:
        pictures, h, w = pictures.reshape(count, h // 2, 2, w // 2, 2).mean(axis=(2, 4)), h // 2, w // 2
    low = pictures.min(axis=(1, 2), keepdims=True) if each else min(0.0, float(pictures.min()))
    high = pictures.max(axis=(1, 2), keepdims=True) if each else float(pictures.max())
    grey = (255 * (pictures - low) / np.maximum(high - low, 1e-12)).astype(np.uint8)
    zoom = max(1, 12 // max(h, w))
    grey, h, w = grey.repeat(zoom, axis=1).repeat(zoom, axis=2), h * zoom, w * zoom
    columns = max(1, min(count, width // (w + 1)))
    sheet = np.zeros((-(-count // columns) * (h + 1) - 1, columns * (w + 1) - 1), np.uint8)
    for i, picture in enumerate(grey):
        row, column = divmod(i, columns)
        sheet[row * (h + 1) : row * (h + 1) + h + 1, column * (w + 1) : column * (w + 1) + w + 1] = 64  # the gaps
        sheet[row * (h + 1) : row * (h + 1) + h, column * (w + 1) : column * (w + 1) + w] = picture
    return sheet


def _strongest(values: np.ndarray, count: int = 3) -> str:
    """The strongest units (a feature map's strength: its largest value), as ``index: value``."""
    units = values.reshape(len(values), -1).max(axis=1) if values.ndim == 3 else values
    return "  ".join(f"{i}: {units[i]:.3g}" for i in np.argsort(-units, kind="stable")[:count])


def _histogram(values: np.ndarray, bins: int = 12) -> str:
    """The distribution of all values in one line: a bar per bin from the lowest value to the highest."""
    counts, edges = np.histogram(values, bins)
    levels = np.ceil((len(_LEVELS) - 1) * np.sqrt(counts / counts.max())).astype(int)
    return f"{edges[0]:.3g} {''.join(_LEVELS[i] for i in levels)} {edges[-1]:.3g}"


def _heading(result, prediction: int) -> Text:
    text = _("{source}  prediction {digit}").format(source=result.source or _("your digit"), digit=prediction)
    if result.label is not None:
        text += "  " + _("label {label}").format(label=result.label)
    return Text(text, "bold")


def explanation_view(result) -> list[Block]:
    prediction = int(np.argmax(result.probabilities))
    rows = [
        (name, "×".join(map(str, values.shape)), formula, _strongest(values), _histogram(values))
        for name, formula, values in result.steps
    ]
    headers = (_("step"), _("shape"), _("computed as"), _("strongest units"), _("histogram (lowest to highest)"))
    blocks: list[Block] = [_heading(result, prediction), Picture(result.image)]
    blocks.append(Table(_("The forward pass of {network}").format(network=result.architecture), headers, rows))
    for name, _formula, values in result.steps:
        if values.ndim == 3 and name.startswith("z"):  # a CNN's feature maps after ReLU, the strongest 8, small
            strongest = np.argsort(-values.reshape(len(values), -1).max(axis=1), kind="stable")[:8]
            caption = _("{name}: maps {maps}").format(name=name, maps=", ".join(map(str, strongest)))
            blocks.append(Picture(mosaic(values[strongest], each=False), caption))
    return [*blocks, Bars(result.probabilities.tolist(), prediction)]


def explanation_figure(result, path):
    """Every step's values: pictures for images and feature maps, bars for rows of units."""
    rows = -(-len(result.steps) // 4)
    fig, axes = figure(12, 2.2 * rows, 4, rows)
    for axis, (name, formula, values) in zip(axes.flat, result.steps, strict=False):
        if values.ndim == 3 or name == "x":
            axis.imshow(result.image if name == "x" else mosaic(values, each=False), cmap="gray")
            axis.set_axis_off()
        else:
            axis.bar(np.arange(values.size), values, width=0.8)
        axis.set_title(formula, fontsize=8)
    for axis in axes.flat[len(result.steps) :]:
        axis.set_axis_off()
    return save_figure(fig, path)


def saliency_view(result) -> list[Block]:
    top, other = result.classes
    scale = max(float(np.abs(result.map).max()), 1e-12)
    pictures = [
        Picture(result.image, _("the digit")),
        Picture((255 * np.clip(result.map / scale, 0, 1)).astype(np.uint8), _("ink for {digit}").format(digit=top)),
        Picture((255 * np.clip(-result.map / scale, 0, 1)).astype(np.uint8), _("ink for {digit}").format(digit=other)),
    ]
    line = _("Why {top} and not {other}: input × the gradient of score {top} - score {other}; bright pixels pushed the "
             "answer towards that digit.").format(top=top, other=other)  # fmt: skip
    return [_heading(result, top), Text(line), Pictures(pictures), Bars(result.probabilities.tolist(), top)]


def saliency_figure(result, path):
    """The digit, and the saliency map over it (red: for the answer, blue: for the runner-up)."""
    fig, axes = figure(8, 4, 2)
    scale = max(float(np.abs(result.map).max()), 1e-12)
    axes[0, 0].imshow(result.image, cmap="gray")
    axes[0, 1].imshow(result.image, cmap="gray", alpha=0.35)
    shown = axes[0, 1].imshow(result.map, cmap="RdBu_r", vmin=-scale, vmax=scale, alpha=0.8)
    fig.colorbar(shown, ax=axes[0, 1], shrink=0.8)
    axes[0, 0].set_title(result.source)
    axes[0, 1].set_title(_("why {top} and not {other}").format(top=result.classes[0], other=result.classes[1]))
    for axis in axes.flat:
        axis.set_axis_off()
    return save_figure(fig, path)


def templates_view(result) -> list[Block]:
    count, h, w = result.templates.shape
    title = _("What each of the {count} units of {network}'s first layer looks for (W1, {h}×{w} each)").format(
        count=count, network=result.architecture, h=h, w=w
    )
    note = _("bright: where ink raises the unit; dark: where ink lowers it (each on its own scale)")
    return [Text(title, "bold"), Picture(mosaic(result.templates)), Text(note, "dim")]


def templates_figure(result, path):
    """The templates in rows of 8, each on its own scale, as ch07's visualize_filter.py draws filters."""
    rows = -(-len(result.templates) // 8)
    fig, axes = figure(8, rows * 1.05, 8, rows)
    for axis, template in zip(axes.flat, result.templates, strict=False):
        axis.imshow(template, cmap="gray", interpolation="nearest")
    for axis in axes.flat:
        axis.set_axis_off()
    return save_figure(fig, path)


def reliability_view(result) -> list[Block]:
    reports = result.reports()
    shown = {0.0, 0.5, 0.9, 0.99, result.threshold}
    rows = [
        (Path(r["weights"]).name, f"{c['threshold']:g}", f"{round(c['coverage'] * r['total']):,}",
         f"{c['coverage']:.4f}", "–" if c["accuracy"] is None else f"{c['accuracy']:.4f}")
        for r in reports for c in r["curve"] if c["threshold"] in shown
    ]  # fmt: skip
    title = _("Answering only when at least P sure (its largest probability), on {total:,} images").format(
        total=reports[0]["total"]
    )
    headers = (_("weights"), "P", _("answered"), _("coverage"), _("accuracy"))
    blocks: list[Block] = [Table(title, headers, rows, frozenset({1, 2, 3, 4}))]
    for r in reports:
        rows = [
            (f"{d['low']:.1f}–{d['high']:.1f}", f"{d['count']:,}", f"{d['confidence']:.3f}", f"{d['accuracy']:.3f}")
            for d in r["reliability"]
        ]
        title = _("Reliability of {weights}: accuracy per tenth of confidence").format(weights=Path(r["weights"]).name)
        headers = (_("confidence"), _("images"), _("mean confidence"), _("accuracy"))
        blocks += [Text(""), Table(title, headers, rows, frozenset({1, 2, 3}))]
    return blocks


def reliability_figure(result, path):
    """Accuracy against coverage as the threshold P rises (0.5, 0.9, 0.99 marked), and the reliability diagram."""
    fig, axes = figure(11, 4.5, 2)
    curve, diagram = axes[0]
    for r in result.reports():
        points = [c for c in r["curve"] if c["accuracy"] is not None]
        line = curve.plot(
            [c["coverage"] for c in points], [c["accuracy"] for c in points], label=Path(r["weights"]).name
        )
        for c in (c for c in points if c["threshold"] in (0.5, 0.9, 0.99)):
            curve.plot(c["coverage"], c["accuracy"], "o", color=line[0].get_color())
            curve.annotate(f"P={c['threshold']:g}", (c["coverage"], c["accuracy"]), fontsize=8, xytext=(4, -10),
                           textcoords="offset points")  # fmt: skip
        bins = r["reliability"]
        diagram.plot(
            [d["confidence"] for d in bins], [d["accuracy"] for d in bins], "o-", label=Path(r["weights"]).name
        )
    diagram.plot([0, 1], [0, 1], ":", color="grey", label=_("as sure as right"))
    for axis, (x, y) in ((curve, (_("coverage (answered)"), _("accuracy on those answered"))),
                         (diagram, (_("confidence (largest probability)"), _("accuracy")))):  # fmt: skip
        axis.set_xlabel(x)
        axis.set_ylabel(y)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower left" if axis is curve else "upper left", fontsize=8)
    return save_figure(fig, path)


_PIXELS = N_("pixels")
_UNITS = {"shift": _PIXELS, "rotate": N_("degrees, either way"), "scale": N_("times larger or smaller"),
          "thicken": _PIXELS, "thin": _PIXELS, "blur": N_("Gaussian σ, pixels"), "noise": N_("Gaussian σ")}  # fmt: skip


def _changes(result) -> list[tuple[str, float, list[float]]]:
    """(change, strength, accuracy of each network) rows, "none" first, from the result's JSON."""
    report = result.to_dict()["networks"]
    rows = [("none", 0.0, [n["clean"] for n in report])]
    for name, points in report[0]["perturbations"].items():
        rows += [(name, p["strength"], [n["perturbations"][name][i]["accuracy"] for n in report])
                 for i, p in enumerate(points)]  # fmt: skip
    return rows


def robustness_view(result) -> list[Block]:
    rows = [(name, f"{strength:g} {_(_UNITS[name])}" if strength else "", *(f"{a:.4f}" for a in accuracies))
            for name, strength, accuracies in _changes(result)]  # fmt: skip
    names = [Path(path).name for path in result.weights]
    title = _("Accuracy on {total:,} test digits, changed (seed {seed})").format(total=result.total, seed=result.seed)
    columns = frozenset(range(2, 2 + len(names)))
    return [Table(title, (_("change"), _("strength"), *names), rows, columns)]


def robustness_figure(result, path):
    """A panel per change: accuracy against its strength (0: the digits as they are), a line per network."""
    rows = _changes(result)
    fig, axes = figure(12, 5.5, 4, 2)
    clean = rows[0][2]
    for axis, name in zip(axes.flat, dict.fromkeys(row[0] for row in rows[1:]), strict=False):
        points = [(float(name == "scale"), clean)] + [(s, a) for n, s, a in rows if n == name]  # scale 1: unchanged
        for k, label in enumerate(Path(path).name for path in result.weights):
            axis.plot([p[0] for p in points], [p[1][k] for p in points], "o-", markersize=3, label=label)
        axis.set_title(f"{name} ({_(_UNITS[name])})", fontsize=10)
        axis.set_ylim(0, 1)
        axis.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7, loc="lower left")
    axes.flat[-1].set_axis_off()
    return save_figure(fig, path)


def class_means_view(result) -> list[Block]:
    total = int(result.counts.sum())
    title = _("The average {split} digit of each class, 0–4 above 5–9 ({total:,} images)").format(
        split=result.split, total=total
    )
    rows = [(str(d), f"{n:,}", f"{n / max(total, 1):.2%}") for d, n in enumerate(result.counts.tolist())]
    blocks: list[Block] = [Text(title, "bold"), Picture(mosaic(result.means, each=False))]
    blocks.append(Table(_("Images of each digit"), (_("digit"), _("images"), _("share")), rows, frozenset({1, 2})))
    if result.saved is not None:
        path, (width, height) = result.saved
        blocks.append(
            Text(_("saved to {path} ({width}×{height} pixels)").format(path=path, width=width, height=height))
        )
    return blocks


FIGURES = {"Explanation": explanation_figure, "Saliency": saliency_figure, "Templates": templates_figure,
           "Reliability": reliability_figure, "Robustness": robustness_figure}  # fmt: skip
