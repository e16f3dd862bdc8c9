"""Weights: read them safely from ``.pkl`` or ``.npz``, check that they make a network, know them by checksum.

Weights files come from the internet, so nothing here calls ``pickle.load`` (see :mod:`mnist_infer.safepickle`)
or ``numpy.load`` with pickles allowed, and every size a file claims is checked against the file before any
memory is allocated for it. What can be checked before any array is made is checked first (keys, shapes, the
number of parameters: :func:`check_layout`), so a small file cannot become a huge network.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import DEFAULT_WEIGHTS_NAME, FILES, IMAGE_PIXELS, NUM_CLASSES, NUMERIC_KINDS, KnownFile
from .errors import WeightsError
from .files import NotRegularFile, read_regular
from .network import PARAM_NAMES, Network
from .safenpz import ArraySpec, loads_npz

#: Far above any network of this shape that anyone trains (the book's file is 182 kB).
MAX_WEIGHTS_BYTES = 256 * 1024 * 1024
#: At most this many parameters (64 MiB as float32; the book's network has 45,360) …
MAX_PARAMETERS = 1 << 24
#: … and at most this many units in a hidden layer (the book's are 50 and 100).
MAX_HIDDEN = 8192
#: The forward pass of inputs in [0, 1] must stay far below float32's 3.4e38 whatever the inputs are: a bound
#: on every layer's output (the sum of |weights| times the bound of its input, plus |bias|) above this is refused.
MAX_ACTIVATION_BOUND = 1e30
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"
_KEYS_TEXT = " ".join(PARAM_NAMES)


def load_weights(
    path: str | os.PathLike[str], *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES
) -> dict[str, np.ndarray]:
    """Read weights from ``path`` and check them; returns float32 arrays ``W1 b1 W2 b2 W3 b3``.

    Shapes must chain ``inputs → h1 → h2 → outputs``; the hidden sizes are free up to :data:`MAX_HIDDEN`.
    """
    path = Path(path)
    params, _ = read_weights_and_metadata(path, inputs=inputs, outputs=outputs)
    return validate_weights(params, str(path), inputs=inputs, outputs=outputs)


def load_network(path: str | os.PathLike[str] | None = None) -> Network:
    """The MNIST network (784 inputs, 10 classes) with the weights in ``path`` (by default, the book's), and the
    activation the file names.

    The book's weights name none: sigmoid. Weights from ``mnist-infer train`` say which (a ReLU network stays one).
    """
    if path is None:
        from .locations import default_weights

        path = default_weights()
    params, metadata = read_weights_and_metadata(path)
    return Network(validate_weights(params, str(path)), activation=metadata.get("activation", "sigmoid"))


def read_weights_and_metadata(
    path: str | os.PathLike[str], *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES
) -> tuple[Any, dict[str, Any]]:
    """The raw content of a weights file, and the metadata ``mnist-infer train`` stores beside the arrays (or {}).

    The layout (keys, dtypes, shapes, the metadata's size) is checked before any array is made.
    """
    from .weights_npz import split_metadata, without_metadata

    path = Path(path)

    def check(layout: Any) -> None:
        check_layout(without_metadata(layout, str(path)), str(path), inputs=inputs, outputs=outputs)

    return split_metadata(read_weights_file(path, check), str(path))


def read_weights_file(path: Path, check=None) -> Any:
    """The raw content of a weights file: a dict of arrays if all is well, whatever it holds otherwise.

    ``check``, if given, sees the layout (each array's :class:`ArraySpec`) before any array is made.
    """
    data = _read_bounded(path)
    if data.startswith(_ZIP_MAGIC):
        return loads_npz(data, str(path), MAX_PARAMETERS * 8 + 1024 * 1024, check)
    if data.startswith(_NPY_MAGIC):
        raise WeightsError(
            f"{path}: a single .npy array; expected a dict of arrays {_KEYS_TEXT} (.pkl, or .npz from numpy.savez)"
        )
    from .locations import is_packaged
    from .safepickle import loads_arrays  # only .pkl files need the unpickler

    # The package's own copy of the book's weights (its bytes checked against the catalog by a test) is the one
    # file whose opcodes need no walk for memory safety before unpickling.
    return loads_arrays(data, str(path), check, walk=not is_packaged(path))


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing anything that is not a regular file of at most ``MAX_WEIGHTS_BYTES``."""
    try:
        data = read_regular(path, MAX_WEIGHTS_BYTES)  # a FIFO is refused without blocking; never past the limit
    except FileNotFoundError:
        if Path(path).name == DEFAULT_WEIGHTS_NAME:
            hint = "`mnist-infer download` fetches the book's sample_weight.pkl"
        else:
            hint = "check the path (`mnist-infer train --out FILE` writes weights of your own)"
        raise WeightsError(f"{path}: no such weights file; {hint}") from None
    except NotRegularFile as exc:
        raise WeightsError(f"{path}: {exc.strerror}; expected a weights file (.pkl or .npz)") from None
    except OSError as exc:  # permission denied, a loop of links, a name too long, …
        raise WeightsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except MemoryError:
        raise WeightsError(f"{path}: not enough memory to read it") from None
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"{path}: larger than the {MAX_WEIGHTS_BYTES:,} bytes a weights file may have")
    return data


def _describe(value: Any) -> str:
    if isinstance(value, (np.ndarray, ArraySpec)):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _shown(key: Any) -> str:
    """A key as messages show it: a name (cut short), or the type of what is not a name."""
    if isinstance(key, str):
        return key if len(key) <= 24 else key[:24] + "…"
    return f"<{type(key).__name__}>"  # never its repr: a tuple nested 1,500 deep cannot be printed


def check_layout(params: Any, source: str, *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES) -> None:
    """Keys, dtypes, shapes and sizes of ``params`` (arrays, or the :class:`ArraySpec` of arrays not made yet):
    a network ``inputs → h1 → h2 → outputs`` of at most :data:`MAX_HIDDEN` units a layer and
    :data:`MAX_PARAMETERS` parameters."""
    if not isinstance(params, dict):
        raise WeightsError(f"{source}: holds {_describe(params)}, expected a dict with keys {_KEYS_TEXT}")
    found = sorted(_shown(k) for k in params)
    missing = [k for k in PARAM_NAMES if k not in params]
    extra = [k for k in found if k not in PARAM_NAMES]
    if missing or extra:
        problem = "; ".join(
            part
            for part in (
                f"missing {' '.join(missing)}" if missing else "",
                f"unexpected {' '.join(extra[:12])}{' …' if len(extra) > 12 else ''}" if extra else "",
            )
            if part
        )
        shown = " ".join(found[:18]) + (f" … ({len(found):,} keys)" if len(found) > 18 else "")
        raise WeightsError(f"{source}: {problem}: expected keys {_KEYS_TEXT}, found {shown or 'none'}")
    for key in PARAM_NAMES:
        value = params[key]
        if not isinstance(value, (np.ndarray, ArraySpec)):
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
        if not last and width > MAX_HIDDEN:
            raise WeightsError(
                f"{source}: {w_key} has shape {w.shape}: {width:,} hidden units, more than the {MAX_HIDDEN:,} "
                "this tool runs"
            )
        if b.shape not in ((width,), (1, width)):
            raise WeightsError(f"{source}: {b_key} has shape {b.shape}, expected ({width},) to match {w_key}")
    count = sum(math.prod(params[key].shape) for key in PARAM_NAMES)
    if count > MAX_PARAMETERS:
        raise WeightsError(f"{source}: {count:,} parameters, more than the {MAX_PARAMETERS:,} this tool runs")


def validate_weights(
    params: Any, source: str, *, inputs: int = IMAGE_PIXELS, outputs: int = NUM_CLASSES
) -> dict[str, np.ndarray]:
    """Check that ``params`` is a network ``inputs → h1 → h2 → outputs`` (:func:`check_layout`) of finite
    weights whose forward pass cannot overflow float32; returns float32 copies."""
    check_layout(params, source, inputs=inputs, outputs=outputs)
    checked: dict[str, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore"):  # a float64 beyond float32's range becomes inf: reported
        for key in PARAM_NAMES:
            value = np.ascontiguousarray(params[key], dtype=np.float32)
            bad = int(np.count_nonzero(~np.isfinite(value)))
            if bad:
                raise WeightsError(
                    f"{source}: {key} holds {bad:,} non-finite value(s) (NaN or inf, or beyond float32); "
                    "expected finite numbers"
                )
            checked[key] = value.reshape(-1) if key.startswith("b") else value
    _check_range(checked, source)
    return checked


def _check_range(params: dict[str, np.ndarray], source: str) -> None:
    """Refuse weights whose forward pass could overflow: a bound on each layer's output, for inputs in [0, 1]
    and either activation (a sigmoid's output is at most 1, a ReLU's at most its input's bound)."""
    bound = 1.0
    for index, w_key in enumerate(PARAM_NAMES[0::2], start=1):
        w, b = params[w_key], params[f"b{index}"]
        column_sums = np.abs(w).sum(axis=0, dtype=np.float64)
        bound = float((column_sums * max(bound, 1.0) + np.abs(b.astype(np.float64))).max())
        if not bound <= MAX_ACTIVATION_BOUND:
            raise WeightsError(
                f"{source}: {w_key} and b{index} are so large that the forward pass could overflow float32 "
                f"(a bound on layer {index}'s output reaches {bound:.1e}); expected the weights of a trained network"
            )


# --- the toy network and the weights the tool knows --------------------------------------------------------


def toy_network() -> tuple[Network, np.ndarray]:
    """The book's 2-3-2-2 toy network (float64, as the book computes it) and its sample input x."""
    import json

    from .locations import package_dir

    spec = json.loads((package_dir("mnist_infer.bundled_weights") / "toy.json").read_text("utf-8"))
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
