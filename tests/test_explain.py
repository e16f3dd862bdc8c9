"""Looking inside a network (issue 24): a digit's forward pass layer by layer, what the first layer looks for, which
pixels decided (and a deletion test that they did), how sure it should be, how it bears perturbed digits, and the
average digit of each class. Everything runs on the package's own test split and weights."""

from __future__ import annotations

import numpy as np

from mnist_infer.model.network import Architecture, Network, init_params


def test_the_input_gradient_is_the_numerical_one_through_every_layer_at_test_time() -> None:
    """Through convolution, pooling, flatten, affine, batch normalisation (running statistics) and dropout
    (scaled), the first layer included: backward equals central differences of Σ dout·scores."""
    layers = [
        {"type": "conv", "filters": 3, "size": 3, "stride": 1, "pad": 1},
        {"type": "relu"},
        {"type": "pool", "size": 2, "stride": 2, "pad": 0},
        {"type": "flatten"},
        {"type": "affine", "units": 6},
        {"type": "batchnorm"},
        {"type": "sigmoid"},
        {"type": "dropout", "ratio": 0.5},
        {"type": "affine", "units": 4},
    ]
    rng = np.random.default_rng(0)
    architecture = Architecture((1, 6, 6), tuple(layers))
    params = init_params(architecture, 0.5, rng, np.float64)
    params["running_mean1"][:], params["running_var1"][:] = rng.normal(size=6), rng.uniform(0.5, 2, 6)
    network = Network(architecture, params, np.float64)
    x, dout = rng.random((2, 1, 6, 6)), rng.normal(size=(2, 4))
    network.scores(x, mode="test")
    gradient = network.input_gradient(dout)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = [x.copy(), x.copy()]
        shifted[0][index] += 1e-6
        shifted[1][index] -= 1e-6
        up, down = (float(np.sum(dout * network.scores(s, mode="test"))) for s in shifted)
        numerical[index] = (up - down) / 2e-6
    assert gradient.shape == x.shape
    np.testing.assert_allclose(gradient, numerical, rtol=1e-5, atol=1e-8)
