"""The files mnist-infer works with, as data: canonical names, sizes, checksums and where to fetch them.

Checksums of the ``.gz`` files are the published ones. The ``content_*`` checksums are of the decompressed
IDX bytes, so that a re-gzipped copy (other gzip bytes, same data) can be recognised too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    name: str  #: canonical file name in the data directory
    kind: str  #: "images", "labels" or "weights"
    size: int
    md5: str
    sha256: str
    content_size: int | None = None
    content_md5: str | None = None
    content_sha256: str | None = None


MNIST_RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "train-images-idx3-ubyte.gz",
            "images",
            9_912_422,
            md5="f68b3c2dcbeaaa9fbdd348bbdeb94873",
            sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            content_size=47_040_016,
            content_md5="6bbc9ace898e44ae57da46a324031adb",
        ),
        Resource(
            "train-labels-idx1-ubyte.gz",
            "labels",
            28_881,
            md5="d53e105ee54ea40749a09fcbcd1e9432",
            sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            content_size=60_008,
            content_md5="a25bea736e30d166cdddb491f175f624",
            content_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        Resource(
            "t10k-images-idx3-ubyte.gz",
            "images",
            1_648_877,
            md5="9fb629c4189551a2d022fa330f9573f3",
            sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            content_size=7_840_016,
            content_md5="2646ac647ad5339dbf082846283269ea",
            content_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        Resource(
            "t10k-labels-idx1-ubyte.gz",
            "labels",
            4_542,
            md5="ec29112dd5afa0611ce80d1b7f02629c",
            sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            content_size=10_008,
            content_md5="27ae3e4e09519cfbb04c329615203637",
            content_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    )
}

#: split -> (images file, labels file), canonical names.
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SPLITS = tuple(SPLIT_FILES)

#: Where the MNIST files are fetched from, in order (the original host, yann.lecun.com, is gone).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://github.com/WegraLee/deep-learning-from-scratch/raw/master/dataset/",
)


def spellings(canonical: str) -> tuple[str, ...]:
    """Names a file may have in a data directory, preferred first.

    ``t10k-images-idx3-ubyte.gz`` may also lie unpacked (``t10k-images-idx3-ubyte``) or under the dotted name
    that unpacking the official archives gives (``t10k-images.idx3-ubyte``).
    """
    plain = canonical.removesuffix(".gz")
    stem, _, kind = plain.rpartition("-idx")
    dotted = f"{stem}.idx{kind}"
    return (canonical, plain, dotted, dotted + ".gz")
