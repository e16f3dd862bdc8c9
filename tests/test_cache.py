"""The parse cache: .npy files beside the data, memory-mapped, rebuilt when stale, corrupt or rewritten, never
half-written, and never able to change an answer."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import file_size_limit, packaged, synthetic_split
from mnist_infer.data import idx, load_split
from mnist_infer.data.cache import CACHE_DIR_NAME, npy_header
from mnist_infer.data.idx import write_idx


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files the IDX parser actually reads."""
    calls: list[str] = []
    real_images, real_labels = idx.read_images, idx.read_labels

    def images(path):
        calls.append(Path(path).name)
        return real_images(path)

    def labels(path):
        calls.append(Path(path).name)
        return real_labels(path)

    monkeypatch.setattr(idx, "read_images", images)
    monkeypatch.setattr(idx, "read_labels", labels)
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


def test_cache_is_never_half_written(tmp_path: Path) -> None:
    synthetic_split(tmp_path, "train", 40)
    with file_size_limit(20_000):  # the images cache (31 kB) fails midway, as on a full disk
        dataset = load_split("train", tmp_path)  # works, uncached
    assert dataset.images.shape == (40, 28, 28)
    # Neither a final name nor a temporary file is left for the images; the labels' small cache was written.
    assert [n for n in cache_files(tmp_path) if n.startswith("train-images")] == []
    assert len(cache_files(tmp_path)) == 1


# --- a cache rewritten by someone else can never change an answer -------------------------------------------


def _images_cache(directory: Path) -> Path:
    (cache,) = (directory / CACHE_DIR_NAME).glob("train-images*.npy")
    return cache


def _cut(cache: Path, count: int) -> None:
    data = np.load(cache)
    np.save(cache, data[:count])


REWRITES = {
    "digits-reversed": lambda cache, other: np.save(cache, np.load(cache)[::-1]),
    "digits-shifted-by-one": lambda cache, other: np.save(cache, np.roll(np.load(cache), 1, axis=0)),
    "fortran-header-over-c-bytes": lambda cache, other: cache.write_bytes(
        cache.read_bytes().replace(b"'fortran_order': False", b"'fortran_order': True ")
    ),
    "link-to-another-valid-npy": lambda cache, other: (cache.unlink(), cache.symlink_to(other)),
    "cut-to-half": lambda cache, other: _cut(cache, 20),
    "one-pixel-changed": lambda cache, other: cache.write_bytes(cache.read_bytes()[:-1] + b"\x07"),
}


@pytest.mark.parametrize("rewrite", REWRITES)
def test_a_rewritten_cache_is_parsed_again(tmp_path: Path, parses: list[str], rewrite: str) -> None:
    images, labels = synthetic_split(tmp_path, "train", 40, seed=3)
    load_split("train", tmp_path)
    other = tmp_path / "other.npy"
    np.save(other, np.random.default_rng(9).integers(0, 256, (40, 28, 28), dtype=np.uint8))
    REWRITES[rewrite](_images_cache(tmp_path), other)
    reloaded = load_split("train", tmp_path)
    np.testing.assert_array_equal(reloaded.images, images)
    np.testing.assert_array_equal(reloaded.labels, labels)
    assert parses.count("train-images-idx3-ubyte.gz") == 2  # parsed again from the source
    cache = _images_cache(tmp_path)
    assert not cache.is_symlink()
    np.testing.assert_array_equal(np.load(cache), images)  # and the cache rewritten
    assert other.read_bytes()[-784:] != images[-1].tobytes()  # a link's target is never written


def test_both_caches_cut_to_the_same_count_are_refused(tmp_path: Path, parses: list[str]) -> None:
    _, labels = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    for cache in (tmp_path / CACHE_DIR_NAME).glob("*.npy"):
        _cut(cache, 25)  # consistent with each other, not with the sources' headers
    dataset = load_split("train", tmp_path)
    assert len(dataset) == 40 and parses.count("train-labels-idx1-ubyte.gz") == 2
    np.testing.assert_array_equal(dataset.labels, labels)


@pytest.mark.parametrize("claimed", [(50_000_000, 28, 28), (4_000_000_000,)], ids=["50-million-images", "4-GB"])
def test_a_sparse_cache_claiming_gigabytes_is_never_read(tmp_path: Path, parses: list[str], claimed) -> None:
    images, _ = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    cache = _images_cache(tmp_path)
    header = npy_header(claimed)
    with open(cache, "wb") as f:
        f.write(header)
        f.truncate(len(header) + int(np.prod(claimed)))  # sparse: costs no disk
    np.testing.assert_array_equal(load_split("train", tmp_path).images, images)
    assert parses.count("train-images-idx3-ubyte.gz") == 2


def test_a_cache_owned_by_another_user_is_not_trusted(tmp_path: Path, parses: list[str]) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    images, _ = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    cache = _images_cache(tmp_path)
    os.chown(cache, 12345, 12345)  # same bytes, valid in every other way: still someone else's file
    np.testing.assert_array_equal(load_split("train", tmp_path).images, images)
    assert parses.count("train-images-idx3-ubyte.gz") == 2
    assert _images_cache(tmp_path).stat().st_uid == 0  # replaced by our own


def test_a_cache_directory_that_is_a_link_is_not_followed(tmp_path: Path, isolated_home: Path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    data.mkdir()
    elsewhere.mkdir()
    images, _ = synthetic_split(data, "train", 40)
    (data / CACHE_DIR_NAME).symlink_to(elsewhere)  # planted in a shared data directory
    for _ in range(2):
        np.testing.assert_array_equal(load_split("train", data).images, images)
    assert list(elsewhere.iterdir()) == []
    assert len(list((isolated_home / "cache" / "mnist-infer" / CACHE_DIR_NAME).rglob("*.npy"))) == 2


def test_a_multi_member_gzip_is_read_but_not_cached(tmp_path: Path, parses: list[str]) -> None:
    images, _ = synthetic_split(tmp_path, "train", 40)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[:1000]) + gzip.compress(content[1000:]))  # its trailer: the last part's
    for _ in range(2):
        np.testing.assert_array_equal(load_split("train", tmp_path).images, images)
    assert parses.count("train-images-idx3-ubyte.gz") == 2
    assert not [n for n in cache_files(tmp_path) if n.startswith("train-images")]


def test_the_cache_is_a_plain_npy_file(tmp_path: Path) -> None:
    images, _ = synthetic_split(tmp_path, "train", 40)
    load_split("train", tmp_path)
    np.testing.assert_array_equal(np.load(_images_cache(tmp_path)), images)  # numpy reads what we write
    assert len(npy_header((40, 28, 28))) % 64 == 0


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


def test_copies_of_the_packaged_split_are_cached_beside_them(data_dir: Path) -> None:
    first = load_split("test", data_dir)
    second = load_split("test", data_dir)
    assert isinstance(second.images, np.memmap)
    np.testing.assert_array_equal(first.images, second.images)
    assert len(cache_files(data_dir)) == 2


def test_the_packaged_copies_are_cached_in_the_user_cache_never_beside_them(
    tmp_path: Path, isolated_home: Path, parses: list[str]
) -> None:
    first = load_split("test", tmp_path)  # an empty data directory: the package's own copies serve
    second = load_split("test", tmp_path)
    assert parses == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]  # parsed once
    assert isinstance(second.images, np.memmap) and second.images_path == packaged("t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(first.images, second.images)
    assert CACHE_DIR_NAME not in os.listdir(second.images_path.parent) and cache_files(tmp_path) == []
    assert len(list((isolated_home / "cache" / "mnist-infer" / CACHE_DIR_NAME).rglob("*.npy"))) == 2


def test_plain_files_are_read_as_they_are_without_a_cache(tmp_path: Path, parses: list[str]) -> None:
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8))
    for _ in range(2):
        np.testing.assert_array_equal(load_split("test", tmp_path).labels, labels)
    assert len(parses) == 4 and cache_files(tmp_path) == []  # reading them is as fast as any cache
