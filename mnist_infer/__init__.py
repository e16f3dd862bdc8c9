"""mnist-infer: chapter 3 of *Deep Learning from Scratch* as a library and a command-line tool.

The library API is importable from here; names load on first use, so that ``import mnist_infer`` (and the CLI's
``--help``) stay fast::

    from mnist_infer import images_to_inputs, load_network, load_split
    x, t = load_split("test")      # the MNIST test set (it ships with the package)
    network = load_network()       # the book's sample_weight.pkl, read without pickle.load
    accuracy = (network.predict(images_to_inputs(x)) == t).mean()   # 0.9352
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "load_mnist": "data",
    "load_split": "data",
    "Dataset": "data",
    "images_to_inputs": "classify",
    "default_data_dir": "locations",
    "Network": "network",
    "sigmoid": "layers",
    "softmax": "layers",
    "classify_images": "classify",
    "load_weights": "weights",
    "load_network": "weights",
    "toy_network": "weights",
    "read_idx": "idx",
    "read_images": "idx",
    "read_labels": "idx",
    "write_idx": "idx",
    "evaluate": "evaluation",
    "Evaluation": "evaluation",
    "MnistInferError": "errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mnist_infer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
