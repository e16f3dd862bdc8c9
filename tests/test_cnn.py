"""The book's networks of chapters 3, 7 and 8, both vintages, against the book's own code on all 10,000 test images.

``tests/reference/NAME.npz`` holds what the book's code (``ch03/neuralnet_mnist.py``, ``ch07/simple_convnet.py``,
``ch08/deep_convnet.py``, run by ``benchmarks/book_reference.py``) answers for every test image: its predictions, and
its softmax probabilities to 1/65535. Ours must predict the same digit for every image, with probabilities within 1e-4.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import CNN_FIRST_PREDICTIONS, FIRST_TEST_PREDICTIONS, packaged, shared_path
from mnist_infer.cli import cli
from mnist_infer.data import load_split
from mnist_infer.inference import classify_images
from mnist_infer.weights import identify, load_network

REFERENCE = Path(__file__).parent / "reference"
#: reference name, where the file is (packaged, or in ../shared), the book's figure, its first ten predictions
BOOK_FILES = [
    ("sample_weight", "sample_weight.pkl", 9352, FIRST_TEST_PREDICTIONS),
    ("deep_convnet_params_2016", "deep_convnet_params.pkl", 9935, CNN_FIRST_PREDICTIONS),
    ("params_2016", "weights/params.pkl", 9890, CNN_FIRST_PREDICTIONS),
    ("params_2022", "weights/reupload-2022/params.pkl", 9600, FIRST_TEST_PREDICTIONS),
    ("deep_convnet_params_2022", "weights/reupload-2022/deep_convnet_params.pkl", 9797, None),
]


def locate(where: str) -> Path:
    return shared_path(where) if "/" in where else packaged(where)


@pytest.mark.parametrize(("name", "where", "correct", "first"), BOOK_FILES, ids=[f[0] for f in BOOK_FILES])
def test_every_answer_is_the_books(name: str, where: str, correct: int, first: list[int] | None) -> None:
    reference = np.load(REFERENCE / f"{name}.npz")
    images, labels = load_split("test")
    predictions, probabilities = classify_images(load_network(locate(where)), images)
    np.testing.assert_array_equal(predictions, reference["predictions"])
    assert np.abs(probabilities - reference["probabilities"] / 65535).max() < 1e-4 + 1 / 65535
    assert int(np.count_nonzero(predictions == labels)) == correct
    if first is not None:
        assert predictions[:10].tolist() == first


def test_without_the_books_test_time_dropout_scaling_answers_differ() -> None:
    """Reproduce the book's non-inverted Dropout: without its 0.5 at test time, answers and probabilities differ."""
    from mnist_infer.model.layers import Dropout

    images, _ = load_split("test")
    network = load_network("deep_convnet_params.pkl")
    reference = np.load(REFERENCE / "deep_convnet_params_2016.npz")
    original = Dropout.forward
    try:
        Dropout.forward = lambda self, x, mode="infer": x  # inverted dropout's test time: the identity
        predictions, probabilities = classify_images(network, images)
    finally:
        Dropout.forward = original
    assert np.count_nonzero(predictions != reference["predictions"]) == 6
    assert np.abs(probabilities - reference["probabilities"] / 65535).max() > 0.01


@pytest.mark.parametrize(("where", "chapter", "year"), [
    ("sample_weight.pkl", 3, None), ("deep_convnet_params.pkl", 8, None), ("weights/params.pkl", 7, None),
    ("weights/reupload-2022/params.pkl", 7, 2022), ("weights/reupload-2022/deep_convnet_params.pkl", 8, 2022),
])  # fmt: skip
def test_the_book_files_are_known_by_checksum(where: str, chapter: int, year: int | None) -> None:
    known = identify(locate(where))
    assert known is not None and (known.chapter, known.reupload) == (chapter, year)


def test_a_re_upload_is_named_as_such(runner: CliRunner, tmp_path: Path) -> None:
    reupload = shared_path("weights/reupload-2022/deep_convnet_params.pkl")
    result = runner.invoke(cli, ["evaluate", "--weights", str(reupload), "--limit", "10"])
    assert (
        result.exit_code == 0 and "2022 re-upload" in result.output and "2016 original scores 0.9935" in result.output
    )


def test_chapters_3_7_and_8_compared(runner: CliRunner) -> None:
    params = shared_path("weights/params.pkl")
    args = ["--weights", "sample_weight.pkl", "--weights", str(params), "--weights", "deep_convnet_params.pkl"]
    reports = json.loads(runner.invoke(cli, ["evaluate", *args, "--json"]).stdout)
    assert [r["correct"] for r in reports] == [9352, 9890, 9935]
    assert [r["architecture"] for r in reports] == ["784-50-100-10 sigmoid", "SimpleConvNet", "DeepConvNet"]
    text = runner.invoke(cli, ["evaluate", *args]).stdout
    assert "Images on which two of them disagree" in text and text.count("— reproduced") == 3
    alone = runner.invoke(cli, ["evaluate", "--weights", "deep_convnet_params.pkl", "--limit", "100"]).stdout
    assert "images/s (batch size 32)" in alone  # the batches that ran: a CNN's stay in the cache, whatever was asked
