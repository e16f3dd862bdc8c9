"""Weights shipped with mnist-infer (installed as ``mnist_infer.bundled_weights``).

- ``toy.json``: the chapter's 2-3-2-2 toy network (``init_network`` in section 3.4.3).
"""
