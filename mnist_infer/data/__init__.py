"""The data: the IDX format (:mod:`.idx`), MNIST's splits and the book's ``load_mnist`` (:mod:`.mnist`, parsed once:
:mod:`.cache`), and a picture of a digit made into an MNIST digit (:mod:`.pictures`)."""

from .mnist import Dataset, images_to_inputs, load_mnist, load_split

__all__ = ["Dataset", "images_to_inputs", "load_mnist", "load_split"]
