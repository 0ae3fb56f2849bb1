"""The Imputer on many rows: peak memory and time with a depth context, and its kNN part.

With ``context=k`` the Imputer's network sees each row's window of ``2k+1`` depth samples. It
used to gather the windows of the whole data, ``(n, 2k+1, d)``, before training (and a copy of
the training rows' windows on top); it now gathers them a mini-batch at a time from the curves
and an index of neighbours (eighteenth session). This script fits and fills ``--wells`` wells
of ``--rows`` samples of 6 curves (10 % of the values missing) with ``context=--context``, a
small network, ``--epochs`` epochs and one member, each run in its own process, and prints the
peak resident memory above the process's size before the fit (the data included), with the
seconds of ``fit`` and ``transform``. With ``--compare SRC`` (the ``src`` folder of another
geoae checkout, e.g. ``git worktree add /tmp/old <commit>``) that code runs too, alternated.

The kNN part (``--knn``): :func:`geoae.applications.imputation.knn_fill` against
scikit-learn's ``KNNImputer.transform`` on the same fitted imputer, alternated over
``--repeats``, the fills compared, in three cases: ``--knn-rows`` rows of 5 curves to fill
(the last curve missing, 5 % of another) against 5,000 references (30 % of them without the
last curve, 2 % without another); 8 curves with 30 % missing at random; 20 curves in 40 wells
each without 30 % of them.

Run: ``python benchmarks/bench_imputer_scale.py --wells 1000 --rows 1000 --context 8
[--compare /tmp/old/src]`` (about a minute per run on 2 cores);
``python benchmarks/bench_imputer_scale.py --knn --repeats 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd, torch
warnings.simplefilter("ignore")
torch.set_num_threads(1)
from geoae.applications import Imputer
from geoae.models import DenoisingAutoEncoder
wells, rows, context, epochs = (int(a) for a in sys.argv[1:5])
rng = np.random.default_rng(0)
X = rng.normal(size=(wells * rows, 6)).cumsum(0) * 0.01
X[rng.random(X.shape) < 0.1] = np.nan
frame = pd.DataFrame(X, columns=[f"C{i}" for i in range(6)])
frame.insert(0, "DEPTH", np.tile(np.arange(rows) * 0.5, wells))
frame.insert(0, "WELL", np.repeat([f"W{i}" for i in range(wells)], rows))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
net = DenoisingAutoEncoder(hidden=(64,), latent_dim=8, epochs=epochs, batch_size=256)
start = time.perf_counter()
imp = Imputer(model=net, context=context, n_ensemble=1, knn_blend=0, random_state=0).fit(frame)
fitted = time.perf_counter()
imp.transform(frame)
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"fit": fitted - start, "transform": done - fitted, "extra": peak - before}))
"""


def run(src: Path, args: list[int]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _scenarios(rows: int):
    """(name, references, rows to fill) of the kNN part's three cases."""
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(5000, 5))
    ref[rng.random(5000) < 0.3, 4] = np.nan
    ref[rng.random(5000) < 0.02, 1] = np.nan
    X = rng.normal(size=(rows, 5))
    X[:, 4] = np.nan
    X[rng.random(rows) < 0.05, 2] = np.nan
    yield f"a curve missing over whole wells: {rows:,} rows x 5,000 references, 5 curves", ref, X
    A = rng.normal(size=(8, 3))

    def low_rank(n, share):
        Z = rng.normal(size=(n, 3)) @ A.T + 0.3 * rng.normal(size=(n, 8))
        Z[rng.random(Z.shape) < share] = np.nan
        return Z

    yield ("8 curves, 30 % missing at random (about 250 patterns): 5,000 rows x 2,000 "
           "references", low_rank(2000, 0.3), low_rank(5000, 0.3))
    B = rng.normal(size=(20, 3))

    def wells(n):  # 40 wells, each without 30 % of the 20 curves, and 0.5 % missing at random
        Z = rng.normal(size=(n, 3)) @ B.T + 0.3 * rng.normal(size=(n, 20))
        w = rng.integers(0, 40, n)
        Z[(rng.random((40, 20)) < 0.3)[w]] = np.nan
        Z[rng.random(Z.shape) < 0.005] = np.nan
        return Z

    yield ("20 curves, 40 wells each without 30 % of them: 2,000 rows x 5,000 references",
           wells(5000), wells(2000))


def knn(rows: int, repeats: int) -> None:
    from sklearn import config_context
    from sklearn.impute import KNNImputer

    from geoae.applications.imputation import knn_fill

    print("| case | repeat | knn_fill (s) | KNNImputer.transform (s) | ratio | largest difference |")
    print("|---|---|---|---|---|---|")
    for name, ref, X in _scenarios(rows):
        imputer = KNNImputer(n_neighbors=5, keep_empty_features=True).fit(ref)
        for r in range(repeats):
            start = time.perf_counter()
            fast = knn_fill(imputer, X)
            mid = time.perf_counter()
            with config_context(working_memory=256):  # as the Imputer called it
                slow = imputer.transform(X)
            end = time.perf_counter()
            print(f"| {name} | {r + 1} | {mid - start:.2f} | {end - mid:.2f} | "
                  f"{(end - mid) / (mid - start):.1f}x | {np.nanmax(np.abs(fast - slow)):.1e} |",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wells", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--context", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compare", type=Path, default=None,
                        help="src folder of another geoae checkout, run alternated with this one")
    parser.add_argument("--knn", action="store_true", help="time the kNN part instead")
    parser.add_argument("--knn-rows", type=int, default=50_000)
    opts = parser.parse_args()
    if opts.knn:
        knn(opts.knn_rows, opts.repeats)
        return
    args = [opts.wells, opts.rows, opts.context, opts.epochs]
    n = opts.wells * opts.rows
    print(f"{n:,} rows x 6 curves, context {opts.context}: the windows of the whole data would be "
          f"{n * (2 * opts.context + 1) * 6 * 5 / 2**20:,.0f} MiB (float32 values and bool mask)")
    sources = [("this", SRC)] + ([("compared", opts.compare)] if opts.compare else [])
    print("| code | fit (s) | transform (s) | extra peak RSS (MiB) |")
    print("|---|---|---|---|")
    for _ in range(opts.repeats):
        for name, src in sources:
            r = run(src, args)
            print(f"| {name} | {r['fit']:.1f} | {r['transform']:.1f} | {r['extra']:,.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
