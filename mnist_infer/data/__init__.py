"""The data: the IDX format (:mod:`.idx`), MNIST's splits and the book's ``load_mnist`` (:mod:`.mnist`, parsed once:
:mod:`.cache`), a picture of a digit made into an MNIST digit (:mod:`.pictures`), and handwriting's variations
(:mod:`.augment`: shifts, turns, slants and stroke widths, for training and for robustness)."""

from .mnist import Dataset, images_to_inputs, load_mnist, load_split

__all__ = ["Dataset", "images_to_inputs", "load_mnist", "load_split"]
