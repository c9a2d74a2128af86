#!/usr/bin/env python3
"""PyTorch side of `npm run bench:accuracy`: trains the same nets as the
runner's configs (bench/pytorch_steps.py's definitions of configs/lenet.yaml
and configs/mycnn.yaml) on the same IDX files, with the same recipe (Adam,
learning rate 1e-3, batch 128, shuffled every epoch, pixels / 255), on the
CPU, and prints one JSON line: {"net", "epochs", "batch", "threads",
"train_images", "test_images", "test_accuracy", "seconds",
"images_per_sec", "torch"}.

    /usr/bin/python3 bench/pytorch_train.py --net lenet5 --data-dir DIR --epochs 2

DIR holds train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (official MNIST, or
Debian's /usr/share/datasets/fashion-mnist). Needs Debian's python3-torch and
numpy. Accuracy is measured on the whole test set in eval mode (batch norm's
running statistics), as `runner exp` evaluates.
"""

import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn

from pytorch_steps import NETS


def read_idx(path, magic, dims):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    header = struct.unpack(">" + "I" * (dims + 1), data[: 4 * (dims + 1)])
    if header[0] != magic:
        raise SystemExit(f"{path}: not an IDX file of {dims} dimension(s) (magic {header[0]:#x})")
    return np.frombuffer(data, dtype=np.uint8, offset=4 * (dims + 1)).reshape(header[1:])


def load(data_dir, prefix, limit):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 0x803, 3)
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 0x801, 1)
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--net", choices=sorted(NETS), required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0, help="first N training images only (smoke runs)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load(args.data_dir, "train", args.limit)
    x_test, y_test = load(args.data_dir, "t10k", 0)
    model = NETS[args.net]()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), args.batch):
            index = order[i : i + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x_test), 1000):
            correct += (model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
    print(json.dumps({
        "net": args.net,
        "epochs": args.epochs,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "train_images": len(x),
        "test_images": len(x_test),
        "test_accuracy": correct / len(x_test),
        "seconds": round(seconds, 2),
        "images_per_sec": round(args.epochs * len(x) / seconds, 1),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
