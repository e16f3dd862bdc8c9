"""Shared fixtures: the reference data in ../shared, temporary data directories, IDX files the tests write."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mnist_infer.idx import write_idx

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MNIST_INFER_TEST_DATA") or ROOT.parent / "shared")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

SHARED_FILES = {
    "t10k-images-idx3-ubyte.gz": "mnist/t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz": "mnist/t10k-labels-idx1-ubyte.gz",
    "train-labels-idx1-ubyte.gz": "mnist/train-labels-idx1-ubyte.gz",
    "sample_weight.pkl": "weights/sample_weight.pkl",
}

#: Figures from ../shared/README.md that the reference files must reproduce.
BOOK_CORRECT = 9352
TEST_TOTAL = 10_000
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
FIRST_TEST_PREDICTIONS = [7, 2, 1, 0, 4, 1, 4, 9, 6, 9]


def fuzz_examples(in_ci: int) -> int:
    """How many examples a property-based test tries: all of them in CI, a third in a quick local run."""
    return in_ci if IN_CI else max(50, in_ci // 3)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow (CI=true runs them)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow (seconds each: a real browser, a wheel build, real timeouts) run in CI, or with
    --run-slow, or when -m names them; elsewhere they are skipped, so that the suite stays quick to run."""
    if IN_CI or config.getoption("--run-slow") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI (CI=true) or with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the hostile-file runner now, beside the tests that come before it (see tests/test_hostile.py)."""
    import sys

    module = sys.modules.get("test_hostile")
    wanted = [item for item in session.items if item.module is module and "run" in getattr(item, "fixturenames", ())]
    if module is None or not wanted or not (SHARED / "mnist").is_dir() or session.config.getoption("collectonly"):
        return
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="mnist-infer-hostile-"))
    session.config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))
    started = module.start(root)
    session.config.add_cleanup(lambda: started.process.kill() if started.process.poll() is None else None)
    module.STARTED.append(started)


def shared_path(relative: str) -> Path:
    """A file of ../shared; skips the test when it is absent, except under CI where that is a failure."""
    path = SHARED / relative
    if not path.is_file():
        message = f"reference data {path} is absent (set MNIST_INFER_TEST_DATA to the shared directory)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user cache: the default data directory is an empty temporary one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("MNIST_INFER_HOME", raising=False)
    monkeypatch.delenv("MNIST_INFER_MIRRORS", raising=False)
    monkeypatch.delenv("MNIST_INFER_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return home


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding links to the reference files under their canonical names."""
    directory = tmp_path / "data"
    directory.mkdir()
    for name, relative in SHARED_FILES.items():
        (directory / name).symlink_to(shared_path(relative))
    return directory


@pytest.fixture
def weights_file(data_dir: Path) -> Path:
    return data_dir / "sample_weight.pkl"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def copy_shared(relative: str, destination: Path) -> Path:
    """A writable copy of a reference file (for tests that damage or touch it)."""
    return Path(shutil.copyfile(shared_path(relative), destination))


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
