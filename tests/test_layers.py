"""Chapter 5's layers and backpropagation: the gradient check, the loss, and the forward pass they share."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_infer import gradient_check as gc
from mnist_infer.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss, softmax
from mnist_infer.network import Network
from mnist_infer.training import init_params


@pytest.fixture(scope="module")
def checks() -> list[gc.Check]:
    return gc.gradient_check()


def test_backpropagation_matches_the_numerical_gradient_everywhere(checks: list[gc.Check]) -> None:
    names = " ".join(check.name for check in checks)
    for part in ("Affine dx", "Affine dW", "Affine db", "Sigmoid dx", "Relu dx", "SoftmaxWithLoss dx"):
        assert part in names
    for activation in ("sigmoid", "relu"):
        for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
            assert f"{activation}: d{key}" in names
            assert f"{activation}, decay 0.1: d{key}" in names
    worst = max(check.error for check in checks)
    assert worst < 1e-6, [check for check in checks if not check.passed]
    assert all(check.passed for check in checks)


def test_the_gradient_check_catches_a_wrong_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that cannot fail proves nothing: drop the (1 - y) factor of sigmoid's derivative."""
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * self.out)
    failed = {check.name for check in gc.gradient_check() if not check.passed}
    assert "Sigmoid dx" in failed
    assert any(name.startswith("net 12-7-6-10 sigmoid") for name in failed)
    assert not any("relu" in name or "Relu" in name for name in failed)


def test_the_gradient_check_catches_a_missing_weight_decay_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    real_backward = Network.backward
    monkeypatch.setattr(Network, "backward", lambda self, weight_decay=0.0: real_backward(self, 0.0))
    failed = {check.name for check in gc.gradient_check() if not check.passed}
    assert failed and all("decay 0.1" in name and ": dW" in name for name in failed)


def test_numerical_gradient_is_the_books() -> None:
    """Chapter 4's example: the gradient of x0² + x1² at (3, 4) is (6, 8)."""
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(gc.numerical_gradient(lambda: float(np.sum(x**2)), x), [6.0, 8.0], rtol=1e-9)
    np.testing.assert_array_equal(x, [3.0, 4.0])  # restored


def test_softmax_with_loss_is_cross_entropy_and_its_gradient() -> None:
    rng = np.random.default_rng(0)
    scores, labels = rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
    layer = SoftmaxWithLoss()
    loss = layer.forward(scores, labels)
    y = softmax(scores)
    assert loss == pytest.approx(-np.mean(np.log(y[np.arange(6), labels])), rel=1e-12)
    one_hot = np.eye(10)[labels]
    np.testing.assert_allclose(layer.backward(), (y - one_hot) / 6, atol=1e-15)
    assert SoftmaxWithLoss().forward(scores, one_hot) == pytest.approx(loss, rel=1e-15)  # one-hot labels too


def test_loss_is_finite_where_softmax_underflows() -> None:
    """The book's log(y + 1e-7) caps the loss at 16; computed from the scores, it stays exact and finite."""
    layer = SoftmaxWithLoss()
    loss = layer.forward(np.array([[1000.0, 0.0], [0.0, 1000.0]], dtype=np.float32), np.array([1, 1]))
    assert loss == pytest.approx(500.0)
    assert np.isfinite(layer.backward()).all()


def test_layers_keep_what_backward_needs_and_activations_work_in_place() -> None:
    x = np.array([[-1.0, 2.0]])
    relu = Relu()
    out = relu.forward(x)
    assert out is x and relu.out is x  # in place, as the forward pass has always done
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 7.0]])), [[0.0, 7.0]])
    affine = Affine(np.eye(2), np.zeros(2))
    affine.forward(x)
    assert affine.backward(np.ones((1, 2)), input_gradient=False) is None and affine.dW is not None


def test_forward_is_softmax_of_the_scores_and_unchanged_by_training() -> None:
    rng = np.random.default_rng(1)
    network = Network(init_params((784, 50, 100, 10), "xavier", rng), activation="relu")
    x = rng.random((8, 784), dtype=np.float32)
    before = network.forward(x)
    np.testing.assert_array_equal(before, softmax(network.scores(x)))
    network.gradient(x, np.arange(8))  # backward leaves the weights alone: only an optimiser changes them
    np.testing.assert_array_equal(network.forward(x), before)  # and inference keeps no batch alive after it:
    assert all(getattr(layer, "x", None) is None and getattr(layer, "out", None) is None for layer in network.layers)
    trace: dict[str, np.ndarray] = {}
    network.forward(x, trace)
    assert list(trace) == ["a1", "z1", "a2", "z2", "a3"] and (trace["z1"] >= 0).all()
