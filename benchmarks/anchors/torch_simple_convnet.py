"""PyTorch's side of the training benchmark (benchmarks/cnn.py): the book's SimpleConvNet trained as
`mnist-infer train --model simple-convnet` trains it (He initial weights, Adam lr 0.001, batches of 100, the
60,000 training images reshuffled every epoch), on two threads. Prints one JSON line per epoch: its seconds
(the test set scored too, as `train` does) and its test accuracy.

    python torch_simple_convnet.py DATA_DIR EPOCHS SEED
"""

import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn


def load(directory: Path, prefix: str):
    with gzip.open(directory / f"{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255)
    with gzip.open(directory / f"{prefix}-labels-idx1-ubyte.gz") as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(t)


def main(directory: str, epochs: str, seed: str) -> None:
    torch.set_num_threads(2)
    torch.manual_seed(int(seed))
    (x, t), (x_test, t_test) = load(Path(directory), "train"), load(Path(directory), "t10k")
    model = nn.Sequential(
        nn.Conv2d(1, 30, 5),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(30 * 12 * 12, 100),
        nn.ReLU(),
        nn.Linear(100, 10),
    )
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    optimizer, loss = torch.optim.Adam(model.parameters(), lr=0.001), nn.CrossEntropyLoss()
    for epoch in range(1, int(epochs) + 1):
        start = time.perf_counter()
        model.train()
        for chosen in torch.randperm(len(x)).split(100):
            optimizer.zero_grad(set_to_none=True)
            loss(model(x[chosen]), t[chosen]).backward()
            optimizer.step()
        model.eval()
        with torch.inference_mode():
            right = sum(
                int((model(x_test[i : i + 1000]).argmax(1) == t_test[i : i + 1000]).sum())
                for i in range(0, len(x_test), 1000)
            )
        print(
            json.dumps({"epoch": epoch, "seconds": time.perf_counter() - start, "test_accuracy": right / len(x_test)}),
            flush=True,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
