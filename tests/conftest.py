"""Shared fixtures: data directories made of the package's own copies, the reference data in ../shared for what the
package does not ship (the train split, the chapter 7 weights, the 2022 re-uploads), and IDX files the tests write.

A fresh clone without ../shared runs nearly every test: the package ships the MNIST test split,
``sample_weight.pkl`` and the 2016 ``deep_convnet_params.pkl``. Tests of the rest skip without ../shared (under
``CI=true`` they fail instead).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from mnist_infer.catalog import BLAS_THREADS

for _name in BLAS_THREADS:  # BLAS on one thread before numpy loads, as the command line sets it: the worker tests fork
    os.environ.setdefault(_name, "1")

import numpy as np
import pytest
from click.testing import CliRunner

from mnist_infer.data.idx import write_idx
from mnist_infer.paths import packaged_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MNIST_INFER_TEST_DATA") or ROOT.parent / "shared")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

#: Figures from ../shared/README.md that the book's files must reproduce with the book's own code.
BOOK_CORRECT = 9352
TEST_TOTAL = 10_000
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
FIRST_TEST_PREDICTIONS = [7, 2, 1, 0, 4, 1, 4, 9, 6, 9]
CNN_FIRST_PREDICTIONS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def fuzz_examples(in_ci: int) -> int:
    """How many examples a property-based test tries: all of them in CI, a third in a quick local run."""
    return in_ci if IN_CI else max(50, in_ci // 3)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow (CI=true runs them)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow (seconds each: a real browser, a wheel build, real timeouts) run in CI, or with --run-slow,
    or when -m names them; elsewhere they are skipped, so that the suite stays quick to run."""
    if IN_CI or config.getoption("--run-slow") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI (CI=true) or with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def shared_path(relative: str) -> Path:
    """A file of ../shared (one the package does not ship); skips the test when it is absent, except in CI."""
    path = SHARED / relative
    if not path.is_file():
        message = f"reference data {path} is absent (set MNIST_INFER_TEST_DATA to the shared directory)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def packaged(name: str) -> Path:
    """The package's own copy of a file (the test split, sample_weight.pkl, deep_convnet_params.pkl)."""
    path = packaged_file(name)
    assert path is not None, f"{name} is not packaged"
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user cache: the default data directory is an empty temporary one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for name in ("MNIST_INFER_HOME", "MNIST_INFER_MIRRORS", "MNIST_INFER_DEBUG", "MNIST_INFER_LANG", "LANGUAGE",
                 "NO_COLOR", "FORCE_COLOR", "COLUMNS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding copies of the packaged test split and the book's sample_weight.pkl."""
    directory = tmp_path / "data"
    directory.mkdir()
    for name in (*TEST_FILES, "sample_weight.pkl"):
        shutil.copyfile(packaged(name), directory / name)
    return directory


@pytest.fixture
def weights_file(data_dir: Path) -> Path:
    return data_dir / "sample_weight.pkl"


@pytest.fixture
def train_dir(tmp_path: Path) -> Path:
    """A data directory with MNIST's real training split (from ../shared) beside the packaged test split."""
    directory = tmp_path / "train-data"
    directory.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (directory / name).symlink_to(shared_path(f"mnist/{name}"))
    for name in TEST_FILES:
        shutil.copyfile(packaged(name), directory / name)
    return directory


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def copy_packaged(name: str, destination: Path) -> Path:
    """A writable copy of a packaged file (for tests that damage or touch it)."""
    return Path(shutil.copyfile(packaged(name), destination))


def synthetic_split(
    directory: Path, prefix: str, count: int, seed: int = 0, gz: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Write an images and a labels IDX file of ``count`` random digits; returns what was written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


def mnist_like_split(directory: Path, prefix: str, start: int, count: int) -> None:
    """Real digits under a split's names: ``count`` packaged test images from ``start`` (a train split for tests
    that learn, without ../shared)."""
    from mnist_infer.data import load_split

    images, labels = load_split("test")
    write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", np.asarray(images[start : start + count]))
    write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", np.asarray(labels[start : start + count]))


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve a host other than loopback fails the test: no test may touch the internet."""
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1", None):
            raise AssertionError(f"a test tried to reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Writes beyond ``limit`` bytes fail with EFBIG, as a full disk makes them fail with ENOSPC."""
    import resource
    import signal

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error from write(), not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
