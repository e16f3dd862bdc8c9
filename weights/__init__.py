"""Weights shipped with mnist-infer (installed as ``mnist_infer.bundled_weights``).

- ``toy.json``: the chapter's 2-3-2-2 toy network (``init_network`` in section 3.4.3).
- ``sample_weight.pkl``: the book's pretrained chapter-3 weights, byte for byte as published in the book's
  repository (https://github.com/oreilly-japan/deep-learning-from-scratch, MIT licence, © 2016 Koki Saito);
  its checksum is in :mod:`mnist_infer.catalog`.
"""
