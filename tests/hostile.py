"""Hostile and broken files, built on demand: for the tests and for benchmarks/hostile_files.py.

Every weights payload, if it ever ran, would create ``marker``; the tests check that it never exists.
"""

from __future__ import annotations

import gzip
import io
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


def _global_call(module: str, name: str, argument: str) -> bytes:
    """A protocol-0 pickle calling ``module.name(argument)``, spelled exactly so (``os.system``, not posix)."""
    return f"c{module}\n{name}\n(V{argument}\ntR.".encode()


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
    return files


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
            "W2 has shape (49, 100), expected (50, hidden size)",
        ),
        "nine-classes.pkl": (
            pickle.dumps({**params, "W3": np.zeros((100, 9), np.float32), "b3": np.zeros(9, np.float32)}),
            "must have 10 classes",
        ),
        "not-a-dict.pkl": (pickle.dumps([params["W1"], params["b1"]]), "holds a list, expected a dict"),
        "strings.pkl": (pickle.dumps({k: "0.5" for k in params}), "is a str, expected a numeric array"),
        "nan.pkl": (pickle.dumps({**params, "b2": np.full(100, np.nan, np.float32)}), "non-finite"),
        "inf.pkl": (pickle.dumps({**params, "W1": np.full((784, 50), np.inf, np.float32)}), "non-finite"),
        "empty.pkl": (b"", "empty"),
        "truncated.pkl": (valid[: len(valid) // 2], "not a valid pickle"),
        "random.pkl": (np.random.default_rng(7).bytes(50_000), "not a valid pickle"),
        "huge-bytes-claim.pkl": (b"\x80\x04\x8e" + struct.pack("<Q", 2**60) + b"xx", "not a valid pickle"),
        "huge-memo-index.pkl": (b"\x80\x02N" + b"r" + struct.pack("<I", 2**31) + b".", "memo index"),
        "huge-shape.npz": (_npz_claiming({"W1": (1_000_000_000,)}), "claims shape (1000000000,)"),
        "not-an-npz.npz": (b"PK\x03\x04" + bytes(200), "not a valid .npz"),
    }


# --- data files ----------------------------------------------------------------------------------------------


def idx_header(type_code: int, dims: list[int]) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def gzip_bomb(header: bytes, zeros: int = 1 << 30) -> bytes:
    """A valid gzip file: ``header`` followed by ``zeros`` zero bytes, built without compressing them all.

    After a full flush, deflate output no longer refers to earlier data, so one compressed megabyte of zeros
    can be repeated; the CRC is computed over the real content.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    megabyte = bytes(1 << 20)
    block = deflate.compress(megabyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    repeats = zeros // len(megabyte)
    crc = zlib.crc32(header)
    for _ in range(repeats):
        crc = zlib.crc32(megabyte, crc)
    size = (len(header) + repeats * len(megabyte)) & 0xFFFFFFFF
    return (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        + head
        + block * repeats
        + tail
        + struct.pack("<II", crc & 0xFFFFFFFF, size)
    )


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
        "billions-claimed": (IMAGES, gz(idx_header(8, [2_000_000_000, 28, 28]) + body), "more than a gzip file of"),
        "billions-claimed-plain": (IMAGES, idx_header(8, [2_000_000_000, 28, 28]) + body, "header promises"),
        "gzip-bomb": (IMAGES, gzip_bomb(images[:16]), "trailing bytes"),
        "not-gzip": (IMAGES, np.random.default_rng(3).bytes(100_000), "not an IDX file"),
        "cut-gzip": (IMAGES, gz(images)[:400_000], "corrupt gzip stream"),
        "bad-crc": (IMAGES, _flip_crc(gz(images)), "corrupt gzip stream"),
        "empty": (IMAGES, b"", "empty"),
        "empty-gzip": (IMAGES, gz(b""), "empty"),
        "labels-out-of-range": (LABELS, gz(labels[:-1] + b"\x0c"), "labels must be digits 0–9, found 12"),
        "count-mismatch": (LABELS, gz(idx_header(8, [9999]) + labels[8:-1]), "10,000 images, but"),
        "not-28x28": (IMAGES, gz(idx_header(8, [10000, 32, 32]) + bytes(10000 * 32 * 32)), "32×32"),
        "labels-as-images": (IMAGES, gz(labels), "(a labels file), expected 3"),
        "images-as-labels": (LABELS, gz(images), "(an images file), expected 1"),
        "float-images": (IMAGES, gz(idx_header(0x0D, [10, 28, 28]) + bytes(10 * 784 * 4)), "expected uint8"),
    }


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


def bad_images() -> dict[str, tuple[bytes, str]]:
    from PIL import Image

    from mnist_infer.photo_input import MAX_PIXELS

    good = io.BytesIO()
    Image.fromarray(np.eye(64, dtype=np.uint8) * 255).save(good, format="PNG")
    white = io.BytesIO()
    Image.new("L", (64, 64), 255).save(white, format="PNG")
    side = int((MAX_PIXELS * 1.2) ** 0.5)
    return {
        "not-an-image.png": (b"just some text, not pixels\n" * 20, "not an image"),
        "truncated.png": (good.getvalue()[: len(good.getvalue()) // 2], "cannot decode"),
        "empty.jpg": (b"", "not an image"),
        "no-ink.png": (white.getvalue(), "no digit found"),
        "bomb-900-megapixels.png": (png_claiming(30000, 30000), "decompression bomb"),
        "bomb-just-over-the-limit.png": (png_claiming(side, side), "decompression bomb"),
    }
