"""`mnist-infer predict`: what the network says about MNIST images and your own pictures."""

from __future__ import annotations

from pathlib import Path

import click

from ..catalog import NOT_SURE_BELOW
from ..i18n import _
from .options import FileName, Number, command, data_dir_option, json_option, split_option, weights_option


@command(
    "predict",
    _(
        "Classify digits: MNIST images by index, or your own pictures with --image. Pictures are "
        "prepared the way MNIST was made: light digit on dark, fitted into 20×20, centred by its centre "
        "of mass in 28×28."
    ),
    _("Classify MNIST digits by index, or your own pictures."),
    """
mnist-infer predict 0 1 2
mnist-infer predict 8 --json
mnist-infer predict 8 --weights deep_convnet_params.pkl
mnist-infer predict --image my-seven.jpg --show-input
mnist-infer predict --image photos/ --save-input inputs/""",
    numbers=True,
)
@click.argument("indices", nargs=-1, type=int, metavar=_("[INDEX]..."))
@click.option(
    "--image",
    "images",
    multiple=True,
    type=FileName(),
    metavar=_("FILE_OR_DIR"),
    help=_(
        "A photo, scan or drawing of a digit (PNG, JPEG, BMP, GIF, WebP, TIFF); a directory means every "
        "image in it. Repeatable."
    ),
)
@split_option
@weights_option
@data_dir_option
@click.option("--show-input", is_flag=True, help=_("Also draw the 28×28 picture the network sees."))
@click.option(
    "--save-input",
    type=FileName(file_okay=False),
    metavar=_("DIR"),
    help=_("Write the 28×28 inputs as PNG files into DIR."),
)
@click.option(
    "--reject",
    type=Number(0, 1),
    default=NOT_SURE_BELOW,
    show_default=True,
    metavar="P",
    help=_('Say "not sure" when the largest probability is below P (0: never).'),
)
@json_option
def predict(
    indices: tuple[int, ...],
    images: tuple[Path, ...],
    split: str,
    weights: Path | None,
    data_dir: Path | None,
    show_input: bool,
    save_input: Path | None,
    reject: float,
    as_json: bool,
) -> None:
    if not indices and not images:
        raise click.UsageError(_("give at least one INDEX or --image FILE"))
    from ..data.mnist import load_split
    from ..inference import Predictions, predict_files, predict_indices
    from ..views import emit
    from ..weights import load_network, resolve

    path = resolve(weights, data_dir)
    network = load_network(path)
    items, data = [], None
    if indices:
        dataset = load_split(split, data_dir)
        items, data = predict_indices(network, dataset, indices, reject), dataset.images_path
    files = []
    if images:  # the picture code (Pillow's side) only for pictures
        from ..data.pictures import image_files

        files = [found for given in images for found in image_files(given)]
        items += predict_files(network, files, reject)
    result = Predictions(items, path, data)
    if result.failures and len(files) == 1 and not indices:  # a single picture: its error is the whole answer
        raise result.failures[0].error
    saved = (len(save_inputs(result, save_input)), save_input) if save_input else None
    emit(result, as_json, show_input=show_input, saved=saved)
    if result.failures:  # like cp or grep: every readable picture was answered; say what was not, and exit 1
        from ..errors import N_, ImageError

        first = result.failures[0]
        raise ImageError(N_("{count} of {total} pictures could not be read (first: {first})"),
                         count=len(result.failures), total=len(files), first=first.error)  # fmt: skip


def save_inputs(result, directory: Path) -> list[Path]:
    """The 28×28 input of each prediction as a PNG in ``directory`` (created if missing), named after its source."""
    from ..errors import N_, MnistInferError, os_reason
    from ..views.pictures import save_picture

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MnistInferError(N_("{path}: cannot create the directory ({reason})"),
                              path=directory, reason=os_reason(exc)) from None  # fmt: skip
    written: list[Path] = []
    for item in result.items:
        if hasattr(item, "error"):
            continue
        stem = Path(item.source).stem if item.index is None else item.source.replace("[", "-").rstrip("]")
        path, suffix = directory / f"{stem}.png", 1
        while path in written:
            suffix += 1
            path = directory / f"{stem}-{suffix}.png"
        written.append(save_picture(item.image, path))
    return written
