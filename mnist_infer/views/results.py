"""The view of each result: the same content for the terminal and for a pipe, as blocks (see :mod:`mnist_infer.views`).

Each function takes one kind of result and says it, in the user's language; nothing here computes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..catalog import KnownFile
from ..i18n import _, ngettext
from ..paths import is_packaged
from . import Bars, Block, Cell, Picture, Pictures, Table, Text, explain, source_name, split_name
from .experiments import experiment_view


def view(result, **options) -> list[Block]:
    """The blocks that say ``result`` (options: what the command asked to see, such as ``show_input``)."""
    return VIEWS[type(result).__name__](result, **options)


def source(path: str | Path) -> str:
    """Where a file came from, for people: its path, or that it is the package's own copy."""
    return _("{name} (packaged with mnist-infer)").format(name=Path(path).name) if is_packaged(path) else str(path)


def network_name(summary: str) -> str:
    """An architecture's summary (``784-50-100-10 relu batch norm dropout 0.5``) in the user's words."""
    return summary.replace(" batch norm", " " + _("batch norm")).replace(" dropout ", " " + _("dropout") + " ")


def book_figure(known: KnownFile | None, correct: int | None = None) -> str | None:
    """What the book's own code gives with these weights, and whether ``correct`` reproduces it."""
    if known is None:
        return None
    figure = f"{known.test_accuracy:.4f}"
    if known.reupload:
        line = _(
            "{name}: the {year} re-upload, for which the book's code gives {figure}; the 2016 original scores "
            "{original}"
        ).format(name=known.name, year=known.reupload, figure=figure, original=_original(known.name))
    else:
        line = _("{name}: the book reports {figure}").format(name=known.name, figure=figure)
    if correct is None:
        return line
    outcome = (
        _("reproduced")
        if correct == known.test_correct
        else _("got {accuracy:.4f} instead").format(accuracy=correct / 10_000)
    )
    return f"{line} — {outcome}"


def _original(name: str) -> float | None:
    from ..catalog import FILES

    return f"{FILES[name].test_accuracy:.4f}" if name in FILES else None


# --- the toy network, digits, predictions ----------------------------------------------------------------------


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in np.ravel(values)) + "]"


def toy_view(result) -> list[Block]:
    steps = {
        "x": _("input"),
        "a1": "x·W1 + b1",
        "z1": _("sigmoid(a1)"),
        "a2": "z1·W2 + b2",
        "z2": _("sigmoid(a2)"),
        "a3": "z2·W3 + b3",
        "y": _("identity(a3)"),
        "softmax": _("softmax(a3)"),
    }
    rows = [(key, _vector(result.values[key]), how) for key, how in steps.items()]
    title = _("Toy network 2-3-2-2 (Deep Learning from Scratch, 3.4.3)")
    return [Table(title, (_("step"), _("value"), _("computed as")), rows)]


def digits_view(result) -> list[Block]:
    captions = [
        _("{split}[{index}]  label {label}").format(split=split_name(result.split), index=i, label=label)
        for i, label in zip(result.indices, result.labels, strict=True)
    ]
    blocks: list[Block] = [
        Pictures([Picture(image, caption) for image, caption in zip(result.images, captions, strict=True)])
    ]
    blocks.append(
        Text(_("{split} images: {source}").format(split=split_name(result.split), source=source(result.data)), "dim")
    )
    if result.saved is not None:
        path, (width, height) = result.saved
        blocks.append(
            Text(
                ngettext(
                    "saved {count} digit to {path} ({width}×{height} pixels)",
                    "saved {count} digits to {path} ({width}×{height} pixels)",
                    len(result.indices),
                ).format(count=len(result.indices), path=path, width=width, height=height)
            )
        )
    return blocks


def verdict(right: bool) -> str:
    return "✓" if right else "✗"


def _dark_ink(preview: np.ndarray) -> bool:
    """Whether a user's picture has dark ink: drawn in characters inverted, so that its ink is dense (``@``), as an
    MNIST digit's is, whichever way round the picture is."""
    from ..data.pictures import ink_is_dark

    return ink_is_dark(preview.astype(np.float32) / 255.0)


def predictions_view(result, show_input: bool = False, saved: tuple[int, Path] | None = None) -> list[Block]:
    blocks: list[Block] = []
    for item in result.items:
        if hasattr(item, "error"):
            blocks.append(
                Text(
                    _("{source}  could not be read: {error}").format(
                        source=item.source,
                        error=" ".join(item.error.render(_).split()).removeprefix(item.source + ": "),
                    ),
                    "red",
                )
            )
            continue
        shown = source_name(item.source)
        heading = _("{source}  prediction {digit}").format(source=shown, digit=item.prediction)
        style = "bold"
        if not item.sure:  # softmax is not certainty (3.5.3): below the threshold the answer is a guess
            confidence = float(item.probabilities[item.prediction])
            heading = _("{source}  not sure: perhaps {digit} ({confidence:.1%}, below {threshold:.0%})").format(
                source=shown, digit=item.prediction, confidence=confidence, threshold=item.threshold
            )
        if item.label is not None:
            heading += "  " + _("label {label}").format(label=item.label) + " " + verdict(item.label == item.prediction)
            style = "bold green" if item.label == item.prediction else "bold red"
        style = style if item.sure else "bold yellow"
        blocks.append(Text(heading, style))
        if item.preview is None:
            blocks.append(Picture(item.image))
        elif show_input:
            yours = Picture(item.preview, _("your picture"), dark_ink=_dark_ink(item.preview))
            blocks.append(Pictures([yours, Picture(item.image, _("what the network sees (28×28)"))]))
        else:
            blocks.append(Picture(item.preview, dark_ink=_dark_ink(item.preview)))
        blocks.append(Bars([float(p) for p in item.probabilities], item.prediction))
    sources = [_("weights: {source}").format(source=source(result.weights))]
    if result.data is not None:
        sources.append(_("test images: {source}").format(source=source(result.data)))
    blocks.append(Text("; ".join(sources), "dim"))
    if saved is not None:
        saying = ngettext("saved {count} input to {path}", "saved {count} inputs to {path}", saved[0])
        blocks.append(Text(saying.format(count=saved[0], path=saved[1])))
    return blocks


# --- evaluations -----------------------------------------------------------------------------------------------


def evaluation_view(evaluation) -> list[Block]:
    e = evaluation
    lines = [
        Text(_("evaluate {weights}").format(weights=source(e.weights)), "bold"),
        Text(_("network: {architecture}").format(architecture=network_name(e.architecture)), "dim"),
        Text(_("Accuracy: {accuracy:.4f}").format(accuracy=e.accuracy), "bold"),
        Text(
            ngettext(
                "{correct:,} of {total:,} {split} image correct",
                "{correct:,} of {total:,} {split} images correct",
                e.total,
            ).format(correct=e.correct, total=e.total, split=split_name(e.split))
        ),
        Text(_("{split} images: {source}").format(split=split_name(e.split), source=source(e.data[0])), "dim"),
        Text(
            _("{ms:.1f} ms, {rate:,.0f} images/s (batch size {batch})").format(
                ms=e.seconds * 1000, rate=e.images_per_second, batch=e.batch_size
            )
        ),
    ]
    if e.batch_size == 1:
        lines.append(Text(_("the book's per-image loop: compare the default batch size")))
    if e.reproduces is not None:
        lines.append(Text(book_figure(e.known, e.correct), "green" if e.reproduces else "red"))
    elif e.known is not None and e.known.reupload:
        lines.append(Text(book_figure(e.known), "yellow"))
    headers = (_("digit"), _("support"), _("correct"), _("precision"), _("recall"), "F1")
    predicted = e.confusion.sum(axis=0)
    rows = [
        (str(r.digit), f"{r.support:,}", f"{r.correct:,}", _score(r.precision, predicted[r.digit]),
         _score(r.recall, r.support), _score(r.f1, min(r.support, predicted[r.digit])))
        for r in e.per_class
    ]  # fmt: skip
    undefined = [Text(_("–: not defined (no image of that digit, or none classified as it)"), "dim")]
    return [
        *lines,
        Text(""),
        Table(_("Per class"), headers, rows, frozenset(range(6))),
        *(undefined if any("–" in row for row in rows) else []),
        Text(""),
        confusion_table(e.confusion),
    ]


def _score(value: float, images: int) -> str:
    """A precision, recall or F1 over ``images`` images: "–" over none (a fraction of nothing, not 0)."""
    return f"{value:.4f}" if images else "–"


def confusion_table(confusion: np.ndarray) -> Table:
    """The confusion matrix as a heat map: the diagonal green, mistakes redder the more there are, zeros dim."""
    errors_max = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
    rows = []
    for true, counts in enumerate(confusion):
        row = [str(true)]
        for predicted, count in enumerate(counts):
            level = 60 + int(195 * (count / errors_max) ** 0.5)
            style = (
                "dim"
                if count == 0
                else "bold black on green"
                if true == predicted
                else f"white on rgb({level},{level // 5},{level // 5})"
            )
            row.append(Cell(f"{count:,}", style))
        rows.append(row)
    headers = (_("true"), *map(str, range(len(confusion))))
    title = _("Confusion matrix (rows: true digit, columns: predicted)")
    return Table(title, headers, rows, frozenset(range(len(headers))), matrix=True)


def comparison_view(comparison) -> list[Block]:
    evaluations = comparison.evaluations
    first = evaluations[0]
    names = [Path(e.weights).name for e in evaluations]
    rows = [
        (name, network_name(e.architecture), f"{e.correct:,}", f"{e.accuracy:.4f}")
        for name, e in zip(names, evaluations, strict=True)
    ]
    headers = (_("weights"), _("network"), _("correct"), _("accuracy"))
    title = _("{total:,} {split} images").format(total=first.total, split=split_name(first.split))
    blocks: list[Block] = [Table(title, headers, rows, frozenset({2, 3}))]
    for e in evaluations:
        if e.reproduces is not None:
            blocks.append(Text(book_figure(e.known, e.correct), "green" if e.reproduces else "red"))
        elif e.known is not None and e.known.reupload:
            blocks.append(Text(book_figure(e.known), "yellow"))
    pairs = comparison.pairwise()
    blocks.append(Text(""))
    if len(evaluations) == 2:
        blocks.append(Text(_("they disagree on {count:,} images").format(count=int(pairs[0, 1]))))
    else:
        rows = [(names[i], *(f"{int(n):,}" for n in pairs[i])) for i in range(len(evaluations))]
        columns = frozenset(range(1, len(names) + 1))
        blocks.append(Table(_("Images on which two of them disagree"), ("", *names), rows, columns))
    recall = [(str(d), *(_score(e.per_class[d].recall, e.per_class[d].support) for e in evaluations))
              for d in range(len(first.confusion))]  # fmt: skip
    blocks += [Text(""), Table(_("Recall per digit"), (_("digit"), *names), recall, frozenset(range(len(names) + 1)))]
    return blocks


# --- downloads, training ---------------------------------------------------------------------------------------


def downloads_view(report) -> list[Block]:
    checks = {
        "sha256": _("sha256 ✓"),
        "content-sha256": _("content sha256 ✓ (re-gzipped)"),
        "content-md5": _("content md5 ✓"),
    }
    statuses = {"present": _("present"), "downloaded": _("downloaded"), "failed": _("failed"), "copied": _("copied")}
    rows = []
    for item in report.files:
        failed, status = item.status == "failed", "copied" if item.copied else item.status
        if failed:
            count = len(item.attempts)
            origin = ngettext("{count} source failed", "{count} sources failed", count).format(count=count)
        elif item.source and is_packaged(item.source):
            origin = _("packaged with mnist-infer")
        elif item.source:
            origin = item.source.removesuffix(item.name)
        else:
            origin = _("already here")
        rows.append(
            (
                item.name,
                f"{item.size:,}" if item.size is not None else "",
                Cell("✗", "red") if failed else checks.get(item.verified or "", ""),
                Cell(statuses[status], "red" if failed else "green"),
                origin,
            )
        )
    headers = (_("file"), _("bytes"), _("checksum"), _("status"), _("source"))
    return [Table(_("Data directory {path}").format(path=report.data_dir), headers, rows, frozenset({1}))]


def gradient_check_view(result) -> list[Block]:
    rows = [
        (c.label or c.name, str(c.size), f"{c.error:.2e}", Cell("✓", "green") if c.passed else Cell("✗", "bold red"))
        for c in result.checks
    ]
    title = _("Gradient check: backpropagation against the numerical gradient (float64)")
    agrees = _("backpropagation agrees") if result.passed else _("backpropagation DISAGREES")
    verdict_line = _("largest relative error {worst:.2e} (bound {bound:g}): {verdict}").format(
        worst=result.worst, bound=result.tolerance, verdict=agrees
    )
    headers = (_("gradient"), _("values"), _("max relative error"), "")
    return [Table(title, headers, rows, frozenset({1, 2})), Text(verdict_line, "bold" if result.passed else "bold red")]


#: The view of each kind of result, by the name of its class (so that drawing one imports no other).
VIEWS = {
    "ToyPass": toy_view,
    "Digits": digits_view,
    "Predictions": predictions_view,
    "Evaluation": evaluation_view,
    "Comparison": comparison_view,
    "DownloadReport": downloads_view,
    "GradientCheck": gradient_check_view,
    "Experiment": experiment_view,
    "Explanation": explain.explanation_view,
    "Saliency": explain.saliency_view,
    "Templates": explain.templates_view,
    "Reliability": explain.reliability_view,
    "Robustness": explain.robustness_view,
    "ClassMeans": explain.class_means_view,
}
