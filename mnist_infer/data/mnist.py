"""MNIST's two splits as uint8 arrays (checked, parsed once), pixels as the network's inputs, and the book's
``load_mnist``.

Files lie in the data directory (:mod:`mnist_infer.paths`) under their canonical names
(``t10k-images-idx3-ubyte.gz``, …), or unpacked, or under the dotted names of the official archives. Where the
directory has neither file of the test split, the copies packaged with the tool serve; a split is never completed
half from the package.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..catalog import FILES, IMAGE_SHAPE, NUM_CLASSES, SPLIT_FILES, SPLITS, spellings
from ..errors import N_, DataFileError, InputError, MissingDataError, Phrase
from ..paths import existing_data_dir, packaged_file
from . import idx
from .cache import load_cached


def images_to_inputs(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` → rows ``(N, 784)`` of ``dtype`` in [0, 1], as the book normalises them (÷ 255)."""
    flat = np.asarray(images).reshape(len(images), -1)
    return np.divide(flat, np.dtype(dtype).type(255.0), dtype=dtype)


class Dataset:
    """One split of MNIST as its files hold it: ``images`` uint8 ``(N, 28, 28)``, ``labels`` uint8 ``(N,)``; it
    unpacks like the book's pairs (``x, t = load_split("test")``). The arrays may be read-only memory maps. A part
    of a split knows where it starts in it (``first``) and the labels of the whole split (``whole``)."""

    __slots__ = ("first", "images", "images_path", "labels", "labels_path", "split", "whole")

    def __init__(self, split: str, images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path,
                 first: int = 0, whole: np.ndarray | None = None):  # fmt: skip
        self.split, self.images, self.labels, self.first = split, images, labels, first
        self.images_path, self.labels_path = images_path, labels_path
        self.whole = labels if whole is None else whole

    def __repr__(self) -> str:
        return f"Dataset({self.split!r}, {len(self)} items, images={str(self.images_path)!r})"

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.images, self.labels))

    def check_index(self, index: int) -> int:
        """``index`` itself if it names an image of this split, else an error giving the valid range."""
        if not 0 <= index < len(self):
            raise InputError(N_("index {index} is out of range: the {split} split has {count:,} images (0–{last})"),
                             index=index, split=Phrase(self.split), count=len(self), last=len(self) - 1)  # fmt: skip
        return index

    def part(self, start: int = 0, stop: int | None = None) -> Dataset:
        """The images ``start`` to ``stop`` (exclusive) of the split."""
        start, stop, _ = slice(start, stop).indices(len(self))
        images, labels = self.images[start:stop], self.labels[start:stop]
        return Dataset(self.split, images, labels, self.images_path, self.labels_path, self.first + start, self.whole)

    def limited(self, start: int, stop: int) -> Dataset:
        """The images ``start`` to ``stop`` (exclusive), which must all be in the split (``--limit``): as an index
        out of range, a range beyond the split is an error giving the split's size, never cut short silently."""
        if not 0 <= start < stop <= len(self):
            raise InputError(N_("--limit {limit}: the {split} split has {count:,} images (0–{last})"),
                             limit=str(stop) if start == 0 else f"{start}:{stop}", split=Phrase(self.split),
                             count=len(self), last=len(self) - 1)  # fmt: skip
        return self.part(start, stop)

    def fingerprint(self) -> str:
        """The whole split's, from its labels (the same for every part; another data set's differs): what trained
        weights record, so that evaluating them on other data can say so."""
        import hashlib

        return hashlib.sha256(np.ascontiguousarray(self.whole).tobytes()).hexdigest()[:16]

    def name(self) -> str:
        """ "MNIST" if these are MNIST's own labels (by checksum), else the name of the folder that holds them."""
        return "MNIST" if is_mnist(self.labels_path, SPLIT_FILES[self.split][1]) else self.labels_path.parent.name


def split_paths(split: str, data_dir: str | os.PathLike[str] | None = None, *, packaged: bool = True):
    """The images and labels files of ``split``: the data directory's, else (if ``packaged``) the package's own
    copies. Raises :class:`MissingDataError` if neither has them."""
    if split not in SPLIT_FILES:
        raise InputError(N_("unknown split {split!r}; expected one of {known}"), split=split, known=", ".join(SPLITS))
    directory = existing_data_dir(data_dir)
    found = {name: _find(directory, name) for name in SPLIT_FILES[split]}
    if packaged and not any(found.values()):  # never a user's images with packaged labels: both or neither
        found = {name: packaged_file(name) for name in found}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise MissingDataError(N_("{directory}: missing {files}; `mnist-infer download --split {split}` fetches them "
                                  "(or point --data-dir / $MNIST_INFER_HOME at a directory that has them)"),
                               directory=directory, files=", ".join(missing), split=split)  # fmt: skip
    return tuple(found.values())


def _find(directory: Path | None, canonical: str) -> Path | None:
    paths = (directory / name for name in spellings(canonical)) if directory is not None else ()
    return next((path for path in paths if path.is_file()), None)


def load_split(split: str = "test", data_dir: str | os.PathLike[str] | None = None, *, packaged: bool = True):
    """The ``train`` or ``test`` split of the data directory (else, if ``packaged``, the package's copy), checked."""
    images_path, labels_path = split_paths(split, data_dir, packaged=packaged)
    # Both headers first (cheap): counts that disagree are refused before either file is parsed or cached.
    images_source, labels_source = idx.inspect(images_path, **idx.IMAGES), idx.inspect(labels_path, **idx.LABELS)
    if images_source.count != labels_source.count:
        raise DataFileError(N_("{images}: {image_count:,} images, but {labels} has {label_count:,} labels; the two "
                               "files must come from the same split"),
                            images=images_path, image_count=images_source.count, labels=labels_path,
                            label_count=labels_source.count)  # fmt: skip
    if images_source.count == 0:
        raise DataFileError(N_("{path}: holds no images; expected a split of MNIST"), path=images_path)
    images = load_cached(images_source, idx.read_images)
    labels = load_cached(labels_source, idx.read_labels)
    idx.check_labels(labels, labels_path)  # again, for a cache: 10,000 bytes, 10 µs
    return Dataset(split, images, labels, images_path, labels_path)


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False, data_dir=None):
    """The book's ``dataset.mnist.load_mnist``: ``((x_train, t_train), (x_test, t_test))``.

    ``normalize``: float32 in [0, 1], else uint8; ``flatten``: ``(N, 784)``, else ``(N, 1, 28, 28)``;
    ``one_hot_label``: float32 one-hot rows ``(N, 10)``, else uint8 digits.
    """

    def arrays(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
        x = images_to_inputs(dataset.images) if normalize else np.array(dataset.images)
        t = np.eye(NUM_CLASSES, dtype=np.float32)[dataset.labels] if one_hot_label else np.array(dataset.labels)
        return x.reshape((len(x), -1) if flatten else (len(x), 1, *IMAGE_SHAPE)), t

    return arrays(load_split("train", data_dir)), arrays(load_split("test", data_dir))


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


class Digits(NamedTuple):
    """MNIST digits by index, as ``show`` draws them; ``saved``: where they were written, and the picture's size."""

    split: str
    indices: list[int]
    labels: list[int]
    images: np.ndarray
    data: Path
    saved: tuple[Path, tuple[int, int]] | None = None

    def to_dict(self) -> dict[str, object]:
        digits = [
            {"split": self.split, "index": i, "label": label, "pixels": image.tolist()}
            for i, label, image in zip(self.indices, self.labels, self.images, strict=True)
        ]
        return {"digits": digits, "data": str(self.data)}


def digits(dataset: Dataset, indices: Sequence[int]) -> Digits:
    """The digits at ``indices`` of ``dataset`` (negative ones count from its end)."""
    chosen = [dataset.check_index(i) for i in indices]
    return Digits(
        dataset.split,
        chosen,
        [int(dataset.labels[i]) for i in chosen],
        np.asarray(dataset.images[chosen]),
        dataset.images_path,
    )


class ClassMeans(NamedTuple):
    """The average digit of each class and how many a split holds (``show --mean``): the data itself."""

    split: str
    counts: np.ndarray  #: images of each digit
    means: np.ndarray  #: (10, 28, 28) mean pixel values, 0–255
    data: Path
    saved: tuple[Path, tuple[int, int]] | None = None

    @property
    def images(self) -> np.ndarray:
        return np.rint(self.means).astype(np.uint8)

    def to_dict(self) -> dict[str, object]:
        return {"split": self.split, "counts": self.counts.tolist(), "means": np.round(self.means, 3).tolist(),
                "data": str(self.data)}  # fmt: skip


def class_means(dataset: Dataset) -> ClassMeans:
    """Sums per class, ten thousand images at a time (the train split is a memory map of 47 MB)."""
    sums, counts = np.zeros((NUM_CLASSES, 28, 28)), np.zeros(NUM_CLASSES, dtype=np.int64)
    for start in range(0, len(dataset), 10_000):
        images, labels = np.asarray(dataset.images[start : start + 10_000]), dataset.labels[start : start + 10_000]
        for digit in range(NUM_CLASSES):
            sums[digit] += images[labels == digit].sum(axis=0)
            counts[digit] += np.count_nonzero(labels == digit)
    return ClassMeans(dataset.split, counts, sums / np.maximum(counts, 1)[:, None, None], dataset.images_path)
