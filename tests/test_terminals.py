"""Terminals that are not a wide UTF-8 terminal: narrow ones, ASCII ones, and Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import faulty_server
from conftest import packaged
from mnist_infer import inference
from mnist_infer.cli import BLAS_THREADS, cli, main

NARROW = {"COLUMNS": "40"}
#: A narrow pipe gets plain lines; a narrow terminal (FORCE_COLOR makes Rich draw) gets Rich's compact layout.
MODES = {"pipe": NARROW, "terminal": {**NARROW, "FORCE_COLOR": "1"}}


def invoke(runner: CliRunner, args: list[str], mode: str) -> str:
    """What ``mnist-infer ARGS`` prints 40 columns wide, in a pipe or on a terminal, without colour codes."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", runner.invoke(cli, args, env=MODES[mode]).stdout)


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)


def assert_nothing_cut(text: str, width: int = 40) -> None:
    assert "…" not in text, text
    for line in text.splitlines():
        assert len(line) <= width, line


@pytest.mark.parametrize("mode", MODES)
def test_evaluate_at_40_columns_keeps_every_number(runner: CliRunner, data_dir: Path, mode: str) -> None:
    report = json.loads(runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--json"]).stdout)
    text = invoke(runner, ["evaluate", "--data-dir", str(data_dir)], mode)
    assert_nothing_cut(text)
    found = numbers(text)
    for row in report["per_class"]:
        for key in ("precision", "recall", "f1"):
            assert f"{row[key]:.4f}" in found
        assert f"{row['support']:,}" in found and f"{row['correct']:,}" in found
    for true, row in enumerate(report["confusion"]):
        line = next(line for line in text.splitlines() if line.startswith(f"{true}: "))
        assert numbers(line)[1:] == [f"{count:,}" for count in row]  # all ten counts, in order, whole
    assert "0.9352" in found


@pytest.mark.parametrize("mode", MODES)
def test_two_weights_at_40_columns(runner: CliRunner, data_dir: Path, weights_file: Path, mode: str) -> None:
    args = ["evaluate", "--data-dir", str(data_dir), "--weights", str(weights_file), "--weights", str(weights_file)]
    text = invoke(runner, args, mode)
    assert "…" not in text and text.count("9,352") == 2 and text.count("0.9816") == 2


@pytest.mark.parametrize("mode", MODES)
def test_download_at_40_columns(runner: CliRunner, tmp_path: Path, mode: str) -> None:
    args = ["download", "--split", "test", "--weights", "sample_weight.pkl", "--data-dir", str(tmp_path / mode)]
    text = invoke(runner, args, mode)
    assert_nothing_cut(text)
    for name, size in (("t10k-images-idx3-ubyte.gz", "1,648,877"), ("sample_weight.pkl", "181,853")):
        assert name in text and size in text


@pytest.mark.parametrize("mode", MODES)
def test_toy_at_40_columns(runner: CliRunner, mode: str) -> None:
    text = invoke(runner, ["toy"], mode)
    assert_nothing_cut(text)
    for value in ("0.30000000", "1.10000000", "0.31682708", "0.40625907", "0.59374093"):
        assert value in numbers(text)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", [40, 20])
def test_digits_scale_down_or_say_why_not(runner: CliRunner, data_dir: Path, width: int, mode: str) -> None:
    env = {**MODES[mode], "COLUMNS": str(width), "NO_COLOR": "1"}  # in colour, half-blocks draw 28 columns
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
    show = ansi.sub("", runner.invoke(cli, ["show", "0", "--data-dir", str(data_dir)], env=env).stdout)
    predict = ansi.sub("", runner.invoke(cli, ["predict", "0", "--data-dir", str(data_dir)], env=env).stdout)
    for text in (show, predict):
        assert_nothing_cut(text.split("weights:")[0].split("test images:")[0], width)
    if width == 40:  # half resolution: 14 rows of 28 characters
        drawn = show.splitlines()[1:15]
        assert all(len(line.rstrip()) <= 28 for line in drawn) and sum(bool(line.strip()) for line in drawn) >= 8
        assert "prediction 7" in predict and "99.7%" in predict
    else:
        assert "no picture: it needs 28 columns, the output has 20" in " ".join(show.split())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "env",
    [{"COLUMNS": "0"}, {"COLUMNS": "1"}, {"COLUMNS": "-3"}, {"COLUMNS": "\u00b2"}, {"COLUMNS": "9" * 5000},
     {"COLUMNS": "99999999999"}, {"LINES": "\u00b2"}, {"LINES": "0", "COLUMNS": " 80"}],
    ids=["0", "1", "negative", "superscript", "5000-digits", "huge", "lines-superscript", "lines-0"],
)  # fmt: skip
def test_any_terminal_size_still_shows_everything(runner: CliRunner, data_dir: Path, mode: str, env: dict) -> None:
    """$COLUMNS and $LINES as a user or a broken terminal may set them: never nothing, never an internal error."""
    env = {**MODES[mode], "COLUMNS": None, **env}
    for args, words in (
        (["toy"], "0.59374093"),
        (["predict", "0"], "prediction 7"),
        (["show", "0"], "label 7"),
        (["evaluate", "--limit", "100"], "0.96"),
    ):
        result = runner.invoke(cli, [*args, "--data-dir", str(data_dir)] if args[0] != "toy" else args, env=env)
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout)
        assert result.exit_code == 0 and words in " ".join(text.split()), (args, result.output)


def on_a_terminal(args: list[str], columns: str, cwd: Path) -> tuple[int, str]:
    """``mnist-infer ARGS`` on a pseudo-terminal 80 columns wide, ``$COLUMNS`` set: its exit status and output."""
    import fcntl
    import select
    import struct
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "COLUMNS": columns}
    command = [sys.executable, "-m", "mnist_infer", *args]
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    output = b""
    while select.select([leader], [], [], 60)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is gone: the process ended
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(timeout=60), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode("utf-8", "replace"))


@pytest.mark.slow
def test_columns_0_on_a_real_terminal(data_dir: Path, tmp_path: Path) -> None:
    """COLUMNS=0 on a terminal (and train's in a pipe): every command shows what it computed (each once printed
    nothing, and exited 0)."""
    from conftest import mnist_like_split
    from strokes import DIGITS, render

    mnist_like_split(data_dir, "train", 0, 300)
    (tmp_path / "seven.png").write_bytes(render(DIGITS[7]))
    data = ["--data-dir", str(data_dir)]
    for args, words in (
        (["toy"], "0.59374093"),
        (["show", "0", *data], "label 7"),
        (["predict", "0", *data], "prediction 7"),
        (["evaluate", "--limit", "100", *data], "0.96"),
        (["predict", "--image", "seven.png", *data], "prediction 7"),
        (["download", "--split", "test", "--no-weights", "--data-dir", "fetched"], "t10k-labels-idx1-ubyte.gz"),
        (["train", "--epochs", "1", "--out", "w.npz", *data], "Saved w.npz"),
    ):
        status, output = on_a_terminal(args, "0", tmp_path)
        # At 20 columns a name longer than the width is folded over two lines: still all there.
        assert status == 0 and "".join(words.split()) in "".join(output.split()), (args, output)
    # train drew with Rich in a pipe too
    command = [sys.executable, "-m", "mnist_infer", "train", "--epochs", "1", "--out", "piped.npz", *data]
    piped = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "0"})
    assert piped.returncode == 0 and "Saved piped.npz" in " ".join(piped.stdout.split()), piped.stdout


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch, encoding: str = "ascii") -> tuple[int, str, str]:
    """``mnist-infer ARGS`` in process, as `main()` runs it, with stdout and stderr in ``encoding``."""
    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "argv", ["mnist-infer", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    for stream in (out, err):
        stream.flush()
    return code, out.buffer.getvalue().decode(encoding), err.buffer.getvalue().decode(encoding)


@pytest.mark.parametrize(
    "args",
    [
        ["toy"],
        ["predict", "8", "1"],
        ["evaluate", "--limit", "100"],
        ["download", "--split", "test", "--weights", "sample_weight.pkl"],
        ["show", "0", "--save", "DIR/seven.png"],
        ["predict", "--image", "DIR/missing.png"],
        ["predict", "99999"],
        ["predict", "--image", "DIR/seven.png", "--show-input"],
        ["show"],
    ],
    ids=[
        "toy",
        "predict",
        "evaluate",
        "download",
        "show-save",
        "error",
        "error-with-a-dash",
        "picture-captions",
        "usage-error",
    ],
)
def test_ascii_terminal_gets_ascii_never_a_crash(args, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MNIST_INFER_HOME", str(tmp_path))
    args = [arg.replace("DIR", str(tmp_path)) for arg in args]
    if "--show-input" in args:
        from strokes import DIGITS, render

        (tmp_path / "seven.png").write_bytes(render(DIGITS[7]))
    code, out, err = run_main(args, monkeypatch)
    assert "UnicodeEncodeError" not in err and "internal error" not in err and "Traceback" not in err
    if args[-1].endswith("missing.png"):
        assert code == 1 and err.startswith("Error: ") and "no such image file" in err
        return
    if args == ["show"]:  # Click's own usage error, its "…" made ASCII too
        assert code == 2 and err.strip().endswith("Error: give INDEX... or --mean"), err
        return
    if args[-1] == "99999":  # Click writes UTF-8 into an ASCII stderr: the en dash of "0–9999" made ASCII first
        assert code == 1 and err.startswith("Error: ") and "(0-9999)" in err
        return
    assert code == 0, err
    assert out.isascii() and out.strip()
    if args[:2] == ["predict", "8"]:
        assert "prediction 6  label 5 wrong" in out and "#####" in out
    if "--show-input" in args:
        assert "what the network sees (28x28)" in out
    if args[0] == "show":
        assert "saved 1 digit to" in out and "280x280 pixels" in out


def test_latin1_terminal_gets_no_block_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_main(["predict", "8"], monkeypatch, encoding="latin-1")
    assert code == 0 and "█" not in out and "95.0%" in out


@pytest.mark.slow
def test_ctrl_c_exits_130_and_keeps_the_part_file(tmp_path: Path) -> None:
    name = "t10k-images-idx3-ubyte.gz"
    state = faulty_server.FaultyServer()
    state.files[f"/m/{name}"] = packaged(name).read_bytes()
    state.fail(f"/m/{name}", ("stall", 30.0))  # a third of the file, then nothing
    httpd, _ = faulty_server.start(state)
    try:
        args = ["download", "--split", "test", "--no-weights", "--only-mirrors", "--mirror", f"{state.url}/m/"]
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_infer", *args, "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        part = tmp_path / f"{name}.part"
        deadline = time.monotonic() + 20
        while not (part.exists() and part.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "Interrupted."
    assert part.stat().st_size > 0 and not (tmp_path / name).exists()


def state(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent (Linux's /proc), or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def workers_of(pid: int) -> list[int]:
    """The processes ``pid`` forked that are still running."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        now = state(int(entry.name))
        if now is not None and now[1] == pid and now[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not inference.FORKS, reason="worker processes only where the system forks (Linux)")
@pytest.mark.skipif(len(getattr(os, "sched_getaffinity", lambda _: [0, 1])(0)) < 2, reason="one processor, one worker")
@pytest.mark.parametrize(
    ("to", "stop"), [("group", signal.SIGINT), ("parent", signal.SIGINT), ("parent", signal.SIGTERM)]
)
def test_stopping_the_command_stops_its_worker_processes(to: str, stop: signal.Signals) -> None:
    """A terminal sends Ctrl-C to every process of the command (the group); ``kill -INT`` or ``kill -TERM`` (a
    supervisor, ``Popen.terminate()``) to one alone. A copy left running would hold the caller's pipes open."""
    args = ["evaluate", "--weights", "deep_convnet_params.pkl"]
    args += ["--robustness"] if stop == signal.SIGINT else []  # many passes; one pass is a second of work to stop
    env = {name: value for name, value in os.environ.items() if name not in BLAS_THREADS}  # one worker if set
    process = subprocess.Popen([sys.executable, "-m", "mnist_infer", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)  # fmt: skip
    deadline, workers = time.monotonic() + 30, []
    while not workers and time.monotonic() < deadline and process.poll() is None:
        workers = workers_of(process.pid)
        time.sleep(0.01)
    assert workers, "no worker process seen"
    if to == "group":
        os.killpg(process.pid, stop)
    else:
        process.send_signal(stop)
    process.wait(timeout=30)  # not communicate(): a worker left running would hold the pipes open until it ends
    time.sleep(0.05)
    left = [pid for pid in workers if state(pid) not in (None, ("Z", 1))]  # gone, or a zombie no one waits for
    _, stderr = process.communicate(timeout=30)
    if stop == signal.SIGINT:
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "Interrupted."
    else:
        assert process.returncode == -stop, stderr
    assert not left, f"worker processes still running after the command ended: {left}"


def test_experiment_rows_go_above_its_progress_bar_on_a_terminal(data_dir: Path, tmp_path: Path) -> None:
    """Each row is written above the bar, which Rich redraws under it (rows once landed on the bar's own line)."""
    from conftest import mnist_like_split

    mnist_like_split(data_dir, "train", 0, 2000)
    status, output = on_a_terminal(
        ["experiment", "batch-norm", "--quick", "--data-dir", str(data_dir)], "100", tmp_path
    )
    bars = [line for line in re.split(r"[\r\n]", output) if "━" in line]
    assert status == 0 and bars, output  # the bar was drawn (it shows after a moment)
    assert not [line for line in bars if re.search(r"\d\.\d{4}", line)], output
    assert "the book's conclusion holds" in output or "does not hold" in output


def test_a_pipe_gets_no_control_character_and_a_name_with_a_newline_keeps_its_row() -> None:
    """File names reach the views as they are: in a pipe, a carriage return must not move the cursor back over a line,
    a tab is spaces (as Rich shows them), and a newline in a table's cell must not break its row."""
    from mnist_infer.views import Table, Text
    from mnist_infer.views.plain import draw

    out = io.StringIO()
    rows = [["w/nl\nw.pkl", "0.9352"], ["sample_weight.pkl", "0.9352"]]
    draw([Text("imgs/x\ry.png\tprediction 7"), Table("", ["weights", "accuracy"], rows, frozenset({1}))], out, 100)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and lines[0] == "imgs/xy.png     prediction 7"
    assert len(lines) == 4 and lines[2].startswith("w/nl w.pkl ") and len({len(line) for line in lines[1:]}) == 1
