"""Golden tests on the reference files in ../shared: the figures of ../shared/README.md."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np

from conftest import BOOK_CORRECT, FIRST_TEST_LABELS, FIRST_TEST_PREDICTIONS, TEST_TOTAL, shared_path
from mnist_infer.catalog import FILES
from mnist_infer.evaluation import evaluate
from mnist_infer.idx import read_images, read_labels
from mnist_infer.weights import load_network


def test_test_images_and_labels(data_dir) -> None:
    images = read_images(data_dir / "t10k-images-idx3-ubyte.gz")
    labels = read_labels(data_dir / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (TEST_TOTAL, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (TEST_TOTAL,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == FIRST_TEST_LABELS
    # The parsed bytes are the published content, header excluded.
    expected = FILES["t10k-images-idx3-ubyte.gz"].content_sha256
    raw = gzip.decompress((data_dir / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == expected
    assert images.tobytes() == raw[16:]


def test_train_labels() -> None:
    labels = read_labels(shared_path("mnist/train-labels-idx1-ubyte.gz"))
    assert labels.shape == (60_000,)
    assert labels[0] == 5  # the book's x_train[0] is a 5
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_book_weights_classify_9352_of_10000(data_dir) -> None:
    from mnist_infer.data import load_split

    network = load_network(data_dir / "sample_weight.pkl")
    for batch_size in (1, 100, 1000, 10_000):
        result = evaluate(network, load_split("test", data_dir), batch_size=batch_size)
        assert (result.correct, result.total) == (BOOK_CORRECT, TEST_TOTAL)
        assert result.accuracy == 0.9352
        assert result.predictions[:10].tolist() == FIRST_TEST_PREDICTIONS
