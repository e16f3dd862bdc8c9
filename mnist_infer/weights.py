"""Weights: read them safely from ``.pkl`` or ``.npz``, check them against the network's architecture, save them,
and know the book's by checksum.

Weights come from the internet, so no code in a file ever runs and no size a file states is believed before it is
checked against the file:

- A pickle is read by an unpickler that admits only the few names a pickled dict of numpy arrays uses, and even
  those build inert stand-ins (the Python documentation's "restricting globals"); the arrays are made afterwards
  by ``numpy.frombuffer``, once their dtype is a plain number type and their byte count matches their shape. Its
  opcodes are walked first, so that no length or memo index it claims makes the unpickler allocate beyond the file.
- An ``.npz`` is read with ``allow_pickle=False``, after its zip directory's size and every member's ``.npy``
  header are checked against what the member really holds.
- Keys and shapes are compared with the architecture (stored in a trained file's metadata, else derived from the
  shapes of the book's pickles) before any array is made; then the numbers must be finite and small enough that
  the forward pass cannot overflow float32.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .catalog import BOOK_WEIGHTS, DEFAULT_WEIGHTS_NAME, FILES, IMAGE_PIXELS, NUM_CLASSES, REUPLOADS, KnownFile
from .errors import N_, InputError, MnistInferError, UnsafeWeightsError, WeightsError, os_reason
from .model.network import MAX_PARAMETERS, Architecture, ArchitectureError, Network, from_shapes, mlp
from .paths import NotRegularFile, existing_data_dir, packaged_file, read_regular, write_file

MAX_WEIGHTS_BYTES = 256 * 1024 * 1024  #: far above any network this tool runs (the book's largest file: 3.5 MB)
MAX_OPCODES = 10_000  #: a dict of a few arrays pickles in a few hundred opcodes
MAX_MEMBERS = 64  #: members of an .npz, and bytes of its zip directory (numpy writes ~100 a member)
MAX_DIRECTORY_BYTES = 256 * 1024
MAX_DEFLATE_RATIO = 1032  #: deflate never expands data by more than about 1032:1
MAX_METADATA_BYTES = 1024 * 1024
#: A bound on every layer's output for inputs in [0, 1] above this could overflow float32 (3.4e38): refused.
MAX_ACTIVATION_BOUND = 1e30
METADATA_KEY = "metadata"
_NUMERIC = "biuf"
_DTYPE_NAME = re.compile(r"b1|[iu][1248]|f[248]")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # zip members carry a date: a fixed one, so a seeded run writes the same bytes


class ArraySpec(NamedTuple):
    """An array of a weights file before it is made: its shape and dtype."""

    shape: tuple[int, ...]
    dtype: np.dtype


class Weights(NamedTuple):
    """What a weights file holds, checked: its architecture, its arrays, the metadata ``train`` stored (or {})."""

    architecture: Architecture
    params: dict[str, np.ndarray]
    metadata: dict[str, Any]


def load_network(path: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None):
    """The network in a weights file (by default the book's ``sample_weight.pkl``), checked; float32."""
    weights = read_weights(resolve(path, data_dir))
    network = Network(weights.architecture, weights.params)
    network.metadata = weights.metadata
    return network


def resolve(path: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The weights file a user means: ``path`` as given where it exists; a bare name of the book's weights
    (``sample_weight.pkl``, ``params.pkl``, ``deep_convnet_params.pkl``) means the data directory's copy, else the
    packaged one, from any folder."""
    path = Path(DEFAULT_WEIGHTS_NAME if path is None else path)
    if path.exists() or path.is_symlink() or path.name not in BOOK_WEIGHTS or str(path) != path.name:
        return path
    directory = existing_data_dir(data_dir)
    if directory is not None and (directory / path.name).is_file():
        return directory / path.name
    packaged = packaged_file(path.name)
    if packaged is not None:
        return packaged
    raise WeightsError(N_("{path}: not in the data directory; `mnist-infer download --weights {path}` fetches it"),
                       path=path.name)  # fmt: skip


def read_weights(path: str | os.PathLike[str], *, inputs: int = IMAGE_PIXELS, classes: int = NUM_CLASSES) -> Weights:
    """Read, check and convert a weights file (see the module's notes); every failure is a :class:`WeightsError`."""
    path = Path(path)
    data = _read_bounded(path)
    if data.startswith(b"PK\x03\x04"):
        specs, load = _open_npz(data, path)
    elif data.startswith(b"\x93NUMPY"):
        raise WeightsError(N_("{path}: a single .npy array; expected a dict of arrays (.pkl, or .npz from "
                              "numpy.savez)"),
                           path=path)  # fmt: skip
    else:
        specs, load = _open_pickle(data, path)
    if not isinstance(specs, dict):
        raise WeightsError(N_("{path}: holds {found}, expected a dict of arrays (W1, b1, …)"),
                           path=path, found=f"a {type(specs).__name__}")  # fmt: skip
    metadata = _metadata(specs, load, path)
    architecture = _architecture(specs, metadata, path, inputs, classes)
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf: check_values reports it
        params = {name: np.asarray(load(name), dtype=np.float32) for name in architecture.shapes()}
    check_values(architecture, params, path)
    return Weights(architecture, params, metadata)


def check_values(architecture: Architecture, params: dict[str, np.ndarray], path: str | Path) -> None:
    """Finite numbers, small enough that the forward pass cannot overflow float32 (what training checks too)."""
    for name, array in params.items():
        _finite(array, name, path)
    _check_bound(architecture, params, path)


def _read_bounded(path: Path) -> bytes:
    try:
        data = read_regular(path, MAX_WEIGHTS_BYTES)  # a FIFO is refused without blocking; never past the limit
    except FileNotFoundError:
        if path.name in BOOK_WEIGHTS:
            raise WeightsError(N_("{path}: no such weights file; `mnist-infer download --weights {name}` fetches the "
                                  "book's"),
                               path=path, name=path.name) from None  # fmt: skip
        import difflib

        stems = {Path(name).stem: name for name in BOOK_WEIGHTS}  # names compared without the .pkl they share
        close = difflib.get_close_matches(path.stem, stems, n=1, cutoff=0.75) if path.parent == Path() else []
        if close:  # `--weights deep_convnet_params`: the book's name without its extension, or mistyped
            raise WeightsError(N_("{path}: no such weights file; did you mean {name}?"),
                               path=path, name=stems[close[0]]) from None  # fmt: skip
        raise WeightsError(N_("{path}: no such weights file; check the path (`mnist-infer train --out FILE` writes "
                              "weights of your own)"),
                           path=path) from None  # fmt: skip
    except NotRegularFile as exc:
        raise WeightsError(N_("{path}: is {kind}; expected a weights file (.pkl or .npz)"),
                           path=path, kind=exc.kind) from None  # fmt: skip
    except OSError as exc:
        raise WeightsError(N_("{path}: cannot read it ({reason})"), path=path, reason=os_reason(exc)) from None
    except MemoryError:
        raise WeightsError(N_("{path}: not enough memory to read it"), path=path) from None
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(N_("{path}: larger than the {limit:,} bytes a weights file may have"),
                           path=path, limit=MAX_WEIGHTS_BYTES)  # fmt: skip
    if not data:
        raise WeightsError(N_("{path}: the file is empty; expected weights (.pkl or .npz)"), path=path)
    return data


def _architecture(specs: dict, metadata: dict, path: Path, inputs: int, classes: int) -> Architecture:
    """The architecture the metadata states (or the book's whose shapes these are), checked against the arrays."""
    shapes = {key: spec.shape for key, spec in specs.items() if isinstance(key, str) and isinstance(spec, ArraySpec)}
    try:
        if "architecture" in metadata:
            architecture = Architecture.from_json(metadata["architecture"])
        elif "sizes" in metadata:  # written by mnist-infer 0.1: a fully connected network
            sizes = metadata["sizes"]
            architecture = mlp(
                tuple(sizes[1:-1]), metadata.get("activation", "sigmoid"), inputs=sizes[0], classes=sizes[-1]
            )
        else:
            architecture = from_shapes(shapes)
    except (ArchitectureError, InputError) as exc:  # InputError: an activation of 0.1's metadata unknown
        raise WeightsError(N_("{path}: {problem}"), path=path, problem=exc) from None
    except (TypeError, IndexError, KeyError, MnistInferError):
        raise WeightsError(N_("{path}: {key}: the architecture in its metadata is malformed"),
                           path=path, key=METADATA_KEY) from None  # fmt: skip
    expected = _expected_keys(architecture, specs, path)
    found = sorted(_shown(key) for key in specs)
    missing = [key for key in expected if key not in specs]
    extra = [key for key in found if key not in expected]
    if missing or extra:
        extras = " ".join(extra[:12]) + (" …" if len(extra) > 12 else "")
        problem = "; ".join(
            p for p in (missing and f"missing {' '.join(missing)}", extra and f"unexpected {extras}") if p
        )
        shown = " ".join(found[:18]) + (f" … ({len(found):,} keys)" if len(found) > 18 else "")
        raise WeightsError(N_("{path}: {problem}: expected keys {expected}, found {found}"), path=path, problem=problem,
                           expected=" ".join(expected) or "W1 b1 …", found=shown or "none")  # fmt: skip
    for key, shape in expected.items():
        spec = _check_array(specs[key], key, path)
        if spec.dtype.kind not in _NUMERIC:
            raise WeightsError(N_("{path}: {key} has dtype {dtype}, expected a number type (float32)"),
                               path=path, key=key, dtype=spec.dtype)  # fmt: skip
        if spec.shape != shape and not (key[0] == "b" and spec.shape == (1, *shape)):
            raise WeightsError(N_("{path}: {key} has shape {found}, expected {expected} ({architecture})"),
                               path=path, key=key, found=spec.shape, expected=shape,
                               architecture=architecture.summary())  # fmt: skip
    if architecture.input_shape not in ((inputs,), (1, 28, 28)) or architecture.classes != classes:
        raise WeightsError(N_("{path}: a network from {found_inputs} inputs to {found_classes} classes "
                              "({architecture}); expected {inputs} inputs (28×28 pixels) and {classes} classes"),
                           path=path, found_inputs="×".join(map(str, architecture.input_shape)),
                           found_classes=architecture.classes, architecture=architecture.summary(),
                           inputs=inputs, classes=classes)  # fmt: skip
    return architecture


def _expected_keys(architecture: Architecture | None, specs: dict, path: Path) -> dict[str, tuple[int, ...]]:
    if architecture is not None:
        return architecture.shapes()
    weights = sorted(key for key in specs if isinstance(key, str) and key[:1] == "W")
    for key in weights:  # a W that is no array: say so, rather than that its shapes fit no architecture
        _check_array(specs[key], key, path)
    described = ", ".join(f"{key} {specs[key].shape}" for key in weights[:8])
    raise WeightsError(N_("{path}: fits no architecture this tool knows ({found}); expected chapter 3's fully "
                          "connected network (every W a matrix), chapter 7's SimpleConvNet or chapter 8's DeepConvNet"),
                       path=path, found=described or "no W1")  # fmt: skip


def _check_array(spec: Any, key: str, path: Path) -> ArraySpec:
    if not isinstance(spec, ArraySpec):
        raise WeightsError(N_("{path}: {key} is {found}, expected a numeric array"),
                           path=path, key=_shown(key), found=f"a {type(spec).__name__}")  # fmt: skip
    return spec


#: A damaged archive or pickle: the sentence is the tool's; Python's own words (``reason``, which names the
#: exception and where the parser stopped) stay a field of the error, for ``--debug`` and for whoever catches it.
_NOT_NPZ = N_("{path}: not a valid .npz archive (damaged or cut short); expected one as numpy.savez writes it")
GZIP_MAGIC = b"\x1f\x8b"
#: Pictures given as weights (a mixed-up argument): the formats `predict --image` reads, by their first bytes.
IMAGE_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP", b"II*\x00": "TIFF",
               b"MM\x00*": "TIFF", b"RIFF": "WebP"}  # fmt: skip


def _not_a_pickle(data: bytes, path: Path, exc: Exception) -> WeightsError:
    """What a file the unpickler could not read is, in the tool's words: a gzip file, a picture, or a damaged pickle
    (or another kind of file). Python's words stay the field ``reason``."""
    if data.startswith(GZIP_MAGIC):
        return WeightsError(N_("{path}: a gzip file; unpack it first (`gunzip`) and give the file inside"),
                            path=path, reason=_reason(exc))  # fmt: skip
    kind = next((name for magic, name in IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if kind is not None:
        return WeightsError(N_("{path}: a picture ({format}), not weights; `predict --image` reads pictures"),
                            path=path, format=kind, reason=_reason(exc))  # fmt: skip
    return WeightsError(N_("{path}: not a valid pickle, nor an .npz archive (damaged, or another kind of file); "
                           "expected a pickled dict of arrays such as the book's sample_weight.pkl"),
                        path=path, reason=_reason(exc))  # fmt: skip


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"


def _shown(key: Any) -> str:
    """A key as messages show it: a name (cut short), or the type of what is not a name."""
    if isinstance(key, str):
        return key if len(key) <= 24 else key[:24] + "…"
    return f"<{type(key).__name__}>"  # never its repr: a tuple nested 1,500 deep cannot be printed


def _finite(array: np.ndarray, key: str, path: Path) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # a float64 beyond float32's range becomes inf: reported
        bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise WeightsError(N_("{path}: {key} holds {count:,} non-finite value(s) (NaN or inf, or beyond float32); "
                              "expected finite numbers"),
                           path=path, key=key, count=bad)  # fmt: skip
    return array


def _check_bound(architecture: Architecture, params: dict[str, np.ndarray], path: Path) -> None:
    """Refuse weights whose forward pass could overflow: a bound on each layer's output for inputs in [0, 1]."""
    bound = 1.0
    for step in architecture.steps():
        kind, names = step.spec["type"], list(step.params) + list(step.state)
        if kind in ("affine", "conv"):
            W, b = (params[name].astype(np.float64) for name in names)
            sums = np.abs(W).sum(axis=0) if kind == "affine" else np.abs(W).reshape(len(W), -1).sum(axis=1)
            bound = float((sums * bound + np.abs(b.reshape(-1))).max())
        elif kind == "batchnorm":
            gamma, beta, mean, var = (params[name].astype(np.float64).reshape(-1) for name in names)
            bound = float((np.abs(gamma) * (bound + np.abs(mean)) / np.sqrt(var + 1e-6) + np.abs(beta)).max())
        elif kind in ("sigmoid", "tanh"):
            bound = 1.0
        if not bound <= MAX_ACTIVATION_BOUND:
            raise WeightsError(N_("{path}: {names} are so large that the forward pass could overflow float32 (a "
                                  "bound on {layer}'s output reaches {bound:.1e}); expected the weights of a trained "
                                  "network"),
                               path=path, names=" and ".join(names), layer=step.name, bound=bound)  # fmt: skip


def _metadata(specs: dict, load, path: Path) -> dict[str, Any]:
    """The JSON object ``train`` stores as a uint8 member (not a pickle: the file holds numeric arrays only)."""
    if METADATA_KEY not in specs:
        return {}
    spec = specs.pop(METADATA_KEY)
    if not isinstance(spec, ArraySpec) or spec.dtype != np.uint8 or len(spec.shape) != 1:
        raise WeightsError(N_("{path}: {key} is not the JSON text `mnist-infer train` writes, as a uint8 array"),
                           path=path, key=METADATA_KEY)  # fmt: skip
    if spec.shape[0] > MAX_METADATA_BYTES:
        raise WeightsError(N_("{path}: {key} has {size:,} bytes, more than {limit:,}"),
                           path=path, key=METADATA_KEY, size=spec.shape[0], limit=MAX_METADATA_BYTES)  # fmt: skip
    try:
        metadata = json.loads(np.asarray(load(METADATA_KEY)).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WeightsError(N_("{path}: {key} is not JSON text ({reason})"),
                           path=path, key=METADATA_KEY, reason=type(exc).__name__) from None  # fmt: skip
    if not isinstance(metadata, dict):
        raise WeightsError(N_("{path}: {key} holds a JSON {kind}; expected an object"),
                           path=path, key=METADATA_KEY, kind=type(metadata).__name__)  # fmt: skip
    return metadata


# --- .npz ------------------------------------------------------------------------------------------------------


def _open_npz(data: bytes, path: Path):
    """Every member's header (checked against what the member holds), and a function that reads one member."""
    import zipfile  # .npz files only: the book's pickles do without it

    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end >= 0 and len(data) - end >= 22:  # the end record: the directory's size, before zipfile reads it
        entries, size = (
            int.from_bytes(data[end + 10 : end + 12], "little"),
            int.from_bytes(data[end + 12 : end + 16], "little"),
        )
        if (entries == 0xFFFF or size == 0xFFFFFFFF) and data[end - 20 : end - 16] == b"PK\x06\x07":
            offset = int.from_bytes(data[end - 12 : end - 4], "little")  # zip64
            entries = int.from_bytes(data[offset + 32 : offset + 40], "little") if offset + 56 <= len(data) else 0
            size = int.from_bytes(data[offset + 40 : offset + 48], "little") if offset + 56 <= len(data) else 0
        if entries > MAX_MEMBERS or size > MAX_DIRECTORY_BYTES:
            raise WeightsError(N_("{path}: its zip directory lists {entries:,} members in {size:,} bytes; a weights "
                                  "archive has at most {limit}"),
                               path=path, entries=entries, size=size, limit=MAX_MEMBERS)  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            specs, total = {}, 0
            for key, info in members.items():
                stored = info.compress_type == zipfile.ZIP_STORED
                if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise WeightsError(N_("{path}: member {key} is encrypted or compressed with method {method}; "
                                          "expected stored or deflated members, as numpy.savez writes them"),
                                       path=path, key=key[:40], method=info.compress_type)  # fmt: skip
                total += info.file_size
                if (
                    info.file_size > (info.compress_size if stored else MAX_DEFLATE_RATIO * info.compress_size + 1024)
                    or total > MAX_PARAMETERS * 8 + MAX_METADATA_BYTES
                ):
                    raise WeightsError(N_("{path}: member {key} claims {size:,} bytes from {compressed:,} "
                                          "compressed; the archive is corrupt or too large"),
                                       path=path, key=key[:40], size=info.file_size,
                                       compressed=info.compress_size)  # fmt: skip
                with archive.open(info) as member:
                    specs[key] = _npy_spec(member, info.file_size, key, path)
    except WeightsError:
        raise
    except Exception as exc:  # zipfile, zlib and numpy's header parser raise many kinds on damaged bytes
        raise WeightsError(_NOT_NPZ, path=path, reason=_reason(exc)) from None

    def load(key: str) -> np.ndarray:
        try:
            with archive.open(members[key]) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        except Exception as exc:
            raise WeightsError(_NOT_NPZ, path=path, reason=_reason(exc)) from None

    return specs, load


def _npy_spec(member, size: int, key: str, path: Path) -> ArraySpec:
    """A member's ``.npy`` header: a plain numeric dtype, and no more bytes for its shape than it holds."""
    version = np.lib.format.read_magic(member)
    shape, _fortran, dtype = (
        np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    )(member)
    if dtype.hasobject:
        raise UnsafeWeightsError(N_("{path}: holds something other than numeric arrays ({key} is an object array); "
                                    "refused, nothing in it was run"),
                                 path=path, key=key[:40])  # fmt: skip
    if dtype.kind not in _NUMERIC or dtype.fields is not None or dtype.subdtype is not None:
        raise WeightsError(N_("{path}: {key} has dtype {dtype}; expected a number type"),
                           path=path, key=key[:40], dtype=dtype)  # fmt: skip
    if math.prod(shape) * dtype.itemsize > size:
        raise WeightsError(N_("{path}: {key} claims shape {shape}, more than the {size:,} bytes the member holds"),
                           path=path, key=key[:40], shape=shape, size=size)  # fmt: skip
    return ArraySpec(tuple(shape), dtype)


# --- .pkl ------------------------------------------------------------------------------------------------------


class _Refused(MnistInferError):
    """Raised inside the unpickler: the file asks for something a dict of arrays never needs (what, in a phrase of
    its own: a field of the error shown)."""


class _Dtype:
    """Stands for ``numpy.dtype(name, align, copy)`` and its ``__setstate__``."""

    def __init__(self, name: Any, align: Any = False, copy: Any = True) -> None:
        name = name.decode("latin1") if isinstance(name, bytes) else name
        if not isinstance(name, str) or not _DTYPE_NAME.fullmatch(name):
            raise _Refused(N_("an array of dtype {dtype!r} (not a plain number type)"), dtype=str(name)[:8])
        self.name, self.order = name, "="

    def __setstate__(self, state: Any) -> None:
        # (version, byte order, subarray, names, fields, itemsize, alignment, flags)
        if not isinstance(state, tuple) or len(state) < 2 or any(part is not None for part in state[2:5]):
            raise _Refused(N_("a structured or malformed dtype"))
        self.order = state[1] if state[1] in ("<", ">", "=", "|") else "="

    def dtype(self) -> np.dtype:
        return np.dtype(self.name).newbyteorder(self.order if self.order != "|" else "=")


class _Array:
    """Stands for an ndarray under construction: ``_reconstruct(ndarray, …)`` then ``__setstate__``."""

    state: tuple = ()

    def __setstate__(self, state: Any) -> None:
        self.state = state[1:] if isinstance(state, tuple) and len(state) == 5 else state

    def spec(self) -> ArraySpec:
        if not (isinstance(self.state, tuple) and len(self.state) == 4 and isinstance(self.state[1], _Dtype)):
            raise _Refused(N_("an array with a malformed state"))
        shape = self.state[0]
        if not (
            isinstance(shape, tuple) and len(shape) <= 32 and all(type(d) is int and 0 <= d < 2**40 for d in shape)
        ):
            raise _Refused(N_("an array with a malformed shape"))
        return ArraySpec(shape, self.state[1].dtype())

    def array(self) -> np.ndarray:
        shape, dtype = self.spec()
        fortran, data = self.state[2], self.state[3]
        data = data.encode("latin1") if isinstance(data, str) else data  # Python 2 pickles
        if not isinstance(data, (bytes, bytearray)) or len(data) != math.prod(shape) * dtype.itemsize:
            raise WeightsError(N_("an array of shape {shape} and dtype {dtype} whose data is not its {size:,} bytes"),
                               shape=shape, dtype=dtype, size=math.prod(shape) * dtype.itemsize)  # fmt: skip
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return array.astype(dtype.newbyteorder("="))


_NDARRAY = object()


def _reconstruct(cls: Any, shape: Any = (0,), typecode: Any = b"b") -> _Array:
    if cls is not _NDARRAY:
        raise _Refused(N_("an object that is not a numpy array"))
    return _Array()


def _frombuffer(data: Any, dtype: Any, shape: Any, order: Any = "C") -> _Array:
    """How protocol 5 pickles a contiguous array: ``numpy.core.numeric._frombuffer(buffer, dtype, shape, order)``."""
    array = _Array()
    array.state = (shape, dtype, order == "F", data)
    return array


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.budget = 2 * len(data) + 4096  # bytes that _codecs.encode may make (memoised text encoded again…)

    def find_class(self, module: str, name: str) -> Any:
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _reconstruct
        if name == "_frombuffer" and module in ("numpy.core.numeric", "numpy._core.numeric"):
            return _frombuffer
        if (module, name) == ("numpy", "ndarray"):
            return _NDARRAY
        if (module, name) == ("numpy", "dtype"):
            return _Dtype
        if (module, name) == ("_codecs", "encode"):  # how protocols 0–2 store bytes
            return self._encode
        raise _Refused(N_("it asks for {name}"), name=f"{module}.{name}")

    def _encode(self, text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _Refused(N_("a call to _codecs.encode other than latin-1"))
        self.budget -= len(text)
        if self.budget < 0:  # a memory bomb, not code: a WeightsError, not an UnsafeWeightsError
            raise WeightsError(N_("its strings would take more than twice the file's size in memory"))
        return text.encode("latin1")

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(N_("a persistent object"))


def _open_pickle(data: bytes, path: Path):
    import pickletools

    made: dict[str, np.ndarray] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pickletools warns of odd escapes in a STRING opcode
            for count, (opcode, arg, _pos) in enumerate(pickletools.genops(data)):
                if count >= MAX_OPCODES:
                    raise WeightsError(N_("more than {limit:,} pickle opcodes; a dict of arrays needs far fewer"),
                                       limit=MAX_OPCODES)  # fmt: skip
                if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT") and not (isinstance(arg, int) and 0 <= arg <= count):
                    raise WeightsError(N_("memo index {index} at opcode {count}; a valid pickle numbers them in order"),
                                       index=arg, count=count)  # fmt: skip
            result = _Unpickler(data).load()
            specs = (
                {key: value.spec() if isinstance(value, _Array) else value for key, value in result.items()}
                if isinstance(result, dict)
                else result
            )
    except _Refused as exc:
        raise UnsafeWeightsError(N_("{path}: holds something other than numeric arrays ({reason}); refused, nothing "
                                    "in it was run"),
                                 path=path, reason=exc) from None  # fmt: skip
    except WeightsError as exc:
        raise WeightsError(N_("{path}: {problem}"), path=path, problem=exc) from None
    except Exception as exc:  # what a damaged pickle makes the unpickler raise: EOFError, ValueError, …
        raise _not_a_pickle(data, path, exc) from None

    def load(key: str) -> np.ndarray:  # each array made once, however often the pickle refers to it
        if key not in made:
            try:
                made[key] = result[key].array()
            except (_Refused, WeightsError) as exc:
                raise WeightsError(N_("{path}: {problem}"), path=path, problem=exc) from None
        return made[key]

    return specs, load


# --- saving, the toy, the book's files --------------------------------------------------------------------------


def save_weights(path: str | os.PathLike[str], network: Network, metadata: dict[str, Any]) -> Path:
    """Write the network's arrays (float32, the book's layout) and ``metadata`` (with the architecture) as ``.npz``,
    atomically; the same network and metadata always give the same bytes."""
    import zipfile

    metadata = {**metadata, "architecture": network.architecture.to_json()}
    arrays = {name: np.asarray(value, dtype=np.float32) for name, value in network.params.items()}
    arrays[METADATA_KEY] = np.frombuffer(json.dumps(metadata, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(value), allow_pickle=False)
            archive.writestr(
                zipfile.ZipInfo(f"{key}.npy", date_time=_FIXED_DATE), member.getvalue(), zipfile.ZIP_DEFLATED
            )
    return write_file(path, buffer.getvalue(), N_("the weights"))


def toy_network() -> tuple[Network, np.ndarray]:
    """The book's 2-3-2-2 toy network (section 3.4.3, float64 as the book computes it) and its sample input."""
    from .paths import package_dir

    spec = json.loads((package_dir("mnist_infer.bundled_weights") / "toy.json").read_text("utf-8"))
    params = {key: np.array(value, dtype=np.float64) for key, value in spec.items() if key[0] in "Wb"}
    return Network(mlp((3, 2), inputs=2, classes=2), params, dtype=np.float64), np.array(spec["x"], dtype=np.float64)


def identify(path: str | os.PathLike[str]) -> KnownFile | None:
    """The book's weights file whose size and sha256 this file has (the 2016 originals or the 2022 re-uploads)."""
    import hashlib

    try:
        size = Path(path).stat().st_size
        candidates = [k for k in (*FILES.values(), *REUPLOADS) if k.kind == "weights" and k.size == size]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if candidates else ""
    except OSError:
        return None
    return next((known for known in candidates if known.sha256 == digest), None)
