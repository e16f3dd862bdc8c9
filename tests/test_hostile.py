"""Hostile files: weights that would run code, broken data files, each met with one clear error.

In process through the CLI for every file; in a subprocess under a memory limit (RLIMIT_AS) for every data file
and for the weights whose claims could make a loader allocate.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from conftest import shared_path
from mnist_infer.cli import cli
from mnist_infer.errors import DataFileError, UnsafeWeightsError, WeightsError
from mnist_infer.idx import read_images
from mnist_infer.safepickle import loads_arrays
from mnist_infer.weights import load_weights

MEMORY_LIMIT = 768 * 1024 * 1024  #: address space for one CLI run; a normal evaluate peaks under 60 MiB RSS


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "payload-ran"
    yield path
    assert not path.exists(), "a payload in a weights file ran"


def assert_one_error(result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --- weights ------------------------------------------------------------------------------------------------

MALICIOUS = sorted(hostile.malicious_weights(Path("/m")))
WRONG = sorted(hostile.wrong_weights())


@pytest.mark.parametrize("name", MALICIOUS)
def test_malicious_weights_are_refused_and_never_run(
    name: str, marker: Path, data_dir: Path, runner: CliRunner
) -> None:
    path = data_dir.parent / name
    path.write_bytes(hostile.malicious_weights(marker)[name])
    with pytest.raises(UnsafeWeightsError):
        load_weights(path)
    result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(path)])
    assert_one_error(result, str(path), "holds something other than numeric arrays")
    result = runner.invoke(cli, ["predict", "0", "--data-dir", str(data_dir), "--weights", str(path), "--json"])
    assert_one_error(result, str(path), "nothing in it was run")


@pytest.mark.parametrize("name", WRONG)
def test_wrong_weights_say_what_is_wrong(name: str, data_dir: Path, runner: CliRunner) -> None:
    content, words = hostile.wrong_weights()[name]
    path = data_dir.parent / name
    path.write_bytes(content)
    with pytest.raises(WeightsError) as info:
        load_weights(path)
    assert not isinstance(info.value, UnsafeWeightsError)
    result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(path)])
    assert_one_error(result, str(path), words)


def test_files_that_are_not_regular_files(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block until someone writes
    for path in (fifo, Path("/dev/zero")):
        if path.exists():
            with pytest.raises(WeightsError, match="not a regular file"):
                load_weights(path)
            with pytest.raises(DataFileError, match="not a regular file"):
                read_images(path)
            result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(path)])
            assert_one_error(result, str(path), "not a regular file")
    result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(tmp_path)])
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


# --- data files ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_test_files() -> tuple[bytes, bytes]:
    return (
        gzip.decompress(shared_path("mnist/" + hostile.IMAGES).read_bytes()),
        gzip.decompress(shared_path("mnist/" + hostile.LABELS).read_bytes()),
    )


@pytest.fixture(scope="module")
def broken(real_test_files) -> dict[str, tuple[str, bytes, str]]:
    return hostile.broken_data(*real_test_files)


def broken_dir(root: Path, case: str, broken: dict) -> tuple[Path, Path, str]:
    """A data directory where one file of the test split is replaced by the broken one."""
    replaced, content, words = broken[case]
    directory = root / case
    directory.mkdir()
    for name in (hostile.IMAGES, hostile.LABELS):
        if name == replaced:
            (directory / name).write_bytes(content)
        else:
            (directory / name).symlink_to(shared_path("mnist/" + name))
    (directory / "sample_weight.pkl").symlink_to(shared_path("weights/sample_weight.pkl"))
    return directory, directory / replaced, words


BROKEN = sorted(hostile.broken_data(b"\0" * 16 + bytes(784), b"\0" * 8 + bytes(1)))


@pytest.mark.parametrize("case", BROKEN)
def test_broken_data_files_end_in_one_error(case: str, broken, tmp_path: Path, runner: CliRunner) -> None:
    directory, damaged, words = broken_dir(tmp_path, case, broken)
    for command in (["evaluate"], ["predict", "0"], ["show", "0"]):
        result = runner.invoke(cli, [*command, "--data-dir", str(directory)])
        assert_one_error(result, str(damaged), words)


def run_limited(args: list[str]) -> subprocess.CompletedProcess:
    """``mnist-infer ARGS`` in a fresh interpreter whose address space is capped at MEMORY_LIMIT."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
        sys.argv = ["mnist-infer", *{args!r}]
        from mnist_infer.cli import main
        main()
    """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("case", BROKEN)
def test_broken_data_under_a_memory_limit(case: str, broken, tmp_path: Path) -> None:
    directory, damaged, words = broken_dir(tmp_path, case, broken)
    result = run_limited(["evaluate", "--json", "--data-dir", str(directory)])
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and str(damaged) in result.stderr
    assert words in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("name", MALICIOUS + WRONG)
def test_weights_under_a_memory_limit(name: str, marker: Path, data_dir: Path) -> None:
    if name in hostile.wrong_weights():
        content, words = hostile.wrong_weights()[name]
    else:
        content, words = hostile.malicious_weights(marker)[name], "holds something other than numeric arrays"
    path = data_dir.parent / name
    path.write_bytes(content)
    result = run_limited(["evaluate", "--data-dir", str(data_dir), "--weights", str(path)])
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}") and words in result.stderr


def test_a_valid_run_fits_in_the_memory_limit(data_dir: Path) -> None:
    result = run_limited(["evaluate", "--json", "--data-dir", str(data_dir)])
    assert result.returncode == 0, result.stderr
    assert '"correct": 9352' in result.stdout


# --- property-based: the weights loader never raises anything but WeightsError --------------------------------

fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID_PICKLES = [
    pickle.dumps({"W": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3)}, protocol=p)
    for p in range(pickle.HIGHEST_PROTOCOL + 1)
]


def _load_any(data: bytes) -> None:
    try:
        result = loads_arrays(data, "fuzz.pkl")
    except WeightsError:
        return
    if isinstance(result, dict):
        for value in result.values():
            if isinstance(value, np.ndarray):
                assert value.dtype.kind in "biuf"


@fuzz
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_as_a_pickle(data: bytes) -> None:
    _load_any(data)


@fuzz
@given(
    base=st.sampled_from(VALID_PICKLES),
    edits=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 600)),
)
def test_mutated_pickles(base: bytes, edits, cut) -> None:
    data = bytearray(base)
    for position, value in edits:
        if position < len(data):
            data[position] = value
    _load_any(bytes(data[:cut]) if cut is not None else bytes(data))


@fuzz
@given(edits=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=6))
def test_mutated_npz(tmp_path: Path, edits) -> None:
    path = tmp_path / "w.npz"
    np.savez(path, W=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.ones(3))
    data = bytearray(path.read_bytes())
    for position, value in edits:
        if position < len(data):
            data[position] = value
    path.write_bytes(bytes(data))
    with contextlib.suppress(WeightsError):
        load_weights(path)


# --- images ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(hostile.bad_images()))
def test_bad_images_under_a_memory_limit(name: str, data_dir: Path) -> None:
    content, words = hostile.bad_images()[name]
    path = data_dir.parent / name
    path.write_bytes(content)
    result = run_limited(["predict", "--image", str(path), "--data-dir", str(data_dir)])
    assert result.returncode == 1 and result.stdout == "", result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}: ") and words in result.stderr
