"""Is the VAE imputer's standard deviation honest? Coverage of its bands on real data (issue #4).

Kansas facies logs (:func:`geoae.datasets.load_kansas_facies`), leave one well out as in
``bench_imputation.py``: for every well that has PE, that well's PE is hidden entirely and an
``Imputer(model="vae", context=3)`` is fitted on the other wells (GR, ILD_log10, DeltaPHI,
PHIND, NM_M, RELPOS, PE). ``transform(..., return_std=True)`` gives each filled PE value and
its standard deviation; the script reports, per well and pooled:

* RMSE of the fill and the median standard deviation (b/e);
* the share of true values inside mean +- 1, 1.645 and 2 standard deviations (a Gaussian
  band holds 68.3 %, 90 % and 95.4 %);
* the RMS of the z-scores (error / std; 1 when the std is right on average);
* the Spearman correlation between the std and the absolute error (does a wider band go with
  a larger error?).

Run: ``python benchmarks/bench_imputation_std.py`` (about 3 minutes on one thread);
``--seed`` changes the imputer's seed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

from geoae.applications import Imputer
from geoae.datasets import load_kansas_facies

KANSAS = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "NM_M", "RELPOS", "PE"]
BANDS = (1.0, 1.645, 2.0)


def summary(err: np.ndarray, std: np.ndarray) -> dict[str, float]:
    z = err / std
    row = {"rmse": float(np.sqrt(np.mean(err ** 2))), "median std": float(np.median(std))}
    for b in BANDS:
        row[f"in {b:g} std"] = float(np.mean(np.abs(z) <= b))
    row["z rms"] = float(np.sqrt(np.mean(z ** 2)))
    row["spearman"] = float(spearmanr(std, np.abs(err)).statistic)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    df = load_kansas_facies()
    wells = [w for w in df["WELL"].unique() if df.loc[df["WELL"] == w, "PE"].notna().any()]
    rows, errs, stds = [], [], []
    for w in wells:
        t0 = time.time()
        train = df[df["WELL"] != w]
        test = df[(df["WELL"] == w) & df["PE"].notna()]
        imp = Imputer(model="vae", context=3, random_state=args.seed)
        imp.fit(train[["WELL", "DEPTH", *KANSAS]])
        filled, std = imp.transform(test.assign(PE=np.nan)[["WELL", "DEPTH", *KANSAS]],
                                    return_std=True)
        err = filled["PE"].to_numpy() - test["PE"].to_numpy()
        s = std["PE"].to_numpy()
        errs.append(err)
        stds.append(s)
        rows.append((w, summary(err, s)))
        print(f"  {w}: {time.time() - t0:.0f} s", flush=True)
    rows.append(("pooled", summary(np.concatenate(errs), np.concatenate(stds))))
    keys = list(rows[0][1])
    print("| well | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for w, r in rows:
        print(f"| {w} | " + " | ".join(f"{r[k]:.3f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
