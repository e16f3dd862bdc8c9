"""The performance targets of mnist-infer, each measured beside its reference in the same run.

    python benchmarks/performance.py [--runs N] [--json]

1. `mnist-infer evaluate --weights sample_weight.pkl --json` (second run) vs benchmarks/minimal_numpy.py:
   whole-process wall time, ratio of medians (target ≤ 1.0), and peak RSS (target ≤ 100 MiB).
2. `mnist-infer --help` vs `python -c "import click"` (target ≤ 1.5).
3. In process: the forward pass over the (normalised) test set vs its three matrix products alone
   (target ≤ 1.5); the batched pass from uint8 pixels, conversion included, is reported beside it.
4. The train split (60,000 generated images): peak RSS of evaluate (target ≤ 150 MiB) and in-process time
   vs the test split (target ≤ 6.5).

Whole-process runs alternate A B A B and report medians. This process stays small (a child's peak RSS counts
the memory of the process it was forked from), so setup and in-process timings run in child processes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import PYTHON, ROOT, SHARED, median, run

IMAGES, LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"


def prepare(root: Path) -> None:
    """Child process: a data directory with the test split, the weights (also as .npz) and a train split."""
    import compileall
    import gzip

    import numpy as np

    import mnist_infer
    from mnist_infer.idx import read_labels, write_idx
    from mnist_infer.weights import load_weights

    # As a regular install does: with PYTHONDONTWRITEBYTECODE set, an editable install never gets .pyc files.
    compileall.compile_dir(Path(mnist_infer.__file__).parent, quiet=1)
    for name in (IMAGES, LABELS, TRAIN_LABELS):
        (root / name).symlink_to(SHARED / "mnist" / name)
    (root / "sample_weight.pkl").symlink_to(SHARED / "weights" / "sample_weight.pkl")
    np.savez(root / "weights.npz", **load_weights(root / "sample_weight.pkl"))
    count = len(read_labels(root / TRAIN_LABELS))
    # Train images are not available offline: test images, repeated with noise, in a real 60,000-image file.
    test = np.frombuffer(gzip.decompress((root / IMAGES).read_bytes()), np.uint8, offset=16).reshape(-1, 28, 28)
    rng = np.random.default_rng(0)
    train = np.resize(test, (count, 28, 28)) ^ (rng.random((count, 28, 28)) < 0.01).astype(np.uint8)
    write_idx(root / TRAIN_IMAGES, train)


def in_process(root: Path, repeats: int) -> dict[str, float]:
    """Child process: the forward pass and its matrix products, and whole evaluations of each split.

    Each pair is timed alternately, sample by sample, and summarised by medians.
    """
    import time

    from mnist_infer.data import images_to_inputs, load_split
    from mnist_infer.evaluation import classify_images, evaluate
    from mnist_infer.weights import load_network

    network = load_network(root / "sample_weight.pkl")
    test = load_split("test", root)
    x = images_to_inputs(test.images)
    w1, w2, w3 = (network.params[k] for k in ("W1", "W2", "W3"))

    def pair(first, second) -> tuple[float, float, float]:
        for _ in range(3):  # warm-up
            first()
            second()
        a, b = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            first()
            middle = time.perf_counter()
            second()
            a.append(middle - start)
            b.append(time.perf_counter() - middle)
        return median(a), median(b), median([y / x for x, y in zip(a, b, strict=True)])

    def products():
        return ((x @ w1) @ w2) @ w3

    matmuls, forward, forward_ratio = pair(products, lambda: network.forward(x))
    _, pixels, pixels_ratio = pair(products, lambda: classify_images(network, test.images))
    test_time, train_time, split_ratio = pair(
        lambda: evaluate(network, load_split("test", root)), lambda: evaluate(network, load_split("train", root))
    )
    return {
        "matmuls": matmuls,
        "forward": forward,
        "forward_ratio": forward_ratio,
        "classify_pixels": pixels,
        "classify_pixels_ratio": pixels_ratio,
        "evaluate_test": test_time,
        "evaluate_train": train_time,
        "split_ratio": split_ratio,
    }


def alternate(a: list[str], b: list[str], runs: int, env: dict[str, str]) -> tuple[list, list]:
    first, second = [], []
    for _ in range(runs):
        first.append(run(a, env))
        second.append(run(b, env))
    for result in first + second:
        if result.returncode != 0:
            raise SystemExit(f"a benchmark run failed: {result.stderr}")
    return first, second


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 21
    console_script = shutil.which("mnist-infer") or str(Path(PYTHON).with_name("mnist-infer"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([PYTHON, __file__, "--prepare", str(root)], check=True)
        env = {"MNIST_INFER_HOME": str(root), "XDG_CACHE_HOME": str(root / "xdg")}
        evaluate = [console_script, "evaluate", "--weights", str(root / "sample_weight.pkl"), "--json"]
        minimal = [
            PYTHON,
            str(ROOT / "benchmarks" / "minimal_numpy.py"),
            str(root / IMAGES),
            str(root / LABELS),
            str(root / "weights.npz"),
        ]
        train = [console_script, "evaluate", "--split", "train", "--json"]
        first = run(evaluate, env)  # builds the parse cache: the runs measured below are second runs
        assert json.loads(first.stdout)["correct"] == 9352, first.stderr
        run(train, env)

        ref, ours = alternate(minimal, evaluate, runs, env)
        click_ref, help_runs = alternate([PYTHON, "-c", "import click"], [console_script, "--help"], runs, env)
        train_runs = [run(train, env) for _ in range(max(3, runs // 4))]
        child = subprocess.run(
            [PYTHON, __file__, "--in-process", str(root)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
        )
        inside = json.loads(child.stdout)

    def med(results, attr="seconds"):
        return median([getattr(r, attr) for r in results])

    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": runs,
        "1_evaluate_seconds": med(ours),
        "1_minimal_numpy_seconds": med(ref),
        "1_ratio": med(ours) / med(ref),
        "1_evaluate_peak_rss_mib": med(ours, "max_rss_mib"),
        "1_minimal_numpy_peak_rss_mib": med(ref, "max_rss_mib"),
        "2_help_seconds": med(help_runs),
        "2_import_click_seconds": med(click_ref),
        "2_ratio": med(help_runs) / med(click_ref),
        "3_forward_ms": inside["forward"] * 1e3,
        "3_matmuls_ms": inside["matmuls"] * 1e3,
        "3_ratio": inside["forward_ratio"],
        "3_classify_pixels_ms": inside["classify_pixels"] * 1e3,
        "3_classify_pixels_ratio": inside["classify_pixels_ratio"],
        "4_train_peak_rss_mib": med(train_runs, "max_rss_mib"),
        "4_train_seconds_in_process": inside["evaluate_train"],
        "4_test_seconds_in_process": inside["evaluate_test"],
        "4_ratio": inside["split_ratio"],
    }
    targets = [
        (
            "1. evaluate --json vs minimal numpy script",
            figures["1_ratio"],
            1.0,
            f"{figures['1_evaluate_seconds'] * 1e3:.1f} ms vs {figures['1_minimal_numpy_seconds'] * 1e3:.1f} ms",
        ),
        (
            "1. evaluate peak RSS (MiB)",
            figures["1_evaluate_peak_rss_mib"],
            100,
            f"minimal script {figures['1_minimal_numpy_peak_rss_mib']:.1f} MiB",
        ),
        (
            "2. --help vs import click",
            figures["2_ratio"],
            1.5,
            f"{figures['2_help_seconds'] * 1e3:.1f} ms vs {figures['2_import_click_seconds'] * 1e3:.1f} ms",
        ),
        (
            "3. forward pass vs its 3 matmuls",
            figures["3_ratio"],
            1.5,
            f"{figures['3_forward_ms']:.2f} ms vs {figures['3_matmuls_ms']:.2f} ms; from uint8 pixels, batched: "
            f"{figures['3_classify_pixels_ms']:.2f} ms ({figures['3_classify_pixels_ratio']:.2f}x)",
        ),
        ("4. train split peak RSS (MiB)", figures["4_train_peak_rss_mib"], 150, "60,000 images"),
        (
            "4. train vs test split, in process",
            figures["4_ratio"],
            6.5,
            f"{figures['4_train_seconds_in_process'] * 1e3:.1f} ms"
            f" vs {figures['4_test_seconds_in_process'] * 1e3:.1f} ms",
        ),
    ]
    figures["all_met"] = all(value <= limit for _, value, limit, _ in targets)
    if "--json" in sys.argv:
        print(json.dumps(figures, indent=2))
        return
    print(f"machine: {figures['machine']}; medians of {runs} alternated runs")
    print(f"{'target':40} {'measured':>9} {'limit':>7}  {'met':4} detail")
    for label, value, limit, detail in targets:
        print(f"{label:40} {value:9.3f} {limit:7.1f}  {'yes' if value <= limit else 'NO':4} {detail}")
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--prepare"]:
        prepare(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["--in-process"]:
        print(json.dumps(in_process(Path(sys.argv[2]), repeats=31)))
    else:
        main()
