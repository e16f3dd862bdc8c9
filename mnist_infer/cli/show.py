"""`mnist-infer show`: MNIST digits drawn in the terminal."""

from __future__ import annotations

from pathlib import Path

import click

from .options import data_dir_option, debug_option, make_console, split_option


@click.command()
@debug_option
@click.argument("indices", nargs=-1, required=True, type=int)
@split_option
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), help="Also write the digits to a PNG file.")
@click.option("--scale", type=click.IntRange(1, 64), default=10, show_default=True, help="PNG pixels per digit pixel.")
@data_dir_option
def show(indices: tuple[int, ...], split: str, save: Path | None, scale: int, data_dir: Path | None) -> None:
    """Draw MNIST digits in the terminal, with index and label.

    \b
    Example:
      mnist-infer show 0                    test image 0, a 7
      mnist-infer show 0 --split train      the book's x_train[0], a 5
      mnist-infer show 0 1 2 --save d.png   three digits side by side in a PNG
    """
    from ..data import load_split
    from ..locations import describe

    dataset = load_split(split, data_dir)
    chosen = [dataset.check_index(i) for i in indices]
    saved = None
    if save:  # before drawing, so that a bad path fails without output
        from ..picture_files import digit_strip, save_png

        saved = digit_strip(dataset.images[chosen], scale)
        save_png(saved, save)
    from ..render.digits import render_digits

    console = make_console()
    render_digits(console, [(f"{split}[{i}]  label {dataset.labels[i]}", dataset.images[i]) for i in chosen])
    console.print(f"{split} images: {describe(dataset.images_path)}", style="dim", soft_wrap=True)
    if saved is not None:
        console.print(
            f"saved {len(chosen)} digit(s) to {save} ({saved.shape[1]}×{saved.shape[0]} pixels)", soft_wrap=True
        )
