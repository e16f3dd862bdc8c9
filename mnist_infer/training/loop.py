"""Training (chapters 4–8): mini-batches, backpropagation, an optimiser, and the weights of the best epoch.

    result = train(TrainingConfig(epochs=20), load_split("train"), test=load_split("test"))
    save_weights("mine.npz", result.network, result.metadata())

The training images stay uint8 (memory-mapped); each mini-batch is converted (or augmented) on its own, so memory
does not grow with the data set. Every epoch visits each training image once in a random order. With
``validation=N`` the last N training images are held out and the weights of the epoch that classifies them best are
kept; without, the latest (the test set is reported, never used to choose).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..data.augment import Augmentation
from ..data.mnist import Dataset, images_to_inputs
from ..errors import N_, InputError, MnistInferError
from ..inference import classify_images
from ..model.layers import ACTIVATIONS
from ..model.network import INITS, MODELS, Architecture, ArchitectureError, Network, init_params
from .optimizers import OPTIMIZERS, SCHEDULES, default_lr

#: Per model: the initialisation and optimiser chapter 6 recommends, and the book's epochs. The CNNs learn from
#: augmented digits: without, SimpleConvNet memorises its training images by the 13th epoch and ends at 0.989–0.992
#: on the test images, as the seed falls; with, at 0.993, in about the same time (docs/training.md).
MODEL_DEFAULTS = {
    "mlp": {"epochs": 20, "schedule": "constant", "augment": False},
    "simple-convnet": {"epochs": 20, "init": "he", "schedule": "cosine", "augment": True},
    "deep-convnet": {"epochs": 20, "init": "he", "schedule": "cosine", "augment": True},
}
DEFAULT_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}
#: A weights file records every epoch (its metadata may hold 1 MiB: about 5,000 of them).
MAX_EPOCHS = 4000


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run; ``None`` means the model's default, ``seed`` None a fresh one."""

    model: str = "mlp"
    hidden: tuple[int, ...] = (50, 100)  #: for "mlp": the hidden layers' sizes, any number of them
    activation: str = "sigmoid"  #: for "mlp"
    dropout: float = 0.0  #: for "mlp": the book's Dropout after each hidden layer
    batch_norm: bool = False  #: for "mlp": Batch Normalization before each activation
    optimizer: str = "adam"
    lr: float | None = None
    epochs: int | None = None
    batch_size: int = 100
    weight_decay: float = 0.0
    augment: bool | None = None
    seed: int | None = None
    validation: int = 0
    init: str | float | None = None
    schedule: str | None = None  #: a name of SCHEDULES

    def architecture(self) -> Architecture:
        if self.model == "mlp":
            return MODELS["mlp"](tuple(self.hidden), self.activation, dropout=self.dropout, batch_norm=self.batch_norm)
        return MODELS[self.model]()

    def check(self, train_images: int | None = None) -> Architecture:
        """The architecture, once every setting can work (else :class:`InputError` naming the first that cannot)."""
        problems = [
            (self.model not in MODELS, "--model", self.model),
            (self.activation not in ACTIVATIONS, "--activation", self.activation),
            (self.optimizer not in OPTIMIZERS, "--optimizer", self.optimizer),
            (not self.hidden or min(self.hidden) < 1, "--hidden", " ".join(map(str, self.hidden))),
            (not 0 <= self.dropout < 1, "--dropout", self.dropout),
            (self.lr is not None and not (0 < self.lr < math.inf), "--lr", self.lr),
            (self.epochs is not None and self.epochs < 1, "--epochs", self.epochs),
            (self.batch_size < 1, "--batch-size", self.batch_size),
            (not 0 <= self.weight_decay < math.inf, "--weight-decay", self.weight_decay),
            (self.validation < 0, "--validation", self.validation),
            (self.seed is not None and self.seed < 0, "--seed", self.seed),
            (isinstance(self.init, str) and self.init not in INITS, "--init", self.init),
            (self.schedule is not None and self.schedule not in SCHEDULES, "--schedule", self.schedule),
        ]
        for wrong, option, value in problems:
            if wrong:
                raise InputError(N_("cannot train: {option} {value} cannot work"), option=option, value=value)
        if self.planned_epochs > MAX_EPOCHS:
            raise InputError(
                N_("cannot train: --epochs {count:,} is more than the {limit:,} a weights file records"),
                count=self.planned_epochs,
                limit=MAX_EPOCHS,
            )
        if train_images is not None and self.validation >= train_images:
            raise InputError(N_("cannot train: --validation {count:,} holds out all {total:,} training images"),
                             count=self.validation, total=train_images)  # fmt: skip
        try:
            return self.architecture()
        except ArchitectureError as exc:  # what the loaders would refuse: say it now, not after training
            setting = f"--hidden {' '.join(map(str, self.hidden))}" if self.model == "mlp" else f"--model {self.model}"
            raise InputError(N_("cannot train {setting}: {problem}"), setting=setting, problem=exc) from None

    @property
    def planned_epochs(self) -> int:
        return self.epochs if self.epochs is not None else MODEL_DEFAULTS[self.model]["epochs"]

    @property
    def lr_schedule(self) -> str:
        return self.schedule or MODEL_DEFAULTS[self.model]["schedule"]

    @property
    def augmented(self) -> bool:
        return MODEL_DEFAULTS[self.model]["augment"] if self.augment is None else self.augment

    @property
    def learning_rate(self) -> float:
        return default_lr(self.optimizer) if self.lr is None else self.lr

    @property
    def initialisation(self) -> str | float:
        if self.init is not None:
            return self.init
        return MODEL_DEFAULTS[self.model].get("init") or DEFAULT_INIT[self.activation]


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of the learning curve. ``train_accuracy`` and ``loss`` are over the epoch's mini-batches."""

    epoch: int
    loss: float
    train_accuracy: float
    validation_accuracy: float | None
    test_accuracy: float | None
    seconds: float
    batches: int  #: mini-batches trained; fewer than a full epoch's if it was interrupted
    interrupted: bool = False
    validation_loss: float | None = None  #: cross-entropy alone (``loss`` adds weight decay's ½λΣW², if any)
    test_loss: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class TrainingResult:
    config: TrainingConfig
    seed: int
    network: Network | None = None  #: with the kept weights; None if interrupted before any epoch ended
    history: list[EpochRecord] = field(default_factory=list)
    kept: EpochRecord | None = None  #: the epoch whose weights were kept
    interrupted: bool = False
    train_images: int = 0
    data: str = ""
    data_set: str = ""  #: "MNIST" (by its checksum), else the name of the folder the training images came from
    fingerprints: dict[str, str | None] = field(default_factory=dict)  #: the splits', see Dataset.fingerprint
    weights: str = ""  #: where they were saved (set by the caller)

    def metadata(self) -> dict[str, object]:
        """What the saved weights file says about itself (no times or paths: a seeded run saves the same bytes)."""
        config, kept = self.config, self.kept
        architecture = config.architecture()
        mlp = config.model == "mlp"
        return {
            "format": "mnist-infer weights",
            "tool": f"mnist-infer {__version__}",
            "model": config.model,
            "sizes": [784, *config.hidden, 10] if mlp else None,
            "activation": architecture.activation,
            "epochs": kept.epoch if kept else 0,
            "accuracy": {
                "test": kept.test_accuracy if kept else None,
                "validation": kept.validation_accuracy if kept else None,
                "train": kept.train_accuracy if kept else None,
            },
            "seed": self.seed,
            "training": {
                "optimizer": config.optimizer,
                "lr": config.learning_rate,
                "schedule": config.lr_schedule,
                "epochs_planned": config.planned_epochs,
                "batch_size": config.batch_size,
                "weight_decay": config.weight_decay,
                "init": config.initialisation,
                "dropout": config.dropout if mlp else None,
                "batch_norm": config.batch_norm if mlp else None,
                "augment": config.augmented,
                "validation_images": config.validation,
                "train_images": self.train_images,
                "data": self.data,
                "data_set": self.data_set,
                "fingerprints": self.fingerprints,
                "interrupted": self.interrupted,
                "kept": "best validation accuracy" if config.validation else "latest",
            },
            "history": [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in self.history],
        }

    def to_dict(self) -> dict[str, object]:
        """``train --json``: the file's metadata, where it was saved, and the epochs with their times."""
        return {**self.metadata(), "weights": self.weights, "history": [r.to_dict() for r in self.history]}


def prepare(config: TrainingConfig, out, plot=None, data_dir=None, limit: slice | None = None):
    """The training and test splits, once everything that would make a run's output unusable or unwritable is
    checked: the settings (and the network they make, against the bounds the loaders enforce), ``out`` and ``plot``
    (writable, not a link or a device, not the same file)."""
    from ..catalog import SPLIT_FILES
    from ..data.mnist import is_mnist, load_split
    from ..errors import MissingDataError
    from ..paths import check_writable

    check_writable(out, N_("the weights"))
    if Path(out).suffix.lower() != ".npz":  # a .pkl would promise a pickle, which this tool never writes
        raise InputError(N_("--out {path}: weights are saved as .npz; name the file {name}.npz"),
                         path=out, name=Path(out).stem)  # fmt: skip
    if plot is not None:
        check_writable(plot, N_("the plot"))
        if os.path.realpath(plot) == os.path.realpath(out) or (
            Path(out).exists() and Path(plot).exists() and Path(out).samefile(plot)
        ):
            raise InputError(N_("--out and --plot name the same file {path}: the plot would replace the weights"),
                             path=out)  # fmt: skip
    train_set = load_split("train", data_dir)
    if limit is not None:
        train_set = train_set.limited(limit.start, limit.stop)
    config.check(len(train_set))
    try:
        test_set = load_split("test", data_dir, packaged=False)  # the test split of the same data set
    except MissingDataError:
        # MNIST's own training labels: the packaged test split is their test set. Another data set with MNIST's
        # file names (Fashion-MNIST) trains untested, scored on its validation images, if any.
        test_set = load_split("test") if is_mnist(train_set.labels_path, SPLIT_FILES["train"][1]) else None
    return train_set, test_set


def check_trained(result: TrainingResult) -> None:
    """Refuse weights the loaders would refuse (a learning rate so large that they overflow), naming the setting."""
    if not _loadable(result.network.architecture, result.network.params):
        raise MnistInferError(
            N_(
                "training made weights too large to use ({option} {value:g} is far too large for {optimizer}); "
                "nothing saved: try {option} {smaller:g}"
            ),
            optimizer=result.config.optimizer,
            **_to_blame(result.config),
        )


def _loadable(architecture: Architecture, params: dict[str, np.ndarray]) -> bool:
    from ..weights import check_values

    try:
        check_values(architecture, params, "")
    except MnistInferError:
        return False
    return True


def _to_blame(config: TrainingConfig) -> dict[str, object]:
    """The setting that made training blow up, and a value to try: the weight decay when it alone is absurd (at
    least 1, and shrinking the weights past 0 in a step: λ·lr ≥ 1), else the learning rate."""
    if config.weight_decay >= 1 and config.weight_decay * config.learning_rate >= 1:
        return {"option": "--weight-decay", "value": config.weight_decay, "smaller": min(config.weight_decay / 10, 0.1)}
    lr = config.learning_rate
    return {"option": "--lr", "value": lr, "smaller": min(lr / 10, default_lr(config.optimizer))}


def fresh_seed() -> int:
    """A seed from the operating system's entropy, small enough to type back in with ``--seed``."""
    return int(np.random.SeedSequence().entropy % 2**32)


#: Called after every mini-batch: (epoch, batches done, batches in the epoch, mean loss, accuracy so far, and the
#: loss of this batch alone: a learning curve by iteration, as chapter 6 draws them).
BatchCallback = Callable[[int, int, int, float, float, float], None]


def train(
    config: TrainingConfig,
    train_set: Dataset,
    test: Dataset | None = None,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int = 1,
    network: Network | None = None,
) -> TrainingResult:
    """Train a network as ``config`` says on ``train_set``, scoring every epoch on ``test`` if given.

    ``should_stop()`` is asked after each mini-batch; when it answers True the run ends there (that partial epoch is
    scored like a whole one). A KeyboardInterrupt in the middle of a batch ends it too, but that batch's half-made
    update is discarded with the rest of its epoch. ``workers`` threads share out a convolutional network's batches.
    ``network`` (of ``config``'s architecture) is trained instead of a fresh one: an experiment that holds it can
    score it as it learns.
    """
    architecture = config.check(len(train_set))
    count = len(train_set) - config.validation
    seed = config.seed if config.seed is not None else fresh_seed()
    rng = np.random.default_rng(seed)
    if network is None:
        network = Network(architecture, init_params(architecture, config.initialisation, rng), rng=rng)
    if not isinstance(config.initialisation, str) and not _loadable(architecture, network.params):  # --init 1e30
        raise InputError(
            N_("cannot train: --init {std:g} makes weights too large to use; try --init {name}"),
            std=config.initialisation,
            name=MODEL_DEFAULTS[config.model].get("init") or DEFAULT_INIT[config.activation],
        )
    run = _Run(config, network, rng, train_set, count, test, on_batch, should_stop, workers)
    fingerprints = {"train": train_set.fingerprint(), "test": test.fingerprint() if test is not None else None}
    result = TrainingResult(config, seed, train_images=count, data=train_set.images_path.name,
                            data_set=train_set.name(), fingerprints=fingerprints)  # fmt: skip
    # Overflow shows as a non-finite loss, which stops training with an error that says what to do.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, config.planned_epochs + 1):
            record = run.epoch(epoch)
            if record is None:  # a KeyboardInterrupt in mid-batch: keep what the last whole epoch gave
                result.interrupted = True
                break
            result.history.append(record)
            result.interrupted = record.interrupted
            if (
                result.kept is None
                or not config.validation
                or record.validation_accuracy > result.kept.validation_accuracy
            ):
                result.kept = record
                result.network = Network(architecture, {k: v.copy() for k, v in network.params.items()})
            if on_epoch is not None:
                on_epoch(record)
            if record.interrupted:
                break
    return result


class _Run:
    """The state of one training run: the network, its optimiser, the data, the random generator."""

    def __init__(self, config, network, rng, train_set, count, test, on_batch, should_stop, workers) -> None:
        self.config, self.network, self.rng = config, network, rng
        # A convolutional network's batch shared out among threads, each with its own layers (and its own dropout
        # masks, drawn from its own generator); not with batch normalisation, whose statistics are the batch's.
        parallel = workers > 1 and network.is_convolutional and "gamma1" not in network.params
        self.replicas = [Network(network.architecture, network.params, rng=np.random.default_rng(rng.integers(2**63)))
                         for _ in range(workers if parallel else 0)]  # fmt: skip
        self.pool = ThreadPoolExecutor(workers) if parallel else None
        self.workers = workers
        self.optimizer = OPTIMIZERS[config.optimizer](lr=config.learning_rate)
        self.schedule = SCHEDULES[config.lr_schedule]
        self.augment = Augmentation() if config.augmented else None
        # Plain arrays over the same memory map: indexing np.memmap itself costs more than copying a batch.
        self.images, self.labels = np.asarray(train_set.images), np.asarray(train_set.labels)
        self.count = count
        self.held_out = (self.images[count:], self.labels[count:]) if config.validation else None
        self.test = test
        self.on_batch, self.should_stop = on_batch, should_stop
        self.batches = -(-count // config.batch_size)

    def epoch(self, epoch: int) -> EpochRecord | None:
        """Train on every image once, in a random order; None if a KeyboardInterrupt broke a batch."""
        config, network = self.config, self.network
        started = time.perf_counter()
        order = self.rng.permutation(self.count)
        loss_sum = correct = seen = done = 0
        stopped = False
        learnable = network.learnable()
        try:
            for done, start in enumerate(range(0, self.count, config.batch_size), start=1):
                chosen = order[start : start + config.batch_size]
                batch, t = self.images[chosen], self.labels[chosen]
                x = self.augment(batch, self.rng) if self.augment else images_to_inputs(batch)
                loss, right, grads = self._step(x, t)
                if not math.isfinite(loss):
                    raise MnistInferError(
                        N_(
                            "training diverged in epoch {epoch} (the loss became {loss}): {option} {value:g} is too "
                            "large for {optimizer}; try {option} {smaller:g}"
                        ),
                        epoch=epoch,
                        loss=loss,
                        optimizer=config.optimizer,
                        **_to_blame(config),
                    )
                run_done = (epoch - 1 + (done - 1) / self.batches) / config.planned_epochs
                self.optimizer.lr = config.learning_rate * self.schedule(min(run_done, 1.0))
                self.optimizer.update(learnable, grads)
                loss_sum, correct, seen = loss_sum + loss * len(t), correct + right, seen + len(t)
                if self.on_batch is not None:
                    self.on_batch(epoch, done, self.batches, loss_sum / seen, correct / seen, loss)
                if self.should_stop is not None and self.should_stop():
                    stopped = True
                    break
        except KeyboardInterrupt:
            return None
        validation = _score(network, *self.held_out, self.workers) if self.held_out else (None, None)
        test = _score(network, self.test.images, self.test.labels, self.workers) if self.test else (None, None)
        seconds = time.perf_counter() - started
        return EpochRecord(epoch, loss_sum / seen, correct / seen, validation[0], test[0], seconds, done, stopped,
                           validation[1], test[1])  # fmt: skip

    def _step(self, x: np.ndarray, t: np.ndarray) -> tuple[float, int, dict[str, np.ndarray]]:
        """Loss, right answers and gradients of one mini-batch; with threads, each computes those of a share of the
        batch, and the shares' gradients weighted by their sizes add up to the batch's."""
        decay = self.config.weight_decay
        if self.pool is None:
            loss = self.network.loss(x, t, decay)
            right = int(np.count_nonzero(self.network.last_layer.y.argmax(axis=1) == t))
            return loss, right, self.network.backward(decay)
        shares = [share for share in np.array_split(np.arange(len(t)), len(self.replicas)) if len(share)]

        def part(network: Network, share: np.ndarray):
            loss = network.loss(x[share], t[share]) * len(share) / len(t)
            right = int(np.count_nonzero(network.last_layer.y.argmax(axis=1) == t[share]))
            return loss, right, {k: g * (len(share) / len(t)) for k, g in network.backward().items()}

        parts = list(self.pool.map(part, self.replicas, shares))
        grads = {key: sum(p[2][key] for p in parts) for key in parts[0][2]}
        loss = sum(p[0] for p in parts)
        for key, W in self.network.params.items() if decay else ():
            if key[0] == "W":  # weight decay once, on the whole batch's gradients
                grads[key] += decay * W
                loss += 0.5 * decay * float(np.sum(np.square(W)))
        return loss, sum(p[1] for p in parts), grads


def accuracy(network: Network, images: np.ndarray, labels: np.ndarray) -> float:
    """The share of ``images`` (uint8) that ``network`` classifies as ``labels`` say, at test time (inference mode)."""
    return _score(network, images, labels)[0]


def _score(network: Network, images: np.ndarray, labels: np.ndarray, workers: int = 1) -> tuple[float, float]:
    """Accuracy and mean cross-entropy on images the network does not learn from."""
    if not len(labels):
        return 0.0, 0.0
    predictions, probabilities = classify_images(network, images, workers=workers)
    likelihood = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    return float(np.mean(predictions == labels)), float(-np.mean(np.log(np.maximum(likelihood, 1e-30))))
