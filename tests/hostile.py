"""Hostile and broken files, built on demand: for the tests and for benchmarks/hostile_files.py.

Every weights payload, if it ever ran, would create ``marker``; the tests check that it never exists.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import pickle
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"


class Call:
    """Pickles as a call of ``func(*args)``: the classic code-execution payload."""

    def __init__(self, func: Callable, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def book_params() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}


def cnn_params() -> dict[str, np.ndarray]:
    """The book's chapter 8 DeepConvNet, from the package's own copy (read by the package: its checksum is known)."""
    from mnist_infer.paths import packaged_file
    from mnist_infer.weights import read_weights

    return read_weights(packaged_file("deep_convnet_params.pkl")).params


def _npz_with_architecture(arrays: dict[str, np.ndarray], architecture: dict) -> bytes:
    """An .npz as ``save_weights`` writes one: the arrays, and metadata stating ``architecture``."""
    buffer = io.BytesIO()
    metadata = np.frombuffer(json.dumps({"architecture": architecture}).encode(), np.uint8)
    np.savez(buffer, **arrays, metadata=metadata)
    return buffer.getvalue()


def _global_call(module: str, name: str, argument: str) -> bytes:
    """A protocol-0 pickle calling ``module.name(argument)``, spelled exactly so (``os.system``, not posix)."""
    return f"c{module}\n{name}\n(V{argument}\ntR.".encode()


@functools.cache
def malicious_weights(marker: Path) -> dict[str, bytes]:
    """Pickles and archives that would run code or smuggle objects. Every one must be refused."""
    touch = f"touch {marker}"
    write = f"open({str(marker)!r}, 'w').write('x')"
    files: dict[str, bytes] = {
        "os-system.pkl": _global_call("os", "system", touch),
        "posix-system.pkl": _global_call("posix", "system", touch),
        "builtins-eval.pkl": _global_call("builtins", "eval", write),
        "builtins-exec.pkl": _global_call("builtins", "exec", write),
        "dunder-builtin-eval.pkl": _global_call("__builtin__", "eval", write),
        "os-popen.pkl": _global_call("os", "popen", touch),
        "subprocess-popen.pkl": pickle.dumps(Call(subprocess.Popen, ["touch", str(marker)])),
        "subprocess-check-call.pkl": pickle.dumps(Call(subprocess.check_call, ["touch", str(marker)])),
        "numpy-load-pickle.pkl": _global_call("numpy", "load", str(marker)),
        "hidden-in-dict-value.pkl": pickle.dumps({**book_params(), "b3": {"x": Call(os.system, touch)}}),
        "hidden-in-list.pkl": pickle.dumps({**book_params(), "W3": [1, [2, Call(eval, write)]]}),
        "cnn-with-payload.pkl": pickle.dumps({**cnn_params(), "W5": Call(os.system, touch)}),
        "object-array.pkl": pickle.dumps({**book_params(), "W1": np.array([1, "two", None], dtype=object)}),
        "object-array-with-payload.pkl": pickle.dumps({**book_params(), "W1": np.array([Call(os.system, touch)])}),
        "structured-dtype.pkl": pickle.dumps({**book_params(), "b1": np.zeros(3, dtype=[("a", "O"), ("b", "f4")])}),
    }
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        files[f"os-system-protocol-{protocol}.pkl"] = pickle.dumps(
            {**book_params(), "W1": Call(os.system, touch)}, protocol=protocol
        )
    buffer = io.BytesIO()
    np.savez(buffer, **{**book_params(), "W2": np.array([{"a": 1}, None], dtype=object)})
    files["object-array.npz"] = buffer.getvalue()
    # dtype names that make numpy.dtype raise SyntaxError (","), ValueError (",("), or warn ("a")
    plain = pickle.dumps(book_params(), protocol=2)
    for label, name in (("syntax-error", b","), ("value-error", b",("), ("deprecated", b"a")):
        files[f"dtype-{label}.pkl"] = plain.replace(b"X\x02\x00\x00\x00f4", b"X" + struct.pack("<I", len(name)) + name)
    return files


@functools.cache
def wrong_weights() -> dict[str, tuple[bytes, str]]:
    """Harmless but unusable weights: (content, words the error must contain)."""
    params = book_params()
    valid = pickle.dumps(params)

    def without(key: str) -> dict:
        return {k: v for k, v in params.items() if k != key}

    return {
        "missing-key.pkl": (pickle.dumps(without("b2")), "missing b2"),
        "wrong-shape.pkl": (
            pickle.dumps({**params, "W2": np.zeros((49, 100), np.float32)}),
            "W2 has shape (49, 100), expected (50, 100)",
        ),
        "nine-classes.pkl": (
            pickle.dumps({**params, "W3": np.zeros((100, 9), np.float32), "b3": np.zeros(9, np.float32)}),
            "to 9 classes (784-50-100-9 sigmoid); expected 784 inputs (28×28 pixels) and 10 classes",
        ),
        "not-a-dict.pkl": (pickle.dumps([params["W1"], params["b1"]]), "holds a list, expected a dict"),
        "strings.pkl": (pickle.dumps({k: "0.5" for k in params}), "W1 is a str, expected a numeric array"),
        "int-key.pkl": (pickle.dumps({**params, 7: params["b1"]}), "unexpected <int>"),
        "no-weights-at-all.pkl": (pickle.dumps({"x": params["b1"]}), "fits no architecture this tool knows (no W1)"),
        "nan.pkl": (pickle.dumps({**params, "b2": np.full(100, np.nan, np.float32)}), "non-finite"),
        "inf.pkl": (pickle.dumps({**params, "W1": np.full((784, 50), np.inf, np.float32)}), "non-finite"),
        "empty.pkl": (b"", "empty"),
        "truncated.pkl": (valid[: len(valid) // 2], "not a valid pickle"),
        "random.pkl": (np.random.default_rng(7).bytes(50_000), "not a valid pickle"),
        "huge-bytes-claim.pkl": (b"\x80\x04\x8e" + struct.pack("<Q", 2**60) + b"xx", "not a valid pickle"),
        "huge-memo-index.pkl": (b"\x80\x02N" + b"r" + struct.pack("<I", 2**31) + b".", "memo index"),
        "huge-shape.npz": (_npz_claiming({"W1": (1_000_000_000,)}), "claims shape (1000000000,)"),
        "not-an-npz.npz": (b"PK\x03\x04" + bytes(200), "not a valid .npz"),
        **memory_bombs(),
        **wrong_cnns(),
    }


@functools.cache
def wrong_cnns() -> dict[str, tuple[bytes, str]]:
    """Convolutional networks (chapters 7–8) that cannot be run, each for a reason the error must name."""
    from mnist_infer.model.network import deep_convnet, simple_convnet

    cnn = cnn_params()
    four_d = {**cnn, "W7": cnn["W7"].reshape(1024, 50, 1, 1)}  # the first affine layer's matrix as a 4-D array
    nan = {**cnn, "W3": cnn["W3"].copy()}
    nan["W3"][5, 3, 1, 1] = np.nan
    simple = {
        "W1": np.zeros((30, 1, 29, 29), np.float32),  # a 29×29 kernel: SimpleConvNet's shapes, over 28×28 images
        "b1": np.zeros(30, np.float32),
        "W2": np.zeros((30, 100), np.float32),
        "b2": np.zeros(100, np.float32),
        "W3": np.zeros((100, 10), np.float32),
        "b3": np.zeros(10, np.float32),
    }
    million = {"W1": (1_000_000, 1, 5, 5), "b1": (1_000_000,), "W2": (144_000_000, 100), "b2": (100,)}
    return {
        "cnn-4d-where-a-matrix-belongs.pkl": (pickle.dumps(four_d), "W7 (1024, 50, 1, 1)"),
        "cnn-4d-where-a-matrix-belongs.npz": (
            _npz_with_architecture(four_d, deep_convnet().to_json()),
            "W7 has shape (1024, 50, 1, 1), expected (1024, 50) (DeepConvNet)",
        ),
        "cnn-kernel-larger-than-its-input.pkl": (pickle.dumps(simple), "a 29×29 kernel over a 28×28 input"),
        "cnn-million-channels-claimed.npz": (
            _npz_claiming({**million, "W3": (100, 10), "b3": (10,)}),
            "W1 claims shape (1000000, 1, 5, 5), more than the 144 bytes",
        ),
        "cnn-nan.pkl": (pickle.dumps(nan), "W3 holds 1 non-finite value"),
        "metadata-says-simple-convnet-arrays-are-chapter-3.npz": (
            _npz_with_architecture(book_params(), simple_convnet().to_json()),
            "W1 has shape (784, 50), expected (30, 1, 5, 5) (SimpleConvNet)",
        ),
        "metadata-says-deep-convnet-arrays-are-chapter-3.npz": (
            _npz_with_architecture(book_params(), deep_convnet().to_json()),
            "missing W4 b4 W5 b5 W6 b6 W7 b7 W8 b8",
        ),
    }


@functools.cache
def memory_bombs() -> dict[str, tuple[bytes, str]]:
    """Small files that would take gigabytes (or minutes) if their claims were believed."""
    params = book_params()
    big = np.zeros(250_000, np.float32)  # one 1 MB buffer, referred to again and again
    tuple_key = b"\x80\x02})" + b"\x85" * 1500 + b"K\x01s."  # a key: a tuple nested 1,500 deep
    bzip2 = _zip([_member("W1.npy", _npy_bytes(np.zeros(250_000, np.float32)), zipfile.ZIP_BZIP2)])
    lzma = _zip([_member("W1.npy", _npy_bytes(np.zeros(100, np.float32)), zipfile.ZIP_LZMA)])
    return {
        "encode-one-string-1600-times.pkl": (_encode_bomb(1_000_000, 1600), "more than twice the file's size"),
        "one-buffer-behind-400-keys.pkl": (
            pickle.dumps({**params, **{f"k{i}": big for i in range(400)}}, protocol=2),
            "unexpected k0 k1",
        ),
        "one-buffer-400-times-one-dict-deep.pkl": (
            pickle.dumps({**params, "W1": {f"k{i}": big for i in range(400)}}, protocol=2),
            "W1 is a dict",
        ),
        "tuple-key-nested-1500-deep.pkl": (tuple_key, "fits no architecture this tool knows (no W1)"),
        "tuple-key-nested-1500-deep-beside-weights.pkl": (
            pickle.dumps(params, protocol=2)[:-1] + tuple_key[3:],  # the same key set in the book's dict
            "unexpected <tuple>",
        ),
        "list-nested-1500-deep.pkl": (b"\x80\x02]" * 1500 + b"a" * 1499 + b".", "holds a list"),
        "finite-but-3e38.pkl": (
            pickle.dumps({k: np.full(v.shape, 3e38, np.float32) for k, v in params.items()}),
            "could overflow float32",
        ),
        "float64-beyond-float32.pkl": (pickle.dumps({**params, "b1": np.full(50, 1e300)}), "beyond float32"),
        "bzip2-member.npz": (bzip2, "compressed with method 12"),
        "lzma-member.npz": (lzma, "compressed with method 14"),
        "member-claims-1.5-GB.npz": (
            _zip([_member("W1.npy", _npy_bytes(np.zeros(64, np.float32)), size=1_500_000_000)]),
            "claims 1,500,000,000 bytes",
        ),
        "npy-header-claims-1.5-GB.npz": (_npz_claiming({"W1": (375_000_000,)}), "claims shape (375000000,)"),
        "encrypted-member.npz": (_zip([_member("W1.npy", _npy_bytes(np.zeros(4, np.float32)), flags=1)]), "encrypted"),
        "ten-thousand-members.npz": (_zip([_member(f"m{i}.npy", b"") for i in range(10_000)]), "10,000 members"),
        "five-million-members-claimed.npz": (_zip64_claiming(5_000_000, 250_000_000), "5,000,000 members"),
        "int8-zeros-784x340000.npz": (
            _npz_of_zeros({"W1": (784, 340_000), "b1": (340_000,), "W2": (340_000, 1)}),
            "member W1 claims 266,560,128 bytes",
        ),
        "int8-zeros-20000-hidden.npz": (
            _npz_of_zeros(
                {**{k: v.shape for k, v in params.items()}, "W1": (784, 20_000), "b1": (20_000,), "W2": (20_000, 100)}
            ),
            "units 20000",
        ),
        "int8-zeros-23-million-parameters.npz": (
            _npz_of_zeros(
                {
                    **{k: v.shape for k, v in params.items()},
                    "W1": (784, 8000),
                    "b1": (8000,),
                    "W2": (8000, 2100),
                    "b2": (2100,),
                    "W3": (2100, 10),
                }
            ),
            "parameters, more than",
        ),
    }


def _encode_bomb(size: int, copies: int) -> bytes:
    """A protocol-2 pickle calling ``_codecs.encode`` ``copies`` times on one memoised string of ``size`` chars."""
    head = b"\x80\x02c_codecs\nencode\nq\x010"  # the function, memoised as 1, popped
    text = b"X" + struct.pack("<I", size) + b"x" * size + b"q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x040"
    return head + text + b"]q\x00(" + b"h\x01h\x04R" * copies + b"e."


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _member(name: str, content: bytes, method: int = zipfile.ZIP_STORED, size: int | None = None, flags: int = 0):
    """A zip member: (name, method, payload as stored, the size the directory states, CRC, flags)."""
    if method == zipfile.ZIP_BZIP2:
        import bz2

        payload = bz2.compress(content)
    elif method == zipfile.ZIP_LZMA:
        import lzma

        raw = lzma.compress(content, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1}])
        payload = b"\x09\x04\x05\x00" + lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1}) + raw
    elif method == zipfile.ZIP_DEFLATED:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        payload = compressor.compress(content) + compressor.flush()
    else:
        payload = content
    return name, method, payload, len(content) if size is None else size, zlib.crc32(content), flags


def _zip(members: list[tuple]) -> bytes:
    """A zip archive written byte by byte, so that it may state what zipfile would never write."""
    out, directory = bytearray(), bytearray()
    for name, method, payload, size, crc, flags in members:
        offset, encoded = len(out), name.encode()
        fields = (20, flags, method, 0, 0, crc, len(payload), size, len(encoded), 0)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + encoded + payload
        directory += struct.pack("<4sH", b"PK\x01\x02", 20) + struct.pack("<HHHHHIIIHH", *fields)
        directory += struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded
    start = len(out)
    count = min(len(members), 0xFFFF)
    return bytes(out + directory) + struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0
    )


def _zip64_claiming(entries: int, directory_size: int) -> bytes:
    """A small archive whose zip64 end record claims ``entries`` members in ``directory_size`` bytes."""
    body = _zip([_member("W1.npy", _npy_bytes(np.zeros(4, np.float32)))])
    body = body[: body.rindex(b"PK\x05\x06")]
    record_at = len(body)
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, directory_size, 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, record_at, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + record + locator + end


def _npz_of_zeros(shapes: dict[str, tuple[int, ...]]) -> bytes:
    """An .npz of int8 zeros of ``shapes``, deflated without compressing every zero: a few hundred kB for
    hundreds of MB."""
    members = []
    for key, shape in shapes.items():
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|i1", "fortran_order": False, "shape": shape})
        payload, crc, size = _deflated_zeros(header.getvalue(), int(np.prod(shape)))
        members.append((key + ".npy", zipfile.ZIP_DEFLATED, payload, size, crc, 0))
    return _zip(members)


def _deflated_zeros(head: bytes, zeros: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head`` then ``zeros`` zero bytes, its content's CRC and size, built fast: after a
    full flush, deflate output no longer refers to earlier data, so one compressed megabyte of zeros repeats."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    megabyte = bytes(1 << 20)
    stream = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(megabyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    repeats, rest = divmod(zeros, len(megabyte))
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(megabyte, crc)
    crc = zlib.crc32(bytes(rest), crc)
    stream += block * repeats + deflate.compress(bytes(rest)) + deflate.flush(zlib.Z_FINISH)
    return stream, crc & 0xFFFFFFFF, len(head) + zeros


# --- data files ----------------------------------------------------------------------------------------------


def idx_header(type_code: int, dims: list[int]) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def gzip_bomb(header: bytes, zeros: int = 1 << 30) -> bytes:
    """A valid gzip file: ``header`` followed by ``zeros`` zero bytes, built without compressing them all."""
    stream, crc, size = _deflated_zeros(header, zeros)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + struct.pack("<II", crc, size & 0xFFFFFFFF)


@functools.cache
def broken_data(images: bytes, labels: bytes) -> dict[str, tuple[str, bytes, str]]:
    """Broken MNIST files: name -> (which file it replaces, content, words the error must contain).

    ``images`` and ``labels`` are the real, decompressed test files, to damage.
    """
    body = images[16:]

    def gz(data: bytes) -> bytes:
        return gzip.compress(data, compresslevel=1)

    return {
        "wrong-magic": (IMAGES, b"\x89PNG\r\n\x1a\n" + bytes(64), "not an IDX file"),
        "truncated-header": (IMAGES, gz(images[:10]), "truncated header"),
        "truncated-body": (IMAGES, gz(images[:-5000]), "truncated"),
        "truncated-body-plain": (IMAGES, images[:-1], "truncated"),
        "trailing-bytes": (IMAGES, gz(images + b"\x00" * 100), "trailing bytes"),
        "billions-claimed": (
            IMAGES,
            gz(idx_header(8, [2_000_000_000, 28, 28]) + body),
            "header declares 2000000000×28×28 uint8",
        ),
        "billions-claimed-plain": (IMAGES, idx_header(8, [2_000_000_000, 28, 28]) + body, "header promises"),
        "gzip-bomb": (IMAGES, _later(gzip_bomb, images[:16]), "trailing bytes"),
        "not-gzip": (IMAGES, np.random.default_rng(3).bytes(100_000), "not an IDX file"),
        "cut-gzip": (IMAGES, gz(images)[:400_000], "corrupt gzip stream"),
        "bad-crc": (IMAGES, _flip_crc(gz(images)), "corrupt gzip stream"),
        "empty": (IMAGES, b"", "empty"),
        "empty-gzip": (IMAGES, gz(b""), "empty"),
        "labels-out-of-range": (LABELS, gz(labels[:-1] + b"\x0c"), "labels must be digits 0–9, found 12"),
        "count-mismatch": (LABELS, gz(idx_header(8, [9999]) + labels[8:-1]), "10,000 images, but"),
        "not-28x28": (IMAGES, gz(idx_header(8, [10000, 32, 32]) + bytes(10000 * 32 * 32)), "32×32"),
        "labels-as-images": (IMAGES, gz(labels), "1 dimension(s), expected 3"),
        "images-as-labels": (LABELS, gz(images), "3 dimension(s), expected 1"),
        "float-images": (IMAGES, gz(idx_header(0x0D, [10, 28, 28]) + bytes(10 * 784 * 4)), "expected uint8"),
        # a header honest about 500,000 images of zeros: 392 MB from a 0.4 MB gzip file
        "honest-500000-images": (
            IMAGES,
            _later(gzip_bomb, idx_header(8, [500_000, 28, 28]), 500_000 * 784),
            "plausibly holds",
        ),
        "labels-bomb": (LABELS, _later(gzip_bomb, idx_header(8, [50_000_000]), 50_000_000), "plausibly holds"),
        # a plausible size for 100,000 images, but the labels say 10,000: refused before either is parsed or cached
        "count-mismatch-before-parsing": (
            IMAGES,
            gz(idx_header(8, [100_000, 28, 28]) + body[:1000]) + np.random.default_rng(5).bytes(1_300_000),
            "100,000 images, but",
        ),
        "over-1-GiB-plain-sparse": (
            IMAGES,
            _sparse_idx(idx_header(8, [1_400_000, 28, 28])),
            "1,073,741,824 bytes in all",
        ),
    }


def _later(make, *args):
    """A writer of ``make(*args)``: bombs are built only for a run that writes them, not to learn case names."""

    def write(path: Path) -> None:
        path.write_bytes(make(*args))

    return write


def _sparse_idx(header: bytes):
    """A writer of a plain IDX file as large as ``header`` promises, made of holes (no disk used)."""
    size = len(header) + int(np.prod(np.frombuffer(header[4:], ">u4"), dtype=np.int64))

    def write(path: Path) -> None:
        with open(path, "wb") as f:
            f.write(header)
            f.truncate(size)

    return write


@functools.cache
def broken_pairs(images: bytes, labels: bytes) -> dict[str, tuple[dict[str, bytes], str, str]]:
    """Splits broken in both files: name -> ({file: content}, the file the error names, words it contains)."""
    empty_images = gzip.compress(idx_header(8, [0, 28, 28]))
    empty_labels = gzip.compress(idx_header(8, [0]))
    return {"zero-images-zero-labels": ({IMAGES: empty_images, LABELS: empty_labels}, IMAGES, "holds no images")}


def _flip_crc(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[-8] ^= 0xFF
    return bytes(damaged)


def _npz_claiming(shapes: dict[str, tuple[int, ...]]) -> bytes:
    """An .npz whose members' headers claim ``shapes`` but which hold only a few bytes each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, shape in shapes.items():
            member = io.BytesIO()
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": shape})
            archive.writestr(key + ".npy", member.getvalue() + bytes(16))
    return buffer.getvalue()


# --- images --------------------------------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@functools.cache
def bad_images() -> dict[str, tuple[bytes, str]]:
    from PIL import Image

    from mnist_infer.data.pictures import MAX_PIXELS

    good = io.BytesIO()
    Image.fromarray(np.eye(64, dtype=np.uint8) * 255).save(good, format="PNG")
    white = io.BytesIO()
    Image.new("L", (64, 64), 255).save(white, format="PNG")
    side = int((MAX_PIXELS * 1.2) ** 0.5)
    return {
        "not-an-image.png": (b"just some text, not pixels\n" * 20, "not an image"),
        "truncated.png": (good.getvalue()[: len(good.getvalue()) // 2], "the image file is truncated"),
        "empty.jpg": (b"", "the file is empty"),
        "no-ink.png": (white.getvalue(), "no digit found"),
        "bomb-900-megapixels.png": (png_claiming(30000, 30000), "900,000,000 pixels, more than the 40,000,000"),
        "bomb-just-over-the-limit.png": (png_claiming(side, side), "decompression bomb"),
        "ico-256-over-a-9000x9000-png.ico": (_ico_holding(png_claiming(9000, 9000)), "not an image this tool reads"),
        "dds-unknown-format.dds": (
            b"DDS "
            + struct.pack("<7I", 124, 0x1007, 64, 64, 0, 0, 0)
            + bytes(44)
            + struct.pack("<2I4s", 32, 4, b"ABCD")
            + bytes(40),
            "not an image this tool reads",
        ),
        "avif-broken.avif": (
            struct.pack(">I4s4sI4s", 20, b"ftyp", b"avif", 0, b"avif") + bytes(64),
            "not an image this tool reads",
        ),
        "eps-for-ghostscript.eps": (
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n(x) print\n",
            "not an image this tool reads",
        ),
        "psd.psd": (
            b"8BPS\x00\x01" + bytes(6) + struct.pack(">HIIHH", 1, 64, 64, 8, 1) + bytes(64),
            "not an image this tool reads",
        ),
        "tiff-claiming-900-megapixels.tiff": (_tiff_claiming(30000, 30000), "decompression bomb"),
        "gif-claiming-4-gigapixels.gif": (
            b"GIF89a"
            + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
            + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            "decompression bomb",
        ),
        "bmp-claiming-2500-megapixels.bmp": (_bmp_claiming(50000, 50000), "decompression bomb"),
        "truncated.jpg": (_jpeg()[:300], "the image file is truncated"),
        "webp-garbage.webp": (
            b"RIFF" + struct.pack("<I", 200) + b"WEBPVP8 " + struct.pack("<I", 188) + bytes(188),
            "cannot decode",
        ),
    }


def _ico_holding(png: bytes) -> bytes:
    """An ICO whose directory says 256×256 (0 means 256) over the PNG it holds."""
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22) + png


def _tiff_claiming(width: int, height: int) -> bytes:
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 12 * 8 + 4),
        (278, 4, 1, height),
        (279, 4, 1, 16),
    ]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 8) + ifd + bytes(16)


def _bmp_claiming(width: int, height: int) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 64, 0, 0, 14 + 40) + info + bytes(64)


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.eye(64, dtype=np.uint8) * 255).save(buffer, format="JPEG")
    return buffer.getvalue()


def flat_jpeg(width: int, height: int, components: int = 3, scans: str = "interleaved") -> bytes:
    """A small JPEG of flat grey, written by hand: ``scans`` "interleaved" (one baseline scan, which libjpeg decodes a
    band at a time), "separate" (a baseline scan per component) or "progressive" (one DC scan): libjpeg keeps every
    coefficient of these two. Each block costs 2 bits (1 when progressive): a 24000×24000 grey one is 1.1 MB."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    def scan(ids: range, per_block: int) -> bytes:  # each block: a DC difference of 0, then (if any) end of block
        head = bytes([len(ids)]) + b"".join(bytes([i, 0]) for i in ids) + (b"\0\0\0" if per_block == 1 else b"\0?\0")
        bits = per_block * blocks * len(ids)
        return segment(0xDA, head) + bytes(bits // 8) + (bytes([0xFF >> bits % 8]) if bits % 8 else b"")

    ids, blocks = range(1, components + 1), -(-width // 8) * -(-height // 8)
    frame = struct.pack(">BHHB", 8, height, width, components) + b"".join(bytes([i, 0x11, 0]) for i in ids)
    tables = b"".join(segment(0xC4, bytes([kind]) + bytes([1] + [0] * 15) + b"\0") for kind in (0x00, 0x10))
    head = b"\xff\xd8" + segment(0xDB, b"\0" + b"\1" * 64) + segment(0xC2 if scans == "progressive" else 0xC0, frame)
    if scans == "separate":
        body = b"".join(scan(range(i, i + 1), 2) for i in ids)
    else:
        body = scan(ids, 1 if scans == "progressive" else 2)
    return head + tables + body + b"\xff\xd9"


def one_strip_tiff(width: int, height: int, bits: int = 16, samples: int = 4, tile: int = 0) -> bytes:
    """A deflated TIFF of 1, 3 or 4 unsigned samples a pixel, all in one strip, which libtiff inflates whole: a black
    square on white. With ``tile``, in one tile of ``tile``×``tile`` pixels instead, however small the picture."""
    pixels = np.full((height, tile or width, samples), 2**bits - 1, dtype=f">u{bits // 8}")
    pixels[height // 4 : height * 3 // 4, width // 3 : width * 2 // 3, : min(samples, 3)] = 0
    deflate = zlib.compressobj(1)
    data = deflate.compress(pixels.tobytes())
    white = np.full_like(pixels[0], 2**bits - 1).tobytes()
    data += b"".join(deflate.compress(white) for _ in range(max(0, tile - height))) + deflate.flush()
    after = 8 + 2 + 12 * (11 + bool(tile)) + 4  # past the directory: the bits of each sample (unless in it), the data
    listed = samples > 2
    where = [(322, 4, 1, tile), (323, 4, 1, tile), (324, 4, 1, after + 2 * samples * listed), (325, 4, 1, len(data))]
    if not tile:
        where = [(273, 4, 1, after + 2 * samples * listed), (278, 4, 1, height), (279, 4, 1, len(data))]
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, samples, after if listed else bits << 16),
        (259, 3, 1, 8 << 16),
        (262, 3, 1, (2 if samples >= 3 else 1) << 16),
        (277, 3, 1, samples << 16),
        (284, 3, 1, 1 << 16),
        (338, 3, 1, 2 << 16) if samples == 4 else (339, 3, 1, 1 << 16),  # alpha, else unsigned samples
        *where,
    ]
    entries.sort()
    ifd = struct.pack(">H", len(entries)) + b"".join(struct.pack(">HHII", *e) for e in entries) + b"\0\0\0\0"
    return b"MM\0*" + struct.pack(">I", 8) + ifd + struct.pack(f">{samples}H", *[bits] * samples) * listed + data


def costly_pictures(directory: Path) -> dict[str, bool]:
    """Pictures of at most 10 MB that cost the most to decode, written to ``directory``: each name, and whether the
    tool refuses it (from its header: more than 40 megapixels, or 330 MB to decode) or decodes it (just under)."""
    from PIL import Image

    def webp(side: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (side, side), "white").save(buffer, format="WEBP", lossless=True)
        return buffer.getvalue()

    def png(side: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(buffer, format="PNG")
        return buffer.getvalue()

    pictures = {
        "progressive-24000x24000.jpg": (lambda: flat_jpeg(24000, 24000, 1, "progressive"), True),
        "separate-scans-cmyk-9000x9000.jpg": (lambda: flat_jpeg(9000, 9000, 4, "separate"), True),
        "lossless-6000x6000.webp": (lambda: webp(6000), True),
        "rgba-16-bit-6000x6000.tif": (lambda: one_strip_tiff(6000, 6000), True),
        "64x64-in-a-tile-of-32768x32768.tif": (lambda: one_strip_tiff(64, 64, 8, 1, tile=32768), True),
        "progressive-cmyk-6300x6300.jpg": (lambda: flat_jpeg(6300, 6300, 4, "progressive"), False),
        "separate-scans-cmyk-6300x6300.jpg": (lambda: flat_jpeg(6300, 6300, 4, "separate"), False),
        "rgba-6300x6300.png": (lambda: png(6300), False),
        "lossless-4400x4400.webp": (lambda: webp(4400), False),
        "rgba-16-bit-5200x5200.tif": (lambda: one_strip_tiff(5200, 5200), False),
    }
    for name, (make, _) in pictures.items():
        (directory / name).write_bytes(make())
        assert (directory / name).stat().st_size <= 10 * 1024 * 1024
    return {name: refused for name, (_, refused) in pictures.items()}
