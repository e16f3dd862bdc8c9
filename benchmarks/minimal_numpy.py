"""The reference for `mnist-infer evaluate`: the least a numpy script must do to print the test accuracy.

    python benchmarks/minimal_numpy.py IMAGES.gz LABELS.gz WEIGHTS.npz

Gunzip the test set, normalise it, run the batched forward pass, print the accuracy. No checks, no cache.
"""

import gzip
import sys

import numpy as np

images_path, labels_path, weights_path = sys.argv[1:4]
with gzip.open(images_path) as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / np.float32(255.0)
with gzip.open(labels_path) as f:
    t = np.frombuffer(f.read(), np.uint8, offset=8)
w = np.load(weights_path)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


z1 = sigmoid(x @ w["W1"] + w["b1"])
z2 = sigmoid(z1 @ w["W2"] + w["b2"])
y = softmax(z2 @ w["W3"] + w["b3"])
print("Accuracy:" + str(float(np.mean(np.argmax(y, axis=1) == t))))
