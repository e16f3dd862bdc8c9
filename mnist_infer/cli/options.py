"""What the commands share: options as decorators (their choices from the library's registries), ``--debug``, and
the ranges of images a command may take."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import click

from ..catalog import SPLITS
from ..errors import N_
from ..i18n import LANGUAGE_ENV, LANGUAGES, _

DEBUG_ENV = "MNIST_INFER_DEBUG"
_NEGATIVE_INTEGER = re.compile(r"-[0-9]+")
_DEBUG_KEY = "mnist_infer.debug"


def debug_option(func: Callable) -> Callable:
    """``--debug``, accepted before the command and after it (where people add it when an error says so)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta[_DEBUG_KEY] = True  # shared by the group and its command

    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help=_("Show the traceback of an error (or set {env}=1).").format(env=DEBUG_ENV),
    )(func)


def lang_option(func: Callable) -> Callable:
    """``--lang``, accepted before the command and after it: the command line reads it from anywhere in its
    arguments before Click runs (:func:`mnist_infer.cli.main`), so that the help and Click's words are in it too."""
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        expose_value=False,
        help=_("Language of the output [default: ${env}, else the locale's].").format(env=LANGUAGE_ENV),
    )(func)


def given(ctx: click.Context, *names: str) -> list[str]:
    """The options among ``names`` (parameter names) that the user gave on the command line, as they are spelled
    there (``--batch-norm``): for settings that do not apply, which must not be ignored silently."""
    from click.core import ParameterSource

    spelled = {param.name: param.opts[0] for param in ctx.command.params}
    return [spelled[name] for name in names if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]


def workers() -> int:
    """Threads for a forward pass over many images (see :func:`mnist_infer.cli.configure_blas`)."""
    obj = click.get_current_context().find_root().obj
    return obj.get("workers", 1) if isinstance(obj, dict) else 1


def malloc_thresholds(mmap: int, trim: int | None = None) -> None:
    """glibc's thresholds for blocks it maps apart (``mmap``) and for the free memory it keeps (``trim``): a
    command's policy for the memory it frees (glibc only; elsewhere nothing). By default glibc raises the first up to
    32 MiB as such blocks are freed, and keeps what a thread frees in that thread's arena."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError, TypeError):
        mallopt = ctypes.CDLL(None).mallopt
        mallopt(-3, mmap)  # M_MMAP_THRESHOLD
        if trim is not None:
            mallopt(-1, trim)  # M_TRIM_THRESHOLD


def keep_batch_memory() -> None:
    """Each batch's blocks kept for the next (``train``, and ``evaluate`` of a convolutional network): given back to
    the system, they faulted their pages in again, batch after batch (a quarter of a CNN's training time; 0.7 s,
    420,000 faults, over the DeepConvNet's 10,000 test images)."""
    malloc_thresholds(mmap=32 << 20, trim=256 << 20)


def debug_requested(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(_DEBUG_KEY)) or os.environ.get(DEBUG_ENV) == "1"


class Command(click.Command):
    """A command whose ``greedy`` options take every number that follows them: ``--hidden 100 100 100`` is the one
    value "100 100 100"."""

    greedy: tuple[str, ...] = ()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        grouped: list[str] = []
        taking = False  # whether the last argument is a greedy option's value, which more numbers extend
        for arg in args:
            if taking and arg.isdigit():
                grouped[-1] += " " + arg
                continue
            taking = (bool(grouped) and grouped[-1] in self.greedy) or ("=" in arg and arg.split("=")[0] in self.greedy)
            grouped.append(arg)
        if ctx.ignore_unknown_options:
            self._refuse_unknown_options(ctx, grouped)
        return super().parse_args(ctx, grouped)

    def _refuse_unknown_options(self, ctx: click.Context, args: list[str]) -> None:
        """Where unknown options are let through so that ``-1`` is an index: anything else that starts with a dash
        and is no option is Click's own "No such option" (with its "Did you mean"), not a bad index."""
        parser = self.make_parser(ctx)
        before = args[: args.index("--")] if "--" in args else args  # after "--", everything is an argument
        opts, rest, _order = parser.parse_args(args=list(before))
        known = sorted({*parser._long_opt, *parser._short_opt})
        positional = [opts.get(param.name) for param in self.params if isinstance(param, click.Argument)]
        given = [value for values in positional for value in (values if isinstance(values, tuple) else [values])]
        for arg in [*given, *rest]:
            if not isinstance(arg, str):
                continue
            if arg.startswith("-") and arg != "-" and not _NEGATIVE_INTEGER.fullmatch(arg):
                name = arg.split("=", 1)[0]
                import difflib  # only for a mistyped option

                close = difflib.get_close_matches(name, known) if name.startswith("--") else []
                raise click.NoSuchOption(name, possibilities=close, ctx=ctx)


def command(
    name: str, help: str, short: str, examples: str, numbers: bool = False, greedy: tuple[str, ...] = ()
) -> Callable:
    """A command with its help, a one-line summary for the list of commands, examples that can be pasted as they are,
    ``--debug`` and ``--lang``. With ``numbers``, ``-1`` is an argument (an index out of range), not an unknown
    option; the ``greedy`` options take all the numbers that follow them."""

    def decorate(func: Callable) -> Callable:
        heading = _("Examples:")
        text = f"{help}\n\n\b\n{heading}\n" + "\n".join(f"  {line}" for line in examples.strip().splitlines())
        settings = {"ignore_unknown_options": numbers, "help_option_names": ["-h", "--help"]}
        kind = type("Command", (Command,), {"greedy": greedy})
        made = click.command(name, cls=kind, help=text, short_help=short, context_settings=settings,
                             options_metavar=_("[OPTIONS]"))(lang_option(debug_option(func)))  # fmt: skip
        for param in made.params:  # Click's own placeholders (INTEGER, TEXT…) are not translated by Click
            if param.metavar is None and param.type.name in TYPE_METAVARS:
                param.metavar = _(TYPE_METAVARS[param.type.name])
        return made

    return decorate


#: The placeholders of Click's types in ``--help``, which Click itself does not translate.
TYPE_METAVARS = {
    "integer": N_("INTEGER"),
    "integer range": N_("INTEGER RANGE"),
    "float": N_("FLOAT"),
    "float range": N_("FLOAT RANGE"),
    "text": N_("TEXT"),
}


class Number(click.FloatRange):
    """A finite number, in a range if one is given: NaN passes a range's comparisons, and infinity is never a
    setting. The one float type of every option."""

    def convert(self, value, param, ctx) -> float:
        try:
            float(value)
        except (TypeError, ValueError):  # Click would say "is not a valid float range"
            self.fail(_("{value!r} is not a number").format(value=str(value)), param, ctx)
        number = super().convert(value, param, ctx)
        check_finite(number, value, param, ctx)
        return number

    def _describe_range(self) -> str:
        return "" if self.min is None and self.max is None else super()._describe_range()  # no "x<=None"


def check_finite(number: float, value, param: click.Parameter | None, ctx: click.Context | None) -> None:
    """A usage error unless ``number`` (read from ``value``) is a finite number."""
    if not math.isfinite(number):
        raise click.BadParameter(_("{value!r} is not a finite number").format(value=str(value)), ctx, param)


class FileName(click.Path):
    """A path, never empty (an empty name would mean the current folder): the one path type of every option."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("path_type", Path)
        super().__init__(**kwargs)

    def convert(self, value, param, ctx):
        refuse_empty(value, param, ctx)
        if not self.dir_okay and isinstance(value, str) and value.endswith(("/", os.sep)):
            # Path() would drop the slash, and a file would be written where a directory was named
            raise click.BadParameter(_("{name!r} names a directory; give a file name").format(name=value), ctx, param)
        return super().convert(value, param, ctx)


class Location(click.ParamType):
    """A URL or a directory (a mirror), never empty: an empty name would mean the current folder."""

    name = "text"

    def convert(self, value, param, ctx) -> str:
        refuse_empty(value, param, ctx)
        return str(value)


def refuse_empty(value, param: click.Parameter | None, ctx: click.Context | None) -> None:
    """A usage error for an empty file name, in every option that names a file, a folder or a mirror."""
    if not str(value):
        raise click.BadParameter(_("an empty file name"), ctx, param)


def data_dir_option(func: Callable) -> Callable:
    return click.option(
        "--data-dir",
        type=FileName(file_okay=False),
        help=_(
            "Directory holding the MNIST files and weights [default: $MNIST_INFER_HOME, else "
            "$XDG_CACHE_HOME/mnist-infer, else ~/.cache/mnist-infer]."
        ),
    )(func)


def split_option(func: Callable) -> Callable:
    return click.option(
        "--split", type=click.Choice(SPLITS), default="test", show_default=True, help=_("Which MNIST split to read.")
    )(func)


def weights_option(func: Callable | None = None, *, multiple: bool = False) -> Callable:
    """``--weights FILE`` (``multiple``: repeatable); as ``@weights_option`` or ``@weights_option(multiple=True)``."""
    if func is None:
        return lambda func: weights_option(func, multiple=multiple)
    help = _(
        "Weights file (.pkl or .npz). The book's names (sample_weight.pkl, params.pkl, deep_convnet_params.pkl) "
        "mean its files, from any folder [default: sample_weight.pkl]."
    )
    if multiple:
        help += " " + _("Repeat to compare several on the same images.")
    return click.option("--weights", multiple=multiple, type=FileName(dir_okay=False), metavar=_("FILE"), help=help)(
        func
    )


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help=_("Print only JSON on stdout."))(func)


class Registry(click.Choice):
    """A choice of the names in one of the library's registries, read when first needed (the registries import numpy,
    which the list of commands must not)."""

    def __init__(self, module: str, name: str) -> None:
        self._where = (module, name)

    @property
    def choices(self) -> tuple[str, ...]:
        import importlib

        module, name = self._where
        return tuple(getattr(importlib.import_module(module), name))

    @property
    def case_sensitive(self) -> bool:
        return True

    def get_missing_message(self, param, ctx) -> str:
        """One line (Click's lists the names a tab-indented line each)."""
        return _("Choose from: {choices}.").format(choices=", ".join(self.choices))


class ImageRange(click.ParamType):
    """``N`` (the first N images) or ``START:STOP`` (images START to STOP-1), as a slice."""

    name = "N|START:STOP"

    def get_metavar(self, param, ctx) -> str:
        return _("N|START:STOP")

    def convert(self, value, param, ctx) -> slice:
        if isinstance(value, slice):
            return value
        text = str(value)
        start, colon, stop = text.partition(":")
        try:
            first, last = (int(start or 0), int(stop)) if colon else (0, int(text))
        except ValueError:
            self.fail(_("{value!r} is not N or START:STOP").format(value=text), param, ctx)
        if not colon and last < 1:
            self.fail(_("{value!r}: N is a number of images, at least 1").format(value=text), param, ctx)
        if first < 0 or last <= first:
            self.fail(_("{value!r}: expected 0 <= START < STOP").format(value=text), param, ctx)
        return slice(first, last)


def picture_path(figure: bool = False) -> Callable:
    """The callback of an option naming a picture to write, checked before any work: a name whose extension is not
    a format written here is a usage error naming it. A ``figure`` (matplotlib's) is written as PNG only; a picture
    of digits (Pillow's) in the format its extension names."""

    def check(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is None:
            return value
        from ..errors import N_
        from ..paths import check_replaceable, check_writable
        from ..views.pictures import EXTENSIONS, FORMATS

        suffix = value.suffix.lower()
        if suffix not in ((".png",) if figure else FORMATS):
            unknown = {"path": value, "suffix": suffix or _("(no extension)")}
            if figure:  # a figure is a PNG: the name to give it
                message = _("{path}: unknown picture format {suffix!r}; name the file {name}").format(
                    **unknown, name=f"{value.stem}.png"
                )
            else:
                message = _("{path}: unknown picture format {suffix!r}; name the file {extensions}").format(
                    **unknown, extensions=EXTENSIONS
                )
            raise click.BadParameter(message, ctx, param)
        if figure:
            check_writable(value, N_("the figure"))
        else:
            check_replaceable(value)
        return value

    return check


def figure_option(name: str = "--save", help: str | None = None) -> Callable[[Callable], Callable]:
    """``--save FILE.png`` (or ``name``): what the command shows, drawn as a figure; the path is checked before any
    work."""
    return click.option(
        name,
        type=FileName(dir_okay=False),
        metavar=_("FILE.png"),
        callback=picture_path(figure=True),
        help=help or _("Also draw it as a PNG figure."),
    )
