"""The rules hostile inputs meet, one by one: writes never through a link, reads bounded by what a file holds,
output always valid (strict JSON, finite numbers, one Error line even when stdout fails)."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnist_infer.data.idx import MAX_GZIP_RATIO, MAX_IDX_BYTES, SMALL_PROMISE, inspect, read_images
from mnist_infer.errors import DataFileError, InputError, MnistInferError, UnsafePathError, WeightsError
from mnist_infer.paths import NotRegularFile, open_for_append, open_regular, write_file

# --- writing: atomically, never through a link, never onto anything but a regular file -----------------------


@pytest.mark.parametrize("kind", ["symlink", "dangling-symlink", "fifo", "directory"])
def test_a_name_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    target, victim = tmp_path / "out.png", tmp_path / "victim"
    victim.write_bytes(b"keep")
    {
        "symlink": lambda: target.symlink_to(victim),
        "dangling-symlink": lambda: target.symlink_to(tmp_path / "would-be-created"),
        "fifo": lambda: os.mkfifo(target),
        "directory": lambda: target.mkdir(),
    }[kind]()
    with pytest.raises(UnsafePathError, match=rf"{target}: exists as a .*, not a regular file"):
        write_file(target, b"new")
    assert victim.read_bytes() == b"keep" and not (tmp_path / "would-be-created").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.png", "victim"])  # no temporary left


def test_a_regular_file_is_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    os.link(target, tmp_path / "other-link")
    write_file(target, b"new")
    assert target.read_bytes() == b"new" and (tmp_path / "other-link").read_bytes() == b"old"  # a new inode


def test_appending_only_to_our_own_regular_file(tmp_path: Path) -> None:
    part = tmp_path / "x.part"
    part.write_bytes(b"12345")
    f, held = open_for_append(part)
    with f:
        f.write(b"678")
    assert held == 5 and part.read_bytes() == b"12345678"
    os.link(part, tmp_path / "elsewhere")  # now not ours alone: started over, the other name untouched
    f, held = open_for_append(part)
    with f:
        f.write(b"new")
    assert held == 0 and part.read_bytes() == b"new" and (tmp_path / "elsewhere").read_bytes() == b"12345678"
    part.unlink()
    part.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError, match="exists as a symbolic link"):
        open_for_append(part)


def test_readers_refuse_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    for path, follow in ((tmp_path / "fifo", True), (tmp_path / "link", True), (tmp_path / "link", False)):
        with pytest.raises(NotRegularFile, match=r"is a (FIFO|symbolic link), not a regular file"):
            open_regular(path, follow=follow)
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "file-link").unlink(missing_ok=True)
    (tmp_path / "file-link").symlink_to(tmp_path / "file")
    f, info = open_regular(tmp_path / "file-link")  # links are followed unless asked not to
    with f:
        assert f.read() == b"x" and stat.S_ISREG(info.st_mode)


# --- IDX: what a header may promise ---------------------------------------------------------------------------


def idx(count: int, body: bytes = b"") -> bytes:
    return bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (count, 28, 28)) + body


def test_inspect_reads_the_header_and_the_trailer_only(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    content = idx(30, images.tobytes())
    (tmp_path / "i.gz").write_bytes(gzip.compress(content))
    source = inspect(tmp_path / "i.gz")
    assert source.count == 30 and source.compressed and source.header.to_bytes() == content[:16]
    import zlib

    assert source.trailer == (zlib.crc32(content), len(content))


def test_a_gzip_file_promising_more_than_it_plausibly_holds(tmp_path: Path) -> None:
    path = tmp_path / "i.gz"
    fits = SMALL_PROMISE // 784  # any file may promise 1 MiB
    path.write_bytes(gzip.compress(idx(fits)))
    assert inspect(path).count == fits
    path.write_bytes(gzip.compress(idx(fits + 1)))
    words = rf"{path}: .*more than a file of .* plausibly holds \(at most {MAX_GZIP_RATIO}× its size if gzipped"
    with pytest.raises(DataFileError, match=words):
        inspect(path)


def test_no_idx_file_holds_more_than_the_bound(tmp_path: Path) -> None:
    count = MAX_IDX_BYTES // 784 + 1
    path = tmp_path / "plain"
    with open(path, "wb") as f:  # exactly what the header promises, in holes
        f.write(idx(count))
        f.truncate(16 + count * 784)
    with pytest.raises(DataFileError, match=f"{MAX_IDX_BYTES:,} bytes in all"):
        read_images(path)


# --- weights: the layout first, then the values ----------------------------------------------------------


def book(h1: int = 50, h2: int = 100, value: float | None = None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"W1": (784, h1), "b1": (h1,), "W2": (h1, h2), "b2": (h2,), "W3": (h2, 10), "b3": (10,)}
    made = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    return {k: np.full(v.shape, value, np.float32) for k, v in made.items()} if value else made


def _many_keys() -> dict[str, np.ndarray]:
    """One array under 100 names: the pickle's memo makes that cheap to write, and it must stay cheap to read."""
    shared = np.arange(100_000, dtype=np.float32)
    return {**book(), **{f"k{i}": shared for i in range(100)}}


@pytest.mark.parametrize(
    "content, words",
    [(lambda: {**book(), "extra": np.zeros(3)}, "unexpected extra"), (_many_keys, "unexpected k0 k1 ")],
    ids=["an-extra-key", "one-array-under-100-keys"],
)
def test_the_layout_is_checked_before_any_array_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content, words: str
) -> None:
    import mnist_infer.weights
    from mnist_infer.weights import read_weights

    def never(*args, **kwargs):
        raise AssertionError("an array was made before the layout was checked")

    monkeypatch.setattr(mnist_infer.weights._Array, "array", never)
    path = tmp_path / "wide.pkl"
    path.write_bytes(pickle.dumps(content(), protocol=2))
    with pytest.raises(WeightsError, match=rf"{path}: .*{words}"):
        read_weights(path)


def test_weights_whose_forward_pass_could_overflow_are_refused() -> None:
    from mnist_infer.model.network import mlp
    from mnist_infer.weights import check_values

    relu = mlp((50, 100), "relu")  # a ReLU passes its input's bound on
    check_values(relu, book(value=1e6), "ok.pkl")  # absurd for a trained network, but bounded: 4e24 at most
    words = r"w\.pkl: W3 and b3 .*could overflow float32 \(a bound on a3's output reaches 3\.9e\+42\)"
    with pytest.raises(WeightsError, match=words):
        check_values(relu, book(value=1e12), "w.pkl")
    check_values(mlp((50, 100)), book(value=1e12), "sigmoid.pkl")  # a sigmoid's output is at most 1: 1e14 at most


def test_an_overflowing_forward_pass_is_an_error_not_a_silent_accuracy() -> None:
    from mnist_infer.inference import classify_images
    from mnist_infer.model.network import Network, mlp

    network = Network(mlp((50, 100)), book(value=3e38))  # built directly: no load-time check
    images = np.full((5, 28, 28), 255, np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning would precede the Error line
        with pytest.raises(InputError, match="the forward pass overflowed"):
            classify_images(network, images)


# --- output: strict JSON, and one Error line when stdout fails ------------------------------------------------


def test_json_output_is_strict() -> None:
    from mnist_infer.views import print_json

    with pytest.raises(MnistInferError, match="not finite"):
        print_json({"accuracy": float("nan")})


def cli_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnist_infer", *args], capture_output=True, text=True, **kwargs)


def assert_one_error_line(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit code 1 and a single ``Error:`` line on stderr that names the problem: no traceback, nothing else."""
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    for word in words:
        assert word in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["toy", "--json"], ["toy"]])
def test_stdout_on_a_full_device(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "mnist_infer", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert_one_error_line(result, "cannot write the output", "no space left on the device")


def test_stdout_closed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mnist_infer", "toy", "--json"],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    assert_one_error_line(result, "standard output is closed")


def test_an_npz_is_read_within_the_size_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mnist_infer.weights
    from mnist_infer.weights import read_weights

    path = tmp_path / "w.npz"
    np.savez_compressed(path, **book(h1=7, h2=3))
    weights = read_weights(path)
    assert weights.params["W2"].shape == (7, 3) and weights.architecture.summary() == "784-7-3-10 sigmoid"
    monkeypatch.setattr(mnist_infer.weights, "MAX_WEIGHTS_BYTES", 100)
    with pytest.raises(WeightsError, match=rf"{path}: larger than the 100 bytes a weights file may have"):
        read_weights(path)


def test_json_of_evaluate_has_finite_numbers_only(tmp_path: Path) -> None:
    from conftest import synthetic_split

    synthetic_split(tmp_path, "t10k", 3)
    result = cli_process("evaluate", "--json", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
