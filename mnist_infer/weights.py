"""Weights: read them safely from ``.pkl`` or ``.npz``, check that they make a network, know them by checksum.

Weights files come from the internet, so nothing here calls ``pickle.load`` (see :mod:`mnist_infer.safepickle`)
or ``numpy.load`` with pickles allowed, and every size a file claims is checked against the file before any
memory is allocated for it.
"""

from __future__ import annotations

import math
import os
import stat
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import FILES, IMAGE_PIXELS, NUM_CLASSES, KnownFile
from .errors import UnsafeWeightsError, WeightsError
from .network import PARAM_NAMES, Network
from .safepickle import NUMERIC_KINDS, loads_arrays

#: Far above any network of this shape that anyone trains (the book's file is 182 kB).
MAX_WEIGHTS_BYTES = 256 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"
_KEYS_TEXT = " ".join(PARAM_NAMES)


def load_weights(
    path: str | os.PathLike[str], *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES
) -> dict[str, np.ndarray]:
    """Read weights from ``path`` and check them; returns float32 arrays ``W1 b1 W2 b2 W3 b3``.

    Shapes must chain ``inputs → h1 → h2 → outputs``; the hidden sizes are free.
    """
    return validate_weights(read_weights_and_metadata(path)[0], str(path), inputs=inputs, outputs=outputs)


def load_network(path: str | os.PathLike[str]) -> Network:
    """The MNIST network (784 inputs, 10 classes) with the weights in ``path``, and the activation the file names.

    The book's weights name none: sigmoid. Weights from ``mnist-infer train`` say which (a ReLU network stays one).
    """
    params, metadata = read_weights_and_metadata(path)
    return Network(validate_weights(params, str(path)), activation=metadata.get("activation", "sigmoid"))


def read_weights_and_metadata(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """The raw content of a weights file, and the metadata ``mnist-infer train`` stores beside the arrays (or {})."""
    from .weights_npz import split_metadata

    path = Path(path)
    return split_metadata(read_weights_file(path), str(path))


def read_weights_file(path: Path) -> Any:
    """The raw content of a weights file: a dict of arrays if all is well, whatever it holds otherwise."""
    data = _read_bounded(path)
    if data.startswith(_ZIP_MAGIC):
        return _read_npz(path)
    if data.startswith(_NPY_MAGIC):
        raise WeightsError(
            f"{path}: a single .npy array; expected a dict of arrays {_KEYS_TEXT} (.pkl, or .npz from numpy.savez)"
        )
    return loads_arrays(data, str(path))


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing anything that is not a regular file of at most ``MAX_WEIGHTS_BYTES``."""
    try:
        if path.is_dir():
            raise IsADirectoryError
        if not stat.S_ISREG(path.stat().st_mode):  # before opening: opening a FIFO would block
            raise WeightsError(f"{path}: not a regular file; expected a weights file (.pkl or .npz)")
        with open(path, "rb") as f:
            data = f.read(MAX_WEIGHTS_BYTES + 1)  # never more than the limit, whatever the file claims
    except FileNotFoundError:
        raise WeightsError(
            f"{path}: no such weights file; `mnist-infer download` fetches the book's sample_weight.pkl"
        ) from None
    except IsADirectoryError:
        raise WeightsError(f"{path}: is a directory, expected a weights file (.pkl or .npz)") from None
    except PermissionError:
        raise WeightsError(f"{path}: permission denied") from None
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"{path}: larger than the {MAX_WEIGHTS_BYTES:,} bytes a weights file may have")
    return data


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Read an ``.npz`` without pickles, checking each member's header against its size before reading it."""
    import zipfile  # only .npz needs it

    arrays: dict[str, np.ndarray] = {}
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > 64:
                raise WeightsError(f"{path}: {len(members)} arrays in the archive; expected {_KEYS_TEXT}")
            for info in members:
                key = info.filename.removesuffix(".npy")
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _fortran, dtype = read_header(member)
                    if dtype.hasobject:
                        raise UnsafeWeightsError(
                            f"{path}: holds something other than numeric arrays ({key} is an object array); "
                            "refused, nothing in it was run. mnist-infer loads only numeric arrays"
                        )
                    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
                        raise WeightsError(f"{path}: {key} has dtype {dtype}; expected a number type")
                    nbytes = math.prod(shape) * dtype.itemsize
                    total += nbytes
                    if nbytes > info.file_size or total > MAX_WEIGHTS_BYTES:
                        raise WeightsError(
                            f"{path}: {key} claims shape {shape} ({nbytes:,} bytes), the archive member holds "
                            f"{info.file_size:,}"
                        )
                with archive.open(info) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
    except WeightsError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        EOFError,
        OSError,
        RuntimeError,
        NotImplementedError,
        KeyError,
        TypeError,
        SyntaxError,
    ) as exc:
        raise WeightsError(f"{path}: not a valid .npz archive ({type(exc).__name__}: {exc})") from None
    return arrays


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def validate_weights(
    params: Any, source: str, *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES
) -> dict[str, np.ndarray]:
    """Check that ``params`` is a network ``inputs → h1 → h2 → outputs``; returns float32 copies."""
    if not isinstance(params, dict):
        raise WeightsError(f"{source}: holds {_describe(params)}, expected a dict with keys {_KEYS_TEXT}")
    found = sorted(str(k) for k in params)
    missing = [k for k in PARAM_NAMES if k not in params]
    extra = [k for k in found if k not in PARAM_NAMES]
    if missing or extra:
        problem = "; ".join(
            part
            for part in (
                f"missing {' '.join(missing)}" if missing else "",
                f"unexpected {' '.join(extra)}" if extra else "",
            )
            if part
        )
        raise WeightsError(f"{source}: {problem}: expected keys {_KEYS_TEXT}, found {' '.join(found) or 'none'}")
    for key in PARAM_NAMES:
        value = params[key]
        if not isinstance(value, np.ndarray):
            raise WeightsError(f"{source}: {key} is {_describe(value)}, expected a numeric array")
        if value.dtype.kind not in NUMERIC_KINDS:
            raise WeightsError(f"{source}: {key} has dtype {value.dtype}, expected a number type (float32)")

    width = inputs
    layers = list(zip(PARAM_NAMES[0::2], PARAM_NAMES[1::2], strict=True))
    for index, (w_key, b_key) in enumerate(layers):
        w, b = params[w_key], params[b_key]
        last = index == len(layers) - 1
        if w.ndim != 2 or w.shape[0] != width or (last and w.shape[1] != outputs) or w.shape[1] == 0:
            expected = f"({width}, {outputs})" if last else f"({width}, hidden size)"
            hint = f": the output layer must have {outputs} classes" if last and w.ndim == 2 else ""
            raise WeightsError(f"{source}: {w_key} has shape {w.shape}, expected {expected}{hint}")
        width = w.shape[1]
        if b.shape not in ((width,), (1, width)):
            raise WeightsError(f"{source}: {b_key} has shape {b.shape}, expected ({width},) to match {w_key}")

    checked: dict[str, np.ndarray] = {}
    for key in PARAM_NAMES:
        value = np.ascontiguousarray(params[key], dtype=np.float32)
        bad = int(np.count_nonzero(~np.isfinite(value)))
        if bad:
            raise WeightsError(
                f"{source}: {key} holds {bad:,} non-finite value(s) (NaN or inf); expected finite numbers"
            )
        checked[key] = value.reshape(-1) if key.startswith("b") else value
    return checked


# --- the toy network and the weights the tool knows --------------------------------------------------------


def toy_network() -> tuple[Network, np.ndarray]:
    """The book's 2-3-2-2 toy network (float64, as the book computes it) and its sample input x."""
    import json
    from importlib import resources

    spec = json.loads(resources.files("mnist_infer.bundled_weights").joinpath("toy.json").read_text("utf-8"))
    params = {key: np.array(spec[key], dtype=np.float64) for key in PARAM_NAMES}
    validate_weights(params, "toy.json", inputs=2, outputs=2)
    return Network(params, dtype=np.float64), np.array(spec["x"], dtype=np.float64)


def identify(path: str | os.PathLike[str]) -> KnownFile | None:
    """The catalog's weights whose size and sha256 match the file, if any (only a file of a known size is hashed)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        candidates = [known for known in FILES.values() if known.kind == "weights" and known.size == size]
        if not candidates:
            return None
        import hashlib

        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return next((known for known in candidates if known.sha256 == digest), None)
