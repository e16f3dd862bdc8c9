"""Where things live on disk: the data directory, the user cache directory, and the copies inside the package.

The data directory is ``--data-dir`` if given, else ``$MNIST_INFER_HOME``, else the user cache directory
``$XDG_CACHE_HOME/mnist-infer`` (by default ``~/.cache/mnist-infer``). The package itself ships the MNIST test
split and the book's weights (see ``packaged_in`` in :mod:`mnist_infer.catalog`): they serve where the data
directory lacks them, so that the chapter runs with no network.
"""

from __future__ import annotations

import os
from pathlib import Path

from .catalog import DEFAULT_WEIGHTS_NAME, FILES
from .errors import MnistInferError

HOME_ENV = "MNIST_INFER_HOME"


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` expanded; an error if there is no home to expand it to (HOME unset and no
    passwd entry for this user). The only place that asks for the home directory, with :func:`user_cache_dir`."""
    path = Path(path)
    if not str(path).startswith("~"):
        return path
    try:
        return path.expanduser()
    except (RuntimeError, KeyError):
        raise MnistInferError(f"{path}: cannot expand ~ (no home directory: HOME is unset); give a full path") from None


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/mnist-infer``, else ``~/.cache/mnist-infer``; None when there is no home to find."""
    cache = os.environ.get("XDG_CACHE_HOME")
    try:
        if cache:
            return expand_user(cache) / "mnist-infer"
        return Path.home() / ".cache" / "mnist-infer"
    except (RuntimeError, KeyError, MnistInferError):  # HOME unset and no passwd entry for this user
        return None


def default_data_dir() -> Path:
    """``$MNIST_INFER_HOME``, else :func:`user_cache_dir`."""
    home = os.environ.get(HOME_ENV)
    if home:
        return expand_user(home)
    cache = user_cache_dir()
    if cache is None:
        raise MnistInferError(
            f"no home directory to keep the data in (HOME is unset); pass --data-dir DIR or set ${HOME_ENV}"
        )
    return cache


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """``data_dir`` if given, else the default."""
    return expand_user(data_dir) if data_dir else default_data_dir()


def packaged_file(name: str) -> Path | None:
    """The copy of the catalog's file ``name`` shipped inside the package, if there is one."""
    known = FILES.get(name)
    if known is None or known.packaged_in is None:
        return None
    path = package_dir(known.packaged_in) / name
    return path if path.is_file() else None


def package_dir(package: str) -> Path:
    """The directory of one of mnist-infer's packages, for the data files it ships."""
    import importlib

    # The package's own directory, not importlib.resources: that would import zipfile at every start.
    return Path(importlib.import_module(package).__file__).parent


def is_packaged(path: Path) -> bool:
    """Whether ``path`` is one of the package's own copies (read-only: nothing may be written beside it)."""
    copy = packaged_file(path.name)
    return copy is not None and copy.resolve() == path.resolve()


def describe(path: Path) -> str:
    """Where a file came from, for people: its path, or that it is the package's own copy."""
    return f"{path.name} (packaged with mnist-infer)" if is_packaged(path) else str(path)


def default_weights(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The book's weights: the data directory's copy, else the package's own."""
    path = resolve_data_dir(data_dir) / DEFAULT_WEIGHTS_NAME
    if path.is_file():
        return path
    packaged = packaged_file(DEFAULT_WEIGHTS_NAME)
    if packaged is None:
        raise MnistInferError(
            f"{path}: no weights file; `mnist-infer download` fetches the book's {DEFAULT_WEIGHTS_NAME}, "
            "or pass --weights FILE"
        )
    return packaged
