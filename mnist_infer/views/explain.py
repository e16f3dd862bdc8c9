"""The views of looking inside a network (issue 24): a digit's forward pass step by step, the first layer's templates,
which pixels decided, how sure a network should be, how it bears changed digits, the average digit of each class; as
blocks for the terminal and, with ``--save``, as matplotlib figures (:data:`FIGURES`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import N_
from ..i18n import _, ngettext
from . import Bars, Block, Picture, Pictures, Table, Text, source_name, split_name
from .plots import figure, save_figure

_LEVELS = " ▁▂▃▄▅▆▇█"
_PIXELS = N_("pixels")  #: a count of pixels (shift, thicken, thin): "1 pixel", "2 pixels" (:func:`_strength`)
_UNITS = {"shift": _PIXELS, "rotate": N_("degrees, either way"), "scale": N_("times larger or smaller"),
          "thicken": _PIXELS, "thin": _PIXELS, "blur": N_("Gaussian σ, pixels"), "noise": N_("Gaussian σ")}  # fmt: skip
#: The changes' names as people read them (the JSON keeps data.augment's).
_CHANGES = {"none": N_("unchanged"), "shift": N_("shifted"), "rotate": N_("rotated"), "scale": N_("scaled"),
            "thicken": N_("thickened"), "thin": N_("thinned"), "blur": N_("blurred"),
            "noise": N_("noised")}  # fmt: skip


def mosaic(pictures: np.ndarray, each: bool = True, width: int = 80) -> np.ndarray:
    """Arrays ``(K, h, w)`` as one uint8 grey picture, small enough for a terminal: each scaled on its own (``each``:
    its lowest black, its highest white, as matplotlib draws a filter) or all on one scale from 0 (feature maps, whose
    strengths compare); 28×28 ones at half size, tiny ones enlarged, in rows at most ``width`` pixels wide."""
    count, h, w = pictures.shape
    if h > 16 and h % 2 == w % 2 == 0:
        pictures, h, w = pictures.reshape(count, h // 2, 2, w // 2, 2).mean(axis=(2, 4)), h // 2, w // 2
    low = pictures.min(axis=(1, 2), keepdims=True) if each else min(0.0, float(pictures.min()))
    high = pictures.max(axis=(1, 2), keepdims=True) if each else float(pictures.max())
    zoom = max(1, 12 // max(h, w))
    grey = (255 * (pictures - low) / np.maximum(high - low, 1e-12)).astype(np.uint8).repeat(zoom, 1).repeat(zoom, 2)
    h, w = h * zoom + 1, w * zoom + 1  # with the gap
    columns = max(1, min(count, width // w))
    sheet = np.zeros((-(-count // columns) * h - 1, columns * w - 1), np.uint8)
    for i, picture in enumerate(grey):
        top, left = i // columns * h, i % columns * w
        sheet[top : top + h, left : left + w] = 64
        sheet[top : top + h - 1, left : left + w - 1] = picture
    return sheet


def _heading(result, prediction: int) -> Text:
    text = _("{source}  prediction {digit}").format(
        source=source_name(result.source) if result.source else _("your digit"), digit=prediction
    )
    return Text(
        text + ("  " + _("label {label}").format(label=result.label) if result.label is not None else ""), "bold"
    )


def _strongest(values: np.ndarray) -> np.ndarray:
    """Units from the strongest down (a feature map's strength: its largest value)."""
    return np.argsort(-(values.reshape(len(values), -1).max(axis=1) if values.ndim == 3 else values), kind="stable")


def _histogram(values: np.ndarray, bins: int = 12) -> str:
    """All values in one line: a bar per bin from the lowest value to the highest (height: the root of its count)."""
    counts, edges = np.histogram(values, bins)
    levels = np.ceil((len(_LEVELS) - 1) * np.sqrt(counts / counts.max())).astype(int)
    return f"{edges[0]:.3g} {''.join(_LEVELS[i] for i in levels)} {edges[-1]:.3g}"


def explanation_view(result) -> list[Block]:
    prediction, rows = int(np.argmax(result.probabilities)), []
    for name, formula, values in result.steps:
        units = values.reshape(len(values), -1).max(axis=1) if values.ndim == 3 else values
        strongest = " ".join(f"{i}:{units[i]:.3g}" for i in _strongest(values)[:3])
        rows.append((name, "×".join(map(str, values.shape)), _(formula), strongest, _histogram(values)))
    headers = (_("step"), _("shape"), _("computed as"), _("strongest units"), _("histogram"))
    title = _("The forward pass of {network}").format(network=result.architecture)
    blocks: list[Block] = [_heading(result, prediction), Picture(result.image), Table(title, headers, rows)]
    for name, _formula, values in result.steps:
        if values.ndim == 3 and name.startswith("z"):  # a CNN's feature maps after ReLU: the strongest 8, small
            chosen = _strongest(values)[:8]
            caption = _("{name}: maps {maps}").format(name=name, maps=", ".join(map(str, chosen)))
            blocks.append(Picture(mosaic(values[chosen], each=False), caption))
    return [*blocks, Bars(result.probabilities.tolist(), prediction)]


def explanation_figure(result, path):
    """Every step: pictures for the digit and feature maps, bars for rows of units; titled by their formulas."""
    rows = -(-len(result.steps) // 4)
    fig, axes = figure(12, 2.2 * rows, 4, rows)
    for axis in axes.flat[len(result.steps) :]:
        axis.set_axis_off()
    for axis, (name, formula, values) in zip(axes.flat, result.steps, strict=False):
        if values.ndim == 3 or name == "x":
            axis.imshow(result.image if name == "x" else mosaic(values, each=False), cmap="gray")
            axis.set_axis_off()
        else:
            axis.bar(np.arange(values.size), values, width=0.8)
        axis.set_title(_(formula), fontsize=8)
    return save_figure(fig, path)


def saliency_view(result) -> list[Block]:
    (top, other), scale = result.classes, max(float(np.abs(result.map).max()), 1e-12)
    pictures = [Picture(result.image, _("the digit"))] + [
        Picture((255 * np.clip(sign * result.map / scale, 0, 1)).astype(np.uint8), _("ink for {digit}").format(digit=d))
        for sign, d in ((1, top), (-1, other))
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
    fig.colorbar(axes[0, 1].imshow(result.map, cmap="RdBu_r", vmin=-scale, vmax=scale, alpha=0.8), ax=axes[0, 1])
    axes[0, 0].set_title(source_name(result.source))
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
    for axis in axes.flat:
        axis.set_axis_off()
    for axis, template in zip(axes.flat, result.templates, strict=False):
        axis.imshow(template, cmap="gray", interpolation="nearest")
    return save_figure(fig, path)


def reliability_view(result) -> list[Block]:
    reports, shown = result.reports(), {0.0, 0.5, 0.9, 0.99, result.threshold}
    rows = [(Path(r["weights"]).name, f"{c['threshold']:g}", f"{c['answered']:,}", f"{c['coverage']:.4f}",
             "–" if c["accuracy"] is None else f"{c['accuracy']:.4f}")
            for r in reports for c in r["curve"] if c["threshold"] in shown]  # fmt: skip
    title = _("Answering only when at least P sure (its largest probability), on {total:,} images")
    headers = (_("weights"), "P", _("answered"), _("coverage"), _("accuracy"))
    blocks: list[Block] = [Table(title.format(total=reports[0]["total"]), headers, rows, frozenset({1, 2, 3, 4}))]
    for r in reports:
        rows = [(f"{d['low']:.1f}–{d['high']:.1f}", f"{d['count']:,}", f"{d['confidence']:.4f}", f"{d['accuracy']:.4f}")
                for d in r["reliability"]]  # fmt: skip
        title = _("Reliability of {weights}: accuracy per tenth of confidence").format(weights=Path(r["weights"]).name)
        headers = (_("confidence"), _("images"), _("mean confidence"), _("accuracy"))
        blocks += [Text(""), Table(title, headers, rows, frozenset({1, 2, 3}))]
    return blocks


def reliability_figure(result, path):
    """Accuracy against coverage as the threshold P rises (0.5, 0.9, 0.99 marked), and the reliability diagram."""
    fig, axes = figure(11, 4.5, 2)
    curve, diagram = axes[0]
    for r in result.reports():
        points, name = [c for c in r["curve"] if c["accuracy"] is not None], Path(r["weights"]).name
        colour = curve.plot([c["coverage"] for c in points], [c["accuracy"] for c in points], label=name)[0].get_color()
        for c in (c for c in points if c["threshold"] in (0.5, 0.9, 0.99)):
            curve.plot(c["coverage"], c["accuracy"], "o", color=colour)
            left = c["coverage"] > 0.8  # near the right edge: the label on the point's left, inside the axes
            curve.annotate(f"P={c['threshold']:g}", (c["coverage"], c["accuracy"]), (-5 if left else 5, 3), "data",
                           "offset points", fontsize=8, ha="right" if left else "left", color=colour)  # fmt: skip
        bins = r["reliability"]
        diagram.plot([d["confidence"] for d in bins], [d["accuracy"] for d in bins], "-", color=colour, label=name)
        # A tenth holding a few images is a point with a few images behind it: its area says how many.
        most = max(d["count"] for d in bins)
        diagram.scatter([d["confidence"] for d in bins], [d["accuracy"] for d in bins], color=colour, zorder=3,
                        s=[8 + 120 * d["count"] / most for d in bins])  # fmt: skip
    diagram.plot([0, 1], [0, 1], ":", color="grey", label=_("as sure as right"))
    diagram.set_title(_("each point's area: the images in that tenth of confidence"), fontsize=9)
    for axis, x, y in ((curve, _("coverage (answered)"), _("accuracy on those answered")),
                       (diagram, _("confidence (largest probability)"), _("accuracy"))):  # fmt: skip
        axis.set(xlabel=x, ylabel=y)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower left" if axis is curve else "upper left", fontsize=8)
    return save_figure(fig, path)


def _strength(change: str, strength: float) -> str:
    if _UNITS[change] is _PIXELS:
        return ngettext("{count:g} pixel", "{count:g} pixels", 1 if strength == 1 else 2).format(count=strength)
    return f"{strength:g} {_(_UNITS[change])}"


def robustness_view(result) -> list[Block]:
    rows = [(_(_CHANGES[c["change"]]), _strength(c["change"], c["strength"]) if c["strength"] else "",
             *(f"{a:.4f}" for a in c["accuracy"])) for c in result.to_dict()["changes"]]  # fmt: skip
    names = [Path(path).name for path in result.weights]
    title = _("Accuracy on {total:,} test digits, changed (seed {seed})").format(total=result.total, seed=result.seed)
    return [Table(title, (_("change"), _("strength"), *names), rows, frozenset(range(2, 2 + len(names))))]


def robustness_figure(result, path):
    """A panel per change: accuracy against strength (unchanged digits at 0, or at 1 for scale), a line per network."""
    changes = result.to_dict()["changes"]
    fig, axes = figure(12, 5.5, 4, 2)
    axes.flat[-1].set_axis_off()
    for axis, name in zip(axes.flat, _UNITS, strict=False):
        points = [{**changes[0], "strength": float(name == "scale")}, *(c for c in changes if c["change"] == name)]
        for k, label in enumerate(Path(path).name for path in result.weights):
            axis.plot([p["strength"] for p in points], [p["accuracy"][k] for p in points], "o-", ms=3, label=label)
        axis.set_title(f"{_(_CHANGES[name])} ({_(_UNITS[name])})", fontsize=10)
        axis.set_ylim(0, 1)
        axis.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7, loc="lower left")
    return save_figure(fig, path)


def class_means_view(result) -> list[Block]:
    total = int(result.counts.sum())
    title = _("The average {split} digit of each class, 0–4 above 5–9 ({total:,} images)")
    rows = [(str(d), f"{n:,}", f"{n / max(total, 1):.2%}") for d, n in enumerate(result.counts.tolist())]
    headers = (_("digit"), _("images"), _("share"))
    blocks = [Text(title.format(split=split_name(result.split), total=total), "bold"),
              Picture(mosaic(result.means, each=False)),
              Table(_("Images of each digit"), headers, rows, frozenset({1, 2}))]  # fmt: skip
    if result.saved is not None:
        (width, height), path = result.saved[1], result.saved[0]
        blocks.append(
            Text(_("saved to {path} ({width}×{height} pixels)").format(path=path, width=width, height=height))
        )
    return blocks


FIGURES = {"Explanation": explanation_figure, "Saliency": saliency_figure, "Templates": templates_figure,
           "Reliability": reliability_figure, "Robustness": robustness_figure}  # fmt: skip
