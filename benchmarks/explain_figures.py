"""The figures and measured numbers of docs/explain.md: the saliency's deletion test, the reject curve's points and the
robustness table, for the book's chapter 3 network and the DeepConvNet (and chapter 7's params.pkl when
../shared/weights has it).

    python benchmarks/explain_figures.py [--blocks N] [--out docs/figures]

The deletion test runs on test digits 0–99 (issue 24's test, tests/test_explain.py) and then on N more blocks of 100
(default 10: digits 0–999), so that the score is not one lucky block. Prints markdown to paste into docs/explain.md;
the other figures of that page are the commands' own `--save` (listed there).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mnist_infer.data import load_split
from mnist_infer.inference import CHANGES, Reliability, Robustness, deletion_test, evaluate, robustness, saliency
from mnist_infer.views.plots import figure, save_figure
from mnist_infer.weights import load_network, resolve

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ["sample_weight.pkl", "deep_convnet_params.pkl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "weights" / "params.pkl"
    names = WEIGHTS + ([str(shared)] if shared.is_file() else [])
    dataset = load_split("test")
    images = np.asarray(dataset.images)
    paths = [resolve(name, None) for name in names]
    networks = [load_network(path) for path in paths]

    print("## Deletion test (zeroing the 50 pixels the saliency ranks highest vs 50 random ink pixels)\n")
    print("| weights | digits 0–99 | blocks of 100 (min, mean) |\n|---|---|---|")
    fig, axes = figure(4.2 * len(networks), 4.4, len(networks))
    for axis, path, network in zip(axes[0], paths, networks, strict=True):
        drops = deletion_test(network, images[:100])
        scores = [int(np.sum(np.subtract(*deletion_test(network, images[b * 100 : b * 100 + 100])) > 0))
                  for b in range(args.blocks)]  # fmt: skip
        score = int(np.sum(drops[0] > drops[1]))
        print(f"| {path.name} | {score}/100 | {min(scores)}, {np.mean(scores):.1f} |")
        axis.scatter(drops[1], drops[0], s=10)
        axis.plot([-1, 1], [-1, 1], ":", color="grey")
        axis.set(xlim=(-0.05, 1), ylim=(-0.05, 1), title=f"{path.name}: {score}/100 above the line")
        axis.set(xlabel="fall: 50 random ink pixels zeroed", ylabel="fall: the 50 most salient pixels zeroed")
        axis.grid(alpha=0.3)
    save_figure(fig, args.out / "deletion.png")

    maps, classes = saliency(networks[0], images[:8].reshape(8, -1) / np.float32(255))
    fig, axes = figure(12, 3.2, 8, 2)
    for k in range(8):
        scale = np.abs(maps[k]).max()
        axes[0, k].imshow(images[k], cmap="gray")
        axes[1, k].imshow(maps[k], cmap="RdBu_r", vmin=-scale, vmax=scale)
        axes[1, k].set_title(f"why {classes[k, 0]} not {classes[k, 1]}", fontsize=9)
        for axis in axes[:, k]:
            axis.set_axis_off()
    save_figure(fig, args.out / "why-first-8.png")

    evaluations = [evaluate(n, dataset, weights=p) for p, n in zip(paths, networks, strict=True)]
    reliability = Reliability(evaluations, 0.9)
    print(
        "\n## Abstaining below confidence P\n\n| weights | P | answered | coverage | accuracy |\n|---|---|---|---|---|"
    )
    for report in reliability.reports():
        for point in (c for c in report["curve"] if c["threshold"] in (0.0, 0.5, 0.9, 0.99)):
            print(f"| {Path(report['weights']).name} | {point['threshold']:g} | {point['answered']:,} | "
                  f"{point['coverage']:.4f} | {point['accuracy']:.4f} |")  # fmt: skip

    rows = [robustness(n, dataset.images, dataset.labels) for n in networks]
    result = Robustness(paths, [n.architecture.summary() for n in networks], len(dataset), 0, rows)
    print(
        f"\n## Robustness (10,000 test digits, seed 0)\n\n| change | strength | {' | '.join(p.name for p in paths)} |"
    )
    print("|---|---|" + "---|" * len(paths))
    for i, (name, strength) in enumerate(CHANGES):
        print(f"| {name} | {strength:g} | " + " | ".join(f"{row[i]:.4f}" for row in rows) + " |")
    from mnist_infer.views.explain import reliability_figure, robustness_figure

    reliability_figure(reliability, args.out / "reject.png")
    robustness_figure(result, args.out / "robustness.png")


if __name__ == "__main__":
    main()
