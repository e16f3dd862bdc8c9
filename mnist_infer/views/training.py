"""Training as it happens: what is trained, a line per finished epoch (and on a terminal a progress bar for the epoch
in progress), the outcome. Progress is never the product: a closed stdout stops the lines, not the training."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from ..errors import silence_stdout
from ..i18n import _, ngettext
from . import Block, Text, cells, justify, to_terminal

_WIDTHS = (7, 10, 10, 9, 9, 8)
#: A loss this far above chance's (ln 10 ≈ 2.30, the cross-entropy of a uniform guess) means the run diverged.
DIVERGED_LOSS = 3 * math.log(10)
FEW_STEPS = 100  #: mini-batches below which chance level means "too short", not "a learning rate that cannot work"


def describe(config, train_images: int) -> str:
    """What was trained, in a line: the network, its optimiser, the data (a plot's title says the same)."""
    init = config.initialisation
    from .results import network_name

    parts = [network_name(config.architecture().summary()), _("{init} init").format(init=init) if isinstance(init, str)
             else _("init std {std:g}").format(std=init),
             _("{optimizer} lr {lr:g}").format(optimizer=config.optimizer, lr=config.learning_rate)
             + (_(" falling along a cosine") if config.lr_schedule == "cosine" else ""),
             _("batch {size}").format(size=config.batch_size)]  # fmt: skip
    if config.weight_decay:
        parts.append(_("weight decay {decay:g}").format(decay=config.weight_decay))
    if config.augmented:
        parts.append(_("augmented digits"))
    return ", ".join([*parts, _("{count:,} training images").format(count=train_images),
                      _("seed {seed}").format(seed=config.seed)])  # fmt: skip


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}" if abs(value) < 1000 else f"{value:.3g}"


class TrainingDisplay:
    """Receives the training loop's callbacks and writes them: on stdout; with ``--json``, on stderr if that is a
    terminal, else nowhere."""

    def __init__(self, config, train_images: int, test_set, as_json: bool) -> None:
        from .draw import console

        stream = sys.stdout if not as_json else sys.stderr if to_terminal(sys.stderr) else None
        self.config, self.console, self.bar, self.task = config, console(stream) if stream else None, None, None
        headers = (_("epoch"), _("loss"), _("train acc"), _("val acc"), _("test acc"), _("seconds"))
        self.widths = tuple(max(w, cells(h) + 2) for h, w in zip(headers, _WIDTHS, strict=True))  # Hangul: 2 cells
        self.narrow = self.console is not None and self.console.width < sum(self.widths)
        tested = (_("test: {count:,} images").format(count=len(test_set)) if test_set is not None
                  else _("no test split in the data directory"))  # fmt: skip
        held = _("{count:,} held out for validation; ").format(count=config.validation) if config.validation else ""
        self._write([Text(_("Training {what}").format(what=describe(config, train_images))),
                     Text(ngettext("{epochs} epoch; {held}{tested}", "{epochs} epochs; {held}{tested}",
                                   config.planned_epochs).format(epochs=config.planned_epochs, held=held,
                                                                 tested=tested))])  # fmt: skip
        if not self.narrow:
            self._write([Text(self._row(headers), "bold")])

    def _row(self, cells) -> str:
        """Cells right-aligned in their columns, and a space before each, however long (a loss of 4.26e+10)."""
        return "".join(" " + justify(cell, w - 1) for cell, w in zip(cells, self.widths, strict=True))

    def __enter__(self) -> TrainingDisplay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def _write(self, blocks: list[Block]) -> None:
        if self.console is None:
            return
        from .draw import draw

        try:
            draw(blocks, target=self.console)
        except (OSError, ValueError):  # `train | head`: the output is gone, the training goes on
            if self.console.file is sys.stdout:
                silence_stdout()
            self.console = None

    def batch(self, epoch: int, done: int, total: int, loss: float, accuracy: float, *_: float) -> None:
        if self.console is None or not self.console.is_terminal:
            return
        if self.bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.fields[epoch]}/" + str(self.config.planned_epochs)), BarColumn(),
                                MofNCompleteColumn(), TextColumn("{task.fields[loss]:.4f} {task.fields[accuracy]:.4f}"),
                                TimeRemainingColumn(), console=self.console, transient=True)  # fmt: skip
            self.bar.start()
        if self.task is None:
            self.task = self.bar.add_task("", total=total, epoch=epoch, loss=loss, accuracy=accuracy)
        self.bar.update(self.task, completed=done, epoch=epoch, loss=loss, accuracy=accuracy)

    def epoch(self, record) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
        cells = (f"{record.epoch}" + "*" * record.interrupted, *map(_number, (record.loss, record.train_accuracy,
                 record.validation_accuracy, record.test_accuracy)), f"{record.seconds:.1f}")  # fmt: skip
        if self.narrow:
            line = _("epoch {epoch}: loss {loss}, train {train}, val {val}, test {test}, {seconds} s").format(
                epoch=cells[0], loss=cells[1], train=cells[2], val=cells[3], test=cells[4], seconds=cells[5]
            )
        else:
            line = self._row(cells)
        self._write([Text(line)])
        if record.interrupted:
            over = ngettext(
                "* interrupted: its scores are over the {count:,} batch it trained",
                "* interrupted: its scores are over the {count:,} batches it trained",
                record.batches,
            )
            self._write([Text(over.format(count=record.batches), "dim")])  # fmt: skip

    def title(self, result) -> str:
        return describe(result.config, result.train_images)

    def outcome(self, result, out: Path, plot: Path | None) -> None:
        kept, config = result.kept, result.config
        which = _("the best validation accuracy") if config.validation else _("the latest")
        name, value = next((name, value) for name, value in ((_("test"), kept.test_accuracy),
                           (_("validation"), kept.validation_accuracy), (_("train"), kept.train_accuracy))
                           if value is not None)  # fmt: skip
        blocks: list[Block] = [Text(_("Saved {path}: the weights of epoch {epoch} ({which}), {name} accuracy "
                                      "{value:.4f}").format(path=out, epoch=kept.epoch, which=which, name=name,
                                                            value=value), "bold green")]  # fmt: skip
        steps = sum(record.batches for record in result.history)
        loss = result.history[-1].loss
        if loss is not None and not (math.isfinite(loss) and loss < DIVERGED_LOSS):
            from ..training.optimizers import default_lr

            lr, usual = config.learning_rate, default_lr(config.optimizer)
            blocks.append(Text(_("Warning: the training diverged (loss {loss:.3g}, far above the {chance:.2f} of a "
                                 "guess): the learning rate {lr:g} is far too large for {optimizer}; try --lr "
                                 "{suggested:g}").format(loss=loss, chance=math.log(10), lr=lr,
                                                         optimizer=config.optimizer,
                                                         suggested=usual if lr > usual else lr / 10),
                               "bold red"))  # fmt: skip
        elif value < 0.2 and steps < FEW_STEPS:
            blocks.append(Text(ngettext("Warning: that is chance level (1 in 10): {steps} step is too few to learn "
                                        "anything; train for more --epochs or on more images",
                                        "Warning: that is chance level (1 in 10): {steps} steps are too few to learn "
                                        "anything; train for more --epochs or on more images",
                                        steps).format(steps=steps),
                               "bold red"))  # fmt: skip
        elif value < 0.2:
            blocks.append(Text(_("Warning: that is chance level (1 in 10): the network learned nothing. The learning "
                                 "rate {lr:g} is probably far too large (or too small) for {optimizer}: try --lr "
                                 "{suggested:g}").format(lr=config.learning_rate, optimizer=config.optimizer,
                                                         suggested=config.learning_rate / 10), "bold red"))  # fmt: skip
        warned = len(blocks) > 1
        if plot is not None:
            blocks.append(Text(_("Learning curves: {path}").format(path=plot)))
        if not warned:  # weights worth comparing
            blocks.append(Text(_("Compare them: mnist-infer evaluate --weights {path} --weights sample_weight.pkl")
                               .format(path=out), "dim"))  # fmt: skip
        self._write(blocks)
