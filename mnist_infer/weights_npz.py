"""The ``.npz`` weights ``mnist-infer train`` writes: ``W1 b1 W2 b2 W3 b3`` and a ``metadata`` member.

The metadata (architecture, activation, epochs, accuracy, seed, tool version, how it was trained) is JSON text
stored as a uint8 array, so that the file holds numeric arrays only and passes the same safe reader as any
weights file (no pickle anywhere). The archive's members carry a fixed date, so a seeded run writes the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MnistInferError, WeightsError
from .files import atomic_write
from .layers import ACTIVATIONS

METADATA_KEY = "metadata"
#: Far above what `train` writes (a few kB); a larger member is refused rather than parsed.
MAX_METADATA_BYTES = 1024 * 1024
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry


def save_weights(path: str | os.PathLike[str], params: dict[str, np.ndarray], metadata: dict[str, Any]) -> Path:
    """Write ``params`` (float32) and ``metadata`` to ``path`` as ``.npz``, atomically."""
    import io
    import json
    import zipfile  # only writers need it: reading weights for evaluate stays lean

    path = Path(path)
    arrays = {key: np.ascontiguousarray(value, dtype=np.float32) for key, value in params.items()}
    arrays[METADATA_KEY] = np.frombuffer(json.dumps(metadata, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, value, allow_pickle=False)
            archive.writestr(
                zipfile.ZipInfo(f"{key}.npy", date_time=_FIXED_DATE), member.getvalue(), zipfile.ZIP_DEFLATED
            )
    try:
        with atomic_write(path) as f:
            f.write(buffer.getvalue())
    except OSError as exc:
        raise MnistInferError(f"{path}: cannot write the weights ({exc.strerror or exc})") from None
    return path


def check_writable(path: str | os.PathLike[str], what: str = "the weights") -> None:
    """Fail now, not after training, if ``path`` cannot be written (a missing directory, no permission)."""
    import tempfile

    path = Path(path)
    if path.is_dir():
        raise MnistInferError(f"{path}: is a directory; expected the name of a file to write {what} to")
    if not path.parent.is_dir():
        raise MnistInferError(f"{path}: cannot write {what}: directory {path.parent} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"):
            pass
    except OSError as exc:
        raise MnistInferError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None


def without_metadata(layout: Any, source: str) -> Any:
    """The arrays' layout without the metadata member, once that member's own layout is checked: a uint8 vector
    of at most :data:`MAX_METADATA_BYTES` (so that no larger one is ever read)."""
    if not isinstance(layout, dict) or METADATA_KEY not in layout:
        return layout
    spec = layout[METADATA_KEY]
    dtype, shape = getattr(spec, "dtype", None), getattr(spec, "shape", None)
    if dtype != np.uint8 or not isinstance(shape, tuple) or len(shape) != 1:
        raise WeightsError(
            f"{source}: {METADATA_KEY} is an array of {dtype} {shape}; expected the JSON text `mnist-infer train` "
            "writes, as a uint8 array"
        )
    if shape[0] > MAX_METADATA_BYTES:
        raise WeightsError(f"{source}: {METADATA_KEY} has {shape[0]:,} bytes, more than {MAX_METADATA_BYTES:,}")
    return {key: value for key, value in layout.items() if key != METADATA_KEY}


def split_metadata(raw: Any, source: str) -> tuple[Any, dict[str, Any]]:
    """``(params, metadata)`` from what a weights file holds; files without metadata (the book's) give ``{}``.

    The metadata must be UTF-8 JSON text of an object whose ``activation``, if given, is one the network knows.
    """
    if not isinstance(raw, dict) or METADATA_KEY not in raw:
        return raw, {}
    import json  # only trained weights have metadata

    params = {key: value for key, value in raw.items() if key != METADATA_KEY}
    value = raw[METADATA_KEY]
    expected = "expected the JSON text `mnist-infer train` writes, as a uint8 array"
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8 or value.ndim != 1:
        shape = f"an array of {value.dtype} {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise WeightsError(f"{source}: {METADATA_KEY} is {shape}; {expected}")
    if value.size > MAX_METADATA_BYTES:
        raise WeightsError(f"{source}: {METADATA_KEY} has {value.size:,} bytes, more than {MAX_METADATA_BYTES:,}")
    try:
        metadata = json.loads(value.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WeightsError(f"{source}: {METADATA_KEY} is not JSON text ({type(exc).__name__}); {expected}") from None
    if not isinstance(metadata, dict):
        raise WeightsError(f"{source}: {METADATA_KEY} holds a JSON {type(metadata).__name__}; expected an object")
    activation = metadata.get("activation", "sigmoid")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise WeightsError(
            f"{source}: {METADATA_KEY} names the activation {activation!r}; expected {' or '.join(ACTIVATIONS)}"
        )
    return params, metadata
