"""What the book's own code answers for every MNIST test image, with each of its five weight files: the
reference tests/test_cnn.py holds the tool to (tests/reference/NAME.npz).

    python benchmarks/book_reference.py BOOK_DIR [NAME ...]

BOOK_DIR is a checkout of oreilly-japan/deep-learning-from-scratch (its ``common/``, ``ch03/``, ``ch07/`` and
``ch08/`` are run as they are). The weights come from ``$MNIST_INFER_TEST_DATA/weights`` (default
../shared/weights), the test set from its ``mnist/``. Each reference holds the predictions (uint8) and the softmax
probabilities to 1/65535 (uint16: a twentieth of the float64 size, well inside the tests' 1e-4).

This script runs the book's code and calls ``pickle.load`` on the book's files, as the book does: it is for these
known files only, never for a file from elsewhere.
"""

from __future__ import annotations

import ast
import gzip
import pickle
import sys
from pathlib import Path

import numpy as np
from measure import ROOT, SHARED

#: reference name: the network's kind and where its weights are in SHARED
FILES = {
    "sample_weight": ("ch03", "weights/sample_weight.pkl"),
    "params_2016": ("ch07", "weights/params.pkl"),
    "deep_convnet_params_2016": ("ch08", "weights/deep_convnet_params.pkl"),
    "params_2022": ("ch07", "weights/reupload-2022/params.pkl"),
    "deep_convnet_params_2022": ("ch08", "weights/reupload-2022/deep_convnet_params.pkl"),
}


def book_network(book: Path, kind: str, path: Path):
    """The book's forward pass returning softmax probabilities, with its weights loaded the book's way."""
    from common.functions import sigmoid, softmax

    if kind == "ch03":  # ch03's predict(), taken from its script (whose top level would download MNIST)
        source = (book / "ch03" / "neuralnet_mnist_batch.py").read_text(encoding="utf-8")
        function = next(node for node in ast.parse(source).body if getattr(node, "name", "") == "predict")
        namespace = {"np": np, "sigmoid": sigmoid, "softmax": softmax}
        exec(compile(ast.Module([function], []), "ch03/neuralnet_mnist_batch.py", "exec"), namespace)
        with path.open("rb") as f:
            network = pickle.load(f)  # the book's own file, as init_network() loads it
        return lambda x: namespace["predict"](network, x.reshape(len(x), -1))
    if kind == "ch07":
        from simple_convnet import SimpleConvNet

        network = SimpleConvNet()
        network.load_params(str(path))
        return lambda x: softmax(network.predict(x))
    from deep_convnet import DeepConvNet

    network = DeepConvNet()
    network.load_params(str(path))
    return lambda x: softmax(network.predict(x, train_flg=False))


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    book = Path(sys.argv[1]).resolve()
    sys.path[:0] = [str(book), str(book / "ch07"), str(book / "ch08")]
    with gzip.open(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz") as f:  # as the book's load_mnist normalises
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    with gzip.open(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz") as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8)
    for name in sys.argv[2:] or FILES:
        kind, where = FILES[name]
        forward = book_network(book, kind, SHARED / where)
        probabilities = np.concatenate([forward(x[i : i + 100]) for i in range(0, len(x), 100)])
        predictions = probabilities.argmax(axis=1).astype(np.uint8)
        np.savez_compressed(ROOT / "tests" / "reference" / f"{name}.npz", predictions=predictions,
                            probabilities=np.round(probabilities * 65535).astype(np.uint16))  # fmt: skip
        print(f"{name:26} accuracy {np.mean(predictions == t):.4f}, first ten {' '.join(map(str, predictions[:10]))}")


if __name__ == "__main__":
    main()
