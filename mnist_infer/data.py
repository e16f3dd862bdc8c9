"""The MNIST data: the two splits as uint8 arrays (checked, parsed once), and the book's ``load_mnist``.

Files lie in the data directory (:mod:`mnist_infer.locations`) under their canonical names
(``t10k-images-idx3-ubyte.gz``, …), or unpacked, or under the dotted names of the official archives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import idx
from .catalog import FILES, IMAGE_SHAPE, NUM_CLASSES, SPLIT_FILES, SPLITS, spellings
from .classify import images_to_inputs
from .errors import DataFileError, MissingDataError, MnistInferError
from .locations import HOME_ENV, packaged_file, resolve_data_dir
from .parsecache import load_cached


def find_data_file(data_dir: Path, canonical: str) -> Path | None:
    """The file for ``canonical`` in ``data_dir`` under any of its spellings, or None."""
    for name in spellings(canonical):
        candidate = data_dir / name
        if candidate.is_file():
            return candidate
    return None


def _check_split(split: str) -> None:
    if split not in SPLIT_FILES:
        raise MnistInferError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def split_paths(
    split: str, data_dir: str | os.PathLike[str] | None = None, *, packaged: bool = True
) -> tuple[Path, Path]:
    """Paths of the images and labels files of ``split``: the data directory's, else (if ``packaged``) the
    package's own copies (the test split ships with the tool). Raises :class:`MissingDataError` if none has them."""
    _check_split(split)
    directory = resolve_data_dir(data_dir)
    found = {name: find_data_file(directory, name) for name in SPLIT_FILES[split]}
    if packaged and not any(found.values()):  # never pair a user's images with packaged labels: both or neither
        found = {name: packaged_file(name) for name in found}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise MissingDataError(
            f"{directory}: missing {', '.join(missing)}; `mnist-infer download --split {split}` fetches "
            f"{'it' if len(missing) == 1 else 'them'} (or point --data-dir / ${HOME_ENV} at a directory that has them)"
        )
    images_path, labels_path = found.values()
    return images_path, labels_path


class Dataset:
    """One split of MNIST as the files hold it: ``images`` uint8 ``(N, 28, 28)``, ``labels`` uint8 ``(N,)``.

    The arrays may be read-only memory maps of the parse cache (see :mod:`mnist_infer.parsecache`). It unpacks
    like the book's pairs: ``x, t = load_split("test")``.
    """

    # A plain class, not a dataclass: every command that reads MNIST builds one, and a dataclass costs start-up.
    __slots__ = ("images", "images_path", "labels", "labels_path", "split")

    def __init__(
        self, split: str, images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path
    ) -> None:
        self.split, self.images, self.labels = split, images, labels
        self.images_path, self.labels_path = images_path, labels_path

    def __repr__(self) -> str:
        paths = f"images={str(self.images_path)!r}, labels={str(self.labels_path)!r}"
        return f"Dataset({self.split!r}, {len(self)} items, {paths})"

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.images, self.labels))

    def check_index(self, index: int) -> int:
        """``index`` itself if it names an image of this split, else an error that gives the valid range."""
        if not 0 <= index < len(self):
            raise MnistInferError(
                f"index {index} is out of range: the {self.split} split has {len(self):,} images (0–{len(self) - 1})"
            )
        return index


def load_split(
    split: str = "test", data_dir: str | os.PathLike[str] | None = None, *, packaged: bool = True
) -> Dataset:
    """Load the ``train`` or ``test`` split from the data directory (else, if ``packaged``, the package's own
    copy), checked and as uint8 arrays."""
    images_path, labels_path = split_paths(split, data_dir, packaged=packaged)
    # Both headers first (cheap): counts that disagree are refused before either file is parsed or cached.
    images_source, labels_source = idx.inspect(images_path, **idx.IMAGES), idx.inspect(labels_path, **idx.LABELS)
    if images_source.count != labels_source.count:
        raise DataFileError(
            f"{images_path}: {images_source.count:,} images, but {labels_path} has {labels_source.count:,} labels; "
            "the two files must come from the same split"
        )
    if images_source.count == 0:
        raise DataFileError(f"{images_path}: holds no images (0 images, 0 labels); expected a split of MNIST")
    images = load_cached(images_source, idx.read_images)
    labels = load_cached(labels_source, idx.read_labels)
    idx.check_labels(labels, labels_path)  # again, for a cache: 10,000 bytes, 10 µs
    return Dataset(split, images, labels, images_path, labels_path)


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The book's ``dataset.mnist.load_mnist``: ``((x_train, t_train), (x_test, t_test))``.

    - ``normalize``: images as float32 in [0, 1], else uint8 0–255.
    - ``flatten``: images as ``(N, 784)``, else ``(N, 1, 28, 28)``.
    - ``one_hot_label``: labels as float32 one-hot rows ``(N, 10)``, else uint8 digits ``(N,)``.
    """
    return tuple(  # type: ignore[return-value]
        _book_arrays(load_split(split, data_dir), normalize, flatten, one_hot_label) for split in ("train", "test")
    )


def _book_arrays(
    dataset: Dataset, normalize: bool, flatten: bool, one_hot_label: bool
) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(dataset), -1) if flatten else (len(dataset), 1, *IMAGE_SHAPE)
    x = images_to_inputs(dataset.images) if normalize else dataset.images.copy()
    t = np.eye(NUM_CLASSES, dtype=np.float32)[dataset.labels] if one_hot_label else dataset.labels.copy()
    return x.reshape(shape), t


def is_mnist(path: Path, canonical: str) -> bool:
    """Whether ``path`` holds the catalog's file ``canonical``, as published (gzipped) or unpacked."""
    import hashlib

    known = FILES[canonical]
    try:
        if path.stat().st_size not in (known.size, known.content_size):  # cheap first: most files differ here
            return False
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return False
    return digest in (known.sha256, known.content_sha256)
