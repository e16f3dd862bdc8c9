"""`mnist-infer evaluate`: accuracy, per class, and where the network goes wrong; several networks compared."""

from __future__ import annotations

from pathlib import Path

import click

from ..catalog import DEFAULT_BATCH_SIZE
from ..i18n import _
from .options import (
    FileName,
    ImageRange,
    Number,
    command,
    data_dir_option,
    figure_option,
    json_option,
    keep_batch_memory,
    picture_path,
    split_option,
    weights_option,
    workers,
)


@command(
    "evaluate",
    _(
        "Accuracy of a network on an MNIST split, as the book prints it, with a per-class table "
        "(precision, recall, F1) and the confusion matrix; with several --weights, a comparison."
    ),
    _("Accuracy on an MNIST split, per class, and the mistakes."),
    """
mnist-infer evaluate
mnist-infer evaluate --weights deep_convnet_params.pkl
mnist-infer evaluate --weights params.pkl --weights deep_convnet_params.pkl
mnist-infer evaluate --errors mistakes.png
mnist-infer evaluate --batch-size 1 --limit 1000
mnist-infer evaluate --reject 0.9 --save reject.png
mnist-infer evaluate --robustness --weights deep_convnet_params.pkl""",
)
@weights_option(multiple=True)
@split_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help=_("At most this many images per forward pass (bounds memory; 1 is the book's per-image loop)."),
)
@click.option("--limit", type=ImageRange(), help=_("Evaluate only the first N images, or images START to STOP-1."))
@click.option(
    "--errors",
    "errors_png",
    type=FileName(dir_okay=False),
    callback=picture_path(),
    metavar=_("FILE"),
    help=_("Write a gallery of the misclassified digits, most confident mistakes first (of the first weights)."),
)
@click.option(
    "--errors-max", type=click.IntRange(min=1), default=100, show_default=True, help=_("Mistakes in the gallery.")
)
@click.option(
    "--reject",
    type=Number(0, 1),
    metavar="P",
    help=_("Coverage and accuracy when the network may abstain below confidence P, the curve over P and a "
           "reliability diagram."),
)  # fmt: skip
@click.option(
    "--robustness",
    is_flag=True,
    help=_("Accuracy as the digits are shifted, rotated, scaled, thickened, thinned, blurred or noised (seeded)."),
)
@figure_option()
@data_dir_option
@json_option
def evaluate(
    weights: tuple[Path, ...],
    split: str,
    batch_size: int,
    limit: slice | None,
    errors_png: Path | None,
    errors_max: int,
    reject: float | None,
    robustness: bool,
    save: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    if reject is not None and robustness:
        raise click.UsageError(_("--reject and --robustness do not go together: give one of them"))
    if save and reject is None and not robustness:
        raise click.UsageError(_("--save draws the curves of --reject or of --robustness: give one of them"))
    from ..data.mnist import load_split
    from ..inference import Comparison, trained_elsewhere
    from ..inference import evaluate as run
    from ..views import emit, progress, split_name
    from ..weights import identify, load_network, resolve

    paths = [resolve(path, data_dir) for path in weights or [None]]
    networks = [load_network(path) for path in paths]  # every file is checked before any work
    if any(network.is_convolutional for network in networks):
        keep_batch_memory()
    dataset = load_split(split, data_dir)
    for path, network in zip(paths, networks, strict=True):
        trained = trained_elsewhere(network.metadata, dataset)
        if trained is not None:
            click.echo(_("Warning: {weights} was trained on {trained}, and these {split} images are not its {split} "
                         "split: the accuracy measures it on data it was not made for").format(
                            weights=path.name, trained=trained, split=split), err=True)  # fmt: skip
    if limit is not None:
        dataset = dataset.limited(limit.start, limit.stop)
    if robustness:
        from ..inference import Robustness
        from ..inference import robustness as changed

        rows = []
        for path, network in zip(paths, networks, strict=True):
            with progress(f"{path.name}: changed digits", as_json) as report:
                rows.append(changed(network, dataset.images, dataset.labels, progress=report, workers=workers()))
        summaries = [network.architecture.summary() for network in networks]
        return emit(Robustness(paths, summaries, len(dataset), 0, rows), as_json, save=save)
    results = []
    for path, network in zip(paths, networks, strict=True):
        with progress(_("{weights} on {split}").format(weights=path.name, split=split_name(split)), as_json) as report:
            results.append(
                run(
                    network,
                    dataset,
                    weights=path,
                    batch_size=batch_size,
                    progress=report,
                    known=identify(path),
                    workers=workers(),
                )
            )
    if errors_png:
        _save_gallery(results[0], dataset.images, errors_png, errors_max)
    if reject is not None:
        from ..inference import Reliability

        return emit(Reliability(results, reject), as_json, save=save)
    emit(results[0] if len(results) == 1 else Comparison(results), as_json)


def _save_gallery(result, images, path: Path, most: int) -> None:
    """The most confident mistakes of ``result``, drawn into ``path``, and a line on stderr saying so."""
    from ..views.pictures import mistakes_gallery, save_picture

    wrong = result.mistakes(most)
    if len(wrong) == 0:
        click.echo(_("no mistakes: {path} not written").format(path=path), err=True)
        return
    predicted = result.predictions[wrong]
    confidences = result.probabilities[wrong, predicted]
    gallery = mistakes_gallery(images[wrong], result.first + wrong, result.labels[wrong], predicted, confidences)
    save_picture(gallery, path)
    click.echo(_("saved the {count} most confident mistakes to {path}").format(count=len(wrong), path=path), err=True)
