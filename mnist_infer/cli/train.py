"""`mnist-infer train`: train one of the book's networks (chapters 4–8) and save weights the other commands load."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from ..i18n import _
from .options import (
    FileName,
    ImageRange,
    Number,
    Registry,
    check_finite,
    command,
    data_dir_option,
    figure_option,
    given,
    json_option,
    keep_batch_memory,
    workers,
)


class Sizes(click.ParamType):
    """Hidden layer sizes: ``50``, or ``100 100 100 100 100``."""

    name = "SIZES"

    def get_metavar(self, param, ctx) -> str:
        return _("SIZES")

    def convert(self, value, param, ctx) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        parts = str(value).replace(",", " ").split()  # "²" is a digit to isdigit(), not to int()
        sizes = [int(part) if part.isascii() and part.isdigit() and len(part) < 10 else 0 for part in parts]
        if not sizes or min(sizes) < 1:
            self.fail(
                _("{value!r}: expected one or more sizes of at least 1").format(value=str(value)[:40]), param, ctx
            )
        return tuple(sizes)


class Init(click.ParamType):
    """An initialisation of chapter 6 by name, or a standard deviation."""

    name = "xavier|he|book|STD"

    def get_metavar(self, param, ctx) -> str:
        return _("xavier|he|book|STD")

    def convert(self, value, param, ctx) -> str | float:
        from ..model.network import INITS

        if value in INITS:
            return value
        try:
            std = float(value)
        except ValueError:
            self.fail(
                _("{value!r}: expected {names} or a standard deviation").format(value=value, names=", ".join(INITS)),
                param,
                ctx,
            )
        check_finite(std, value, param, ctx)
        if std <= 0:
            self.fail(_("{value!r}: a standard deviation is above 0").format(value=value), param, ctx)
        return std


@command(
    "train",
    _(
        "Train one of the book's networks on the MNIST training images and save its weights: the fully "
        "connected network of chapters 4–6 (any depth, Dropout, Batch Normalization) or the CNNs of "
        "chapters 7–8. Each epoch prints its loss and accuracy; the saved .npz loads in evaluate, predict "
        "and serve like the book's files. Ctrl-C stops after the current batch and still saves the weights "
        "(exit status 130)."
    ),
    _("Train a network (chapters 4–8) and save its weights."),
    """
mnist-infer train --out mine.npz
mnist-infer train --hidden 50 --epochs 5 --out two-layer.npz
mnist-infer train --activation relu --augment --out relu.npz --plot relu.png
mnist-infer train --model simple-convnet --out cnn.npz
mnist-infer train --limit 300 --epochs 200 --out overfit.npz
mnist-infer train --gradient-check""",
    greedy=("--hidden",),
)
@click.option(
    "--model",
    type=Registry("mnist_infer.model.network", "MODELS"),
    default="mlp",
    show_default=True,
    help=_("The network: chapters 4–6's fully connected one, chapter 7's SimpleConvNet or chapter 8's DeepConvNet."),
)
@click.option(
    "--hidden",
    type=Sizes(),
    default="50 100",
    show_default=True,
    help=_("Sizes of the hidden layers (mlp), as many as you like: 50, or 100 100 100 100 100."),
)
@click.option(
    "--activation",
    type=Registry("mnist_infer.model.layers", "ACTIVATIONS"),
    default="sigmoid",
    show_default=True,
    help=_("The hidden layers' activation (mlp)."),
)
@click.option(
    "--dropout",
    type=Number(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    metavar=_("RATIO"),
    help=_("The book's Dropout after each hidden layer (mlp)."),
)
@click.option("--batch-norm", is_flag=True, help=_("Batch Normalization before each activation (mlp)."))
@click.option(
    "--optimizer",
    type=Registry("mnist_infer.training.optimizers", "OPTIMIZERS"),
    default="adam",
    show_default=True,
    help=_("How the parameters are updated (6.1)."),
)
@click.option(
    "--lr",
    type=Number(min=0, min_open=True),
    help=_("Learning rate [default: sgd 0.1, momentum 0.01, adagrad 0.01, adam 0.001]."),
)
@click.option(
    "--schedule",
    type=Registry("mnist_infer.training.optimizers", "SCHEDULES"),
    help=_("The learning rate over the run: constant, or from --lr down to 0 along a cosine [default: cosine for "
           "the CNNs, constant for mlp]."),
)  # fmt: skip
@click.option("--epochs", type=click.IntRange(min=1), help=_("Passes over the training images [default: 20]."))
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True, help=_("Images per step."))
@click.option("--weight-decay", type=Number(min=0), default=0.0, show_default=True, help=_("L2 penalty λ (6.4.2)."))
@click.option(
    "--augment/--no-augment",
    default=None,
    help=_("Shift, rotate, scale, slant and thicken/thin the training digits [default: on for the CNNs, off for "
           "mlp]."),
)  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), help=_("Repeat a run bit for bit [default: a fresh one, printed]."))
@click.option(
    "--validation",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help=_("Hold out the last N training images and keep the epoch that classifies them best."),
)
@click.option("--limit", type=ImageRange(), help=_("Train on the first N training images, or images START to STOP-1."))
@click.option(
    "--init",
    type=Init(),
    help=_(
        "Initial weights: a name, or a standard deviation [default: xavier for "
        "sigmoid and tanh, he for relu and the CNNs]."
    ),
)
@click.option(
    "--out", type=FileName(dir_okay=False), metavar=_("FILE.npz"), help=_("Where to save the weights (required).")
)
@figure_option("--plot", help=_("Draw the learning curves."))
@click.option(
    "--gradient-check", is_flag=True, help=_("Check backpropagation against the numerical gradient, and exit.")
)
@data_dir_option
@json_option
def train(
    model: str,
    hidden: tuple[int, ...],
    activation: str,
    dropout: float,
    batch_norm: bool,
    optimizer: str,
    lr: float | None,
    schedule: str | None,
    epochs: int | None,
    batch_size: int,
    weight_decay: float,
    augment: bool | None,
    seed: int | None,
    validation: int,
    limit: slice | None,
    init: str | float | None,
    out: Path | None,
    plot: Path | None,
    gradient_check: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    from ..views import emit

    if model != "mlp" and (ignored := given(click.get_current_context(), "hidden", "activation", "dropout",
                                            "batch_norm")):  # fmt: skip
        raise click.UsageError(
            _("{options}: for --model mlp only, not {model}").format(options=", ".join(ignored), model=model)
        )
    if gradient_check:
        from ..errors import N_, MnistInferError
        from ..training.gradcheck import gradient_check as check

        result = check()
        emit(result, as_json)
        if not result.passed:
            raise MnistInferError(N_("gradient check failed: largest relative error {worst:.2e}, bound {bound:g}"),
                                  worst=result.worst, bound=result.tolerance)  # fmt: skip
        return
    if out is None:
        raise click.UsageError(_("Missing option '--out' (where to save the weights), unless --gradient-check."))
    from ..training.loop import TrainingConfig, check_trained, fresh_seed, prepare
    from ..training.loop import train as run
    from ..views import training_display
    from ..weights import save_weights

    config = TrainingConfig(
        model,
        hidden,
        activation,
        dropout,
        batch_norm,
        optimizer,
        lr,
        epochs,
        batch_size,
        weight_decay,
        augment,
        fresh_seed() if seed is None else seed,
        validation,
        init,
        schedule,
    )
    keep_batch_memory()
    # Everything that could make the output unusable or unwritable is checked before the first epoch.
    train_set, test_set = prepare(config, out, plot, data_dir, limit)
    with (
        training_display(config, len(train_set) - validation, test_set, as_json) as display,
        _stop_on_ctrl_c() as stopped,
    ):
        result = run(
            config,
            train_set,
            test_set,
            on_batch=display.batch,
            on_epoch=display.epoch,
            should_stop=stopped,
            workers=workers(),
        )
        if result.network is None:
            click.echo(_("Interrupted before an epoch was done: nothing saved."), err=True)
            raise click.exceptions.Exit(130)
        check_trained(result)
        with _deferred_ctrl_c():  # the run's product: a second Ctrl-C must not lose it half-written
            save_weights(out, result.network, result.metadata())
            if plot is not None:
                _draw_after_saving(result, plot, display.title(result), weight_decay, out)
        result.weights = str(out)
        display.outcome(result, out, plot)
    if as_json:
        emit(result, as_json=True)
    if result.interrupted:
        last = result.history[-1]
        click.echo(
            _(
                "Interrupted in epoch {epoch} after {batches:,} batches: saved the weights of epoch {kept} to {path}"
            ).format(epoch=last.epoch, batches=last.batches, kept=result.kept.epoch, path=out),
            err=True,
        )
        raise click.exceptions.Exit(130)


def _draw_after_saving(result, plot: Path, title: str, weight_decay: float, out: Path) -> None:
    """The learning curves, once the weights are saved: a failure to draw them says that the weights are safe."""
    from ..errors import N_, MnistInferError, os_reason
    from ..views.plots import learning_curves

    try:
        learning_curves(result.history, plot, title, result.kept.epoch, weight_decay)
    except (MnistInferError, OSError) as exc:
        reason = exc if isinstance(exc, MnistInferError) else f"{plot}: {_(os_reason(exc))}"
        raise MnistInferError(N_("saved the weights to {path}, but the plot failed: {reason}"),
                              path=out, reason=reason) from None  # fmt: skip


@contextlib.contextmanager
def _deferred_ctrl_c() -> Iterator[None]:
    """Ctrl-C ignored while the block runs (the weights are being saved)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _stop_on_ctrl_c() -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C asks it to stop after the current batch instead of raising in the middle of one."""
    requested: list[bool] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: requested.append(True))
    except ValueError:  # not the main thread: Ctrl-C stays a KeyboardInterrupt, which training also handles
        previous = None
    try:
        yield lambda: bool(requested)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
