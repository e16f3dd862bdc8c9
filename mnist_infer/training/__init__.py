"""Learning (chapters 4–8): the training loop (:mod:`.loop`), the optimisers (:mod:`.optimizers`), handwriting's
variations for augmentation (:mod:`.augment`), and backpropagation checked against the numerical gradient
(:mod:`.gradcheck`)."""
