"""Training in the terminal: what is trained, a progress bar per epoch, a line per finished epoch, the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from ..gradient_check import Check
    from ..training import EpochRecord, TrainingConfig, TrainingResult

_COLUMNS = ("epoch", "loss", "train acc", "val acc", "test acc", "seconds")
_WIDTHS = (7, 9, 10, 9, 9, 8)


def render_plan(console: Console, config: TrainingConfig, train_images: int, test_images: int | None) -> None:
    sizes = "-".join(map(str, config.sizes))
    lines = Text()
    lines.append(f"Training {sizes} ", style="bold")
    lines.append(
        f"{config.activation}, {config.initialisation} init, {config.optimizer} lr {config.learning_rate:g}, "
        f"batch {config.batch_size}, {config.epochs} epoch{'s' if config.epochs > 1 else ''}, seed {config.seed}"
    )
    extras = [f"weight decay {config.weight_decay:g}"] if config.weight_decay else []
    extras += ["augmented digits"] if config.augment else []
    if extras:
        lines.append(", " + ", ".join(extras))
    held_out = f", {config.validation:,} held out for validation" if config.validation else ""
    tested = f"; test: {test_images:,} images" if test_images else "; no test split in the data directory"
    lines.append(f"\n{train_images:,} training images{held_out}{tested}")
    console.print(lines, soft_wrap=True)  # whole lines in a pipe; a terminal wraps them itself
    console.print(Text("".join(name.rjust(width) for name, width in zip(_COLUMNS, _WIDTHS, strict=True)), "bold"))


def epoch_line(record: EpochRecord) -> str:
    def share(value: float | None) -> str:
        return "–" if value is None else f"{value:.4f}"

    cells = (
        f"{record.epoch}" + ("*" if record.interrupted else ""),
        f"{record.loss:.4f}",
        share(record.train_accuracy),
        share(record.validation_accuracy),
        share(record.test_accuracy),
        f"{record.seconds:.1f}",
    )
    return "".join(cell.rjust(width) for cell, width in zip(cells, _WIDTHS, strict=True))


class TrainingProgress:
    """On a terminal, a bar for the epoch in progress with its running loss and accuracy; always, a line per epoch."""

    def __init__(self, console: Console, epochs: int, live: bool) -> None:
        self._console, self._epochs = console, epochs
        self._progress = None
        self._task = None
        if live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[accuracy]:.4f}"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )

    def __enter__(self) -> TrainingProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def batch(self, epoch: int, done: int, total: int, loss: float, accuracy: float) -> None:
        if self._progress is None:
            return
        if self._task is None:
            fields = {"epoch": epoch, "epochs": self._epochs, "loss": loss, "accuracy": accuracy}
            self._task = self._progress.add_task("", total=total, **fields)
        self._progress.update(self._task, completed=done, epoch=epoch, loss=loss, accuracy=accuracy)

    def epoch(self, record: EpochRecord) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        self._console.print(epoch_line(record), highlight=False)


def render_outcome(console: Console, result: TrainingResult, out: str, plot: str | None) -> None:
    kept = result.kept
    which = "the best validation accuracy" if result.config.validation else "the latest"
    accuracy = (
        f"test accuracy {kept.test_accuracy:.4f}"
        if kept.test_accuracy is not None
        else f"validation accuracy {kept.validation_accuracy:.4f}"
        if kept.validation_accuracy is not None
        else f"train accuracy {kept.train_accuracy:.4f}"
    )
    saved = Text(f"Saved {out}: the weights of epoch {kept.epoch} ({which}), {accuracy}", style="bold green")
    console.print(saved, soft_wrap=True)
    if plot:
        console.print(f"Learning curves: {plot}", soft_wrap=True)
    console.print(
        Text(f"Compare them: mnist-infer evaluate --weights {out} --weights OTHER", style="dim"), soft_wrap=True
    )


def render_gradient_check(console: Console, checks: Sequence[Check], tolerance: float) -> None:
    table = Table(
        title="Gradient check: backpropagation against the numerical gradient (float64)", title_justify="left"
    )
    table.add_column("gradient")
    table.add_column("values", justify="right")
    table.add_column("max relative error", justify="right")
    table.add_column("", justify="center")
    for check in checks:
        mark = Text("✓", style="green") if check.passed else Text("✗", style="bold red")
        table.add_row(check.name, str(check.size), f"{check.error:.2e}", mark)
    console.print(table)
    worst = max(check.error for check in checks)
    verdict = "backpropagation agrees" if worst < tolerance else "backpropagation DISAGREES"
    console.print(f"largest relative error {worst:.2e} (bound {tolerance:g}): {verdict}")
