"""Read a pickled dict of numpy arrays without running anything from the file.

``pickle.load`` calls whatever callable a pickle names: ``os.system`` as easily as ``numpy.ndarray``. This
unpickler admits only the few names that pickled numpy arrays use, and even those do not reach numpy: they
build inert stand-ins that record the array's dtype, shape and bytes. Only after loading ends are the stand-ins
turned into arrays, by :func:`numpy.frombuffer`, once their dtype is checked to be a plain number type and their
byte count to match their shape. So a pickle can neither run code nor make numpy interpret bytes as pointers.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
from typing import Any

import numpy as np

from .catalog import NUMERIC_KINDS
from .errors import MnistInferError, UnsafeWeightsError, WeightsError


class _Refused(Exception):
    """Raised inside the unpickler; turned into :class:`UnsafeWeightsError` with the file's name."""


class _NdarrayClass:
    """Stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``."""

    __slots__ = ()


_NDARRAY = _NdarrayClass()


class DtypeStub:
    """Stands for ``numpy.dtype(name, align, copy)`` followed by ``__setstate__``."""

    __slots__ = ("name", "state")

    def __init__(self, name: Any, align: Any = False, copy: Any = True) -> None:
        if isinstance(name, bytes):  # Python 2 pickles
            name = name.decode("latin1")
        if not isinstance(name, str) or len(name) > 8:
            raise _Refused(f"a dtype given as {type(name).__name__}")
        self.name = name
        self.state: tuple = ()

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple):
            raise _Refused("a dtype with a malformed state")
        self.state = state

    def to_dtype(self) -> np.dtype:
        # state: (version, byte order, subarray, names, fields, itemsize, alignment, flags)
        state = self.state
        byteorder = state[1] if len(state) > 1 else "="
        if len(state) > 4 and any(part is not None for part in state[2:5]):
            raise _Refused("a structured or sub-array dtype")
        try:
            dtype = np.dtype(self.name)
        except TypeError:
            raise _Refused(f"an unknown dtype {self.name!r}") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
            raise _Refused(f"an array of dtype {dtype} (not a number type)")
        if byteorder in ("<", ">"):
            dtype = dtype.newbyteorder(byteorder)
        elif byteorder not in ("=", "|"):
            raise _Refused(f"a dtype with byte order {byteorder!r}")
        return dtype


class ArrayStub:
    """Stands for an ndarray under construction; :meth:`to_array` checks it and makes the real array."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state: tuple = ()

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple):
            raise _Refused("an array with a malformed state")
        self.state = state

    def to_array(self) -> np.ndarray:
        state = self.state
        if len(state) == 5:  # (version, shape, dtype, is_fortran, data)
            state = state[1:]
        if len(state) != 4:
            raise _Refused("an array with a malformed state")
        shape, dtype, fortran, data = state
        return _make_array(shape, dtype, bool(fortran), data)


def _make_array(shape: Any, dtype: Any, fortran: bool, data: Any) -> np.ndarray:
    if not isinstance(dtype, DtypeStub):
        raise _Refused("an array without a plain dtype")
    if not (isinstance(shape, tuple) and all(type(d) is int and 0 <= d < 2**40 for d in shape)):
        raise _Refused("an array with a malformed shape")
    real = dtype.to_dtype()
    if isinstance(data, str):  # Python 2 pickles loaded with encoding="latin1"
        data = data.encode("latin1")
    if not isinstance(data, (bytes, bytearray)):
        raise _Refused(f"an array whose data is a {type(data).__name__}, not bytes")
    expected = math.prod(shape) * real.itemsize
    if len(data) != expected:
        raise WeightsError(
            f"an array of shape {shape} and dtype {real} needs {expected:,} bytes, the file holds {len(data):,}"
        )
    array = np.frombuffer(data, dtype=real).reshape(shape, order="F" if fortran else "C")
    return array.astype(real.newbyteorder("="))


def _reconstruct(cls: Any, shape: Any = (0,), typecode: Any = b"b") -> ArrayStub:
    if cls is not _NDARRAY:
        raise _Refused("an object that is not a numpy array")
    return ArrayStub()


def _frombuffer(data: Any, dtype: Any, shape: Any, order: Any = "C") -> ArrayStub:
    """Protocol 5 pickles of contiguous arrays: ``numpy.core.numeric._frombuffer``."""
    stub = ArrayStub()
    stub.state = (shape, dtype, order == "F", bytes(data) if isinstance(data, bytearray) else data)
    return stub


def _latin1_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    """``_codecs.encode``: how protocols 0–2 store ``bytes`` in Python 3. Only latin-1 text is accepted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("a call to _codecs.encode other than latin-1")
    return text.encode("latin1")


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()``: how protocols 0–2 store an empty ``bytes``. Any argument (a size to allocate) is refused."""
    if args:
        raise _Refused("a call to bytes() with arguments")
    return b""


#: Every global a pickled dict of numpy arrays needs, old (``numpy.core``) and new (``numpy._core``) spellings.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): DtypeStub,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _latin1_encode,
    ("__builtin__", "bytes"): _empty_bytes,
    ("builtins", "bytes"): _empty_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise _Refused(f"it asks for {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("it asks for a persistent object")


#: A dict of a few arrays pickles in about a hundred opcodes; far more means it is something else.
MAX_OPCODES = 10_000
_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _scan(data: bytes) -> None:
    """Walk the opcodes once before unpickling, so that no claim of the pickle can make the C unpickler
    allocate more than the file holds: a string or bytes length beyond the end of the data fails here
    (the unpickler would allocate it first), and so does a memo index far beyond the opcodes seen (the
    unpickler would grow its memo table to it)."""
    for count, (opcode, arg, _pos) in enumerate(pickletools.genops(data)):
        if count >= MAX_OPCODES:
            raise WeightsError(f"more than {MAX_OPCODES:,} pickle opcodes; a dict of arrays needs far fewer")
        if opcode.name in _MEMO_PUTS and not (isinstance(arg, int) and 0 <= arg <= count):
            raise WeightsError(f"memo index {arg} at opcode {count}; a valid pickle numbers them in order")


def loads_arrays(data: bytes, source: str) -> Any:
    """Unpickle ``data``; every array in it comes back as a real ndarray, anything else is refused.

    The result is returned as the pickle built it (a dict, usually); arrays nested in it are converted.
    ``source`` names the file in error messages.
    """
    refusal = (
        f"{source}: holds something other than numeric arrays ({{why}}); refused, nothing in it was run. "
        "mnist-infer loads only dicts of numeric numpy arrays from .pkl or .npz files"
    )
    if not data:
        raise WeightsError(f"{source}: the file is empty; expected a pickled dict of arrays")
    try:
        _scan(data)
        result = _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
        return _convert(result)
    except _Refused as exc:
        raise UnsafeWeightsError(refusal.format(why=exc)) from None
    except MnistInferError as exc:
        raise WeightsError(f"{source}: {exc}") from None
    except (
        pickle.UnpicklingError,
        ValueError,
        EOFError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        MemoryError,
        RecursionError,
        UnicodeDecodeError,
    ) as exc:
        raise WeightsError(
            f"{source}: not a valid pickle ({type(exc).__name__}: {exc}); expected a pickled dict of arrays "
            "such as the book's sample_weight.pkl"
        ) from None


def _convert(obj: Any, top: bool = True) -> Any:
    """Replace array stand-ins at the top level or one dict deep; stand-ins anywhere else stay inert."""
    if isinstance(obj, ArrayStub):
        return obj.to_array()
    if isinstance(obj, DtypeStub):
        raise _Refused("a bare dtype")
    if top and isinstance(obj, dict):
        return {key: _convert(value, top=False) for key, value in obj.items()}
    return obj
