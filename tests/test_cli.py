"""Every command through Click's CliRunner, on the reference data; output and exit codes asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from conftest import FIRST_TEST_LABELS, shared_path
from mnist_infer.cli import cli
from mnist_infer.data.idx import read_images, read_labels, write_idx


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=True)


def assert_error(result: Result, *words: str) -> None:
    """Exit 1, one `Error:` line on stderr naming ``words``, nothing on stdout, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


# --- toy ----------------------------------------------------------------------------------------------------


def test_toy_table(runner: CliRunner) -> None:
    result = run(runner, "toy")
    assert result.exit_code == 0
    for text in ("a1", "z2", "softmax", "[0.31682708, 0.69627909]", "[0.40625907, 0.59374093]"):
        assert text in result.stdout


def test_toy_json(runner: CliRunner) -> None:
    result = run(runner, "toy", "--json")
    values = json.loads(result.stdout)
    assert list(values) == ["x", "a1", "z1", "a2", "z2", "a3", "y", "softmax"]
    np.testing.assert_allclose(values["y"], [0.31682708, 0.69627909], atol=1e-8)
    np.testing.assert_allclose(values["softmax"], [0.40625907, 0.59374093], atol=1e-8)
    assert values["x"] == [1.0, 0.5]


def test_toy_other_input(runner: CliRunner) -> None:
    values = json.loads(run(runner, "toy", "--x", "0", "0", "--json").stdout)
    assert values["x"] == [0.0, 0.0]
    np.testing.assert_allclose(values["a1"], [0.1, 0.2, 0.3])  # only the bias remains


# --- show ---------------------------------------------------------------------------------------------------


def test_show_plain(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "show", "0", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "test[0]  label 7"
    digit = lines[1:29]
    assert len(digit) == 28 and all(len(row) <= 56 for row in digit)  # 28×28, two characters per pixel
    image = read_images(data_dir / "t10k-images-idx3-ubyte.gz")[0]
    assert [row.strip() == "" for row in digit] == [not row.any() for row in image]  # blank where no ink
    assert "@" in result.stdout


def test_show_colour_uses_half_blocks(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "show", "1", "--data-dir", str(data_dir), env={"FORCE_COLOR": "1", "COLORTERM": "truecolor"})
    assert result.exit_code == 0
    assert "▀" in result.stdout and "\x1b[" in result.stdout
    body = result.stdout.split("\n", 1)[1]
    assert [("▀" in line) for line in body.splitlines()][:15] == [True] * 14 + [False]  # 28 rows in 14 lines
    footer = re.sub(r"\x1b\[[0-9;]*m", "", "".join(body.splitlines()[14:]))  # colours, and a path folded
    assert "test images: " + str(data_dir / "t10k-images-idx3-ubyte.gz") in footer
    assert "label 2" in result.stdout
    plain = run(runner, "show", "1", "--data-dir", str(data_dir), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "▀" not in plain.stdout


def test_show_train_split_is_the_books_x_train_0(runner: CliRunner, tmp_path: Path) -> None:
    labels = read_labels(shared_path("mnist/train-labels-idx1-ubyte.gz"))[:30]
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((30, 28, 28), np.uint8))
    result = run(runner, "show", "0", "--split", "train", "--data-dir", str(tmp_path))
    assert result.exit_code == 0 and result.stdout.startswith("train[0]  label 5")


def test_show_save_png(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "digits.png"
    result = run(runner, "show", "0", "1", "2", "--save", str(out), "--scale", "3", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "saved 3 digits to" in result.stdout
    picture = np.asarray(Image.open(out))
    assert picture.shape == (28 * 3, (3 * 28 + 2 * 2) * 3)
    images = read_images(data_dir / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(picture[::3, ::3][:, :28], images[0])
    np.testing.assert_array_equal(picture[::3, ::3][:, 60:88], images[2])
    assert not list(tmp_path.glob(".digits.png*"))  # no temporary file left behind


def test_show_save_into_missing_directory(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    result = run(runner, "show", "0", "--save", str(tmp_path / "no" / "d.png"), "--data-dir", str(data_dir))
    assert_error(result, "d.png", "does not exist")


# --- predict ------------------------------------------------------------------------------------------------


def test_predict_json(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "predict", "0", "1", "2", "--data-dir", str(data_dir), "--json")
    assert result.exit_code == 0, result.output
    predictions = json.loads(result.stdout)["predictions"]
    assert [p["source"] for p in predictions] == ["test[0]", "test[1]", "test[2]"]
    assert [p["index"] for p in predictions] == [0, 1, 2]
    assert [p["label"] for p in predictions] == FIRST_TEST_LABELS[:3]
    assert [p["prediction"] for p in predictions] == [7, 2, 1]
    for p in predictions:
        assert len(p["probabilities"]) == 10 and sum(p["probabilities"]) == pytest.approx(1.0, abs=1e-5)
        assert max(range(10), key=p["probabilities"].__getitem__) == p["prediction"]


def test_predict_rich(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "predict", "8", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "test[8]" in result.stdout and "prediction 6" in result.stdout and "label 5 ✗" in result.stdout
    assert "95.0%" in result.stdout and "█" in result.stdout


def test_predict_weights_relative_to_working_directory(
    runner: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir)
    result = run(runner, "predict", "0", "--weights", "sample_weight.pkl", "--data-dir", str(data_dir), "--json")
    assert json.loads(result.stdout)["predictions"][0]["prediction"] == 7


# --- evaluate -----------------------------------------------------------------------------------------------


def test_evaluate_prints_the_books_accuracy(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "evaluate", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "Accuracy: 0.9352" in result.stdout
    assert "9,352 of 10,000 test images correct" in result.stdout
    assert "reproduced" in result.stdout


def test_evaluate_counts_and_scores_read_right(runner: CliRunner, data_dir: Path) -> None:
    """Every accuracy with 4 decimals, "Accuracy: " spaced as elsewhere; one image is one image; a precision or recall
    over no image is "–" (explained), not 0."""
    result = run(runner, "evaluate", "--limit", "1", "--data-dir", str(data_dir))
    lines = result.stdout.splitlines()
    assert "Accuracy: 1.0000" in lines and "1 of 1 test image correct" in lines, result.stdout
    zero = next(line for line in lines if line.split()[:1] == ["0"])
    assert zero.split() == ["0", "0", "0", "–", "–", "–"], zero
    assert "–: not defined (no image of that digit, or none classified as it)" in lines
    result = run(runner, "evaluate", "--limit", "7", "--data-dir", str(data_dir))
    assert re.search(r"^Accuracy: \d\.\d{4}$", result.stdout, re.M) and "7 of 7 test images correct" in result.stdout
    from mnist_infer.views.explain import _strength

    assert (_strength("shift", 1), _strength("shift", 2), _strength("rotate", 1)) == (
        "1 pixel",
        "2 pixels",
        "1 degrees, either way",
    )


def test_evaluate_json(runner: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_INFER_HOME", str(data_dir))
    result = run(runner, "evaluate", "--json")
    report = json.loads(result.stdout)
    assert set(report) == {
        "weights",
        "architecture",
        "split",
        "total",
        "correct",
        "accuracy",
        "seconds",
        "images_per_second",
        "per_class",
        "confusion",
        "data",
    }
    assert (report["total"], report["correct"], report["accuracy"]) == (10_000, 9352, 0.9352)
    assert report["split"] == "test" and report["weights"] == str(data_dir / "sample_weight.pkl")
    assert report["architecture"] == "784-50-100-10 sigmoid"
    assert report["seconds"] > 0 and report["images_per_second"] > 0
    assert report["data"] == {
        "images": str(data_dir / "t10k-images-idx3-ubyte.gz"),
        "labels": str(data_dir / "t10k-labels-idx1-ubyte.gz"),
        "packaged": False,
    }


def test_evaluate_limit_and_batch_size(runner: CliRunner, data_dir: Path) -> None:
    a = json.loads(run(runner, "evaluate", "--data-dir", str(data_dir), "--limit", "10", "--json").stdout)
    b = json.loads(
        run(runner, "evaluate", "--data-dir", str(data_dir), "--limit", "10", "--batch-size", "1", "--json").stdout
    )
    assert a["total"] == b["total"] == 10 and a["correct"] == b["correct"] == 9  # test[8] is the one mistake


def test_evaluate_train_split(runner: CliRunner, tmp_path: Path, weights_file: Path) -> None:
    from conftest import synthetic_split

    synthetic_split(tmp_path, "train", 64)
    result = run(
        runner,
        "evaluate",
        "--split",
        "train",
        "--data-dir",
        str(tmp_path),
        "--weights",
        str(weights_file),
        "--json",
    )
    report = json.loads(result.stdout)
    assert report["split"] == "train" and report["total"] == 64


# --- errors -------------------------------------------------------------------------------------------------


def test_missing_data_points_to_download(runner: CliRunner, tmp_path: Path, weights_file: Path) -> None:
    result = run(runner, "evaluate", "--split", "train", "--data-dir", str(tmp_path), "--weights", str(weights_file))
    assert_error(result, "train-images-idx3-ubyte.gz", "mnist-infer download --split train")
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))  # half a split: never mixed
    result = run(runner, "evaluate", "--data-dir", str(tmp_path), "--weights", str(weights_file))
    assert_error(result, "missing t10k-images-idx3-ubyte.gz", "mnist-infer download --split test")


def test_empty_data_directory_uses_the_packaged_test_set_and_weights(runner: CliRunner, tmp_path: Path) -> None:
    report = json.loads(run(runner, "evaluate", "--data-dir", str(tmp_path), "--json").stdout)
    assert (report["correct"], report["total"]) == (9352, 10_000)
    assert report["data"]["packaged"] is True and report["weights"].endswith("sample_weight.pkl")
    text = run(runner, "evaluate", "--data-dir", str(tmp_path)).stdout
    assert "sample_weight.pkl (packaged with mnist-infer)" in text and "reproduced" in text
    assert list(tmp_path.iterdir()) == []  # nothing written into the data directory
    absent = tmp_path / "absent.pkl"
    assert_error(run(runner, "evaluate", "--data-dir", str(tmp_path), "--weights", str(absent)), str(absent))


def test_bad_weights_file(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"this is not a pickle")
    assert_error(run(runner, "evaluate", "--data-dir", str(data_dir), "--weights", str(bad)), str(bad))


def test_index_out_of_range(runner: CliRunner, data_dir: Path) -> None:
    for command in ("show", "predict"):
        result = run(runner, command, "10000", "--data-dir", str(data_dir))
        assert_error(result, "index 10000 is out of range", "0–9999")
        assert_error(run(runner, command, "--data-dir", str(data_dir), "--", "-1"), "index -1 is out of range")
        assert_error(run(runner, command, "-1", "--data-dir", str(data_dir)), "index -1 is out of range")


@pytest.mark.parametrize(
    "args",
    [
        ["predict"],
        ["show", "zero"],
        ["evaluate", "--split", "valid"],
        ["evaluate", "--batch-size", "0"],
        ["nonsense"],
        ["toy", "--x", "1"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = run(runner, *args)
    assert result.exit_code == 2
    assert "Error" in result.stderr and "Traceback" not in result.output


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--debug", "show", "0", "--split", "train", "--data-dir", str(tmp_path))
    assert result.exit_code == 1 and type(result.exception).__name__ == "MissingDataError"


def test_unexpected_exception_is_one_line(runner: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mnist_infer.data.mnist

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(mnist_infer.data.mnist, "load_split", broken)
    result = run(runner, "show", "0", "--data-dir", str(data_dir))
    assert_error(result, "internal error", "ZeroDivisionError: boom", "--debug")


# --- help and entry points ----------------------------------------------------------------------------------


def test_help_lists_commands_and_every_command_has_an_example(runner: CliRunner) -> None:
    from mnist_infer.cli import cli as group

    top = run(runner, "--help")
    assert top.exit_code == 0
    for command in group.list_commands(None):
        assert f"\n  {command} " in top.stdout
        result = run(runner, command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout and "--debug" in result.stdout
        assert "..." not in top.stdout.split("Commands:")[1]  # every summary whole


def test_every_example_in_the_help_can_be_pasted_as_it_is(runner: CliRunner) -> None:
    """Each line of every Examples block parses (Click's own parsing, with --help appended so nothing runs)."""
    from mnist_infer.cli import cli as group

    for command in group.list_commands(None):
        text = run(runner, command, "--help").stdout
        examples = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
        for line in examples.splitlines():
            args = line.split()
            assert args[0] in ("mnist-infer", "curl"), line
            if args[0] == "mnist-infer":
                result = run(runner, *args[1:], "--help")
                assert result.exit_code == 0, (line, result.output)


def test_a_mistyped_command_gets_a_suggestion(runner: CliRunner) -> None:
    result = run(runner, "evalute")
    assert result.exit_code == 2 and "Did you mean 'evaluate'?" in result.stderr


def test_python_dash_m_and_version() -> None:
    result = subprocess.run([sys.executable, "-m", "mnist_infer", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("mnist-infer, version ")


def modules_loaded_by(args: list[str], env: dict[str, str] | None = None, whole: bool = False) -> set[str]:
    """Top-level packages (or, ``whole``, all modules) imported by running `mnist-infer ARGS` in a fresh
    interpreter."""
    import os

    name = "m" if whole else "m.split('.')[0]"
    code = (
        "import sys\nfrom mnist_infer.cli import main\nsys.argv = ['mnist-infer', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"sys.stderr.write(' '.join(sorted({{{name} for m in sys.modules}})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return set(result.stderr.split())


def test_help_imports_neither_numpy_nor_rich_nor_requests() -> None:
    loaded = modules_loaded_by(["--help"])
    assert "click" in loaded and not loaded & {"numpy", "rich", "requests", "PIL", "matplotlib"}


def test_evaluate_json_imports_only_what_it_needs(data_dir: Path) -> None:
    loaded = modules_loaded_by(["evaluate", "--json", "--data-dir", str(data_dir)])
    assert "numpy" in loaded and not loaded & {"rich", "requests", "PIL", "urllib3", "threadpoolctl"}


# --- what a new user reaches for --------------------------------------------------------------------------------


def test_show_json_gives_index_label_and_pixels(runner: CliRunner, data_dir: Path) -> None:
    result = run(runner, "show", "0", "8", "--json", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    digits = json.loads(result.stdout)["digits"]
    images = read_images(data_dir / "t10k-images-idx3-ubyte.gz")
    assert [(d["split"], d["index"], d["label"]) for d in digits] == [("test", 0, 7), ("test", 8, 5)]
    assert digits[1]["pixels"] == images[8].tolist() and len(digits[0]["pixels"]) == 28
    # Laid out to be read: a row of a digit on one line (not a pixel a line), the rest indented as json.dumps does.
    rows = [line for line in result.stdout.splitlines() if line.strip().startswith("[0, ")]
    assert len(rows) == 56 and len(result.stdout.splitlines()) < 100, result.stdout
    assert result.stdout.startswith('{\n  "digits": [\n    {\n      "split": "test",\n')


def test_debug_is_accepted_after_the_command(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "show", "0", "--split", "train", "--data-dir", str(tmp_path), "--debug")
    assert result.exit_code == 1 and type(result.exception).__name__ == "MissingDataError"
    assert "Traceback" not in run(runner, "show", "0", "--split", "train", "--data-dir", str(tmp_path)).output


def test_data_dir_help_names_what_it_honours(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    help_text = "".join(run(runner, "evaluate", "--help").stdout.split())  # Click wraps lines, even at hyphens
    assert "$MNIST_INFER_HOME,else$XDG_CACHE_HOME/mnist-infer,else~/.cache/mnist-infer" in help_text
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    result = run(runner, "download", "--split", "test", "--no-weights", "--json")
    assert json.loads(result.stdout)["data_dir"] == str(tmp_path / "xdg" / "mnist-infer")


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [
        (".png", b"\x89PNG"),
        (".jpg", b"\xff\xd8\xff"),
        (".JPEG", b"\xff\xd8\xff"),
        (".bmp", b"BM"),
        (".gif", b"GIF8"),
        (".webp", b"RIFF"),
        (".tiff", b"II*\x00"),
    ],
)
def test_pictures_are_written_in_the_format_their_extension_names(
    runner: CliRunner, data_dir: Path, tmp_path: Path, suffix: str, magic: bytes
) -> None:
    out = tmp_path / f"digits{suffix}"
    assert run(runner, "show", "0", "1", "--save", str(out), "--data-dir", str(data_dir)).exit_code == 0
    assert out.read_bytes().startswith(magic)
    errors = tmp_path / f"mistakes{suffix}"
    result = run(runner, "evaluate", "--limit", "20", "--errors", str(errors), "--data-dir", str(data_dir))
    assert result.exit_code == 0 and errors.read_bytes().startswith(magic)


@pytest.mark.parametrize("name", ["digits.xyz", "digits", "digits.svg"])
def test_an_unknown_picture_extension_is_refused_before_any_work(
    runner: CliRunner, data_dir: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    for args in (["show", "0", "--save", str(out)], ["evaluate", "--errors", str(out)]):
        result = run(runner, *args, "--data-dir", str(data_dir))
        assert result.exit_code == 2 and result.stdout == "", result.output  # a usage error, as for a figure
        assert str(out) in result.stderr and "unknown picture format" in result.stderr
        assert not out.exists()


def test_ctrl_c_while_the_command_line_is_still_loading_is_not_a_traceback() -> None:
    code = (
        "import builtins\noriginal = builtins.__import__\n"
        "def interrupted(name, *args, **kwargs):\n"
        "    if name == 'click':\n        raise KeyboardInterrupt\n"
        "    return original(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupted\n"
        "from mnist_infer.__main__ import main\nmain()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (130, "Interrupted.\n")


def test_a_pipe_gets_plain_lines(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    """Into a pipe: no colour codes, no box lines, no padding at the end of a line; whole lines, however long."""
    from PIL import Image

    Image.fromarray(255 - read_images(data_dir / "t10k-images-idx3-ubyte.gz")[0]).save(tmp_path / "seven.png")
    seven = str(tmp_path / "seven.png")
    for args in (["toy"], ["show", "0"], ["predict", "0"], ["evaluate"], ["predict", "--image", seven],
                 ["evaluate", "--weights", "sample_weight.pkl", "--weights", "sample_weight.pkl"]):  # fmt: skip
        output = run(runner, *args, "--data-dir", str(data_dir)).stdout
        assert "\x1b" not in output and not set("┃━│─┏┡") & set(output), args
        assert all(line == line.rstrip() for line in output.splitlines()), args
    assert str(data_dir / "t10k-images-idx3-ubyte.gz") in run(runner, "show", "0", "--data-dir", str(data_dir)).stdout


def test_the_books_weights_by_name_from_any_folder(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    """The design card's own line: `evaluate --weights sample_weight.pkl` where no such file lies."""
    monkeypatch.chdir(tmp_path)
    for name, correct in (("sample_weight.pkl", 9), ("deep_convnet_params.pkl", 10)):
        report = json.loads(run(runner, "evaluate", "--weights", name, "--limit", "10", "--json").stdout)
        assert report["weights"].endswith(name) and (report["total"], report["correct"]) == (10, correct)
    mine = tmp_path / "sample_weight.pkl"  # a file of that name here is the user's own, and wins
    mine.write_bytes(b"not a pickle")
    assert_error(run(runner, "evaluate", "--weights", "sample_weight.pkl"), "sample_weight.pkl", "not a valid pickle")
    assert_error(run(runner, "evaluate", "--weights", "params.pkl"), "params.pkl", "mnist-infer download")


def test_a_data_directory_that_does_not_exist_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    assert_error(run(runner, "evaluate", "--data-dir", str(tmp_path / "fashon")), "fashon", "no such data directory")


# --- closed streams, the environment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["predict", "10000", "--json"], ["predict", "--bogus", "--json"], ["toy", "--x", "nan", "1", "--json"],
     ["evaluate", "--weights", "missing.npz", "--json"]],
    ids=["out-of-range", "usage", "not-finite", "no-weights"],
)  # fmt: skip
def test_with_stderr_closed_an_error_goes_nowhere_not_into_the_json(args: list[str], tmp_path: Path) -> None:
    """`mnist-infer … --json 2>&- > out.json`: the Error: line must not end up in out.json."""
    command = [sys.executable, "-m", "mnist_infer", *args]
    result = subprocess.run(command, stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2), cwd=tmp_path)
    assert result.returncode in (1, 2) and result.stdout == b""


def test_with_stderr_closed_the_json_is_whole() -> None:
    command = [sys.executable, "-m", "mnist_infer", "predict", "1", "--json"]
    result = subprocess.run(command, stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
    assert result.returncode == 0 and json.loads(result.stdout)["predictions"][0]["label"] == 2


def test_a_relative_xdg_cache_home_is_ignored(tmp_path: Path) -> None:
    """The XDG specification: a relative path in $XDG_CACHE_HOME is invalid and ignored (the cache of the parsed
    test set went under the working directory)."""
    (tmp_path / "work").mkdir()
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": "cache"}
    command = [sys.executable, "-m", "mnist_infer", "evaluate", "--limit", "10", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path / "work")
    assert result.returncode == 0, result.stderr
    assert not list((tmp_path / "work").iterdir())
    assert list((tmp_path / "home" / ".cache" / "mnist-infer").rglob("*.npy"))


def test_a_name_of_254_characters_is_written(data_dir: Path, tmp_path: Path) -> None:
    """The longest names a file system allows are written: the temporary name beside them is short."""
    name = tmp_path / ("d" * 250 + ".png")
    command = [sys.executable, "-m", "mnist_infer", "show", "0", "--data-dir", str(data_dir), "--save", str(name)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Image.open(name).size == (280, 280) and sorted(p.name for p in tmp_path.iterdir()) == ["data", name.name]
