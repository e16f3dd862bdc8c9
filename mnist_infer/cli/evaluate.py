"""`mnist-infer evaluate`: accuracy, per class, and where the network goes wrong."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from ..catalog import DEFAULT_BATCH_SIZE, DEFAULT_WEIGHTS_NAME
from .options import (
    data_dir_option,
    debug_option,
    echo_lines,
    json_option,
    make_console,
    print_json,
    split_option,
    to_terminal,
    weights_path,
)


@click.command()
@debug_option
@click.option(
    "--weights",
    "weights",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Weights file (.pkl or .npz); repeat to compare several on the same images "
    f"[default: {DEFAULT_WEIGHTS_NAME} in the data directory, else the copy packaged with mnist-infer].",
)
@split_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="At most this many images per forward pass (bounds memory; 1 is the book's per-image loop).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N images.")
@click.option(
    "--errors",
    "errors_png",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a gallery of the misclassified digits, most confident mistakes first (of the first weights).",
)
@click.option(
    "--errors-max", type=click.IntRange(min=1), default=100, show_default=True, help="Mistakes in the gallery."
)
@data_dir_option
@json_option
def evaluate(
    weights: tuple[Path, ...],
    split: str,
    batch_size: int,
    limit: int | None,
    errors_png: Path | None,
    errors_max: int,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Accuracy of a network on an MNIST split, as the book prints it, with where it goes wrong.

    Prints the accuracy, a per-class table (precision, recall, F1) and the confusion matrix.

    \b
    Example:
      mnist-infer evaluate                    the book's weights: 0.9352
      mnist-infer evaluate --weights sample_weight.pkl --json
      mnist-infer evaluate --errors e.png     the 100 most confident mistakes
      mnist-infer evaluate --weights a.pkl --weights b.npz
                                              compare two networks
      mnist-infer evaluate --batch-size 1     the book's per-image loop, slower
    """
    from ..data import load_split
    from ..evaluation import disagreements
    from ..evaluation import evaluate as run_evaluation
    from ..weights import load_network
    from . import forward_workers

    if errors_png:
        from ..picture_files import picture_format

        picture_format(errors_png)  # an unknown extension fails before any work
    paths = list(weights) or [weights_path(None, data_dir)]
    networks = [load_network(path) for path in paths]  # every weights file is checked before any work
    dataset = load_split(split, data_dir)
    live = not as_json and to_terminal()  # Rich, and a progress bar, on a terminal only
    console = make_console() if live else None
    if live:
        from ..render.evaluations import EvaluationProgress
    results = []
    workers = forward_workers()
    for path, network in zip(paths, networks, strict=True):
        with EvaluationProgress(console, f"{path.name} on {split}") if live else nullcontext() as progress:
            results.append(
                run_evaluation(
                    network,
                    dataset,
                    weights=str(path),
                    batch_size=batch_size,
                    limit=limit,
                    progress=progress,
                    workers=workers,
                )
            )
    gallery = _save_gallery(results[0], dataset.images, errors_png, errors_max) if errors_png else None
    if as_json:
        if len(results) == 1:
            print_json(results[0].summary())
        else:
            print_json(
                [
                    {**result.summary(), "disagreements": int(count)}
                    for result, count in zip(results, disagreements(results), strict=True)
                ]
            )
        return
    from ..weights import identify

    if not live:
        from ..render import plain_evaluations as plain

        if len(results) == 1:
            echo_lines(plain.evaluation(results[0], identify(paths[0])))
        else:
            echo_lines(plain.comparison(results, disagreements(results)))
        if gallery is not None:
            click.echo(gallery)
        return
    from ..render.evaluations import render_comparison, render_evaluation_report

    if len(results) == 1:
        render_evaluation_report(console, results[0], identify(paths[0]))
    else:
        render_comparison(console, results, disagreements(results))
    if gallery is not None:
        console.print(gallery, soft_wrap=True)


def _save_gallery(result, images, path: Path, most: int) -> str:
    """Draw the most confident mistakes of ``result`` into ``path``; a line saying what was written."""
    from ..picture_files import mistakes_gallery, save_picture

    wrong = result.mistakes(most)
    if len(wrong) == 0:
        return f"no mistakes: {path} not written"
    predicted = result.predictions[wrong]
    save_picture(
        mistakes_gallery(images[wrong], result.labels[wrong], predicted, result.probabilities[wrong, predicted]),
        path,
    )
    return f"saved the {len(wrong)} most confident mistakes to {path}"
