"""Every file the tool knows (names, sizes, checksums, sources, the book's figures) and MNIST's constants, once.

The catalog is data, not code, and imports nothing heavy, so that the command line can read it at start-up. The
``.gz`` checksums are the published ones; the ``content_*`` checksums are of the decompressed IDX bytes, so that a
re-gzipped copy (other gzip bytes, same data) is recognised too.
"""

from __future__ import annotations

from typing import NamedTuple

IMAGE_SIDE = 28
IMAGE_SHAPE = (IMAGE_SIDE, IMAGE_SIDE)
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE  #: 784, the network's inputs
NUM_CLASSES = 10  #: the digits 0–9, the network's outputs
DEFAULT_BATCH_SIZE = 2000  #: images per forward pass of a fully connected network: bounds memory
DEFAULT_WEIGHTS_NAME = "sample_weight.pkl"
#: What tells numpy's BLAS (OpenBLAS, MKL, Accelerate) how many threads to use: the command line sets them all to 1
#: before numpy loads, and runs its own workers instead.
BLAS_THREADS = (
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
#: Below this probability an answer is "not sure": the book's network then answers 76% of the test digits, 99.3% of
#: them right, and the DeepConvNet 85%, 99.98% right (``evaluate --reject``; docs/explain.md).
NOT_SURE_BELOW = 0.9

#: Where MNIST is fetched from, in order (the original host, yann.lecun.com, is gone).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://github.com/WegraLee/deep-learning-from-scratch/raw/master/dataset/",
)
_JAPANESE = "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch/"
_KOREAN = "https://raw.githubusercontent.com/WegraLee/deep-learning-from-scratch/master/"
#: The commit of the book's repository before a 2022 notebook commit replaced the chapter 7–8 weights.
_ORIGINAL = _JAPANESE + "0dda3d1715e2431b76eb4089b60881948853ba2a/"


class KnownFile(NamedTuple):  # a NamedTuple: the command line reads these at start-up
    """A file the tool knows by name and checksum, and the base URLs it may be fetched from, in order."""

    name: str  #: canonical file name in the data directory
    kind: str  #: "images", "labels" or "weights"
    size: int
    md5: str
    sha256: str
    mirrors: tuple[str, ...] = ()
    content_size: int | None = None
    content_md5: str | None = None
    content_sha256: str | None = None
    #: For weights: the book's chapter, and how many test images its own code classifies correctly.
    chapter: int | None = None
    test_correct: int | None = None
    #: The package that ships a copy (so that it works with no network), if one does.
    packaged_in: str | None = None
    #: For a later copy published under the same name: the year, and the original's test figure.
    reupload: int | None = None

    @property
    def test_accuracy(self) -> float | None:
        return None if self.test_correct is None else self.test_correct / TEST_IMAGES


TEST_IMAGES = 10_000
_WEIGHTS_PACKAGE = "mnist_infer.bundled_weights"

FILES: dict[str, KnownFile] = {
    known.name: known
    for known in (
        KnownFile(
            "train-images-idx3-ubyte.gz",
            "images",
            9_912_422,
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            MNIST_MIRRORS,
            content_size=47_040_016,
            content_md5="6bbc9ace898e44ae57da46a324031adb",
        ),
        KnownFile(
            "train-labels-idx1-ubyte.gz",
            "labels",
            28_881,
            "d53e105ee54ea40749a09fcbcd1e9432",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            MNIST_MIRRORS,
            content_size=60_008,
            content_md5="a25bea736e30d166cdddb491f175f624",
            content_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        KnownFile(
            "t10k-images-idx3-ubyte.gz",
            "images",
            1_648_877,
            "9fb629c4189551a2d022fa330f9573f3",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            MNIST_MIRRORS,
            content_size=7_840_016,
            content_md5="2646ac647ad5339dbf082846283269ea",
            content_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            packaged_in="mnist_infer.data.bundled",
        ),
        KnownFile(
            "t10k-labels-idx1-ubyte.gz",
            "labels",
            4_542,
            "ec29112dd5afa0611ce80d1b7f02629c",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            MNIST_MIRRORS,
            content_size=10_008,
            content_md5="27ae3e4e09519cfbb04c329615203637",
            content_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            packaged_in="mnist_infer.data.bundled",
        ),
        KnownFile(
            DEFAULT_WEIGHTS_NAME,
            "weights",
            181_853,
            "6aaf4fbaa5b675aae4fc669115b10e4f",
            "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
            (_JAPANESE + "master/ch03/", _KOREAN + "ch03/"),
            chapter=3,
            test_correct=9352,
            packaged_in=_WEIGHTS_PACKAGE,
        ),
        KnownFile(
            "params.pkl",
            "weights",
            3_471_538,
            "a80b018bc754c0a3a47189e3165f73dd",
            "290ab40c1b1218b392cdc155b633a5df642d829453702fa421ce5f3c6c55f779",
            (_KOREAN + "ch07/", _ORIGINAL + "ch07/"),
            chapter=7,
            test_correct=9890,
        ),
        KnownFile(
            "deep_convnet_params.pkl",
            "weights",
            989_346,
            "264de587216110d89785733a725459eb",
            "8c81d1d6ddedd08c8277c957f3af30a91e455a1d65474ec2b5a0e3527b7422cc",
            (_KOREAN + "ch08/", _ORIGINAL + "ch08/"),
            chapter=8,
            test_correct=9935,
            packaged_in=_WEIGHTS_PACKAGE,
        ),
    )
}

#: What the book's repository has carried under the chapter 7–8 names since 2022: weaker networks, recognised
#: by checksum so that a user who fetched "the latest" is told which file they have.
REUPLOADS = (
    KnownFile(
        "params.pkl",
        "weights",
        3_471_484,
        "5f06676ce1363d33c8c7e44159f8f1eb",
        "a5da99cffddafcfe5e686e79dc0ec3a7cc993b58e64f483b50960511e5e85344",
        chapter=7,
        test_correct=9600,
        reupload=2022,
    ),
    KnownFile(
        "deep_convnet_params.pkl",
        "weights",
        989_219,
        "cf2293a7e714709740a217ea3b44323b",
        "4b7a27baee2037605afa94d3f514ca9fa9cc96623739328609765073cfd5f802",
        chapter=8,
        test_correct=9797,
        reupload=2022,
    ),
)
BOOK_WEIGHTS = tuple(known.name for known in FILES.values() if known.kind == "weights")

#: split -> (images file, labels file), canonical names.
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
}
SPLITS = tuple(SPLIT_FILES)


def spellings(canonical: str) -> tuple[str, ...]:
    """Names a file may have in a data directory, preferred first: ``t10k-images-idx3-ubyte.gz`` may also lie
    unpacked (``t10k-images-idx3-ubyte``) or under the dotted name the official archives unpack to
    (``t10k-images.idx3-ubyte``)."""
    if "-idx" not in canonical:
        return (canonical,)
    plain = canonical.removesuffix(".gz")
    stem, _, kind = plain.rpartition("-idx")
    dotted = f"{stem}.idx{kind}"
    return (canonical, plain, dotted, dotted + ".gz")
