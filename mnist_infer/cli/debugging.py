"""``--debug``: tracebacks instead of one ``Error:`` line, asked for before the command or after it."""

from __future__ import annotations

import os
from collections.abc import Callable

import click

DEBUG_ENV = "MNIST_INFER_DEBUG"
_DEBUG_KEY = "mnist_infer.debug"


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG_KEY] = True  # ctx.meta is shared by the group and its command


def debug_option(func: Callable) -> Callable:
    """``--debug``, accepted before the command and after it (where people add it when an error says so)."""
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=_set_debug,
        help=f"Show the traceback of an error (or set {DEBUG_ENV}=1).",
    )(func)


def debug_requested(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(_DEBUG_KEY)) or os.environ.get(DEBUG_ENV) == "1"
