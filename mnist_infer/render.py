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
    lines = Text()
    lines.append(f"Accuracy:{evaluation.accuracy}\n", style="bold")
    lines.append(f"{evaluation.correct:,} of {evaluation.total:,} {evaluation.split} images correct\n")
    lines.append(
        f"{evaluation.seconds * 1000:.1f} ms, {evaluation.images_per_second:,.0f} images/s "
        f"(batch size {evaluation.batch_size})"
    )
    if known is not None and evaluation.split == "test" and evaluation.total == known.test_total:
        same = evaluation.correct == known.test_correct
        lines.append(
            f"\n{known.name}: the book reports {known.test_accuracy} "
            + ("— reproduced" if same else f"— got {evaluation.accuracy} instead"),
            style="green" if same else "red",
        )
    console.print(Panel(lines, title=f"evaluate {evaluation.weights}", title_align="left", expand=False))


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
