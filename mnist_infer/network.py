"""The forward pass of chapter 3: affine layers, sigmoid between them, softmax at the end (the book's ``predict``).

    a1 = x·W1 + b1   z1 = sigmoid(a1)
    a2 = z1·W2 + b2  z2 = sigmoid(a2)
    a3 = z2·W3 + b3  y  = softmax(a3)

Batched over any number of rows, in float32 by default. The layers are chapter 5's (:mod:`mnist_infer.layers`),
so the same network also learns: ``loss(x, t)`` runs this forward pass into SoftmaxWithLoss and ``backward()``
walks the layers in reverse for the gradients (chapter 5's backpropagation; :mod:`mnist_infer.training`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import InputError
from .layers import ACTIVATIONS, Affine, SoftmaxWithLoss, softmax

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
        self.last_layer = SoftmaxWithLoss()  # used by loss() and backward() only

    def replica(self) -> Network:
        """The same network with layers of its own (the weights are shared, not copied): for another thread, as
        each layer keeps what its backward needs."""
        return Network(self.params, self.activation, self.dtype)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, e.g. ``(784, 50, 100, 10)``."""
        weights = [layer.W for layer in self._affines()]
        return (weights[0].shape[0], *(w.shape[1] for w in weights))

    def forward(self, x: np.ndarray, trace: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Class probabilities ``y`` for each row of ``x``: ``(N, inputs)`` → ``(N, classes)``, or one row.

        ``x`` holds inputs in [0, 1] (see :func:`mnist_infer.data.images_to_inputs` for uint8 pixels). If
        ``trace`` is a dict, it receives every intermediate value, named as in the book: ``a1 z1 a2 z2 a3``.
        """
        probabilities = softmax(self.scores(x, trace))
        for layer in self.layers:  # what backward would need: inference lets it go before the next batch comes
            layer.forget()
        return probabilities

    def scores(self, x: np.ndarray, trace: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The last layer's output ``a3``, before softmax (the book's ``predict`` of chapter 5)."""
        h = self._inputs(x)
        for layer, name in zip(self.layers, self.names, strict=True):
            h = layer.forward(h)
            if trace is not None:
                trace[name] = h.copy()  # a copy: the next activation works in place
        return h

    def loss(self, x: np.ndarray, t: np.ndarray, weight_decay: float = 0.0) -> float:
        """Mean cross-entropy of the rows of ``x`` against labels ``t``, plus ``½·λ·ΣW²`` (weight decay λ).

        Each layer keeps what its backward needs, so :meth:`backward` can follow.
        """
        loss = self.last_layer.forward(self.scores(x), t)
        if weight_decay:
            loss += 0.5 * weight_decay * sum(float(np.sum(np.square(layer.W))) for layer in self._affines())
        return loss

    def backward(self, weight_decay: float = 0.0) -> dict[str, np.ndarray]:
        """Gradients of the last :meth:`loss` with respect to ``W1 b1 …``: the layers' backward, in reverse."""
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        self.layers[0].backward(dout, input_gradient=False)  # nothing learns from the inputs' gradient
        grads: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self._affines(), start=1):
            grads[f"W{i}"] = layer.dW + weight_decay * layer.W if weight_decay else layer.dW
            grads[f"b{i}"] = layer.db
        return grads

    def gradient(self, x: np.ndarray, t: np.ndarray, weight_decay: float = 0.0) -> dict[str, np.ndarray]:
        """The book's ``gradient(x, t)``: forward into the loss, then backward."""
        self.loss(x, t, weight_decay)
        return self.backward(weight_decay)

    def _affines(self) -> list[Affine]:
        return [layer for layer in self.layers if isinstance(layer, Affine)]

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
