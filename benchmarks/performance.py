"""The performance targets of mnist-infer, measured as a user runs the tool.

    python benchmarks/performance.py [--pairs N] [--only TEXT] [--json] [--write]

The tool is installed the way the README installs it (``pip install .``) into a fresh virtual environment, and
every command runs as a whole process, in a pipe, with an empty data directory (so the packaged test set and
weights) and its own cache directory. Each target pairs a command with its reference, run alternately
(A B A B …); the figure is the median of the per-pair ratios A/B, with their range. Every pair is measured twice:
on a quiet machine, and with the other core kept busy by a CPU-bound process this script starts and stops.
Peak memory is the process's own maximum RSS (wait4's rusage).

``--write`` rewrites the table between the markers of docs/performance.md; ``--only TEXT`` measures only the
targets whose label contains TEXT (for a quick look while working; not with ``--write``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from measure import ROOT, blas_kernel, run, user_environment, write_table

BENCHMARKS = ROOT / "benchmarks"
DOC = ROOT / "docs" / "performance.md"
MARKERS = ("<!-- start-up table: written by benchmarks/performance.py -->", "<!-- end of performance table -->")


@dataclass(frozen=True)
class Target:
    label: str
    command: list[str]
    reference: list[str]
    reference_label: str
    limit: float
    fresh_cache: bool = False  #: empty the parse cache before every run of the command (a user's first run)


def install(venv: Path) -> Path:
    """A fresh virtual environment with the tool installed as the README says; its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(ROOT)], check=True)
    return venv / "bin"


def prepare(root: Path, python: str) -> None:
    """Inputs for the references: the test set as the book's files, the weights as .npz, an 800×600 photo."""
    script = f"""
import numpy as np
from PIL import Image, ImageFilter
from mnist_infer.data import load_split
from mnist_infer.paths import packaged_file
from mnist_infer.weights import read_weights
import shutil
for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
    shutil.copy(packaged_file(name), {str(root)!r} + "/" + name)
np.savez({str(root / "weights.npz")!r}, **read_weights(packaged_file("sample_weight.pkl")).params)
digit = np.asarray(load_split("test").images[0], dtype=np.float32) / 255
ink = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((300, 300), Image.BICUBIC), np.float32) / 255
rows, cols = np.mgrid[0:600, 0:800]
paper = 200 + 40 * (1 - ((rows - 300) ** 2 + (cols - 400) ** 2) / 500_000)  # light falling off
picture = np.repeat(paper[..., None], 3, axis=2)
picture[150:450, 250:550] *= 1 - 0.8 * ink[..., None]
Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1)).save(
    {str(root / "photo.jpg")!r}, quality=90)
"""
    env = user_environment({"XDG_CACHE_HOME": str(root / "prep")})
    subprocess.run([python, "-c", script], check=True, env=env, cwd=root)  # not the source tree's mnist_infer


def targets(bin_dir: Path, root: Path) -> list[Target]:
    tool, python = str(bin_dir / "mnist-infer"), str(bin_dir / "python")
    script = [
        python,
        str(BENCHMARKS / "minimal_numpy.py"),
        str(root / "t10k-images-idx3-ubyte.gz"),
        str(root / "t10k-labels-idx1-ubyte.gz"),
        str(root / "weights.npz"),
    ]
    numpy = [python, "-c", "import numpy"]
    return [
        Target("`evaluate --json`", [tool, "evaluate", "--json"], script, "numpy script", 1.0),
        Target("`evaluate` (the report, into a pipe)", [tool, "evaluate"], script, "numpy script", 1.0),
        Target("first `evaluate --json`, empty cache", [tool, "evaluate", "--json"], script, "numpy script", 1.1, True),
        Target("`toy`", [tool, "toy"], numpy, "`import numpy`", 1.5),
        Target("`show 0`", [tool, "show", "0"], numpy, "`import numpy`", 1.5),
        Target("`predict 0`", [tool, "predict", "0"], numpy, "`import numpy`", 1.5),
        Target(
            "`predict --image` (800×600 photo)",
            [tool, "predict", "--image", str(root / "photo.jpg")],
            [python, "-c", "import numpy, PIL.Image"],
            "`import numpy, PIL.Image`",
            1.4,
        ),
        Target("`--help`", [tool, "--help"], [python, "-c", "import click"], "`import click`", 1.5),
    ]


@contextlib.contextmanager
def busy_core(busy: bool) -> Iterator[None]:
    """While inside, a CPU-bound process keeps one core busy (if ``busy``)."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def measure(target: Target, pairs: int, env: dict[str, str], cache: Path) -> dict[str, float]:
    """Alternated runs of the command and its reference; per-pair ratios of wall time."""

    def ours():
        if target.fresh_cache:
            shutil.rmtree(cache, ignore_errors=True)
        result = run(target.command, env)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(target.command)} failed: {result.stderr}")
        return result

    ours()  # warm-up: the parse cache, the page cache
    run(target.reference, env)
    a, b = [], []
    for _ in range(pairs):
        a.append(ours())
        b.append(run(target.reference, env))
    ratios = [x.seconds / y.seconds for x, y in zip(a, b, strict=True)]
    return {
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "seconds": statistics.median(x.seconds for x in a),
        "reference_seconds": statistics.median(y.seconds for y in b),
        "peak_rss_mib": max(x.max_rss_mib for x in a),
    }


def table(results: dict, machine: str, date: str, pairs: int) -> str:
    lines = [
        f"Measured by `python benchmarks/performance.py` on {date}: {machine}; the tool installed with `pip install .`",
        f"in a fresh virtual environment; {pairs} alternated pairs per figure, the median of the per-pair ratios",
        "(range in brackets); *busy*: another process keeps the second core busy.",
        "",
        "| command | against | target | quiet | busy | time (quiet) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, row in results["targets"].items():
        quiet, busy = row["quiet"], row["busy"]
        lines.append(
            f"| {label} | {row['against']} | ≤ {row['limit']:.2f}× | {quiet['ratio']:.2f}× "
            f"({quiet['ratio_min']:.2f}–{quiet['ratio_max']:.2f}) | {busy['ratio']:.2f}× "
            f"({busy['ratio_min']:.2f}–{busy['ratio_max']:.2f}) | {quiet['seconds'] * 1000:.0f} ms vs "
            f"{quiet['reference_seconds'] * 1000:.0f} ms |"
        )
    memory = results["evaluate_peak_rss_mib"]
    if memory:
        lines.append(
            f"| `evaluate` peak memory | | ≤ 64 MiB | {memory['quiet']:.0f} MiB | {memory['busy']:.0f} MiB | |"
        )
    return "\n".join(lines)


def main() -> None:
    pairs = int(sys.argv[sys.argv.index("--pairs") + 1]) if "--pairs" in sys.argv else 15
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    if only and "--write" in sys.argv:
        raise SystemExit("--write writes the whole table: not with --only")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.chdir(root)  # every run as a user runs it: away from the source tree
        bin_dir = install(root / "venv")
        kernel = blas_kernel(str(bin_dir / "python"))
        prepare(root, str(bin_dir / "python"))
        (root / "empty-home").mkdir()
        cache = root / "cache"
        env = {"MNIST_INFER_HOME": str(root / "empty-home"), "XDG_CACHE_HOME": str(cache), "COLUMNS": "100"}
        results: dict = {"targets": {}, "evaluate_peak_rss_mib": {}}
        for condition in ("quiet", "busy"):
            with busy_core(condition == "busy"):
                for target in (t for t in targets(bin_dir, root) if only in t.label):
                    figures = measure(target, pairs, env, cache)
                    row = results["targets"].setdefault(
                        target.label, {"against": target.reference_label, "limit": target.limit}
                    )
                    row[condition] = figures
                    if target.command[1:] == ["evaluate"]:
                        results["evaluate_peak_rss_mib"][condition] = figures["peak_rss_mib"]
                    print(f"{condition:5} {target.label:45} {figures['ratio']:.3f}", file=sys.stderr)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    machine += f", {kernel}"
    date = datetime.date.today().isoformat()
    results.update(machine=machine, date=date, pairs=pairs)
    results["all_met"] = all(
        row[c]["ratio"] <= row["limit"] for row in results["targets"].values() for c in ("quiet", "busy")
    ) and all(value <= 64 for value in results["evaluate_peak_rss_mib"].values())
    text = table(results, machine, date, pairs)
    if "--write" in sys.argv:
        write_table(DOC, MARKERS, text)
    print(json.dumps(results, indent=2) if "--json" in sys.argv else text)


if __name__ == "__main__":
    main()
