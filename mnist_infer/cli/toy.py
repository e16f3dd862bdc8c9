"""`mnist-infer toy`: the book's toy 2-3-2-2 network, step by step."""

from __future__ import annotations

import click

from .options import debug_option, echo_lines, json_option, make_console, print_json, to_terminal


@click.command()
@debug_option
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

    from ..errors import InputError
    from ..weights import toy_network

    network, default_x = toy_network()
    inputs = np.array(x, dtype=np.float64) if x else default_x
    if not np.isfinite(inputs).all():
        raise InputError(f"--x {x[0]} {x[1]}: expected two finite numbers")
    trace: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # an overflow is reported below, as one error, not as numpy's warnings
        probabilities = network.forward(inputs, trace)
    # The toy's output layer is the identity (section 3.4.3); softmax follows in section 3.5.
    values = {"x": inputs, **trace, "y": trace["a3"], "softmax": probabilities}
    if not all(np.isfinite(value).all() for value in values.values()):
        raise InputError(f"--x {x[0]} {x[1]}: the forward pass overflows (float64); give smaller numbers")
    if as_json:
        print_json({key: [float(v) for v in value] for key, value in values.items()})
        return
    if not to_terminal():
        from ..render import plain

        echo_lines(plain.toy(values))
        return
    from ..render.toy import render_toy

    render_toy(make_console(), values)
