"""Chapter 4's numerical gradient, checked against backpropagation for every layer and for whole networks (5.7).

Backpropagation is fast but easy to get subtly wrong; the numerical gradient (central differences, one parameter at
a time) is slow but plainly right. On small float64 networks the two must agree to a relative error far below 1e-6
(see :func:`relative_error` for what is compared).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..errors import N_
from ..i18n import _
from ..model.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    Tanh,
)
from ..model.network import Architecture, Network, init_params, mlp

#: The largest relative error a check may show (float64 central differences with the book's h = 1e-4 reach ~1e-9).
TOLERANCE = 1e-6


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """The book's ``numerical_gradient``: ``(f(x+h) - f(x-h)) / 2h`` for each element of ``x``, changed in place;
    ``f`` reads ``x`` itself (as the book's ``lambda W: net.loss(x, t)`` does)."""
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


#: Below this, a gradient is compared in absolute terms: one that is 0 by construction (the bias before a batch
#: normalisation cannot change the loss) holds only the rounding of central differences, ~1e-11.
NOISE_FLOOR = 1e-4


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``max|a - n| / max(max|a|, max|n|)``: relative to the gradient's largest value, not element by element (an
    element that is almost 0 carries the rounding of ``f`` divided by ``h``, ~1e-12, whatever backward computed)."""
    a, n = np.asarray(analytic, np.float64).ravel(), np.asarray(numeric, np.float64).ravel()
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)), NOISE_FLOOR)
    return float(np.max(np.abs(a - n), initial=0.0)) / scale


class Check(NamedTuple):
    """One comparison: what was differentiated, how many numbers, the largest relative error."""

    name: str
    size: int
    error: float
    label: str = ""  #: the name in the user's language, for the view (``name`` stays English: the JSON's)

    @property
    def passed(self) -> bool:
        return self.error < TOLERANCE

    def to_dict(self) -> dict[str, object]:
        return {"check": self.name, "values": self.size, "max_relative_error": self.error, "passed": self.passed}


class GradientCheck(NamedTuple):
    """Every check, and whether backpropagation agrees with the numerical gradient everywhere."""

    checks: list[Check]
    tolerance: float = TOLERANCE

    @property
    def worst(self) -> float:
        return max(check.error for check in self.checks)

    @property
    def passed(self) -> bool:
        return self.worst < self.tolerance

    def to_dict(self) -> dict[str, object]:
        return {
            "max_relative_error": self.worst,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
        }


def _layer(name: str, layer, x: np.ndarray, rng: np.random.Generator, mode: str = "train") -> list[Check]:
    """One layer alone: ``f = Σ forward(x)·R`` (R random), so backward(R) must equal f's gradient, for its input and
    every parameter."""
    upstream = rng.standard_normal(np.shape(layer.forward(x.copy(), mode)))

    def f() -> float:
        return float(np.sum(layer.forward(x.copy(), mode) * upstream))  # a copy: activations work in place

    f()
    dx = layer.backward(upstream)
    grads = getattr(layer, "grads", {})
    arrays = [("x", x, dx), *((key, value, grads[key]) for key, value in layer.params.items())]
    return [
        Check(f"{name} d{key}", array.size, relative_error(analytic, numerical_gradient(f, array)), f"{_(name)} d{key}")
        for key, array, analytic in arrays
    ]


def _layer_checks(rng: np.random.Generator) -> list[Check]:
    checks = _layer(
        N_("Affine"), Affine(rng.standard_normal((5, 3)), rng.standard_normal(3)), rng.standard_normal((4, 5)), rng
    )
    for kind, name in ((Sigmoid, N_("Sigmoid")), (Relu, N_("Relu")), (Tanh, N_("Tanh"))):
        x = rng.standard_normal((4, 6))
        x[np.abs(x) < 0.01] = 0.5  # Relu has no derivative at 0: keep every input clear of the kink
        checks += _layer(name, kind(), x, rng)
    images = rng.standard_normal((2, 6, 5, 3))  # NHWC
    conv = Convolution(rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4), stride=2, pad=1)
    checks += _layer(N_("Convolution (stride 2, pad 1)"), conv, images, rng)
    checks += _layer(N_("Pooling"), Pooling(2, 2), images + 0.1 * np.arange(images.size).reshape(images.shape) % 1, rng)
    checks += _layer(N_("Flatten"), Flatten(), images, rng)
    dropout = Dropout(0.5, rng)
    dropout.forward(images, "train")
    dropout.fixed = True  # the same units dropped at every evaluation of f
    checks += _layer(N_("Dropout (a fixed mask)"), dropout, images, rng)
    norm = BatchNormalization(rng.standard_normal(6) + 1, rng.standard_normal(6), np.zeros(6), np.ones(6))
    checks += _layer(N_("BatchNormalization"), norm, rng.standard_normal((5, 6)) * 2 + 1, rng)
    checks += _layer(N_("BatchNormalization (running statistics)"), norm, rng.standard_normal((5, 6)), rng, "test")
    scores, labels = rng.standard_normal((5, 10)) * 3, rng.integers(0, 10, 5)
    loss = SoftmaxWithLoss()

    def f() -> float:
        return loss.forward(scores, labels)

    f()
    checks.append(
        Check(
            "SoftmaxWithLoss dx",
            scores.size,
            relative_error(loss.backward(), numerical_gradient(f, scores)),
            _("SoftmaxWithLoss") + " dx",
        )
    )
    return checks


def _network(
    name: str, architecture: Architecture, rng: np.random.Generator, weight_decay: float = 0.0, mode: str = "train"
) -> list[Check]:
    """A whole network, every parameter: ``network.gradient`` against the numerical gradient of ``network.loss``."""
    params = init_params(architecture, "he", rng, dtype=np.float64)
    for key in params:  # non-zero biases and shifts, so that their gradients are checked where they matter
        if key[0] == "b" or key.startswith(("beta", "running_mean")):
            params[key] = rng.standard_normal(params[key].shape) * 0.1
    network = Network(architecture, params, dtype=np.float64, rng=rng)
    x, t = rng.random((5, *architecture.input_shape)), rng.integers(0, architecture.classes, 5)
    network.loss(x, t, weight_decay, mode)  # draws the dropout masks, which then stay
    for layer in network.layers:
        if isinstance(layer, Dropout):
            layer.fixed = True
    network.loss(x, t, weight_decay, mode)
    analytic = network.backward(weight_decay)
    label = name.format(activation=architecture.activation) + (f", decay {weight_decay}" if weight_decay else "")
    shown = _(name).format(activation=architecture.activation) + (
        _(", decay {decay}").format(decay=weight_decay) if weight_decay else ""
    )

    def loss() -> float:
        return network.loss(x, t, weight_decay, mode)

    return [
        Check(
            f"{label}: d{key}",
            value.size,
            relative_error(analytic[key], numerical_gradient(loss, value)),
            f"{shown}: d{key}",
        )
        for key, value in network.learnable().items()
    ]


def gradient_check(seed: int = 0) -> GradientCheck:
    """Every layer alone, then whole networks: each activation, weight decay, Dropout and Batch Normalization (in
    training, and at test time with its running statistics), and a small convolutional network (float64)."""
    rng = np.random.default_rng(seed)
    checks = _layer_checks(rng)
    for activation in ("sigmoid", "relu", "tanh"):
        for decay in (0.0, 0.1):
            checks += _network(N_("net 12-7-6-10 {activation}"), mlp((7, 6), activation, inputs=12), rng, decay)
    extended = mlp((7, 6), "relu", inputs=12, dropout=0.3, batch_norm=True)
    checks += _network(N_("net 12-7-6-10 batch norm + dropout"), extended, rng, 0.1)
    checks += _network(N_("net 12-7-6-10 batch norm, running statistics"), extended, rng, mode="test")
    convnet = Architecture(
        (2, 8, 8),
        (
            {"type": "conv", "filters": 3, "size": 3, "stride": 1, "pad": 1},
            {"type": "relu"},
            {"type": "pool", "size": 2, "stride": 2, "pad": 0},
            {"type": "flatten"},
            {"type": "affine", "units": 10},
        ),
        "simple-convnet",
    )
    checks += _network(N_("convnet conv-relu-pool-affine"), convnet, rng, 0.1)
    return GradientCheck(checks)
