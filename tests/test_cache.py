"""The parse cache: .npy files beside the data, memory-mapped, rebuilt when stale or corrupt, never half-written."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import mnist_infer.idx
from conftest import synthetic_split
from mnist_infer.data import load_split
from mnist_infer.idx import write_idx
from mnist_infer.parsecache import CACHE_DIR_NAME


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files the IDX parser actually reads."""
    calls: list[str] = []
    real_images, real_labels = mnist_infer.idx.read_images, mnist_infer.idx.read_labels

    def images(path):
        calls.append(Path(path).name)
        return real_images(path)

    def labels(path):
        calls.append(Path(path).name)
        return real_labels(path)

    monkeypatch.setattr(mnist_infer.idx, "read_images", images)
    monkeypatch.setattr(mnist_infer.idx, "read_labels", labels)
    return calls


def cache_files(directory: Path) -> list[str]:
    return (
        sorted(p.name for p in (directory / CACHE_DIR_NAME).glob("*")) if (directory / CACHE_DIR_NAME).exists() else []
    )


def test_second_load_maps_the_cache_without_parsing(tmp_path: Path, parses: list[str]) -> None:
    images, labels = synthetic_split(tmp_path, "train", 40)
    first = load_split("train", tmp_path)
    assert parses == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    size = (tmp_path / "train-images-idx3-ubyte.gz").stat().st_size
    names = cache_files(tmp_path)
    assert len(names) == 2 and names[0].startswith(f"train-images-idx3-ubyte.gz.{size}-")
    second = load_split("train", tmp_path)
    assert len(parses) == 2  # nothing parsed again
    assert isinstance(second.images, np.memmap) and not second.images.flags.writeable
    np.testing.assert_array_equal(second.images, images)
    np.testing.assert_array_equal(second.labels, labels)
    np.testing.assert_array_equal(first.images, second.images)


def test_changed_source_rebuilds_the_cache(tmp_path: Path, parses: list[str]) -> None:
    synthetic_split(tmp_path, "train", 40, seed=1)
    load_split("train", tmp_path)
    images, _ = synthetic_split(tmp_path, "train", 40, seed=2)  # same size, new content
    path = tmp_path / "train-images-idx3-ubyte.gz"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    reloaded = load_split("train", tmp_path)
    np.testing.assert_array_equal(reloaded.images, images)
    assert parses.count("train-images-idx3-ubyte.gz") == 2
    assert len([n for n in cache_files(tmp_path) if n.startswith("train-images")]) == 1  # the stale one is gone


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"garbage"),
        lambda p: p.write_bytes(p.read_bytes()[:-100]),
        lambda p: p.write_bytes(b""),
        lambda p: np.save(p, np.zeros(5, np.uint8)),  # valid .npy, wrong shape
        lambda p: np.save(p, np.zeros((40, 28, 28), np.float32)),  # wrong dtype
    ],
    ids=["garbage", "truncated", "empty", "wrong-shape", "wrong-dtype"],
)
def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path, parses: list[str], damage) -> None:
    images, _ = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    (cache,) = (tmp_path / CACHE_DIR_NAME).glob("train-images*.npy")
    damage(cache)
    np.testing.assert_array_equal(load_split("train", tmp_path).images, images)
    assert parses.count("train-images-idx3-ubyte.gz") == 2
    np.testing.assert_array_equal(np.load(cache), images)  # rebuilt


def test_cached_labels_out_of_range_are_not_trusted(tmp_path: Path, parses: list[str]) -> None:
    _, labels = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    (cache,) = (tmp_path / CACHE_DIR_NAME).glob("train-labels*.npy")
    np.save(cache, np.full(40, 12, np.uint8))
    np.testing.assert_array_equal(load_split("train", tmp_path).labels, labels)


def test_cache_is_never_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synthetic_split(tmp_path, "train", 40)

    def failing_save(file, array, allow_pickle=False):
        file.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", failing_save)
    dataset = load_split("train", tmp_path)  # works, uncached
    assert dataset.images.shape == (40, 28, 28)
    assert cache_files(tmp_path) == []  # neither a final name nor a temporary file is left


def test_read_only_data_directory_is_left_alone(tmp_path: Path, isolated_home: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    images, _ = synthetic_split(data, "train", 40)
    data.chmod(0o555)
    try:
        before = sorted(p.name for p in data.iterdir())
        for _ in range(2):
            np.testing.assert_array_equal(load_split("train", data).images, images)
        assert sorted(p.name for p in data.iterdir()) == before
        fallback = list((isolated_home / "cache" / "mnist-infer" / CACHE_DIR_NAME).rglob("*.npy"))
        assert len(fallback) == 2  # the cache went to the user cache instead
    finally:
        data.chmod(0o755)


def test_nowhere_writable_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    images, _ = synthetic_split(data, "train", 40)
    readonly_home = tmp_path / "home"
    readonly_home.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(readonly_home))
    data.chmod(0o555)
    readonly_home.chmod(0o555)
    try:
        for _ in range(2):
            np.testing.assert_array_equal(load_split("train", data).images, images)
        assert list(readonly_home.iterdir()) == [] and CACHE_DIR_NAME not in os.listdir(data)
    finally:
        data.chmod(0o755)
        readonly_home.chmod(0o755)


def test_reference_data_read_through_links_caches_beside_the_links(data_dir: Path) -> None:
    first = load_split("test", data_dir)
    second = load_split("test", data_dir)
    assert isinstance(second.images, np.memmap)
    np.testing.assert_array_equal(first.images, second.images)
    assert len(cache_files(data_dir)) == 2


def test_write_idx_then_cache_round_trip_for_plain_files(tmp_path: Path) -> None:
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8))
    for _ in range(2):
        np.testing.assert_array_equal(load_split("test", tmp_path).labels, labels)
