"""The experiments of chapters 4–6 with the book's settings: each trains the book's networks with the package's own
loop, networks and optimisers, and returns every series of its figure and the numbers of the book's conclusion
(``summary``, and ``holds``: whether it holds in them): ``run("optimizers", Data(data_dir), seed=0)``.

The book's scripts are unseeded; here every run is, and the runs one figure compares start from the same weights and
see the same mini-batches (where their networks have the same shapes).
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import statistics
import timeit
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from time import perf_counter
from typing import NamedTuple

import numpy as np

from ..data.mnist import Dataset, images_to_inputs, load_split
from ..errors import N_, MnistInferError
from ..model.network import Network, init_params, mlp
from .gradcheck import TOLERANCE, relative_error
from .gradcheck import numerical_gradient as central_differences
from .loop import TrainingConfig, accuracy, train


class Data:
    """MNIST's splits in a data directory, read when an experiment first asks (activations needs neither)."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = data_dir

    train = cached_property(lambda self: load_split("train", self.data_dir))
    test = cached_property(lambda self: load_split("test", self.data_dir))


@dataclass
class Experiment:
    """One experiment's outcome: every series of its figure, and the numbers of the book's conclusion."""

    name: str
    book: str  #: the book's sections and figures
    settings: dict
    series: dict
    summary: dict
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Watch:
    """What an experiment tells while it runs (the command line's display listens; by default nobody does): how many
    steps (mini-batches, mostly) lie ahead, that ``count`` more are done, a row of numbers by their column's name."""

    def start(self, total: int) -> None: ...

    def tick(self, count: int = 1) -> None: ...

    def row(self, row: dict) -> None: ...


def smooth(values) -> np.ndarray:
    """The book's ``smooth_curve`` (common/util.py) for figs. 6-9 and 6-15: a Kaiser window of 11 (β 2), the ends
    mirrored."""
    window = np.kaiser(11, 2)
    padded = np.r_[values[10:0:-1], values, values[-1:-11:-1]]
    return np.convolve(window / window.sum(), padded, mode="valid")[5:-5]


class _Run(NamedTuple):
    losses: list  #: every mini-batch's loss
    scores: dict  #: per scored set, its accuracy before training and after each epoch (None once diverged)
    seconds: float  #: spent in the training loop (scoring apart)


def _learn(config: TrainingConfig, data: Dataset, watch: Watch, scored=None, iterations=None, rows=False) -> _Run:
    """Train with the package's loop (stopping after ``iterations`` mini-batches, if given), keeping every
    mini-batch's loss and scoring the sets ``scored`` (by name) at test time before training and after each epoch,
    as the book's scripts score theirs. A run whose loss overflows (the book's std-1 network without Batch
    Normalization) has learned nothing from there on: its later scores are None."""
    batches = math.ceil(len(data) / config.batch_size)
    config = replace(config, epochs=math.ceil(iterations / batches)) if iterations else config
    architecture = config.architecture()
    rng = np.random.default_rng(config.seed)
    network = Network(architecture, init_params(architecture, config.initialisation, rng), rng=rng)
    losses, scores, seconds = [], {"iteration": [], **{name: [] for name in scored or {}}}, []

    def score(record=None) -> None:
        seconds.append(record.seconds if record else 0.0)
        scores["iteration"].append(len(losses))
        for name, part in (scored or {}).items():
            scores[name].append(accuracy(network, part.images, part.labels))
        if rows:
            watch.row({N_("epoch"): record.epoch if record else 0, **{k: v[-1] for k, v in scores.items()}})

    def batch(*progress: float) -> None:
        losses.append(progress[-1])
        watch.tick()

    diverged = False
    try:
        score()
        result = train(
            config, data, on_batch=batch, on_epoch=score, network=network, should_stop=lambda: len(losses) == iterations
        )
    except MnistInferError:  # the loss (or a score) overflowed
        diverged = True
    else:
        stopped = bool(result.history) and result.history[-1].interrupted  # by should_stop: the run's planned end
        if result.interrupted and not stopped:  # Ctrl-C, which train() takes as "keep what you have"
            raise KeyboardInterrupt
    watch.tick((iterations or config.planned_epochs * batches) - len(losses))
    for values in scores.values():
        values += [None] * (config.planned_epochs + 1 - len(values)) if diverged else []
    return _Run(losses, scores, sum(seconds))


def _config(**settings) -> TrainingConfig:
    """The book's multi-layer nets (``MultiLayerNet(Extend)``): ReLU, He's weights, SGD at 0.01, batches of 100."""
    return TrainingConfig(**{"activation": "relu", "init": "he", "optimizer": "sgd", "lr": 0.01, **settings})


def numerical_gradient(data: Data, watch: Watch, seed: int, iterations=10_000, batch_size=100, checked=3, hidden=50):
    """Figs. 4-11 and 4-12 (4.4–4.5, 5.7.3): the two-layer net 784-50-10 (sigmoid, weights of std 0.01) learns by
    SGD at 0.1 on mini-batches of 100. Its gradient on 3 images (as the book's gradient_check.py), computed both ways
    in float64, agrees; but the numerical one (two forward passes per parameter) takes thousands of times as long as
    backpropagation, and so would the training: days instead of seconds."""
    architecture = mlp((hidden,), "sigmoid")
    network = Network(
        architecture, init_params(architecture, 0.01, np.random.default_rng(seed), np.float64), np.float64
    )
    x, t = images_to_inputs(data.train.images[:checked], np.float64), data.train.labels[:checked]
    evaluations = 2 * architecture.parameter_count()
    watch.start(iterations + evaluations)
    backprop = network.gradient(x, t)
    backprop_seconds = statistics.median(timeit.repeat(lambda: network.gradient(x, t), number=1, repeat=21))
    calls = itertools.count(1)

    def loss() -> float:
        if next(calls) % 1000 == 0:
            watch.tick(1000)
        return network.loss(x, t)

    started = perf_counter()
    numerical = {key: central_differences(loss, value) for key, value in network.learnable().items()}
    numerical_seconds = perf_counter() - started
    watch.tick(evaluations % 1000)
    errors = {key: relative_error(backprop[key], value) for key, value in numerical.items()}
    for key, value in numerical.items():  # the book's gradient_check.py prints the mean difference
        difference = float(np.mean(np.abs(backprop[key] - value)))
        row = {N_("parameter"): key, N_("values"): value.size, N_("mean |difference|"): difference}
        watch.row({**row, N_("relative error"): errors[key]})
    config = TrainingConfig(
        hidden=(hidden,), activation="sigmoid", init=0.01, optimizer="sgd", lr=0.1, batch_size=batch_size, seed=seed
    )
    run = _learn(config, data.train, watch, {"train": data.train, "test": data.test}, iterations, rows=True)
    worst, ratio = max(errors.values()), numerical_seconds / backprop_seconds
    summary = {"parameters": evaluations // 2, "images": len(t), "max_relative_error": worst,
               "backprop_seconds": backprop_seconds, "numerical_seconds": numerical_seconds, "ratio": ratio,
               "training_seconds": run.seconds, "numerical_training_days": ratio * run.seconds / 86_400,
               "train_accuracy": run.scores["train"][-1], "test_accuracy": run.scores["test"][-1],
               "holds": worst < TOLERANCE and ratio > 100}  # fmt: skip
    epochs = [i / math.ceil(len(data.train) / batch_size) for i in run.scores["iteration"]]
    return {"loss": run.losses, "epoch": epochs, **run.scores}, summary


def _losses(data: Data, watch: Watch, seed: int, runs: dict, iterations: int, batch_size: int, column: str):
    """Loss curves of the same network trained in different ways (figs. 6-9, 6-15): four hidden layers of 100."""
    watch.start(len(runs) * iterations)
    series = {}
    for label, changes in runs.items():
        config = _config(hidden=(100,) * 4, batch_size=batch_size, seed=seed, **changes)
        series[label] = _learn(config, data.train, watch, iterations=iterations).losses
        smoothed = smooth(series[label])
        watch.row(
            {column: label, **{f"{i:,}": float(smoothed[i - 1]) for i in np.linspace(0, iterations, 5)[1:].astype(int)}}
        )
    return series, {"final_loss": {label: float(smooth(losses)[-1]) for label, losses in series.items()}}


def optimizers(data: Data, watch: Watch, seed: int, iterations=2000, batch_size=128):
    """Fig. 6-9 (6.1.8): SGD, Momentum, AdaGrad and Adam with the book's learning rates (0.01, 0.01, 0.01, 0.001)
    train 784-100-100-100-100-10 (ReLU, He's weights) from the same weights on the same mini-batches of 128: SGD's
    loss stays above the other three."""
    runs = {"SGD": {}, N_("Momentum"): {"optimizer": "momentum"}, "AdaGrad": {"optimizer": "adagrad"},
            "Adam": {"optimizer": "adam", "lr": 0.001}}  # fmt: skip
    series, summary = _losses(data, watch, seed, runs, iterations, batch_size, N_("optimizer"))
    smoothed = np.array([smooth(losses) for losses in series.values()])[:, iterations // 10 :]
    summary["sgd_highest"] = float(np.mean(smoothed.argmax(axis=0) == 0))  # of the iterations after the first tenth
    return series, {**summary, "holds": summary["sgd_highest"] > 0.95}


def init(data: Data, watch: Watch, seed: int, iterations=2000, batch_size=128):
    """Fig. 6-15 (6.2.4): the same ReLU network from weights of std 0.01, Xavier's 1/√n and He's √(2/n), trained by
    SGD at 0.01 on the same mini-batches of 128: with std 0.01 it does not learn (the loss stays at ln 10 ≈ 2.30)."""
    runs = {N_("std=0.01"): {"init": 0.01}, "Xavier": {"init": "xavier"}, "He": {"init": "he"}}
    series, summary = _losses(data, watch, seed, runs, iterations, batch_size, N_("initial weights"))
    final = summary["final_loss"]
    return series, {**summary, "holds": final["std=0.01"] > 2.2 and max(final["Xavier"], final["He"]) < 1.5}


def activations(data: Data, watch: Watch, seed: int, inputs=1000, layers=5, units=100):
    """Figs. 6-10, 6-11, 6-13, 6-14 (6.2.2–6.2.3): 1,000 random Gaussian inputs through five layers of 100 units
    (no biases); a histogram of each layer's activations over [0, 1] in 30 bins, as the book draws them. Sigmoid with
    weights of std 1 saturates at 0 and 1 (gradients vanish), with 0.01 it sits at 0.5, with Xavier's it spreads;
    ReLU's activations shrink layer by layer from 0.01 and Xavier's, and keep their spread with He's."""
    cases = {N_("sigmoid, std 1"): ("sigmoid", 1.0), N_("sigmoid, std 0.01"): ("sigmoid", 0.01),
             N_("sigmoid, Xavier"): ("sigmoid", "xavier"), N_("ReLU, std 0.01"): ("relu", 0.01),
             N_("ReLU, Xavier"): ("relu", "xavier"), N_("ReLU, He"): ("relu", "he")}  # fmt: skip
    watch.start(len(cases))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((inputs, units))
    series, summary = {}, {"saturated": {}, "std": {}}
    for label, (activation, std) in cases.items():
        architecture = mlp((units,) * layers, activation, inputs=units)
        trace = {}
        Network(architecture, init_params(architecture, std, rng)).forward(x, trace)
        values = [trace[f"z{layer}"] for layer in range(1, layers + 1)]
        series[label] = [np.histogram(z, 30, range=(0, 1))[0].tolist() for z in values]
        summary["saturated"][label] = [float(np.mean((z < 0.1) | (z > 0.9))) for z in values]  # near 0 or 1
        summary["std"][label] = [float(np.std(z)) for z in values]
        watch.row({N_("std of the activations"): label, **{f"z{i}": s for i, s in enumerate(summary["std"][label], 1)}})
        watch.tick()
    saturated = summary["saturated"]
    holds = min(saturated["sigmoid, std 1"]) > 0.5 and max(saturated["sigmoid, Xavier"]) < 0.1
    return series, {**summary, "holds": holds and min(summary["std"]["sigmoid, Xavier"]) > 0.1}


def batch_norm(data: Data, watch: Watch, seed: int, images=1000, epochs=20, scales=16):
    """Figs. 6-18, 6-19 (6.3.2): five hidden layers of 100 (ReLU) with and without Batch Normalization, for 16
    standard deviations of the initial weights from 1 to 0.0001, trained by SGD at 0.01 on 1,000 images; the
    accuracy on those images after each epoch. With it, the network learns faster at most scales."""
    part, weights = data.train.part(0, images), np.logspace(0, -4, scales)
    watch.start(scales * 2 * epochs * math.ceil(images / 100))
    series = {"scales": weights.tolist(), "batch_norm": [], "without": []}
    for std in weights:
        for key in ("batch_norm", "without"):
            config = _config(
                hidden=(100,) * 5, batch_norm=key == "batch_norm", init=float(std), epochs=epochs, seed=seed
            )
            series[key].append(_learn(config, part, watch, {"train": part}).scores["train"])
        watch.row({N_("initial std"): f"{std:.4g}", N_("without"): series["without"][-1][-1],
                   N_("batch norm"): series["batch_norm"][-1][-1]})  # fmt: skip
    means = {key: [np.mean([a or 0.0 for a in curve]) for curve in series[key]] for key in ("batch_norm", "without")}
    faster = int(sum(b > w for b, w in zip(means["batch_norm"], means["without"], strict=True)))
    return series, {"faster_with_batch_norm": faster, "scales": scales, "holds": faster > scales / 2}


def overfit(data: Data, watch: Watch, seed: int, images=300, epochs=200, dropout_epochs=300, tested=10_000):
    """Figs. 6-20, 6-21, 6-23 (6.4): six hidden layers of 100 (ReLU) trained on 300 images by SGD at 0.01: alone it
    reaches train accuracy 1.0 far above the test accuracy; weight decay (λ 0.1) and Dropout (0.15, the ratio of the
    book's figure; its script has 0.2) narrow the gap."""
    part, test = data.train.part(0, images), data.test.part(0, tested)
    runs = {N_("none"): {}, N_("weight decay"): {"weight_decay": 0.1},
            N_("dropout"): {"dropout": 0.15, "epochs": dropout_epochs}}  # fmt: skip
    watch.start((2 * epochs + dropout_epochs) * math.ceil(images / 100))
    series, summary = {}, {}
    for label, changes in runs.items():
        config = _config(hidden=(100,) * 6, **{"epochs": epochs, **changes}, seed=seed)
        series[label] = _learn(config, part, watch, {"train": part, "test": test}).scores
        train_acc, test_acc = series[label]["train"][-1], series[label]["test"][-1]
        summary[label] = {"train": train_acc, "test": test_acc, "gap": train_acc - test_acc}
        watch.row({N_("regularisation"): label, N_("train acc"): train_acc, N_("test acc"): test_acc,
                   N_("gap"): train_acc - test_acc})  # fmt: skip
    gaps = {label: numbers["gap"] for label, numbers in summary.items()}
    holds = summary["none"]["train"] == 1.0 and gaps["none"] > max(0.15, gaps["weight decay"], gaps["dropout"])
    return series, {**summary, "holds": holds}


def hyperparameters(data: Data, watch: Watch, seed: int, trials=60, epochs=50, images=500, validation=100):
    """Fig. 6-24 (6.5.3): a random search of the learning rate (10^-6 to 10^-2) and the weight decay (10^-8 to 10^-4),
    each log-uniform, for six hidden layers of 100 trained 50 epochs by SGD on 400 images and scored on 100 held out:
    the best trials share a narrow region of learning rates, about 0.001 to 0.01. 60 trials, not the book's 100
    (which take a minute here): the best 20 still show it."""
    rng = np.random.default_rng(seed)
    part, held = data.train.part(0, images - validation), data.train.part(images - validation, images)
    watch.start(trials * epochs * math.ceil(len(part) / 100))
    found = []
    for trial in range(trials):
        decay, lr = 10 ** rng.uniform(-8, -4), 10 ** rng.uniform(-6, -2)  # the book's order of draws
        config = _config(hidden=(100,) * 6, lr=lr, weight_decay=decay, epochs=epochs, seed=seed + trial)
        scores = _learn(config, part, watch, {"validation": held, "train": part}).scores
        found.append({"lr": lr, "weight_decay": decay, "validation": scores["validation"], "train": scores["train"]})
        watch.row({N_("trial"): trial + 1, N_("learning rate"): lr, N_("weight decay"): decay,
                   N_("val acc"): scores["validation"][-1]})  # fmt: skip
    found.sort(key=lambda trial: -trial["validation"][-1])
    best = [trial["lr"] for trial in found[: max(3, trials // 10)]]  # the best tenth
    decades, accuracy = math.log10(max(best) / min(best)), found[0]["validation"][-1]
    summary = {"best": len(best), "best_lr": [min(best), max(best)], "decades": decades, "best_validation": accuracy}
    return {"trials": found}, {**summary, "holds": decades < 1 and accuracy > 0.3}  # within one of the 4 decades


#: The experiments by name, in the book's order: each with its sections and figures of the book, and what ``quick``
#: changes for a first look in seconds (fewer iterations, images or trials, where the conclusion still shows).
EXPERIMENTS = {
    "numerical-gradient": (
        numerical_gradient,
        N_("4.4–4.5, 5.7.3; figs. 4-11, 4-12"),
        {"iterations": 500, "hidden": 10},
    ),
    "optimizers": (optimizers, N_("6.1.8; fig. 6-9"), {"iterations": 300}),
    "activations": (activations, N_("6.2.2–6.2.3; figs. 6-10, 6-11, 6-13, 6-14"), {}),
    "init": (init, N_("6.2.4; fig. 6-15"), {"iterations": 500}),
    "batch-norm": (batch_norm, N_("6.3.2; figs. 6-18, 6-19"), {"images": 100, "epochs": 100, "scales": 8}),
    "overfit": (
        overfit,
        N_("6.4.1–6.4.3; figs. 6-20, 6-21, 6-23"),
        {"images": 100, "dropout_epochs": 200, "tested": 500},
    ),
    "hyperparameters": (hyperparameters, N_("6.5.3; fig. 6-24"), {"trials": 15, "epochs": 20}),
}


def run(name: str, data: Data, seed: int = 0, quick: bool = False, watch: Watch | None = None) -> Experiment:
    """The experiment ``name`` with the book's settings (the function's defaults; ``quick`` changes some), timed."""
    function, book, changes = EXPERIMENTS[name]
    parameters = inspect.signature(function).parameters.values()
    settings = {p.name: p.default for p in parameters if p.default is not p.empty}
    settings.update(changes if quick else {}, seed=seed)
    started = perf_counter()
    series, summary = function(data, watch or Watch(), **settings)
    return Experiment(name, book, {**settings, "quick": quick}, series, summary, perf_counter() - started)
