"""The layers of chapters 5–7, each with ``forward`` and ``backward``: Affine, Sigmoid, Relu, Tanh, SoftmaxWithLoss,
Dropout and BatchNormalization (6.3–6.4), Convolution, Pooling and Flatten (7.2–7.4).

As in the book, each layer keeps during ``forward`` what its ``backward`` needs, and ``backward(dout)`` returns the
gradient with respect to its input; a layer with parameters keeps their gradients in ``grads``. ``forward(x, mode)``:
in ``"train"`` mode Dropout and BatchNormalization behave as the book's with ``train_flg=True``; ``"test"`` is the
book's test time, with what backward needs kept (for the gradient of an answer with respect to its input);
``"infer"`` keeps nothing of a batch (a convolution keeps its buffers for the next). Activations work in place on
the fresh output of the layer before them.

Images flow through the convolutional layers as ``(N, height, width, channels)`` (NHWC: a filter's window is then
``kw × channels`` contiguous numbers per row, and one matrix product computes every position); the parameters stay
in the book's layout (``W`` of a convolution is ``(filters, channels, kh, kw)``), and :class:`Flatten` hands the
affine layers the book's ``(channels, height, width)`` order.
"""

from __future__ import annotations

import functools
import threading
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid as 0.5·tanh(x/2) + 0.5: equal to 1/(1+e^-x), and it never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``max(x, 0)``, against zeros the shape of the last two axes rather than the scalar 0: numpy compares two
    arrays with vector instructions, an array and a scalar one number at a time (a quarter of the speed)."""
    return np.maximum(x, np.zeros(x.shape[-2:], dtype=x.dtype), out=out)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (the classes), shifted by its maximum so that exp never overflows."""
    t = np.array(np.swapaxes(x, 0, -1))  # classes first: numpy reduces ten long rows faster than N short ones
    t -= t.max(axis=0)
    np.exp(t, out=t)
    t /= t.sum(axis=0)
    return np.swapaxes(t, 0, -1)


class Layer:
    """What every layer has: parameters (none here), their gradients, and the memory of the last forward."""

    params: ClassVar[dict[str, np.ndarray]] = {}
    state: ClassVar[dict[str, np.ndarray]] = {}  #: arrays saved with the weights that do not learn (running statistics)

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forget(self) -> None:
        """Drop what backward would need (inference lets it go before the next batch comes)."""
        for name in ("x", "out", "col", "xc", "xn"):
            if getattr(self, name, None) is not None:
                setattr(self, name, None)


class Affine(Layer):
    """``x·W + b``: a fully connected layer."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.params = {"W": W, "b": b}
        self.grads: dict[str, np.ndarray] = {}
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        self.x = x
        out = x @ self.params["W"]
        out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """Keep ``dW`` and ``db``; return ``dout·Wᵀ`` (not computed with ``input_gradient=False``)."""
        self.grads = {"W": self.x.T @ dout, "b": dout.sum(axis=0)}
        return dout @ self.params["W"].T if input_gradient else None


class Sigmoid(Layer):
    """``y = sigmoid(x)``, in place; backward: ``dout·y·(1 - y)``."""

    out: np.ndarray | None = None

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        self.out = sigmoid(x, out=x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = 1.0 - self.out
        dx *= self.out
        dx *= dout
        return dx


class Relu(Layer):
    """``y = max(0, x)``, in place; backward: ``dout`` where ``x > 0`` (read from the output: the same mask)."""

    out: np.ndarray | None = None

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        self.out = relu(x, out=x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (self.out > 0)


class Tanh(Layer):
    """``y = tanh(x)``, in place; backward: ``dout·(1 - y²)``."""

    out: np.ndarray | None = None

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        self.out = np.tanh(x, out=x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - np.square(self.out))


class SoftmaxWithLoss:
    """Softmax and the mean cross-entropy loss in one layer; backward: ``(y - t) / batch size``.

    ``t`` holds class indices (or one-hot rows). The loss is ``logsumexp(x) - x[t]``: ``-log softmax(x)[t]`` without
    the book's ``+ 1e-7``, so that it is exactly the function whose gradient ``backward`` returns.
    """

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        t = np.asarray(t)
        self.t = t.argmax(axis=1) if t.ndim == 2 else t
        shifted = x - x.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.y = exp / total
        return float(np.mean(np.log(total[:, 0]) - shifted[np.arange(len(x)), self.t]))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dx = self.y.copy()
        dx[np.arange(len(dx)), self.t] -= 1
        dx *= dout / len(dx)
        return dx


class Dropout(Layer):
    """The book's Dropout (6.4.3): in training each unit is kept where a uniform draw exceeds ``ratio``; at test time
    every unit is scaled by ``1 - ratio`` (not inverted dropout: the book's trained weights expect this)."""

    def __init__(self, ratio: float, rng: np.random.Generator | None = None) -> None:
        self.ratio, self.rng = ratio, rng
        self.mask: np.ndarray | None = None
        self.fixed = False  #: keep the last mask (for the gradient check)

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        if mode == "train":
            if not (self.fixed and self.mask is not None):
                rng = self.rng if self.rng is not None else np.random.default_rng()
                self.mask = rng.random(x.shape, dtype=np.float32) > self.ratio
            self.trained = True
            return x * self.mask
        self.trained, scale = False, x.dtype.type(1.0 - self.ratio)
        if mode == "test":  # not in place: the activation before keeps its output for backward
            return x * scale
        x *= scale
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask if self.trained else dout * (1.0 - self.ratio)


class BatchNormalization(Layer):
    """The book's Batch Normalization (6.3) over the features of ``(N, D)`` inputs: in training, each batch is
    normalised by its own mean and variance and the running statistics move towards them (momentum 0.9); at test
    time, by the running statistics. ``gamma`` scales and ``beta`` shifts the result."""

    EPS = 1e-6  # the book's 10e-7

    def __init__(self, gamma, beta, running_mean, running_var, momentum: float = 0.9) -> None:
        self.params = {"gamma": gamma, "beta": beta}
        self.state = {"running_mean": running_mean, "running_var": running_var}
        self.momentum = momentum
        self.grads: dict[str, np.ndarray] = {}
        self.xc = self.xn = self.std = None

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        mean, var = self.state["running_mean"], self.state["running_var"]
        if mode == "train":
            mu = x.mean(axis=0)
            self.xc = x - mu
            batch_var = np.mean(np.square(self.xc), axis=0)
            self.std = np.sqrt(batch_var + self.EPS)
            self.xn = self.xc / self.std
            mean *= self.momentum
            mean += (1 - self.momentum) * mu
            var *= self.momentum
            var += (1 - self.momentum) * batch_var
            xn = self.xn
        else:  # test time: the running statistics, a fixed affine map of x
            self.std, self.xc = np.sqrt(var + self.EPS), None
            xn = self.xn = (x - mean) / self.std
        return self.params["gamma"] * xn + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        gamma, n = self.params["gamma"], len(dout)
        self.grads = {"gamma": np.sum(self.xn * dout, axis=0), "beta": dout.sum(axis=0)}
        dxn = gamma * dout
        if self.xc is None:
            return dxn / self.std
        dxc = dxn / self.std
        dvar = -0.5 * np.sum(dxn * self.xc, axis=0) / self.std**3
        dxc += (2.0 / n) * self.xc * dvar
        return dxc - dxc.sum(axis=0) / n


def _padded(x: np.ndarray, pad: int) -> np.ndarray:
    return x if pad == 0 else np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def output_size(size: int, window: int, stride: int, pad: int) -> int:
    """Positions a window takes along one side (7.2.4): ``(size + 2·pad - window) / stride + 1``."""
    return (size + 2 * pad - window) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Every ``kh × kw`` window of ``x`` (NHWC) as a row: ``(N·H'·W', kh·kw·C)`` (7.4.3).

    One copy of a strided view, no loop: in NHWC a window's row is ``kw·C`` contiguous numbers.
    """
    x = _padded(x, pad)
    n, h, w, c = x.shape
    oh, ow = output_size(h, kh, stride, 0), output_size(w, kw, stride, 0)
    s = x.strides
    windows = as_strided(x, (n, oh, ow, kh, kw, c), (s[0], s[1] * stride, s[2] * stride, s[1], s[2], s[3]))
    return windows.reshape(n * oh * ow, kh * kw * c)


def col2im(col: np.ndarray, shape: tuple[int, ...], kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The inverse of :func:`im2col` for gradients: each window's row added back where it came from (NHWC)."""
    n, h, w, c = shape
    oh, ow = output_size(h, kh, stride, pad), output_size(w, kw, stride, pad)
    col = col.reshape(n, oh, ow, kh, kw, c)
    out = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=col.dtype)
    for i in range(kh):  # a loop over the window's offsets (the book's), not over images or positions
        for j in range(kw):
            out[:, i : i + stride * oh : stride, j : j + stride * ow : stride] += col[:, :, :, i, j]
    return out[:, pad : pad + h, pad : pad + w]


#: OpenBLAS's processor cores with kernels that multiply small matrices where they lie (since 0.3.18), and the size
#: (multiply-adds) up to which it uses them: a larger product is first copied into OpenBLAS's own layout, which costs
#: a convolution's windows a second copy just after the first put them in the cache.
SMALL_PRODUCT_CORES, SMALL_PRODUCT_SIZE = {"skylakex", "cooperlake", "sapphirerapids"}, 100**3
#: Where those kernels gain (measured on SkylakeX): products at most 64 columns wide (more filters: up to 3.6× slower
#: in pieces) and pieces of at least 16 rows (fewer: up to 1.7× slower).
SMALL_PRODUCT_COLUMNS, SMALL_PRODUCT_ROWS = 64, 16


@functools.cache
def small_product() -> int:
    """The most multiply-adds (rows × columns × length) of a product that numpy's BLAS computes straight from its
    operands, as :mod:`threadpoolctl` finds it running; 0 where it has no such kernels (there, pieces only cost)."""
    try:  # a hint for speed: whatever goes wrong in finding it, the products are the same without it
        from threadpoolctl import threadpool_info  # 5 ms, for a convolutional network only

        blases = threadpool_info()
    except Exception:
        return 0
    cores = {str(blas.get("architecture")).lower() for blas in blases if blas.get("internal_api") == "openblas"}
    return SMALL_PRODUCT_SIZE if cores & SMALL_PRODUCT_CORES else 0


def _product_in_pieces(a: np.ndarray, b: np.ndarray, out: np.ndarray, rows: int) -> None:
    """``a @ b`` into ``out``, ``rows`` rows of ``a`` at a time: one call for a stack of pieces, one for the rest."""
    whole = len(a) // rows * rows
    if whole:
        np.matmul(a[:whole].reshape(-1, rows, a.shape[1]), b, out=out[:whole].reshape(-1, rows, out.shape[1]))
    if whole < len(a):
        np.matmul(a[whole:], b, out=out[whole:])


class _Scratch(NamedTuple):
    """What :meth:`Convolution._infer` keeps from batch to batch: ``padded``, the input bordered with zeros;
    ``windows``, a view of every window in it; ``rows``, the windows of a few images, a row each, and a last column
    of ones; ``into``, ``rows`` without the ones, in the shape of ``windows``."""

    key: tuple
    padded: np.ndarray
    windows: np.ndarray
    rows: np.ndarray
    into: np.ndarray


class Convolution(Layer):
    """``W`` (filters, channels, kh, kw) slid over the input with ``stride`` and ``pad`` (7.2), plus ``b``: as one
    matrix product of the windows (:func:`im2col`) with the filters."""

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.params = {"W": W, "b": b}
        self.stride, self.pad = stride, pad
        self.grads: dict[str, np.ndarray] = {}
        self.col: np.ndarray | None = None
        self._local = threading.local()  #: the buffers of "infer" mode, a set per thread

    def _filters(self) -> np.ndarray:
        """``W`` as a matrix ``(kh·kw·C, F)`` in the order of :func:`im2col`'s rows."""
        W = self.params["W"]
        return W.transpose(2, 3, 1, 0).reshape(-1, W.shape[0])

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        f, _, kh, kw = self.params["W"].shape
        n, h, w, _ = x.shape
        self.x_shape = x.shape
        if mode == "infer":  # nothing to keep: the same product, faster
            self.col = None
            return self._infer(x)
        col = im2col(x, kh, kw, self.stride, self.pad)
        self.col = col
        out = col @ self._filters()
        out += self.params["b"]
        return out.reshape(n, output_size(h, kh, self.stride, self.pad), output_size(w, kw, self.stride, self.pad), f)

    #: Bytes of windows "infer" mode copies at a time: a few images' windows, still in the processor's cache (L2)
    #: when the matrix product reads them.
    WINDOW_BYTES = 1 << 19
    #: The largest product "infer" mode hands BLAS at once (rows × columns × length); None: :func:`small_product`.
    SMALL_PRODUCT: int | None = None

    def _scratch(self, x: np.ndarray, oh: int, ow: int) -> _Scratch:
        """The buffers of :meth:`_infer`, for as many images as :attr:`WINDOW_BYTES` of windows hold, made once for
        each thread (and again for inputs of another shape): the next batch reuses them, where new ones would come
        from the system page by page."""
        _, c, kh, kw = self.params["W"].shape
        _, h, w, _ = x.shape
        p, s = self.pad, self.stride
        scratch = getattr(self._local, "scratch", None)
        if scratch is None or scratch.key != (x.shape[1:], x.dtype):
            k = kh * kw * c
            images = max(1, self.WINDOW_BYTES // (oh * ow * k * x.itemsize))
            padded = np.zeros((images, h + 2 * p, w + 2 * p, c), dtype=x.dtype)
            st = padded.strides
            if c == 1:  # one channel (the first layer): the windows as columns, copied in rows of ow numbers, not 3
                rows = np.ones((k + 1, images * oh * ow), dtype=x.dtype).T
                into = rows[:, :k].reshape(images, oh, ow, kh, kw, c)
                strides = (st[0], st[1] * s, st[2] * s, st[1], st[2], st[3])
                windows = as_strided(padded, (images, oh, ow, kh, kw, c), strides)
            else:  # each row of a window (kw·c numbers in a row) as one item of that size: one copy (memmove) each
                strip = np.dtype((np.void, kw * c * x.itemsize))
                rows = np.ones((images * oh * ow, k + 1), dtype=x.dtype)
                into = rows[:, :k].reshape(images, oh, ow, kh, kw * c).view(strip)[..., 0]
                strides = (st[0], st[1] * s, st[2] * s, st[1])
                windows = np.ndarray((images, oh, ow, kh), dtype=strip, buffer=padded, strides=strides)
            scratch = self._local.scratch = _Scratch((x.shape[1:], x.dtype), padded, windows, rows, into)
        return scratch

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """``forward`` keeping nothing, in less time: the same windows and product, a few images at a time (as many
        as :attr:`WINDOW_BYTES` hold), copied into the same buffer each time and multiplied from there into the
        output's rows; a last column of ones in the buffer multiplies the bias, a last row of the filters."""
        f, _, kh, kw = self.params["W"].shape
        n, h, w, _ = x.shape
        p = self.pad
        oh, ow = output_size(h, kh, self.stride, p), output_size(w, kw, self.stride, p)
        scratch = self._scratch(x, oh, ow)
        filters = np.concatenate([self._filters(), self.params["b"][np.newaxis]])
        out = np.empty((n, oh, ow, f), dtype=x.dtype)
        images = len(scratch.into)  # at a time: their windows stay in the cache
        limit = small_product() if self.SMALL_PRODUCT is None else self.SMALL_PRODUCT
        piece = limit // filters.size if f <= SMALL_PRODUCT_COLUMNS else 0
        if piece < SMALL_PRODUCT_ROWS:
            piece = n * oh * ow  # one product
        for start in range(0, n, images):
            m = min(images, n - start)
            scratch.padded[:m, p : p + h, p : p + w] = x[start : start + m]
            np.copyto(scratch.into[:m], scratch.windows[:m])
            _product_in_pieces(scratch.rows[: m * oh * ow], filters, out[start : start + m].reshape(-1, f), piece)
        return out

    def backward(self, dout: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        W = self.params["W"]
        f, c, kh, kw = W.shape
        dout = dout.reshape(-1, f)
        dW = dout.T @ self.col  # not col.T @ dout: with BLAS threads, that order crawls through the first layer's col
        self.grads = {"W": dW.reshape(f, kh, kw, c).transpose(0, 3, 1, 2), "b": dout.sum(axis=0)}
        if not input_gradient:
            return None
        return col2im(dout @ self._filters().T, self.x_shape, kh, kw, self.stride, self.pad)


class Pooling(Layer):
    """Max pooling (7.3): the largest value of each ``size × size`` window, windows ``stride`` apart; computed as
    the maximum over the window's offsets (a loop over ``size²`` offsets, each a strided view of every window). Its
    gradient goes to the first largest value of each window, as the book's ``argmax`` sends it."""

    def __init__(self, size: int = 2, stride: int = 2, pad: int = 0) -> None:
        self.size, self.stride, self.pad = size, stride, pad
        self.x: np.ndarray | None = None

    def _offsets(self, x: np.ndarray):
        _, h, w, _ = x.shape
        oh, ow, s = output_size(h, self.size, self.stride, 0), output_size(w, self.size, self.stride, 0), self.stride
        for i in range(self.size):
            for j in range(self.size):
                yield slice(None), slice(i, i + s * oh, s), slice(j, j + s * ow, s)

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        if self.pad:
            x = np.pad(x, ((0, 0), (self.pad, self.pad), (self.pad, self.pad), (0, 0)), constant_values=-np.inf)
        offsets = self._offsets(x)
        out = x[next(offsets)].copy()
        for where in offsets:
            np.maximum(out, x[where], out=out)
        self.x, self.out = (x, out) if mode != "infer" else (None, None)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, taken = np.zeros_like(self.x), np.zeros(self.out.shape, dtype=bool)
        for where in self._offsets(dx):
            first = self.x[where] == self.out
            first &= ~taken
            taken |= first
            if self.stride < self.size:  # windows overlap: a value may be the largest of several
                dx[where] += dout * first
            else:
                np.multiply(dout, first, out=dx[where])
        p = self.pad
        return dx[:, p : dx.shape[1] - p, p : dx.shape[2] - p]


class Flatten(Layer):
    """Feature maps ``(N, H, W, C)`` → rows ``(N, C·H·W)`` in the book's order (channels first), for an Affine."""

    def forward(self, x: np.ndarray, mode: str = "infer") -> np.ndarray:
        self.x_shape = x.shape
        return x.transpose(0, 3, 1, 2).reshape(len(x), -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, h, w, c = self.x_shape
        return dout.reshape(n, c, h, w).transpose(0, 2, 3, 1)


#: The activations by the names weights files and the command line use.
ACTIVATIONS: dict[str, type[Layer]] = {"sigmoid": Sigmoid, "relu": Relu, "tanh": Tanh}
