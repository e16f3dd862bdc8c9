"""Chapters 7–8 measured as a user runs them, against the anchors of issue 21: `evaluate --weights
deep_convnet_params.pkl` against an onnxruntime process running the same network on the same images, and
`train --model simple-convnet` against PyTorch training the same network the same way.

    python benchmarks/cnn.py --anchors PYTHON [--pairs N] [--epochs E] [--json] [--write]

PYTHON is an interpreter with onnx, onnxruntime and torch, in a virtual environment of its own (they are never
the tool's dependencies): ``python -m venv /tmp/anchors && /tmp/anchors/bin/pip install onnx onnxruntime torch``.
The tool is installed with ``pip install .`` into a fresh virtual environment and run as a whole process; the
anchors' scripts are in benchmarks/anchors/. Commands run alternately (A B A B …); a figure is the median of the
per-pair ratios, with their range. Training reads MNIST's 60,000 training images from
``$MNIST_INFER_TEST_DATA/mnist`` (default ../shared/mnist); its figure is seconds per epoch after the first (the
test set scored too, on both sides). ``--write`` puts the table into docs/performance.md.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import ROOT, SHARED, blas_kernel, run, write_table
from performance import install

ANCHORS = Path(__file__).resolve().parent / "anchors"
DOC = ROOT / "docs" / "performance.md"
MARKERS = ("<!-- CNN table: written by benchmarks/cnn.py -->", "<!-- end of CNN table -->")


def option(name: str, default: str | None = None) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def checked(argv: list[str], env: dict[str, str] | None = None):
    result = run(argv, env)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result.stderr}")
    return result


def paired(a, b, pairs: int) -> list[tuple]:
    a(), b()  # warm-up: the page cache, the tool's parse cache
    return [(a(), b()) for _ in range(pairs)]


def summary(ratios: list[float]) -> dict[str, float]:
    return {"ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}


def evaluate_pairs(bin_dir: Path, anchors: str, root: Path, pairs: int, env: dict[str, str]) -> dict:
    python, tool = str(bin_dir / "python"), str(bin_dir / "mnist-infer")
    export = f"""
import numpy as np, shutil
from mnist_infer.paths import packaged_file
from mnist_infer.weights import read_weights
for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
    shutil.copy(packaged_file(name), {str(root)!r} + "/" + name)
np.savez({str(root / "deep.npz")!r}, **read_weights(packaged_file("deep_convnet_params.pkl")).params)
"""
    subprocess.run([python, "-c", export], check=True, cwd=root)
    model = str(root / "deep.onnx")
    checked([anchors, str(ANCHORS / "onnx_deep_convnet.py"), "build", str(root / "deep.npz"), model])
    ours = [tool, "evaluate", "--weights", "deep_convnet_params.pkl", "--json"]
    theirs = [anchors, str(ANCHORS / "onnx_deep_convnet.py"), "run", model,
              str(root / "t10k-images-idx3-ubyte.gz"), str(root / "t10k-labels-idx1-ubyte.gz")]  # fmt: skip
    results = paired(lambda: checked(ours, env), lambda: checked(theirs, env), pairs)
    accuracy = json.loads(results[0][0].stdout)["accuracy"]
    assert accuracy == 0.9935 and results[0][1].stdout.strip() == "Accuracy:0.9935", (accuracy, results[0][1].stdout)
    return {
        **summary([a.seconds / b.seconds for a, b in results]),
        "seconds": statistics.median(a.seconds for a, _ in results),
        "reference_seconds": statistics.median(b.seconds for _, b in results),
        "peak_rss_mib": max(a.max_rss_mib for a, _ in results),
        "reference_peak_rss_mib": max(b.max_rss_mib for _, b in results),
    }


def train_pairs(bin_dir: Path, anchors: str, root: Path, pairs: int, epochs: int, env: dict[str, str]) -> dict:
    data = SHARED / "mnist"
    tool = str(bin_dir / "mnist-infer")

    def ours(seed: int):
        # --no-augment: PyTorch's side trains on the digits as they are (the tool's default augments a CNN's)
        argv = [tool, "train", "--model", "simple-convnet", "--no-augment", "--epochs", str(epochs), "--seed",
                str(seed), "--data-dir", str(data), "--out", str(root / "w.npz"), "--json"]  # fmt: skip
        result = checked(argv, env)
        history = json.loads(result.stdout)["history"]
        return result, [record["seconds"] for record in history], history[-1]["test_accuracy"]

    def theirs(seed: int):
        result = checked([anchors, str(ANCHORS / "torch_simple_convnet.py"), str(data), str(epochs), str(seed)], env)
        history = [json.loads(line) for line in result.stdout.splitlines()]
        return result, [record["seconds"] for record in history], history[-1]["test_accuracy"]

    rows = [(ours(seed), theirs(seed)) for seed in range(pairs)]
    per_epoch = [(statistics.median(a[1][1:]), statistics.median(b[1][1:])) for a, b in rows]
    return {
        **summary([a / b for a, b in per_epoch]),
        "seconds_per_epoch": statistics.median(a for a, _ in per_epoch),
        "reference_seconds_per_epoch": statistics.median(b for _, b in per_epoch),
        "peak_rss_mib": max(a[0].max_rss_mib for a, _ in rows),
        "reference_peak_rss_mib": max(b[0].max_rss_mib for _, b in rows),
        "test_accuracy": [a[2] for a, _ in rows],
        "reference_test_accuracy": [b[2] for _, b in rows],
        "epochs": epochs,
    }


def table(results: dict) -> str:
    evaluate, train = results["evaluate"], results["train"]
    return "\n".join([
        f"Measured by `python benchmarks/cnn.py` on {results['date']}: {results['machine']}; {results['pairs']} "
        "alternated pairs, the median of the per-pair ratios (range in brackets).",
        "",
        "| command | against | target | ratio | time | peak memory (target) |",
        "|---|---|---:|---:|---:|---:|",
        f"| `evaluate --weights deep_convnet_params.pkl` (10,000 images, whole process) | onnxruntime, 2 threads "
        f"(whole process) | ≤ 1.5× | {evaluate['ratio']:.2f}× ({evaluate['ratio_min']:.2f}–{evaluate['ratio_max']:.2f})"
        f" | {evaluate['seconds']:.2f} s vs {evaluate['reference_seconds']:.2f} s | "
        f"{evaluate['peak_rss_mib']:.0f} MiB (≤ 300) |",
        f"| `train --model simple-convnet --no-augment`, seconds per epoch (60,000 images) | PyTorch, 2 threads | "
        f"≤ 1.5× | "
        f"{train['ratio']:.2f}× ({train['ratio_min']:.2f}–{train['ratio_max']:.2f}) | "
        f"{train['seconds_per_epoch']:.1f} s vs {train['reference_seconds_per_epoch']:.1f} s | "
        f"{train['peak_rss_mib']:.0f} MiB (≤ 1,024) |",
    ])  # fmt: skip


def main() -> None:
    anchors = option("--anchors")
    if anchors is None:
        raise SystemExit(__doc__)
    pairs, epochs = int(option("--pairs", "5")), int(option("--epochs", "3"))
    import platform

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.chdir(root)  # as a user runs it: away from the source tree
        bin_dir = install(root / "venv")
        (root / "home").mkdir()
        env = {"MNIST_INFER_HOME": str(root / "home"), "XDG_CACHE_HOME": str(root / "cache")}
        results = {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{blas_kernel(str(bin_dir / 'python'))}",
            "pairs": pairs,
            "evaluate": evaluate_pairs(bin_dir, anchors, root, pairs, env),
            "train": train_pairs(bin_dir, anchors, root, max(1, pairs // 2), epochs, env),
        }
    text = table(results)
    if "--write" in sys.argv:
        write_table(DOC, MARKERS, text)
    print(json.dumps(results, indent=2) if "--json" in sys.argv else text)


if __name__ == "__main__":
    main()
