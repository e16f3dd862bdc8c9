"""`mnist-infer toy`: the book's toy 2-3-2-2 network, step by step."""

from __future__ import annotations

import click

from ..i18n import _
from .options import Number, command, json_option


@command(
    "toy",
    _("The book's toy 2-3-2-2 network (section 3.4.3), step by step: each layer's values and how they are computed."),
    _("The toy 2-3-2-2 network of 3.4.3, step by step."),
    "mnist-infer toy\nmnist-infer toy --x 0.3 -1.2 --json",
)
@click.option("--x", "x", nargs=2, type=Number(), metavar="X1 X2", help=_("Input to the network [default: 1.0 0.5]."))
@json_option
def toy(x: tuple[float, float] | None, as_json: bool) -> None:
    from ..inference import toy as forward
    from ..views import emit

    emit(forward(x), as_json)
