"""Chapter 4's numerical gradient, checked against chapter 5's backpropagation for every layer and the whole network.

Backpropagation is fast but easy to get subtly wrong; the numerical gradient (central differences, one
parameter at a time) is slow but plainly right. On a small float64 network the two must agree to within a
relative error far below 1e-6 (see :func:`relative_error` for what is compared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from .network import Network
from .training import DEFAULT_INIT, init_params

#: The largest relative error a check may show (float64 central differences with the book's h = 1e-4 reach ~1e-9).
TOLERANCE = 1e-6


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """The book's ``numerical_gradient``: ``(f(x+h) - f(x-h)) / 2h`` for each element of ``x``, changed in place.

    ``f`` takes no argument and reads ``x`` itself (as the book's ``lambda W: net.loss(x, t)`` does).
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        above = f()
        x[index] = saved - h
        below = f()
        x[index] = saved
        grad[index] = (above - below) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """The largest difference relative to the gradient's size: ``max|a - n| / max(max|a|, max|n|)``.

    Relative to the largest value of the array rather than element by element: an element that is almost 0
    (a saturated sigmoid, an unlikely class) carries the rounding error of ``f`` divided by ``h`` (~1e-12), which
    alone would make its own relative error large whatever backpropagation computed.
    """
    a, n = np.asarray(analytic, np.float64).ravel(), np.asarray(numeric, np.float64).ravel()
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    return float(np.max(np.abs(a - n), initial=0.0)) / scale if scale > 0 else 0.0


@dataclass(frozen=True)
class Check:
    """One comparison: what was differentiated, how many numbers, the largest relative error."""

    name: str
    size: int
    error: float

    @property
    def passed(self) -> bool:
        return self.error < TOLERANCE

    def to_dict(self) -> dict[str, object]:
        return {"check": self.name, "values": self.size, "max_relative_error": self.error, "passed": self.passed}


def _layer_checks(rng: np.random.Generator) -> list[Check]:
    """Each layer alone: ``f = Σ forward(x)·R`` (R random), so that backward(R) must equal the gradient of f."""
    checks = []
    x = rng.standard_normal((4, 5))
    layer = Affine(rng.standard_normal((5, 3)), rng.standard_normal(3))
    upstream = rng.standard_normal((4, 3))

    def affine() -> float:
        return float(np.sum(layer.forward(x) * upstream))

    affine()
    dx = layer.backward(upstream)
    for name, array, analytic in (("x", x, dx), ("W", layer.W, layer.dW), ("b", layer.b, layer.db)):
        checks.append(Check(f"Affine d{name}", array.size, relative_error(analytic, numerical_gradient(affine, array))))

    for kind in (Sigmoid, Relu):
        x = rng.standard_normal((4, 6))
        x[np.abs(x) < 0.01] = 0.5  # Relu has no derivative at 0: keep every input clear of the kink
        activation, upstream = kind(), rng.standard_normal((4, 6))

        def forward(activation=activation, x=x, upstream=upstream) -> float:
            return float(np.sum(activation.forward(x.copy()) * upstream))  # a copy: forward works in place

        forward()
        analytic = activation.backward(upstream)
        checks.append(Check(f"{kind.__name__} dx", x.size, relative_error(analytic, numerical_gradient(forward, x))))

    scores, labels = rng.standard_normal((5, 10)) * 3, rng.integers(0, 10, 5)
    loss_layer = SoftmaxWithLoss()

    def loss() -> float:
        return loss_layer.forward(scores, labels)

    loss()
    analytic = loss_layer.backward(1.0)
    checks.append(Check("SoftmaxWithLoss dx", scores.size, relative_error(analytic, numerical_gradient(loss, scores))))
    return checks


def _network_checks(rng: np.random.Generator, activation: str, weight_decay: float) -> list[Check]:
    """The whole network, every parameter: ``network.gradient`` against the numerical gradient of ``network.loss``."""
    sizes = (12, 7, 6, 10)
    params = init_params(sizes, DEFAULT_INIT[activation], rng, dtype=np.float64)
    for key in params:  # non-zero biases, so that their gradients are checked where they matter
        if key.startswith("b"):
            params[key] = rng.standard_normal(params[key].shape) * 0.1
    network = Network(params, activation=activation, dtype=np.float64)
    x, t = rng.random((5, sizes[0])), rng.integers(0, 10, 5)
    analytic = network.gradient(x, t, weight_decay)
    name = f"net {'-'.join(map(str, sizes))} {activation}" + (f", decay {weight_decay}" if weight_decay else "")

    def loss() -> float:
        return network.loss(x, t, weight_decay)

    return [
        Check(f"{name}: d{key}", value.size, relative_error(analytic[key], numerical_gradient(loss, value)))
        for key, value in network.params.items()
    ]


def gradient_check(seed: int = 0) -> list[Check]:
    """Every layer type, both activations and the loss, alone and in a whole network (float64, small sizes)."""
    rng = np.random.default_rng(seed)
    checks = _layer_checks(rng)
    for activation in ("sigmoid", "relu"):
        checks += _network_checks(rng, activation, weight_decay=0.0)
        checks += _network_checks(rng, activation, weight_decay=0.1)
    return checks
