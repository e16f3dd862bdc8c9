"""Fuzz every loader in process, under a memory limit: mutated weights, data files, pictures and parse caches.

    python benchmarks/fuzz.py [--inputs N] [--seed S] [--memory-mib M] [--kinds a,b] [--save DIR] [--json]

Valid files of every kind the tool reads are mutated at random (bits flipped, bytes and integers overwritten
with edge values, chunks cut, repeated or spliced from another seed; and, so that the mutants reach past
checksums, the content of gzip and zip files mutated then re-packed, PNG chunks re-checksummed) and fed to
the loaders a user reaches: weights (``read_weights``, then a forward pass of what it accepted), IDX files
(``inspect``, ``read_images``, ``read_labels``, ``read_idx``), pictures (``prepare_image``), and a split whose parse
cache was rewritten (``load_split``, whose answer must still be the source's). An "escape" is any exception that is
not the project's own (MemoryError included: the process runs under RLIMIT_AS), an input taking more than
``--timeout`` seconds, accepted weights whose forward pass is not finite, or a cache that changed an answer.
Prints the figures per kind; exit code 1 if any input escaped (saved under ``--save`` for a test to reproduce).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import gzip
import io
import json
import os
import pickle
import resource
import shutil
import signal
import struct
import sys
import tempfile
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 10_000, 784, 28]
#: Pickle opcodes (and globals) worth splicing into a pickle: marks, calls, builds, memo, containers.
OPCODES = [
    b"(",
    b".",
    b"R",
    b"b",
    b"0",
    b"2",
    b"s",
    b"u",
    b"e",
    b"a",
    b"t",
    b"}",
    b"]",
    b")",
    b"\x85",
    b"\x86",
    b"\x87",
    b"\x94",
    b"h\x01",
    b"q\x05",
    b"N",
    b"\x88",
    b"K\xff",
    b"J\xff\xff\xff\x7f",
    b"c_codecs\nencode\n",
    b"cnumpy\ndtype\n",
    b"cnumpy\nndarray\n",
    b"cnumpy.core.multiarray\n_reconstruct\n",
    b"cbuiltins\nbytes\n",
]


class Hang(Exception):
    pass


class Printed(Exception):
    """A loader wrote to the process's stderr (a C library's complaint, a warning)."""


@contextlib.contextmanager
def stderr_watched():
    """Point file descriptor 2 at a temporary file while the block runs; yields a function returning what was
    written there."""
    text = ""
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield lambda: text
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")


# --- seeds: one or more valid files per kind ------------------------------------------------------------------


def _network(rng: np.random.Generator, h1: int, h2: int, dtype=np.float32) -> dict[str, np.ndarray]:
    shapes = {"W1": (784, h1), "b1": (h1,), "W2": (h1, h2), "b2": (h2,), "W3": (h2, 10), "b3": (10,)}
    return {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}


def _convnet(rng: np.random.Generator):
    """A small chapter 7 SimpleConvNet (4 filters of 3×3, 8 hidden units), as a Network."""
    from mnist_infer.model.network import Network, init_params, simple_convnet

    architecture = simple_convnet(filters=4, size=3, hidden=8)
    return Network(architecture, init_params(architecture, "he", rng))


def _idx(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape) + array.tobytes()


def seeds(rng: np.random.Generator) -> dict[str, list[bytes]]:
    from PIL import Image

    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 12, dtype=np.uint8)
    from mnist_infer.weights import save_weights

    convnet = _convnet(rng)
    networks = [_network(rng, 6, 4), _network(rng, 3, 5, np.float64), convnet.params]
    pickles = [pickle.dumps(n, protocol=p) for n in networks for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    npzs = []
    for network in networks:
        for save in (np.savez, np.savez_compressed):
            buffer = io.BytesIO()
            save(buffer, **network)
            npzs.append(buffer.getvalue())
    with tempfile.TemporaryDirectory() as directory:  # as `train` writes them: the architecture in the metadata
        npzs.append(save_weights(Path(directory) / "w.npz", convnet, {"seed": 0}).read_bytes())
    digit = np.zeros((40, 40), np.uint8)
    digit[8:32, 18:23] = 255  # a "1"
    pictures: dict[str, list[bytes]] = collections.defaultdict(list)
    for kind, fmt, modes in (
        ("png", "PNG", ("L", "RGBA", "P", "I;16")),
        ("jpeg", "JPEG", ("L", "RGB")),
        ("gif", "GIF", ("L", "P")),
        ("tiff", "TIFF", ("L", "RGB", "F")),
        ("ico", "ICO", ("RGBA",)),
        ("bmp", "BMP", ("L", "RGB")),
        ("webp", "WEBP", ("RGB",)),
    ):
        for mode in modes:
            grey = 255 - digit
            picture = Image.fromarray(grey.astype(np.uint16) * 257) if mode == "I;16" else Image.fromarray(grey)
            picture = picture if mode == "I;16" else picture.convert(mode)
            buffer = io.BytesIO()
            picture.save(buffer, format=fmt)
            pictures[kind].append(buffer.getvalue())
    return {
        "pickle": pickles,
        "npz": npzs,
        "idx-gz": [gzip.compress(_idx(images)), gzip.compress(_idx(labels))],
        "idx-raw": [_idx(images), _idx(labels)],
        **pictures,
        "cache": [],  # made by Cache below
    }


# --- mutations ----------------------------------------------------------------------------------------------


def mutate(data: bytes, rng: np.random.Generator, others: list[bytes], opcodes: bool = False) -> bytes:
    """One to four random edits of ``data``, often in its first 128 bytes (where headers are)."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        choice = int(rng.integers(0, 9 if opcodes else 8))
        n = len(out)
        if n == 0:
            out += rng.bytes(int(rng.integers(1, 64)))
            continue
        at = int(rng.integers(0, min(n, 128) if rng.random() < 0.4 else n))
        if choice == 8:
            out[at:at] = b"".join(OPCODES[int(k)] for k in rng.integers(0, len(OPCODES), int(rng.integers(1, 6))))
        elif choice == 0:
            out[at] ^= 1 << int(rng.integers(0, 8))
        elif choice == 1:
            out[at] = INTERESTING[int(rng.integers(0, len(INTERESTING)))] & 0xFF
        elif choice == 2:
            value = INTERESTING[int(rng.integers(0, len(INTERESTING)))] * int(rng.integers(1, 3))
            width, order = (4, ">") if rng.random() < 0.5 else (8, "<")
            packed = struct.pack(order + ("I" if width == 4 else "Q"), value % (1 << (8 * width)))
            out[at : at + width] = packed
        elif choice == 3:
            del out[at : at + int(rng.integers(1, 256))]
        elif choice == 4:
            out[at:at] = rng.bytes(int(rng.integers(1, 64)))
        elif choice == 5:
            size = int(rng.integers(1, 512))
            out[at:at] = out[at : at + size] * int(rng.integers(1, 8))
        elif choice == 6:
            del out[at:]
        else:
            other = others[int(rng.integers(0, len(others)))] if others else bytes(out)
            cut = int(rng.integers(0, max(1, len(other))))
            out = out[:at] + bytearray(other[cut:])
    return bytes(out)


def repack(kind: str, data: bytes, rng: np.random.Generator, others: list[bytes]) -> bytes:
    """Mutate what lies under a checksum, then pack it again so that the checksum holds."""
    if kind == "idx-gz":
        return gzip.compress(mutate(gzip.decompress(data), rng, []), compresslevel=1)
    if kind == "npz":
        source = zipfile.ZipFile(io.BytesIO(data))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as target:
            members = source.infolist()
            victim = int(rng.integers(0, len(members)))
            for i, info in enumerate(members):
                content = source.read(info)
                name = info.filename
                if i == victim:
                    content = mutate(content, rng, [])
                    if rng.random() < 0.2:
                        name = str(rng.choice(["W1.npy", "x.npy", "b3", "W1.npy/../W2.npy", ""]))
                target.writestr(name or "empty", content, compress_type=info.compress_type)
        return buffer.getvalue()
    if kind == "png":
        return _fix_png_crcs(mutate(data, rng, others))
    return mutate(data, rng, others)


def _fix_png_crcs(data: bytes) -> bytes:
    out, at = bytearray(data[:8]), 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunk = data[at + 4 : at + 8 + length]
        out += data[at : at + 8 + length] + struct.pack(">I", zlib.crc32(chunk))
        at += 12 + length
    return bytes(out + data[at:])


# --- running one input -------------------------------------------------------------------------------------


class Cache:
    """A data directory with a gzip split and its parse cache; each input rewrites the cache, then loads."""

    def __init__(self, root: Path, rng: np.random.Generator) -> None:
        from mnist_infer.data import load_split
        from mnist_infer.data.cache import CACHE_DIR_NAME
        from mnist_infer.data.idx import write_idx

        self.root = root
        self.images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
        self.labels = rng.integers(0, 10, 30, dtype=np.uint8)
        write_idx(root / "t10k-images-idx3-ubyte.gz", self.images)
        write_idx(root / "t10k-labels-idx1-ubyte.gz", self.labels)
        load_split("test", root)
        self.caches = sorted((root / CACHE_DIR_NAME).glob("*.npy"))
        self.seeds = [path.read_bytes() for path in self.caches]

    def run(self, data: bytes, which: int) -> None:
        from mnist_infer.data import load_split

        path = self.caches[which]
        if path.is_symlink() or not path.is_file():
            path.unlink(missing_ok=True)
        path.write_bytes(data)
        dataset = load_split("test", self.root)
        if not (np.array_equal(dataset.images, self.images) and np.array_equal(dataset.labels, self.labels)):
            raise AssertionError("a rewritten cache changed the answer")


def read_and_run(path: Path) -> None:
    """``read_weights``, then a forward pass of what it accepted: checked weights never overflow."""
    from mnist_infer.model.network import Network
    from mnist_infer.weights import read_weights

    weights = read_weights(path)
    inputs = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    if not np.isfinite(Network(weights.architecture, weights.params).forward(inputs)).all():
        raise AssertionError("accepted weights whose forward pass is not finite")


def loaders(kind: str):
    from mnist_infer.data import idx
    from mnist_infer.data.pictures import prepare_image

    if kind in ("pickle", "npz"):
        return [read_and_run]
    if kind.startswith("idx"):
        return [idx.inspect, idx.read_images, idx.read_labels, idx.read_idx]
    return [prepare_image]


def _hang(*_) -> None:
    raise Hang()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=2000, help="inputs in all, shared among the kinds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mib", type=int, default=1024, help="address space limit (RLIMIT_AS)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds an input may take")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--save", type=Path, help="directory to save escaping inputs in")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from mnist_infer.errors import MnistInferError

    limit = args.memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _hang)
    rng = np.random.default_rng(args.seed)
    warnings.simplefilter("ignore")  # zipfile warns of the duplicate names mutants write; loaders silence theirs
    work = Path(tempfile.mkdtemp(prefix="mnist-infer-fuzz-"))
    try:
        all_seeds = seeds(rng)
        for kind in ("pickle", "npz"):  # every seed valid, so that mutants reach the checks beyond the parsers
            for data in all_seeds[kind]:
                (work / "seed").write_bytes(data)
                read_and_run(work / "seed")
        (work / "cache").mkdir()
        cache = Cache(work / "cache", rng)
        all_seeds["cache"] = cache.seeds
        kinds = [k for k in all_seeds if not args.kinds or k in args.kinds.split(",")]
        figures = {k: collections.Counter() for k in kinds}
        slowest = {k: 0.0 for k in kinds}
        escapes: list[dict] = []
        for i in range(args.inputs):
            kind = kinds[i % len(kinds)]
            pool = all_seeds[kind]
            which = int(rng.integers(0, len(pool)))
            structured = kind in ("idx-gz", "npz", "png") and rng.random() < 0.5
            if structured:
                data = repack(kind, pool[which], rng, pool)
            else:
                data = mutate(pool[which], rng, pool, opcodes=kind == "pickle")
            path = work / f"input.{kind}"
            targets = [None] if kind == "cache" else loaders(kind)
            if kind != "cache":
                path.write_bytes(data)
            for loader in targets:
                start = time.perf_counter()
                signal.alarm(args.timeout)
                try:
                    with stderr_watched() as printed:
                        if loader is None:
                            cache.run(data, which)
                        else:
                            loader(path)
                    if printed():  # a line on stderr would precede the one line of an error
                        raise Printed(printed()[:200])
                    outcome = "accepted"
                except MnistInferError:
                    outcome = "refused" if not printed() else f"ESCAPED {Printed.__name__}"
                    if printed():
                        escapes.append({"kind": kind, "error": f"Printed: {printed()[:200]}", "input": i})
                except BaseException as exc:  # everything else escapes
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    outcome = f"ESCAPED {type(exc).__name__}"
                    escapes.append(
                        {
                            "kind": kind,
                            "loader": getattr(loader, "__name__", "load_split"),
                            "error": f"{type(exc).__name__}: {str(exc)[:200]}",
                            "input": i,
                        }
                    )
                    if args.save:
                        args.save.mkdir(parents=True, exist_ok=True)
                        (args.save / f"{i}.{kind}").write_bytes(data)
                finally:
                    signal.alarm(0)
                slowest[kind] = max(slowest[kind], time.perf_counter() - start)
                figures[kind][outcome] += 1
        report = {
            "inputs": args.inputs,
            "seed": args.seed,
            "memory_mib": args.memory_mib,
            "escapes": len(escapes),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "kinds": {
                k: {
                    **figures[k],
                    "inputs": sum(figures[k].values()) // len(loaders(k) if k != "cache" else [None]),
                    "loads": sum(figures[k].values()),
                    "slowest_seconds": round(slowest[k], 3),
                }
                for k in kinds
            },
            "escaped": escapes[:50],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'kind':10} {'inputs':>7} {'loads':>7} {'accepted':>9} {'refused':>9} {'escaped':>8} {'slowest s':>10}")
        for k, row in report["kinds"].items():
            escaped = sum(v for key, v in row.items() if key.startswith("ESCAPED"))
            print(
                f"{k:10} {row['inputs']:7} {row['loads']:7} {row.get('accepted', 0):9} {row.get('refused', 0):9} "
                f"{escaped:8} {row['slowest_seconds']:10.3f}"
            )
        print(
            f"inputs {args.inputs}, escapes {len(escapes)}, peak RSS {report['peak_rss_mib']} MiB "
            f"(limit {args.memory_mib} MiB)"
        )
        for escape in escapes[:20]:
            print("  ", escape)
    sys.exit(1 if escapes else 0)


if __name__ == "__main__":
    main()
