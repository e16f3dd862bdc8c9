"""The IDX parser on files the tests write: valid ones round-trip, every malformed one is a DataFileError."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fuzz_examples
from mnist_infer.data.idx import read_idx, read_images, read_labels, write_idx
from mnist_infer.errors import DataFileError


def idx_bytes(type_code: int, dims: list[int], body: bytes) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + body


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("name", ["x-images-idx3-ubyte.gz", "x-images-idx3-ubyte"])
def test_images_round_trip(tmp_path: Path, images: np.ndarray, name: str) -> None:
    write_idx(tmp_path / name, images)
    loaded = read_images(tmp_path / name)
    assert loaded.dtype == np.uint8 and loaded.shape == (5, 28, 28)
    np.testing.assert_array_equal(loaded, images)


def test_gzip_is_detected_by_content_not_name(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "unpacked-but-actually-gzipped"
    write_idx(path, images, compress=True)
    np.testing.assert_array_equal(read_images(path), images)


def test_labels_round_trip(tmp_path: Path) -> None:
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "l.gz", labels)
    loaded = read_labels(tmp_path / "l.gz")
    assert loaded.dtype == np.uint8 and loaded.shape == (10,)
    np.testing.assert_array_equal(loaded, labels)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_other_idx_types_round_trip_in_native_order(tmp_path: Path, dtype: type) -> None:
    array = np.arange(24, dtype=dtype).reshape(2, 3, 4) - 5
    write_idx(tmp_path / "a.idx", array)
    loaded = read_idx(tmp_path / "a.idx")
    assert loaded.dtype == np.dtype(dtype)  # big-endian on disk, native in memory
    np.testing.assert_array_equal(loaded, array)


def test_empty_split_is_valid(tmp_path: Path) -> None:
    write_idx(tmp_path / "i", np.zeros((0, 28, 28), np.uint8))
    assert read_images(tmp_path / "i").shape == (0, 28, 28)


# --- malformed files: (bytes, words the message must contain) ------------------------------------------------

VALID_BODY = bytes(2 * 28 * 28)
MALFORMED = {
    "empty": (b"", "empty"),
    "short magic": (b"\x00\x00", "truncated header"),
    "wrong magic": (b"\x89PNG\r\n\x1a\n" + bytes(100), "not an IDX file"),
    "unknown type": (idx_bytes(0x07, [2, 28, 28], VALID_BODY), "unknown IDX type byte 0x07"),
    "float images": (idx_bytes(0x0D, [2, 28, 28], bytes(2 * 28 * 28 * 4)), "expected uint8"),
    "zero dims": (bytes([0, 0, 8, 0]), "0 dimensions"),
    "truncated header": (bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]), "truncated header"),
    "truncated body": (idx_bytes(0x08, [2, 28, 28], VALID_BODY[:-1]), "truncated"),
    "trailing bytes": (idx_bytes(0x08, [2, 28, 28], VALID_BODY + b"\x00"), "trailing bytes"),
    "billions claimed": (idx_bytes(0x08, [2_000_000_000, 28, 28], VALID_BODY), "2000000000×28×28"),
    "not 28x28": (idx_bytes(0x08, [2, 32, 32], bytes(2 * 32 * 32)), "32×32, expected 28×28"),
    "labels as images": (idx_bytes(0x08, [4], bytes(4)), "1 dimension(s), expected 3"),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_image_files_raise_data_file_error(tmp_path: Path, case: str, gz: bool) -> None:
    content, words = MALFORMED[case]
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(gzip.compress(content) if gz else content)
    with pytest.raises(DataFileError) as info:
        read_images(path)
    message = str(info.value)
    assert str(path) in message
    if gz and case == "empty":
        words = "empty"
    assert words in message


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("dims", [[0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], [0xFFFFFFFF, 0xFFFFFFFF, 0]])
def test_an_empty_array_with_dimensions_of_billions(tmp_path: Path, dims: list[int], gz: bool) -> None:
    """Found by benchmarks/fuzz.py: no data, so no size to refuse, but numpy cannot even shape it."""
    path = tmp_path / "empty.idx"
    path.write_bytes(gzip.compress(idx_bytes(0x08, dims, b"")) if gz else idx_bytes(0x08, dims, b""))
    with pytest.raises(DataFileError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "×".join(map(str, dims)) in message and "the file is corrupt" in message


def test_labels_outside_0_to_9(tmp_path: Path) -> None:
    (tmp_path / "l").write_bytes(idx_bytes(0x08, [3], bytes([1, 12, 3])))
    with pytest.raises(DataFileError, match=r"labels must be digits 0–9, found 12 at index 1"):
        read_labels(tmp_path / "l")


def test_images_file_given_as_labels(tmp_path: Path, images: np.ndarray) -> None:
    write_idx(tmp_path / "i", images)
    with pytest.raises(DataFileError, match=r"3 dimension\(s\), expected 1"):
        read_labels(tmp_path / "i")


def test_cut_gzip_stream(tmp_path: Path, images: np.ndarray) -> None:
    data = gzip.compress(idx_bytes(0x08, [5, 28, 28], images.tobytes()))
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match=r"corrupt gzip stream|truncated"):
        read_images(tmp_path / "cut.gz")


def test_gzip_with_bad_crc(tmp_path: Path, images: np.ndarray) -> None:
    data = bytearray(gzip.compress(idx_bytes(0x08, [5, 28, 28], images.tobytes())))
    data[-6] ^= 0xFF  # the CRC32 in the trailer
    (tmp_path / "crc.gz").write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="corrupt gzip stream"):
        read_images(tmp_path / "crc.gz")


def test_gzip_bomb_stops_at_promised_size(tmp_path: Path) -> None:
    """A valid header for 2 images followed by 64 MiB of zeros: refused without inflating the rest."""
    compressor = gzip.GzipFile(tmp_path / "bomb.gz", "wb")
    compressor.write(idx_bytes(0x08, [2, 28, 28], b""))
    zeros = bytes(1 << 20)
    for _ in range(64):
        compressor.write(zeros)
    compressor.close()
    with pytest.raises(DataFileError, match="trailing bytes"):
        read_images(tmp_path / "bomb.gz")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        read_images(tmp_path / "nope")
    with pytest.raises(DataFileError, match="is a directory"):
        read_images(tmp_path)


# --- property-based: any bytes end in an array or a DataFileError ------------------------------------------

fuzz_settings = settings(
    max_examples=fuzz_examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_any(path: Path) -> None:
    for reader in (read_images, read_labels, read_idx):
        try:
            result = reader(path)
        except DataFileError:
            continue
        assert isinstance(result, np.ndarray)


@fuzz_settings
@given(data=st.binary(max_size=2048), gz=st.booleans())
def test_arbitrary_bytes(tmp_path: Path, data: bytes, gz: bool) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes(gzip.compress(data) if gz else data)
    _read_any(path)


VALID_IMAGES = idx_bytes(0x08, [3, 28, 28], bytes(range(256)) * 9 + bytes(3 * 784 - 256 * 9))
VALID_LABELS = idx_bytes(0x08, [6], bytes([0, 1, 2, 7, 8, 9]))


@pytest.mark.slow
@fuzz_settings
@given(
    base=st.sampled_from([VALID_IMAGES, VALID_LABELS]),
    gz=st.booleans(),
    edits=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 4000)),
    tail=st.binary(max_size=16),
)
def test_mutated_valid_files(tmp_path: Path, base: bytes, gz: bool, edits, cut, tail: bytes) -> None:
    data = bytearray(gzip.compress(base) if gz else base)
    for position, value in edits:
        if position < len(data):
            data[position] = value
    if cut is not None:
        del data[cut:]
    path = tmp_path / "mutant"
    path.write_bytes(bytes(data) + tail)
    _read_any(path)
