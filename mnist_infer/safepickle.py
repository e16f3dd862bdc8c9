"""Read a pickled dict of numpy arrays without running anything from the file.

``pickle.load`` calls whatever callable a pickle names: ``os.system`` as easily as ``numpy.ndarray``. This
unpickler admits only the few names that pickled numpy arrays use, and even those do not reach numpy: they
build inert stand-ins that record the array's dtype, shape and bytes. Only after loading ends are the stand-ins
turned into arrays, by :func:`numpy.frombuffer`, once their dtype is checked to be a plain number type and their
byte count to match their shape. So a pickle can neither run code nor make numpy interpret bytes as pointers.

Nor can it make the loader allocate more than the file holds: the opcodes are walked first (no length or memo
index beyond the file), each stand-in becomes one array however often it is referred to, and every byte made
(``_codecs.encode`` results, arrays) counts against twice the file's size. A caller can check the arrays' keys,
shapes and dtypes (:class:`ArraySpec`) before any array is made.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import pickle
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .errors import MnistInferError, UnsafeWeightsError, WeightsError
from .safenpz import ArraySpec

#: dtype names (kind and item size, as numpy pickles them) a pickled array may have; numpy never sees others.
_DTYPE_NAME = re.compile(r"b1|[iu][1248]|f[248]")


class _Refused(Exception):
    """Raised inside the unpickler; turned into :class:`UnsafeWeightsError` with the file's name."""


_NDARRAY = object()  #: stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``


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
        if not _DTYPE_NAME.fullmatch(self.name):  # before numpy parses it: some names raise SyntaxError or warn
            raise _Refused(f"an array of dtype {self.name[:8]!r} (not a plain number type)")
        dtype = np.dtype(self.name)
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

    def _parts(self) -> tuple[Any, Any, Any, Any]:
        state = self.state
        if len(state) == 5:  # (version, shape, dtype, is_fortran, data)
            state = state[1:]
        if len(state) != 4:
            raise _Refused("an array with a malformed state")
        return state  # type: ignore[return-value]

    def spec(self) -> ArraySpec:
        """Shape and dtype, checked; nothing is made yet."""
        shape, dtype, _fortran, _data = self._parts()
        if not isinstance(dtype, DtypeStub):
            raise _Refused("an array without a plain dtype")
        if not (
            isinstance(shape, tuple) and len(shape) <= 32 and all(type(d) is int and 0 <= d < 2**40 for d in shape)
        ):
            raise _Refused("an array with a malformed shape")
        return ArraySpec(shape, dtype.to_dtype())

    def to_array(self, budget: _Budget) -> np.ndarray:
        shape, real = self.spec()
        _shape, _dtype, fortran, data = self._parts()
        if isinstance(data, str):  # Python 2 pickles loaded with encoding="latin1"
            budget.spend(len(data))
            data = data.encode("latin1")
        if not isinstance(data, (bytes, bytearray)):
            raise _Refused(f"an array whose data is a {type(data).__name__}, not bytes")
        expected = math.prod(shape) * real.itemsize
        if len(data) != expected:
            raise WeightsError(
                f"an array of shape {shape} and dtype {real} needs {expected:,} bytes, the file holds {len(data):,}"
            )
        budget.spend(expected)
        array = np.frombuffer(data, dtype=real).reshape(shape, order="F" if bool(fortran) else "C")
        return array.astype(real.newbyteorder("="))


class _Budget:
    """Bytes the stand-ins may still make: twice the pickle's size (a string encoded, then an array made of it)."""

    def __init__(self, size: int) -> None:
        self.left = 2 * size + 4096

    def spend(self, nbytes: int) -> None:
        self.left -= nbytes
        if self.left < 0:
            raise WeightsError("making its arrays would take more than twice the file's size in memory")


def _reconstruct(cls: Any, shape: Any = (0,), typecode: Any = b"b") -> ArrayStub:
    if cls is not _NDARRAY:
        raise _Refused("an object that is not a numpy array")
    return ArrayStub()


def _frombuffer(data: Any, dtype: Any, shape: Any, order: Any = "C") -> ArrayStub:
    """Protocol 5 pickles of contiguous arrays: ``numpy.core.numeric._frombuffer``."""
    stub = ArrayStub()
    stub.state = (shape, dtype, order == "F", data)
    return stub


def _latin1_encode(text: Any, encoding: Any = "utf-8", *, budget: _Budget) -> bytes:
    """``_codecs.encode``: how protocols 0–2 store ``bytes`` in Python 3. Only latin-1 text is accepted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("a call to _codecs.encode other than latin-1")
    budget.spend(len(text))
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
    def __init__(self, data: bytes, budget: _Budget) -> None:
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.budget = budget

    def find_class(self, module: str, name: str) -> Any:
        try:
            found = ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise _Refused(f"it asks for {module}.{name}") from None
        # What encode makes counts against the budget: memoised text may be encoded again and again.
        return functools.partial(found, budget=self.budget) if found is _latin1_encode else found

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
    import pickletools  # imported here: the package's own copy of the book's weights is not walked

    for count, (opcode, arg, _pos) in enumerate(pickletools.genops(data)):
        if count >= MAX_OPCODES:
            raise WeightsError(f"more than {MAX_OPCODES:,} pickle opcodes; a dict of arrays needs far fewer")
        if opcode.name in _MEMO_PUTS and not (isinstance(arg, int) and 0 <= arg <= count):
            raise WeightsError(f"memo index {arg} at opcode {count}; a valid pickle numbers them in order")


def loads_arrays(data: bytes, source: str, check: Callable[[dict], None] | None = None, *, walk: bool = True) -> Any:
    """Unpickle ``data``; every array in it comes back as a real ndarray, anything else is refused.

    The result is returned as the pickle built it (a dict, usually); arrays at its top level or one dict deep
    are converted. ``source`` names the file in error messages. ``check``, when given and the pickle holds a
    dict, is called with that dict in which each array is its :class:`ArraySpec` (other values as they are),
    before any array is made: it raises to refuse them (wrong keys, shapes or sizes cost nothing then).
    ``walk=False`` skips the walk of the opcodes before unpickling, for the package's own file only (the
    restricted unpickler still builds nothing but inert stand-ins).
    """
    if not data:
        raise WeightsError(f"{source}: the file is empty; expected a pickled dict of arrays")
    budget, layout = _Budget(len(data)), None
    with _refusals(source), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pickletools warns of odd escapes in a STRING opcode: not the user's concern
        if walk:
            _scan(data)
        result = _RestrictedUnpickler(data, budget).load()
        if check is not None and isinstance(result, dict):
            layout = {key: value.spec() if isinstance(value, ArrayStub) else value for key, value in result.items()}
    if layout is not None:
        check(layout)  # type: ignore[misc]
    with _refusals(source):
        return _convert(result, budget)


@contextlib.contextmanager
def _refusals(source: str) -> Iterator[None]:
    """Whatever the unpickler or the stand-ins raise becomes a WeightsError naming ``source``."""
    try:
        yield
    except _Refused as exc:
        raise UnsafeWeightsError(
            f"{source}: holds something other than numeric arrays ({exc}); refused, nothing in it was run. "
            "mnist-infer loads only dicts of numeric numpy arrays from .pkl or .npz files"
        ) from None
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
        reason = " ".join(str(exc).split())[:160]
        raise WeightsError(
            f"{source}: not a valid pickle ({type(exc).__name__}: {reason}); expected a pickled dict of arrays "
            "such as the book's sample_weight.pkl"
        ) from None


def _convert(obj: Any, budget: _Budget, made: dict | None = None) -> Any:
    """Replace array stand-ins at the top level or one dict deep, each once; stand-ins elsewhere stay inert."""
    if isinstance(obj, ArrayStub):
        if made is None:
            return obj.to_array(budget)
        if id(obj) not in made:
            made[id(obj)] = obj.to_array(budget)
        return made[id(obj)]
    if isinstance(obj, DtypeStub):
        raise _Refused("a bare dtype")
    if made is None and isinstance(obj, dict):
        made = {}
        return {key: _convert(value, budget, made) for key, value in obj.items()}
    return obj
