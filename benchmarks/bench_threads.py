"""CPU training step time against the number of intra-op threads (``torch.set_num_threads``).

For the issue network (32-64-32-8, the default-sized dense AE) and a wide one (256-1024-512-16),
at several batch sizes: the median time of one training step (``index_select`` of the batch,
forward, MSE, backward, fused AdamW) with 1, 2, 4, ... threads up to the machine's cores. The
thread counts alternate (their order reversed every other round), so that a slow spell of a
shared machine hits all of them alike. The multiply-adds per step are printed beside each row:
they are the size a rule for choosing the thread count would look at.

Run: ``python benchmarks/bench_threads.py`` (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from geoae.nn import DenseDecoder, DenseEncoder

NETWORKS = {"32-64-32-8": (32, (64, 32), 8), "256-1024-512-16": (256, (1024, 512), 16)}


def macs_per_row(d: int, hidden: tuple[int, ...], latent: int) -> int:
    widths = [d, *hidden, latent, *hidden[::-1], d]
    return sum(a * b for a, b in zip(widths, widths[1:], strict=False))


def step_ms(d, hidden, latent, batch, threads, rounds, steps) -> dict[int, float]:
    torch.manual_seed(0)
    X = torch.randn(max(8 * batch, 20000), d)
    net = nn.Sequential(DenseEncoder(d, latent, hidden=hidden, activation="relu"),
                        DenseDecoder(latent, d, hidden=hidden, activation="relu",
                                     output_activation="linear"))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, fused=True)
    perm = torch.randperm(X.shape[0])

    def run(n):
        t0 = time.perf_counter()
        for i in range(n):
            s = (i * batch) % (X.shape[0] - batch)
            xb = X.index_select(0, perm[s:s + batch])
            loss = F.mse_loss(net(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t0) / n * 1e3

    times: dict[int, list[float]] = {t: [] for t in threads}
    for r in range(rounds):
        for t in (threads if r % 2 == 0 else threads[::-1]):
            torch.set_num_threads(t)
            run(3)  # warm the thread pool at this size
            times[t].append(run(steps))
    return {t: statistics.median(v) for t, v in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batches", default="64,256,1024,4096")
    args = p.parse_args()
    cores = os.cpu_count() or 1
    threads = sorted({1, *(2**k for k in range(1, 8) if 2**k <= cores), cores})
    print(f"torch {torch.__version__} | {cores} cores | default threads {torch.get_num_threads()}")
    print("\n| network | batch | multiply-adds per step | "
          + " | ".join(f"{t} thr (ms)" for t in threads) + " | best | default / best |")
    print("|---|---|---|" + "---|" * (len(threads) + 2))
    default = torch.get_num_threads()
    for name, (d, hidden, latent) in NETWORKS.items():
        for batch in map(int, args.batches.split(",")):
            work = macs_per_row(d, hidden, latent) * batch
            steps = max(5, min(200, int(2e9 / work)))
            ms = step_ms(d, hidden, latent, batch, threads, args.rounds, steps)
            best = min(ms, key=ms.get)
            print(f"| {name} | {batch} | {work / 1e6:.1f}M | " + " | ".join(f"{ms[t]:.2f}" for t in threads)
                  + f" | {best} | {ms.get(default, float('nan')) / ms[best]:.2f} |", flush=True)
    torch.set_num_threads(default)


if __name__ == "__main__":
    main()
