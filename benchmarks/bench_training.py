"""Fit throughput of geoae's ``AutoEncoder`` against a minimal hand-written PyTorch loop (issue #2).

Both sides train the identical network (``DenseEncoder``/``DenseDecoder``, hidden=(64, 32),
latent_dim=8, relu, linear output) with AdamW (lr 1e-3, weight_decay 0), MSE loss and batches
taken by slicing a shuffled index tensor, for the same number of epochs on the same synthetic
data (seeded low-rank signal + noise, float). geoae runs with ``validation_fraction=0`` and a
patience larger than the epoch count so it never stops early.

Timing
------
* ``geoae fit`` : wall time of the whole ``AutoEncoder.fit(X)`` call, i.e. input validation,
  the float64 copy, scaler fitting and scaling, the copy to the device, and the training loop.
  This is the number in the ``geoae samples/s`` column and the one the ratio uses.
* ``geoae loop``: wall time of the ``fit_module`` call alone (measured by wrapping the function
  that ``geoae.models`` calls; the package is not modified), for attribution.
* ``raw``       : wall time of the hand-written epoch loop only; the data are standardised into a
  float32 tensor beforehand, outside the timer.

Process CPU time is recorded next to wall time: on a shared machine it is far less sensitive to
other tenants. torch runs with ``--threads`` intra-op threads (default 1; on the shared 2-core
machines two threads collapse when the other core is busy).

The two runs alternate (their order flips every repeat) and each configuration is repeated;
the median over repeats is reported because the machines are shared and noisy.

Run ``python benchmarks/bench_training.py --rows 20000 --epochs 1`` for a quick check.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import geoae
import geoae.models as gm
from geoae import AutoEncoder
from geoae.nn import DenseDecoder, DenseEncoder

HIDDEN = (64, 32)
LATENT = 8
ACTIVATION = "relu"
LR = 1e-3


def make_data(rows: int, features: int, rank: int, seed: int) -> np.ndarray:
    """Low-rank signal + noise, with per-feature offsets and scales so scaling does something."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((rows, rank))
    mixing = rng.standard_normal((rank, features))
    X = latent @ mixing + 0.1 * rng.standard_normal((rows, features))
    X = X * rng.uniform(0.5, 50.0, features) + rng.uniform(-100.0, 100.0, features)
    return X.astype(np.float64)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ---------------------------------------------------------------------------------------- raw loop
def raw_fit(Xt: torch.Tensor, epochs: int, batch_size: int, seed: int,
            **adamw) -> tuple[float, float]:
    """Minimal PyTorch loop on the same network, on ``Xt``'s device; returns training (wall, CPU)
    seconds. ``adamw`` goes to ``torch.optim.AdamW`` (e.g. ``fused=True``; default: PyTorch's
    default)."""
    n, d = Xt.shape
    torch.manual_seed(seed)
    net = nn.Sequential(
        DenseEncoder(d, LATENT, hidden=HIDDEN, activation=ACTIVATION),
        DenseDecoder(LATENT, d, hidden=HIDDEN, activation=ACTIVATION, output_activation="linear"),
    ).to(Xt.device)
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.0, **adamw)
    net.train()
    cuda = Xt.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, device=Xt.device)
        for start in range(0, n, batch_size):
            xb = Xt[perm[start:start + batch_size]]
            loss = F.mse_loss(net(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    if cuda:
        torch.cuda.synchronize()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not torch.isfinite(loss):
        raise RuntimeError("raw loop diverged")
    return elapsed, cpu


# ------------------------------------------------------------------------------------------- geoae
class _LoopTimer:
    """Wraps ``geoae.models.fit_module`` to time the training loop alone (package untouched)."""

    def __init__(self) -> None:
        self.original = gm.fit_module
        self.last = (float("nan"), float("nan"))

    def __enter__(self) -> _LoopTimer:
        def timed(*args, **kwargs):
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.last = (time.perf_counter() - t0, time.process_time() - c0)

        gm.fit_module = timed
        return self

    def __exit__(self, *exc) -> None:
        gm.fit_module = self.original


def geoae_fit(X: np.ndarray, epochs: int, batch_size: int, seed: int):
    """Return ((wall, CPU) of the whole fit(), (wall, CPU) of fit_module) in seconds."""
    model = AutoEncoder(latent_dim=LATENT, hidden=HIDDEN, activation=ACTIVATION, loss="mse",
                        scaler="standard", epochs=epochs, batch_size=batch_size, learning_rate=LR,
                        weight_decay=0.0, validation_fraction=0.0, patience=epochs + 1,
                        device="cpu", random_state=seed, verbose=False)
    with _LoopTimer() as lt:
        c0, t0 = time.process_time(), time.perf_counter()
        model.fit(X)
        total = (time.perf_counter() - t0, time.process_time() - c0)
    ran = len(model.history_["loss"])
    if ran != epochs:
        raise RuntimeError(f"geoae ran {ran} epochs instead of {epochs}")
    return total, lt.last


# -------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 4096])
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1: on a shared 2-core machine two threads "
                        "collapse under contention; see docs/benchmarks.md)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    print(f"geoae {geoae.__version__} | torch {torch.__version__} | numpy {np.__version__} | "
          f"python {platform.python_version()}")
    print(f"CPU: {cpu_name()} | os.cpu_count()={os.cpu_count()} | "
          f"torch threads: intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}")
    print(f"data: {args.rows} rows x {args.features} features (float64 in, float32 training), "
          f"epochs={args.epochs}, repeats={args.repeats}, batch sizes={args.batch_sizes}")
    print("geoae samples/s = rows*epochs / whole fit() time (includes validation + scaling); "
          "raw = training loop only")

    X = make_data(args.rows, args.features, rank=4, seed=args.seed)
    Xt = torch.from_numpy(((X - X.mean(0)) / X.std(0)).astype(np.float32))
    samples = args.rows * args.epochs

    # warm-up (first-call allocator / dispatcher costs) on a small slice, not timed
    small = min(args.rows, 16384)
    for bs in args.batch_sizes:
        geoae_fit(X[:small], 1, bs, args.seed)
        raw_fit(Xt[:small], 1, bs, args.seed)

    med = statistics.median
    results = []
    for bs in args.batch_sizes:
        fit_w, fit_c, loop_w, loop_c, raw_w, raw_c = ([] for _ in range(6))
        for r in range(args.repeats):
            order = ("geoae", "raw") if r % 2 == 0 else ("raw", "geoae")
            for which in order:
                if which == "geoae":
                    (w, c), (lw, lc) = geoae_fit(X, args.epochs, bs, args.seed + r)
                    fit_w.append(w)
                    fit_c.append(c)
                    loop_w.append(lw)
                    loop_c.append(lc)
                else:
                    w, c = raw_fit(Xt, args.epochs, bs, args.seed + r)
                    raw_w.append(w)
                    raw_c.append(c)
            print(f"  batch {bs:5d} repeat {r + 1}/{args.repeats}: geoae fit {fit_w[-1]:.2f}s "
                  f"(loop {loop_w[-1]:.2f}s; CPU {fit_c[-1]:.2f}s), "
                  f"raw {raw_w[-1]:.2f}s (CPU {raw_c[-1]:.2f}s)", flush=True)
        results.append(dict(
            batch=bs, fit=samples / med(fit_w), raw=samples / med(raw_w), loop=samples / med(loop_w),
            fit_cpu=samples / med(fit_c), loop_cpu=samples / med(loop_c), raw_cpu=samples / med(raw_c),
            paired=med([w / g for g, w in zip(fit_w, raw_w, strict=True)]),
        ))

    print()
    print("Wall clock (median over repeats; geoae = whole fit(), raw = training loop):")
    print("| batch | geoae samples/s | raw samples/s | ratio geoae/raw |")
    print("|------:|----------------:|--------------:|----------------:|")
    for res in results:
        print(f"| {res['batch']} | {res['fit']:,.0f} | {res['raw']:,.0f} | {res['fit'] / res['raw']:.2f} |")
    print()
    print("Attribution (ratios against raw; CPU = process CPU time, less sensitive to other tenants):")
    print("| batch | fit() wall | fit_module wall | fit() CPU | fit_module CPU | paired per-repeat (wall) |")
    print("|------:|-----------:|----------------:|----------:|---------------:|-------------------------:|")
    for res in results:
        print(f"| {res['batch']} | {res['fit'] / res['raw']:.2f} | {res['loop'] / res['raw']:.2f} "
              f"| {res['fit_cpu'] / res['raw_cpu']:.2f} | {res['loop_cpu'] / res['raw_cpu']:.2f} "
              f"| {res['paired']:.2f} |")
    print()
    worst = min(res["fit"] / res["raw"] for res in results)
    print(f"target geoae >= 0.90x raw (fit() wall): {'met' if worst >= 0.9 else 'NOT met'} "
          f"(worst ratio {worst:.2f})")


if __name__ == "__main__":
    main()
