"""The network and its layers (chapters 3–8): the book's formulas, backpropagation against the numerical gradient for
every layer, architectures of any depth, and what a network refuses."""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from mnist_infer import inference
from mnist_infer.catalog import BLAS_THREADS
from mnist_infer.data.mnist import images_to_inputs
from mnist_infer.errors import InputError
from mnist_infer.inference import classify_images
from mnist_infer.model import layers
from mnist_infer.model.layers import (
    Affine,
    Convolution,
    Dropout,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    col2im,
    im2col,
    sigmoid,
    small_product,
    softmax,
)
from mnist_infer.model.network import (
    Architecture,
    ArchitectureError,
    Network,
    deep_convnet,
    from_shapes,
    init_params,
    mlp,
    simple_convnet,
)
from mnist_infer.training import gradcheck as gc
from mnist_infer.weights import toy_network


@pytest.fixture(scope="module")
def checks() -> gc.GradientCheck:
    return gc.gradient_check()


def test_backpropagation_matches_the_numerical_gradient_everywhere(checks: gc.GradientCheck) -> None:
    names = " ".join(check.name for check in checks.checks)
    for part in ("Affine dx", "Affine dW", "Affine db", "Sigmoid dx", "Relu dx", "Tanh dx", "SoftmaxWithLoss dx",
                 "Convolution (stride 2, pad 1) dW", "Pooling dx", "Flatten dx", "Dropout (a fixed mask) dx",
                 "BatchNormalization dgamma", "BatchNormalization (running statistics) dx"):  # fmt: skip
        assert part in names
    for activation in ("sigmoid", "relu", "tanh"):
        for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
            assert f"{activation}: d{key}" in names and f"{activation}, decay 0.1: d{key}" in names
    for key in ("gamma1", "beta2"):
        assert f"batch norm + dropout, decay 0.1: d{key}" in names and f"running statistics: d{key}" in names
    assert "convnet conv-relu-pool-affine, decay 0.1: dW1" in names
    assert checks.worst < 1e-6 and checks.passed, [check for check in checks.checks if not check.passed]


def test_the_gradient_check_catches_a_wrong_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that cannot fail proves nothing: drop the (1 - y) factor of sigmoid's derivative."""
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * self.out)
    failed = {check.name for check in gc.gradient_check().checks if not check.passed}
    assert "Sigmoid dx" in failed and any(name.startswith("net 12-7-6-10 sigmoid") for name in failed)
    assert not any("relu" in name or "Relu" in name for name in failed)


@pytest.mark.parametrize("layer", [Convolution, Pooling, Dropout])
def test_the_gradient_check_catches_a_wrong_backward_in_the_new_layers(layer, monkeypatch) -> None:
    original = layer.backward

    def wrong(self, dout, *args, **kwargs):
        dx = original(self, dout, *args, **kwargs)
        return None if dx is None else 1.01 * dx

    monkeypatch.setattr(layer, "backward", wrong)
    failed = {check.name for check in gc.gradient_check().checks if not check.passed}
    assert any(name.startswith(layer.__name__) for name in failed)


def test_the_gradient_check_catches_a_missing_weight_decay_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    real_backward = Network.backward
    monkeypatch.setattr(Network, "backward", lambda self, weight_decay=0.0: real_backward(self, 0.0))
    failed = {check.name for check in gc.gradient_check().checks if not check.passed}
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
    np.testing.assert_allclose(layer.backward(), (y - np.eye(10)[labels]) / 6, atol=1e-15)
    assert SoftmaxWithLoss().forward(scores, np.eye(10)[labels]) == pytest.approx(loss, rel=1e-15)


def test_loss_is_finite_where_softmax_underflows() -> None:
    """The book's log(y + 1e-7) caps the loss at 16; computed from the scores, it stays exact and finite."""
    layer = SoftmaxWithLoss()
    loss = layer.forward(np.array([[1000.0, 0.0], [0.0, 1000.0]], dtype=np.float32), np.array([1, 1]))
    assert loss == pytest.approx(500.0) and np.isfinite(layer.backward()).all()


def test_layers_keep_what_backward_needs_and_activations_work_in_place() -> None:
    x = np.array([[-1.0, 2.0]])
    relu = Relu()
    assert relu.forward(x) is x and relu.out is x
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 7.0]])), [[0.0, 7.0]])
    affine = Affine(np.eye(2), np.zeros(2))
    affine.forward(x)
    assert affine.backward(np.ones((1, 2)), input_gradient=False) is None and affine.grads["W"] is not None


def test_toy_network_reproduces_the_book() -> None:
    network, x = toy_network()
    values: dict[str, np.ndarray] = {}
    y = network.forward(x, values)
    np.testing.assert_allclose(values["a1"], [0.3, 0.7, 1.1], rtol=1e-12)
    np.testing.assert_allclose(values["z1"], [0.57444252, 0.66818777, 0.75026011], atol=1e-8)
    np.testing.assert_allclose(values["a3"], [0.31682708, 0.69627909], atol=1e-8)
    np.testing.assert_allclose(y, [0.40625907, 0.59374093], atol=1e-8)


def test_sigmoid_and_softmax_never_overflow() -> None:
    x = np.linspace(-30, 30, 1001)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-15)
    huge = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(sigmoid(huge.copy()), [[0, 0, 0.5, 1, 1]])
        np.testing.assert_allclose(softmax(huge), [[0, 0, 0, 0, 1]])


def random_network(architecture: Architecture | None = None, seed: int = 0) -> Network:
    architecture = architecture or mlp((50, 100))
    return Network(architecture, init_params(architecture, 1.0, np.random.default_rng(seed)))


def test_forward_is_float32_batch_independent_and_the_books_formulas() -> None:
    network = random_network()
    x = np.random.default_rng(1).random((37, 784), dtype=np.float32)
    batched = network.forward(x)
    assert batched.dtype == np.float32 and batched.shape == (37, 10)
    one_by_one = np.vstack([network.forward(row) for row in x])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-7)
    p = {k: v.astype(np.float64) for k, v in network.params.items()}
    z1 = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
    z2 = 1 / (1 + np.exp(-(z1 @ p["W2"] + p["b2"])))
    a3 = z2 @ p["W3"] + p["b3"]
    trace: dict[str, np.ndarray] = {}
    np.testing.assert_allclose(network.forward(x, trace), softmax(a3), rtol=1e-4, atol=1e-6)
    assert list(trace) == ["a1", "z1", "a2", "z2", "a3"]
    np.testing.assert_allclose(trace["z2"], z2, rtol=1e-4, atol=1e-6)


def test_forward_is_softmax_of_the_scores_and_unchanged_by_training() -> None:
    network = random_network(mlp((50, 100), "relu"))
    x = np.random.default_rng(1).random((8, 784), dtype=np.float32)
    before = network.forward(x)
    np.testing.assert_array_equal(before, softmax(network.scores(x)))
    network.gradient(x, np.arange(8))  # backward leaves the weights alone: only an optimiser changes them
    np.testing.assert_array_equal(network.forward(x), before)  # and inference keeps no batch alive after it
    assert all(getattr(layer, "x", None) is None and getattr(layer, "out", None) is None for layer in network.layers)


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
def test_classify_images_is_independent_of_batch_size(batch_size: int) -> None:
    for network in (random_network(), random_network(simple_convnet(4, 5, 8))):
        images = np.random.default_rng(3).integers(0, 256, (17, 28, 28), dtype=np.uint8)
        classes, probabilities = classify_images(network, images, batch_size=batch_size)
        reference = network.forward(images_to_inputs(images))
        np.testing.assert_allclose(probabilities, reference, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(classes, reference.argmax(axis=1))


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The copies of the process that ``classify_images`` forks, so that a test knows it ran them; BLAS is told to
    run one thread, as the command line tells it (the copies are forked only then)."""
    if not inference.FORKS:
        pytest.skip("worker processes only where the system forks (Linux)")
    for name in BLAS_THREADS:
        monkeypatch.setenv(name, "1")
    made, fork = [], os.fork

    def counted() -> int:
        pid = fork()
        made.extend([pid] if pid else [])
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return made


def slowed_parent(monkeypatch, tmp_path: Path, copy_does=None) -> Path:
    """The parent's batches slowed down, so that the copies surely take some; each batch a copy runs is written down
    in the file returned (its pid), then ``copy_does()`` if given."""
    parent, classify, ran = os.getpid(), inference._classify, tmp_path / "ran by copies"

    def classify_slowly(network, images, batch, out):
        if os.getpid() == parent:
            time.sleep(0.005)
        else:
            with open(ran, "a") as log:
                log.write(f"{os.getpid()}\n")
            if copy_does is not None:
                copy_does()
        return classify(network, images, batch, out)

    monkeypatch.setattr(inference, "_classify", classify_slowly)
    return ran


@pytest.mark.parametrize("kind", ["processes", "threads"])
def test_workers_share_out_the_batches_and_give_the_same_answers(kind: str, monkeypatch, request, tmp_path) -> None:
    made = request.getfixturevalue("forks") if kind == "processes" else []
    monkeypatch.setattr(inference, "FORKS", kind == "processes")
    images = np.random.default_rng(5).integers(0, 256, (45, 28, 28), dtype=np.uint8)
    networks = [random_network(), random_network(simple_convnet(4, 5, 8))]
    alone = [classify_images(network, images, batch_size=4) for network in networks]
    ran = slowed_parent(monkeypatch, tmp_path)
    reports: list[tuple[int, int]] = []
    for network, (classes_alone, probabilities_alone) in zip(networks, alone, strict=True):
        for workers in (2, 3, 40):
            reports.clear()
            classes, probabilities = classify_images(network, images, 4, lambda *r: reports.append(r), workers)
            np.testing.assert_array_equal(probabilities, probabilities_alone)  # the same batches, whoever runs them
            np.testing.assert_array_equal(classes, classes_alone)
            assert reports[-1] == (45, 45) and [done for done, _ in reports] == sorted(done for done, _ in reports)
    if kind == "processes":  # 45 images in 12 batches: 11 copies at most
        assert len(made) == 2 * (1 + 2 + 11) and set(map(int, ran.read_text().split())) <= set(made)
    else:
        assert not made and not ran.exists()


@pytest.mark.parametrize("because", ["another thread runs", "a thread outside Python's threading", "BLAS is told more"])
def test_no_fork_when_a_copy_could_hang_or_compete(because: str, forks: list[int], monkeypatch) -> None:
    """A forked copy gets only the thread that forked: a lock another thread held would stay held in it (a thread
    started outside Python's threading module stands for BLAS's own, started before its variables were set). BLAS's
    threads, if it has more than one, would compete with the copies' (and may be in the middle of a product)."""
    if because == "BLAS is told more":
        monkeypatch.delenv("OMP_NUM_THREADS")
    network = random_network(simple_convnet(4, 5, 8))
    images = np.random.default_rng(8).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    threads, stop = len(os.listdir("/proc/self/task")), threading.Event()
    if because == "another thread runs":
        threading.Thread(target=stop.wait).start()
    elif because == "a thread outside Python's threading":
        _thread.start_new_thread(stop.wait, ())
    try:
        shared = classify_images(network, images, batch_size=2, workers=2)[1]
    finally:
        stop.set()
        deadline = time.monotonic() + 10
        while len(os.listdir("/proc/self/task")) > threads and time.monotonic() < deadline:  # gone, for the next test
            time.sleep(0.01)
    np.testing.assert_array_equal(shared, classify_images(network, images, batch_size=2)[1])
    assert not forks


def test_progress_while_worker_processes_write_their_share(forks: list[int]) -> None:
    """Many small batches, so that the parent reports progress while its copies mark batches done."""
    network = random_network(simple_convnet(2, 3, 4))
    images = np.random.default_rng(7).integers(0, 256, (900, 28, 28), dtype=np.uint8)
    alone = classify_images(network, images, batch_size=1)[1]
    reports: list[int] = []
    for _ in range(5):
        reports.clear()
        shared = classify_images(network, images, 1, lambda done, total: reports.append(done), workers=2)[1]
        np.testing.assert_array_equal(shared, alone)
        assert reports[-1] == 900 and reports == sorted(reports)
    assert len(forks) == 5


def test_a_signal_handler_raising_as_a_copy_is_forked_leaves_nothing_behind(forks: list[int], monkeypatch) -> None:
    """A caller's handler that raises (a timeout's SIGALRM) may run as soon as ``os.fork`` returns: the copy is still
    stopped and waited for, the pipe closed, and the caller's signal mask as it was."""

    class Timeout(Exception):
        pass

    def on_alarm(signum, frame):
        raise Timeout

    fork = os.fork

    def fork_then_alarm() -> int:
        pid = fork()
        if pid:
            os.kill(os.getpid(), signal.SIGALRM)  # its handler runs before fork's caller takes the pid
        return pid

    monkeypatch.setattr(os, "fork", fork_then_alarm)
    previous = signal.signal(signal.SIGALRM, on_alarm)
    descriptors = len(os.listdir("/proc/self/fd"))
    network = random_network(simple_convnet(4, 5, 8))
    images = np.random.default_rng(9).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    try:
        with pytest.raises(Timeout):
            classify_images(network, images, batch_size=4, workers=3)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert len(os.listdir("/proc/self/fd")) == descriptors
    for pid in forks:  # every copy was waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("failure", ["raises", "killed"])
def test_a_failed_worker_process_leaves_its_batches_to_the_parent(failure: str, forks, monkeypatch, tmp_path) -> None:
    def fail() -> None:
        if failure == "raises":
            raise MemoryError
        os.kill(os.getpid(), signal.SIGKILL)

    network = random_network(simple_convnet(4, 5, 8))
    images = np.random.default_rng(6).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    alone = classify_images(network, images, batch_size=3)
    ran = slowed_parent(monkeypatch, tmp_path, fail)
    reports: list[tuple[int, int]] = []
    shared = classify_images(network, images, 3, lambda *r: reports.append(r), workers=3)
    np.testing.assert_array_equal(shared[1], alone[1])
    assert reports[-1] == (30, 30) and len(forks) == 2 and ran.read_text()  # a copy took a batch, and failed


def test_images_to_inputs_normalises_like_the_book() -> None:
    images = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    x = images_to_inputs(images)
    assert x.dtype == np.float32 and x.shape == (1, 4)
    np.testing.assert_array_equal(x, images.reshape(1, 4).astype(np.float32) / np.float32(255.0))


def test_integer_pixels_and_wrong_shapes_are_refused_not_silently_wrong() -> None:
    network = random_network()
    pixels = np.random.default_rng(4).integers(0, 256, (3, 784), dtype=np.uint8)
    with pytest.raises(InputError, match="images_to_inputs"):
        network.forward(pixels)
    with pytest.raises(InputError, match=r"expected \(N, 784\)"):
        network.predict(np.zeros((2, 100), np.float32))
    np.testing.assert_array_equal(network.predict(images_to_inputs(pixels)), classify_images(network, pixels)[0])
    cnn = random_network(simple_convnet(4, 5, 8))
    assert cnn.forward(images_to_inputs(pixels)).shape == (3, 10)  # rows, as load_mnist(flatten=True) gives them
    assert cnn.forward(images_to_inputs(pixels).reshape(3, 1, 28, 28)).shape == (3, 10)  # or images


def _convolve(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """A convolution written as its definition (7.2.2), in NCHW: a loop over every output position."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, _, h, w = x.shape
    f, _, kh, kw = W.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (1, 1), (2, 1), (1, 2)])
def test_convolution_is_its_definition(stride: int, pad: int) -> None:
    rng = np.random.default_rng(5)
    x, W, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    out = Convolution(W, b, stride, pad).forward(x.transpose(0, 2, 3, 1))  # NHWC
    np.testing.assert_allclose(out.transpose(0, 3, 1, 2), _convolve(x, W, b, stride, pad), rtol=1e-10, atol=1e-12)
    col = im2col(x.transpose(0, 2, 3, 1), 3, 3, stride, pad)
    back = col2im(np.ones_like(col), (2, 7, 6, 3), 3, 3, stride, pad)  # how many windows cover each pixel
    assert back.shape == (2, 7, 6, 3) and back.max() <= 9 and back.min() >= (0 if stride > 1 else 1)


@pytest.mark.parametrize(("channels", "stride", "pad"), [(1, 1, 1), (3, 1, 0), (1, 2, 0), (4, 2, 2)])
def test_convolutions_infer_mode_computes_what_the_test_mode_does(
    channels: int, stride: int, pad: int, monkeypatch
) -> None:
    """ "infer" copies the windows of a few images at a time into buffers it keeps for the next batch and multiplies
    them in pieces: batches of other sizes, a last incomplete few, pieces that leave a rest, and another thread answer
    as the book's one matrix product does."""
    rng = np.random.default_rng(8)
    W, b = rng.standard_normal((5, channels, 3, 3)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    layer = Convolution(W, b, stride, pad)
    layer.WINDOW_BYTES = 3 * 9 * 9 * 9 * channels * 4  # three images' windows at a time
    pieces = []
    product = layers._product_in_pieces
    monkeypatch.setattr(layers, "_product_in_pieces", lambda a, *rest: (pieces.append((len(a), rest[-1])),
                                                                        product(a, *rest)))  # fmt: skip
    product_size = (9 * channels + 1) * 5  # a window (and the bias) against the 5 filters
    for rows_asked, rows_cut in ((0, None), (16, 16), (15, None)):  # fewer than 16 rows a piece: one product
        layer.SMALL_PRODUCT = rows_asked * product_size
        pieces.clear()
        for n in (7, 1, 9):
            x = rng.standard_normal((n, 9, 8, channels)).astype(np.float32)
            np.testing.assert_allclose(layer.forward(x, "infer"), layer.forward(x, "test"), rtol=1e-6, atol=1e-6)
            assert layer.col is not None and layer.forward(x, "infer") is not None and layer.col is None
        assert all(rows == rows_cut if rows_cut else rows >= windows for windows, rows in pieces), pieces
        assert not rows_cut or any(windows % rows_cut for windows, _ in pieces)  # a rest too
    other = ThreadPoolExecutor(1).submit(layer.forward, x, "infer").result()
    np.testing.assert_allclose(other, layer.forward(x, "test"), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("filters", "cut"), [(64, True), (65, False)])
def test_only_products_up_to_64_filters_wide_are_cut(filters: int, cut: bool, monkeypatch) -> None:
    # Wider, OpenBLAS's small kernels lose: up to 3.6× slower in pieces than as one product.
    rows = []
    product = layers._product_in_pieces
    monkeypatch.setattr(layers, "_product_in_pieces", lambda a, *rest: (rows.append(rest[-1]), product(a, *rest)))
    layer = Convolution(np.ones((filters, 1, 3, 3), np.float32), np.zeros(filters, np.float32), 1, 1)
    layer.SMALL_PRODUCT = 20 * 10 * filters  # pieces of 20 windows
    layer.forward(np.ones((1, 9, 9, 1), np.float32))
    assert rows == ([20] if cut else [81])


@pytest.mark.parametrize(
    ("found", "limit"),
    [
        ([("openblas", "SkylakeX")], 100**3),
        ([("openblas", "SAPPHIRERAPIDS")], 100**3),  # as a build for one core names it
        ([("openblas", "Haswell")], 0),  # OpenBLAS's cores without small-matrix kernels: pieces would be copied too
        ([("mkl", None)], 0),
        ([], 0),
        ([("openblas", "Zen"), ("openblas", "Cooperlake")], 100**3),
        (AttributeError("'NoneType' object has no attribute 'split'"), 0),  # threadpoolctl failing: one product
    ],
)
def test_convolutions_cut_their_products_only_for_a_blas_that_gains(found, limit, monkeypatch) -> None:
    import threadpoolctl

    def info():
        if isinstance(found, Exception):
            raise found
        return [{"user_api": "blas", "internal_api": api, "architecture": core} for api, core in found]

    monkeypatch.setattr(threadpoolctl, "threadpool_info", info)
    small_product.cache_clear()
    try:
        assert small_product() == limit
    finally:
        small_product.cache_clear()


def test_relu_is_the_maximum_with_zero_whatever_its_shape() -> None:
    for shape in [(5,), (3, 50), (2, 4, 4, 3)]:
        x = np.random.default_rng(9).standard_normal(shape)
        np.testing.assert_array_equal(Relu().forward(x.copy()), np.maximum(x, 0))


def test_max_pooling_is_its_definition_and_routes_the_gradient_to_the_maximum() -> None:
    x = np.random.default_rng(6).standard_normal((2, 4, 6, 3))
    pool = Pooling(2, 2)
    out = pool.forward(x, "train")
    np.testing.assert_array_equal(out, x.reshape(2, 2, 2, 3, 2, 3).max(axis=(2, 4)))
    dx = pool.backward(np.ones_like(out))
    assert dx.sum() == out.size and ((dx == 1) == (x == np.repeat(np.repeat(out, 2, 1), 2, 2))).all()


def test_the_books_dropout_scales_at_test_time_and_drops_in_training() -> None:
    x = np.ones((1000, 10), dtype=np.float32)
    np.testing.assert_array_equal(Dropout(0.5).forward(x.copy()), np.full_like(x, 0.5))  # not inverted dropout
    dropped = Dropout(0.5, np.random.default_rng(0)).forward(x.copy(), "train")
    assert set(np.unique(dropped)) == {0.0, 1.0} and 0.45 < dropped.mean() < 0.55


def test_architectures_of_any_depth_and_the_books() -> None:
    assert mlp((50,)).summary() == "784-50-10 sigmoid"
    five = mlp((100,) * 5, "relu", dropout=0.2, batch_norm=True)
    assert five.summary() == "784-100-100-100-100-100-10 relu batch norm dropout 0.2"
    assert [k for k in five.shapes() if k.endswith("5")] == ["W5", "b5", "gamma5", "beta5", "running_mean5",
                                                              "running_var5"]  # fmt: skip
    assert simple_convnet().shapes()["W2"] == (4320, 100) and simple_convnet().parameter_count() == 433_890
    deep = deep_convnet()
    assert deep.shapes()["W7"] == (1024, 50) and deep.shapes()["W4"] == (32, 32, 3, 3)
    assert [step.output_shape for step in deep.steps() if step.spec["type"] == "pool"] == [
        (14, 14, 16),
        (8, 8, 32),
        (4, 4, 64),
    ]
    for architecture in (mlp((3, 7), "tanh", dropout=0.5), simple_convnet(), deep):
        assert Architecture.from_json(architecture.to_json()) == architecture
        assert from_shapes(architecture.shapes()) in (None, architecture) or architecture.model == "mlp"
    assert from_shapes({"W1": (784, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}) == mlp((50,))
    assert from_shapes({"W1": (30, 1, 5, 5), "W2": (4320, 100), "W3": (100, 10)}) == simple_convnet()
    assert from_shapes({"W1": (3, 3)}) == mlp((), inputs=3, classes=3) and from_shapes({"x": (1,)}) is None


def test_the_first_layers_weights_without_naming_them() -> None:
    """What the units of the first layer look for (the page's templates, ``explain --templates``): its ``W``."""
    for architecture, shape in [(mlp((30, 20), batch_norm=True), (784, 30)), (simple_convnet(8), (8, 1, 5, 5)),
                                (deep_convnet(), (16, 1, 3, 3)), (mlp(()), (784, 10))]:  # fmt: skip
        network = Network(architecture, init_params(architecture, "he", np.random.default_rng(0)))
        assert network.first_weights.shape == shape and network.first_weights is network.params["W1"]


@pytest.mark.parametrize(
    ("layers", "problem"),
    [
        ([{"type": "flatten"}, {"type": "affine", "units": 10}, {"type": "conv", "filters": 2, "size": 3}],
         "needs images"),
        ([{"type": "conv", "filters": 2, "size": 30}, {"type": "flatten"}, {"type": "affine", "units": 10}],
         "larger than its input"),
        ([{"type": "conv", "filters": 10**6, "size": 3}], "whole number from 1 to 8192"),
        ([{"type": "flatten"}, {"type": "affine", "units": 8192}, {"type": "relu"}, {"type": "affine", "units": 8192},
          {"type": "affine", "units": 10}], "parameters, more than"),
        ([{"type": "conv", "filters": 8, "size": 3}, {"type": "affine", "units": 10}], "needs a flatten layer"),
        ([{"type": "relu"}], "ends in an affine layer"),
        ([{"type": "softmax"}], "unknown layer"),
        ([{"type": "dropout", "ratio": 1.5}, {"type": "affine", "units": 10}], "ratio"),
    ],
)  # fmt: skip
def test_architectures_that_cannot_be_built_say_why(layers: list, problem: str) -> None:
    with pytest.raises(ArchitectureError, match=problem):
        Architecture.from_json({"input": [1, 28, 28], "layers": layers})
