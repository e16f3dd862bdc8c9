"""The test split and the book's weights ship inside the package: the official bytes, found with no network."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnist_infer.catalog import FILES
from mnist_infer.paths import is_packaged, packaged_file

PACKAGED = sorted(name for name, known in FILES.items() if known.packaged_in)


def test_the_test_split_and_the_book_weights_are_packaged() -> None:
    assert PACKAGED == [
        "deep_convnet_params.pkl",
        "sample_weight.pkl",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "params.pkl", "nothing.pkl"):
        assert packaged_file(name) is None


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_bytes_are_the_catalogs(name: str, tmp_path: Path) -> None:
    path = packaged_file(name)
    assert path is not None and is_packaged(path)
    assert not is_packaged(shutil.copyfile(path, tmp_path / name))  # a copy elsewhere is not the package's
    data = path.read_bytes()
    known = FILES[name]
    assert len(data) == known.size
    assert hashlib.sha256(data).hexdigest() == known.sha256 and hashlib.md5(data).hexdigest() == known.md5


@pytest.mark.slow
def test_the_wheel_carries_them_and_stays_small(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    result = subprocess.run([*build, str(root)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("mnist_infer-*.whl")
    assert wheel.stat().st_size <= 4 * 1024 * 1024
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in PACKAGED:
            member = f"{FILES[name].packaged_in.replace('.', '/')}/{name}"
            assert member in names
            assert hashlib.sha256(archive.read(member)).hexdigest() == FILES[name].sha256
