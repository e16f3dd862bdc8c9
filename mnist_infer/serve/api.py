"""What ``mnist-infer serve`` answers, as plain functions: image bytes → a JSON-ready dict, the server's info, a
test digit by index, the page's messages. No HTTP here (see :mod:`mnist_infer.serve.server`), so these are usable
and testable alone.

The server runs one network or several (the page switches between them). A picture goes through exactly what
``predict --image`` does (:func:`mnist_infer.data.pictures.prepare_image`), then each network's one forward pass.
The answer is the chosen network's ``Prediction.to_dict()`` — one entry of ``predict --json`` — plus its name
(``network``), the 28×28 ``input`` it saw, and what :func:`~mnist_infer.inference.explain` (the forward pass step by
step) and :func:`~mnist_infer.inference.saliency` (which pixels decided) find: its dense layers'
``activations`` (``z1``, ``z2``, ``y``) and their input ``sums`` (``a1``, ``a2``, ``a3``), its convolution layers'
feature ``maps`` (one byte a pixel, see :func:`_grey`), the ``saliency`` map against the runner-up (``versus``); and
every network's ``answers``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import __version__
from ..catalog import BOOK_WEIGHTS, NOT_SURE_BELOW, KnownFile
from ..data.mnist import Dataset, images_to_inputs
from ..errors import N_, MnistInferError, WeightsError
from ..i18n import LANGUAGES
from ..inference import Prediction, explain, saliency, templates
from ..model import Network
from .page import PAGE_MESSAGES

#: The name an uploaded picture goes by in answers and error messages.
UPLOAD_NAME = "upload"


class NotFound(MnistInferError):
    """What was asked for is not there: no test set, no test image at that index, no network of that name."""


@dataclass
class Net:
    """A network the server runs, where its weights came from, and which of the book's files they are (if one)."""

    network: Network
    weights_path: Path
    known: KnownFile | None = None

    @cached_property
    def description(self) -> dict[str, object]:
        """What the page draws of it (:func:`_describe`), made once: its templates can be megabytes."""
        return _describe(self)


@dataclass
class Model:
    """The networks the server runs by name (the first is the default), and the test set when there is one."""

    networks: dict[str, Net]
    data_dir: Path | None = None
    _test_set: Dataset | None = field(default=None, repr=False)
    _test_set_error: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def net(self, name: str | None = None) -> tuple[str, Net]:
        """The network called ``name`` (the first when none is named); raises :class:`NotFound`."""
        name = name or next(iter(self.networks))
        if name not in self.networks:
            raise NotFound(
                N_("no network {name!r} here; the networks are {known}"), name=name, known=", ".join(self.networks)
            )
        return name, self.networks[name]

    def test_set(self) -> Dataset:
        """The MNIST test set, loaded on first use; raises :class:`NotFound` (every time) if it cannot be read."""
        with self._lock:
            if self._test_set is None and self._test_set_error is None:
                from ..data.mnist import load_split

                try:
                    self._test_set = load_split("test", self.data_dir)
                except MnistInferError as exc:
                    self._test_set_error = exc
            if self._test_set is None:
                raise NotFound(N_("no test set here: {reason}"), reason=self._test_set_error)
            return self._test_set


def book_weights(data_dir: Path | None = None) -> list[Path]:
    """The book's weights files at hand: the packaged ones, and ``params.pkl`` once it is in the data directory."""
    from ..weights import resolve

    found = []
    for name in BOOK_WEIGHTS:
        with contextlib.suppress(WeightsError):  # params.pkl until downloaded
            found.append(resolve(name, data_dir))
    return found


def load_model(weights: Path | Sequence[Path], data_dir: Path | None = None) -> Model:
    """Read and check each weights file (errors name the file and what is wrong); a network is called by its file
    name, or by its path when two share a name."""
    from ..weights import identify, load_network

    paths = [Path(path) for path in ([weights] if isinstance(weights, (str, os.PathLike)) else weights)]
    names = [path.name for path in paths]
    networks = {
        path.name if names.count(path.name) == 1 else str(path): Net(load_network(path), path, identify(path))
        for path in paths
    }
    return Model(networks, data_dir)


def answer(
    model: Model,
    pixels: np.ndarray,
    source: str,
    network: str | None = None,
    index: int | None = None,
    label: int | None = None,
) -> dict[str, object]:
    """Every network's answer for one 28×28 uint8 input, and the one called ``network`` in detail (see the module)."""
    chosen, net = model.net(network)
    steps = {name: values for name, _, values in explain(net.network, pixels).steps}
    answers = []
    for name, each in model.networks.items():
        inputs = images_to_inputs(pixels[np.newaxis], each.network.dtype)
        probabilities = _floats(steps["y"] if name == chosen else each.network.forward(inputs)[0])
        top = int(np.argmax(probabilities))
        sure = probabilities[top] >= NOT_SURE_BELOW
        answers.append({"network": name, "prediction": top, "sure": sure, "probabilities": probabilities})
    mine = answers[list(model.networks).index(chosen)]
    prediction = Prediction(source, index, label, mine["prediction"], np.array(mine["probabilities"]), pixels)
    # The gradient needs what each layer keeps during the forward pass: layers of its own (the weights are shared),
    # as another request may be going through the network's at the same time. A gradient that overflows (weights
    # too large for its dtype) leaves the map out, not the answer.
    with np.errstate(all="ignore"):
        own = Network(net.network.architecture, net.network.params, net.network.dtype)
        maps, classes = saliency(own, images_to_inputs(pixels[np.newaxis], own.dtype))
    finite = bool(np.isfinite(maps).all())
    return {
        **prediction.to_dict(),
        "network": chosen,
        "input": pixels.astype(int).tolist(),
        "activations": {**{name: _floats(steps[name]) for name in _drawn(net.network, 1)}, "y": mine["probabilities"]},
        "sums": {step.name: _floats(steps[step.name]) for step in net.network.steps if step.spec["type"] == "affine"},
        "maps": {name: _grey(steps[name]) for name in _drawn(net.network, 3)},
        "saliency": [_floats(row) for row in maps[0]] if finite else None,
        "versus": int(classes[0, 1]),
        "answers": answers,
    }


def predict_image(model: Model, data: bytes, network: str | None = None, name: str = UPLOAD_NAME) -> dict[str, object]:
    """The answer for an image file's bytes (any format ``predict --image`` reads); raises ImageError."""
    from ..data.pictures import prepare_image

    model.net(network)  # an unknown name before the picture is decoded
    return answer(model, prepare_image(data, name).pixels, name, network)


def test_digit(model: Model, index: int, network: str | None = None) -> dict[str, object]:
    """The answer for test image ``index``, with its label; raises NotFound without a test set or that image."""
    dataset = model.test_set()
    try:
        dataset.check_index(index)
    except MnistInferError as exc:
        raise NotFound(N_("{problem}"), problem=exc) from None
    pixels = np.array(dataset.images[index])
    return answer(model, pixels, f"test[{index}]", network, index, int(dataset.labels[index]))


def info(model: Model, translate: Callable[[str], str] = str) -> dict[str, object]:
    """What the page needs to know: each network (its weights, its layers, its first filters, what its first layer's
    units look for), the languages the page speaks, the test set, the probability below which an answer is "not
    sure"; ``weights`` and ``layers`` are the first network's."""
    try:
        count = len(model.test_set())
        test_set: dict[str, object] = {"available": True, "count": count}
    except NotFound as exc:
        test_set = {"available": False, "reason": exc.render(translate)}
    networks = [{"id": name, **net.description} for name, net in model.networks.items()]
    first = {key: networks[0][key] for key in ("weights", "layers")}
    return {"version": __version__, **first, "networks": networks, "languages": list(LANGUAGES), "test_set": test_set,
            "not_sure_below": NOT_SURE_BELOW}  # fmt: skip


def messages(translate: Callable[[str], str]) -> dict[str, str]:
    """The page's messages (:data:`~mnist_infer.serve.page.PAGE_MESSAGES`) in one language: msgid → translation."""
    return {message: translate(message) for message in PAGE_MESSAGES}


def language(*wanted: str | None) -> str:
    """The first language asked for that the page speaks, else English. Each of ``wanted`` is a list of language
    tags as in Accept-Language (``?lang=ko`` first, then the header): ``ko-KR,ko;q=0.9,en;q=0.8``, in order."""
    tags = ",".join(filter(None, wanted)).split(",")
    return next((code for tag in tags if (code := tag.split(";")[0].strip().split("-")[0].lower()) in LANGUAGES), "en")


def _describe(net: Net) -> dict[str, object]:
    network, known = net.network, net.known
    # What each unit (or map) of the first layer looks for, each to its own range, as ``explain --templates`` has it.
    pictures = _grey(templates(network).templates, axes=(1, 2))
    units = _first_units(network)
    return {
        "weights": {
            "path": str(net.weights_path),
            "name": net.weights_path.name,
            "architecture": network.architecture.summary(),
            "sizes": _sizes(network),
            "activation": network.architecture.activation,
            "known_as": known and known.name,
            "chapter": known and known.chapter,
            "book": known is not None,
        },
        "layers": [*_drawn(network, 1), "y"],
        "maps": _drawn(network, 3),
        "steps": [{**step.spec, "name": step.name, "shape": _chw(step.output_shape)} for step in network.steps],
        # The first layer's filters, as ch07's visualize_filter.py draws them: channel 0, each to its own range.
        "filters": pictures if network.is_convolutional else None,
        # A CNN's are its filters, sent once: the page finds the pictures there.
        "templates": None if not units else {"layer": units, **({} if network.is_convolutional else pictures)},
    }


def _first_units(network: Network) -> str | None:
    """The layer the page draws whose units (or maps) are the first weighted layer's: the activation after it, ``y``
    when that layer is the output; None when another weighted layer comes first."""
    weighted = [i for i, step in enumerate(network.steps) if step.spec["type"] in ("affine", "conv")]
    drawn = _drawn(network, 1) + _drawn(network, 3)
    for step in network.steps[weighted[0] + 1 :]:
        if step.name in drawn:
            return step.name
        if step.spec["type"] in ("affine", "conv"):
            return None
    return "y"


def _drawn(network: Network, dims: int) -> list[str]:
    """The layers the page draws: each activation's output, as squares (``dims`` 1) or as feature maps (3)."""
    return [step.name for step in network.steps if step.name.startswith("z") and len(step.output_shape) == dims]


def _chw(shape: tuple[int, ...]) -> list[int]:
    return list(shape) if len(shape) == 1 else [shape[2], shape[0], shape[1]]


def _sizes(network: Network) -> list[int]:
    return [int(np.prod(network.architecture.input_shape))] + [
        step.output_shape[0] for step in network.steps if step.spec["type"] == "affine"
    ]


def _grey(maps: np.ndarray, axes: tuple[int, ...] | None = None) -> dict[str, object]:
    """Maps (channels, height, width) as one byte a pixel, base64: 0 at the layer's lowest value, 255 at its highest
    (each map's own, with ``axes`` (1, 2)), so that a map is a grey picture; ``min`` and ``max`` are the layer's."""
    low, high = maps.min(axis=axes, keepdims=True), maps.max(axis=axes, keepdims=True)
    scale = _floats([low.min(), high.max()])  # finite, or the error
    pixels = np.rint((maps - low) * (255 / np.maximum(high - low, 1e-30))).astype(np.uint8, order="C")
    return {"shape": list(maps.shape), "min": scale[0], "max": scale[1], "pixels": base64.b64encode(pixels).decode()}


def _floats(values: np.ndarray) -> list[float]:
    """Plain floats for strict JSON (a weights file with inf in it could make NaN: refused, not sent)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise MnistInferError(N_("the network produced a value that is not a finite number; check the weights file"))
    return [float(v) for v in values]
