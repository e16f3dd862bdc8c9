"""Data directory, file spellings, splits and the book-compatible load_mnist."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import FIRST_TEST_LABELS, TEST_FILES, packaged, synthetic_split
from mnist_infer import paths
from mnist_infer.data import load_mnist, load_split
from mnist_infer.data.idx import write_idx
from mnist_infer.errors import DataFileError, MissingDataError, MnistInferError


def test_default_data_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.data_dir() == tmp_path / "xdg" / "mnist-infer"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # ignored, as the XDG specification says
    assert paths.data_dir() == Path.home() / ".cache" / "mnist-infer"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert paths.data_dir() == Path.home() / ".cache" / "mnist-infer"
    monkeypatch.setenv("MNIST_INFER_HOME", str(tmp_path / "home"))
    assert paths.data_dir() == tmp_path / "home"
    assert paths.data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_a_given_data_directory_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    """A typo in --data-dir must not silently fall back to the packaged copies."""
    with pytest.raises(MnistInferError) as info:
        load_split("test", tmp_path / "typo")
    assert str(tmp_path / "typo") in str(info.value) and "no such data directory" in str(info.value)
    assert load_split("test", tmp_path).images_path == packaged(TEST_FILES[0])  # an empty one: the package's copy


def test_train_split_from_written_files(tmp_path: Path) -> None:
    images, labels = synthetic_split(tmp_path, "train", 50)
    dataset = load_split("train", tmp_path)
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert dataset.split == "train" and len(dataset) == 50


@pytest.mark.parametrize(
    "names",
    [
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),  # gunzipped
        ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),  # the official archives, unpacked
    ],
)
def test_other_spellings_are_found(tmp_path: Path, names: tuple[str, str]) -> None:
    for name, source in zip(names, TEST_FILES, strict=True):
        (tmp_path / name).write_bytes(gzip.decompress(packaged(source).read_bytes()))
    dataset = load_split("test", tmp_path)
    assert dataset.labels[:10].tolist() == FIRST_TEST_LABELS
    assert dataset.images_path.name == names[0]


def test_missing_files_are_listed_with_the_download_hint(tmp_path: Path) -> None:
    synthetic_split(tmp_path, "train", 3)
    os.remove(tmp_path / "train-images-idx3-ubyte.gz")
    with pytest.raises(MissingDataError) as info:
        load_split("train", tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels" not in message
    assert "mnist-infer download --split train" in message and str(tmp_path) in message
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(MissingDataError, match=r"missing t10k-images-idx3-ubyte\.gz; "):
        load_split("test", tmp_path)  # half a split is never completed with the packaged copy


def test_image_and_label_counts_must_agree(tmp_path: Path) -> None:
    synthetic_split(tmp_path, "train", 5)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(DataFileError, match=r"5 images, but .*/train-labels-idx1-ubyte\.gz has 4 labels"):
        load_split("train", tmp_path)


def test_unknown_split(tmp_path: Path) -> None:
    with pytest.raises(MnistInferError, match="unknown split 'valid'"):
        load_split("valid", tmp_path)


@pytest.fixture
def book_dir(data_dir: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """The real test split (copies of the packaged one) beside a small written train split."""
    images, labels = synthetic_split(data_dir, "train", 20)
    return data_dir, images, labels


def test_load_mnist_defaults_like_the_book(book_dir) -> None:
    directory, train_images, train_labels = book_dir
    (x_train, t_train), (x_test, t_test) = load_mnist(data_dir=directory)
    assert x_train.shape == (20, 784) and x_test.shape == (10_000, 784)
    assert x_train.dtype == x_test.dtype == np.float32
    assert x_test.min() >= 0.0 and x_test.max() == 1.0
    np.testing.assert_array_equal(x_train, train_images.reshape(20, 784).astype(np.float32) / 255.0)
    assert t_train.dtype == np.uint8 and t_test[:10].tolist() == FIRST_TEST_LABELS
    np.testing.assert_array_equal(t_train, train_labels)


def test_load_mnist_unnormalised_unflattened_one_hot(book_dir) -> None:
    directory, train_images, train_labels = book_dir
    (x_train, t_train), (x_test, t_test) = load_mnist(
        normalize=False, flatten=False, one_hot_label=True, data_dir=directory
    )
    assert x_train.shape == (20, 1, 28, 28) and x_test.shape == (10_000, 1, 28, 28)
    assert x_test.dtype == np.uint8 and x_test.max() == 255
    np.testing.assert_array_equal(x_train[:, 0], train_images)
    assert t_test.shape == (10_000, 10) and t_test.dtype.kind == "f"
    assert (t_test.sum(axis=1) == 1).all() and t_test[:10].argmax(axis=1).tolist() == FIRST_TEST_LABELS
    np.testing.assert_array_equal(t_train.argmax(axis=1), train_labels)
    x_train[0, 0, 0, 0] = 1  # writable, as the book's arrays are


def test_load_mnist_uses_mnist_infer_home(book_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    directory, _, _ = book_dir
    monkeypatch.setenv("MNIST_INFER_HOME", str(directory))
    (_, _), (x_test, _) = load_mnist()
    assert x_test.shape == (10_000, 784)


def test_a_split_unpacks_like_the_books_pairs(tmp_path: Path) -> None:
    images, labels = synthetic_split(tmp_path, "train", 7)
    x, t = load_split("train", tmp_path)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(t, labels)
    dataset = load_split("train", tmp_path)
    assert len(dataset) == 7 and dataset.split == "train"  # still a Dataset with its length and names


def test_is_mnist_knows_the_official_files_gzipped_or_not(tmp_path: Path) -> None:
    from mnist_infer.data.mnist import is_mnist

    name = "t10k-labels-idx1-ubyte.gz"
    official = packaged(name)
    assert is_mnist(official, name)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(gzip.decompress(official.read_bytes()))
    assert is_mnist(tmp_path / "t10k-labels-idx1-ubyte", name)
    assert not is_mnist(tmp_path / "t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz")
    other = tmp_path / "other"
    other.mkdir()
    synthetic_split(other, "t10k", 10_000, gz=False)  # other labels of the same size (Fashion-MNIST's names are these)
    assert (other / "t10k-labels-idx1-ubyte").stat().st_size == (tmp_path / "t10k-labels-idx1-ubyte").stat().st_size
    assert not is_mnist(other / "t10k-labels-idx1-ubyte", name)
    assert not is_mnist(tmp_path / "absent", name)
