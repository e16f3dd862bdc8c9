"""The forward pass of chapter 3: affine layers, sigmoid between them, softmax at the end (the book's ``predict``).

    a1 = x·W1 + b1   z1 = sigmoid(a1)
    a2 = z1·W2 + b2  z2 = sigmoid(a2)
    a3 = z2·W3 + b3  y  = softmax(a3)

Batched over any number of rows, in float32 by default. The layers are chapter 5's (:mod:`mnist_infer.layers`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import InputError
from .layers import ACTIVATIONS, Affine, softmax

#: Parameter names of the book's network, in the order the layers use them.
PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


class Network:
    """A fully connected network: the book's ``init_network`` + ``predict``.

    ``params`` maps ``W1 b1 … Wk bk`` to arrays whose shapes chain (``W1`` is inputs × h1, …); ``activation``
    is what follows each hidden layer ("sigmoid", as in the book, or "relu"). Use
    :func:`mnist_infer.weights.load_network` to read and validate them from a file.
    """

    def __init__(
        self, params: Mapping[str, np.ndarray], activation: str = "sigmoid", dtype: np.dtype | type = np.float32
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
        self.dtype = np.dtype(dtype)
        self.activation = activation
        count = sum(1 for name in params if name.startswith("W"))
        self.params = {
            f"{kind}{i}": np.ascontiguousarray(params[f"{kind}{i}"], dtype=self.dtype).reshape(
                np.shape(params[f"{kind}{i}"]) if kind == "W" else (-1,)
            )
            for i in range(1, count + 1)
            for kind in "Wb"
        }
        self.layers: list = []
        self.names: list[str] = []  # what each layer's output is called in the book: a1, z1, a2, …
        for i in range(1, count + 1):
            self.layers.append(Affine(self.params[f"W{i}"], self.params[f"b{i}"]))
            self.names.append(f"a{i}")
            if i < count:
                self.layers.append(ACTIVATIONS[activation]())
                self.names.append(f"z{i}")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, e.g. ``(784, 50, 100, 10)``."""
        weights = [layer.W for layer in self.layers if isinstance(layer, Affine)]
        return (weights[0].shape[0], *(w.shape[1] for w in weights))

    def forward(self, x: np.ndarray, trace: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Class probabilities ``y`` for each row of ``x``: ``(N, inputs)`` → ``(N, classes)``, or one row.

        ``x`` holds inputs in [0, 1] (see :func:`mnist_infer.data.images_to_inputs` for uint8 pixels). If
        ``trace`` is a dict, it receives every intermediate value, named as in the book: ``a1 z1 a2 z2 a3``.
        """
        h = self._inputs(x)
        for layer, name in zip(self.layers, self.names, strict=True):
            h = layer.forward(h)
            if trace is not None:
                trace[name] = h.copy()  # a copy: the next activation works in place
        return softmax(h)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return np.argmax(self.forward(x), axis=-1)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            raise InputError(
                f"the network takes inputs in [0, 1], not {x.dtype} pixels: convert them with "
                "mnist_infer.images_to_inputs (or use mnist_infer.classify_images, which does)"
            )
        if x.ndim not in (1, 2) or x.shape[-1] != self.sizes[0]:
            raise InputError(f"inputs of shape {x.shape}; expected (N, {self.sizes[0]}) or ({self.sizes[0]},)")
        return x.astype(self.dtype, copy=False)
