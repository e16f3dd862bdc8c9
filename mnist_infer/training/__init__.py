"""Learning (chapters 4–8): the training loop (:mod:`.loop`), the optimisers (:mod:`.optimizers`), and
backpropagation checked against the numerical gradient (:mod:`.gradcheck`)."""
