"""The network: chapter 5–7's layers (:mod:`.layers`), and a network built from its architecture, with the book's
architectures (:mod:`.network`)."""

from .network import MODELS, Architecture, Network, from_shapes

__all__ = ["MODELS", "Architecture", "Network", "from_shapes"]
