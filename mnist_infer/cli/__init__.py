"""The ``mnist-infer`` command line: each command parses its options, calls the core, hands results to rendering.

Only Click is imported at start-up; each command imports the core (numpy) and Rich when it runs, so that
``mnist-infer --help`` is quick. Anticipated failures print one line ``Error: …`` and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import warnings
from typing import Any

import click

from .. import __version__
from ..catalog import BLAS_THREAD_SETTINGS
from ..errors import MnistInferError
from .debugging import debug_option, debug_requested
from .streams import make_encodable

#: Every command (each defined in the module of this package of the same name), and the first line of its help.
#: A command's module is imported only when it runs (or for its own --help): `mnist-infer --help` lists these
#: without importing any (tests/test_cli.py keeps them equal to the commands' own).
COMMANDS = {
    "download": "Fetch MNIST and the book's weights into the data directory, verified against their checksums.",
    "evaluate": "Accuracy of a network on an MNIST split, as the book prints it, with where it goes wrong.",
    "predict": "Classify digits: MNIST images by index, or your own pictures with --image.",
    "serve": "Draw a digit in the browser and watch the network answer, layer by layer.",
    "show": "Draw MNIST digits in the terminal, with index and label.",
    "toy": "The book's toy 2-3-2-2 network (section 3.4.3), step by step.",
    "train": "Train the book's 784-50-100-10 network on the MNIST training images and save its weights.",
}


class _Cli(click.Group):
    """Loads commands on demand; turns the project's errors (and any unexpected one) into one ``Error:`` line and
    exit code 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f".{name}", __name__), name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, as Click writes it, from :data:`COMMANDS`: no command is imported for it."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=COMMANDS[name]).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str], parent=None, **extra: Any) -> click.Context:
        extra.setdefault("terminal_width", help_width())
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        def debug() -> bool:  # asked for before the command, or after it (known once its options are parsed)
            return debug_requested(ctx)

        try:
            if sys.stdout is None:  # started with stdout closed: a file opened now would take its descriptor
                raise click.ClickException("standard output is closed: nowhere to write the results")
            with warnings.catch_warnings():
                if not debug():
                    warnings.simplefilter("ignore")  # a library's warning must not precede the one line of output
                return super().invoke(ctx)
        except MnistInferError as exc:
            if debug():
                raise
            raise click.ClickException(_one_line(str(exc))) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            # Ctrl-C: no traceback, the shell's exit code for SIGINT (128 + 2); a download keeps its .part file.
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # stdout closed early (`mnist-infer … | head`): not worth a message.
            _silence_stdout()
            raise click.exceptions.Exit(1) from None
        except OSError as exc:
            if debug():
                raise
            if exc.filename is not None:
                raise click.ClickException(_one_line(f"{exc.filename}: {exc.strerror or exc}")) from None
            # No file named: what failed is the output (stdout on /dev/full, a terminal gone); every file the
            # tool reads or writes is named by its own errors.
            _silence_stdout()
            raise click.ClickException(f"cannot write the output ({exc.strerror or exc})") from None
        except MemoryError:
            if debug():
                raise
            raise click.ClickException("not enough memory for this input") from None
        except RecursionError:
            if debug():
                raise
            raise click.ClickException("an input nested too deeply to be read") from None
        except Exception as exc:
            if debug():
                raise
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {_one_line(str(exc))}); rerun with --debug to see the "
                "traceback, and please report it"
            ) from None


def _silence_stdout() -> None:
    """Point stdout at devnull, so that flushing it at exit does not fail again and print a second line (the
    recipe of Python's signal documentation for a closed pipe)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _one_line(message: str) -> str:
    return " ".join(message.split())


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mnist-infer")
@debug_option
def cli() -> None:
    """Run the neural network of chapter 3 of Deep Learning from Scratch on MNIST.

    \b
    Start here (the test set and the book's weights ship with the tool):
      mnist-infer evaluate               accuracy of the book's weights (0.9352)
      mnist-infer show 0                 draw test image 0 in the terminal
      mnist-infer predict 0 1 2          what the network says about them
      mnist-infer predict --image d.png  what it says about your own digit
      mnist-infer serve --open           draw a digit, watch the network answer
      mnist-infer toy                    the toy 2-3-2-2 network, step by step
      mnist-infer train --out mine.npz   train it yourself (chapters 4–6)
      mnist-infer download --split train the 60,000 training images
    """


def help_width() -> int:
    """The width Click gives help and usage text: the terminal's columns (``$COLUMNS`` first, else 80), at most 78
    and at least 50. Click would ask ``shutil.get_terminal_size``, and importing shutil (which imports bz2, lzma
    and zlib) costs ``--help`` a twentieth of its time."""
    if (width := click.formatting.FORCED_WIDTH) is not None:
        return width
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, 80) - 2, 50)


#: Whether this process chose its BLAS threads itself (see :func:`main`).
_threads_chosen_here = False


#: At most this many forward-pass threads: the test set is some 40 ms of work for one core, and a machine that
#: lends a container many CPUs may let it use only a few of them.
MAX_FORWARD_WORKERS = 4


def forward_workers() -> int:
    """Threads for a large forward pass: one per CPU this process may use (at most
    :data:`MAX_FORWARD_WORKERS`) when :func:`main` made BLAS single-threaded, else one (the user's own BLAS
    threads do the parallel work)."""
    if not _threads_chosen_here:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, MAX_FORWARD_WORKERS))


def main() -> None:
    global _threads_chosen_here
    # One BLAS thread, unless the user chose, and the parallel work done by the tool's own threads, each on its
    # own images (forward_workers). BLAS's threads split every product and wait for each other: when another
    # program keeps a core busy, a 2000×784 product then takes twice as long. Set before numpy is imported,
    # which is when OpenBLAS reads it.
    if not any(os.environ.get(name) for name in BLAS_THREAD_SETTINGS):
        for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):  # whichever numpy has
            os.environ[name] = "1"
        _threads_chosen_here = True
    make_encodable()
    try:
        cli(prog_name="mnist-infer")
    finally:
        # The process is about to end, and the interpreter's last garbage collections would walk every object
        # the run made: a sixth of a short command's time. Frozen, they are skipped. Nothing is lost: what is
        # not in a reference cycle is still freed (files flushed and closed), and atexit handlers still run.
        gc.freeze()
