"""How well `predict --image` reads photo-like pictures of real MNIST test digits, per alteration.

    python benchmarks/photo_quality.py [--count N] [--weights FILE]... [--from INDEX] [--json]

Each alteration of tests/photos.py is applied to N random digits of the packaged test split (default 500); the
book's weights (the package's sample_weight.pkl) classify them after mnist-infer's preprocessing, and, for
comparison, after merely resizing the whole picture to 28×28 (what a reader would try first). `--weights FILE`
(repeatable) puts other weights beside them (a column each, same pictures); `--from INDEX` draws the digits from the
test images INDEX onwards only (for weights trained on the ones before it, as `mnist-infer train` can be here,
without MNIST's train images).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from measure import ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "tests"))
import photos
from mnist_infer.data import load_split
from mnist_infer.data.pictures import prepare_image
from mnist_infer.inference import classify_images
from mnist_infer.paths import packaged_file
from mnist_infer.weights import load_network


def _option(name: str, default: str | None = None) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    count = int(_option("--count", "500"))
    first = int(_option("--from", "0"))
    extra = [Path(sys.argv[i + 1]) for i, arg in enumerate(sys.argv) if arg == "--weights"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
            (data / name).symlink_to(packaged_file(name))
        networks = {"book": load_network(packaged_file("sample_weight.pkl"))}
        networks.update({path.name: load_network(path) for path in extra})
        test = load_split("test", data)
        chosen = first + np.random.default_rng(12345).choice(len(test) - first, count, replace=False)
        images, labels = np.array(test.images[chosen]), np.array(test.labels[chosen])
        rows = {
            "unaltered": (
                [float(np.mean(classify_images(n, images)[0] == labels)) for n in networks.values()],
                None,
            )
        }
        for kind, paths in photos.write_photos(images, root).items():
            prepared = np.stack([prepare_image(path).pixels for path in paths])  # what predict --image does
            ours = [classify_images(n, prepared)[0] for n in networks.values()]
            naive = np.stack([np.asarray(Image.open(p).convert("L").resize((28, 28))) for p in paths])
            rows[kind] = (
                [float(np.mean(o == labels)) for o in ours],
                float(np.mean(classify_images(networks["book"], naive)[0] == labels)),
            )
    names = list(networks)
    altered = {name: [v[0][i] for k, v in rows.items() if k != "unaltered"] for i, name in enumerate(names)}
    report = {
        "digits": count,
        "from_index": first,
        "images": count * (len(rows) - 1),
        "overall": float(np.mean(altered["book"])),
        "per_alteration": {k: {"mnist_infer": v[0][0], "resize_whole_picture": v[1]} for k, v in rows.items()},
    }
    if extra:
        report["weights"] = {
            name: {
                "overall": float(np.mean(altered[name])),
                "per_alteration": {k: v[0][i] for k, v in rows.items()},
            }
            for i, name in enumerate(names)
        }
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    source = f"test digits {first:,}-{len(test) - 1:,}" if first else "test digits"
    print(
        f"{count} random {source} per alteration, "
        + ("book's weights" if not extra else "weights: " + ", ".join(names))
    )
    columns = "".join(f"{name[:12]:>13}" for name in names) if extra else f"{'mnist-infer':>12}"
    print(f"{'alteration':22} {columns} {'resize only':>12}")
    for kind, (ours, naive) in rows.items():
        cells = "".join(f"{value:13.3f}" for value in ours) if extra else f"{ours[0]:12.3f}"
        print(f"{kind:22} {cells} {'' if naive is None else f'{naive:12.3f}'}")
    overall = "".join(f"{np.mean(altered[name]):13.3f}" for name in names) if extra else f"{report['overall']:12.3f}"
    print(f"{'overall (altered)':22} {overall}")


if __name__ == "__main__":
    main()
