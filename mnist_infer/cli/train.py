"""`mnist-infer train`: train the book's network (chapters 4–6) and save weights the other commands load."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from .options import data_dir_option, debug_option, json_option, make_console, print_json

#: The exit status of a program stopped by Ctrl-C (128 + SIGINT), which shells and scripts expect.
INTERRUPTED_EXIT = 130
_positive = click.FloatRange(min=0, min_open=True)


@click.command()
@debug_option
@click.option(
    "--hidden", nargs=2, type=click.IntRange(min=1), default=(50, 100), show_default=True, metavar="H1 H2",
    help="Sizes of the two hidden layers.",
)  # fmt: skip
@click.option("--activation", type=click.Choice(["sigmoid", "relu"]), default="sigmoid", show_default=True)
@click.option(
    "--optimizer", type=click.Choice(["sgd", "momentum", "adagrad", "adam"]), default="adam", show_default=True
)
@click.option("--lr", type=_positive, help="Learning rate [default: sgd 0.1, momentum 0.01, adagrad 0.01, adam 0.001].")
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True, help="Images per step.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.0, show_default=True, help="L2 penalty λ.")
@click.option("--augment", is_flag=True, help="Shift, rotate, scale, slant and thicken/thin the training digits.")
@click.option("--seed", type=click.IntRange(min=0), help="Repeat a run bit for bit [default: a fresh one, printed].")
@click.option(
    "--validation", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
    help="Hold out the last N training images and keep the epoch that classifies them best.",
)  # fmt: skip
@click.option(
    "--init",
    type=click.Choice(["xavier", "he", "book"]),
    help="Initial weights [default: xavier for sigmoid, he for relu].",
)
@click.option(
    "--out", type=click.Path(path_type=Path), metavar="FILE.npz", help="Where to save the weights (required)."
)
@click.option(
    "--plot", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png", help="Draw the learning curves."
)
@click.option("--gradient-check", is_flag=True, help="Check backpropagation against the numerical gradient, and exit.")
@data_dir_option
@json_option
def train(
    hidden: tuple[int, int],
    activation: str,
    optimizer: str,
    lr: float | None,
    epochs: int,
    batch_size: int,
    weight_decay: float,
    augment: bool,
    seed: int | None,
    validation: int,
    init: str | None,
    out: Path | None,
    plot: Path | None,
    gradient_check: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Train the book's 784-50-100-10 network on the MNIST training images and save its weights.

    Backpropagation through chapter 5's layers, an optimiser and initialisation from chapter 6. Each epoch
    prints its loss and accuracy (train: over its mini-batches; test: the test split, if present). The saved
    .npz loads in evaluate, predict and serve like the book's sample_weight.pkl. Ctrl-C stops after the
    current batch and still saves the weights (exit status 130).

    \b
    Example:
      mnist-infer train --out mine.npz   the book's network, 20 epochs of Adam
      mnist-infer evaluate --weights sample_weight.pkl --weights mine.npz
      mnist-infer train --activation relu --augment --validation 5000
                        --out relu.npz --plot curves.png
      mnist-infer train --gradient-check backprop vs chapter 4's gradient
    """
    if gradient_check:
        _gradient_check(as_json)
        return
    if out is None:
        raise click.UsageError("Missing option '--out' (where to save the weights), unless --gradient-check.")
    from ..catalog import SPLIT_FILES
    from ..data import is_mnist, load_split
    from ..errors import MissingDataError
    from ..training import TrainingConfig, fresh_seed
    from ..training import train as run_training
    from ..weights_npz import check_writable, save_weights

    check_writable(out)  # before the training, not after it
    if plot is not None:
        check_writable(plot, "the plot")
    seed = fresh_seed() if seed is None else seed  # chosen here, so that it can be printed before training
    config = TrainingConfig(
        hidden, activation, optimizer, lr, epochs, batch_size, weight_decay, augment, seed, validation, init
    )
    train_set = load_split("train", data_dir)
    config.check(len(train_set))
    try:
        test_set = load_split("test", data_dir, packaged=False)  # the test split of the same data set
    except MissingDataError:
        # MNIST's own training labels: the packaged MNIST test split is their test set. Another data set with
        # the same file names (Fashion-MNIST) trains untested, scored on the validation images, if any.
        test_set = load_split("test") if is_mnist(train_set.labels_path, SPLIT_FILES["train"][1]) else None
    from ..render.console import make_console as rich_console
    from ..render.training import TrainingProgress, render_outcome, render_plan

    console = rich_console(stderr=as_json)  # with --json, stdout holds the JSON alone
    quiet = as_json and not console.is_terminal
    progress = None if quiet else TrainingProgress(console, config.epochs, live=console.is_terminal)
    with _stop_on_ctrl_c() as stopped, progress or contextlib.nullcontext():
        if progress is not None:
            render_plan(console, config, len(train_set) - validation, len(test_set) if test_set is not None else None)
        result = run_training(
            config,
            train_set,
            test_set,
            on_batch=progress.batch if progress else None,
            on_epoch=progress.epoch if progress else None,
            should_stop=stopped,
        )
    if result.params is None:
        click.echo("Interrupted before an epoch was done: nothing saved.", err=True)
        raise click.exceptions.Exit(INTERRUPTED_EXIT)
    save_weights(out, result.params, result.metadata())
    if plot is not None:
        from ..learning_curves import save_learning_curves

        title = f"{'-'.join(map(str, config.sizes))} {config.activation}, {config.optimizer}, seed {result.seed}"
        save_learning_curves(result.history, plot, title, kept=result.kept.epoch)
    if as_json:
        print_json({**result.metadata(), "weights": str(out), "history": [r.to_dict() for r in result.history]})
    else:
        render_outcome(console, result, str(out), str(plot) if plot else None)
    if result.interrupted:
        last = result.history[-1] if result.history else None
        where = f" in epoch {last.epoch} after {last.batches:,} batches" if last else ""
        click.echo(f"Interrupted{where}: saved the weights of epoch {result.kept.epoch} to {out}", err=True)
        raise click.exceptions.Exit(INTERRUPTED_EXIT)


@contextlib.contextmanager
def _stop_on_ctrl_c() -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C asks it to stop after the current batch instead of raising in the middle of one."""
    import signal

    requested = []

    def request(_signum: int, _frame: object) -> None:
        requested.append(True)

    try:
        previous = signal.signal(signal.SIGINT, request)
    except ValueError:  # not the main thread: Ctrl-C stays a KeyboardInterrupt, which training also handles
        previous = None
    try:
        yield lambda: bool(requested)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _gradient_check(as_json: bool) -> None:
    from ..errors import MnistInferError
    from ..gradient_check import TOLERANCE, gradient_check

    checks = gradient_check()
    worst = max(check.error for check in checks)
    if as_json:
        print_json(
            {
                "max_relative_error": worst,
                "tolerance": TOLERANCE,
                "passed": worst < TOLERANCE,
                "checks": [check.to_dict() for check in checks],
            }
        )
    else:
        from ..render.training import render_gradient_check

        render_gradient_check(make_console(), checks, TOLERANCE)
    if worst >= TOLERANCE:
        raise MnistInferError(f"gradient check failed: largest relative error {worst:.2e}, bound {TOLERANCE:g}")
