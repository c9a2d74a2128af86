#!/usr/bin/env python3
"""PyTorch side of `node bench/recipe.mjs accuracy`: LeNet-5 on Fashion-MNIST with the same
two recipes as configs/fashion-lenet.yaml and configs/fashion-lenet-recipe.yaml, on the CPU.

    python3 bench/pytorch_recipe.py --case baseline --epochs 10   # Adam 1e-3
    python3 bench/pytorch_recipe.py --case recipe --epochs 10     # AdamW 2e-3 wd 0.01,
        # LinearLR(1/3, 200 steps) then CosineAnnealingLR(eta_min 0) per step, RandomCrop(28, padding=2)

Pixels scaled to [0, 1] (the configs set no normalize), batch 128, shuffled, seed 1. Prints
"test accuracy X" on the last line. Reads the four IDX files from --data (default Debian's
/usr/share/datasets/fashion-mnist). Needs torch only (no torchvision).
"""

import argparse
import gzip
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def load(folder, prefix, limit):
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    return images.float().div(255).unsqueeze(1), labels.long()


def lenet5():
    # configs/lenet.yaml: conv 6 k5 same + relu, pool, conv 16 k5 + relu, pool, 120, 84, 10.
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def random_shift(x, reach, generator):
    # RandomCrop(28, padding=reach) per image: a whole-pixel translation with zeros coming in.
    n, _, h, w = x.shape
    padded = F.pad(x, (reach, reach, reach, reach))
    offsets = torch.randint(0, 2 * reach + 1, (n, 2), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = offsets[i].tolist()
        out[i] = padded[i, :, dy : dy + h, dx : dx + w]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["baseline", "recipe"], required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    train_x, train_y = load(args.data, "train", args.limit)
    test_x, test_y = load(args.data, "t10k", args.limit // 5 if args.limit else 0)
    model = lenet5()
    steps_per_epoch = (len(train_y) + 127) // 128
    total = steps_per_epoch * args.epochs
    if args.case == "baseline":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scheduler = None
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
        warmup = 200 if not args.limit else max(1, total // 5)
        scheduler = torch.optim.lr_scheduler.SequentialLR(
            optimizer,
            [
                torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / 3, total_iters=warmup),
                torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=0),
            ],
            milestones=[warmup],
        )
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        for start in range(0, len(order), 128):
            index = order[start : start + 128]
            x = train_x[index]
            if args.case == "recipe":
                x = random_shift(x, 2, generator)
            loss = F.cross_entropy(model(x), train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
    model.eval()
    with torch.no_grad():
        correct = sum(
            (model(test_x[i : i + 1000]).argmax(dim=1) == test_y[i : i + 1000]).sum().item()
            for i in range(0, len(test_y), 1000)
        )
    print(f"torch {torch.__version__}, {args.case}, {args.epochs} epochs")
    print(f"test accuracy {correct / len(test_y):.4f}")


if __name__ == "__main__":
    main()
