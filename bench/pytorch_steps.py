#!/usr/bin/env python3
"""PyTorch side of `npm run bench:train`: the same two nets, the same batch
sizes and step counts, on the CPU, with a given number of threads.

Times `--steps` training steps (forward, cross-entropy, backward, Adam
update, loss read) after `--warmup` untimed ones, on MNIST-shaped random
data, and prints one JSON line: {"net", "batch", "threads", "steps",
"warmup", "warmup_seconds", "seconds", "images_per_sec", "cpu_seconds",
"images_per_cpu_sec", "torch"}.

    /usr/bin/python3 bench/pytorch_steps.py --net lenet5 --batch 128 --threads 1

Needs Debian's python3-torch (apt-get install -y python3-torch).
"""

import argparse
import json
import time

import torch
import torch.nn as nn


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


def mycnn():
    # configs/mycnn.yaml: three conv + batch-norm + leaky-ReLU(0.2) + pool blocks, then 288 -> 10.
    return nn.Sequential(
        nn.Conv2d(1, 3, kernel_size=3, padding=2), nn.BatchNorm2d(3),
        nn.LeakyReLU(0.2), nn.MaxPool2d(2),
        nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16),
        nn.LeakyReLU(0.2), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32),
        nn.LeakyReLU(0.2), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(288, 10),
    )


NETS = {"lenet5": lenet5, "mycnn": mycnn}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--net", choices=sorted(NETS), required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=50)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = NETS[args.net]()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    # A few distinct batches, cycled, like an epoch's first steps.
    batches = [
        (torch.rand(args.batch, 1, 28, 28), torch.randint(0, 10, (args.batch,)))
        for _ in range(4)
    ]

    def step(i):
        xb, yb = batches[i % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss.item()

    warmup_start = time.perf_counter()
    for i in range(args.warmup):
        step(i)
    warmup_seconds = time.perf_counter() - warmup_start
    start = time.perf_counter()
    cpu_start = time.process_time()
    for i in range(args.steps):
        step(i)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({
        "net": args.net,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "warmup": args.warmup,
        "warmup_seconds": round(warmup_seconds, 4),
        "seconds": round(seconds, 4),
        "images_per_sec": round(args.batch * args.steps / seconds, 1),
        # CPU time of all the process's threads: steady on a busy machine.
        "cpu_seconds": round(cpu_seconds, 4),
        "images_per_cpu_sec": round(args.batch * args.steps / cpu_seconds, 1),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
