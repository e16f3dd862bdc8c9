"""Usage errors: what a command line that cannot mean anything is told (exit 2, Click's one message), before any
work, the same for every option of its kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mnist_infer.cli import cli


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=True)


def assert_usage(result: Result, *words: str) -> None:
    """Exit 2, Click's usage message naming ``words``, no traceback, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    for word in words:
        assert word in last, last


#: Every float option of every command, with what comes before the value and after it.
FLOAT_OPTIONS = [
    (["evaluate", "--reject"], []),
    (["predict", "8", "--reject"], []),
    (["train", "--out", "x.npz", "--lr"], []),
    (["train", "--out", "x.npz", "--weight-decay"], []),
    (["train", "--out", "x.npz", "--dropout"], []),
    (["train", "--out", "x.npz", "--init"], []),
    (["toy", "--x"], ["1"]),
    (["download", "--timeout"], []),
]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf"])
@pytest.mark.parametrize(("before", "after"), FLOAT_OPTIONS, ids=lambda args: " ".join(args))
def test_a_float_option_refuses_what_is_not_a_finite_number(
    runner: CliRunner, tmp_path: Path, before: list[str], after: list[str], value: str
) -> None:
    result = run(runner, *before, value, *after, "--data-dir", str(tmp_path)) if before[0] != "toy" else None
    result = result or run(runner, *before, value, *after)
    assert_usage(result, before[-1], value)


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "--image", ""],
        ["predict", "1", "--weights", ""],
        ["evaluate", "--weights", ""],
        ["evaluate", "--data-dir", ""],
        ["evaluate", "--errors", ""],
        ["show", "1", "--save", ""],
        ["explain", "--image", ""],
        ["train", "--out", ""],
        ["train", "--out", "x.npz", "--plot", ""],
        ["experiment", "init", "--save", ""],
        ["serve", "--weights", ""],
        ["download", "--data-dir", ""],
        ["download", "--mirror", ""],
    ],
    ids=" ".join,
)
def test_an_empty_file_name_is_a_usage_error(runner: CliRunner, args: list[str]) -> None:
    assert_usage(run(runner, *args), "an empty file name")


@pytest.mark.parametrize(
    ("args", "option", "meant"),
    [
        (["predict", "1", "--weigths", "x"], "--weigths", "--weights"),
        (["predict", "--weigths=x", "1"], "--weigths", "--weights"),
        (["show", "1", "--sclae", "3"], "--sclae", "--scale"),
        (["explain", "1", "--wy"], "--wy", "--why"),
        (["explain", "--wy", "1"], "--wy", "--why"),
        (["show", "1", "-z"], "-z", None),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_a_mistyped_option_of_a_command_taking_indices_is_no_such_option(
    runner: CliRunner, args: list[str], option: str, meant: str | None
) -> None:
    """As `evaluate --weigths` says it, not "'--weigths' is not a valid integer" (the index)."""
    result = run(runner, *args)
    assert_usage(result, f"No such option '{option}'")
    assert "not a valid integer" not in result.stderr and "extra argument" not in result.stderr
    if meant:
        assert "Did you mean" in result.stderr and f"'{meant}'" in result.stderr


@pytest.mark.parametrize("args", [["predict", "-1"], ["show", "3", "-1"], ["explain", "-1"], ["predict", "--", "-2"]])
def test_a_negative_index_is_still_an_index(runner: CliRunner, data_dir: Path, args: list[str]) -> None:
    result = run(runner, args[0], "--data-dir", str(data_dir), *args[1:])
    assert result.exit_code == 1 and "is out of range" in result.stderr, result.output


@pytest.mark.parametrize("command", ["toy", "show 1", "train --gradient-check --json"])
def test_lang_is_accepted_after_the_command_too(runner: CliRunner, command: str) -> None:
    assert run(runner, *command.split(), "--lang", "ko").exit_code == 0


def test_lang_after_the_command_speaks_that_language(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "mnist_infer", "toy", "--lang", "ko"], capture_output=True,
                            text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "입력" in result.stdout


#: Every option that draws a figure (matplotlib's, written as PNG).
FIGURE_OPTIONS = [
    ["explain", "8", "--save"],
    ["explain", "--templates", "--save"],
    ["evaluate", "--reject", "0.9", "--save"],
    ["evaluate", "--robustness", "--save"],
    ["train", "--out", "x.npz", "--epochs", "1", "--plot"],
    ["experiment", "init", "--quick", "--save"],
]


@pytest.mark.parametrize("name", ["figure.pdf", "figure.txt", "figure", "figure.jpg"])
@pytest.mark.parametrize("args", FIGURE_OPTIONS, ids=" ".join)
def test_a_figure_is_a_png_file_else_a_usage_error_before_any_work(
    runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / name
    result = run(runner, *args, str(out), "--data-dir", str(data_dir))
    assert_usage(result, args[-1], str(out), ".png")
    assert "unknown picture format" in result.stderr
    assert not out.exists() and not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("save", [[], ["--save", "curves.png"]], ids=["", "--save"])
def test_reject_and_robustness_together_are_refused_as_such(runner: CliRunner, save: list[str]) -> None:
    result = run(runner, "evaluate", "--reject", "0.9", "--robustness", *save)
    assert_usage(result, "--reject and --robustness do not go together")


def test_save_without_a_curve_to_draw_says_which(runner: CliRunner) -> None:
    assert_usage(run(runner, "evaluate", "--save", "curves.png"), "--save draws the curves of --reject or")


def test_options_of_mlp_given_to_a_cnn_are_a_usage_error(runner: CliRunner) -> None:
    args = ["--hidden", "30", "--batch-norm", "--dropout", "0.5", "--activation", "tanh"]
    result = run(runner, "train", "--model", "simple-convnet", *args, "--out", "x.npz")
    assert_usage(result, "--hidden, --activation, --dropout, --batch-norm", "--model mlp only", "simple-convnet")
    result = run(runner, "train", "--model", "deep-convnet", "--dropout", "0", "--out", "x.npz")
    assert_usage(result, "--dropout:", "--model mlp only")
    assert "--hidden" not in result.stderr.splitlines()[-1]  # only what was given, not the defaults


def test_download_weights_and_no_weights_contradict(runner: CliRunner) -> None:
    result = run(runner, "download", "--weights", "params.pkl", "--no-weights")
    assert_usage(result, "--weights and --no-weights")


# --- train's outputs: checked before an epoch, and the weights never lost to the plot -------------------------


@pytest.fixture
def small_train(tmp_path: Path) -> Path:
    from conftest import mnist_like_split

    directory = tmp_path / "small"
    directory.mkdir()
    mnist_like_split(directory, "train", 0, 200)
    mnist_like_split(directory, "t10k", 200, 50)
    return directory


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(("option", "name"), [("--out", "/proc/x.npz"), ("--plot", "/proc/x.png")])
def test_an_output_that_cannot_be_written_stops_train_before_an_epoch(
    runner: CliRunner, small_train: Path, tmp_path: Path, option: str, name: str
) -> None:
    """/proc refuses new files even to root, whom access() lets through."""
    outputs = {"--out": str(tmp_path / "w.npz"), "--plot": str(tmp_path / "c.png"), option: name}
    args = ["train", "--data-dir", str(small_train), "--epochs", "1", "--hidden", "5"]
    result = run(runner, *args, "--out", outputs["--out"], "--plot", outputs["--plot"])
    assert result.exit_code == 1 and "cannot write" in result.stderr, result.output
    assert "epoch" not in result.stdout.lower() and not (tmp_path / "w.npz").exists()


@pytest.mark.parametrize("args", [["explain", "3", "--save"], ["train", "--out"]])
def test_a_file_where_a_directory_should_be_is_named_as_such(runner: CliRunner, tmp_path: Path, args) -> None:
    (tmp_path / "afile").write_bytes(b"")
    name = str(tmp_path / "afile" / "deeper" / ("x.png" if "--save" in args else "x.npz"))
    result = run(runner, *args, name)
    assert result.exit_code == 1 and f"{tmp_path / 'afile'} is a file, not a directory" in result.stderr


def test_a_plot_that_fails_after_training_says_the_weights_were_saved(
    runner: CliRunner, small_train: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnist_infer.errors import MnistInferError
    from mnist_infer.views import plots

    def fail(*_args, **_kwargs):
        raise MnistInferError("the disk is full")

    monkeypatch.setattr(plots, "learning_curves", fail)
    out = tmp_path / "w.npz"
    args = ["train", "--data-dir", str(small_train), "--epochs", "1", "--hidden", "5", "--out", str(out)]
    result = run(runner, *args, "--plot", str(tmp_path / "c.png"))
    assert result.exit_code == 1 and out.is_file(), result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: saved the weights to") and str(out) in last and "the disk is full" in last, last


def test_no_raw_warning_reaches_the_user(small_train: Path, tmp_path: Path) -> None:
    """An --init so large that the weights overflow float32: the Error line, not numpy's RuntimeWarning first."""
    import subprocess
    import sys

    args = ["train", "--init", "1e300", "--epochs", "1", "--hidden", "5", "--out", str(tmp_path / "w.npz")]
    command = [sys.executable, "-m", "mnist_infer", *args, "--data-dir", str(small_train)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Warning" not in result.stderr and result.stderr.strip().splitlines()[-1].startswith("Error: cannot train")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_diverged_run_is_called_diverged_not_too_short(runner: CliRunner, small_train: Path, tmp_path: Path) -> None:
    args = ["train", "--data-dir", str(small_train), "--lr", "1e9", "--epochs", "2", "--hidden", "20"]
    result = run(runner, *args, "--out", str(tmp_path / "w.npz"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "too few to learn" not in text
    assert "the training diverged" in text and "adam; try --lr 0.001" in text, text  # adam's own learning rate
    assert "Compare them" not in text  # nothing worth comparing
    learned = run(runner, "train", "--data-dir", str(small_train), "--epochs", "5", "--batch-size", "10", "--seed", "1",
                  "--out", str(tmp_path / "v.npz"))  # fmt: skip
    assert "Compare them: mnist-infer evaluate --weights" in " ".join(learned.output.split()), learned.output


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.4, "0.4 s"), (42, "42.0 s"), (150, "2.5 minutes"), (5400, "1.5 hours"), (3 * 86_400, "3.0 days")],
)
def test_the_numerical_gradient_experiment_says_durations_in_units_that_fit(seconds: float, said: str) -> None:
    from types import SimpleNamespace

    from mnist_infer.views.experiments import _conclusion

    summary = {
        "max_relative_error": 1e-9,
        "ratio": 1000.0,
        "numerical_seconds": 1.0,
        "backprop_seconds": 1e-3,
        "images": 3,
        "training_seconds": seconds / 1000,
        "numerical_training_days": seconds / 86_400,
    }
    text = _conclusion(SimpleNamespace(name="numerical-gradient", summary=summary))
    assert text.endswith(f"would take {said} with it."), text
    assert "0.0 days" not in text and "the 0 s" not in text


@pytest.mark.parametrize("limit", ["20000", "9990:20000", "10000:10001"])
def test_a_limit_beyond_the_split_is_an_error_as_an_index_out_of_range_is(
    runner: CliRunner, data_dir: Path, limit: str
) -> None:
    result = run(runner, "evaluate", "--data-dir", str(data_dir), "--limit", limit)
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert result.stderr.strip() == f"Error: --limit {limit}: the test split has 10,000 images (0–9999)"


def test_a_limit_within_the_split_is_taken_as_it_is(runner: CliRunner, data_dir: Path) -> None:
    import json

    result = run(runner, "evaluate", "--data-dir", str(data_dir), "--limit", "9990:10000", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["total"] == 10, result.output


def test_a_training_limit_beyond_the_split_stops_train_before_an_epoch(
    runner: CliRunner, small_train: Path, tmp_path: Path
) -> None:
    out = str(tmp_path / "w.npz")
    result = run(runner, "train", "--data-dir", str(small_train), "--limit", "150:300", "--out", out)
    assert result.exit_code == 1 and "--limit 150:300: the train split has 200 images (0–199)" in result.stderr


@pytest.mark.parametrize("args", [["explain", "3", "--save", "x.png/"], ["train", "--out", "w.npz/"],
                                  ["evaluate", "--weights", "sample_weight.pkl/"]])  # fmt: skip
def test_a_file_name_ending_in_a_slash_names_a_directory(runner: CliRunner, args: list[str]) -> None:
    result = run(runner, *args)
    assert result.exit_code == 2 and "names a directory; give a file name" in result.stderr, result.output


def test_a_word_where_a_number_belongs_is_called_not_a_number() -> None:
    result = CliRunner().invoke(cli, ["toy", "--x", "a", "0.5"])
    assert result.exit_code == 2 and result.stderr.strip().endswith("Invalid value for '--x': 'a' is not a number")


@pytest.mark.parametrize(("limit", "says"), [("0", "N is a number of images, at least 1"), ("5:2", "START < STOP")])
def test_a_limit_that_selects_nothing_says_which_form_is_wrong(limit: str, says: str) -> None:
    result = CliRunner().invoke(cli, ["evaluate", "--limit", limit])
    assert result.exit_code == 2 and says in result.stderr.splitlines()[-1], result.stderr


@pytest.mark.parametrize(
    ("given", "meant"), [("deep_convnet_params", "deep_convnet_params.pkl"), ("sample_weigth.pkl", "sample_weight.pkl")]
)
def test_a_book_weights_name_without_its_extension_or_mistyped_gets_a_suggestion(given: str, meant: str) -> None:
    result = CliRunner().invoke(cli, ["predict", "0", "--weights", given])
    assert (
        result.exit_code == 1
        and result.stderr.strip() == f"Error: {given}: no such weights file; did you mean {meant}?"
    )


@pytest.mark.parametrize("given", ["my.pkl", "mnist.pkl", "weights.pkl", "adam.pkl"])
def test_a_name_of_ones_own_is_not_taken_for_a_book_file(given: str) -> None:
    result = CliRunner().invoke(cli, ["predict", "0", "--weights", given])
    assert result.exit_code == 1 and "did you mean" not in result.stderr and "check the path" in result.stderr
