"""The ``mnist-infer`` command line: one short module per command in this folder, each a call into the library
whose result it hands to :func:`mnist_infer.views.emit`.

A command's module is imported when it runs or when the help lists it (each imports only Click at first); the core
(numpy) and Rich load inside the command. Errors are part of the interface: an anticipated failure prints one line
``Error: …`` in the user's language on stderr and exits 1, a usage error exits 2, Ctrl-C exits 130; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import re
import sys
import unicodedata
import warnings
from typing import Any, TextIO

import click

from .. import __version__
from ..catalog import BLAS_THREADS
from ..errors import MnistInferError, os_reason, silence_stdout
from ..i18n import ASCII, LANGUAGE_ENV, LANGUAGES, _, unicode_ok, use_language
from .options import debug_option, debug_requested, lang_option

EXIT_ERROR = 1  #: an anticipated failure: one line "Error: …"
EXIT_USAGE = 2  #: a command line Click cannot parse (Click's own code)
EXIT_INTERRUPTED = 130  #: Ctrl-C: what shells expect of a program stopped by SIGINT (128 + 2)
_NOT_COMMANDS = {"options"}


#: Stands after each character two cells wide (Hangul, CJK) while Click lays the help out, so that Click, which
#: measures text with len(), counts the cells a terminal shows; taken out of the finished help.
_WIDE = "\x00"
#: Stands for a hyphen in a path or URL while Click wraps the help, which would break a line after it
#: (``~/.cache/mnist-`` / ``infer``).
_HYPHEN = "\x01"
_PATH = re.compile(r"\S*/\S*")


def _cells(text: str) -> str:
    text = _PATH.sub(lambda path: path.group(0).replace("-", _HYPHEN), text)
    return "".join(c + _WIDE if unicodedata.east_asian_width(c) in "WF" else c for c in text)


class HelpFormatter(click.HelpFormatter):
    """Click's help laid out in display cells: the descriptions of a Korean help start at one column and wrap to the
    terminal's width as a terminal shows them; a path is never broken at its hyphens."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:  # Click's own "Usage: " (it asks gettext as below), measured in cells too
            import gettext

            prefix = gettext.gettext("Usage:") + " "
        super().write_usage(_cells(prog), _cells(args), _cells(prefix))

    def write_text(self, text: str) -> None:
        super().write_text(_cells(text))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(_cells(term), _cells(text)) for term, text in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        return super().getvalue().replace(_WIDE, "").replace(_HYPHEN, "-")


class Context(click.Context):
    formatter_class = HelpFormatter


class Cli(click.Group):
    """Finds its commands in this folder; turns every failure into one line and its exit code."""

    context_class = Context

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.list_commands(ctx):
            return None
        command = getattr(importlib.import_module(f".{name}", __name__), name)
        command.context_class = Context  # its help in display cells too
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            import difflib  # only for a mistyped command

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = _("Did you mean {name!r}?").format(name=close[0]) if close else ""
            ctx.fail(" ".join((_("No such command {name!r}.").format(name=name), hint)).strip())
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                if not debug_requested(ctx) and "--debug" not in sys.argv:
                    warnings.simplefilter("ignore")  # no raw warning reaches the user: the outcome says what matters
                return super().invoke(ctx)
        except MnistInferError as exc:
            if debug_requested(ctx):
                raise
            raise click.ClickException(" ".join(exc.render(_).split())) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(_("Interrupted."), err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:  # stdout closed early (`mnist-infer … | head`): not worth a message
            silence_stdout()
            raise click.exceptions.Exit(EXIT_ERROR) from None
        except Exception as exc:
            if debug_requested(ctx):
                raise
            raise click.ClickException(_one_line(exc)) from None


def _one_line(exc: Exception) -> str:
    """An unexpected failure in one line: what the user can act on, else an internal error to report."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {_(os_reason(exc))}"
    if isinstance(exc, OSError):  # no file named: the output failed (stdout on /dev/full, a terminal gone)
        silence_stdout()
        return _("cannot write the output ({reason})").format(reason=_(os_reason(exc)))
    if isinstance(exc, MemoryError):
        return _("not enough memory for this input")
    if isinstance(exc, RecursionError):
        return _("an input nested too deeply to be read")
    return _("internal error ({kind}: {reason}); rerun with --debug to see the traceback, and please report it").format(
        kind=type(exc).__name__, reason=" ".join(str(exc).split())
    )


def _language(argv: list[str]) -> str | None:
    """``--lang X`` or ``--lang=X``, before the command or after it: read before Click runs, so that the help and
    Click's own words are in that language too."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _unknown_language(argv: list[str]) -> str | None:
    """``$MNIST_INFER_LANG`` when it names no language of this tool (and ``--lang`` does not override it): gettext
    would fall back to English without a word."""
    wanted = os.environ.get(LANGUAGE_ENV, "").strip()
    if not wanted or _language(argv) is not None:
        return None
    codes = {part.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower() for part in wanted.split(":")}
    return None if codes & {*LANGUAGES, "c", "posix"} else wanted


def _group() -> click.Group:
    @click.group(
        cls=Cli,
        context_settings={"help_option_names": ["-h", "--help"]},
        options_metavar=_("[OPTIONS]"),
        subcommand_metavar=_("COMMAND [ARGS]..."),
        help=_(
            "Run the neural networks of Deep Learning from Scratch on MNIST: chapter 3's, and chapters 7–8's CNNs.\n\n"
            "\b\nStart here (the test set and the book's weights ship with the tool):\n"
            "  mnist-infer evaluate\n"
            "  mnist-infer evaluate --weights deep_convnet_params.pkl\n"
            "  mnist-infer show 0 1 2\n"
            "  mnist-infer predict --image my-digit.png\n"
            "  mnist-infer serve --open\n"
            "  mnist-infer toy\n"
            "  mnist-infer train --out mine.npz\n"
            "  mnist-infer download --split train"
        ),
    )
    @click.version_option(__version__, "--version", prog_name="mnist-infer", help=_("Show the version and exit."))
    @lang_option
    @debug_option
    def cli() -> None:
        pass

    return cli


#: The command line, in the language of the process when it was imported (for Click's test runner and libraries);
#: :func:`main` builds it anew once the user's language is known.
cli = _group()


_AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def configure_blas() -> int:
    """The BLAS policy, set before numpy loads BLAS: one thread, and as many of the tool's own workers as the process
    has CPUs (at most 4), each on its own images (BLAS's threads split every small product and wait for each other);
    and OpenBLAS's AVX-512 kernels where the processor has them (OpenBLAS 0.3 takes AMD's Zen 4 and 5 for Haswell:
    half the speed on a convolution's products). A user's own setting wins: then one worker. Returns the workers."""
    if any(os.environ.get(name) for name in BLAS_THREADS):
        return 1
    for name in BLAS_THREADS:
        os.environ[name] = "1"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpus:
        flags = next((line for line in cpus if line.startswith("flags")), "").split()
        if set(flags) >= _AVX512:
            os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4))


class _AsciiStream(io.TextIOBase):
    """A stream that cannot show Unicode, written to through :data:`ASCII` ("0-9999", not "0–9999"). It says
    "utf-8": Click writes UTF-8 bytes past a stream that says "ascii", which a C-locale terminal shows as garbage."""

    encoding = "utf-8"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text.translate(ASCII))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


def main() -> None:
    """The command line, in the language ``--lang`` (or the environment) asks for: set before any help is made."""
    workers = configure_blas()
    use_language(_language(sys.argv[1:]))
    if (unknown := _unknown_language(sys.argv[1:])) is not None:
        warning = _("Warning: {env}={value!r} is not a language of this tool; using English (the languages: {known})")
        with contextlib.suppress(OSError, ValueError, AttributeError):
            click.echo(warning.format(env=LANGUAGE_ENV, value=unknown, known=", ".join(LANGUAGES)), err=True)
    closed = []
    for fd in (0, 1, 2):  # a closed standard stream: devnull in its place, so that no file opened later takes it
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
            with contextlib.suppress(OSError):
                os.open(os.devnull, os.O_RDWR)
    sys.stdout = sys.stdout or open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    sys.stderr = sys.stderr or open(os.devnull, "w")  # noqa: SIM115
    if 1 in closed:
        click.echo(_("Error: {message}").format(message=_("standard output is closed: nowhere to write the results")),
                   err=True)  # fmt: skip
        sys.exit(EXIT_ERROR)
    for stream in ("stdout", "stderr"):  # a terminal that cannot show Unicode gets ASCII, never an error
        with contextlib.suppress(AttributeError, ValueError):
            getattr(sys, stream).reconfigure(errors="replace")
    if not unicode_ok(sys.stderr):
        sys.stderr = _AsciiStream(sys.stderr)
    _group()(prog_name="mnist-infer", obj={"workers": workers})
