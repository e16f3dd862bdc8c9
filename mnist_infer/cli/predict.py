"""`mnist-infer predict`: what the network says about MNIST images and your own pictures."""

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
    weights_option,
    weights_path,
)


@click.command()
@debug_option
@click.argument("indices", nargs=-1, type=int)
@click.option(
    "--image",
    "images",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE_OR_DIR",
    help="A photo, scan or drawing of a digit (PNG, JPEG, BMP, GIF, WebP, TIFF); a directory means every "
    "image in it. Repeatable.",
)
@split_option
@weights_option
@data_dir_option
@click.option("--show-input", is_flag=True, help="Also draw the 28×28 picture the network sees.")
@click.option(
    "--save-input",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write the 28×28 inputs as PNG files into DIR.",
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
    as_json: bool,
) -> None:
    """Classify digits: MNIST images by index, or your own pictures with --image.

    Pictures are prepared the way MNIST was made: light digit on dark, fitted into 20×20, centred by its
    centre of mass in 28×28.

    \b
    Example:
      mnist-infer predict 0 1 2
      mnist-infer predict 8 --json
      mnist-infer predict --image my-seven.jpg --show-input
      mnist-infer predict --image photos/ --save-input inputs/
    """
    if not indices and not images:
        raise click.UsageError("give at least one INDEX or --image FILE")
    from ..errors import ImageError
    from ..locations import describe
    from ..predictions import Failure, predict_files, predict_indices, save_inputs
    from ..weights import load_network

    weights_file = weights_path(weights, data_dir)
    network = load_network(weights_file)
    results = []
    sources = [f"weights: {describe(weights_file)}"]
    if indices:
        from ..data import load_split

        dataset = load_split(split, data_dir)
        results += predict_indices(network, dataset, list(indices))
        sources.append(f"{split} images: {describe(dataset.images_path)}")
    files = []
    if images:
        from ..photo_reading import image_files

        files = [path for given in images for path in image_files(given)]
        results += predict_files(network, files)
    failures = [item for item in results if isinstance(item, Failure)]
    if failures and len(files) == 1 and not indices:  # a single picture: its error is the whole answer
        raise ImageError(f"{failures[0].source}: {failures[0].error}")
    saved = save_inputs(results, save_input) if save_input else []
    if as_json:
        print_json({"predictions": [item.to_dict() for item in results]})
    elif not to_terminal():
        from ..render import plain

        echo_lines(plain.predictions(results, show_input=show_input))
        echo_lines(["; ".join(sources), *([f"saved {len(saved)} input(s) to {save_input}"] if saved else [])])
    else:
        from ..render.predictions import render_predictions

        console = make_console()
        render_predictions(console, results, show_input=show_input)
        console.print("; ".join(sources), style="dim", soft_wrap=True)
        if saved:
            console.print(f"saved {len(saved)} input(s) to {save_input}", soft_wrap=True)
    if failures:  # like cp or grep: every readable picture was answered; say what was not, and exit 1
        first = failures[0]
        raise ImageError(
            f"{len(failures)} of {len(files)} pictures could not be read (first: {first.source}: {first.error})"
        )
