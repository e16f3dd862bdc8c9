"""Rendering for the terminal (Rich): digits, tables of activations, probability bars, evaluation panels.

Nothing here computes; every function takes results from the core and draws them. Where colour is off (a pipe,
``NO_COLOR``, a dumb terminal) digits are drawn with an ASCII ramp instead of grey half-blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .download import FileReport
from .evaluation import Evaluation
from .predictions import Prediction
from .weights import KnownWeights

ASCII_RAMP = " .:-=+*#%@"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def is_plain(console: Console) -> bool:
    """True where colour cannot be shown, so pictures must be drawn with characters."""
    return console.no_color or console.color_system is None


def digit_text(image: np.ndarray, plain: bool) -> Text:
    """A 28×28 uint8 digit at full resolution.

    In colour each character cell holds two pixels: the upper half-block ``▀`` in the upper pixel's grey over a
    background of the lower pixel's grey. Plain, each pixel is two characters of an ASCII ramp.
    """
    if plain:
        levels = (image.astype(np.uint16) * len(ASCII_RAMP) // 256).tolist()
        return Text("\n".join("".join(ASCII_RAMP[v] * 2 for v in row) for row in levels))
    text = Text()
    rows = image.tolist()
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        for upper, lower in zip(top, bottom, strict=True):
            text.append("▀", style=f"rgb({upper},{upper},{upper}) on rgb({lower},{lower},{lower})")
        text.append("\n")
    text.rstrip()
    return text


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in np.ravel(values)) + "]"


def render_toy(console: Console, values: dict[str, np.ndarray]) -> None:
    """The toy network's values, one row per step of the forward pass."""
    table = Table(title="Toy network 2-3-2-2 (Deep Learning from Scratch, 3.4.3)", title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("value")
    table.add_column("computed as", style="dim")
    explanations = {
        "x": "input",
        "a1": "x·W1 + b1",
        "z1": "sigmoid(a1)",
        "a2": "z1·W2 + b2",
        "z2": "sigmoid(a2)",
        "a3": "z2·W3 + b3",
        "y": "identity(a3)",
        "softmax": "softmax(a3)",
    }
    for key, how in explanations.items():
        table.add_row(key, _vector(values[key]), how)
    console.print(table)


def render_digits(console: Console, entries: Sequence[tuple[str, np.ndarray]]) -> None:
    plain = is_plain(console)
    for title, image in entries:
        console.print(Text(title, style="bold"))
        console.print(digit_text(image, plain))


def probability_bar(probability: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    eighths = round(probability * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def render_predictions(console: Console, predictions: Sequence[Prediction], show_input: bool = False) -> None:
    """Per image: the picture (an image file as given, and with ``show_input`` the 28×28 the network saw),
    the verdict, and a bar chart of the ten probabilities."""
    plain = is_plain(console)
    for item in predictions:
        bars = Table.grid(padding=(0, 1))
        bars.add_column(justify="right")
        bars.add_column()
        bars.add_column(justify="right")
        for digit, probability in enumerate(item.probabilities):
            chosen = digit == item.prediction
            bars.add_row(
                str(digit),
                Text(probability_bar(float(probability)), style="green" if chosen else "blue"),
                Text(f"{probability:6.1%}", style="bold" if chosen else ""),
            )
        heading = Text.assemble((f"{item.source}  ", "bold"), "prediction ", (str(item.prediction), "bold"))
        if item.label is not None:
            verdict = ("✓", "green") if item.label == item.prediction else ("✗", "red")
            heading.append(f"  label {item.label} ")
            heading.append(*verdict)
        pictures = [item.image] if item.preview is None else [item.preview]
        if show_input and item.preview is not None:
            pictures.append(item.image)
        drawn = [digit_text(picture, plain) for picture in pictures]
        if plain:  # an ASCII picture is 56 columns wide: bars go below
            body = Group(heading, *drawn, bars)
        else:
            layout = Table.grid(padding=(0, 3))
            layout.add_row(*drawn, bars)
            body = Group(heading, layout)
        console.print(Panel(body, expand=False))


def render_evaluation(console: Console, evaluation: Evaluation, known: KnownWeights | None = None) -> None:
    """The accuracy panel: as the book prints it, with counts, time and speed."""
    lines = Text()
    lines.append(f"Accuracy:{evaluation.accuracy}\n", style="bold")
    lines.append(f"{evaluation.correct:,} of {evaluation.total:,} {evaluation.split} images correct\n")
    lines.append(
        f"{evaluation.seconds * 1000:.1f} ms, {evaluation.images_per_second:,.0f} images/s "
        f"(batch size {evaluation.batch_size})"
    )
    if evaluation.batch_size == 1:
        lines.append("\nthe book's per-image loop: compare the default batch size", style="dim")
    if known is not None and evaluation.split == "test" and evaluation.total == known.test_total:
        same = evaluation.correct == known.test_correct
        lines.append(
            f"\n{known.name}: the book reports {known.test_accuracy} "
            + ("— reproduced" if same else f"— got {evaluation.accuracy} instead"),
            style="green" if same else "red",
        )
    console.print(Panel(lines, title=f"evaluate {evaluation.weights}", title_align="left", expand=False))


def render_evaluation_report(console: Console, evaluation: Evaluation, known: KnownWeights | None = None) -> None:
    """Accuracy panel, per-class table and confusion matrix."""
    render_evaluation(console, evaluation, known)
    console.print(per_class_table(evaluation))
    console.print(confusion_table(evaluation.confusion, is_plain(console)))


def per_class_table(evaluation: Evaluation) -> Table:
    table = Table(title="Per class", title_justify="left")
    for name in ("digit", "support", "correct", "precision", "recall", "F1"):
        table.add_column(name, justify="right")
    for row in evaluation.per_class:
        table.add_row(
            str(row.digit),
            f"{row.support:,}",
            f"{row.correct:,}",
            f"{row.precision:.4f}",
            f"{row.recall:.4f}",
            f"{row.f1:.4f}",
        )
    return table


def confusion_table(confusion: np.ndarray, plain: bool) -> Table:
    """The confusion matrix as a heat map: rows are true digits, columns predicted ones."""
    table = Table(title="Confusion matrix (rows: true digit, columns: predicted)", title_justify="left")
    table.add_column("true", justify="right", style="bold")
    for digit in range(len(confusion)):
        table.add_column(str(digit), justify="right")
    errors_max = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
    for true, row in enumerate(confusion):
        cells = []
        for predicted, count in enumerate(row):
            if plain or count == 0:
                style = "dim" if count == 0 else ""
            elif true == predicted:
                style = "bold black on green"
            else:  # mistakes glow redder the more there are
                level = 60 + int(195 * (count / errors_max) ** 0.5)
                style = f"white on rgb({level},{level // 5},{level // 5})"
            cells.append(Text(f"{count:,}", style=style))
        table.add_row(str(true), *cells)
    return table


def render_comparison(console: Console, evaluations: Sequence[Evaluation], disagreements: np.ndarray) -> None:
    """Several weights on the same images: accuracies side by side, where they differ, recall per digit."""
    first = evaluations[0]
    table = Table(title=f"{first.total:,} {first.split} images", title_justify="left")
    table.add_column("weights")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("images/s", justify="right")
    table.add_column("disagrees on", justify="right")
    for evaluation, count in zip(evaluations, disagreements, strict=True):
        table.add_row(
            evaluation.weights,
            f"{evaluation.correct:,}",
            f"{evaluation.accuracy:.4f}",
            f"{evaluation.images_per_second:,.0f}",
            f"{int(count):,}",
        )
    console.print(table)
    recall = Table(title="Recall per digit", title_justify="left")
    recall.add_column("digit", justify="right")
    for index, _ in enumerate(evaluations, start=1):
        recall.add_column(f"#{index}", justify="right")
    for digit in range(len(first.confusion)):
        recall.add_row(str(digit), *(f"{e.per_class[digit].recall:.4f}" for e in evaluations))
    console.print(recall)


class EvaluationProgress:
    """A progress bar for evaluations long enough to wait for: it appears only after a moment."""

    DELAY = 0.3  #: seconds before the bar shows (a test-set evaluation is over by then)

    def __init__(self, console: Console, description: str) -> None:
        self._console, self._description = console, description
        self._progress = None
        self._task = None
        self._start = 0.0

    def __enter__(self) -> EvaluationProgress:
        import time

        self._start = time.perf_counter()
        return self

    def __call__(self, done: int, total: int) -> None:
        import time

        if self._progress is None:
            if time.perf_counter() - self._start < self.DELAY or done >= total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total)
        self._progress.update(self._task, completed=done)

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()


class DownloadProgress:
    """Rich progress bars for :mod:`mnist_infer.download`: one bar per file, with bytes, rate and time left."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = None

    def __enter__(self) -> DownloadProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def start(self, name: str, source: str, total: int | None, done: int) -> None:
        self._task = self._progress.add_task(name, total=total, completed=done)

    def advance(self, nbytes: int) -> None:
        self._progress.advance(self._task, nbytes)

    def finish(self) -> None:
        self._progress.remove_task(self._task)


def render_download_report(console: Console, reports: Sequence[FileReport], data_dir: str) -> None:
    table = Table(title=f"Data directory {data_dir}", title_justify="left")
    table.add_column("file", no_wrap=True)
    table.add_column("bytes", justify="right")
    table.add_column("checksum")
    table.add_column("status")
    table.add_column("source", overflow="fold")
    checks = {
        "sha256": "sha256 ✓",
        "content-sha256": "content sha256 ✓ (re-gzipped)",
        "content-md5": "content md5 ✓ (re-gzipped)",
    }
    for report in reports:
        failed = report.status == "failed"
        if failed:
            source = f"{len(report.attempts)} source(s) failed, see below"
        elif report.source:
            source = report.source.removesuffix(report.name)
        else:
            source = "already here"
        table.add_row(
            report.name,
            f"{report.size:,}" if report.size is not None else "",
            Text("✗", style="red") if failed else checks.get(report.verified or "", ""),
            Text(report.status, style="red" if failed else "green"),
            source,
        )
    console.print(table)
