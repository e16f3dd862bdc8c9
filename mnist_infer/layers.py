"""The layers of chapter 5, as the network's forward pass uses them: Affine, Sigmoid, Relu, and softmax.

Each layer is a small object with ``forward``; the activations work in place on the Affine's fresh output, so a
batch costs little more than its matrix products.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid, computed as 0.5·tanh(x/2) + 0.5: equal to 1/(1+e^-x) but it never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(0, x)."""
    return np.maximum(x, 0, out=out)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (the classes), shifted by its maximum so that exp never overflows."""
    # Classes first: numpy reduces ten long rows far faster than N rows of ten.
    t = np.array(np.swapaxes(x, 0, -1))
    t -= t.max(axis=0)
    np.exp(t, out=t)
    t /= t.sum(axis=0)
    return np.swapaxes(t, 0, -1)


class Affine:
    """``x·W + b``: a fully connected layer."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = x @ self.W
        out += self.b
        return out


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x, out=x)


class Relu:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return relu(x, out=x)


#: Hidden-layer activations by the name weights files and the command line use.
ACTIVATIONS: dict[str, type[Sigmoid] | type[Relu]] = {"sigmoid": Sigmoid, "relu": Relu}
