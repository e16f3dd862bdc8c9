"""Many images through the network: uint8 pixels as its inputs (÷ 255, as the book does), batch by batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .catalog import DEFAULT_BATCH_SIZE
from .errors import InputError

if TYPE_CHECKING:
    from .network import Network


def images_to_inputs(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` → rows of ``dtype`` in [0, 1], exactly as the book normalises them (÷ 255)."""
    flat = np.asarray(images).reshape(len(images), -1)
    return np.divide(flat, np.dtype(dtype).type(255.0), dtype=dtype)  # one pass: convert and scale together


#: With several workers, the images are shared out in chunks: a few per worker, so that a worker slowed by
#: another program does not hold up the end; none smaller than MIN_CHUNK (threads would cost more than they
#: save) unless the batch size is.
CHUNKS_PER_WORKER = 3
MIN_CHUNK = 256


def classify_images(
    network: Network,
    images: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and probabilities for uint8 images, at most ``batch_size`` images at a time.

    Only one batch per worker is ever held as floats, so memory is bounded by ``batch_size``, not by the data
    set. ``workers`` threads classify chunks side by side, each through its own copy of the layers (the weights
    are shared); numpy lets go of the GIL in the products and activations, so they run in parallel. That pays
    with single-threaded BLAS (``OPENBLAS_NUM_THREADS=1``, as the command line sets it): BLAS's own threads
    wait for each other, while a worker never waits for another. ``progress(done, total)`` is called after each
    chunk. Probabilities that are not finite (weights so large that the forward pass overflows) are an
    :class:`InputError`, never a silent accuracy or numpy's warnings.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    count = len(images)
    probabilities = np.empty((count, network.sizes[-1]), dtype=network.dtype)
    chunk = batch_size
    if workers > 1:
        chunk = min(batch_size, max(MIN_CHUNK, -(-count // (workers * CHUNKS_PER_WORKER))))
        workers = max(1, min(workers, -(-count // chunk)))
    starts = iter(range(0, count, chunk))
    taking, reporting = threading.Lock(), threading.Lock()
    done = 0
    failures: list[BaseException] = []

    def work(network: Network) -> None:
        nonlocal done
        try:
            with np.errstate(all="ignore"):  # an overflow is checked below, once
                while not failures:
                    with taking:
                        start = next(starts, None)
                    if start is None:
                        return
                    batch = images_to_inputs(images[start : start + chunk], network.dtype)
                    probabilities[start : start + len(batch)] = network.forward(batch)
                    if progress is not None:
                        with reporting:  # one thread at a time, in order
                            done += len(batch)
                            progress(done, count)
        except BaseException as exc:  # raised again in the caller's thread; the other workers stop
            failures.append(exc)

    helpers: list[threading.Thread] = []
    for _ in range(workers - 1):
        thread = threading.Thread(target=work, args=(network.replica(),), daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no more threads allowed (ulimit -u, a full pids cgroup): fewer workers do it all
            break
        helpers.append(thread)
    try:
        work(network)
        for thread in helpers:
            thread.join()
    except BaseException as exc:  # Ctrl-C while waiting for the others: they stop after their chunk
        failures.append(exc)
        for thread in helpers:
            thread.join()
    if failures:
        raise failures[0]
    if not np.isfinite(probabilities).all():
        raise InputError(
            "the forward pass overflowed: its probabilities are not finite numbers; the network's weights are too "
            f"large for {network.dtype}"
        )
    return np.argmax(probabilities, axis=1), probabilities
