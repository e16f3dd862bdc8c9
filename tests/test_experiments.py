"""`mnist-infer experiment`: the book's conclusions of chapters 4–6 hold in the numbers each experiment returns.

Each runs with ``--quick`` on real digits without ../shared: the first 5,000 packaged test images written as a train
split, the other 5,000 as its test split. The defaults on MNIST's training split are timed in docs/experiments.md.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import mnist_like_split
from mnist_infer.cli import cli
from mnist_infer.training.experiments import Data, Experiment, Watch, run, smooth


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("experiments")
    mnist_like_split(directory, "train", 0, 5000)
    mnist_like_split(directory, "t10k", 5000, 5000)
    return directory


@functools.cache
def quick(directory: Path, name: str, seed: int = 0) -> Experiment:
    return run(name, Data(directory), seed, quick=True)


def test_the_numerical_gradient_agrees_with_backpropagation_and_is_orders_of_magnitude_slower(data: Path) -> None:
    result = quick(data, "numerical-gradient")
    assert result.summary["max_relative_error"] < 1e-6 and result.summary["ratio"] > 100  # orders of magnitude
    loss, test = result.series["loss"], result.series["test"]
    assert np.mean(loss[-50:]) < np.mean(loss[:50]) - 0.3 and test[-1] > test[0] + 0.2  # it learns (fig. 4-11, 4-12)
    assert abs(result.series["train"][-1] - test[-1]) < 0.05  # no overfitting: the two curves coincide


def test_sgd_loss_stays_above_the_other_three(data: Path) -> None:
    series = quick(data, "optimizers").series
    smoothed = {name: smooth(losses)[len(losses) // 10 :] for name, losses in series.items()}
    others = np.max([smoothed[name] for name in ("Momentum", "AdaGrad", "Adam")], axis=0)
    assert np.mean(smoothed["SGD"] > others) > 0.95 and smoothed["SGD"][-1] > 2 * others[-1]


def test_std_001_does_not_learn_where_xavier_and_he_do(data: Path) -> None:
    final = {name: smooth(losses)[-1] for name, losses in quick(data, "init").series.items()}
    assert final["std=0.01"] > 0.95 * np.log(10)  # the loss of a network that answers 1/10 for every digit
    assert final["Xavier"] < 1.5 and final["He"] < 1.5


def test_sigmoid_with_std_1_saturates_at_0_and_1_while_xavier_spreads(data: Path) -> None:
    series = quick(data, "activations").series
    for layer in range(5):
        ones, xavier, small = (np.array(series[f"sigmoid, {std}"][layer]) for std in ("std 1", "Xavier", "std 0.01"))
        assert (ones[:3].sum() + ones[-3:].sum()) / ones.sum() > 0.5  # below 0.1 or above 0.9
        assert (xavier[:3].sum() + xavier[-3:].sum()) / xavier.sum() < 0.1
        assert np.sum(xavier > xavier.sum() / 100) >= 8 > np.sum(small > small.sum() / 100)  # not piled up at 0.5
    relu_he = np.array(series["ReLU, He"])[:, 1:].sum(axis=1)
    assert relu_he.min() > 0.8 * relu_he.max()  # with He's weights, ReLU's activations keep their spread


def test_batch_normalization_learns_faster_at_most_scales(data: Path) -> None:
    series = quick(data, "batch-norm").series
    mean = {key: [np.mean([a or 0.0 for a in curve]) for curve in series[key]] for key in ("batch_norm", "without")}
    assert sum(b > w for b, w in zip(mean["batch_norm"], mean["without"], strict=True)) > len(series["scales"]) / 2
    assert series["without"][0][-1] is None  # std 1 without it: the loss overflowed, nothing learned from there


def test_without_regularisation_the_small_net_overfits_and_weight_decay_and_dropout_narrow_the_gap(data: Path) -> None:
    gap = {name: scores["train"][-1] - scores["test"][-1] for name, scores in quick(data, "overfit").series.items()}
    assert quick(data, "overfit").series["none"]["train"][-1] == 1.0 and gap["none"] > 0.2
    assert gap["weight decay"] < gap["none"] and gap["dropout"] < gap["none"]


def test_the_random_search_finds_a_region_of_good_learning_rates(data: Path) -> None:
    trials = quick(data, "hyperparameters").series["trials"]
    best = [trial["lr"] for trial in trials[:3]]
    assert max(best) / min(best) < 10 and min(best) > 1e-3  # one decade, at the top of the four searched
    assert trials[0]["validation"][-1] - trials[0]["validation"][0] > 0.15
    assert all(abs(t["validation"][-1] - t["validation"][0]) < 0.05 for t in trials if t["lr"] < 1e-4)  # flat


@pytest.mark.parametrize(("name", "at"), [("optimizers", 30), ("optimizers", 300), ("hyperparameters", 30),
                                         ("numerical-gradient", 30)])  # fmt: skip
def test_ctrl_c_stops_the_experiment_not_just_the_training_run_it_interrupts(data: Path, name: str, at: int) -> None:
    class Interrupting(Watch):  # Ctrl-C in the first training run's mini-batch `at` (300: its last, in --quick)
        ticks = 0

        def tick(self, count: int = 1) -> None:
            self.ticks += 1
            if self.ticks == at:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(name, Data(data), quick=True, watch=Interrupting())


def test_the_command_prints_its_numbers_as_a_table_and_whether_the_conclusion_holds(data: Path) -> None:
    result = CliRunner().invoke(cli, ["experiment", "activations", "--data-dir", str(data)])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and lines[0].split()[:6] == ["std", "of", "the", "activations", "z1", "z2"]
    assert lines[1].startswith("sigmoid, std 1 ") and len(lines) == 9 and "conclusion holds (6.2.2–6.2.3;" in lines[-1]


def test_every_column_and_dash_of_the_tables_is_explained(data: Path) -> None:
    """The loss curves' columns are iterations, said so; batch-norm's "–" (no accuracy once a network diverged) is
    told under its table."""
    from mnist_infer.views.experiments import experiment_view

    result = CliRunner().invoke(cli, ["experiment", "optimizers", "--quick", "--data-dir", str(data)])
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["optimizer", "75", "iterations"] and lines[0].count("iterations") == 4, lines
    series = {"scales": [1.0], "batch_norm": [[0.1, 0.9]], "without": [[0.1, None]]}
    diverged = Experiment("batch-norm", "6.3.2", {}, series, {"faster_with_batch_norm": 1, "scales": 1, "holds": True})
    shown = [block.text for block in experiment_view(diverged)]
    assert shown[0] == "–: diverged (its loss overflowed): no accuracy from then on", shown
    learned = Experiment("batch-norm", "6.3.2", {}, {**diverged.series, "without": [[0.1, 0.2]]}, diverged.summary)
    assert not any("–" in block.text for block in experiment_view(learned))


def test_json_has_every_series_the_figure_is_the_books_and_a_seed_repeats_the_run(data: Path, tmp_path: Path) -> None:
    figure = tmp_path / "6-15.png"
    args = ["experiment", "init", "--quick", "--data-dir", str(data), "--json", "--save", str(figure)]
    payload = json.loads(CliRunner().invoke(cli, args).stdout)
    assert payload["settings"] == {"iterations": 500, "batch_size": 128, "seed": 0, "quick": True}
    assert payload["series"] == quick(data, "init").series and payload["summary"]["holds"]
    assert quick(data, "activations").series != quick(data, "activations", seed=1).series
    from PIL import Image

    with Image.open(figure) as image:
        assert image.format == "PNG" and image.size == (700, 500)


def test_korean_labels_fall_back_to_english_without_a_hangul_font(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnist_infer.views import experiments

    monkeypatch.setattr(experiments, "language", lambda: "ko")
    monkeypatch.setattr(experiments, "hangul_font", lambda: "NanumGothic")
    assert experiments.draw(quick(data, "init"), tmp_path / "a.png") is None
    monkeypatch.setattr(experiments, "hangul_font", lambda: None)
    assert "English" in experiments.draw(quick(data, "init"), tmp_path / "b.png")


def test_errors_come_before_any_work(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["experiment", "init", "--save", str(tmp_path / "missing" / "f.png")])
    assert result.exit_code == 1 and "directory" in result.output and "does not exist" in result.output
    result = runner.invoke(cli, ["experiment", "optimizers", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "mnist-infer download --split train" in result.output


def test_a_missing_name_is_one_error_line_that_lists_the_experiments() -> None:
    result = CliRunner().invoke(cli, ["experiment"])
    error = result.stderr[result.stderr.index("Error:") :]
    assert result.exit_code == 2 and error.count("\n") == 1 and "numerical-gradient, optimizers, " in error, error
