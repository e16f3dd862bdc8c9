"""`mnist-infer train`: it learns, repeats itself, saves weights the other commands use, and stops cleanly.

The tests train on the first part of the packaged test set and test on the rest (written as the train and test splits
of a temporary data directory), so that they need nothing beside the repository and run in seconds; training on
MNIST's 60,000 training images is measured in benchmarks/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import ROOT, mnist_like_split, packaged, synthetic_split
from mnist_infer.cli import cli
from mnist_infer.data import Dataset, load_split
from mnist_infer.errors import MnistInferError
from mnist_infer.training.loop import TrainingConfig, train
from mnist_infer.training.optimizers import OPTIMIZERS
from mnist_infer.weights import load_network, read_weights

TRAIN_IMAGES = 5000


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory: train = the first 5,000 MNIST test images, test = the other 5,000 (both real digits)."""
    directory = tmp_path_factory.mktemp("halves")
    mnist_like_split(directory, "train", 0, TRAIN_IMAGES)
    mnist_like_split(directory, "t10k", TRAIN_IMAGES, 10_000 - TRAIN_IMAGES)
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


def test_train_into_a_pipe_closed_early_still_saves_and_exits_0(halves: Path, tmp_path: Path) -> None:
    """`mnist-infer train … | head -1`: the lines stop, the training and the saving go on, and the exit says so,
    without Python's "Exception ignored … BrokenPipeError" at exit (and its status 120)."""
    out = tmp_path / "piped.npz"
    command = [
        sys.executable,
        "-m",
        "mnist_infer",
        "train",
        "--data-dir",
        str(halves),
        "--epochs",
        "4",
        "--out",
        str(out),
    ]  # fmt: skip  (5,000 images: each epoch's line comes well after the first line is read)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # as a user's shell
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout.readline().startswith(b"Training ")
    process.stdout.close()  # what head does after its first line
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0 and b"Error" not in stderr and b"Exception" not in stderr, stderr
    assert load_network(out).architecture.summary() == "784-50-100-10 sigmoid"


def test_saved_weights_evaluate_as_they_trained(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.npz"
    report = run_train(runner, halves, "--epochs", "2", "--seed", "5", "--out", str(out))
    assert report["training"]["augment"] is False  # mlp's default: the digits as they are
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
    metadata = read_weights(out).metadata
    assert metadata["sizes"] == [784, 50, 100, 10] and metadata["activation"] == "sigmoid"
    assert metadata["architecture"]["layers"][1] == {"type": "sigmoid"}
    assert metadata["seed"] == 5 and metadata["epochs"] == 2 and metadata["tool"].startswith("mnist-infer ")


def test_a_relu_network_stays_relu_everywhere(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "relu.npz"
    report = run_train(
        runner, halves, "--activation", "relu", "--hidden", "30", "40", "--epochs", "1", "--out", str(out)
    )
    network = load_network(out)
    assert network.architecture.summary() == "784-30-40-10 relu"
    test = load_split("test", halves)
    images = test.images.reshape(len(test), -1) / np.float32(255)
    assert np.mean(network.predict(images) == test.labels) == report["accuracy"]["test"]
    predicted = runner.invoke(cli, ["predict", "0", "1", "--data-dir", str(halves), "--weights", str(out), "--json"])
    assert [p["prediction"] for p in json.loads(predicted.stdout)["predictions"]] == list(network.predict(images[:2]))


def test_evaluate_compares_the_book_weights_and_mine(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.npz"
    run_train(runner, halves, "--epochs", "1", "--out", str(out))
    book = packaged("sample_weight.pkl")
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
    metadata = read_weights(out).metadata
    assert metadata["training"]["interrupted"] and metadata["epochs"] >= 1
    assert load_network(out).architecture.summary() == "784-50-100-10 sigmoid"
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
        (["--hidden", "50", "\u00b2"], "Invalid value for '--hidden'"),  # a digit to isdigit(), not to int()
        (["--hidden", "9" * 5000], "Invalid value for '--hidden'"),  # more digits than int() takes
        (["--hidden", "50", "x"], "Got unexpected extra argument"),
        (["--dropout", "1"], "Invalid value for '--dropout'"),
        (["--model", "lenet"], "Invalid value for '--model'"),
        (["--limit", "5:2"], "Invalid value for '--limit'"),
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
        str(tmp_path / "file" / "w.npz"): "is a file, not a directory",
    }
    for out, words in cases.items():
        result = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", out])
        assert result.exit_code == 1 and result.output.startswith("Error: ") and words in result.output, out
        assert "epoch" not in result.output
    a_directory = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", str(tmp_path)])
    assert a_directory.exit_code == 2 and "is a directory" in a_directory.output  # as every file option says it
    result = runner.invoke(
        cli, ["train", "--data-dir", str(halves), "--validation", "5000", "--out", str(tmp_path / "w.npz")]
    )
    assert result.exit_code == 1 and "holds out all 5,000 training images" in result.output


def test_the_plots_title_is_whole_and_one_epoch_is_one_tick(runner, halves: Path, tmp_path: Path, monkeypatch) -> None:
    """A drawn seed, validation and weight decay make a title wider than the figure: it wraps, never cut off."""
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        saved = real(self, *args, **kwargs)  # drawn: the title's extent is known
        box = self._suptitle.get_window_extent()
        ticks = [tick.get_text() for tick in self.axes[0].get_xticklabels()]
        seen.update(inside=bool(box.x0 >= 0 and box.x1 <= self.bbox.width), ticks=ticks)
        return saved

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    run_train(runner, halves, "--model", "simple-convnet", "--epochs", "1", "--limit", "300", "--validation", "100",
              "--weight-decay", "0.0001", "--seed", "4086389880", "--out", str(tmp_path / "w.npz"), "--plot",
              str(tmp_path / "c.png"))  # fmt: skip
    assert seen == {"inside": True, "ticks": ["1"]}


def test_one_epoch_and_one_step_are_said_in_the_singular(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    args = ["train", "--data-dir", str(halves), "--epochs", "1", "--limit", "50", "--seed", "1", "--out",
            str(tmp_path / "w.npz")]  # fmt: skip
    text = " ".join(runner.invoke(cli, args).stdout.split())
    assert "1 epoch; test" in text and "1 step is too few" in text, text


def test_plot_draws_the_learning_curves(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    from PIL import Image

    plot = tmp_path / "curves.png"
    report = run_train(runner, halves, "--epochs", "3", "--validation", "500", "--out", str(tmp_path / "w.npz"),
                       "--plot", str(plot))  # fmt: skip
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.width > image.height > 300
        pixels = np.asarray(image.convert("RGB"))
    curves = {(31, 119, 180), (255, 127, 14), (44, 160, 44)}  # train, validation, test
    for panel in (pixels[:, : pixels.shape[1] // 2], pixels[:, pixels.shape[1] // 2 :]):  # accuracy, then loss
        assert curves <= {tuple(colour) for colour in panel.reshape(-1, 3)}
    last = report["history"][-1]
    assert all(0 < last[key] < np.log(10) for key in ("loss", "validation_loss", "test_loss"))  # chance: ln 10


def test_gradient_check_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["train", "--gradient-check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] and report["max_relative_error"] < 1e-6 and len(report["checks"]) > 70
    table = runner.invoke(cli, ["train", "--gradient-check"])
    assert "Relu dx" in table.output and "backpropagation agrees" in table.output


def test_a_terminal_shows_the_epochs_as_they_end(halves: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["train", "--data-dir", str(halves), "--epochs", "2", "--seed", "9", "--out", str(tmp_path / "w.npz")]
    )
    lines = result.output.splitlines()
    assert (
        lines[0]
        == "Training 784-50-100-10 sigmoid, xavier init, adam lr 0.001, batch 100, 5,000 training images, seed 9"
    )
    assert lines[1] == "2 epochs; test: 5,000 images"
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
        ({"lr": -1.0}, "--lr -1.0 cannot work"),
        ({"lr": float("nan")}, "--lr nan cannot work"),
        ({"epochs": 0}, "--epochs 0 cannot work"),
        ({"hidden": (0, 100)}, "--hidden 0 100 cannot work"),
        ({"activation": "swish"}, "--activation swish cannot work"),
        ({"optimizer": "rmsprop"}, "--optimizer rmsprop"),
        ({"init": "zeros"}, "--init zeros"),
        ({"weight_decay": -1.0}, "--weight-decay -1.0 cannot work"),
        ({"validation": 300}, "holds out all 300 training images"),
        ({"hidden": (9000, 2)}, "whole number from 1 to 8192"),
        ({"hidden": (4100, 4100)}, "parameters, more than the 16,777,216"),
    ],
)
def test_the_library_refuses_settings_that_cannot_work(tmp_path: Path, changes: dict, words: str) -> None:
    synthetic_split(tmp_path, "train", 300, gz=False)
    with pytest.raises(MnistInferError, match=re.escape(words)):
        train(TrainingConfig(**changes), load_split("train", tmp_path))


def test_networks_of_any_depth_with_dropout_and_batch_normalization(runner: CliRunner, halves: Path, tmp_path) -> None:
    """Chapters 4–6: the two-layer net, a five-layer one with Batch Normalization and Dropout; each evaluates as it
    trained, its architecture in its file."""
    for name, args, summary in (
        ("two", ["--hidden", "50"], "784-50-10 sigmoid"),
        ("five", ["--hidden", "40", "40", "40", "40", "40", "--activation", "relu", "--batch-norm", "--dropout", "0.2"],
         "784-40-40-40-40-40-10 relu batch norm dropout 0.2"),
    ):  # fmt: skip
        out = tmp_path / f"{name}.npz"
        report = run_train(runner, halves, *args, "--epochs", "2", "--seed", "1", "--limit", "2000", "--out", str(out))
        assert load_network(out).architecture.summary() == summary and report["training"]["train_images"] == 2000
        evaluated = json.loads(runner.invoke(cli, ["evaluate", "--data-dir", str(halves), "--weights", str(out),
                                                   "--json"]).stdout)  # fmt: skip
        assert evaluated["accuracy"] == report["accuracy"]["test"] > 0.3  # 40 steps: far from chance (0.1)


def test_a_convolutional_network_trains_and_every_command_takes_it(runner: CliRunner, halves: Path, tmp_path) -> None:
    out = tmp_path / "cnn.npz"
    report = run_train(runner, halves, "--model", "simple-convnet", "--epochs", "1", "--limit", "1000", "--seed", "2",
                       "--out", str(out))  # fmt: skip
    assert report["model"] == "simple-convnet" and report["accuracy"]["test"] > 0.7
    assert report["training"]["schedule"] == "cosine" and report["training"]["init"] == "he"  # the CNNs' defaults
    assert report["training"]["augment"] is True  # without, SimpleConvNet ends below 0.990 for some seeds
    plain = run_train(runner, halves, "--model", "simple-convnet", "--no-augment", "--epochs", "1", "--limit", "100",
                      "--out", str(tmp_path / "plain.npz"))  # fmt: skip
    assert plain["training"]["augment"] is False
    network = load_network(out)
    assert network.architecture.summary() == "SimpleConvNet" and network.architecture.shapes()["W1"] == (30, 1, 5, 5)
    evaluated = json.loads(runner.invoke(cli, ["evaluate", "--data-dir", str(halves), "--weights", str(out),
                                               "--json"]).stdout)  # fmt: skip
    assert evaluated["accuracy"] == report["accuracy"]["test"]


@pytest.mark.parametrize(("model", "augmented"), [("simple-convnet", True), ("mlp", False)])
def test_the_cnns_learn_from_augmented_digits_unless_told_not_to(halves: Path, model: str, augmented: bool) -> None:
    data = part(load_split("train", halves), 200)

    def loss(**changes) -> float:
        return train(TrainingConfig(model=model, epochs=1, seed=4, **changes), data).history[0].loss

    default = loss()
    assert (default == loss(augment=True)) is augmented and (default == loss(augment=False)) is not augmented


def test_threads_share_a_convolutional_batch_without_changing_what_it_learns(halves: Path) -> None:
    # One step over 300 images: the same loss, the same update.
    config = TrainingConfig(model="simple-convnet", epochs=1, seed=3, weight_decay=0.01, batch_size=300, augment=False)
    data = part(load_split("train", halves), 300)
    alone, shared = (train(config, data, workers=workers) for workers in (1, 3))
    assert alone.history[0].loss == pytest.approx(shared.history[0].loss, rel=1e-4)
    for name, array in alone.network.params.items():
        np.testing.assert_allclose(shared.network.params[name], array, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("model", ["simple-convnet", "deep-convnet"])
def test_a_seed_repeats_a_convolutional_run_bit_for_bit_on_threads(halves: Path, model: str) -> None:
    # The threads' shares of a batch and each replica's Dropout masks come from the seed: nothing from the schedule.
    data = part(load_split("train", halves), 200)
    runs = [train(TrainingConfig(model=model, epochs=1, seed=seed, augment=True, batch_size=50), data, workers=2)
            for seed in (7, 7, 8)]  # fmt: skip
    for name, array in runs[0].network.params.items():
        assert np.array_equal(runs[1].network.params[name], array), name
    assert not np.array_equal(runs[2].network.params["W1"], runs[0].network.params["W1"])


def test_weights_evaluated_on_other_data_than_they_were_trained_on_get_a_warning(
    runner: CliRunner, halves: Path, tmp_path: Path
) -> None:
    other = tmp_path / "fashion"  # another data set with MNIST's file names
    other.mkdir()
    synthetic_split(other, "train", 300, seed=1)
    synthetic_split(other, "t10k", 100, seed=2)
    out = tmp_path / "fashion.npz"
    run_train(runner, other, "--epochs", "1", "--out", str(out))
    assert read_weights(out).metadata["training"]["data_set"] == "fashion"
    warning = "Warning: fashion.npz was trained on fashion, and these test images are not its test split"
    on_mnist = runner.invoke(cli, ["evaluate", "--weights", str(out), "--data-dir", str(halves), "--json"])
    assert on_mnist.exit_code == 0 and on_mnist.stderr.startswith(warning) and json.loads(on_mnist.stdout)
    for data, split in ((other, "test"), (other, "train")):  # its own data, either split: nothing to say
        result = runner.invoke(cli, ["evaluate", "--weights", str(out), "--data-dir", str(data), "--split", split])
        assert result.exit_code == 0 and "Warning" not in result.stderr
    mnist = tmp_path / "mnist.npz"  # MNIST's own weights are named so, and the book's files record nothing
    run_train(runner, halves, "--epochs", "1", "--limit", "300", "--out", str(mnist))
    result = runner.invoke(cli, ["evaluate", "--weights", str(mnist), "--data-dir", str(other)])
    assert "Warning: mnist.npz was trained on halves" in result.stderr
    assert "Warning" not in runner.invoke(cli, ["evaluate", "--data-dir", str(other)]).stderr


def test_training_on_part_of_a_split(halves: Path) -> None:
    result = train(TrainingConfig(epochs=1, seed=0), load_split("train", halves).part(100, 400))
    assert result.train_images == 300 and result.history[0].batches == 3


def test_outputs_that_could_not_be_written_are_refused_before_training(runner: CliRunner, halves: Path,
                                                                         tmp_path: Path) -> None:  # fmt: skip
    import os

    (tmp_path / "target").write_bytes(b"mine")
    (tmp_path / "link.npz").symlink_to(tmp_path / "target")
    (tmp_path / "dangling.npz").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo.npz")
    for out in ("link.npz", "dangling.npz", "fifo.npz", os.devnull):
        result = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", str(tmp_path / out)])
        assert result.exit_code == 1 and "refusing to write over it" in result.output and "epoch" not in result.output
    result = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", str(tmp_path / "mine.pkl")])
    assert result.exit_code == 1 and "weights are saved as .npz; name the file mine.npz" in result.output
    assert not (tmp_path / "mine.pkl").exists()
    (tmp_path / "sub").mkdir()
    (tmp_path / "also").symlink_to(tmp_path / "sub")
    same = tmp_path / "sub" / "same.npz"
    for plot in (same, tmp_path / "sub" / ".." / "sub" / "same.npz", tmp_path / "also" / "same.npz"):  # three names
        result = runner.invoke(cli, ["train", "--data-dir", str(halves), "--out", str(same), "--plot", str(plot)])
        assert result.exit_code == 2 and "unknown picture format '.npz'" in result.output, plot  # a plot is a .png
        assert " ".join(result.output.split()).endswith("name the file same.png"), result.output
    assert (tmp_path / "target").read_bytes() == b"mine" and not same.exists()


def test_weights_too_large_to_use_are_not_saved(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.npz"
    args = ["train", "--data-dir", str(halves), "--limit", "500", "--epochs", "1", "--lr", "1e30", "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1 and result.output.count("Error: ") == 1 and "--lr" in result.output
    assert not out.exists()


def test_training_that_ends_at_chance_level_says_so(runner: CliRunner, halves: Path, tmp_path: Path) -> None:
    args = ["train", "--data-dir", str(halves), "--epochs", "2", "--optimizer", "sgd", "--lr", "100", "--seed", "0",
            "--out", str(tmp_path / "w.npz")]  # fmt: skip
    result = runner.invoke(cli, args)  # 100 steps; the loss far above ln 10: it diverged
    assert result.exit_code == 0 and "the training diverged" in result.output and "try --lr 0.1" in result.output
    few = runner.invoke(cli, [*args[:-2], "--lr", "0.001", "--limit", "200", "--epochs", "1", *args[-2:]])
    assert few.exit_code == 0 and "chance level (1 in 10): 2 steps are too few" in few.output  # not the rate's fault
    assert "--lr" not in few.output


@pytest.mark.slow
def test_a_huge_loss_keeps_to_its_column(halves: Path, tmp_path: Path) -> None:
    """A learning rate of 1e9 leaves the loss finite but huge: it is printed in its own column, not run into the
    epoch's (in a pipe, as on a terminal the same line is drawn)."""
    command = [sys.executable, "-m", "mnist_infer", "train", "--data-dir", str(halves), "--epochs", "1", "--lr", "1e9"]
    result = subprocess.run([*command, "--seed", "1", "--out", str(tmp_path / "w.npz")], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    epoch = lines[next(i for i, line in enumerate(lines) if line.split()[:2] == ["epoch", "loss"]) + 1].split()
    assert len(epoch) == 6 and epoch[0] == "1" and float(epoch[1]) > 1e6, result.stdout


def _train(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mnist_infer", "train", "--data-dir", str(data), "--seed", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_training_never_saves_weights_the_other_commands_refuse(halves: Path, tmp_path: Path, optimizer: str) -> None:
    """Learning rates of 1e9 and 1e30 keep the loss finite for some networks: whatever the outcome, weights that are
    saved load in evaluate, and weights that are not end in one Error: line naming the option to change."""
    for activation in ("sigmoid", "relu"):
        for lr in ("1e9", "1e30"):
            out = tmp_path / f"{activation}-{lr}.npz"
            trained = _train(halves, "--epochs", "1", "--optimizer", optimizer, "--activation", activation,
                             "--lr", lr, "--out", str(out))  # fmt: skip
            if trained.returncode == 0:
                command = [sys.executable, "-m", "mnist_infer", "evaluate", "--data-dir", str(halves), "--weights"]
                evaluated = subprocess.run([*command, str(out), "--json"], capture_output=True, text=True)
                assert evaluated.returncode == 0, (activation, lr, evaluated.stderr)
            else:
                assert trained.returncode == 1 and trained.stderr.count("Error: ") == 1, trained.stderr
                assert "--lr" in trained.stderr and not out.exists(), (activation, lr, trained.stderr)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--hidden", "9000", "2"], "--hidden 9000 2"),  # more units than the loaders take
        (["--hidden", "4100", "4100"], "--hidden 4100 4100"),  # more parameters
        (["--init", "1e30"], "--init 1e+30"),  # initial weights the loaders refuse
        (["--epochs", "5000"], "--epochs 5,000"),  # a history too long for the file's metadata
        (["--weight-decay", "1e30"], "--weight-decay 1e+30"),  # not the learning rate's fault
    ],
)
def test_settings_that_make_unusable_weights_are_named_before_an_epoch_ends(
    halves: Path, tmp_path: Path, args: list[str], option: str
) -> None:
    out = tmp_path / "w.npz"
    try:
        trained = _train(halves, *args, "--out", str(out), timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{args}: trained on instead of refusing")
    assert trained.returncode == 1 and trained.stderr.count("Error: ") == 1 and option in trained.stderr, trained
    assert "--lr" not in trained.stderr and not out.exists()
    assert not re.search(r"^ +1 ", trained.stdout, re.MULTILINE), trained.stdout  # no epoch ended


@pytest.mark.slow
def test_a_closed_pipe_stops_the_progress_not_the_training(halves: Path, tmp_path: Path) -> None:
    """`mnist-infer train … | head -2`: the weights are the product, the lines on stdout are not."""
    out = tmp_path / "w.npz"
    command = [sys.executable, "-m", "mnist_infer", "train", "--data-dir", str(halves), "--epochs", "2"]
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(2):
        process.stdout.readline()
    process.stdout.close()  # as head does once it has its lines
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0 and "Traceback" not in stderr, stderr
    assert read_weights(out).metadata["epochs"] == 2


@pytest.mark.slow
def test_a_second_ctrl_c_while_saving_keeps_the_weights(tmp_path: Path) -> None:
    """Ctrl-C stops training after the batch; pressed again while the weights are saved, it is ignored: a network
    of 16 million parameters takes seconds to save, and its run is not thrown away."""
    mnist_like_split(tmp_path, "train", 0, 200)
    mnist_like_split(tmp_path, "t10k", 200, 10)
    out = tmp_path / "big.npz"
    command = [sys.executable, "-m", "mnist_infer", "train", "--data-dir", str(tmp_path), "--hidden", "4096", "3200"]
    process = subprocess.Popen([*command, "--epochs", "50", "--out", str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    while not process.stdout.readline().startswith("      1 "):  # the first epoch is done
        pass
    process.send_signal(signal.SIGINT)
    time.sleep(1.5)  # the batch in progress ends, then the weights are saved (deflating 64 MB takes seconds)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert load_network(out).architecture.summary() == "784-4096-3200-10 sigmoid"
    assert not list(tmp_path.glob("*.tmp"))  # nor a temporary file left behind
