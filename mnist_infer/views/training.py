"""Training as it happens: what is trained, a line per finished epoch (and on a terminal a progress bar for the epoch
in progress), the outcome. Progress is never the product: a closed stdout stops the lines, not the training."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ..i18n import _
from . import Block, Text, plain, to_terminal, width

_WIDTHS = (7, 10, 10, 9, 9, 8)


def describe(config, train_images: int) -> str:
    """What was trained, in a line: the network, its optimiser, the data (a plot's title says the same)."""
    parts = [config.architecture().summary()]
    init = config.initialisation
    parts.append(
        _("{init} init").format(init=init) if isinstance(init, str) else _("init std {std:g}").format(std=init)
    )
    parts.append(_("{optimizer} lr {lr:g}").format(optimizer=config.optimizer, lr=config.learning_rate))
    parts.append(_("batch {size}").format(size=config.batch_size))
    if config.weight_decay:
        parts.append(_("weight decay {decay:g}").format(decay=config.weight_decay))
    if config.augment:
        parts.append(_("augmented digits"))
    parts.append(_("{count:,} training images").format(count=train_images))
    parts.append(_("seed {seed}").format(seed=config.seed))
    return ", ".join(parts)


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.3g}"


def _row(cells) -> str:
    """Cells right-aligned in their columns, and a space before each, however long (a loss of 4.26e+10)."""
    return "".join(" " + cell.rjust(w - 1) for cell, w in zip(cells, _WIDTHS, strict=True))


class TrainingDisplay:
    """Receives the training loop's callbacks and writes them for ``stream`` (None: nowhere)."""

    def __init__(self, config, train_images: int, test_set, stream: TextIO | None) -> None:
        self.config, self.train_images, self.stream = config, train_images, stream
        self.terminal = stream is not None and to_terminal(stream)
        self.narrow = (self._width() or 80) < sum(_WIDTHS)
        self.bar = None
        self.interrupted = False
        if stream is None:
            return
        tested = (
            _("test: {count:,} images").format(count=len(test_set))
            if test_set is not None
            else _("no test split in the data directory")
        )
        held = config.validation
        lines = [
            _("Training {what}").format(what=describe(config, train_images)),
            _("{epochs} epochs; {held}{tested}").format(
                epochs=config.planned_epochs,
                tested=tested,
                held=_("{count:,} held out for validation; ").format(count=held) if held else "",
            ),
        ]
        self._write([Text(line) for line in lines])
        if not self.narrow:
            headers = (_("epoch"), _("loss"), _("train acc"), _("val acc"), _("test acc"), _("seconds"))
            self._write([Text(_row(headers), "bold")])

    def _width(self) -> int | None:
        if self.terminal:
            from .terminal import console

            return console(self.stream).width
        return width()

    def _write(self, blocks: list[Block]) -> None:
        if self.stream is None:
            return
        try:
            if self.terminal:
                from .terminal import draw

                draw(blocks, target=self.bar.console if self.bar else None, stream=self.stream)
            else:
                self.stream.write("\n".join(plain(blocks, self._width())) + "\n")
                self.stream.flush()
        except (BrokenPipeError, OSError, ValueError):  # `train | head`: the output is gone, the training goes on
            self.stream = None

    def batch(self, epoch: int, done: int, total: int, loss: float, accuracy: float) -> None:
        if self.terminal and self.stream is not None:
            if self.bar is None:
                from .terminal import BatchProgress

                self.bar = BatchProgress(self.stream, self.config.planned_epochs)
            self.bar.update(epoch, done, total, loss, accuracy)

    def epoch(self, record) -> None:
        if self.bar is not None:
            self.bar.clear()
        cells = (
            f"{record.epoch}" + ("*" if record.interrupted else ""),
            _number(record.loss),
            _number(record.train_accuracy),
            _number(record.validation_accuracy),
            _number(record.test_accuracy),
            f"{record.seconds:.1f}",
        )
        if self.narrow:
            line = _("epoch {epoch}: loss {loss}, train {train}, val {val}, test {test}, {seconds} s").format(
                epoch=cells[0], loss=cells[1], train=cells[2], val=cells[3], test=cells[4], seconds=cells[5]
            )
        else:
            line = _row(cells)
        self._write([Text(line)])
        if record.interrupted:
            self._write(
                [
                    Text(
                        _("* interrupted: its scores are over the {count:,} batches it trained").format(
                            count=record.batches
                        ),
                        "dim",
                    )
                ]
            )

    def title(self, result) -> str:
        return describe(result.config, result.train_images)

    def outcome(self, result, out: Path, plot: Path | None) -> None:
        kept = result.kept
        which = _("the best validation accuracy") if result.config.validation else _("the latest")
        name, value = next(
            (name, value)
            for name, value in (
                (_("test"), kept.test_accuracy),
                (_("validation"), kept.validation_accuracy),
                (_("train"), kept.train_accuracy),
            )
            if value is not None
        )
        score = _("{name} accuracy {value:.4f}").format(name=name, value=value)
        blocks: list[Block] = [
            Text(
                _("Saved {path}: the weights of epoch {epoch} ({which}), {score}").format(
                    path=out, epoch=kept.epoch, which=which, score=score
                ),
                "bold green",
            )
        ]
        if value < 0.2:
            blocks.append(
                Text(
                    _(
                        "Warning: that is chance level (1 in 10): the network learned nothing. The learning "
                        "rate {lr:g} is probably far too large (or too small) for {optimizer}: try --lr "
                        "{suggested:g}"
                    ).format(
                        lr=result.config.learning_rate,
                        optimizer=result.config.optimizer,
                        suggested=result.config.learning_rate / 10,
                    ),
                    "bold red",
                )
            )
        if plot is not None:
            blocks.append(Text(_("Learning curves: {path}").format(path=plot)))
        blocks.append(
            Text(
                _("Compare them: mnist-infer evaluate --weights {path} --weights sample_weight.pkl").format(path=out),
                "dim",
            )
        )
        self._write(blocks)


class training_display:
    """The display for ``train``: on stdout; with ``--json``, on stderr if that is a terminal, else nowhere."""

    def __init__(self, config, train_images: int, test_set, as_json: bool) -> None:
        stream = sys.stdout if not as_json else sys.stderr if to_terminal(sys.stderr) else None
        self.display = TrainingDisplay(config, train_images, test_set, stream)

    def __enter__(self) -> TrainingDisplay:
        return self.display

    def __exit__(self, *exc_info: object) -> None:
        if self.display.bar is not None:
            self.display.bar.stop()
