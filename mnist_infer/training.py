"""Training the book's network (chapters 4–6): mini-batches, backpropagation, an optimiser, and the best weights.

    result = train(TrainingConfig(epochs=20), load_split("train"), test=load_split("test"))
    save_weights("mine.npz", result.params, result.metadata())

The train split stays uint8 (memory-mapped); each mini-batch is converted to float32 (or augmented) on its own,
so memory does not grow with the data set. Every epoch visits each training image once in a random order.
With ``validation=N`` the last N training images are held out and the weights of the epoch that classifies
them best are kept; without, the latest weights are kept (the test set is reported, never used to choose).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from . import __version__
from .augmentation import Augmentation
from .catalog import BLAS_THREAD_SETTINGS, IMAGE_PIXELS, NUM_CLASSES
from .classify import classify_images, images_to_inputs
from .data import Dataset
from .errors import MnistInferError
from .layers import ACTIVATIONS
from .network import Network
from .optimizers import OPTIMIZERS, default_lr, make_optimizer

#: Weight initialisations of chapter 6: the standard deviation of ``W`` for a layer with ``n`` inputs.
INITS: dict[str, Callable[[int], float]] = {
    "xavier": lambda n: math.sqrt(1.0 / n),  # for sigmoid
    "he": lambda n: math.sqrt(2.0 / n),  # for ReLU
    "book": lambda n: 0.01,  # chapters 4–5's weight_init_std
}
#: The initialisation chapter 6 recommends for each activation.
DEFAULT_INIT = {"sigmoid": "xavier", "relu": "he"}


def init_params(sizes: tuple[int, ...], init: str, rng: np.random.Generator, dtype: type = np.float32) -> dict:
    """``W1 b1 W2 b2 …`` for layers of ``sizes``: Gaussian weights scaled as ``init`` says, zero biases."""
    params = {}
    for i in range(1, len(sizes)):
        inputs, outputs = sizes[i - 1], sizes[i]
        params[f"W{i}"] = (INITS[init](inputs) * rng.standard_normal((inputs, outputs))).astype(dtype)
        params[f"b{i}"] = np.zeros(outputs, dtype=dtype)
    return params


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run; ``seed`` None means a fresh one (recorded in the result)."""

    hidden: tuple[int, int] = (50, 100)
    activation: str = "sigmoid"
    optimizer: str = "adam"
    lr: float | None = None  #: None: the optimiser's default (SGD 0.1, Momentum 0.01, AdaGrad 0.01, Adam 0.001)
    epochs: int = 20
    batch_size: int = 100
    weight_decay: float = 0.0
    augment: bool = False
    seed: int | None = None
    validation: int = 0
    init: str | None = None  #: None: xavier for sigmoid, he for relu

    def check(self, train_images: int | None = None) -> None:
        """Raise :class:`MnistInferError` naming the first setting that cannot work (with that many images)."""
        problems = [
            (len(self.hidden) != 2 or min(self.hidden) < 1, f"hidden sizes {self.hidden}: expected two sizes >= 1"),
            (
                self.activation not in ACTIVATIONS,
                f"activation {self.activation!r}: expected {' or '.join(ACTIVATIONS)}",
            ),
            (
                self.optimizer not in OPTIMIZERS,
                f"optimizer {self.optimizer!r}: expected one of {', '.join(OPTIMIZERS)}",
            ),
            (self.lr is not None and not (self.lr > 0 and math.isfinite(self.lr)), f"lr {self.lr}: expected > 0"),
            (self.epochs < 1, f"epochs {self.epochs}: expected at least 1"),
            (self.batch_size < 1, f"batch size {self.batch_size}: expected at least 1"),
            (not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)), "weight decay: expected >= 0"),
            (self.validation < 0, f"validation {self.validation}: expected >= 0"),
            (
                self.init is not None and self.init not in INITS,
                f"init {self.init!r}: expected one of {', '.join(INITS)}",
            ),
            (self.seed is not None and self.seed < 0, f"seed {self.seed}: expected >= 0"),
        ]
        for wrong, message in problems:
            if wrong:
                raise MnistInferError(f"cannot train: {message}")
        if train_images is not None and self.validation >= train_images:
            raise MnistInferError(
                f"cannot train: --validation {self.validation:,} holds out all {train_images:,} training images"
            )

    @property
    def sizes(self) -> tuple[int, ...]:
        return (IMAGE_PIXELS, *self.hidden, NUM_CLASSES)

    @property
    def learning_rate(self) -> float:
        return default_lr(self.optimizer) if self.lr is None else self.lr

    @property
    def initialisation(self) -> str:
        return self.init or DEFAULT_INIT[self.activation]


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

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class TrainingResult:
    config: TrainingConfig
    seed: int
    history: list[EpochRecord] = field(default_factory=list)
    params: dict[str, np.ndarray] | None = None  #: the kept weights; None if interrupted before any were usable
    kept: EpochRecord | None = None  #: the epoch whose weights were kept
    interrupted: bool = False
    train_images: int = 0
    data: str = ""

    def metadata(self) -> dict[str, object]:
        """What the saved weights file says about itself (no times or paths: a seeded run saves the same bytes)."""
        config = self.config
        kept = self.kept
        return {
            "format": "mnist-infer weights",
            "tool": f"mnist-infer {__version__}",
            "sizes": list(config.sizes),
            "activation": config.activation,
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
                "epochs_planned": config.epochs,
                "batch_size": config.batch_size,
                "weight_decay": config.weight_decay,
                "init": config.initialisation,
                "augment": config.augment,
                "validation_images": config.validation,
                "train_images": self.train_images,
                "data": self.data,
                "interrupted": self.interrupted,
                "kept": "best validation accuracy" if config.validation else "latest",
            },
            "history": [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in self.history],
        }


def fresh_seed() -> int:
    """A seed from the operating system's entropy, small enough to type back in with ``--seed``."""
    return int(np.random.SeedSequence().entropy % 2**32)


#: Called after every mini-batch: (epoch, batches done, batches in the epoch, mean loss, accuracy so far).
BatchCallback = Callable[[int, int, int, float, float], None]


def train(
    config: TrainingConfig,
    train_set: Dataset,
    test: Dataset | None = None,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Train a network as ``config`` says on ``train_set``, scoring every epoch on ``test`` if given.

    ``should_stop()`` is asked after each mini-batch; when it answers True the run ends there (that partial
    epoch is scored like a whole one). A KeyboardInterrupt in the middle of a batch ends it too, but that batch's
    half-made update is discarded with the rest of its epoch.
    """
    config.check(len(train_set))
    count = len(train_set) - config.validation
    seed = config.seed if config.seed is not None else fresh_seed()
    rng = np.random.default_rng(seed)
    network = Network(init_params(config.sizes, config.initialisation, rng), activation=config.activation)
    run = _Run(config, network, rng, train_set, count, test, on_batch, should_stop)
    result = TrainingResult(config, seed, train_images=count, data=train_set.images_path.name)
    # Overflow shows as a non-finite loss, which stops training with an error that says what to do.
    with _one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, config.epochs + 1):
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
                result.kept, result.params = record, {key: value.copy() for key, value in network.params.items()}
            if on_epoch is not None:
                on_epoch(record)
            if record.interrupted:
                break
    return result


class _Run:
    """The state of one training run: the network, its optimiser, the data, the random generator."""

    def __init__(self, config, network, rng, train_set, count, test, on_batch, should_stop) -> None:
        self.config, self.network, self.rng = config, network, rng
        self.optimizer = make_optimizer(config.optimizer, config.lr)
        self.augment = Augmentation() if config.augment else None
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
        try:
            for done, start in enumerate(range(0, self.count, config.batch_size), start=1):
                chosen = order[start : start + config.batch_size]
                batch, t = self.images[chosen], self.labels[chosen]
                x = self.augment(batch, self.rng) if self.augment else images_to_inputs(batch)
                loss = network.loss(x, t, config.weight_decay)
                if not math.isfinite(loss):
                    raise MnistInferError(
                        f"training diverged in epoch {epoch} (the loss became {loss}): the learning rate "
                        f"{config.learning_rate} is too large for {config.optimizer}; try --lr "
                        f"{config.learning_rate / 10:g}"
                    )
                self.optimizer.update(network.params, network.backward(config.weight_decay))
                loss_sum += loss * len(t)
                correct += int(np.count_nonzero(network.last_layer.y.argmax(axis=1) == t))
                seen += len(t)
                if self.on_batch is not None:
                    self.on_batch(epoch, done, self.batches, loss_sum / seen, correct / seen)
                if self.should_stop is not None and self.should_stop():
                    stopped = True
                    break
        except KeyboardInterrupt:
            return None
        return EpochRecord(
            epoch,
            loss_sum / seen,
            correct / seen,
            _accuracy(network, *self.held_out) if self.held_out else None,
            _accuracy(network, self.test.images, self.test.labels) if self.test is not None else None,
            time.perf_counter() - started,
            done,
            interrupted=stopped,
        )


def _accuracy(network: Network, images: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(classify_images(network, images)[0] == labels)) if len(labels) else 0.0


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """One BLAS thread while training, unless the user chose how many: a mini-batch's products are small, and
    BLAS threads cost more to wake and wait for than they save, far more when other programs share the cores
    (measured: 6× slower per epoch on a busy 2-core machine). threadpoolctl does it after numpy is loaded."""
    if any(os.environ.get(name) for name in BLAS_THREAD_SETTINGS):
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")
