"""The .npz weights `train` writes: arrays plus JSON metadata stating the architecture, read by the same safe
reader as any weights file."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import packaged
from mnist_infer.cli import cli
from mnist_infer.errors import MnistInferError, WeightsError
from mnist_infer.model.network import Network, deep_convnet, init_params, mlp, simple_convnet
from mnist_infer.weights import load_network, read_weights, save_weights

RELU = mlp((20, 30), "relu")


def network(architecture=RELU, seed: int = 0) -> Network:
    return Network(architecture, init_params(architecture, "he", np.random.default_rng(seed)))


def test_round_trip_with_metadata(tmp_path: Path) -> None:
    path = save_weights(tmp_path / "w.npz", network(), {"seed": 7})
    weights = read_weights(path)
    assert weights.architecture == RELU and weights.architecture.summary() == "784-20-30-10 relu"
    for key, value in network().params.items():
        np.testing.assert_array_equal(weights.params[key], value)
    assert weights.metadata == {"seed": 7, "architecture": RELU.to_json()}
    assert load_network(path).architecture.activation == "relu"  # not the book's sigmoid, as the shapes would say
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [f"{k}.npy" for k in ("W1", "W2", "W3", "b1", "b2", "b3", "metadata")]
    assert save_weights(tmp_path / "again.npz", network(), {"seed": 7}).read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    "architecture",
    [
        simple_convnet(),
        simple_convnet(filters=4, size=3, hidden=8),  # not the book's sizes: only the metadata can say so
        deep_convnet(),
        mlp((16, 16, 16), "tanh", batch_norm=True, dropout=0.25),
    ],
    ids=["simple-convnet", "small-convnet", "deep-convnet", "tanh-batch-norm-dropout"],
)
def test_the_metadata_carries_any_architecture(tmp_path: Path, architecture) -> None:
    saved = network(architecture, seed=1)
    weights = read_weights(save_weights(tmp_path / "w.npz", saved, {}))
    assert weights.architecture == architecture
    assert weights.params.keys() == architecture.shapes().keys()
    images = np.random.default_rng(2).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(Network(weights.architecture, weights.params).forward(images), saved.forward(images))


def test_the_book_weights_have_no_metadata_and_their_shapes_say_what_they_are() -> None:
    assert read_weights(packaged("sample_weight.pkl")).metadata == {}
    assert load_network(packaged("sample_weight.pkl")).architecture.activation == "sigmoid"
    assert load_network(packaged("deep_convnet_params.pkl")).architecture == deep_convnet()


def test_files_of_mnist_infer_0_1_state_their_sizes_and_activation(tmp_path: Path) -> None:
    params = network(mlp((20, 30), "relu")).params
    path = _npz(tmp_path / "old.npz", _text({"sizes": [784, 20, 30, 10], "activation": "relu", "seed": 3}), params)
    assert read_weights(path).architecture == mlp((20, 30), "relu")


def _text(metadata: object) -> np.ndarray:
    return np.frombuffer(json.dumps(metadata).encode(), np.uint8)


def _npz(path: Path, metadata: object, params: dict | None = None) -> Path:
    buffer = io.BytesIO()
    np.savez(buffer, **(network().params if params is None else params), metadata=metadata)
    path.write_bytes(buffer.getvalue())
    return path


GARBAGE = {
    "bad-utf8": (np.frombuffer(b"\xff\xfe not text", np.uint8), "metadata is not JSON text (UnicodeDecodeError)"),
    "not-json": (np.frombuffer(b"{'activation': 'relu'}", np.uint8), "metadata is not JSON text"),
    "deep-nesting": (np.frombuffer(b"[" * 100_000, np.uint8), "metadata is not JSON text (RecursionError)"),
    "floats": (np.zeros(5, np.float32), "metadata is not the JSON text `mnist-infer train` writes, as a uint8 array"),
    "2d": (np.zeros((2, 3), np.uint8), "metadata is not the JSON text `mnist-infer train` writes, as a uint8 array"),
    "list": (_text([1, 2]), "metadata holds a JSON list; expected an object"),
    "huge": (np.zeros(2 * 1024 * 1024, np.uint8), "metadata has 2,097,152 bytes, more than 1,048,576"),
    "unknown-activation": (
        _text({"sizes": [784, 20, 30, 10], "activation": "softplus"}),
        "unknown activation 'softplus'",
    ),
    "list-activation": (
        _text({"sizes": [784, 20, 30, 10], "activation": ["relu"]}),
        "the architecture in its metadata is malformed",
    ),
    "sizes-not-a-list": (_text({"sizes": 784}), "the architecture in its metadata is malformed"),
    "architecture-not-an-object": (_text({"architecture": "mlp"}), "the architecture is not an object"),
    "unknown-layer": (
        _text({"architecture": {"input": [784], "layers": [{"type": "softplus"}]}}),
        "unknown layer 'softplus'",
    ),
    "million-filters": (
        _text({"architecture": {"input": [1, 28, 28], "layers": [{"type": "conv", "filters": 10**6, "size": 5}]}}),
        "conv layer: filters 1000000, expected a whole number from 1 to 8192",
    ),
    "kernel-larger-than-its-input": (
        _text({"architecture": {"input": [1, 28, 28], "layers": [{"type": "conv", "filters": 2, "size": 30}]}}),
        "a 30×30 kernel over a 28×28 input",
    ),
    "another-network": (_text({"architecture": simple_convnet().to_json()}), "expected (30, 1, 5, 5) (SimpleConvNet)"),
    "other-hidden-sizes": (
        _text({"architecture": mlp((20, 31), "relu").to_json()}),
        "W2 has shape (20, 30), expected (20, 31) (784-20-31-10 relu)",
    ),
    "other-depth": (
        _text({"architecture": mlp((20,), "relu").to_json()}),
        "unexpected W3 b3: expected keys W1 b1 W2 b2,",
    ),
}


@pytest.mark.parametrize("case", GARBAGE)
def test_garbage_metadata_is_refused_with_the_reason(tmp_path: Path, case: str) -> None:
    metadata, words = GARBAGE[case]
    path = _npz(tmp_path / "w.npz", metadata)
    with pytest.raises(WeightsError) as info:
        load_network(path)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value), info.value
    result = CliRunner().invoke(cli, ["predict", "--image", str(tmp_path / "absent.png"), "--weights", str(path)])
    assert result.exit_code == 1 and result.stderr == f"Error: {info.value}\n"


def test_writing_into_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MnistInferError, match=r"cannot write the weights: directory .* does not exist"):
        save_weights(tmp_path / "absent" / "w.npz", network(), {})
    assert not (tmp_path / "absent").exists()
