"""Every fact the tool states once: the files it knows (names, sizes, checksums, sources) and MNIST's constants.

The catalog is data, not code (like torchvision's ``resources`` lists), and imports nothing heavy, so that the
command line can read it at start-up. The ``.gz`` checksums are the published ones; the ``content_*`` checksums
are of the decompressed IDX bytes, so that a re-gzipped copy (other gzip bytes, same data) is recognised too.
"""

from __future__ import annotations

from typing import NamedTuple

IMAGE_SIDE = 28
IMAGE_SHAPE = (IMAGE_SIDE, IMAGE_SIDE)
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE  #: 784, the network's inputs
NUM_CLASSES = 10  #: the digits 0–9, the network's outputs
DEFAULT_BATCH_SIZE = 2000  #: images per forward pass: bounds memory; larger batches are no faster
#: Environment variables by which a user tells numpy's BLAS (OpenBLAS, MKL, Apple's Accelerate) how many threads
#: to use.
BLAS_THREAD_SETTINGS = (
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
DEFAULT_WEIGHTS_NAME = "sample_weight.pkl"
#: dtype kinds a weights array may have: booleans, signed and unsigned integers, floats.
NUMERIC_KINDS = "biuf"

#: Where MNIST is fetched from, in order (the original host, yann.lecun.com, is gone).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://github.com/WegraLee/deep-learning-from-scratch/raw/master/dataset/",
)
#: Where the book's weights are fetched from, in order: the Japanese original, then the Korean edition.
BOOK_WEIGHTS_MIRRORS = (
    "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch/master/ch03/",
    "https://raw.githubusercontent.com/WegraLee/deep-learning-from-scratch/master/ch03/",
)


class KnownFile(NamedTuple):  # a NamedTuple, not a dataclass: the CLI reads this at start-up, and it is cheaper
    """A file the tool knows by name and checksum, and the base URLs it may be fetched from, in order."""

    name: str  #: canonical file name in the data directory
    kind: str  #: "images", "labels" or "weights"
    size: int
    md5: str
    sha256: str
    mirrors: tuple[str, ...]
    description: str = ""
    content_size: int | None = None
    content_md5: str | None = None
    content_sha256: str | None = None
    #: For weights: how many test images they classify correctly, of how many (the figure the book reports).
    test_correct: int | None = None
    test_total: int | None = None
    #: The package that ships a copy of the file (so that it works with no network), if one does.
    packaged_in: str | None = None

    @property
    def test_accuracy(self) -> float | None:
        return self.test_correct / self.test_total if self.test_correct is not None and self.test_total else None


FILES: dict[str, KnownFile] = {
    known.name: known
    for known in (
        KnownFile(
            "train-images-idx3-ubyte.gz",
            "images",
            9_912_422,
            md5="f68b3c2dcbeaaa9fbdd348bbdeb94873",
            sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            mirrors=MNIST_MIRRORS,
            description="MNIST training images, 60,000 × 28 × 28",
            content_size=47_040_016,
            content_md5="6bbc9ace898e44ae57da46a324031adb",
        ),
        KnownFile(
            "train-labels-idx1-ubyte.gz",
            "labels",
            28_881,
            md5="d53e105ee54ea40749a09fcbcd1e9432",
            sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            mirrors=MNIST_MIRRORS,
            description="MNIST training labels, 60,000",
            content_size=60_008,
            content_md5="a25bea736e30d166cdddb491f175f624",
            content_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        KnownFile(
            "t10k-images-idx3-ubyte.gz",
            "images",
            1_648_877,
            md5="9fb629c4189551a2d022fa330f9573f3",
            sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            mirrors=MNIST_MIRRORS,
            description="MNIST test images, 10,000 × 28 × 28",
            content_size=7_840_016,
            content_md5="2646ac647ad5339dbf082846283269ea",
            content_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            packaged_in="mnist_infer.bundled_mnist",
        ),
        KnownFile(
            "t10k-labels-idx1-ubyte.gz",
            "labels",
            4_542,
            md5="ec29112dd5afa0611ce80d1b7f02629c",
            sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            mirrors=MNIST_MIRRORS,
            description="MNIST test labels, 10,000",
            content_size=10_008,
            content_md5="27ae3e4e09519cfbb04c329615203637",
            content_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            packaged_in="mnist_infer.bundled_mnist",
        ),
        KnownFile(
            DEFAULT_WEIGHTS_NAME,
            "weights",
            181_853,
            md5="6aaf4fbaa5b675aae4fc669115b10e4f",
            sha256="b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
            mirrors=BOOK_WEIGHTS_MIRRORS,
            description="The book's pretrained chapter-3 weights: 784-50-100-10, sigmoid hidden layers, float32",
            test_correct=9352,
            test_total=10_000,
            packaged_in="mnist_infer.bundled_weights",
        ),
    )
}

#: split -> (images file, labels file), canonical names.
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SPLITS = tuple(SPLIT_FILES)


def spellings(canonical: str) -> tuple[str, ...]:
    """Names a file may have in a data directory, preferred first.

    ``t10k-images-idx3-ubyte.gz`` may also lie unpacked (``t10k-images-idx3-ubyte``) or under the dotted name
    that unpacking the official archives gives (``t10k-images.idx3-ubyte``).
    """
    if "-idx" not in canonical:
        return (canonical,)
    plain = canonical.removesuffix(".gz")
    stem, _, kind = plain.rpartition("-idx")
    dotted = f"{stem}.idx{kind}"
    return (canonical, plain, dotted, dotted + ".gz")
