"""`mnist-infer show`: MNIST digits drawn in the terminal (or as JSON pixels), and saved as a picture."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .options import FileName, command, data_dir_option, json_option, picture_path, split_option


@command(
    "show",
    _("Draw MNIST digits in the terminal, with index and label, side by side where they fit."),
    _("Draw MNIST digits in the terminal."),
    """
mnist-infer show 0
mnist-infer show 0 1 2 3
mnist-infer show 0 --split train
mnist-infer show 0 1 2 --save digits.png
mnist-infer show 0 --json
mnist-infer show --mean --save means.png""",
    numbers=True,
)
@click.argument("indices", nargs=-1, type=int, metavar=_("[INDEX]..."))
@click.option("--mean", is_flag=True, help=_("Draw the average digit of each class, and count each class."))
@split_option
@click.option(
    "--save",
    type=FileName(dir_okay=False),
    callback=picture_path(),
    metavar=_("FILE"),
    help=_("Also write the digits side by side to a picture (.png, .jpg, .bmp, .gif, .webp or .tiff)."),
)
@click.option(
    "--scale", type=click.IntRange(1, 64), default=10, show_default=True, help=_("Picture pixels per digit pixel.")
)
@data_dir_option
@json_option
def show(
    indices: tuple[int, ...],
    mean: bool,
    split: str,
    save: Path | None,
    scale: int,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    if mean == bool(indices):
        raise click.UsageError(_("give INDEX… or --mean"))
    from ..data.mnist import class_means, digits, load_split
    from ..views import emit

    dataset = load_split(split, data_dir)
    result = class_means(dataset) if mean else digits(dataset, indices)
    if save:
        from ..views.pictures import digit_strip, save_picture

        strip = digit_strip(result.images, scale)
        save_picture(strip, save)
        result = result._replace(saved=(save, (strip.shape[1], strip.shape[0])))
    emit(result, as_json)
