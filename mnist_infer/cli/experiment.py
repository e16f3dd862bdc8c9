"""`mnist-infer experiment`: the book's experiments of chapters 4–6 with its settings, and the figures they draw."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .options import Registry, command, data_dir_option, figure_option, json_option


@command(
    "experiment",
    _(
        "Run one of the book's experiments of chapters 4–6 with its settings (network, images, iterations) on "
        "MNIST's training images, and see whether the book's conclusion holds in its numbers: numerical-gradient "
        "(4.4–4.5, 5.7.3), optimizers (6.1.8), activations (6.2.2–6.2.3), init (6.2.4), batch-norm (6.3.2), "
        "overfit (6.4), hyperparameters (6.5.3). It prints its numbers as it goes; --save draws the book's figure."
    ),
    _("Run an experiment of chapters 4–6 and draw its figure."),
    """
mnist-infer experiment optimizers --save optimizers.png
mnist-infer experiment batch-norm --quick
mnist-infer experiment overfit --seed 1 --json""",
)
@click.argument("name", type=Registry("mnist_infer.training.experiments", "EXPERIMENTS"), metavar=_("NAME"))
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help=_("Seed of the weights and mini-batches: the same seed, the same numbers."),
)
@click.option("--quick", is_flag=True, help=_("A first look in seconds: fewer iterations, images or trials."))
@figure_option(help=_("Draw the book's figure."))
@data_dir_option
@json_option
def experiment(name: str, seed: int, quick: bool, save: Path | None, data_dir: Path | None, as_json: bool) -> None:
    from ..training.experiments import Data, run
    from ..views import emit
    from ..views.experiments import display, draw

    with display(name, as_json) as watch:
        result = run(name, Data(data_dir), seed, quick, watch)
    note = draw(result, save) if save is not None else None
    emit(result, as_json, saved=save, note=note)
