"""The ``mnist-infer`` command line: each command parses its options, calls the core, hands results to rendering.

Only Click is imported at start-up; each command imports the core (numpy) and Rich when it runs, so that
``mnist-infer --help`` is quick. Anticipated failures print one line ``Error: …`` and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import __version__
from ..errors import MnistInferError
from . import download, evaluate, predict, show, toy, train
from .options import debug_option, debug_requested


class _Cli(click.Group):
    """Turns the project's errors (and any unexpected one) into one ``Error:`` line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MnistInferError as exc:
            if debug_requested(ctx):
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
            if debug_requested(ctx):
                raise
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {_one_line(str(exc))}); rerun with --debug to see the "
                "traceback, and please report it"
            ) from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mnist-infer")
@debug_option
def cli() -> None:
    """Run the neural network of chapter 3 of Deep Learning from Scratch on MNIST.

    \b
    Start here:
      mnist-infer download              fetch MNIST and the book's weights
      mnist-infer evaluate              accuracy of the book's weights (0.9352)
      mnist-infer show 0                draw test image 0 in the terminal
      mnist-infer predict 0 1 2         what the network says about them
      mnist-infer toy                   the toy 2-3-2-2 network, step by step
      mnist-infer train --out mine.npz  train it yourself (chapters 4-6)
    """


for _command in (download.download, evaluate.evaluate, predict.predict, show.show, toy.toy, train.train):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="mnist-infer")
