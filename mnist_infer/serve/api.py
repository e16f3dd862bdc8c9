"""What ``mnist-infer serve`` answers, as plain functions: image bytes → a JSON-ready dict, the server's info, a
test digit by index. No HTTP here (see :mod:`mnist_infer.serve.server`), so these are usable and testable alone.

A picture goes through exactly what ``predict --image`` does (:func:`mnist_infer.photo_input.prepare_image`,
then the network's one forward pass); the answer is ``Prediction.to_dict()`` — one entry of ``predict --json`` —
plus the 28×28 ``input`` the network saw and its ``activations`` (``z1``, ``z2``, ``y``) for the page to draw.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..catalog import DEFAULT_WEIGHTS_NAME
from ..data.mnist import Dataset, images_to_inputs
from ..errors import N_, MnistInferError
from ..inference import Prediction
from ..model import Network

#: The name an uploaded picture goes by in answers and error messages.
UPLOAD_NAME = "upload"


class NotFound(MnistInferError):
    """What was asked for is not there: no test set, or no test image at that index."""


@dataclass
class Model:
    """The network the server runs, where its weights came from, and the test set when there is one."""

    network: Network
    weights_path: Path
    data_dir: Path | None = None
    known_as: str | None = None  #: the catalog's name for the weights file, if it is a known one
    _test_set: Dataset | None = field(default=None, repr=False)
    _test_set_error: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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


def load_model(weights_path: Path, data_dir: Path | None = None) -> Model:
    """Read and check the weights (errors name the file and what is wrong)."""
    from ..weights import identify, load_network

    known = identify(weights_path)
    return Model(load_network(weights_path), Path(weights_path), data_dir, known.name if known else None)


def answer(
    network: Network, pixels: np.ndarray, source: str, index: int | None = None, label: int | None = None
) -> dict[str, object]:
    """The network's answer for one 28×28 uint8 input: ``Prediction.to_dict()`` + ``input`` + ``activations``."""
    trace: dict[str, np.ndarray] = {}
    probabilities = network.forward(images_to_inputs(pixels[np.newaxis], network.dtype), trace)[0]
    prediction = Prediction(source, index, label, int(np.argmax(probabilities)), probabilities, pixels)
    return {
        **prediction.to_dict(),
        "input": pixels.astype(int).tolist(),
        "activations": {
            **{name: _floats(trace[name][0]) for name in _hidden(network)},
            "y": _floats(probabilities),
        },
    }


def predict_image(network: Network, data: bytes, name: str = UPLOAD_NAME) -> dict[str, object]:
    """The answer for an image file's bytes (any format ``predict --image`` reads); raises ImageError."""
    from ..data.pictures import prepare_image

    prepared = prepare_image(data, name)
    return answer(network, prepared.pixels, name)


def test_digit(model: Model, index: int) -> dict[str, object]:
    """The answer for test image ``index``, with its label; raises NotFound without a test set or that image."""
    dataset = model.test_set()
    try:
        dataset.check_index(index)
    except MnistInferError as exc:
        raise NotFound(N_("{problem}"), problem=exc) from None
    pixels = np.array(dataset.images[index])
    return answer(model.network, pixels, f"test[{index}]", index, int(dataset.labels[index]))


def info(model: Model) -> dict[str, object]:
    """What the page needs to know: the weights, their layer sizes, whether they are the book's, the test set."""
    try:
        count = len(model.test_set())
        test_set: dict[str, object] = {"available": True, "count": count}
    except NotFound as exc:
        test_set = {"available": False, "reason": str(exc)}
    return {
        "version": __version__,
        "weights": {
            "path": str(model.weights_path),
            "name": model.weights_path.name,
            "architecture": model.network.architecture.summary(),
            "sizes": _sizes(model.network),
            "activation": model.network.architecture.activation,
            "known_as": model.known_as,
            "book": model.known_as == DEFAULT_WEIGHTS_NAME,
        },
        "layers": [*_hidden(model.network), "y"],
        "test_set": test_set,
    }


def _hidden(network: Network) -> list[str]:
    """The hidden layers drawn a square per neuron (z1, z2 for the book's network; not a CNN's feature maps)."""
    return [step.name for step in network.steps if step.name.startswith("z") and len(step.output_shape) == 1]


def _sizes(network: Network) -> list[int]:
    return [int(np.prod(network.architecture.input_shape))] + [
        step.output_shape[0] for step in network.steps if step.spec["type"] == "affine"
    ]


def _floats(values: np.ndarray) -> list[float]:
    """Plain floats for strict JSON (a weights file with inf in it could make NaN: refused, not sent)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise MnistInferError(N_("the network produced a value that is not a finite number; check the weights file"))
    return [float(v) for v in values]
