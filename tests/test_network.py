"""The forward pass: the book's toy values, numerical stability, batching."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mnist_infer.classify import classify_images, images_to_inputs
from mnist_infer.layers import sigmoid, softmax
from mnist_infer.network import Network
from mnist_infer.weights import toy_network


def test_toy_network_reproduces_the_book() -> None:
    network, x = toy_network()
    values: dict[str, np.ndarray] = {}
    y = network.forward(x, values)
    np.testing.assert_allclose(values["a1"], [0.3, 0.7, 1.1], rtol=1e-12)
    np.testing.assert_allclose(values["z1"], [0.57444252, 0.66818777, 0.75026011], atol=1e-8)
    np.testing.assert_allclose(values["a3"], [0.31682708, 0.69627909], atol=1e-8)
    np.testing.assert_allclose(y, [0.40625907, 0.59374093], atol=1e-8)


def test_sigmoid_matches_the_textbook_formula() -> None:
    x = np.linspace(-30, 30, 1001)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-15)


def test_no_overflow_warnings_for_huge_inputs() -> None:
    x = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(x)
        p = softmax(x)
    np.testing.assert_allclose(s, [[0, 0, 0.5, 1, 1]])
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p, [[0, 0, 0, 0, 1]])


def random_network(seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    shapes = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    return Network({k: rng.standard_normal(s) for k, s in shapes.items()})


def test_forward_is_float32_and_batch_independent() -> None:
    network = random_network()
    x = np.random.default_rng(1).random((37, 784), dtype=np.float32)
    batched = network.forward(x)
    assert batched.dtype == np.float32 and batched.shape == (37, 10)
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, rtol=1e-5)
    one_by_one = np.vstack([network.forward(row[None, :]) for row in x])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-7)


def test_forward_is_the_books_formulas() -> None:
    """The forward pass against the chapter's formulas written out in float64."""
    network = random_network()
    x = np.random.default_rng(2).random((5, 784), dtype=np.float32)
    p = {k: v.astype(np.float64) for k, v in network.params.items()}
    z1 = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
    z2 = 1 / (1 + np.exp(-(z1 @ p["W2"] + p["b2"])))
    a3 = z2 @ p["W3"] + p["b3"]
    expected = np.exp(a3) / np.exp(a3).sum(axis=1, keepdims=True)
    trace: dict[str, np.ndarray] = {}
    np.testing.assert_allclose(network.forward(x, trace), expected, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(trace["z2"], z2, rtol=1e-4, atol=1e-6)
    assert list(trace) == ["a1", "z1", "a2", "z2", "a3"]


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
def test_classify_images_is_independent_of_batch_size(batch_size: int) -> None:
    network = random_network()
    images = np.random.default_rng(3).integers(0, 256, (17, 28, 28), dtype=np.uint8)
    classes, probabilities = classify_images(network, images, batch_size=batch_size)
    reference = network.forward(images_to_inputs(images))
    np.testing.assert_allclose(probabilities, reference, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(classes, reference.argmax(axis=1))


@pytest.mark.parametrize(("count", "workers", "batch_size"), [(17, 2, 5), (1000, 2, 2000), (1000, 3, 100), (5, 4, 2)])
def test_workers_give_the_same_answers_as_one(count: int, workers: int, batch_size: int) -> None:
    network = random_network()
    images = np.random.default_rng(5).integers(0, 256, (count, 28, 28), dtype=np.uint8)
    seen: list[tuple[int, int]] = []
    classes, probabilities = classify_images(
        network, images, batch_size=batch_size, workers=workers, progress=lambda done, total: seen.append((done, total))
    )
    one_classes, one_probabilities = classify_images(network, images, batch_size=batch_size)
    np.testing.assert_allclose(probabilities, one_probabilities, rtol=1e-4, atol=1e-7)  # float32 rounding
    np.testing.assert_array_equal(classes, one_classes)
    dones = [done for done, _ in seen]
    assert dones == sorted(dones) and dones[-1] == count and {total for _, total in seen} == {count}


@pytest.mark.parametrize(("workers", "batch_size"), [(1, 400), (2, 400), (3, 5000), (2, 100)])
def test_no_worker_takes_more_than_the_batch_size(
    workers: int, batch_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnist_infer.network import Network

    sizes: list[int] = []
    original = Network.forward

    def forward(self, x):
        sizes.append(len(x))  # list.append is atomic: the workers may all call it
        return original(self, x)

    monkeypatch.setattr(Network, "forward", forward)
    classify_images(random_network(), np.zeros((3000, 28, 28), np.uint8), batch_size=batch_size, workers=workers)
    assert max(sizes) <= batch_size and sum(sizes) == 3000
    if workers > 1:
        assert len(sizes) >= workers  # each worker had work


def test_when_no_thread_can_be_started_the_caller_does_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    def refused(self) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    network = random_network()
    images = np.random.default_rng(7).integers(0, 256, (2000, 28, 28), dtype=np.uint8)
    classes, _ = classify_images(network, images, workers=4)
    np.testing.assert_array_equal(classes, classify_images(network, images)[0])


def test_a_failing_worker_stops_the_others_and_its_error_reaches_the_caller() -> None:
    network = random_network()
    images = np.zeros((5000, 28, 28), np.uint8)
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        classify_images(network, images, batch_size=256, workers=2, progress=progress)
    assert len(calls) < 5000 // 256  # the others stopped taking work


def test_ctrl_c_while_waiting_for_the_workers_stops_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    started: list[threading.Thread] = []
    original_start, original_join = threading.Thread.start, threading.Thread.join
    interrupted = []

    def start(self) -> None:
        started.append(self)
        original_start(self)

    def join(self, timeout=None) -> None:
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt  # as Ctrl-C would, in the caller's thread
        original_join(self, timeout)

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(threading.Thread, "join", join)
    with pytest.raises(KeyboardInterrupt):
        classify_images(random_network(), np.zeros((20_000, 28, 28), np.uint8), batch_size=256, workers=3)
    assert started and not any(thread.is_alive() for thread in started)  # none left running


def test_a_replica_shares_the_weights_and_keeps_its_own_layers() -> None:
    network = random_network()
    replica = network.replica()
    assert all(np.shares_memory(replica.params[name], network.params[name]) for name in network.params)
    assert all(a is not b for a, b in zip(replica.layers, network.layers, strict=True))
    x = images_to_inputs(np.random.default_rng(6).integers(0, 256, (4, 28, 28), dtype=np.uint8))
    np.testing.assert_array_equal(replica.forward(x), network.forward(x))


def test_images_to_inputs_normalises_like_the_book() -> None:
    images = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    x = images_to_inputs(images)
    assert x.dtype == np.float32 and x.shape == (1, 4)
    np.testing.assert_array_equal(x, images.reshape(1, 4).astype(np.float32) / np.float32(255.0))


def test_integer_pixels_are_refused_not_silently_wrong() -> None:
    from mnist_infer.errors import InputError

    network = random_network()
    pixels = np.random.default_rng(4).integers(0, 256, (3, 784), dtype=np.uint8)
    with pytest.raises(InputError, match="images_to_inputs"):
        network.forward(pixels)
    with pytest.raises(InputError, match=r"expected \(N, 784\)"):
        network.predict(np.zeros((2, 100), np.float32))
    np.testing.assert_array_equal(network.predict(images_to_inputs(pixels)), classify_images(network, pixels)[0])
