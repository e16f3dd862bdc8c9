"""Where things live on disk: the data directory and the user cache directory.

The data directory is ``--data-dir`` if given, else ``$MNIST_INFER_HOME``, else the user cache directory
``$XDG_CACHE_HOME/mnist-infer`` (by default ``~/.cache/mnist-infer``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import MnistInferError

HOME_ENV = "MNIST_INFER_HOME"


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/mnist-infer``, else ``~/.cache/mnist-infer``; None when there is no home to find."""
    cache = os.environ.get("XDG_CACHE_HOME")
    if cache:
        return Path(cache).expanduser() / "mnist-infer"
    try:
        return Path.home() / ".cache" / "mnist-infer"
    except (RuntimeError, KeyError):  # HOME unset and no passwd entry for this user
        return None


def default_data_dir() -> Path:
    """``$MNIST_INFER_HOME``, else :func:`user_cache_dir`."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser()
    cache = user_cache_dir()
    if cache is None:
        raise MnistInferError(
            f"no home directory to keep the data in (HOME is unset); pass --data-dir DIR or set ${HOME_ENV}"
        )
    return cache


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """``data_dir`` if given, else the default."""
    return Path(data_dir).expanduser() if data_dir else default_data_dir()
