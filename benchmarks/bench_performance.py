"""Performance report (issue #7): geoae against peers and against the machine, in one run.

1. **Fit throughput** on 200,000 x 32 rows (``--rows``), batch 256 and 4096, ``--epochs`` epochs:
   geoae ``AutoEncoder.fit`` vs the minimal raw PyTorch loop of ``bench_training.py`` (identical
   network: 32-64-32-8-32-64-32, relu, AdamW; once with PyTorch's default AdamW, once with the
   fused AdamW that geoae uses, so that the loop's own overhead is visible) vs PyOD's
   ``AutoEncoder`` at the matched architecture (``hidden_neuron_list=[64, 32, 8]``, no batch
   norm, no dropout), epochs and batch size (PyOD's ``fit`` also scores the training rows once,
   as it always does). Ratios are taken in the same run; geoae and the raw loops alternate over
   ``--repeats`` and the median is used.
2. **Achieved GFLOP/s** of geoae training at batch 4096: 6 x (multiply-adds of the linear layers)
   per row (forward 2, backward 4) x rows / loop time, against the machine's measured float32
   matmul GFLOP/s (``torch.mm`` of 4096 x 4096, median of 5) with the same threads. Also for a
   wide network (256 features, hidden (1024, 512)), where matrix products dominate, and the
   ceiling for the issue network: its training matrix products alone (the forward, grad-input
   and grad-weight ``torch.mm`` of every layer, at the same shapes, into preallocated outputs;
   no activations, loss or optimizer), whose rate bounds what any training loop can reach.
3. **Inference** ``reconstruction_error`` on 5,000,000 x 32 rows (``--infer-rows``) in a fresh
   process: rows/s and the peak resident memory during the call above the resident memory just
   before it (the peak, ``VmHWM``, is reset through ``/proc/self/clear_refs`` before the call),
   against 1,000,000 rows: if memory is bounded by the chunk, the extra peak is the output plus
   a constant, not a multiple of the input.
4. **Scaling**: one-epoch fit time for 1e4, 1e5, 1e6 rows (32 features) and for 8, 32, 128, 512
   features (100,000 rows).

5. **CUDA** (when a GPU is present; ``--cuda-only`` runs this section alone): fit throughput at
   batch 1024 and 4096 with ``precision="32"`` / ``"auto"`` and with and without
   ``compile=True``, against the raw loop with the data already on the GPU (fused AdamW), and
   the achieved GFLOP/s against the GPU's float32 matmul rate.

Threads: torch's default (all cores) unless ``--threads``.

Run: ``python benchmarks/bench_performance.py`` (about 10 minutes on 2 cores; needs ``pip install
pyod``, else its row is skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import geoae  # noqa: E402
from bench_training import _LoopTimer, cpu_name, geoae_fit, make_data, raw_fit  # noqa: E402
from geoae import AutoEncoder  # noqa: E402


def matmul_gflops(n: int = 4096, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times) / 1e9


LAYERS_SMALL = lambda d: [(d, 64), (64, 32), (32, 8), (8, 32), (32, 64), (64, d)]  # noqa: E731
MACS_SMALL = lambda d: sum(i * o for i, o in LAYERS_SMALL(d))  # noqa: E731


def gemm_ceiling(d: int, batch: int = 4096, steps: int = 200) -> float:
    """GFLOP/s of the issue network's training matrix products alone (median of 5 timings)."""
    mats = []
    for fan_in, fan_out in LAYERS_SMALL(d):
        x, w, g = torch.randn(batch, fan_in), torch.randn(fan_out, fan_in), torch.randn(batch, fan_out)
        mats.append((x, w, g, torch.empty(batch, fan_out), torch.empty(batch, fan_in),
                     torch.empty(fan_out, fan_in)))

    def step():
        for x, w, g, y, gx, gw in mats:
            torch.mm(x, w.t(), out=y)  # forward
            torch.mm(g, w, out=gx)  # gradient of the input
            torch.mm(g.t(), x, out=gw)  # gradient of the weight

    step()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(time.perf_counter() - t0)
    return 6 * MACS_SMALL(d) * batch * steps / statistics.median(times) / 1e9


def pyod_fit(X: np.ndarray, epochs: int, batch_size: int) -> float | None:
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyodAE
    except ImportError as exc:  # pyod, or one of its own dependencies (tqdm)
        print(f"PyOD skipped: {exc}", file=sys.stderr)
        return None
    model = PyodAE(hidden_neuron_list=[64, 32, 8], hidden_activation_name="relu", batch_norm=False,
                   dropout_rate=0.0, epoch_num=epochs, batch_size=batch_size, lr=1e-3,
                   optimizer_params={"weight_decay": 0.0}, preprocessing=True, device="cpu",
                   random_state=0, verbose=0)
    t0 = time.perf_counter()
    model.fit(X.astype(np.float32))
    return time.perf_counter() - t0


def wide_gflops(rows: int, epochs: int) -> tuple[float, float]:
    """(achieved GFLOP/s, loop seconds) of a 256-1024-512-16-512-1024-256 AE at batch 4096."""
    d, hidden, latent = 256, (1024, 512), 16
    X = make_data(rows, d, rank=8, seed=1)
    est = AutoEncoder(latent_dim=latent, hidden=hidden, epochs=epochs, batch_size=4096,
                      validation_fraction=0.0, patience=epochs + 1, device="cpu", random_state=0)
    with _LoopTimer() as lt:  # times fit_module alone, as bench_training does
        est.fit(X)
    spent = lt.last[0]
    macs = d * 1024 + 1024 * 512 + 512 * latent + latent * 512 + 512 * 1024 + 1024 * d
    return 6 * macs * rows * epochs / spent / 1e9, spent


INFER_CHILD = r"""
import json, sys, time
import numpy as np, torch
from geoae import AutoEncoder
rows, threads = int(sys.argv[1]), int(sys.argv[2])
if threads:
    torch.set_num_threads(threads)
rng = np.random.default_rng(0)
est = AutoEncoder(latent_dim=8, hidden=(64, 32), epochs=1, device="cpu", random_state=0).fit(
    rng.normal(size=(20000, 32)))
X = np.empty((rows, 32))
for i in range(0, rows, 500000):
    X[i:i + 500000] = rng.normal(size=X[i:i + 500000].shape)
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key))
with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
    fh.write("5")
before = status("VmRSS:")
t0 = time.perf_counter()
err = est.reconstruction_error(X)
wall = time.perf_counter() - t0
after = status("VmHWM:")
print(json.dumps({"rows": rows, "wall": wall, "input_mb": X.nbytes / 2**20,
                  "output_mb": err.nbytes / 2**20, "extra_peak_mb": (after - before) / 1024}))
"""


def inference(rows: int, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", INFER_CHILD, str(rows), str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cuda_report(X: np.ndarray, epochs: int, repeats: int) -> None:
    """Section 5: the fit-throughput table on the GPU (geoae with and without mixed precision
    and torch.compile, against the raw loop with the data on the GPU), and the achieved GFLOP/s
    against the GPU's float32 matmul rate."""
    rows, d = X.shape
    samples = rows * epochs
    Xt = torch.from_numpy(((X - X.mean(0)) / X.std(0)).astype(np.float32)).cuda()
    print(f"\n5. CUDA: {torch.cuda.get_device_name()} (samples/s, median of {repeats}; training "
          "loops timed alone, the data already on the GPU for both)\n")
    print("| batch | geoae 32 | geoae auto (bf16) | geoae 32 + compile | geoae auto + compile "
          "| raw loop fp32 (fused AdamW) | geoae 32 / raw | paired geoae 32 / raw (range) |")
    print("|---|---|---|---|---|---|---|---|")
    configs = (("32", False), ("auto", False), ("32", True), ("auto", True))
    achieved = {}
    whole_lines: list[str] = []
    for bs in (1024, 4096):
        whole: dict = {c: [] for c in configs}  # the whole fit(): scaling, copy to the GPU, loop

        def geoae_run(precision, comp, seed, rows=X, bs=bs, whole=whole):
            est = AutoEncoder(latent_dim=8, hidden=(64, 32), activation="relu", loss="mse",
                              scaler="standard", learning_rate=1e-3, weight_decay=0.0,
                              epochs=epochs if rows is X else 1, batch_size=bs,
                              validation_fraction=0.0, patience=epochs + 1, device="cuda",
                              precision=precision, compile=comp, random_state=seed)
            t0 = time.perf_counter()
            with _LoopTimer() as lt:
                est.fit(rows)
            whole[precision, comp].append(time.perf_counter() - t0)
            return lt.last[0]

        for precision, comp in configs:  # warm-up (and compilation) on a slice, not timed
            geoae_run(precision, comp, 0, X[:16384])
            whole[precision, comp].clear()
        raw_fit(Xt[:16384], 1, bs, 0, fused=True)
        # the runs alternate, their order reversed every other repeat, so that a slow spell of
        # the shared machine hits every column alike; the ratio is also taken per repeat
        times: dict = {c: [] for c in (*configs, "raw")}
        for rep in range(repeats):
            order = list(times) if rep % 2 == 0 else list(times)[::-1]
            for c in order:
                times[c].append(raw_fit(Xt, epochs, bs, rep, fused=True)[0] if c == "raw"
                                else geoae_run(*c, rep))
        rates = {c: samples / statistics.median(t) for c, t in times.items()}
        paired = [r / g for r, g in zip(times["raw"], times["32", False], strict=True)]
        raw = rates.pop("raw")
        achieved[bs] = rates["32", False]
        print(f"| {bs} | " + " | ".join(f"{r:,.0f}" for r in rates.values())
              + f" | {raw:,.0f} | {rates['32', False] / raw:.2f} | {statistics.median(paired):.2f} "
              f"({min(paired):.2f}-{max(paired):.2f}) |", flush=True)
        fit_paired = [r / w for r, w in zip(times["raw"], whole["32", False], strict=True)]
        whole_lines.append(f"| {bs} | {samples / statistics.median(whole['32', False]):,.0f} | "
                           f"{raw:,.0f} | {statistics.median(fit_paired):.2f} "
                           f"({min(fit_paired):.2f}-{max(fit_paired):.2f}) |")
    print("\nThe whole geoae fit() (checks, scaling, the copy to the GPU and the loop) against the "
          "raw loop on data already on the GPU (samples/s; paired per repeat)\n")
    print("| batch | geoae 32 whole fit() | raw loop fp32 | paired fit() / raw (range) |")
    print("|---|---|---|---|")
    print("\n".join(whole_lines), flush=True)
    # a network big enough for the GPU: 256-1024-512-16, where mixed precision and compilation
    # can pay (warm-up on the same rows, so that the timed fit reuses the compiled graphs)
    Xw = make_data(rows, 256, rank=8, seed=1)
    print("\nWide network 256-1024-512-16 (samples/s at batch 4096, warm-up fit on the same rows)\n")
    print("| geoae 32 | geoae auto (bf16) | geoae 32 + compile | geoae auto + compile |")
    print("|---|---|---|---|")
    wide = []
    for precision, comp in (("32", False), ("auto", False), ("32", True), ("auto", True)):
        params = dict(latent_dim=16, hidden=(1024, 512), epochs=epochs, batch_size=4096,
                      validation_fraction=0.0, patience=epochs + 1, device="cuda",
                      precision=precision, compile=comp, random_state=0)
        AutoEncoder(**{**params, "epochs": 1}).fit(Xw)
        with _LoopTimer() as lt:
            AutoEncoder(**params).fit(Xw)
        wide.append(samples / lt.last[0])
    print("| " + " | ".join(f"{r:,.0f}" for r in wide) + " |", flush=True)
    a, b = torch.randn(8192, 8192, device="cuda"), torch.randn(8192, 8192, device="cuda")
    torch.mm(a, b)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        torch.mm(a, b)
    torch.cuda.synchronize()
    peak = 2 * 8192**3 * 10 / (time.perf_counter() - t0) / 1e9
    gf = 6 * MACS_SMALL(d) * achieved[4096] / 1e9
    print(f"\nGPU float32 matmul (8192^3, TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}): "
          f"{peak:,.0f} GFLOP/s; geoae float32 training at batch 4096: {gf:,.1f} GFLOP/s "
          f"({gf / peak:.2%}) -- a 32-64-32-8 network is far too small to fill this GPU.")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--infer-rows", type=int, default=5_000_000)
    p.add_argument("--cuda-only", action="store_true", help="only section 5 (needs a CUDA GPU)")
    p.add_argument("--only-fit", action="store_true", help="only section 1 (fit throughput)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"geoae {geoae.__version__} | torch {torch.__version__} | CPU {cpu_name()} | "
          f"{os.cpu_count()} cores | torch threads {torch.get_num_threads()}")
    d = 32
    X = make_data(args.rows, d, rank=4, seed=0)
    Xt = torch.from_numpy(((X - X.mean(0)) / X.std(0)).astype(np.float32))
    samples = args.rows * args.epochs
    if args.cuda_only:
        if not torch.cuda.is_available():
            raise SystemExit("--cuda-only: no CUDA device here")
        cuda_report(X, args.epochs, args.repeats)
        return
    geoae_fit(X[:16384], 1, 256, 0)
    raw_fit(Xt[:16384], 1, 256, 0)
    med = statistics.median

    print("\n1. Fit throughput (samples/s; median of repeats)\n")
    have_pyod = pyod_fit(X[:4096], 1, 256) is not None  # also the warm-up
    print("| batch | geoae fit() | raw loop (default AdamW) | raw loop (fused AdamW) | PyOD AutoEncoder "
          "| geoae / raw default | geoae / raw fused | geoae / PyOD | paired geoae / PyOD (range) |")
    print("|---|---|---|---|---|---|---|---|---|")
    loops = {}
    for bs in (256, 4096):
        # every run alternates with the others, the order reversed every other repeat, so that a
        # slow spell of the shared machine hits all columns alike; PyOD's ratio is also taken
        # per repeat
        times: dict[str, list[float]] = {"g": [], "r": [], "f": [], "p": []}
        loop = []
        for rep in range(args.repeats):
            order = ("g", "r", "f", "p") if rep % 2 == 0 else ("p", "f", "r", "g")
            for which in order:
                if which == "g":
                    (w, _), (lw, _) = geoae_fit(X, args.epochs, bs, rep)
                    times["g"].append(w)
                    loop.append(lw)
                elif which == "r":
                    times["r"].append(raw_fit(Xt, args.epochs, bs, rep)[0])
                elif which == "f":
                    times["f"].append(raw_fit(Xt, args.epochs, bs, rep, fused=True)[0])
                elif have_pyod:
                    times["p"].append(pyod_fit(X, args.epochs, bs))
        loops[bs] = med(loop)
        gs, rs, rfs = (samples / med(times[k]) for k in "grf")
        pys = samples / med(times["p"]) if have_pyod else float("nan")
        paired = [p / g for p, g in zip(times["p"], times["g"], strict=False)] or [float("nan")]
        print(f"| {bs} | {gs:,.0f} | {rs:,.0f} | {rfs:,.0f} | {pys:,.0f} | {gs / rs:.2f} | "
              f"{gs / rfs:.2f} | {gs / pys:.1f} | {med(paired):.1f} ({min(paired):.1f}-"
              f"{max(paired):.1f}) |", flush=True)
    if args.only_fit:
        return

    print("\n2. Achieved training GFLOP/s at batch 4096 vs float32 matmul\n")
    peak = matmul_gflops()
    small = 6 * MACS_SMALL(d) * samples / loops[4096] / 1e9
    wide, _ = wide_gflops(min(args.rows, 100_000), 1)
    ceiling = gemm_ceiling(d)
    print("| network | achieved GFLOP/s | matmul GFLOP/s | fraction |")
    print("|---|---|---|---|")
    print(f"| 32-64-32-8 (issue network) | {small:.1f} | {peak:.1f} | {small / peak:.0%} |")
    print(f"| 32-64-32-8, its matrix products alone (ceiling) | {ceiling:.1f} | {peak:.1f} | "
          f"{ceiling / peak:.0%} |")
    print(f"| 256-1024-512-16 (wide) | {wide:.1f} | {peak:.1f} | {wide / peak:.0%} |", flush=True)

    print("\n3. Inference: reconstruction_error, 32 features, fresh process\n")
    print("| rows | rows/s | input (MiB) | output (MiB) | extra peak RSS above input (MiB) |")
    print("|---|---|---|---|---|")
    for rows in (1_000_000, args.infer_rows):
        res = inference(rows, args.threads)
        print(f"| {rows:,} | {rows / res['wall']:,.0f} | {res['input_mb']:,.0f} | "
              f"{res['output_mb']:,.0f} | {res['extra_peak_mb']:,.0f} |", flush=True)

    print("\n4. Scaling: one-epoch fit() time (batch 256)\n")
    print("| rows | features | seconds | microseconds per row |")
    print("|---|---|---|---|")
    for rows, feats in [(10_000, 32), (100_000, 32), (1_000_000, 32),
                        (100_000, 8), (100_000, 128), (100_000, 512)]:
        Xs = make_data(rows, feats, rank=4, seed=2)
        with warnings.catch_warnings():  # the same network throughout: latent 8 of 8 features too
            warnings.filterwarnings("ignore", message="the latent dimension")
            (w, _), _ = geoae_fit(Xs, 1, 256, 0)
        print(f"| {rows:,} | {feats} | {w:.2f} | {1e6 * w / rows:.1f} |", flush=True)

    if torch.cuda.is_available():
        cuda_report(X, args.epochs, args.repeats)

if __name__ == "__main__":
    main()
