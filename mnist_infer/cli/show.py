"""`mnist-infer show`: MNIST digits drawn in the terminal (or as JSON pixels), and saved as a picture."""

from __future__ import annotations

from pathlib import Path

import click

from .options import (
    data_dir_option,
    debug_option,
    echo_lines,
    json_option,
    make_console,
    print_json,
    split_option,
    to_terminal,
)


@click.command()
@debug_option
@click.argument("indices", nargs=-1, required=True, type=int)
@split_option
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the digits side by side to a picture (.png, .jpg, .bmp, .gif, .webp or .tiff).",
)
@click.option(
    "--scale", type=click.IntRange(1, 64), default=10, show_default=True, help="Picture pixels per digit pixel."
)
@data_dir_option
@json_option
def show(
    indices: tuple[int, ...], split: str, save: Path | None, scale: int, data_dir: Path | None, as_json: bool
) -> None:
    """Draw MNIST digits in the terminal, with index and label.

    \b
    Example:
      mnist-infer show 0                    test image 0, a 7
      mnist-infer show 0 --split train      the book's x_train[0], a 5
      mnist-infer show 0 1 2 --save d.png   three digits side by side in a PNG
      mnist-infer show 0 --json             index, label and the 28×28 pixels
    """
    from ..data import load_split
    from ..locations import describe

    if save:
        from ..picture_files import picture_format

        picture_format(save)  # an unknown extension fails before any work
    dataset = load_split(split, data_dir)
    chosen = [dataset.check_index(i) for i in indices]
    saved = None
    if save:  # before drawing, so that a bad path fails without output
        from ..picture_files import digit_strip, save_picture

        saved = digit_strip(dataset.images[chosen], scale)
        save_picture(saved, save)
    if as_json:
        digits = [
            {"split": split, "index": i, "label": int(dataset.labels[i]), "pixels": dataset.images[i].tolist()}
            for i in chosen
        ]
        print_json({"digits": digits, "data": str(dataset.images_path)})
        return
    entries = [(f"{split}[{i}]  label {dataset.labels[i]}", dataset.images[i]) for i in chosen]
    footer = [f"{split} images: {describe(dataset.images_path)}"]
    if saved is not None:
        footer.append(f"saved {len(chosen)} digit(s) to {save} ({saved.shape[1]}×{saved.shape[0]} pixels)")
    if not to_terminal():
        from ..render import plain

        echo_lines([line for title, image in entries for line in (title, *plain.digit(image, plain.width()))])
        echo_lines(footer)
        return
    from ..render.digits import render_digits

    console = make_console()
    render_digits(console, entries)
    console.print(footer[0], style="dim", soft_wrap=True)
    for line in footer[1:]:
        console.print(line, soft_wrap=True)
