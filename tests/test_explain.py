"""Looking inside a network (issue 24): a digit's forward pass layer by layer, what the first layer looks for, which
pixels decided (and a deletion test that they did), how sure it should be, how it bears perturbed digits, and the
average digit of each class. Everything runs on the package's own test split and weights."""

from __future__ import annotations

import json
import re
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import TEST_FILES, mnist_like_split, packaged
from mnist_infer.cli import cli
from mnist_infer.data import images_to_inputs, load_split
from mnist_infer.data.augment import PERTURBATIONS
from mnist_infer.inference import classify_images, deletion_test, predict_indices, robustness
from mnist_infer.model.network import Architecture, Network, init_params
from mnist_infer.serve.api import answer, load_model
from mnist_infer.weights import load_network


def test_the_input_gradient_is_the_numerical_one_through_every_layer_at_test_time() -> None:
    """Through convolution, pooling, flatten, affine, batch normalisation (running statistics) and dropout
    (scaled), the first layer included: backward equals central differences of Σ dout·scores."""
    layers = [
        {"type": "conv", "filters": 3, "size": 3, "stride": 1, "pad": 1},
        {"type": "relu"},
        {"type": "pool", "size": 2, "stride": 2, "pad": 0},
        {"type": "flatten"},
        {"type": "affine", "units": 6},
        {"type": "batchnorm"},
        {"type": "sigmoid"},
        {"type": "dropout", "ratio": 0.5},
        {"type": "affine", "units": 4},
    ]
    rng = np.random.default_rng(0)
    architecture = Architecture((1, 6, 6), tuple(layers))
    params = init_params(architecture, 0.5, rng, np.float64)
    params["running_mean1"][:], params["running_var1"][:] = rng.normal(size=6), rng.uniform(0.5, 2, 6)
    network = Network(architecture, params, np.float64)
    x, dout = rng.random((2, 1, 6, 6)), rng.normal(size=(2, 4))
    network.scores(x, mode="test")
    gradient = network.input_gradient(dout)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = [x.copy(), x.copy()]
        shifted[0][index] += 1e-6
        shifted[1][index] -= 1e-6
        up, down = (float(np.sum(dout * network.scores(s, mode="test"))) for s in shifted)
        numerical[index] = (up - down) / 2e-6
    assert gradient.shape == x.shape
    np.testing.assert_allclose(gradient, numerical, rtol=1e-5, atol=1e-8)


# --- explain: a digit layer by layer, the templates, which pixels decided --------------------------------------------


@pytest.fixture(scope="module")
def mine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A network of our own, trained in a second: `train --limit 500 --epochs 1` (relu, batch norm, dropout)."""
    directory = tmp_path_factory.mktemp("trained")
    mnist_like_split(directory, "train", 0, 500)
    for name in TEST_FILES:
        shutil.copyfile(packaged(name), directory / name)
    out = directory / "mine.npz"
    args = ["train", "--limit", "500", "--epochs", "1", "--activation", "relu", "--batch-norm", "--dropout", "0.2"]
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(directory), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out


def run_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_explain_shows_every_step_of_the_books_network_with_its_formula_shape_and_values() -> None:
    report = run_json("explain", "8")
    steps = {step["name"]: step for step in report["steps"]}
    assert list(steps) == ["x", "a1", "z1", "a2", "z2", "a3", "y"]
    assert steps["a1"]["formula"] == "a1 = x·W1 + b1  (W1: 784×50)" and steps["z2"]["formula"] == "z2 = sigmoid(a2)"
    assert steps["y"]["formula"] == "y = softmax(a3)" and steps["a2"]["shape"] == [100]
    network, (images, labels) = load_network(), load_split("test")
    trace: dict[str, np.ndarray] = {}
    probabilities = network.forward(images_to_inputs(images[8:9]), trace)[0]
    np.testing.assert_allclose(steps["z1"]["values"], trace["z1"][0], rtol=1e-6)
    np.testing.assert_allclose(steps["y"]["values"], probabilities, rtol=1e-6)
    assert (report["source"], report["label"], report["prediction"]) == ("test[8]", int(labels[8]), 6)
    text = CliRunner().invoke(cli, ["explain", "8"]).stdout
    for words in ("test[8]  prediction 6  label 5", "a2 = z1·W2 + b2", "6:6.72 4:3.38", "95.0%"):
        assert words in text


def test_explain_walks_a_cnn_through_its_feature_maps_pooling_and_test_time_dropout(tmp_path: Path) -> None:
    report = run_json("explain", "0", "--weights", "deep_convnet_params.pkl")
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["x"]["shape"] == [1, 28, 28] and steps["z1"]["shape"] == [16, 28, 28] and steps["p3"]["shape"] == [
        64, 4, 4]  # fmt: skip
    assert steps["a4"]["formula"] == "a4 = z3 ⊛ W4 + b4  (W4: 32×32×3×3, pad 2)"
    assert steps["p1"]["formula"] == "p1 = max 2×2 (z2)" and steps["d7"]["formula"] == "d7 = 0.5·z7"
    np.testing.assert_allclose(steps["d8"]["values"], 0.5 * np.array(steps["a8"]["values"]), rtol=1e-6)
    assert report["prediction"] == 7 and report["architecture"] == "DeepConvNet"
    figure = tmp_path / "pass.png"
    result = CliRunner().invoke(cli, ["explain", "0", "--weights", "deep_convnet_params.pkl", "--save", str(figure)])
    assert result.exit_code == 0 and "z1: maps" in result.stdout and "f = flatten(p3)" in result.stdout
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_explain_takes_your_picture_and_your_own_trained_network(mine: Path, tmp_path: Path) -> None:
    picture = tmp_path / "seven.png"
    Image.fromarray(255 - np.asarray(load_split("test").images[0])).save(picture)  # dark ink on white paper
    report = run_json("explain", "--image", str(picture), "--weights", str(mine))
    names = [step["name"] for step in report["steps"]]
    assert names == ["x", "a1", "n1", "z1", "d1", "a2", "n2", "z2", "d2", "a3", "y"] and report["label"] is None
    formulas = {step["name"]: step["formula"] for step in report["steps"]}
    assert formulas["n1"] == "n1 = gamma1·(a1 - μ1)/σ1 + beta1" and formulas["d2"] == "d2 = 0.8·z2"


def test_templates_are_the_columns_of_W1_or_the_first_filters(mine: Path, tmp_path: Path) -> None:
    book = run_json("explain", "--templates")
    W1 = load_network().params["W1"]
    assert np.array(book["templates"]).shape == (50, 28, 28) and book["layer"] == "W1"
    np.testing.assert_allclose(np.array(book["templates"])[7], W1[:, 7].reshape(28, 28), rtol=1e-6)
    cnn = run_json("explain", "--templates", "--weights", "deep_convnet_params.pkl")
    assert np.array(cnn["templates"]).shape == (16, 3, 3)
    assert np.array(run_json("explain", "--templates", "--weights", str(mine))["templates"]).shape == (50, 28, 28)
    figure = tmp_path / "templates.png"
    result = CliRunner().invoke(cli, ["explain", "--templates", "--save", str(figure)])
    assert result.exit_code == 0 and "What each of the 50 units" in result.stdout
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_why_is_input_times_the_gradient_of_the_top_score_minus_the_runner_ups(tmp_path: Path) -> None:
    report = run_json("explain", "8", "--why")
    assert (report["prediction"], report["versus"]) == (6, 4)
    network, images = load_network(), load_split("test").images
    x = images_to_inputs(images[8:9], np.float64)
    exact = Network(network.architecture, network.params, np.float64)
    numerical = np.zeros(784)
    for pixel in np.flatnonzero(x[0]):  # the map is zero where there is no ink
        shifted = [x.copy(), x.copy()]
        shifted[0][0, pixel] += 1e-6
        shifted[1][0, pixel] -= 1e-6
        up, down = (exact.scores(s)[0] @ np.eye(10)[6] - exact.scores(s)[0] @ np.eye(10)[4] for s in shifted)
        numerical[pixel] = x[0, pixel] * (up - down) / 2e-6
    np.testing.assert_allclose(np.array(report["saliency"]).ravel(), numerical, atol=1e-4)
    figure = tmp_path / "why.png"
    result = CliRunner().invoke(cli, ["explain", "8", "--why", "--save", str(figure)])
    assert result.exit_code == 0 and "Why 6 and not 4" in result.stdout and "ink for 4" in result.stdout
    assert figure.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("weights", ["sample_weight.pkl", "deep_convnet_params.pkl"])
def test_the_saliency_is_faithful_zeroing_its_50_pixels_beats_50_random_ink_pixels(weights: str) -> None:
    """Issue 24's deletion test: on 100 test digits, for at least 80 (the book's chapter 3 network: all 100)."""
    drops = deletion_test(load_network(weights), np.asarray(load_split("test").images[:100]))
    assert drops.shape == (2, 100) and int(np.sum(drops[0] > drops[1])) >= (
        100 if weights == "sample_weight.pkl" else 90
    )


@pytest.mark.parametrize(
    "args",
    [
        ["explain"],
        ["explain", "--templates", "3"],
        ["explain", "--templates", "--why"],
        ["explain", "1", "--image", "x.png"],
    ],
)
def test_explain_needs_a_digit_or_templates_but_not_both(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "give INDEX or --image FILE" in result.stderr


# --- how sure: abstaining below a confidence, "not sure" -------------------------------------------------------------


def test_evaluate_reject_gives_coverage_and_accuracy_when_the_network_may_abstain(tmp_path: Path) -> None:
    report = run_json("evaluate", "--reject", "0.9")
    _, probabilities = classify_images(load_network(), np.asarray(load_split("test").images))
    answered = probabilities.max(axis=1) >= 0.9
    assert report["answered"] == int(answered.sum()) == 7572 and report["coverage"] == 0.7572
    assert round(report["accuracy"], 4) == 0.9930 and report["threshold"] == 0.9
    curve = {point["threshold"]: point for point in report["curve"]}
    assert curve[0.0]["coverage"] == 1.0 and curve[0.0]["accuracy"] == 0.9352 and curve[0.99]["coverage"] == 0.2851
    bins = report["reliability"]
    assert sum(b["count"] for b in bins) == 10_000 and bins[-1]["low"] == 0.9 and bins[-1]["count"] == 7572
    figure = tmp_path / "reject.png"
    result = CliRunner().invoke(cli, ["evaluate", "--reject", "0.9", "--save", str(figure)])
    assert result.exit_code == 0 and figure.read_bytes().startswith(b"\x89PNG")
    assert re.search(r"sample_weight.pkl +0.9 +7,572 +0.7572 +0.9930\n", result.stdout)
    assert "Reliability of sample_weight.pkl" in result.stdout


def test_reject_compares_networks_and_takes_a_trained_one(mine: Path) -> None:
    reports = run_json("evaluate", "--reject", "0.5", "--limit", "500", "--weights", "deep_convnet_params.pkl",
                       "--weights", str(mine))  # fmt: skip
    assert [r["architecture"] for r in reports] == ["DeepConvNet", "784-50-100-10 relu batch norm dropout 0.2"]
    assert all(r["total"] == 500 and r["coverage"] == r["answered"] / 500 for r in reports)
    assert reports[0]["answered"] > 450 and reports[0]["accuracy"] > 0.99  # 1 epoch on 500 digits: rarely sure
    result = CliRunner().invoke(cli, ["evaluate", "--save", "curves.png"])
    assert result.exit_code == 2 and "--save draws" in result.stderr


def test_predict_says_not_sure_below_the_threshold_and_the_library_knows_it() -> None:
    result = CliRunner().invoke(cli, ["predict", "8", "--weights", "deep_convnet_params.pkl"])
    assert "test[8]  not sure: perhaps 5 (68.1%, below 90%)  label 5" in result.stdout
    assert "test[8]  prediction 5" in CliRunner().invoke(cli, ["predict", "8", "--weights", "deep_convnet_params.pkl",
                                                               "--reject", "0"]).stdout  # fmt: skip
    answers = run_json("predict", "8", "0", "--weights", "deep_convnet_params.pkl")["predictions"]
    assert [(a["prediction"], a["sure"]) for a in answers] == [(5, False), (7, True)]
    network, dataset = load_network("deep_convnet_params.pkl"), load_split("test")
    assert [p.sure for p in predict_indices(network, dataset, [0], threshold=0.9999)] == [False]
    model = load_model(packaged("deep_convnet_params.pkl"))
    assert answer(model, np.asarray(dataset.images[8]), "test[8]")["sure"] is False  # what the page receives


# --- how it bears changed digits -------------------------------------------------------------------------------------


def test_each_perturbation_does_what_it_says() -> None:
    digits = np.asarray(load_split("test").images[:50]).astype(np.float32) / 255
    rng = np.random.default_rng(0)
    rows, cols = np.indices((28, 28))

    def centres(x: np.ndarray) -> np.ndarray:
        mass = x.sum(axis=(1, 2))
        return np.stack([(x * rows).sum(axis=(1, 2)) / mass, (x * cols).sum(axis=(1, 2)) / mass], axis=1)

    def apply(name: str, strength: float) -> np.ndarray:
        return PERTURBATIONS[name][1](digits, strength, rng)

    moved = np.linalg.norm(centres(apply("shift", 2)) - centres(digits), axis=1)
    assert np.median(moved) == pytest.approx(2, abs=0.2)
    ink = digits.sum(axis=(1, 2))
    assert np.all(apply("thicken", 1).sum(axis=(1, 2)) > ink) and np.all(apply("thin", 0.5).sum(axis=(1, 2)) < ink)
    np.testing.assert_allclose(apply("blur", 1).sum(axis=(1, 2)), ink, rtol=0.01)  # the blur moves ink, keeps it
    assert np.median(apply("rotate", 30).sum(axis=(1, 2)) / ink) == pytest.approx(1, abs=0.05)
    scaled = apply("scale", 1.4).sum(axis=(1, 2)) / ink
    assert {bool(r > 1.4) for r in scaled} == {True, False}  # larger or smaller, each digit its own way
    noise = apply("noise", 0.1) - digits
    assert noise[digits == 0].std() == pytest.approx(0.1 * 0.58, rel=0.1)  # half of it clipped at 0 (σ·√(1/2 - 1/2π))
    assert all(len(levels) == 3 for levels, _ in PERTURBATIONS.values())


def test_robustness_compares_networks_on_the_same_changed_digits(mine: Path, tmp_path: Path) -> None:
    figure = tmp_path / "robustness.png"
    args = ["evaluate", "--robustness", "--limit", "100", "--weights", "sample_weight.pkl", "--weights", str(mine)]
    report = run_json(*args, "--save", str(figure))
    assert figure.read_bytes().startswith(b"\x89PNG") and (report["images"], report["seed"]) == (100, 0)
    assert [n["architecture"] for n in report["networks"]] == ["784-50-100-10 sigmoid",
                                                              "784-50-100-10 relu batch norm dropout 0.2"]  # fmt: skip
    changes = {(c["change"], c["strength"]): c["accuracy"] for c in report["changes"]}
    assert changes["none", 0][0] == run_json("evaluate", "--limit", "100")["accuracy"]
    assert list(dict.fromkeys(c["change"] for c in report["changes"])) == [
        "none", "shift", "rotate", "scale", "thicken", "thin", "blur", "noise"]  # fmt: skip
    for strongest in (("shift", 4), ("rotate", 45), ("scale", 1.7)):
        assert changes[strongest][0] < changes["none", 0][0] - 0.2
    assert run_json(*args)["changes"] == report["changes"]  # seeded
    text = CliRunner().invoke(cli, args).stdout
    assert re.search(r"rotated +45 degrees, either way +0\.\d{4} +0\.\d{4}\n", text)
    result = CliRunner().invoke(cli, ["evaluate", "--robustness", "--reject", "0.9"])
    assert result.exit_code == 2 and "do not go together" in result.stderr


@pytest.mark.slow
def test_robustness_of_the_books_network_on_the_10000_digits_takes_seconds_and_little_memory() -> None:
    network, (images, labels) = load_network(), load_split("test")
    tracemalloc.start()
    start = time.process_time()
    accuracy = robustness(network, images, labels)
    seconds, (_, peak) = time.process_time() - start, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert accuracy[0] == 0.9352 and len(accuracy) == 22 and seconds < 20 and peak < 64 << 20


# --- the data itself -------------------------------------------------------------------------------------------------


def test_show_mean_draws_the_average_digit_of_each_class_and_counts_them(mine: Path, tmp_path: Path) -> None:
    report = run_json("show", "--mean")
    assert report["counts"] == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009] and report["split"] == "test"
    images, labels = load_split("test")
    np.testing.assert_allclose(report["means"][3], np.asarray(images)[labels == 3].mean(axis=0), atol=5e-4)
    trained_on = run_json("show", "--mean", "--split", "train", "--data-dir", str(mine.parent))
    assert sum(trained_on["counts"]) == 500 and trained_on["split"] == "train"
    figure = tmp_path / "means.png"
    result = CliRunner().invoke(cli, ["show", "--mean", "--save", str(figure), "--scale", "2"])
    assert "1       1,135  11.35%" in result.stdout and "saved to" in result.stdout
    assert Image.open(figure).size == (10 * 28 * 2 + 9 * 2 * 2, 28 * 2)
    for args in (["show"], ["show", "3", "--mean"]):
        assert CliRunner().invoke(cli, args).exit_code == 2


def test_failures_are_one_line_and_come_before_any_work(tmp_path: Path) -> None:
    nowhere = tmp_path / "missing" / "figure.png"
    for args in (["explain", "8", "--save", str(nowhere)], ["evaluate", "--robustness", "--save", str(nowhere)],
                 ["explain", "--image", str(tmp_path / "absent.png")], ["explain", "10000"]):  # fmt: skip
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1 and result.stdout == "" and result.stderr.startswith("Error: "), args
        assert len(result.stderr.strip().splitlines()) == 1 and not nowhere.parent.exists()
