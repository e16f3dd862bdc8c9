"""evaluate's reports: per-class metrics, the confusion matrix, the mistakes gallery, comparing weights."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import BOOK_CORRECT, TEST_TOTAL
from mnist_infer.cli import cli
from mnist_infer.data import load_split
from mnist_infer.inference import Comparison, confusion_matrix, evaluate, per_class
from mnist_infer.weights import load_network, read_weights


def evaluate_cli(runner: CliRunner, data_dir: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), *args], env=env)


@pytest.fixture
def book_report(data_dir: Path, runner: CliRunner) -> dict:
    result = evaluate_cli(runner, data_dir, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_confusion_matrix_of_the_book_weights(book_report: dict, data_dir: Path) -> None:
    confusion = np.array(book_report["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == TEST_TOTAL and np.trace(confusion) == BOOK_CORRECT
    labels = load_split("test", data_dir).labels
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(labels, minlength=10))


def test_per_class_agrees_with_the_matrix(book_report: dict, data_dir: Path) -> None:
    confusion = np.array(book_report["confusion"])
    rows = book_report["per_class"]
    assert [row["digit"] for row in rows] == list(range(10))
    assert [row["support"] for row in rows] == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    for row in rows:
        d = row["digit"]
        assert row["correct"] == confusion[d, d]
        assert row["precision"] == pytest.approx(confusion[d, d] / confusion[:, d].sum())
        assert row["recall"] == pytest.approx(confusion[d, d] / confusion[d].sum())
        p, r = row["precision"], row["recall"]
        assert row["f1"] == pytest.approx(2 * p * r / (p + r))


def test_metrics_by_hand() -> None:
    labels = np.array([0, 0, 1, 1, 1, 2])
    predictions = np.array([0, 1, 1, 1, 0, 1])
    confusion = confusion_matrix(labels, predictions, classes=3)
    np.testing.assert_array_equal(confusion, [[1, 1, 0], [1, 2, 0], [0, 1, 0]])
    zero, one, two = per_class(confusion)
    assert (zero.precision, zero.recall) == (0.5, 0.5)
    assert (one.support, one.correct, one.precision, one.recall) == (3, 2, 0.5, 2 / 3)
    assert (two.precision, two.recall, two.f1) == (0.0, 0.0, 0.0)  # never predicted, never found: 0, not NaN


def test_mistakes_most_confident_first(data_dir: Path) -> None:
    result = evaluate(load_network(data_dir / "sample_weight.pkl"), load_split("test", data_dir))
    wrong = result.mistakes()
    assert len(wrong) == TEST_TOTAL - BOOK_CORRECT
    assert (result.predictions[wrong] != result.labels[wrong]).all()
    confidence = result.probabilities[wrong, result.predictions[wrong]]
    assert (np.diff(confidence) <= 0).all()
    np.testing.assert_array_equal(result.mistakes(5), wrong[:5])


def count_tiles(path: Path) -> int:
    """Tiles of a gallery: digit squares have a black corner, empty places the sheet's grey."""
    sheet = np.asarray(Image.open(path).convert("RGB"))
    tile_w, tile_h = 84 + 6, 84 + 30 + 6  # a digit, two caption lines, the gap
    rows, columns = sheet.shape[0] // tile_h, sheet.shape[1] // tile_w
    assert (rows * tile_h, columns * tile_w) == sheet.shape[:2]
    return sum(not sheet[r * tile_h + 1, c * tile_w + 1].any() for r in range(rows) for c in range(columns))


@pytest.mark.parametrize("most", [1, 13, 100])
def test_gallery_holds_as_many_tiles_as_requested(data_dir: Path, tmp_path: Path, runner: CliRunner, most: int):
    out = tmp_path / "mistakes.png"
    result = evaluate_cli(runner, data_dir, "--errors", str(out), "--errors-max", str(most))
    assert result.exit_code == 0, result.output
    assert count_tiles(out) == most
    assert f"saved the {most} most confident mistakes to {out}" in result.stderr


def test_gallery_default_and_no_mistakes(data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    evaluate_cli(runner, data_dir, "--errors", str(tmp_path / "all.png"))
    assert count_tiles(tmp_path / "all.png") == 100
    result = evaluate_cli(runner, data_dir, "--limit", "5", "--errors", str(tmp_path / "none.png"))
    assert result.exit_code == 0 and "no mistakes" in result.stderr and not (tmp_path / "none.png").exists()


def test_the_mistakes_of_part_of_a_split_are_named_by_their_index_in_it(data_dir: Path, runner: CliRunner) -> None:
    split = load_split("test", data_dir)
    result = evaluate(load_network("sample_weight.pkl", data_dir), split.part(5000, 7000))
    indices = result.first + result.mistakes(5)
    assert result.first == 5000 and all(5000 <= index < 7000 for index in indices)
    for index in indices:  # what `predict INDEX` says of each: wrong, with that image's label
        answer = json.loads(runner.invoke(cli, ["predict", str(index), "--data-dir", str(data_dir), "--json"]).stdout)
        answer = answer["predictions"][0]
        assert answer["label"] == split.labels[index] != answer["prediction"]


def test_two_identical_weights_disagree_on_nothing(data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    copy = tmp_path / "copy.pkl"
    copy.write_bytes((data_dir / "sample_weight.pkl").read_bytes())
    result = evaluate_cli(
        runner, data_dir, "--weights", str(data_dir / "sample_weight.pkl"), "--weights", str(copy), "--json"
    )
    reports = json.loads(result.stdout)
    assert isinstance(reports, list) and len(reports) == 2
    assert [r["correct"] for r in reports] == [BOOK_CORRECT] * 2
    assert [r["disagreements"] for r in reports] == [0, 0]
    assert reports[0]["confusion"] == reports[1]["confusion"]


def test_different_weights_disagree_where_their_predictions_differ(
    data_dir: Path, tmp_path: Path, runner: CliRunner
) -> None:
    params = read_weights(data_dir / "sample_weight.pkl").params
    params["b3"] = params["b3"] + np.float32(0.8) * (np.arange(10) == 3)  # lean towards 3
    other = tmp_path / "leaning.npz"
    np.savez(other, **params)
    result = evaluate_cli(
        runner, data_dir, "--weights", str(data_dir / "sample_weight.pkl"), "--weights", str(other), "--json"
    )
    first, second = json.loads(result.stdout)
    dataset = load_split("test", data_dir)
    a = evaluate(load_network(data_dir / "sample_weight.pkl"), dataset)
    b = evaluate(load_network(other), dataset)
    expected = int(np.count_nonzero(a.predictions != b.predictions))
    assert expected > 0 and first["disagreements"] == second["disagreements"] == expected
    assert Comparison([a, b, a]).disagreements.tolist() == [expected] * 3
    assert Comparison([a, b, a]).pairwise().tolist() == [[0, expected, 0], [expected, 0, expected], [0, expected, 0]]
    text = evaluate_cli(
        runner, data_dir, "--weights", str(data_dir / "sample_weight.pkl"), "--weights", str(other)
    ).stdout
    assert f"they disagree on {expected:,} images" in text and "Recall per digit" in text
    assert "leaning.npz" in text.split("Recall per digit")[1]  # columns named after the weights, not #1 #2


def test_report_text(data_dir: Path, runner: CliRunner) -> None:
    text = evaluate_cli(runner, data_dir).stdout
    assert text.index("Accuracy: 0.9352") < text.index("Per class") < text.index("Confusion matrix")
    assert "    5      892      793     0.9351  0.8890  0.9115\n" in text  # a pipe: plain columns
    assert "   0  962      0    3    2    1    3    5    1    3    0\n" in text
    import re

    terminal = evaluate_cli(runner, data_dir, env={"FORCE_COLOR": "1", "COLUMNS": "100"}).stdout
    terminal = re.sub(r"\x1b\[[0-9;]*m", "", terminal)  # Rich's table, without its colours
    assert "│     5 │     892 │     793 │    0.9351 │ 0.8890 │ 0.9115 │" in terminal
    assert "│    0 │ 962 │     0 │   3 │   2 │   1 │   3 │   5 │   1 │   3 │   0 │" in terminal


def test_batch_size_one_shows_the_books_loop(data_dir: Path, runner: CliRunner) -> None:
    text = evaluate_cli(runner, data_dir, "--batch-size", "1", "--limit", "500").stdout
    assert "batch size 1)" in text and "per-image loop" in text


def test_progress_bar_on_a_terminal_only(data_dir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnist_infer.views.draw import EvaluationProgress

    monkeypatch.setattr(EvaluationProgress, "DELAY", 0.0)  # show it at once, however quick the run
    args = ["evaluate", "--data-dir", str(data_dir), "--batch-size", "100"]
    terminal = runner.invoke(cli, args, env={"FORCE_COLOR": "1"}).stdout
    assert "sample_weight.pkl on test" in terminal and "\x1b[2K" in terminal
    pipe = runner.invoke(cli, args).stdout
    assert "sample_weight.pkl on test" not in pipe and "\x1b" not in pipe
    as_json = runner.invoke(cli, [*args, "--json"], env={"FORCE_COLOR": "1"}).stdout
    assert json.loads(as_json)["correct"] == BOOK_CORRECT


def test_bad_second_weights_fail_before_any_work(data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps({"W1": 1}))
    result = evaluate_cli(runner, data_dir, "--weights", str(data_dir / "sample_weight.pkl"), "--weights", str(bad))
    assert result.exit_code == 1 and result.stdout == "" and str(bad) in result.stderr
