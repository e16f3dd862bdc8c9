"""`mnist-infer train` against scikit-learn's MLPClassifier: the same network, data, epochs and batch size.

    pip install -e '.[bench]'          # scikit-learn, for this benchmark only
    python benchmarks/training.py [--data-dir DIR] [--epochs 10] [--runs 3] [--json]

Both train 784-50-100-10 with logistic (sigmoid) hidden layers, Adam (lr 0.001) and mini-batches of 100 for the
same number of epochs on the 60,000 training images of DIR, then classify its 10,000 test images. DIR defaults to
Fashion-MNIST from Debian's `dataset-fashion-mnist` (MNIST's own training images cannot be fetched here; the
files have MNIST's format and names). Each contender runs as its own process, in turn, with seeds 0, 1, …;
this process stays small, so a child's peak RSS is its own. Reported: seconds per epoch (training only, from
inside each process), test accuracy, peak RSS, whole-process wall time, medians over the runs.

scikit-learn gets float32 inputs (its fastest and smallest case) and OpenBLAS's default threads, as a user runs
it; two more rows show it with one BLAS thread (as `train` uses) and with float64 inputs (what `X / 255.0` gives).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from measure import PYTHON, ROOT, run

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
SKLEARN_ROWS = {
    "scikit-learn float32": ("float32", {}),
    "scikit-learn float32, 1 BLAS thread": ("float32", {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}),
    "scikit-learn float64 (X / 255.0)": ("float64", {}),
}
BASELINE = "scikit-learn float32"


def sklearn_child(data_dir: str, epochs: int, seed: int, dtype: str) -> None:
    """Child process: MLPClassifier as a user writes it, on the IDX files read by mnist_infer's loader."""
    import time
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from mnist_infer.data import load_split

    train, test = load_split("train", data_dir), load_split("test", data_dir)
    scale = np.dtype(dtype).type(255)
    x_train, x_test = (np.asarray(s.images).reshape(len(s), -1).astype(dtype) / scale for s in (train, test))
    model = MLPClassifier(
        hidden_layer_sizes=(50, 100), activation="logistic", solver="adam", batch_size=100,
        max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed,
    )  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter epochs, on purpose
        model.fit(x_train, np.asarray(train.labels))
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(x_test) == test.labels))
    print(json.dumps({"epochs": model.n_iter_, "seconds_per_epoch": seconds / model.n_iter_, "accuracy": accuracy}))


def ours(data_dir: Path, epochs: int, seed: int, out: Path) -> list[str]:
    return [PYTHON, "-m", "mnist_infer", "train", "--data-dir", str(data_dir), "--epochs", str(epochs),
            "--seed", str(seed), "--out", str(out), "--json"]  # fmt: skip


def main() -> None:
    args = sys.argv
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 10
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    source = Path(args[args.index("--data-dir") + 1]) if "--data-dir" in args else DEBIAN_FASHION
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        raise SystemExit(
            f"{source}: missing {', '.join(missing)} (apt-get install dataset-fashion-mnist, or --data-dir)"
        )
    rows: dict[str, list[dict]] = {"mnist-infer train": [], **{name: [] for name in SKLEARN_ROWS}}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        for name in FILES:  # links, so that the parse cache is written here, not beside the system's files
            (data / name).symlink_to(source / name)
        warm_up = f"from mnist_infer.data import load_split as f; f('train', {str(data)!r}); f('test', {str(data)!r})"
        run([PYTHON, "-c", warm_up])  # parses the IDX files once: every measured run reads the same cache
        for seed in range(runs):
            result = run(ours(data, epochs, seed, Path(tmp) / "w.npz"))
            if result.returncode != 0:
                raise SystemExit(f"mnist-infer train failed: {result.stderr}")
            report = json.loads(result.stdout)
            history = report["history"]
            rows["mnist-infer train"].append(
                {
                    "seconds_per_epoch": statistics.mean(r["seconds"] for r in history),
                    "accuracy": history[-1]["test_accuracy"],
                    "peak_mib": result.max_rss_mib,
                    "wall": result.seconds,
                }
            )
            for name, (dtype, env) in SKLEARN_ROWS.items():
                result = run([PYTHON, __file__, "--sklearn", str(data), str(epochs), str(seed), dtype], env)
                if result.returncode != 0:
                    raise SystemExit(f"{name} failed (pip install -e '.[bench]'?): {result.stderr}")
                rows[name].append({**json.loads(result.stdout), "peak_mib": result.max_rss_mib, "wall": result.seconds})
    report = summarise(rows, epochs, runs, source)
    if "--json" in args:
        print(json.dumps(report, indent=2))
        return
    print(f"{source}: 60,000 training images, {epochs} epochs, 784-50-100-10 sigmoid, Adam, batch 100")
    print(f"medians of {runs} runs (seeds 0-{runs - 1}); ratios are ours / theirs, taken run by run")
    print(f"{'':38} {'s/epoch':>8} {'test acc':>9} {'peak MiB':>9} {'wall s':>7} {'our time':>9} {'our MiB':>8}")
    for name, figures in report["rows"].items():
        print(
            f"{name:38} {figures['seconds_per_epoch']:8.3f} {figures['accuracy']:9.4f} {figures['peak_mib']:9.1f} "
            f"{figures['wall']:7.1f} {figures.get('time_ratio', 1):8.2f}x {figures.get('memory_ratio', 1):7.2f}x"
        )
    targets = report["targets"]
    print(
        f"targets against {BASELINE}: accuracy at least as high: {targets['accuracy']}; "
        f"time per epoch <= 0.7x: {targets['time']}; peak memory <= 0.5x: {targets['memory']}"
    )


def summarise(rows: dict[str, list[dict]], epochs: int, runs: int, source: Path) -> dict:
    medians = {
        name: {
            key: statistics.median(r[key] for r in results)
            for key in ("seconds_per_epoch", "accuracy", "peak_mib", "wall")
        }
        for name, results in rows.items()
    }
    mine = rows["mnist-infer train"]
    for name in SKLEARN_ROWS:  # ratios pair by pair (same seed, run one after the other), then the median
        theirs = rows[name]
        medians[name]["time_ratio"] = statistics.median(
            a["seconds_per_epoch"] / b["seconds_per_epoch"] for a, b in zip(mine, theirs, strict=True)
        )
        medians[name]["memory_ratio"] = statistics.median(
            a["peak_mib"] / b["peak_mib"] for a, b in zip(mine, theirs, strict=True)
        )
    baseline = medians[BASELINE]
    return {
        "data": str(source),
        "epochs": epochs,
        "runs": runs,
        "rows": medians,
        "targets": {
            "accuracy": medians["mnist-infer train"]["accuracy"] >= baseline["accuracy"],
            "time": baseline["time_ratio"] <= 0.7,
            "memory": baseline["memory_ratio"] <= 0.5,
        },
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sklearn"]:
        sys.path.insert(0, str(ROOT))
        sklearn_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
