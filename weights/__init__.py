"""Weights shipped with mnist-infer (installed as ``mnist_infer.bundled_weights``), byte for byte as the book's
repositories publish them (https://github.com/oreilly-japan/deep-learning-from-scratch, MIT licence, © 2016 Koki
Saito); their checksums are in :mod:`mnist_infer.catalog`.

- ``toy.json``: the 2-3-2-2 toy network of section 3.4.3 (``init_network``).
- ``sample_weight.pkl``: chapter 3's trained 784-50-100-10 network.
- ``deep_convnet_params.pkl``: chapter 8's trained DeepConvNet, the 2016 original (0.9935).
"""
