"""Golden tests on the package's own copies of the book's files: the figures of ../shared/README.md. Only the train
labels, which the package does not ship, are read from ../shared."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from conftest import (
    BOOK_CORRECT,
    CNN_FIRST_PREDICTIONS,
    FIRST_TEST_LABELS,
    FIRST_TEST_PREDICTIONS,
    TEST_TOTAL,
    packaged,
    shared_path,
)
from mnist_infer.catalog import FILES
from mnist_infer.data import load_split
from mnist_infer.data.idx import read_images, read_labels
from mnist_infer.inference import evaluate
from mnist_infer.weights import identify, load_network, resolve


def test_test_images_and_labels() -> None:
    images = read_images(packaged("t10k-images-idx3-ubyte.gz"))
    labels = read_labels(packaged("t10k-labels-idx1-ubyte.gz"))
    assert images.shape == (TEST_TOTAL, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (TEST_TOTAL,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == FIRST_TEST_LABELS
    # The parsed bytes are the published content, header excluded.
    expected = FILES["t10k-images-idx3-ubyte.gz"].content_sha256
    raw = gzip.decompress(packaged("t10k-images-idx3-ubyte.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == expected
    assert images.tobytes() == raw[16:]


def test_train_labels() -> None:
    labels = read_labels(shared_path("mnist/train-labels-idx1-ubyte.gz"))
    assert labels.shape == (60_000,)
    assert labels[0] == 5  # the book's x_train[0] is a 5
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.mark.parametrize("batch_size", [1, 100, 1000, 10_000])
def test_book_weights_classify_9352_of_10000(batch_size: int) -> None:
    weights = packaged("sample_weight.pkl")
    assert resolve(None) == weights  # by default the book's sample_weight.pkl: here, the package's own copy
    network = load_network()
    assert network.architecture.summary() == "784-50-100-10 sigmoid"
    result = evaluate(network, load_split("test"), weights=weights, batch_size=batch_size, known=identify(weights))
    assert result.data[0] == packaged("t10k-images-idx3-ubyte.gz")
    assert (result.correct, result.total) == (BOOK_CORRECT, TEST_TOTAL)
    assert result.accuracy == 0.9352 and result.reproduces is True
    assert result.labels[:10].tolist() == FIRST_TEST_LABELS
    assert result.predictions[:10].tolist() == FIRST_TEST_PREDICTIONS


def test_book_deep_convnet_first_predictions() -> None:
    weights = packaged("deep_convnet_params.pkl")
    assert resolve("deep_convnet_params.pkl") == weights
    network = load_network("deep_convnet_params.pkl")
    result = evaluate(network, load_split("test"), weights=weights, limit=10)
    assert result.labels.tolist() == FIRST_TEST_LABELS and result.predictions.tolist() == CNN_FIRST_PREDICTIONS


@pytest.mark.slow
def test_book_deep_convnet_classifies_9935_of_10000() -> None:
    weights = packaged("deep_convnet_params.pkl")
    known = identify(weights)
    assert known is not None and known.reupload is None and known.test_correct == 9935  # the 2016 original
    result = evaluate(load_network(weights), load_split("test"), weights=weights, known=known)
    assert (result.correct, result.total) == (9935, TEST_TOTAL) and result.reproduces is True
    assert result.predictions[:10].tolist() == CNN_FIRST_PREDICTIONS
