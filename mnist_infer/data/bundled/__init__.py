"""The MNIST test split shipped with mnist-infer, so that the chapter runs with no network.

``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` are the official files, byte for byte (their
checksums are in :mod:`mnist_infer.catalog`). The MNIST database is by Yann LeCun, Corinna Cortes and
Christopher J. C. Burges, available under the Creative Commons Attribution-Share Alike 3.0 licence.
"""
