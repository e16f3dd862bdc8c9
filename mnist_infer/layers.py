"""The layers of chapter 5: Affine, Sigmoid, Relu and SoftmaxWithLoss, each with ``forward`` and ``backward``.

As in the book, each layer keeps during ``forward`` what its ``backward`` needs (Affine its input, Sigmoid and
Relu their output) and ``backward(dout)`` returns the gradient with respect to the layer's input; Affine also
keeps ``dW`` and ``db``. The activations work in place on the Affine's fresh output, so a batch costs little more
than its matrix products, and keeping what backward needs costs nothing but a reference.
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
        self.x: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forget(self) -> None:
        """Drop the input kept for backward (inference does not need it)."""
        self.x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(self, dout: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """Keep ``dW`` and ``db``; return ``dout·Wᵀ`` (not computed with ``input_gradient=False``)."""
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T if input_gradient else None


class _Activation:
    """An activation applied in place, which keeps its output: all that its derivative needs."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forget(self) -> None:
        self.out = None


class Sigmoid(_Activation):
    """``y = sigmoid(x)``; backward: ``dout·y·(1 - y)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x, out=x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = 1.0 - self.out
        dx *= self.out
        dx *= dout
        return dx


class Relu(_Activation):
    """``y = max(0, x)``; backward: ``dout`` where ``x > 0``, else 0 (read from the output, the same mask)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = relu(x, out=x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (self.out > 0)


class SoftmaxWithLoss:
    """Softmax and the mean cross-entropy loss in one layer; backward: ``(y - t) / batch size``.

    ``t`` holds class indices (or one-hot rows). The loss is computed from the scores as ``logsumexp(x) - x[t]``,
    which equals ``-log softmax(x)[t]`` without the book's ``+ 1e-7`` (so it is exactly the function whose
    gradient ``backward`` returns, and it never takes the log of 0).
    """

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        t = np.asarray(t)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        self.t = t
        shifted = x - x.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.y = exp / total
        return float(np.mean(np.log(total[:, 0]) - shifted[np.arange(len(x)), t]))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dx = self.y.copy()
        dx[np.arange(len(dx)), self.t] -= 1
        dx *= dout / len(dx)
        return dx


#: Hidden-layer activations by the name weights files and the command line use.
ACTIVATIONS: dict[str, type[Sigmoid] | type[Relu]] = {"sigmoid": Sigmoid, "relu": Relu}
