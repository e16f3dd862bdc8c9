"""Weights: the safe unpickler, .npz reading, validation, the toy weights, and knowing the book's by checksum."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from mnist_infer.catalog import FILES
from mnist_infer.errors import UnsafeWeightsError, WeightsError
from mnist_infer.safepickle import loads_arrays
from mnist_infer.weights import identify, load_weights, toy_network, validate_weights


def book_shapes(h1: int = 50, h2: int = 100) -> dict[str, tuple[int, ...]]:
    return {"W1": (784, h1), "b1": (h1,), "W2": (h1, h2), "b2": (h2,), "W3": (h2, 10), "b3": (10,)}


def random_params(seed: int = 0, dtype: type = np.float32, h1: int = 50, h2: int = 100) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(shape).astype(dtype) for k, shape in book_shapes(h1, h2).items()}


def test_book_weights_load_as_float32_with_the_book_shapes() -> None:
    params = load_weights(shared_path("weights/sample_weight.pkl"))
    assert {k: v.shape for k, v in params.items()} == book_shapes()
    assert all(v.dtype == np.float32 for v in params.values())
    # Re-pickled by numpy itself and read back by the safe loader: the same numbers.
    assert_same(loads_arrays(pickle.dumps(params, protocol=3), "re-pickled"), params)


def assert_same(loaded: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert loaded.keys() == expected.keys()
    for key in expected:
        assert loaded[key].dtype == expected[key].dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded[key], expected[key])


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.uint8, ">f4", "<f8"])
def test_every_protocol_and_numeric_dtype_round_trips(protocol: int, dtype) -> None:
    params = random_params(dtype=np.dtype(dtype))
    assert_same(loads_arrays(pickle.dumps(params, protocol=protocol), "p"), params)


def test_fortran_ordered_and_empty_arrays() -> None:
    params = {"F": np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)), "E": np.zeros((0, 3))}
    for protocol in (2, 5):
        assert_same(loads_arrays(pickle.dumps(params, protocol=protocol), "p"), params)


def test_pickle_that_calls_os_system_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f"evil{protocol}.pkl"
        path.write_bytes(pickle.dumps({"W1": Payload()}, protocol=protocol))
        with pytest.raises(UnsafeWeightsError) as info:
            load_weights(path)
        assert str(path) in str(info.value)
        assert "something other than numeric arrays" in str(info.value)
        assert "system" in str(info.value)
    assert not marker.exists()


def test_npz_round_trip(tmp_path: Path) -> None:
    params = random_params()
    np.savez(tmp_path / "w.npz", **params)
    np.savez_compressed(tmp_path / "wc.npz", **params)
    assert_same(load_weights(tmp_path / "w.npz"), params)
    assert_same(load_weights(tmp_path / "wc.npz"), params)


def test_npz_with_object_array_is_refused(tmp_path: Path) -> None:
    params: dict[str, np.ndarray] = dict(random_params())
    params["W1"] = np.array([{"a": 1}, None], dtype=object)
    np.savez(tmp_path / "obj.npz", **params)
    with pytest.raises(UnsafeWeightsError, match="object array"):
        load_weights(tmp_path / "obj.npz")


def test_hidden_sizes_are_free(tmp_path: Path) -> None:
    params = random_params(h1=7, h2=3)
    (tmp_path / "small.pkl").write_bytes(pickle.dumps(params))
    assert load_weights(tmp_path / "small.pkl")["W2"].shape == (7, 3)


def _with(**changes) -> dict:
    params = dict(random_params())
    for key, value in changes.items():
        if value is None:
            del params[key]
        else:
            params[key] = value
    return params


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ([1, 2, 3], "holds a list, expected a dict with keys W1 b1 W2 b2 W3 b3"),
        (_with(b3=None), "missing b3"),
        (_with(W4=np.zeros(3, np.float32)), "unexpected W4"),
        (
            _with(W1=np.zeros((100, 50), np.float32)),
            r"W1 has shape \(100, 50\), expected \(784, hidden size\)",
        ),
        (
            _with(W3=np.zeros((100, 9), np.float32), b3=np.zeros(9, np.float32)),
            r"W3 has shape \(100, 9\), expected \(100, 10\): the output layer must have 10 classes",
        ),
        (_with(b2=np.zeros(99, np.float32)), r"b2 has shape \(99,\), expected \(100,\)"),
        (_with(W2="weights"), "W2 is a str, expected a numeric array"),
        (_with(W2=np.full((50, 100), np.nan, np.float32)), "W2 holds 5,000 non-finite value"),
        (_with(b1=np.array([np.inf] + [0.0] * 49)), "b1 holds 1 non-finite value"),
    ],
    ids=[
        "not-a-dict",
        "missing-key",
        "extra-key",
        "wrong-input-size",
        "nine-classes",
        "bias-mismatch",
        "string",
        "nan",
        "inf",
    ],
)
def test_wrong_weights_say_what_was_expected_and_found(params, words: str) -> None:
    with pytest.raises(WeightsError, match=words):
        validate_weights(params, "w.pkl")


def test_empty_truncated_and_random_files(tmp_path: Path) -> None:
    good = pickle.dumps(random_params())
    cases = {
        "empty.pkl": (b"", "empty"),
        "truncated.pkl": (good[: len(good) // 2], "not a valid pickle"),
        "random.pkl": (np.random.default_rng(0).bytes(4096), "not a valid pickle"),
        "single.npy": (b"\x93NUMPY" + bytes(100), "a single .npy array"),
        "broken.npz": (b"PK\x03\x04" + bytes(100), "not a valid .npz"),
    }
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(WeightsError, match=words):
            load_weights(tmp_path / name)
    with pytest.raises(WeightsError, match=r"no such weights file; check the path \(`mnist-infer train"):
        load_weights(tmp_path / "absent.pkl")
    with pytest.raises(WeightsError, match="no such weights file; `mnist-infer download` fetches"):
        load_weights(tmp_path / "sample_weight.pkl")


def test_toy_network_weights() -> None:
    network, x = toy_network()
    assert network.sizes == (2, 3, 2, 2)
    np.testing.assert_array_equal(network.params["W2"], [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
    np.testing.assert_array_equal(x, [1.0, 0.5])


def test_catalog_knows_the_book_weights() -> None:
    path = shared_path("weights/sample_weight.pkl")
    known = FILES["sample_weight.pkl"]
    assert known.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (known.test_correct, known.test_total, known.test_accuracy) == (9352, 10000, 0.9352)
    assert identify(path) == known


def test_identify_unknown_file(tmp_path: Path) -> None:
    (tmp_path / "w.pkl").write_bytes(pickle.dumps(random_params()))
    assert identify(tmp_path / "w.pkl") is None
