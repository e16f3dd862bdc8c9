"""The forward pass of chapter 3: a three-layer network, sigmoid hidden layers, softmax output.

    a1 = x·W1 + b1   z1 = sigmoid(a1)
    a2 = z1·W2 + b2  z2 = sigmoid(a2)
    a3 = z2·W3 + b3  y  = softmax(a3)

Batched over any number of rows, in float32 by default, with activations computed in place so that a batch
costs little more than its three matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

#: Parameter names in the order the layers use them (the book's names).
PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
LAYERS = (("W1", "b1"), ("W2", "b2"), ("W3", "b3"))


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid, computed as 0.5·tanh(x/2) + 0.5: equal to 1/(1+e^-x) but it never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (the classes), shifted by its maximum so that exp never overflows."""
    out = x - x.max(axis=axis, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


def identity(x: np.ndarray) -> np.ndarray:
    return x


class Network:
    """A fully connected network with sigmoid hidden layers: the book's ``init_network`` + ``predict``.

    ``params`` maps ``W1 b1 W2 b2 W3 b3`` to arrays whose shapes chain (``W1`` is inputs × h1, …).
    Use :func:`mnist_infer.weights.load_weights` to read and validate them from a file.
    """

    def __init__(self, params: Mapping[str, np.ndarray], dtype: np.dtype | type = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        self.params = {
            name: np.ascontiguousarray(params[name], dtype=self.dtype).reshape(
                params[name].shape if name.startswith("W") else (-1,)
            )
            for name in PARAM_NAMES
        }
        self._w1_scale: float | None = None
        self._w1_scaled = self.params["W1"]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, e.g. ``(784, 50, 100, 10)``."""
        p = self.params
        return (p["W1"].shape[0], p["W1"].shape[1], p["W2"].shape[1], p["W3"].shape[1])

    def activations(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every intermediate value, named as in the book: ``a1 z1 a2 z2 a3``."""
        p = self.params
        x = np.asarray(x, dtype=self.dtype)
        a1 = x @ p["W1"] + p["b1"]
        z1 = sigmoid(a1)
        a2 = z1 @ p["W2"] + p["b2"]
        z2 = sigmoid(a2)
        a3 = z2 @ p["W3"] + p["b3"]
        return {"a1": a1, "z1": z1, "a2": a2, "z2": z2, "a3": a3}

    def forward(self, x: np.ndarray, *, input_scale: float | None = None) -> np.ndarray:
        """Class probabilities for each row of ``x`` (shape ``(N, inputs)`` → ``(N, classes)``).

        ``input_scale`` multiplies the inputs first; it is folded into ``W1``, so raw 0–255 pixels with
        ``input_scale=1/255`` cost no more than normalised ones.
        """
        p = self.params
        x = np.asarray(x, dtype=self.dtype)
        h = x @ (p["W1"] if input_scale is None else self._scaled_w1(input_scale))
        h += p["b1"]
        sigmoid(h, out=h)
        h = h @ p["W2"]
        h += p["b2"]
        sigmoid(h, out=h)
        # The output layer is computed as (classes, N): numpy reduces ten long rows (max, sum) far faster
        # than N rows of ten. The transposes are views; the result is (N, classes).
        logits = p["W3"].T @ h.T
        logits += p["b3"][:, None]
        return softmax(logits, axis=0).T

    __call__ = forward

    def _scaled_w1(self, scale: float) -> np.ndarray:
        if self._w1_scale != scale:
            self._w1_scaled, self._w1_scale = self.params["W1"] * self.dtype.type(scale), scale
        return self._w1_scaled

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return np.argmax(self.forward(x), axis=-1)


def images_to_inputs(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` → rows of ``dtype`` in [0, 1], exactly as the book normalises them."""
    x = images.reshape(len(images), -1).astype(dtype)
    x /= 255.0
    return x


DEFAULT_BATCH_SIZE = 2000


def classify_images(
    network: Network,
    images: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and probabilities for uint8 images, ``batch_size`` images at a time.

    Only one batch is ever held as floats, so memory is bounded by ``batch_size``, not by the data set.
    The division by 255 is folded into the first layer's weights. ``progress(done, total)`` is called
    after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    n = len(images)
    flat = images.reshape(n, -1)
    probabilities = np.empty((n, network.sizes[-1]), dtype=network.dtype)
    for start in range(0, n, batch_size):
        batch = flat[start : start + batch_size].astype(network.dtype)
        probabilities[start : start + len(batch)] = network.forward(batch, input_scale=1 / 255)
        if progress is not None:
            progress(start + len(batch), n)
    return np.argmax(probabilities, axis=1), probabilities
