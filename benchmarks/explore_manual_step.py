"""Exploration for issue #7's PyOD ratio: how much would a training step without autograd gain?

The issue network (32-64-32-8-32-64-32, relu, MSE, AdamW) is trained two ways in one process,
alternating over ``--repeats`` epochs each so that the shared machine's slow spells hit both:

* ``autograd``: ``F.mse_loss(net(xb), xb).backward()`` and geoae's ``FlatAdamW`` (what
  ``fit()`` runs per step);
* ``manual``: the same forward written out with ``addmm`` and in-place ``clamp_min_``, the
  gradients written by hand (``mm`` / ``sum`` straight into ``FlatAdamW``'s flat gradient
  buffer, relu's derivative by ``torch.where``), no autograd graph at all, and the same
  ``FlatAdamW`` step.

Both start from the same weights and see the same batches; the script first checks that after
``--check-steps`` steps their weights agree (the manual gradients are right), then times them.
The ratio bounds what any rewrite of the step around autograd (a fused ``autograd.Function``
per network, a hand-written fast path) could gain on this machine. Results are in
docs/benchmarks.md (performance report): about 1.1x at batch 256, none at 4096, so the gap to
PyOD's 5x is not in autograd.

Usage: python benchmarks/explore_manual_step.py [--threads 1] [--batch 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from geoae._optim import FlatAdamW

DIMS = [32, 64, 32, 8, 32, 64, 32]
RELU = [True, True, False, True, True, False]  # after each Linear (code and output linear)


def build(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for (i, o), relu in zip(zip(DIMS[:-1], DIMS[1:], strict=True), RELU, strict=True):
        layers.append(nn.Linear(i, o))
        if relu:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def autograd_stepper(net: nn.Sequential):
    opt = FlatAdamW.create(net, 1e-3, 0.0)

    def step(xb):
        loss = F.mse_loss(net(xb), xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step


def manual_stepper(net: nn.Sequential):
    opt = FlatAdamW.create(net, 1e-3, 0.0)
    lins = [m for m in net if isinstance(m, nn.Linear)]

    def step(xb):
        with torch.no_grad():
            acts = [xb]
            for lin, relu in zip(lins, RELU, strict=True):
                h = torch.addmm(lin.bias, acts[-1], lin.weight.t())
                if relu:
                    h.clamp_min_(0)
                acts.append(h)
            diff = acts[-1] - xb
            loss = diff.pow(2).mean()
            g = diff.mul_(2.0 / diff.numel())
            opt.zero_grad()
            for k in range(len(lins) - 1, -1, -1):
                torch.mm(g.t(), acts[k], out=lins[k].weight.grad)
                torch.sum(g, 0, out=lins[k].bias.grad)
                if k > 0:
                    g = torch.mm(g, lins[k].weight)
                    if RELU[k - 1]:
                        g = torch.where(acts[k] > 0, g, 0.0)
            opt.step()
        return loss

    return step


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--check-steps", type=int, default=50)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    X = torch.randn(args.rows, DIMS[0], generator=torch.Generator().manual_seed(0))

    # the same arithmetic: equal weights after a few steps on the same batches
    a, m = build(), build()
    sa, sm = autograd_stepper(a), manual_stepper(m)
    for i in range(args.check_steps):
        start = i * args.batch % (args.rows - args.batch + 1)
        xb = X[start:start + args.batch]
        sa(xb)
        sm(xb)
    gap = max((pa - pm).abs().max().item() for pa, pm in zip(a.parameters(), m.parameters(), strict=True))
    print(f"largest weight difference after {args.check_steps} steps: {gap:.2e}")
    if gap > 1e-4:
        raise SystemExit("the manual step does not compute the same gradients")

    steppers = {"autograd": autograd_stepper(build()), "manual": manual_stepper(build())}
    n = args.rows // args.batch

    def epoch(step) -> float:
        perm = torch.randperm(args.rows)
        t0 = time.perf_counter()
        for i in range(n):
            step(X.index_select(0, perm[i * args.batch:(i + 1) * args.batch]))
        return (time.perf_counter() - t0) / n * 1e3

    for step in steppers.values():  # warm-up
        epoch(step)
    ms: dict[str, list[float]] = {k: [] for k in steppers}
    for _ in range(args.repeats):
        for name, step in steppers.items():
            ms[name].append(epoch(step))
    ratios = [x / y for x, y in zip(ms["autograd"], ms["manual"], strict=True)]
    print(f"batch {args.batch}, {args.threads} thread(s): ms per step autograd "
          f"{statistics.median(ms['autograd']):.3f}, manual {statistics.median(ms['manual']):.3f}; "
          f"manual speed-up {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
