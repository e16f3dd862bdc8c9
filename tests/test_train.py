"""`mnist-infer train`: it learns, repeats itself, saves weights the other commands use, and stops cleanly.

MNIST's training images are not in ../shared, so the tests train on the first part of the official test set
and test on the rest (written as the train and test splits of a temporary data directory).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import ROOT, shared_path, synthetic_split
from mnist_infer.cli import cli
from mnist_infer.data import Dataset, load_split
from mnist_infer.errors import MnistInferError
from mnist_infer.idx import write_idx
from mnist_infer.optimizers import OPTIMIZERS
from mnist_infer.training import TrainingConfig, train
from mnist_infer.weights import load_network, read_weights_and_metadata

TRAIN_IMAGES = 5000


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory: train = the first 5,000 MNIST test images, test = the other 5,000 (both real digits)."""
    source = tmp_path_factory.mktemp("shared")
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (source / name).symlink_to(shared_path(f"mnist/{name}"))
    images, labels = load_split("test", source)
    directory = tmp_path_factory.mktemp("halves")
    for prefix, part in (("train", slice(None, TRAIN_IMAGES)), ("t10k", slice(TRAIN_IMAGES, None))):
        write_idx(directory / f"{prefix}-images-idx3-ubyte", np.array(images[part]))
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", np.array(labels[part]))
    return directory


def run_train(runner: CliRunner, data: Path, *args: str) -> dict:
    result = runner.invoke(cli, ["train", "--data-dir", str(data), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def part(dataset: Dataset, count: int) -> Dataset:
    return Dataset(
        dataset.split, dataset.images[:count], dataset.labels[:count], dataset.images_path, dataset.labels_path
    )


def test_defaults_learn_digits_they_never_saw(halves: Path) -> None:
    result = train(TrainingConfig(epochs=10, seed=0), load_split("train", halves), load_split("test", halves))
    accuracies = [record.test_accuracy for record in result.history]
    assert accuracies[-1] > 0.88  # 5,000 training images and 10 epochs (0.92 after 30)
    assert accuracies[-1] > accuracies[0] + 0.2
    assert result.history[-1].loss < result.history[0].loss / 2
    assert result.kept is result.history[-1] and not result.interrupted


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(halves: Path, name: str) -> None:
    result = train(
        TrainingConfig(optimizer=name, epochs=2, seed=1, activation="relu"), part(load_split("train", halves), 2000)
    )
    first, second = (record.loss for record in result.history)
    assert second < first < 2.5


def test_the_same_seed_repeats_bit_for_bit(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        report = run_train(
            runner, halves, "--epochs", "1", "--augment", "--seed", seed, "--out", str(tmp_path / f"{name}.npz")
        )
        runs[name] = report, (tmp_path / f"{name}.npz").read_bytes()
    assert runs["a"][1] == runs["b"][1]  # the same weights, metadata and archive, byte for byte
    assert runs["a"][0]["history"][0]["loss"] == runs["b"][0]["history"][0]["loss"]
    assert runs["a"][1] != runs["c"][1]


def test_saved_weights_evaluate_as_they_trained(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.npz"
    report = run_train(runner, halves, "--epochs", "2", "--seed", "5", "--out", str(out))
    assert set(report["history"][0]) >= {
        "epoch",
        "loss",
        "train_accuracy",
        "validation_accuracy",
        "test_accuracy",
        "seconds",
    }
    trained = report["history"][-1]["test_accuracy"]
    result = runner.invoke(cli, ["evaluate", "--data-dir", str(halves), "--weights", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"] == trained == report["accuracy"]["test"]
    _, metadata = read_weights_and_metadata(out)
    assert metadata["sizes"] == [784, 50, 100, 10] and metadata["activation"] == "sigmoid"
    assert metadata["seed"] == 5 and metadata["epochs"] == 2 and metadata["tool"].startswith("mnist-infer ")


def test_a_relu_network_stays_relu_everywhere(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "relu.npz"
    report = run_train(
        runner, halves, "--activation", "relu", "--hidden", "30", "40", "--epochs", "1", "--out", str(out)
    )
    network = load_network(out)
    assert network.activation == "relu" and network.sizes == (784, 30, 40, 10)
    test = load_split("test", halves)
    images = test.images.reshape(len(test), -1) / np.float32(255)
    assert np.mean(network.predict(images) == test.labels) == report["accuracy"]["test"]
    predicted = runner.invoke(cli, ["predict", "0", "1", "--data-dir", str(halves), "--weights", str(out), "--json"])
    assert [p["prediction"] for p in json.loads(predicted.stdout)["predictions"]] == list(network.predict(images[:2]))


def test_evaluate_compares_the_book_weights_and_mine(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.npz"
    run_train(runner, halves, "--epochs", "1", "--out", str(out))
    book = shared_path("weights/sample_weight.pkl")
    result = runner.invoke(
        cli, ["evaluate", "--data-dir", str(halves), "--weights", str(book), "--weights", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [r["weights"] for r in reports] == [str(book), str(out)]
    assert reports[0]["accuracy"] > 0.9  # the book's weights on the last 5,000 test images


def test_validation_keeps_the_best_epoch(halves: Path) -> None:
    config = TrainingConfig(epochs=4, seed=2, validation=1000, optimizer="sgd", lr=3.0)  # a rate that wobbles
    result = train(config, load_split("train", halves))
    assert result.train_images == TRAIN_IMAGES - 1000
    best = max(record.validation_accuracy for record in result.history)
    assert result.kept.validation_accuracy == best and result.kept.test_accuracy is None


def test_stopping_after_a_batch_keeps_that_batch(halves: Path) -> None:
    asked = []
    result = train(
        TrainingConfig(epochs=5, seed=0),
        load_split("train", halves),
        should_stop=lambda: len(asked) > 70 or asked.append(1),
    )
    assert result.interrupted and len(result.history) == 2
    assert result.history[-1].interrupted and result.history[-1].batches == 22  # 50 in epoch 1, then 22
    assert result.kept is result.history[-1] and result.metadata()["training"]["interrupted"]


def test_a_keyboard_interrupt_in_mid_batch_discards_that_epoch(halves: Path) -> None:
    def interrupt(epoch: int, done: int, *_: float) -> None:
        if epoch == 2 and done == 10:
            raise KeyboardInterrupt

    result = train(TrainingConfig(epochs=5, seed=0), load_split("train", halves), on_batch=interrupt)
    assert result.interrupted and [r.epoch for r in result.history] == [1] and result.kept.epoch == 1


@pytest.mark.slow
def test_ctrl_c_saves_the_weights_and_exits_130(halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "stopped.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "mnist_infer", "train", "--data-dir", str(halves), "--epochs", "500", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    while not process.stdout.readline().startswith("      1 "):  # the first epoch is done
        pass
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("Interrupted in epoch ") and str(out) in stderr
    _, metadata = read_weights_and_metadata(out)
    assert metadata["training"]["interrupted"] and metadata["epochs"] >= 1
    assert load_network(out).sizes == (784, 50, 100, 10)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_no_test_split_still_trains(tmp_path: Path) -> None:
    synthetic_split(tmp_path, "train", 300, gz=False)
    result = CliRunner().invoke(
        cli, ["train", "--data-dir", str(tmp_path), "--epochs", "1", "--out", str(tmp_path / "w.npz")]
    )
    assert result.exit_code == 0, result.output
    assert "no test split" in result.output and (tmp_path / "w.npz").is_file()


def test_a_learning_rate_far_too_high_is_an_error_not_nan_weights(
    runner: CliRunner, halves: Path, tmp_path: Path
) -> None:
    out = tmp_path / "w.npz"
    result = runner.invoke(
        cli,
        [
            "train",
            "--data-dir",
            str(halves),
            "--activation",
            "relu",
            "--optimizer",
            "sgd",
            "--lr",
            "1e30",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1 and "Error: training diverged in epoch 1" in result.output and "--lr" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lr", "-1"], "Invalid value for '--lr'"),
        (["--lr", "0"], "Invalid value for '--lr'"),
        (["--epochs", "0"], "Invalid value for '--epochs'"),
        (["--hidden", "0", "100"], "Invalid value for '--hidden'"),
        (["--hidden", "50"], "Option '--hidden' requires 2 arguments"),
        (["--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["--weight-decay", "-0.1"], "Invalid value for '--weight-decay'"),
        (["--optimizer", "rmsprop"], "Invalid value for '--optimizer'"),
        ([], "Missing option '--out'"),
    ],
)
def test_bad_options_are_usage_errors(
    runner: CliRunner, halves: Path, tmp_path: Path, args: list[str], words: str
) -> None:
    out = [] if not args else ["--out", str(tmp_path / "w.npz")]
    result = runner.invoke(cli, ["train", "--data-dir", str(halves), *out, *args])
    assert result.exit_code == 2 and words in result.output


def test_unwritable_outputs_fail_before_training(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    cases = {
        str(tmp_path / "absent" / "w.npz"): "does not exist",
        str(tmp_path): "is a directory",
        str(tmp_path / "file" / "w.npz"): "does not exist",
    }
    for out, words in cases.items():
        result = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", out])
        assert result.exit_code == 1 and result.output.startswith("Error: ") and words in result.output, out
        assert "epoch" not in result.output
    result = runner.invoke(
        cli, ["train", "--data-dir", str(halves), "--validation", "5000", "--out", str(tmp_path / "w.npz")]
    )
    assert result.exit_code == 1 and "holds out all 5,000 training images" in result.output


def test_plot_draws_the_learning_curves(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    from PIL import Image

    plot = tmp_path / "curves.png"
    run_train(
        runner, halves, "--epochs", "3", "--validation", "500", "--out", str(tmp_path / "w.npz"), "--plot", str(plot)
    )
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.width > image.height > 300
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20)}
    assert {(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)} <= colours  # train, validation, test, loss


def test_gradient_check_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["train", "--gradient-check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] and report["max_relative_error"] < 1e-6 and len(report["checks"]) == 30
    table = runner.invoke(cli, ["train", "--gradient-check"])
    assert "Relu dx" in table.output and "backpropagation agrees" in table.output


def test_a_terminal_shows_the_epochs_as_they_end(halves: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["train", "--data-dir", str(halves), "--epochs", "2", "--seed", "9", "--out", str(tmp_path / "w.npz")]
    )
    lines = result.output.splitlines()
    assert lines[0].startswith(
        "Training 784-50-100-10 sigmoid, xavier init, adam lr 0.001, batch 100, 2 epochs, seed 9"
    )
    assert lines[2].split() == ["epoch", "loss", "train", "acc", "val", "acc", "test", "acc", "seconds"]
    assert [line.split()[0] for line in lines[3:5]] == ["1", "2"]
    assert lines[5].startswith(f"Saved {tmp_path / 'w.npz'}: the weights of epoch 2 (the latest), test accuracy 0.")


@pytest.mark.slow
def test_sixty_thousand_images_train_in_little_memory(tmp_path: Path) -> None:
    """The train split stays uint8 on disk; only a batch at a time is float (MNIST's size, random pixels)."""
    synthetic_split(tmp_path, "train", 60_000, gz=False)
    # The peak of the process's own memory (VmHWM): rusage's maxrss would count the forked copy of pytest too.
    code = (
        "import atexit, runpy, sys\n"
        "peak = lambda: [line for line in open('/proc/self/status') if line.startswith('VmHWM')]\n"
        "atexit.register(lambda: print(*peak(), file=sys.stderr))\n"
        "sys.argv = ['mnist-infer', *sys.argv[1:]]\n"
        "runpy.run_module('mnist_infer', run_name='__main__')\n"
    )
    command = [sys.executable, "-c", code, "train", "--data-dir", str(tmp_path), "--epochs", "1"]
    result = subprocess.run([*command, "--out", str(tmp_path / "w.npz")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    peak_kib = int(result.stderr.split("VmHWM:")[1].split()[0])
    assert peak_kib / 1024 < 250, f"peak {peak_kib / 1024:.0f} MiB"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lr": -1.0}, "lr -1.0: expected > 0"),
        ({"lr": float("nan")}, "lr nan: expected > 0"),
        ({"epochs": 0}, "epochs 0: expected at least 1"),
        ({"hidden": (0, 100)}, "hidden sizes (0, 100): expected two sizes >= 1"),
        ({"hidden": (50,)}, "hidden sizes (50,): expected two sizes >= 1"),
        ({"activation": "tanh"}, "activation 'tanh': expected sigmoid or relu"),
        ({"optimizer": "rmsprop"}, "optimizer 'rmsprop'"),
        ({"init": "zeros"}, "init 'zeros'"),
        ({"weight_decay": -1.0}, "weight decay: expected >= 0"),
        ({"validation": 300}, "holds out all 300 training images"),
    ],
)
def test_the_library_refuses_settings_that_cannot_work(tmp_path: Path, changes: dict, words: str) -> None:
    synthetic_split(tmp_path, "train", 300, gz=False)
    with pytest.raises(MnistInferError, match=re.escape(words)):
        train(TrainingConfig(**changes), load_split("train", tmp_path))
