"""Weights: the safe unpickler, .npz reading, the architecture derived from the book's pickles, the checks, the toy
weights, and knowing the book's files by checksum."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from conftest import CNN_FIRST_PREDICTIONS, FIRST_TEST_PREDICTIONS, copy_packaged, packaged, shared_path
from mnist_infer.catalog import FILES, REUPLOADS
from mnist_infer.data import images_to_inputs, load_split
from mnist_infer.errors import UnsafeWeightsError, WeightsError
from mnist_infer.model.network import Network, deep_convnet, mlp, simple_convnet
from mnist_infer.weights import identify, load_network, read_weights, resolve, toy_network


def book_shapes(h1: int = 50, h2: int = 100) -> dict[str, tuple[int, ...]]:
    return {"W1": (784, h1), "b1": (h1,), "W2": (h1, h2), "b2": (h2,), "W3": (h2, 10), "b3": (10,)}


def random_params(seed: int = 0, dtype: type = np.float32, h1: int = 50, h2: int = 100) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(shape).astype(dtype) for k, shape in book_shapes(h1, h2).items()}


def pickled(path: Path, content, protocol: int = pickle.DEFAULT_PROTOCOL) -> Path:
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    return path


def assert_same(loaded: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    """The arrays of ``expected``, as float32 (what every network computes in)."""
    assert loaded.keys() == expected.keys()
    for key in expected:
        assert loaded[key].dtype == np.float32
        np.testing.assert_array_equal(loaded[key], np.asarray(expected[key]).astype(np.float32))


BOOK = {
    "sample_weight.pkl": (lambda: packaged("sample_weight.pkl"), mlp((50, 100), "sigmoid"), FIRST_TEST_PREDICTIONS),
    "deep_convnet_params.pkl": (lambda: packaged("deep_convnet_params.pkl"), deep_convnet(), CNN_FIRST_PREDICTIONS),
    "params.pkl": (lambda: shared_path("weights/params.pkl"), simple_convnet(), CNN_FIRST_PREDICTIONS),  # not shipped
}


@pytest.mark.parametrize("name", BOOK)
def test_the_book_weights_give_their_architecture_and_the_books_answers(tmp_path: Path, name: str) -> None:
    where, architecture, first = BOOK[name]
    weights = read_weights(where())
    assert weights.architecture == architecture and weights.metadata == {}
    assert {k: (v.shape, v.dtype) for k, v in weights.params.items()} == {
        k: (shape, np.float32) for k, shape in architecture.shapes().items()
    }
    images = images_to_inputs(load_split("test").images[:10])
    assert list(Network(weights.architecture, weights.params).predict(images)) == first
    # Re-pickled by numpy itself and read back: the same numbers, the same architecture.
    again = read_weights(pickled(tmp_path / name, weights.params, protocol=5))
    assert again.architecture == architecture
    assert_same(again.params, weights.params)


def test_the_default_weights_are_the_books_chapter_3_network() -> None:
    assert load_network().architecture.summary() == "784-50-100-10 sigmoid"


def test_a_bare_book_name_means_the_data_dirs_copy_else_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert resolve("deep_convnet_params.pkl", tmp_path / "data") == packaged("deep_convnet_params.pkl")
    mine = copy_packaged("sample_weight.pkl", tmp_path / "data" / "sample_weight.pkl")
    assert resolve(None, tmp_path / "data") == mine == resolve("sample_weight.pkl", tmp_path / "data")
    with pytest.raises(WeightsError, match=r"params\.pkl: not in the data directory; `mnist-infer download --weights"):
        resolve("params.pkl", tmp_path / "data")  # the chapter 7 weights are not packaged


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.uint8, ">f4", "<f8"])
def test_every_protocol_and_numeric_dtype_round_trips(tmp_path: Path, protocol: int, dtype) -> None:
    params = {k: np.abs(v) for k, v in random_params(dtype=np.float32).items()}  # unsigned types too
    params = {k: v.astype(np.dtype(dtype)) for k, v in params.items()}
    assert_same(read_weights(pickled(tmp_path / "w.pkl", params, protocol)).params, params)


def test_fortran_ordered_arrays(tmp_path: Path) -> None:
    params = {k: np.asfortranarray(v) for k, v in random_params().items()}
    assert params["W1"].flags.f_contiguous and not params["W1"].flags.c_contiguous
    for protocol in (2, 5):
        assert_same(read_weights(pickled(tmp_path / "w.pkl", params, protocol)).params, params)


def test_pickle_that_calls_os_system_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = pickled(tmp_path / f"evil{protocol}.pkl", {**random_params(), "W1": Payload()}, protocol)
        with pytest.raises(UnsafeWeightsError) as info:
            read_weights(path)
        assert str(info.value).startswith(f"{path}: holds something other than numeric arrays")
        assert "system" in str(info.value) and "nothing in it was run" in str(info.value)
    assert not marker.exists()


def test_npz_round_trip(tmp_path: Path) -> None:
    params = random_params()
    np.savez(tmp_path / "w.npz", **params)
    np.savez_compressed(tmp_path / "wc.npz", **params)
    for name in ("w.npz", "wc.npz"):
        weights = read_weights(tmp_path / name)
        assert weights.architecture == mlp((50, 100), "sigmoid") and weights.metadata == {}
        assert_same(weights.params, params)


def test_npz_with_object_array_is_refused(tmp_path: Path) -> None:
    params: dict[str, np.ndarray] = dict(random_params())
    params["W1"] = np.array([{"a": 1}, None], dtype=object)
    np.savez(tmp_path / "obj.npz", **params)
    with pytest.raises(UnsafeWeightsError, match="W1 is an object array"):
        read_weights(tmp_path / "obj.npz")


def test_hidden_sizes_and_depth_are_free(tmp_path: Path) -> None:
    weights = read_weights(pickled(tmp_path / "small.pkl", random_params(h1=7, h2=3)))
    assert weights.params["W2"].shape == (7, 3) and weights.architecture.summary() == "784-7-3-10 sigmoid"
    rng = np.random.default_rng(1)
    deep = {"W1": (784, 20), "b1": (20,), "W2": (20, 10), "b2": (10,)}
    deep |= {"W2": (20, 15), "b2": (15,), "W3": (15, 12), "b3": (12,), "W4": (12, 10), "b4": (10,)}
    params = {k: rng.standard_normal(shape) for k, shape in deep.items()}
    assert read_weights(pickled(tmp_path / "deep.pkl", params)).architecture.summary() == "784-20-15-12-10 sigmoid"


def _with(base: dict | None = None, **changes) -> dict:
    params = dict(random_params() if base is None else base)
    for key, value in changes.items():
        if value is None:
            del params[key]
        else:
            params[key] = value
    return params


def _cnn() -> dict[str, np.ndarray]:
    return read_weights(packaged("deep_convnet_params.pkl")).params


def _simple(size: int = 5) -> dict[str, np.ndarray]:
    shapes = {"W1": (30, 1, size, size), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    return {k: np.zeros(shape, np.float32) for k, shape in shapes.items()}


WRONG = {
    "not-a-dict": (lambda: [1, 2, 3], "holds a list, expected a dict of arrays"),
    "missing-key": (lambda: _with(b3=None), "missing b3: expected keys W1 b1 W2 b2 W3 b3, found W1 W2 W3 b1 b2"),
    "extra-key": (
        lambda: _with(W4=np.zeros(3, np.float32)),
        "fits no architecture this tool knows (W1 (784, 50), W2 (50, 100), W3 (100, 10), W4 (3,))",
    ),
    "extra-name": (lambda: _with(bias=np.zeros(3, np.float32)), "unexpected bias: expected keys W1 b1 W2 b2 W3 b3"),
    "wrong-input-size": (
        lambda: _with(W1=np.zeros((100, 50), np.float32)),
        "a network from 100 inputs to 10 classes (100-50-100-10 sigmoid); expected 784 inputs (28×28 pixels)",
    ),
    "nine-classes": (
        lambda: _with(W3=np.zeros((100, 9), np.float32), b3=np.zeros(9, np.float32)),
        "a network from 784 inputs to 9 classes (784-50-100-9 sigmoid); expected 784 inputs (28×28 pixels) and 10",
    ),
    "bias-mismatch": (
        lambda: _with(b2=np.zeros(99, np.float32)),
        "b2 has shape (99,), expected (100,) (784-50-100-10 sigmoid)",
    ),
    "chain-broken": (lambda: _with(W2=np.zeros((49, 100), np.float32)), "W2 has shape (49, 100), expected (50, 100)"),
    "string": (lambda: _with(W2="weights"), "W2 is a str, expected a numeric array"),
    "string-bias": (lambda: _with(b2="weights"), "b2 is a str, expected a numeric array"),
    "no-units": (
        lambda: _with(W1=np.zeros((784, 0), np.float32), b1=np.zeros(0), W2=np.zeros((0, 100))),
        "units 0",
    ),
    "nan": (lambda: _with(W2=np.full((50, 100), np.nan, np.float32)), "W2 holds 5,000 non-finite value(s)"),
    "inf": (lambda: _with(b1=np.array([np.inf] + [0.0] * 49)), "b1 holds 1 non-finite value(s)"),
    "overflow": (lambda: _with(W1=np.full((784, 50), 1e36, np.float32)), "could overflow float32"),
    "cnn-nan": (
        lambda: _with(_cnn(), W8=np.where(np.eye(50, 10) > 0, np.nan, _cnn()["W8"])),
        "W8 holds 10 non-finite value(s)",
    ),
    "cnn-4d-where-a-matrix-belongs": (
        lambda: _with(_cnn(), W7=_cnn()["W7"].reshape(1024, 50, 1, 1)),
        "fits no architecture this tool knows (W1 (16, 1, 3, 3), W2 (16, 16, 3, 3), W3 (32, 16, 3, 3)",
    ),
    "cnn-2d-where-a-kernel-belongs": (
        lambda: _with(_cnn(), W3=_cnn()["W3"].reshape(32, 144)),
        "W3 (32, 144), W4 (32, 32, 3, 3)",
    ),
    "cnn-missing-bias": (
        lambda: _with(_cnn(), b5=None),
        "missing b5: expected keys W1 b1 W2 b2 W3 b3 W4 b4 W5 b5 W6 b6 W7 b7 W8 b8",
    ),
    "cnn-kernel-larger-than-its-input": (lambda: _simple(29), "W1: a 29×29 kernel over a 28×28 input (padding 0)"),
    "cnn-affine-of-the-wrong-size": (
        lambda: _with(_simple(5), W2=np.zeros((4000, 100), np.float32)),
        "W2 has shape (4000, 100), expected (4320, 100) (SimpleConvNet)",
    ),
}


@pytest.mark.parametrize("case", WRONG)
def test_wrong_weights_say_what_was_expected_and_found(tmp_path: Path, case: str) -> None:
    make, words = WRONG[case]
    path = pickled(tmp_path / "w.pkl", make())
    with pytest.raises(WeightsError) as info:
        read_weights(path)
    assert not isinstance(info.value, UnsafeWeightsError)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value), info.value


def test_empty_truncated_and_random_files(tmp_path: Path) -> None:
    good = pickle.dumps(random_params())
    cases = {
        "empty.pkl": (b"", "the file is empty"),
        "truncated.pkl": (good[: len(good) // 2], "not a valid pickle"),
        "random.pkl": (np.random.default_rng(0).bytes(4096), "not a valid pickle"),
        "single.npy": (b"\x93NUMPY" + bytes(100), "a single .npy array"),
        "broken.npz": (b"PK\x03\x04" + bytes(100), "not a valid .npz"),
        "weights.pkl.gz": (gzip.compress(good), "a gzip file; unpack it first"),
        "digit.png": (b"\x89PNG\r\n\x1a\n" + bytes(100), r"a picture \(PNG\), not weights"),
    }
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(WeightsError, match=f"^{tmp_path / name}: {words}") as info:
            read_weights(tmp_path / name)
        assert "Error" not in str(info.value) and "opcode" not in str(info.value)  # the tool's sentence, not Python's
        if name.endswith((".pkl", ".gz", ".png")) and content:
            assert "Error" in info.value.fields["reason"]  # which Python kept as a field
    with pytest.raises(WeightsError, match=r"no such weights file; check the path \(`mnist-infer train"):
        read_weights(tmp_path / "absent.pkl")
    for name in ("sample_weight.pkl", "params.pkl", "deep_convnet_params.pkl"):
        words = f"no such weights file; `mnist-infer download --weights {name}` fetches the book's"
        with pytest.raises(WeightsError, match=words):
            read_weights(tmp_path / name)


def test_toy_network_weights() -> None:
    network, x = toy_network()
    assert network.architecture.summary() == "2-3-2-2 sigmoid" and network.dtype == np.float64
    np.testing.assert_array_equal(network.params["W2"], [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
    np.testing.assert_array_equal(x, [1.0, 0.5])


def test_catalog_knows_the_book_weights() -> None:
    for name, correct in (("sample_weight.pkl", 9352), ("deep_convnet_params.pkl", 9935)):
        path, known = packaged(name), FILES[name]
        assert known.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (known.test_correct, known.test_accuracy, known.reupload) == (correct, correct / 10_000, None)
        assert identify(path) == known


def test_identify_knows_the_chapter_7_weights_and_the_2022_reuploads() -> None:
    assert identify(shared_path("weights/params.pkl")) == FILES["params.pkl"]  # the package does not ship it
    for known in REUPLOADS:
        path = shared_path(f"weights/reupload-2022/{known.name}")
        assert identify(path) == known and known.reupload == 2022
        assert known.test_correct < FILES[known.name].test_correct


def test_identify_unknown_file(tmp_path: Path) -> None:
    assert identify(pickled(tmp_path / "w.pkl", random_params())) is None
    assert identify(tmp_path / "absent.pkl") is None
