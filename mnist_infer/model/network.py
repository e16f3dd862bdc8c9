"""A network built from its architecture: a list of layers with their kinds and sizes (the book's ``predict``,
``loss`` and ``gradient`` for any of them), and the book's own architectures.

An :class:`Architecture` names its layers (``{"type": "affine", "units": 50}``, ``{"type": "conv", "filters": 30,
"size": 5}``, ``{"type": "sigmoid"}``…) and knows every parameter's name and shape, as the book names them:
``W1 b1 W2 b2 …`` for the affine and convolution layers in order, ``gamma1 beta1`` (and the running statistics
``running_mean1 running_var1``) for batch normalisation. It is stored in the metadata of the ``.npz`` files that
``train`` writes, and derived from the shapes of the book's pickles (:func:`from_shapes`). Weight checks, views,
``serve`` and ``train`` ask it rather than assume a shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import N_, InputError, MnistInferError
from .layers import (
    ACTIVATIONS,
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    Layer,
    Pooling,
    SoftmaxWithLoss,
    output_size,
    softmax,
)

MAX_LAYERS = 64
MAX_PARAMETERS = 1 << 24  #: 64 MiB as float32 (the book's DeepConvNet has 0.17 million)
MAX_UNITS = 8192  #: units of a hidden affine layer, filters of a convolution
MAX_FEATURES = 1 << 18  #: numbers a layer may output per image (the book's largest: 28·28·16 = 12,544)
MAX_WINDOWS = 1 << 22  #: numbers of a convolution's windows (im2col) per image (the book's largest: 112,896)
MAX_KERNEL = 32


class ArchitectureError(MnistInferError):
    """An architecture that cannot be built, or that would exceed the bounds the tool runs."""


class Step(NamedTuple):
    """One layer of an architecture, as :meth:`Architecture.steps` walks it."""

    spec: dict[str, Any]
    name: str  #: what the layer's output is called: a1, z1, p1, f…
    input_shape: tuple[int, ...]  #: per image; ``(H, W, C)`` for images
    output_shape: tuple[int, ...]
    params: dict[str, tuple[int, ...]]  #: learnable parameters, by their names in a weights file
    state: dict[str, tuple[int, ...]]  #: saved arrays that do not learn (running statistics)


_INTEGERS = {
    "affine": {"units": (1, MAX_UNITS)},
    "conv": {"filters": (1, MAX_UNITS), "size": (1, MAX_KERNEL), "stride": (1, MAX_KERNEL), "pad": (0, MAX_KERNEL)},
    "pool": {"size": (1, MAX_KERNEL), "stride": (1, MAX_KERNEL), "pad": (0, MAX_KERNEL)},
    "dropout": {},
    "batchnorm": {},
    "flatten": {},
    **{name: {} for name in ACTIVATIONS},
}
_DEFAULTS = {"conv": {"stride": 1, "pad": 0}, "pool": {"size": 2, "stride": 2, "pad": 0}}


class Architecture(NamedTuple):
    """The layers of a network, from its input (``(784,)`` rows, or ``(1, 28, 28)`` images) to its class scores;
    softmax follows the last layer. ``model`` is the book's name for it, when it is one of the book's."""

    input_shape: tuple[int, ...]
    layers: tuple[dict[str, Any], ...]
    model: str = "mlp"

    @classmethod
    def from_json(cls, data: Any) -> Architecture:
        """An architecture as ``to_json`` wrote it, every field checked (it comes from a file)."""
        if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
            raise ArchitectureError(N_("the architecture is not an object with a list of layers"))
        shape = data.get("input")
        if not (
            isinstance(shape, list) and len(shape) in (1, 3) and all(type(d) is int and 0 < d <= 4096 for d in shape)
        ):
            raise ArchitectureError(N_("the architecture's input shape {shape!r} is not 1 or 3 sizes"), shape=shape)
        layers = []
        for spec in data["layers"][: MAX_LAYERS + 1]:
            kind = spec.get("type") if isinstance(spec, dict) else None
            if kind not in _INTEGERS:
                raise ArchitectureError(N_("unknown layer {kind!r}; expected one of {known}"),
                                        kind=str(kind)[:20], known=", ".join(_INTEGERS))  # fmt: skip
            layer = {"type": kind, **_DEFAULTS.get(kind, {})}
            layer.update((key, spec[key]) for key in _INTEGERS[kind] if key in spec)
            if kind == "dropout":
                ratio = spec.get("ratio")
                if type(ratio) not in (int, float) or not 0 <= ratio < 1:
                    raise ArchitectureError(N_("dropout layer: ratio {value!r}, expected 0 to 1"), value=ratio)
                layer["ratio"] = float(ratio)
            layers.append(layer)
        model = data.get("model", "mlp")
        return cls(tuple(shape), tuple(layers), model if model in MODELS else "mlp").checked()

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "input": list(self.input_shape), "layers": [dict(spec) for spec in self.layers]}

    def steps(self) -> list[Step]:
        """Every layer with its shapes and parameters, checked to fit the one before it."""
        if not self.layers or len(self.layers) > MAX_LAYERS:
            raise ArchitectureError(N_("{count} layers; a network has 1 to {limit}"),
                                    count=len(self.layers), limit=MAX_LAYERS)  # fmt: skip
        shape = self.input_shape if len(self.input_shape) == 1 else (*self.input_shape[1:], self.input_shape[0])
        steps, weights, norms, pools = [], 0, 0, 0
        for spec in self.layers:
            kind, params, state = spec["type"], {}, {}
            for key, (low, high) in _INTEGERS[kind].items():
                value = spec.get(key)
                if type(value) is not int or not low <= value <= high:
                    raise ArchitectureError(N_("{kind} layer: {key} {value!r}, expected a whole number from {low} to "
                                               "{high}"),
                                            kind=kind, key=key, value=value, low=low, high=high)  # fmt: skip
            if kind == "affine":
                if len(shape) != 1:
                    raise ArchitectureError(N_("an affine layer after {shape} feature maps needs a flatten layer"),
                                            shape="×".join(map(str, shape)))  # fmt: skip
                weights += 1
                params = {f"W{weights}": (shape[0], spec["units"]), f"b{weights}": (spec["units"],)}
                out, name = (spec["units"],), f"a{weights}"
            elif kind == "conv":
                if len(shape) != 3:
                    raise ArchitectureError(N_("a convolution needs images, not rows of {size}"), size=shape[0])
                weights += 1
                h, w, c = shape
                k, pad, stride = spec["size"], spec["pad"], spec["stride"]
                if k > min(h, w) + 2 * pad:
                    raise ArchitectureError(N_("W{index}: a {k}×{k} kernel over a {h}×{w} input (padding {pad}): "
                                               "larger than its input"),
                                            index=weights, k=k, h=h, w=w, pad=pad)  # fmt: skip
                params = {f"W{weights}": (spec["filters"], c, k, k), f"b{weights}": (spec["filters"],)}
                out = (output_size(h, k, stride, pad), output_size(w, k, stride, pad), spec["filters"])
                if out[0] * out[1] * k * k * c > MAX_WINDOWS:
                    raise ArchitectureError(N_("W{index}: its windows would hold {count:,} numbers per image; the "
                                               "tool runs {limit:,}"),
                                            index=weights, count=out[0] * out[1] * k * k * c,
                                            limit=MAX_WINDOWS)  # fmt: skip
                name = f"a{weights}"
            elif kind == "pool":
                if len(shape) != 3 or spec["size"] > min(shape[:2]) + 2 * spec["pad"]:
                    raise ArchitectureError(N_("a {size}×{size} pooling over {shape}"),
                                            size=spec["size"], shape="×".join(map(str, shape)))  # fmt: skip
                pools += 1
                h, w, c = shape
                out = (*(output_size(d, spec["size"], spec["stride"], spec["pad"]) for d in (h, w)), c)
                name = f"p{pools}"
            elif kind == "flatten":
                out, name = (math.prod(shape),), "f"
            elif kind == "batchnorm":
                if len(shape) != 1:
                    raise ArchitectureError(N_("batch normalisation here takes rows, not feature maps"))
                norms += 1
                params = {f"gamma{norms}": shape, f"beta{norms}": shape}
                state = {f"running_mean{norms}": shape, f"running_var{norms}": shape}
                out, name = shape, f"n{norms}"
            else:  # an activation or dropout: the shape stays
                out, name = shape, (f"z{weights}" if kind in ACTIVATIONS else f"d{weights}")
            if math.prod(out) > MAX_FEATURES or min(out) < 1:
                raise ArchitectureError(N_("layer {name} would output {count:,} numbers per image; the tool runs 1 "
                                           "to {limit:,}"),
                                        name=name, count=math.prod(out), limit=MAX_FEATURES)  # fmt: skip
            steps.append(Step(spec, name, shape, out, params, state))
            shape = out
        last = next((step.spec["type"] for step in reversed(steps) if step.params), None)  # softmax takes its scores
        if last != "affine" or len(shape) != 1:
            raise ArchitectureError(N_("a network ends in an affine layer, its class scores; this one ends in {kind}"),
                                    kind=self.layers[-1]["type"])  # fmt: skip
        return steps

    def checked(self) -> Architecture:
        """Itself, once its layers fit together and stay within the bounds (:data:`MAX_PARAMETERS`…)."""
        count = self.parameter_count()
        if count > MAX_PARAMETERS:
            raise ArchitectureError(N_("{count:,} parameters, more than the {limit:,} this tool runs"),
                                    count=count, limit=MAX_PARAMETERS)  # fmt: skip
        return self

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every array a weights file holds for this architecture, by name, in order (parameters and state)."""
        return {name: shape for step in self.steps() for name, shape in (*step.params.items(), *step.state.items())}

    def parameter_count(self) -> int:
        return sum(math.prod(shape) for step in self.steps() for shape in step.params.values())

    @property
    def classes(self) -> int:
        return self.steps()[-1].output_shape[0]

    @property
    def activation(self) -> str | None:
        """The activation of the hidden layers, if they share one (the book's chapter 3 network: sigmoid)."""
        found = {spec["type"] for spec in self.layers if spec["type"] in ACTIVATIONS}
        return found.pop() if len(found) == 1 else None

    def summary(self) -> str:
        """A short name: ``784-50-100-10 sigmoid`` (with ``batch norm``, ``dropout 0.5``), or the book's name of a
        convolutional network."""
        if self.model in _BOOK_NAMES:
            return _BOOK_NAMES[self.model]
        sizes = [*self.input_shape, *(s["units"] for s in self.layers if s["type"] == "affine")]
        extras = [f" {self.activation}" if self.activation else ""]
        extras += [" batch norm"] if any(s["type"] == "batchnorm" for s in self.layers) else []
        extras += [f" dropout {s['ratio']:g}" for s in self.layers if s["type"] == "dropout"][:1]
        return "-".join(map(str, sizes)) + "".join(extras)

    def describe(self) -> str:
        """Every layer in a line: ``conv 30×5×5, relu, pool 2, affine 100, relu, affine 10``."""
        parts = []
        for spec in self.layers:
            kind = spec["type"]
            if kind == "conv":
                pad = f" pad {spec['pad']}" if spec["pad"] else ""
                parts.append(f"conv {spec['filters']}×{spec['size']}×{spec['size']}{pad}")
            elif kind == "affine":
                parts.append(f"affine {spec['units']}")
            elif kind == "pool":
                parts.append(f"pool {spec['size']}")
            elif kind == "dropout":
                parts.append(f"dropout {spec['ratio']:g}")
            elif kind != "flatten":
                parts.append(kind)
        return ", ".join(parts)


# --- the book's architectures ----------------------------------------------------------------------------------


def mlp(
    hidden: tuple[int, ...] = (50, 100),
    activation: str = "sigmoid",
    *,
    inputs: int = 784,
    classes: int = 10,
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> Architecture:
    """A fully connected network of any depth (chapters 3–6): affine, [batch norm], activation, [dropout] per hidden
    layer, then an affine output layer (the book's ``MultiLayerNetExtend``)."""
    if activation not in ACTIVATIONS:
        raise InputError(N_("unknown activation {name!r}; expected one of {known}"),
                         name=activation, known=", ".join(ACTIVATIONS))  # fmt: skip
    layers: list[dict[str, Any]] = []
    for units in hidden:
        layers.append({"type": "affine", "units": units})
        layers += [{"type": "batchnorm"}] if batch_norm else []
        layers.append({"type": activation})
        layers += [{"type": "dropout", "ratio": dropout}] if dropout else []
    layers.append({"type": "affine", "units": classes})
    return Architecture((inputs,), tuple(layers), "mlp").checked()


def simple_convnet(filters: int = 30, size: int = 5, hidden: int = 100) -> Architecture:
    """Chapter 7's SimpleConvNet: conv (pad 0) → ReLU → max pool 2×2 → affine → ReLU → affine."""
    layers = [
        {"type": "conv", "filters": filters, "size": size, "stride": 1, "pad": 0},
        {"type": "relu"},
        {"type": "pool", "size": 2, "stride": 2, "pad": 0},
        {"type": "flatten"},
        {"type": "affine", "units": hidden},
        {"type": "relu"},
        {"type": "affine", "units": 10},
    ]
    return Architecture((1, 28, 28), tuple(layers), "simple-convnet").checked()


def deep_convnet(filters: tuple[int, ...] = (16, 16, 32, 32, 64, 64), hidden: int = 50) -> Architecture:
    """Chapter 8's DeepConvNet: six 3×3 convolutions (pads 1, 1, 1, 2, 1, 1) each followed by ReLU, a 2×2 max pool
    after every second one, affine → ReLU → Dropout(0.5) → affine → Dropout(0.5)."""
    layers: list[dict[str, Any]] = []
    for index, (count, pad) in enumerate(zip(filters, (1, 1, 1, 2, 1, 1), strict=True)):
        layers += [{"type": "conv", "filters": count, "size": 3, "stride": 1, "pad": pad}, {"type": "relu"}]
        layers += [{"type": "pool", "size": 2, "stride": 2, "pad": 0}] if index % 2 else []
    layers += [
        {"type": "flatten"},
        {"type": "affine", "units": hidden},
        {"type": "relu"},
        {"type": "dropout", "ratio": 0.5},
        {"type": "affine", "units": 10},
        {"type": "dropout", "ratio": 0.5},
    ]
    return Architecture((1, 28, 28), tuple(layers), "deep-convnet").checked()


#: The book's networks by the names ``train --model`` takes.
MODELS = {"mlp": mlp, "simple-convnet": simple_convnet, "deep-convnet": deep_convnet}
_BOOK_NAMES = {"simple-convnet": "SimpleConvNet", "deep-convnet": "DeepConvNet"}


def from_shapes(shapes: Mapping[str, tuple[int, ...]]) -> Architecture | None:
    """The book's architecture whose weights have these shapes (the book's pickles carry no description): a fully
    connected sigmoid network (chapter 3) when every ``W`` is a matrix, else chapter 7's SimpleConvNet or chapter
    8's DeepConvNet by their pattern; None when none fits."""
    count = sum(1 for key in shapes if key[:1] == "W" and key[1:].isdigit())
    weights = [shapes.get(f"W{i}") for i in range(1, count + 1)]
    if count == 0 or any(not isinstance(w, tuple) for w in weights):
        return None
    dims = [len(w) for w in weights]
    if all(d == 2 for d in dims):
        return mlp(tuple(w[1] for w in weights[:-1]), "sigmoid", inputs=weights[0][0], classes=weights[-1][1])
    if dims == [4, 2, 2] and weights[0][2] == weights[0][3]:
        return simple_convnet(weights[0][0], weights[0][2], weights[1][1])
    if dims == [4] * 6 + [2, 2] and all(w[2:] == (3, 3) for w in weights[:6]):
        return deep_convnet(tuple(w[0] for w in weights[:6]), weights[6][1])
    return None


# --- the network -----------------------------------------------------------------------------------------------

#: Chapter 6's initial weights: the standard deviation of ``W`` for a layer with ``n`` inputs.
INITS = {"xavier": lambda n: math.sqrt(1.0 / n), "he": lambda n: math.sqrt(2.0 / n), "book": lambda n: 0.01}


def init_params(architecture: Architecture, init: str | float, rng: np.random.Generator, dtype=np.float32) -> dict:
    """Initial parameters: Gaussian ``W`` scaled as ``init`` says (a name of :data:`INITS`, or a standard
    deviation), zero ``b`` and ``beta``, ``gamma`` and running variances 1, running means 0."""
    params = {}
    for step in architecture.steps():
        for name, shape in (*step.params.items(), *step.state.items()):
            if name[0] == "W":
                fan_in = math.prod(shape[1:]) if len(shape) == 4 else shape[0]
                std = INITS[init](fan_in) if isinstance(init, str) else float(init)
                with np.errstate(over="ignore"):  # a std too large for the dtype: inf, which training refuses
                    params[name] = (std * rng.standard_normal(shape)).astype(dtype)
            else:
                one = name.startswith(("gamma", "running_var"))
                params[name] = (np.ones if one else np.zeros)(shape, dtype=dtype)
    return params


class Network:
    """Layers built from an architecture around one dict of parameters: the book's ``predict``, ``loss`` and
    ``gradient``. The layers hold the very arrays of :attr:`params`, so an optimiser that changes them in place
    teaches the network."""

    def __init__(
        self,
        architecture: Architecture,
        params: Mapping[str, np.ndarray],
        dtype: np.dtype | type = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.architecture, self.dtype = architecture, np.dtype(dtype)
        self.steps = architecture.steps()
        self.params = {
            name: np.ascontiguousarray(params[name], dtype=self.dtype).reshape(shape)
            for name, shape in architecture.shapes().items()
        }
        self.layers: list[Layer] = [self._layer(step, rng) for step in self.steps]
        self.names = [step.name for step in self.steps]
        self.last_layer = SoftmaxWithLoss()
        self.metadata: dict = {}  #: what the file it was loaded from says of it (the metadata ``train`` writes)

    def _layer(self, step: Step, rng) -> Layer:
        spec, arrays = step.spec, [self.params[name] for name in (*step.params, *step.state)]
        kind = spec["type"]
        if kind == "affine":
            return Affine(*arrays)
        if kind == "conv":
            return Convolution(*arrays, stride=spec["stride"], pad=spec["pad"])
        if kind == "pool":
            return Pooling(spec["size"], spec["stride"], spec["pad"])
        if kind == "flatten":
            return Flatten()
        if kind == "batchnorm":
            return BatchNormalization(*arrays)
        if kind == "dropout":
            return Dropout(spec["ratio"], rng)
        return ACTIVATIONS[kind]()

    @property
    def is_convolutional(self) -> bool:
        return len(self.architecture.input_shape) == 3

    def forward(self, x: np.ndarray, trace: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Class probabilities for each input: ``(N, 784)`` rows or ``(N, 1, 28, 28)`` images (one alone too).

        If ``trace`` is a dict, it receives every layer's output named as in the book (``a1 z1 a2 z2 a3`` for
        chapter 3's network; feature maps as ``(N, channels, height, width)``).
        """
        single = np.shape(x) in (self.architecture.input_shape, (math.prod(self.architecture.input_shape),))
        probabilities = softmax(self.scores(x, trace))
        for layer in self.layers:
            layer.forget()
        if single and trace is not None:
            trace.update((name, value[0]) for name, value in trace.items())
        return probabilities[0] if single else probabilities

    def scores(self, x: np.ndarray, trace: dict[str, np.ndarray] | None = None, mode: str = "infer") -> np.ndarray:
        """The last layer's output, before softmax; ``mode`` as :mod:`.layers` says ("train", "test", "infer")."""
        h = self._inputs(x)
        for layer, name in zip(self.layers, self.names, strict=True):
            h = layer.forward(h, mode)
            if trace is not None:  # a copy: the next layer may work in place
                trace[name] = h.transpose(0, 3, 1, 2).copy() if h.ndim == 4 else h.copy()
        return h

    def loss(self, x: np.ndarray, t: np.ndarray, weight_decay: float = 0.0, mode: str = "train") -> float:
        """Mean cross-entropy against labels ``t``, plus ``½·λ·ΣW²``; each layer keeps what backward needs."""
        loss = self.last_layer.forward(self.scores(x, mode=mode), t)
        if weight_decay:
            loss += 0.5 * weight_decay * sum(float(np.sum(np.square(w))) for w in self.weights())
        return loss

    def backward(self, weight_decay: float = 0.0) -> dict[str, np.ndarray]:
        """Gradients of the last :meth:`loss` by parameter name: the layers' backward, in reverse."""
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        first = self.layers[0]
        first.backward(dout, input_gradient=False) if isinstance(first, (Affine, Convolution)) else first.backward(dout)
        grads = {}
        for step, layer in zip(self.steps, self.layers, strict=True):
            for name, local in zip(step.params, layer.params, strict=True):
                grads[name] = layer.grads[local]
                if weight_decay and name[0] == "W":
                    grads[name] = grads[name] + weight_decay * layer.params[local]
        return grads

    def input_gradient(self, dout: np.ndarray) -> np.ndarray:
        """The gradient of ``Σ dout·scores`` with respect to the inputs of the last ``scores(x, mode="test")``:
        backward through every layer, the first included (which pixels push a score up: ``explain --why``);
        images come back as ``(N, 1, 28, 28)``."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout.transpose(0, 3, 1, 2) if dout.ndim == 4 else dout

    def gradient(self, x: np.ndarray, t: np.ndarray, weight_decay: float = 0.0) -> dict[str, np.ndarray]:
        """The book's ``gradient(x, t)``: forward into the loss, then backward."""
        self.loss(x, t, weight_decay)
        return self.backward(weight_decay)

    def weights(self) -> list[np.ndarray]:
        """The ``W`` of every affine and convolution layer (what weight decay penalises)."""
        return [array for name, array in self.params.items() if name[0] == "W"]

    @property
    def first_weights(self) -> np.ndarray:
        """The first affine or convolution layer's ``W``: what its units look for in the pixels, ``(784, units)``
        (a column a unit) or ``(filters, channels, height, width)``."""
        return self.weights()[0]

    def learnable(self) -> dict[str, np.ndarray]:
        """The parameters an optimiser updates (not the running statistics)."""
        return {name: array for name, array in self.params.items() if not name.startswith("running_")}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each input."""
        return np.argmax(self.forward(x), axis=-1)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            raise InputError(N_("the network takes inputs in [0, 1], not {dtype} pixels: convert them with "
                                "mnist_infer.data.mnist.images_to_inputs"),
                             dtype=x.dtype)  # fmt: skip
        shape = self.architecture.input_shape
        size = math.prod(shape)
        if x.shape not in (shape, (size,)) and (x.ndim < 2 or x.shape[1:] not in (shape, (size,))):
            raise InputError(N_("inputs of shape {shape}; expected (N, {size}) or (N, {full})"),
                             shape=x.shape, size=size, full=", ".join(map(str, shape)))  # fmt: skip
        x = x.astype(self.dtype, copy=False).reshape(-1, *shape)
        return x.transpose(0, 2, 3, 1) if len(shape) == 3 else x  # images flow as NHWC
