"""The optimisers of chapter 6: SGD, Momentum, AdaGrad and Adam, as the book writes them.

Each has ``update(params, grads)``, which changes the arrays of ``params`` in place (the network's layers hold
those very arrays, so the network learns without copying anything).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

Params = Mapping[str, np.ndarray]


class SGD:
    """Stochastic gradient descent: ``W ← W - lr·∂L/∂W``."""

    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for key, value in params.items():
            value -= self.lr * grads[key]


class Momentum:
    """``v ← momentum·v - lr·∂L/∂W``, ``W ← W + v``: a ball rolling down the loss."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: dict[str, np.ndarray] | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(value) for key, value in params.items()}
        for key, value in params.items():
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]
            value += v


class AdaGrad:
    """``h ← h + (∂L/∂W)²``, ``W ← W - lr·∂L/∂W / √h``: each parameter's step shrinks as it learns."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: dict[str, np.ndarray] | None = None

    def update(self, params: Params, grads: Params) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(value) for key, value in params.items()}
        for key, value in params.items():
            grad, h = grads[key], self.h[key]
            h += grad * grad
            value -= self.lr * grad / (np.sqrt(h) + 1e-7)


class Adam:
    """Momentum and AdaGrad together, with bias correction (Kingma & Ba; the book's version)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: dict[str, np.ndarray] | None = None
        self.v: dict[str, np.ndarray] | None = None
        self._scratch: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        if self.m is None or self.v is None:
            self.m = {key: np.zeros_like(value) for key, value in params.items()}
            self.v = {key: np.zeros_like(value) for key, value in params.items()}
            self._scratch = {key: np.empty_like(value) for key, value in params.items()}
        self.iter += 1
        lr_t = self.lr * float(np.sqrt(1.0 - self.beta2**self.iter)) / (1.0 - self.beta1**self.iter)
        for key, value in params.items():
            grad, m, v, step = grads[key], self.m[key], self.v[key], self._scratch[key]
            # m += (1 - β1)(g - m);  v += (1 - β2)(g² - v);  W -= lr_t·m / (√v + ε), without temporaries
            np.subtract(grad, m, out=step)
            step *= 1 - self.beta1
            m += step
            np.multiply(grad, grad, out=step)
            step -= v
            step *= 1 - self.beta2
            v += step
            np.sqrt(v, out=step)
            step += 1e-7
            np.divide(m, step, out=step)
            step *= lr_t
            value -= step


#: Optimisers by the name the command line uses.
OPTIMIZERS: dict[str, type[SGD] | type[Momentum] | type[AdaGrad] | type[Adam]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adagrad": AdaGrad,
    "adam": Adam,
}


#: How the learning rate moves over a run, as a factor of ``--lr`` at a fraction of the run done.
SCHEDULES: dict[str, Callable[[float], float]] = {
    "constant": lambda done: 1.0,
    "cosine": lambda done: 0.5 * (1.0 + math.cos(math.pi * done)),  # from --lr down to 0: the last steps settle
}


def default_lr(name: str) -> float:
    """The book's learning rate for the optimiser ``name`` (its class's default)."""
    return OPTIMIZERS[name]().lr
