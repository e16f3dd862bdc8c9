"""A trained network at work: images classified batch by batch, a split evaluated (accuracy, per class, where it
goes wrong), single digits and pictures predicted. The command line and the page call these; each result has
``to_dict()`` for JSON and a view in :mod:`mnist_infer.views`.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .catalog import BLAS_THREADS, DEFAULT_BATCH_SIZE, NOT_SURE_BELOW, NUM_CLASSES, KnownFile
from .data.mnist import Dataset, images_to_inputs
from .errors import N_, ImageError, InputError
from .model import Network
from .paths import is_packaged

#: Images per forward pass of a convolutional network: few enough that each layer's output stays in the processor's
#: cache (a convolution copies its windows a few images at a time itself). Measured on the DeepConvNet's 10,000 test
#: images, as a whole process with two workers: 16 and 32 images a batch take the same time, 64 take 2% longer.
CONVOLUTION_BATCH = 32
#: Whether workers may be forked copies of the process (Linux: cheap, and safe for numpy), not threads: two threads
#: took 1.15–1.2 times as long as two processes over the DeepConvNet's 10,000 images, though numpy lets go of the
#: interpreter in its products and copies. Elsewhere (macOS, where a forked copy may not use the system's BLAS;
#: Windows, which cannot fork) they are threads. See :func:`_forks` for when they are forked.
FORKS = sys.platform == "linux"


def _forks() -> bool:
    """Whether to fork the workers now: on Linux, when BLAS runs one thread (as the command line sets it: BLAS's own
    threads would compete with the copies', and may be in the middle of a product), and from a process with no
    other thread (a progress bar's, a server's, a training pool's), whose locks a copy would inherit held."""
    if not (FORKS and all(os.environ.get(name) == "1" for name in BLAS_THREADS)):
        return False
    # The variables say what BLAS was told if they were set before it loaded; the system counts the threads there
    # are: Python's, BLAS's own (the variables set too late), a library's.
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def batch_for(network: Network, batch_size: int) -> int:
    """The images :func:`classify_images` passes through ``network`` at a time when asked for ``batch_size``."""
    return min(batch_size, CONVOLUTION_BATCH) if network.is_convolutional else batch_size


def classify_images(
    network: Network,
    images: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and probabilities for uint8 images, at most ``batch_size`` at a time (32 for a
    convolutional network), shared out between ``workers`` processes (on Linux, with BLAS on one thread, as the
    command line sets it) or threads.

    Probabilities that are not finite (weights so large that the forward pass overflows) are an :class:`InputError`,
    never a silent accuracy. ``progress(done, total)`` is called after each batch.
    """
    if batch_size < 1 or workers < 1:
        raise ValueError("batch_size and workers must be at least 1")
    step = batch_for(network, batch_size)
    batches = [slice(start, start + step) for start in range(0, len(images), step)]
    workers = min(workers, len(batches))
    run = _in_turn if workers < 2 else _in_processes if _forks() else _in_threads
    with np.errstate(all="ignore"):  # an overflow is checked below, once
        probabilities = run(network, images, batches, workers, progress or (lambda done, total: None))
    if not np.isfinite(probabilities).all():
        raise InputError(N_("the forward pass overflowed: its probabilities are not finite numbers; the network's "
                            "weights are too large for {dtype}"),
                         dtype=network.dtype)  # fmt: skip
    return np.argmax(probabilities, axis=1), probabilities


def _classify(network: Network, images: np.ndarray, batch: slice, out: np.ndarray) -> int:
    """One batch's probabilities written into ``out``; returns how many images it had."""
    inputs = images_to_inputs(images[batch], network.dtype)
    out[batch] = network.forward(inputs)
    return len(inputs)


def _in_turn(network, images, batches, workers, progress) -> np.ndarray:
    out, done = np.empty((len(images), network.architecture.classes), dtype=network.dtype), 0
    for batch in batches:
        done += _classify(network, images, batch, out)
        progress(done, len(images))
    return out


def _in_processes(network, images, batches, workers, progress) -> np.ndarray:
    """The batches shared out between this process and ``workers - 1`` forked copies of it. Each takes the number
    of its next group of batches from a pipe (a copy on a busier core takes fewer), writes the probabilities into
    memory shared with the others and marks the group done there. Groups left undone by a copy that failed or was
    killed are run here at the end; on Ctrl-C (or an error here) the copies are stopped."""
    import mmap
    import signal

    groups = np.array_split(np.arange(len(batches)), min(len(batches), 1024))  # 4 KiB of numbers: any pipe holds them
    shape = (len(images), network.architecture.classes)
    size = math.prod(shape) * np.dtype(network.dtype).itemsize
    shared = mmap.mmap(-1, size + len(groups))
    out = np.frombuffer(shared, network.dtype, math.prod(shape)).reshape(shape)
    finished = np.frombuffer(shared, np.bool_, len(groups), offset=size)
    indices = range(len(images))
    counts = np.array([sum(len(indices[batches[b]]) for b in group) for group in groups])  # images in each group

    def run(group: int) -> None:
        for batch in groups[group]:
            _classify(network, images, batches[batch], out)
        finished[group] = True

    def report() -> None:  # one pass over flags that copies set meanwhile: never counts[finished] (it counts first)
        progress(int(counts @ finished), len(images))

    def taken() -> Iterator[int]:  # the groups this process takes from the pipe, until it is empty
        while number := os.read(numbers, 4):
            yield int.from_bytes(number, sys.byteorder)

    copies, parent, numbers = [], os.getpid(), -1
    caller = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # the caller's mask, unchanged
    try:
        # No signal handler runs from here until the copies are forked and noted: an exception it raised (Ctrl-C, a
        # timeout's SIGALRM) would lose the pipe or a copy's pid, or leave the signals blocked. A copy unblocks them
        # once Ctrl-C ends it.
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, _asynchronous_signals())
            numbers, writer = os.pipe()
            os.write(writer, np.arange(len(groups), dtype=np.uint32).tobytes())
            os.close(writer)  # once the numbers are taken, a read gives nothing: the end
            for _ in range(1, workers):
                try:
                    pid = os.fork()
                except OSError:  # no more processes (a limit on them, or on memory): fewer copies
                    break
                if pid == 0:
                    try:
                        _as_copy(parent, caller)
                        for group in taken():
                            run(group)
                    finally:  # out, without the parent's exit handlers and buffered output
                        os._exit(0)
                copies.append(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, caller)
        for group in taken():
            run(group)
            report()
        while copies:
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: the system reaped it already
                os.waitpid(copies[-1], 0)
            copies.pop()
        for group in np.flatnonzero(~finished):  # a copy failed or was killed
            run(group)
        report()
    finally:
        if numbers >= 0:
            os.close(numbers)
        for pid in copies:  # Ctrl-C or an error here; a copy may have ended (and been reaped) meanwhile
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    return out.copy()  # private memory: the shared mapping goes with this call, not shared with later forks


def _asynchronous_signals() -> set:
    """The signals a handler may be run for at any moment (not a fault's, which cannot wait)."""
    import signal

    faults = {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGTRAP, signal.SIGSYS}
    return signal.valid_signals() - faults - {signal.SIGKILL, signal.SIGSTOP}


def _as_copy(parent: int, mask: set) -> None:
    """A forked copy's signals: ended with its parent (however the parent ends: ``kill -TERM`` leaves no copy at work
    holding the caller's pipes), and by Ctrl-C at once, unless the parent ignores it."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before that
        os._exit(1)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _in_threads(network, images, batches, workers, progress) -> np.ndarray:
    """The batches shared out between ``workers`` threads, each through its own layers (they keep state while they
    work), the weights shared."""
    from concurrent.futures import ThreadPoolExecutor

    out = np.empty((len(images), network.architecture.classes), dtype=network.dtype)
    local, lock, done = threading.local(), threading.Lock(), [0]

    def work(batch: slice) -> None:
        if not hasattr(local, "network"):
            local.network = Network(network.architecture, network.params, network.dtype)
        count = _classify(local.network, images, batch, out)
        with lock:
            done[0] += count
            progress(done[0], len(images))

    pool = ThreadPoolExecutor(workers)
    try:
        list(pool.map(work, batches))
    finally:  # on Ctrl-C or an error: the batches not started yet are dropped
        pool.shutdown(cancel_futures=True)
    return out


# --- evaluation ------------------------------------------------------------------------------------------------


class ClassReport(NamedTuple):
    digit: int
    support: int  #: images of this digit
    correct: int  #: of those, classified as this digit
    precision: float  #: of the images classified as this digit, the fraction that are
    recall: float  #: of the images of this digit, the fraction found
    f1: float

    def to_dict(self) -> dict[str, float | int]:
        return self._asdict()


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """``classes``×``classes`` counts: row = true digit, column = predicted digit."""
    pairs = labels.astype(np.int64) * classes + predictions.astype(np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def per_class(confusion: np.ndarray) -> list[ClassReport]:
    """Precision, recall and F1 of every class, from a confusion matrix (0 where undefined)."""
    reports = []
    for digit in range(len(confusion)):
        correct = int(confusion[digit, digit])
        support, predicted = int(confusion[digit].sum()), int(confusion[:, digit].sum())
        precision = correct / predicted if predicted else 0.0
        recall = correct / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reports.append(ClassReport(digit, support, correct, precision, recall, f1))
    return reports


class Evaluation:
    """A network run over a split: its predictions, where they came from, and what they add up to.

    ``seconds`` is the forward pass alone (data and weights loaded); ``known`` is the book's file the weights are,
    when they are one (for "the book reports …").
    """

    def __init__(
        self,
        weights: Path,
        dataset: Dataset,
        predictions,
        probabilities,
        seconds: float,
        batch_size: int,
        labels: np.ndarray,
        known: KnownFile | None = None,
        architecture: str = "",
    ) -> None:
        self.weights, self.split, self.labels = weights, dataset.split, labels
        self.predictions, self.probabilities = predictions, probabilities
        self.seconds, self.batch_size, self.known, self.architecture = seconds, batch_size, known, architecture
        self.data, self.first = (dataset.images_path, dataset.labels_path), dataset.first

    def __repr__(self) -> str:
        return f"Evaluation({str(self.weights)!r}, {self.split!r}, {self.correct}/{self.total} correct)"

    @property
    def total(self) -> int:
        return len(self.labels)

    @property
    def correct(self) -> int:
        return int(np.count_nonzero(self.predictions == self.labels))

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def images_per_second(self) -> float:
        return self.total / max(self.seconds, 1e-9)

    @cached_property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.labels, self.predictions)

    @cached_property
    def per_class(self) -> list[ClassReport]:
        return per_class(self.confusion)

    @property
    def reproduces(self) -> bool | None:
        """Whether the book's figure for these weights is reproduced (None: not the book's file on its test set)."""
        if self.known is None or self.split != "test" or self.total != 10_000:
            return None
        return self.correct == self.known.test_correct

    def mistakes(self, limit: int | None = None) -> np.ndarray:
        """Positions of the misclassified images (add :attr:`first` for their indices in the split), the most
        confident mistakes first."""
        wrong = np.flatnonzero(self.predictions != self.labels)
        confidence = self.probabilities[wrong, self.predictions[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")][:limit]

    def to_dict(self) -> dict[str, object]:
        """The JSON report of ``mnist-infer evaluate``."""
        return {
            "weights": str(self.weights),
            "architecture": self.architecture,
            "split": self.split,
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "images_per_second": self.images_per_second,
            "per_class": [report.to_dict() for report in self.per_class],
            "confusion": self.confusion.tolist(),
            "data": {"images": str(self.data[0]), "labels": str(self.data[1]), "packaged": is_packaged(self.data[0])},
        }


def trained_elsewhere(metadata: dict, dataset: Dataset) -> str | None:
    """The data set that trained weights name (in their metadata) when ``dataset``'s split is not the one they
    recorded: evaluating them there measures them on data they were not made for."""
    training = metadata.get("training")
    recorded = training.get("fingerprints") if isinstance(training, dict) else None
    expected = recorded.get(dataset.split) if isinstance(recorded, dict) else None
    if not isinstance(expected, str) or expected == dataset.fingerprint():
        return None
    return str(training.get("data_set") or "?")


def evaluate(
    network: Network,
    dataset: Dataset,
    *,
    weights: Path = Path(""),
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    known: KnownFile | None = None,
    workers: int = 1,
) -> Evaluation:
    """Classify the first ``limit`` images of ``dataset`` (all by default): see :func:`classify_images`."""
    count = len(dataset) if limit is None else min(limit, len(dataset))
    start = time.perf_counter()
    predictions, probabilities = classify_images(network, dataset.images[:count], batch_size, progress, workers)
    seconds = time.perf_counter() - start
    return Evaluation(
        weights,
        dataset,
        predictions,
        probabilities,
        seconds,
        batch_for(network, batch_size),
        dataset.labels[:count],
        known,
        network.architecture.summary(),
    )


class Comparison:
    """Several networks evaluated on the same images."""

    def __init__(self, evaluations: list[Evaluation]) -> None:
        self.evaluations = evaluations

    @cached_property
    def disagreements(self) -> np.ndarray:
        """For each evaluation, on how many images its prediction differs from at least one other's."""
        predictions = np.stack([e.predictions for e in self.evaluations])
        return np.array([int(np.count_nonzero((predictions != row).any(axis=0))) for row in predictions])

    def pairwise(self) -> np.ndarray:
        """On how many images each two of them disagree."""
        predictions = np.stack([e.predictions for e in self.evaluations])
        return (predictions[:, None, :] != predictions[None, :, :]).sum(axis=2)

    def to_dict(self) -> list[dict[str, object]]:
        return [
            {**e.to_dict(), "disagreements": int(n)} for e, n in zip(self.evaluations, self.disagreements, strict=True)
        ]


class Reliability(NamedTuple):
    """How sure networks should be (``evaluate --reject P``): what each answers when it may abstain below a confidence
    (its largest probability), at P and over P (the curve), and its reliability diagram: accuracy per tenth of
    confidence (a network as sure as it is right follows the diagonal)."""

    evaluations: list[Evaluation]
    threshold: float

    def to_dict(self) -> dict[str, object] | list[dict[str, object]]:
        reports = self.reports()
        return reports[0] if len(reports) == 1 else reports

    def reports(self) -> list[dict[str, object]]:
        thresholds = sorted({*np.round(np.arange(0, 1, 0.01), 2).tolist(), 0.995, 0.999, self.threshold})
        reports = []
        for e in self.evaluations:
            confidence, right = e.probabilities.max(axis=1), e.predictions == e.labels
            curve = [{"threshold": p, "answered": int(a.sum()), "coverage": float(a.mean()),
                      "accuracy": float(right[a].mean()) if a.any() else None}
                     for p, a in ((p, confidence >= p) for p in thresholds)]  # fmt: skip
            tenth = np.minimum((confidence * 10).astype(int), 9)
            bins = [{"low": b / 10, "high": (b + 1) / 10, "count": int(np.sum(tenth == b)),
                     "confidence": float(confidence[tenth == b].mean()), "accuracy": float(right[tenth == b].mean())}
                    for b in range(10) if np.any(tenth == b)]  # fmt: skip
            at = next(point for point in curve if point["threshold"] == self.threshold)
            reports.append({"weights": str(e.weights), "architecture": e.architecture, "total": e.total, **at,
                            "curve": curve, "reliability": bins})  # fmt: skip
        return reports


def robustness(
    network: Network, images: np.ndarray, labels: np.ndarray, seed: int = 0, progress=None, workers: int = 1
) -> np.ndarray:
    """Accuracy on the uint8 ``images`` as they are, then as each of :data:`.data.augment.CHANGES` changes them (and
    stores them as uint8 again, as MNIST stores digits). Seeded: the same digits change the same way for every
    network; a thousand images at a time, so that memory stays bounded."""
    from .data.augment import CHANGES, PERTURBATIONS  # not for one digit (predict)

    correct, step = np.zeros(len(CHANGES), dtype=np.int64), 1000
    for start in range(0, len(images), step):
        pixels = np.asarray(images[start : start + step], dtype=np.float32) / np.float32(255)
        for i, (name, strength) in enumerate(CHANGES):
            rng = np.random.default_rng([seed, start, i])
            changed = PERTURBATIONS[name][1](pixels, strength, rng) if strength else pixels
            batch = np.rint(np.clip(changed, 0, 1) * 255).astype(np.uint8)
            predictions = classify_images(network, batch, workers=workers)[0]
            correct[i] += np.count_nonzero(predictions == labels[start : start + step])
            if progress is not None:
                progress(start * len(CHANGES) + (i + 1) * len(batch), len(images) * len(CHANGES))
    return correct / max(len(images), 1)


class Robustness(NamedTuple):
    """``evaluate --robustness``: networks' accuracies (a row of :func:`robustness` each) on the same changed digits."""

    weights: list[Path]
    architectures: list[str]
    total: int
    seed: int
    accuracy: Sequence[np.ndarray]  #: a row per network, a value per change

    def to_dict(self) -> dict[str, object]:
        from .data.augment import CHANGES

        accuracy = np.asarray(self.accuracy)
        networks = [
            {"weights": str(w), "architecture": a} for w, a in zip(self.weights, self.architectures, strict=True)
        ]
        changes = [{"change": name, "strength": strength, "accuracy": accuracy[:, i].tolist()}
                   for i, (name, strength) in enumerate(CHANGES)]  # fmt: skip
        return {"images": self.total, "seed": self.seed, "networks": networks, "changes": changes}


# --- single digits and pictures ----------------------------------------------------------------------------------


class Prediction(NamedTuple):
    source: str  #: "test[0]", or the path of an image file
    index: int | None  #: position in the split, None for image files
    label: int | None  #: the true digit when known
    prediction: int
    probabilities: np.ndarray  #: ten class probabilities
    image: np.ndarray  #: the 28×28 uint8 picture the network saw
    preview: np.ndarray | None = None  #: an image file as the user sees it, small (None for dataset images)
    threshold: float = NOT_SURE_BELOW  #: below this probability the answer is "not sure"

    @property
    def sure(self) -> bool:
        """Whether the network's largest probability reaches the threshold (softmax is not certainty: 3.5.3)."""
        return float(self.probabilities[self.prediction]) >= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "index": self.index,
            "label": self.label,
            "prediction": self.prediction,
            "sure": self.sure,
            "probabilities": [float(p) for p in self.probabilities],
        }


class Failure(NamedTuple):
    """A picture that could not be read (or holds no digit), and why."""

    source: str
    error: ImageError

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "error": str(self.error).removeprefix(f"{self.source}: ")}


class Predictions(NamedTuple):
    """What ``predict`` answers: a prediction (or a failure) per image, and where the network and data came from."""

    items: list[Prediction | Failure]
    weights: Path
    data: Path | None = None  #: the images file, when MNIST digits were asked for

    def to_dict(self) -> dict[str, object]:
        return {"predictions": [item.to_dict() for item in self.items]}

    @property
    def failures(self) -> list[Failure]:
        return [item for item in self.items if isinstance(item, Failure)]


def predict_indices(
    network: Network, dataset: Dataset, indices: Sequence[int], threshold: float = NOT_SURE_BELOW
) -> list[Prediction]:
    """Predictions for the images at ``indices`` of ``dataset`` (in one batch)."""
    chosen = [dataset.check_index(i) for i in indices]
    images = np.asarray(dataset.images[chosen])
    classes, probabilities = classify_images(network, images)
    return [
        Prediction(f"{dataset.split}[{i}]", i, int(dataset.labels[i]), int(c), p, image, threshold=threshold)
        for i, c, p, image in zip(chosen, classes, probabilities, images, strict=True)
    ]


def predict_files(
    network: Network, paths: Sequence[Path], threshold: float = NOT_SURE_BELOW
) -> list[Prediction | Failure]:
    """Predictions for picture files, each prepared the way MNIST was made. Like ``cp`` or ``grep`` with several
    files, one picture that cannot be read does not stop the others: it becomes a :class:`Failure` in its place."""
    from .data.pictures import prepare_image

    prepared: list = []
    for path in paths:
        try:
            prepared.append(prepare_image(path))
        except ImageError as exc:  # kept without its traceback, which holds the decoder's frames and their pixels
            exc.__traceback__ = exc.__context__ = None
            prepared.append(Failure(str(path), exc))
    readable = [item for item in prepared if not isinstance(item, Failure)]
    if not readable:
        return prepared
    classes, probabilities = classify_images(network, np.stack([item.pixels for item in readable]))
    answers = iter(
        Prediction(str(item.path), None, None, int(c), p, item.pixels, item.preview, threshold)
        for item, c, p in zip(readable, classes, probabilities, strict=True)
    )
    return [item if isinstance(item, Failure) else next(answers) for item in prepared]


class ToyPass(NamedTuple):
    """The toy 2-3-2-2 network's forward pass (3.4.3), step by step: ``x a1 z1 a2 z2 a3``, its output ``y`` (the
    identity of ``a3``) and ``softmax`` (3.5)."""

    values: dict[str, np.ndarray]

    def to_dict(self) -> dict[str, list[float]]:
        return {key: [float(v) for v in value] for key, value in self.values.items()}


def toy(x: Sequence[float] | None = None) -> ToyPass:
    """The toy network on ``x`` (by default the book's [1.0, 0.5]); non-finite inputs or outputs are an error."""
    from .weights import toy_network

    network, default = toy_network()
    inputs = default if x is None else np.array(x, dtype=np.float64)
    if not np.isfinite(inputs).all():
        raise InputError(N_("--x {x}: expected two finite numbers"), x=" ".join(map(str, inputs)))
    trace: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # an overflow is reported below, as one error
        probabilities = network.forward(inputs, trace)
    values = {"x": inputs, **trace, "y": trace["a3"], "softmax": probabilities}
    if not all(np.isfinite(value).all() for value in values.values()):
        raise InputError(N_("--x {x}: the forward pass overflows (float64); give smaller numbers"),
                         x=" ".join(map(str, inputs)))  # fmt: skip
    return ToyPass(values)


# --- looking inside: a digit layer by layer, what the first layer looks for, which pixels decided -----------------


class Explanation(NamedTuple):
    """One digit's forward pass, as ``toy`` shows the toy network's: each step's name, its formula in the book's
    notation and its values for this digit (feature maps as ``(channels, height, width)``), ending in ``y``."""

    source: str
    label: int | None
    image: np.ndarray  #: the 28×28 uint8 picture the network saw
    architecture: str
    steps: list[tuple[str, str, np.ndarray]]

    @property
    def probabilities(self) -> np.ndarray:
        return self.steps[-1][2]

    def to_dict(self) -> dict[str, object]:
        steps = [{"name": n, "formula": f, "shape": list(v.shape), "values": v.tolist()} for n, f, v in self.steps]
        top = int(np.argmax(self.probabilities))
        return {"source": self.source, "label": self.label, "architecture": self.architecture, "prediction": top,
                "steps": steps}  # fmt: skip


def _formula(spec: dict, name: str, before: str, params: dict) -> str:
    """How a step is computed, as the book writes it: ``a1 = x·W1 + b1``, ``z1 = sigmoid(a1)``, ``d7 = 0.5·z7``."""
    kind, k = spec["type"], name[1:]
    shape = "×".join(map(str, next(iter(params.values()), ())))
    return {
        "affine": f"{name} = {before}·W{k} + b{k}  (W{k}: {shape})",
        "conv": f"{name} = {before} ⊛ W{k} + b{k}  (W{k}: {shape}, pad {spec.get('pad')})",
        "pool": f"{name} = max {spec.get('size')}×{spec.get('size')} ({before})",
        "flatten": f"{name} = flatten({before})",
        "batchnorm": f"{name} = gamma{k}·({before} - μ{k})/σ{k} + beta{k}",
        "dropout": f"{name} = {1 - spec.get('ratio', 0):g}·{before}",
    }.get(kind, f"{name} = {kind}({before})")


def explain(network: Network, pixels: np.ndarray, source: str = "", label: int | None = None) -> Explanation:
    """The forward pass of one 28×28 uint8 digit, layer by layer, for any architecture (``explain`` and the page)."""
    x = images_to_inputs(pixels[np.newaxis], network.dtype)
    trace: dict[str, np.ndarray] = {}
    probabilities = network.forward(x, trace)[0]
    steps, before = [("x", N_("x = pixels / 255"), x[0].reshape(network.architecture.input_shape))], "x"
    for step in network.steps:
        steps.append((step.name, _formula(step.spec, step.name, before, step.params), trace[step.name][0]))
        before = step.name
    steps.append(("y", f"y = softmax({before})", probabilities))
    return Explanation(source, label, pixels, network.architecture.summary(), steps)


def saliency(network: Network, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels decided, for inputs ``(N, 784)`` in [0, 1]: input × the gradient of the top class's score minus
    the runner-up's ("why 6 and not 5"), ``(N, 28, 28)``, positive where ink argued for the top class; and the two
    classes ``(N, 2)``. The gradient is at test time (dropout scales, batch normalisation uses its statistics)."""
    scores = network.scores(inputs, mode="test")
    classes, rows = np.argsort(-scores, axis=1)[:, :2], np.arange(len(scores))
    dout = np.zeros_like(scores)
    dout[rows, classes[:, 0]], dout[rows, classes[:, 1]] = 1, -1
    gradient = network.input_gradient(dout).reshape(len(scores), -1)
    for layer in network.layers:
        layer.forget()
    return (gradient * inputs.reshape(len(scores), -1)).reshape(-1, 28, 28), classes


class Saliency(NamedTuple):
    """``explain --why``: one digit, its probabilities, the top two classes and the saliency map between them."""

    source: str
    label: int | None
    image: np.ndarray
    probabilities: np.ndarray
    classes: tuple[int, int]
    map: np.ndarray  #: 28×28, positive where ink argued for ``classes[0]``, negative for ``classes[1]``

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "label": self.label, "prediction": self.classes[0], "versus": self.classes[1],
                "probabilities": self.probabilities.tolist(), "saliency": self.map.tolist()}  # fmt: skip


def why(network: Network, pixels: np.ndarray, source: str = "", label: int | None = None) -> Saliency:
    """Why the network read this 28×28 uint8 digit as it did: see :func:`saliency`."""
    x = images_to_inputs(pixels[np.newaxis], network.dtype)
    maps, classes = saliency(network, x)
    return Saliency(source, label, pixels, network.forward(x)[0], tuple(map(int, classes[0])), maps[0])


def deletion_test(network: Network, images: np.ndarray, count: int = 50, seed: int = 0) -> np.ndarray:
    """Whether the saliency map is faithful: how far the predicted class's probability falls when the ``count``
    pixels it ranks highest are zeroed, and when ``count`` ink pixels chosen at random are (``(2, N)``); the first
    should fall further for most digits (issue 24 asks 80 of 100)."""
    x = images_to_inputs(images, network.dtype)
    maps, classes = saliency(network, x)
    rows, top = np.arange(len(x))[:, None], classes[:, :1]
    random = np.where(x > 0, np.random.default_rng(seed).random(x.shape), 2)  # ink first, in a random order
    before = np.take_along_axis(network.forward(x), top, axis=1)
    drops = []
    for ranks in (-maps.reshape(len(x), -1), random):
        deleted = x.copy()
        deleted[rows, np.argsort(ranks, axis=1)[:, :count]] = 0
        drops.append((before - np.take_along_axis(network.forward(deleted), top, axis=1))[:, 0])
    return np.array(drops)


class Templates(NamedTuple):
    """What each unit of the first layer looks for: the columns of ``W1`` as 28×28 pictures, or a CNN's first
    filters (as ch07's visualize_filter.py draws them)."""

    weights: Path
    architecture: str
    templates: np.ndarray  #: (units, height, width)

    def to_dict(self) -> dict[str, object]:
        return {"weights": str(self.weights), "architecture": self.architecture, "layer": "W1",
                "templates": self.templates.tolist()}  # fmt: skip


def templates(network: Network, weights: Path = Path("")) -> Templates:
    W = network.first_weights
    pictures = W[:, 0] if W.ndim == 4 else W.T.reshape(len(W.T), 28, 28)
    return Templates(weights, network.architecture.summary(), pictures)
