"""The ``mnist-infer`` command line: parse options, call the core, hand the results to rendering.

Only Click is imported at start-up; each command imports the core (numpy) and Rich when it runs, so that
``mnist-infer --help`` is quick. Anticipated failures print one line ``Error: …`` and exit 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import MnistInferError

DEBUG_ENV = "MNIST_INFER_DEBUG"
DEFAULT_BATCH_SIZE = 2000  # mnist_infer.network.DEFAULT_BATCH_SIZE, without importing numpy at start-up


class _Cli(click.Group):
    """Turns the project's errors (and any unexpected one) into one ``Error:`` line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = ctx.params.get("debug") or os.environ.get(DEBUG_ENV) == "1"
        try:
            return super().invoke(ctx)
        except MnistInferError as exc:
            if debug:
                raise
            raise click.ClickException(_one_line(str(exc))) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # stdout closed early (`mnist-infer … | head`): not worth a message. Point stdout at devnull so
            # that flushing it at exit does not raise again (the recipe of Python's signal documentation).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if debug:
                raise
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {_one_line(str(exc))}); rerun with --debug to see the "
                "traceback, and please report it"
            ) from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mnist-infer")
@click.option("--debug", is_flag=True, help=f"Show the traceback of an error (or set {DEBUG_ENV}=1).")
def cli(debug: bool) -> None:
    """Run the neural network of chapter 3 of Deep Learning from Scratch on MNIST.

    \b
    Start here:
      mnist-infer download              fetch MNIST and the book's weights
      mnist-infer evaluate              accuracy of the book's weights (0.9352)
      mnist-infer show 0                draw test image 0 in the terminal
      mnist-infer predict 0 1 2         what the network says about them
      mnist-infer toy                   the toy 2-3-2-2 network, step by step
    """


def main() -> None:
    cli(prog_name="mnist-infer")


# --- shared options ---------------------------------------------------------------------------------------


def data_dir_option(func: Callable) -> Callable:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Directory holding the MNIST files and weights [default: $MNIST_INFER_HOME, else ~/.cache/mnist-infer].",
    )(func)


def split_option(func: Callable) -> Callable:
    return click.option(
        "--split",
        type=click.Choice(["test", "train"]),
        default="test",
        show_default=True,
        help="Which MNIST split to read.",
    )(func)


def weights_option(func: Callable) -> Callable:
    return click.option(
        "--weights",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Weights file (.pkl or .npz) [default: sample_weight.pkl in the data directory].",
    )(func)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout.")(func)


def _print_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2))


def _weights_path(weights: Path | None, data_dir: Path | None) -> Path:
    if weights is not None:
        return weights
    from .data import resolve_data_dir
    from .weights import DEFAULT_WEIGHTS_NAME

    path = resolve_data_dir(data_dir) / DEFAULT_WEIGHTS_NAME
    if not path.is_file():
        raise MnistInferError(
            f"{path}: no weights file; `mnist-infer download` fetches the book's {DEFAULT_WEIGHTS_NAME}, "
            "or pass --weights FILE"
        )
    return path


def _console():
    from .render import make_console

    return make_console()


def _live(console, kind: str, *args: object) -> contextlib.AbstractContextManager:
    """A progress display from render (``kind`` names its class) on a terminal; nothing in a pipe or for JSON."""
    if console is None or not console.is_terminal:
        return contextlib.nullcontext(None)
    from . import render

    return getattr(render, kind)(console, *args)


# --- commands ---------------------------------------------------------------------------------------------


@cli.command()
@click.option("--x", "x", nargs=2, type=float, metavar="X1 X2", help="Input to the network [default: 1.0 0.5].")
@json_option
def toy(x: tuple[float, float] | None, as_json: bool) -> None:
    """The book's toy 2-3-2-2 network (section 3.4.3), step by step.

    \b
    Example:
      mnist-infer toy
      mnist-infer toy --x 0.3 -1.2 --json
    """
    import numpy as np

    from .network import softmax
    from .weights import toy_network

    network, default_x = toy_network()
    inputs = np.array(x, dtype=np.float64) if x else default_x
    values = {"x": inputs, **network.activations(inputs)}
    values["y"] = values["a3"]  # the toy's output layer is the identity
    values["softmax"] = softmax(values["a3"])
    if as_json:
        _print_json({key: [float(v) for v in value] for key, value in values.items()})
        return
    from .render import render_toy

    render_toy(_console(), values)


@cli.command()
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
    from .data import load_split

    dataset = load_split(split, data_dir)
    chosen = [dataset.check_index(i) for i in indices]
    saved = None
    if save:  # before drawing, so that a bad path fails without output
        from .pictures import digit_strip, save_png

        saved = digit_strip(dataset.images[chosen], scale)
        save_png(saved, save)
    from .render import render_digits

    console = _console()
    render_digits(console, [(f"{split}[{i}]  label {dataset.labels[i]}", dataset.images[i]) for i in chosen])
    if saved is not None:
        console.print(
            f"saved {len(chosen)} digit(s) to {save} ({saved.shape[1]}×{saved.shape[0]} pixels)", soft_wrap=True
        )


@cli.command()
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
    from .predictions import predict_files, predict_indices, save_inputs
    from .weights import load_network

    network = load_network(_weights_path(weights, data_dir))
    results = []
    if indices:
        from .data import load_split

        results += predict_indices(network, load_split(split, data_dir), list(indices))
    if images:
        from .preprocess import image_files

        results += predict_files(network, [path for given in images for path in image_files(given)])
    saved = save_inputs(results, save_input) if save_input else []
    if as_json:
        _print_json({"predictions": [item.to_dict() for item in results]})
        return
    from .render import render_predictions

    console = _console()
    render_predictions(console, results, show_input=show_input)
    if saved:
        console.print(f"saved {len(saved)} input(s) to {save_input}", soft_wrap=True)


@cli.command()
@click.option(
    "--weights",
    "weights",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Weights file (.pkl or .npz); repeat to compare several on the same images "
    "[default: sample_weight.pkl in the data directory].",
)
@split_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Images per forward pass (bounds memory; 1 is the book's per-image loop).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N images.")
@click.option(
    "--errors",
    "errors_png",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
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
      mnist-infer evaluate                              the book's weights: 0.9352
      mnist-infer evaluate --weights sample_weight.pkl --json
      mnist-infer evaluate --errors mistakes.png        the 100 most confident mistakes
      mnist-infer evaluate --weights a.pkl --weights b.npz   compare two networks
      mnist-infer evaluate --batch-size 1               the book's per-image loop, slower
    """
    from .data import load_split
    from .evaluation import disagreements
    from .evaluation import evaluate as run_evaluation
    from .weights import load_network

    paths = list(weights) or [_weights_path(None, data_dir)]
    networks = [load_network(path) for path in paths]  # every weights file is checked before any work
    dataset = load_split(split, data_dir)
    console = None if as_json else _console()
    results = []
    for path, network in zip(paths, networks, strict=True):
        with _live(console, "EvaluationProgress", f"{path.name} on {split}") as progress:
            results.append(
                run_evaluation(
                    network, dataset, weights=str(path), batch_size=batch_size, limit=limit, progress=progress
                )
            )
    gallery = _save_gallery(results[0], dataset.images, errors_png, errors_max) if errors_png else None
    if as_json:
        if len(results) == 1:
            _print_json(results[0].summary())
        else:
            _print_json(
                [
                    {**result.summary(), "disagreements": int(count)}
                    for result, count in zip(results, disagreements(results), strict=True)
                ]
            )
        return
    from .render import render_comparison, render_evaluation_report
    from .weights import identify

    if len(results) == 1:
        render_evaluation_report(console, results[0], identify(paths[0]))
    else:
        render_comparison(console, results, disagreements(results))
    if gallery is not None:
        console.print(gallery, soft_wrap=True)


def _save_gallery(result, images, path: Path, most: int) -> str:
    """Draw the most confident mistakes of ``result`` into ``path``; a line saying what was written."""
    from .pictures import mistakes_gallery, save_png

    wrong = result.mistakes(most)
    if len(wrong) == 0:
        return f"no mistakes: {path} not written"
    predicted = result.predictions[wrong]
    save_png(
        mistakes_gallery(images[wrong], result.labels[wrong], predicted, result.probabilities[wrong, predicted]),
        path,
    )
    return f"saved the {len(wrong)} most confident mistakes to {path}"


@cli.command()
@click.option(
    "--split",
    type=click.Choice(["all", "train", "test"]),
    default="all",
    show_default=True,
    help="Which MNIST files to fetch.",
)
@data_dir_option
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    metavar="URL_OR_DIR",
    help="Base URL or local directory holding the files under their canonical names; tried first "
    "(repeatable; also $MNIST_INFER_MIRRORS, comma-separated).",
)
@click.option("--only-mirrors", is_flag=True, help="Try only the given mirrors, not the public hosts.")
@click.option("--no-weights", is_flag=True, help="Do not fetch the book's sample_weight.pkl.")
@click.option("--force", is_flag=True, help="Fetch again even files that are present and verified.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a server to connect or to send more bytes.",
)
@json_option
def download(
    split: str,
    data_dir: Path | None,
    mirrors: tuple[str, ...],
    only_mirrors: bool,
    no_weights: bool,
    force: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Fetch MNIST and the book's weights into the data directory, verified against their checksums.

    Sources are tried in order: your mirrors, then ossci-datasets (S3), cvdf-datasets (Google Cloud), and the
    Korean edition's repository; for the weights, the book's repositories. A file already present and
    verified is not fetched again; an interrupted download resumes.

    \b
    Example:
      mnist-infer download
      mnist-infer download --split test --mirror /media/usb/mnist --only-mirrors
    """
    from .data import resolve_data_dir
    from .download import download as fetch_all
    from .download import failure_message, mirrors_from, plan
    from .errors import DownloadError

    sources = mirrors_from(mirrors)
    if only_mirrors and not sources:
        raise click.UsageError("--only-mirrors needs --mirror URL_OR_DIR (or $MNIST_INFER_MIRRORS)")
    directory = resolve_data_dir(data_dir)
    targets = plan(split, weights=not no_weights, mirrors=sources, only_mirrors=only_mirrors)
    console = None if as_json else _console()
    with _live(console, "DownloadProgress") as progress:
        reports = fetch_all(directory, targets, force=force, timeout=(min(10.0, timeout), timeout), progress=progress)
    if console is None:
        _print_json({"data_dir": str(directory), "files": [r.to_dict() for r in reports]})
    else:
        from .render import render_download_report

        render_download_report(console, reports, str(directory))
    if any(r.status == "failed" for r in reports):
        raise DownloadError(failure_message(reports))
