"""What the commands share: common options, JSON output, the default weights, the console and progress displays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..catalog import DEFAULT_WEIGHTS_NAME, SPLITS
from ..errors import MnistInferError
from .debugging import debug_option, debug_requested  # noqa: F401 (every command takes them from here)


def data_dir_option(func: Callable) -> Callable:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Directory holding the MNIST files and weights [default: $MNIST_INFER_HOME, else "
        "$XDG_CACHE_HOME/mnist-infer, else ~/.cache/mnist-infer].",
    )(func)


def split_option(func: Callable) -> Callable:
    return click.option(
        "--split",
        type=click.Choice(SPLITS[::-1]),
        default="test",
        show_default=True,
        help="Which MNIST split to read.",
    )(func)


def weights_option(func: Callable) -> Callable:
    return click.option(
        "--weights",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"Weights file (.pkl or .npz) [default: {DEFAULT_WEIGHTS_NAME} in the data directory, else the "
        "copy packaged with mnist-infer].",
    )(func)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout.")(func)


def print_json(payload: Any) -> None:
    """Strict JSON on stdout: a NaN or an infinity (which JSON cannot carry) is an error, never printed."""
    import json  # only --json needs it

    try:
        text = json.dumps(payload, indent=2, allow_nan=False)
    except ValueError:
        raise MnistInferError("the result holds a number that is not finite (NaN or infinity); not printed") from None
    click.echo(text)


def weights_path(weights: Path | None, data_dir: Path | None) -> Path:
    """``--weights`` if given, else the book's weights: the data directory's copy, else the package's own."""
    if weights is not None:
        return weights
    from ..locations import default_weights

    return default_weights(data_dir)


def to_terminal() -> bool:
    """Whether Rich draws (a terminal) or plain lines are written (a pipe, a file): see mnist_infer.render."""
    from ..render import to_terminal as terminal

    return terminal()


def echo_lines(lines: list[str]) -> None:
    click.echo("\n".join(lines))


def make_console():
    from ..render.console import make_console

    return make_console()
