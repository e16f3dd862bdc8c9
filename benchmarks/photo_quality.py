"""How well `predict --image` reads photo-like pictures of real MNIST test digits, per alteration.

    python benchmarks/photo_quality.py [--count N] [--json]

Each alteration of tests/photos.py is applied to N random test digits (default 500); the book's weights
classify them after mnist-infer's preprocessing, and, for comparison, after merely resizing the whole picture
to 28×28 (what a reader would try first).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from measure import ROOT, SHARED
from PIL import Image

sys.path.insert(0, str(ROOT / "tests"))
import photos
from mnist_infer.data import load_split
from mnist_infer.evaluation import classify_images
from mnist_infer.predictions import predict_files
from mnist_infer.weights import load_network


def main() -> None:
    count = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 500
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
            (data / name).symlink_to(SHARED / "mnist" / name)
        network = load_network(SHARED / "weights" / "sample_weight.pkl")
        test = load_split("test", data)
        chosen = np.random.default_rng(12345).choice(len(test), count, replace=False)
        images, labels = np.array(test.images[chosen]), np.array(test.labels[chosen])
        rows = {"unaltered": (float(np.mean(classify_images(network, images)[0] == labels)), None)}
        for kind, paths in photos.write_photos(images, root).items():
            ours = np.array([p.prediction for p in predict_files(network, paths)])
            naive = np.stack([np.asarray(Image.open(p).convert("L").resize((28, 28))) for p in paths])
            rows[kind] = (float(np.mean(ours == labels)), float(np.mean(classify_images(network, naive)[0] == labels)))
    altered = [ours for kind, (ours, _) in rows.items() if kind != "unaltered"]
    report = {
        "digits": count,
        "images": count * len(altered),
        "overall": float(np.mean(altered)),
        "per_alteration": {k: {"mnist_infer": v[0], "resize_whole_picture": v[1]} for k, v in rows.items()},
    }
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    print(f"{count} random test digits per alteration, book's weights")
    print(f"{'alteration':22} {'mnist-infer':>12} {'resize only':>12}")
    for kind, (ours, naive) in rows.items():
        print(f"{kind:22} {ours:12.3f} {'' if naive is None else f'{naive:12.3f}'}")
    print(f"{'overall (altered)':22} {report['overall']:12.3f}")


if __name__ == "__main__":
    main()
