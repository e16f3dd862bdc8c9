"""The .npz weights `train` writes: arrays plus JSON metadata, read by the same safe loader as any weights file."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import shared_path
from mnist_infer.cli import cli
from mnist_infer.errors import WeightsError
from mnist_infer.training import init_params
from mnist_infer.weights import load_network, load_weights, read_weights_and_metadata
from mnist_infer.weights_npz import save_weights


def params() -> dict[str, np.ndarray]:
    return init_params((784, 20, 30, 10), "he", np.random.default_rng(0))


def test_round_trip_with_metadata(tmp_path: Path) -> None:
    path = save_weights(tmp_path / "w.npz", params(), {"activation": "relu", "seed": 7})
    loaded = load_weights(path)
    for key, value in params().items():
        np.testing.assert_array_equal(loaded[key], value)
    assert read_weights_and_metadata(path)[1] == {"activation": "relu", "seed": 7}
    assert load_network(path).activation == "relu"
    assert load_network(save_weights(tmp_path / "s.npz", params(), {})).activation == "sigmoid"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "W1.npy",
            "W2.npy",
            "W3.npy",
            "b1.npy",
            "b2.npy",
            "b3.npy",
            "metadata.npy",
        ]


def test_the_book_weights_have_no_metadata_and_stay_sigmoid() -> None:
    path = shared_path("weights/sample_weight.pkl")
    assert read_weights_and_metadata(path)[1] == {}
    assert load_network(path).activation == "sigmoid"


def _npz(path: Path, metadata: object) -> Path:
    buffer = io.BytesIO()
    np.savez(buffer, **params(), metadata=metadata)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        (np.frombuffer(b"\xff\xfe not text", np.uint8), "metadata is not JSON text"),
        (np.frombuffer(b"{'activation': 'relu'}", np.uint8), "metadata is not JSON text"),
        (np.frombuffer(b"[" * 100_000, np.uint8), "metadata is not JSON text"),
        (np.zeros(5, np.float32), "metadata is an array of float32"),
        (np.zeros((2, 3), np.uint8), "metadata is an array of uint8 (2, 3)"),
        (np.frombuffer(b"[1, 2]", np.uint8), "metadata holds a JSON list; expected an object"),
        (np.frombuffer(json.dumps({"activation": "tanh"}).encode(), np.uint8), "activation 'tanh'"),
        (np.frombuffer(json.dumps({"activation": ["relu"]}).encode(), np.uint8), "activation ['relu']"),
        (np.zeros(2 * 1024 * 1024, np.uint8), "metadata has 2,097,152 bytes"),
    ],
    ids=["bad-utf8", "not-json", "deep-nesting", "floats", "2d", "list", "tanh", "list-activation", "huge"],
)
def test_garbage_metadata_is_refused_with_the_reason(tmp_path: Path, metadata: np.ndarray, words: str) -> None:
    path = _npz(tmp_path / "w.npz", metadata)
    with pytest.raises(WeightsError) as info:
        load_network(path)
    assert str(path) in str(info.value) and words in str(info.value)
    result = CliRunner().invoke(cli, ["predict", "--image", str(tmp_path / "absent.png"), "--weights", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and words in result.output


def test_writing_into_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    from mnist_infer.errors import MnistInferError

    with pytest.raises(MnistInferError, match="cannot write the weights"):
        save_weights(tmp_path / "absent" / "w.npz", params(), {})
    assert not (tmp_path / "absent").exists()
