"""Imputation of missing log curves: geoae ``Imputer`` against scikit-learn imputers (issue #4).

Real data (Kansas, :func:`geoae.datasets.load_kansas_facies`): leave one well out. For every
well that has PE, that well's PE is hidden entirely (as if the tool was never run) and the
imputers are fitted on the *other* wells only (features GR, ILD_log10, DeltaPHI, PHIND, NM_M,
RELPOS and PE; no Facies), then asked to fill the held-out well's PE from its other curves.
RMSE (b/e) and R^2 are computed on the held-out well's true PE values.

Synthetic data (:func:`geoae.datasets.make_synthetic_wells`, no faults, noise on): the imputers
are fitted on 4 wells; in 2 other wells DT, then RHOB, is hidden over the whole well.

Baselines: ``IterativeImputer()`` (defaults: BayesianRidge, chained equations),
``KNNImputer(n_neighbors=5)`` on the raw curves (as specified) and the same on standardised
curves (a stronger variant: KNN distances are otherwise dominated by GR in API units).

geoae: one ``Imputer`` per fold with the default network (hidden (128, 64), latent 16, up to 200
epochs) and ``n_ensemble=3``; the geoae columns are read from the same fitted networks with
``knn_blend`` 0 (networks alone), 0.25 and 0.5 (the default).

Run: ``python benchmarks/bench_imputation.py --context 3`` (Kansas about 10 minutes of CPU on
one thread, synthetic about 1); ``--quick`` for a smoke run; ``--only kansas|synthetic``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from sklearn.preprocessing import StandardScaler

from geoae import DenoisingAutoEncoder
from geoae.applications import Imputer
from geoae.datasets import load_kansas_facies, make_synthetic_wells

KANSAS = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "NM_M", "RELPOS", "PE"]
SYN = ["GR", "RHOB", "NPHI", "DT", "PE", "RT", "CALI"]


class _ScaledKNN:
    """KNNImputer(5) on standardised curves, answers in curve units."""

    def __init__(self):
        self.scaler = StandardScaler()
        self.knn = KNNImputer(n_neighbors=5)

    def fit(self, X):
        self.knn.fit(self.scaler.fit_transform(X))
        return self

    def transform(self, X):
        return self.scaler.inverse_transform(self.knn.transform(self.scaler.transform(X)))


def make_geoae(args, seed):
    net = DenoisingAutoEncoder(hidden=tuple(args.hidden), latent_dim=args.latent, epochs=args.epochs,
                               patience=args.patience, batch_size=args.batch_size,
                               learning_rate=args.lr, weight_decay=1e-4, validation_fraction=0.15)
    return Imputer(model=net, context=args.context, mask_rate=args.mask_rate,
                   curve_mask_rate=args.curve_mask_rate, context_dropout=args.context_dropout,
                   n_ensemble=args.ensemble, skip=args.skip,
                   random_state=seed)


def baselines():
    return {
        "IterativeImputer": lambda: IterativeImputer(random_state=0),
        "KNN(5) raw": lambda: KNNImputer(n_neighbors=5),
        "KNN(5) scaled": _ScaledKNN,
    }


def metrics(pred, true):
    rmse = float(np.sqrt(np.mean((pred - true) ** 2)))
    r2 = float(1 - np.sum((pred - true) ** 2) / np.sum((true - true.mean()) ** 2))
    return rmse, r2


def blends(args):
    return sorted({0.0, *args.blends})


def geoae_name(a):
    return "geoae Imputer" if a == 0 else f"geoae knn_blend={a:g}"


def fills(imp, args, test, cols):
    """The fitted imputer's fills for every knn_blend weight (the networks are shared)."""
    out = {}
    for a in blends(args):
        imp.set_params(knn_blend=a)
        out[geoae_name(a)] = imp.transform(test[["WELL", "DEPTH", *cols]])[cols].to_numpy()
    return out


def fit_geoae(args, train, cols):
    """One ``Imputer`` (``n_ensemble=args.ensemble`` networks) fitted on ``train``; its kNN part
    is fitted too (``knn_blend`` > 0) so that every blend weight can be read from one fit."""
    imp = make_geoae(args, 0).set_params(knn_blend=max(blends(args)) or 0.5)
    return imp.fit(train[["WELL", "DEPTH", *cols]])


def kansas(args):
    df = load_kansas_facies()
    wells = [w for w in df["WELL"].unique() if df.loc[df["WELL"] == w, "PE"].notna().any()]
    if args.quick:
        wells = wells[:2]
    rows = []
    j = KANSAS.index("PE")
    for w in wells:
        t0 = time.time()
        train = df[df["WELL"] != w]
        test = df[df["WELL"] == w]
        test = test[test["PE"].notna()]
        true = test["PE"].to_numpy()
        hidden = test.assign(PE=np.nan)
        row = {"well": w, "n": len(test)}
        for name, make in baselines().items():
            est = make().fit(train[KANSAS].to_numpy())
            row[name] = metrics(est.transform(hidden[KANSAS].to_numpy())[:, j], true)
        for name, pred in fills(fit_geoae(args, train, KANSAS), args, hidden, KANSAS).items():
            row[name] = metrics(pred[:, j], true)
        rows.append(row)
        print(f"  {w}: {time.time() - t0:.0f} s  " + "  ".join(
            f"{k} {v[0]:.3f}" for k, v in row.items() if isinstance(v, tuple)), flush=True)
    return rows


def synthetic(args):
    w = make_synthetic_wells(n_wells=6, n_samples=600 if args.quick else 1000, random_state=7,
                             faults=False)
    df = w.observed.copy()
    df["RT"] = np.log10(df["RT"])
    names = df["WELL"].unique()
    train, test = df[df["WELL"].isin(names[:4])], df[df["WELL"].isin(names[4:])]
    rows = []
    fitted = {name: make().fit(train[SYN].to_numpy()) for name, make in baselines().items()}
    geo = fit_geoae(args, train, SYN)
    for curve in ("DT", "RHOB"):
        j = SYN.index(curve)
        true = test[curve].to_numpy()
        hidden = test.assign(**{curve: np.nan})
        row = {"well": f"{curve} (2 wells)", "n": len(test)}
        for name, est in fitted.items():
            row[name] = metrics(est.transform(hidden[SYN].to_numpy())[:, j], true)
        for name, pred in fills(geo, args, hidden, SYN).items():
            row[name] = metrics(pred[:, j], true)
        rows.append(row)
    return rows


def well_rows(rows, methods, unit: str = "", n_width: int = 4, mean_label: str = "mean"):
    """``(markdown lines, mean RMSE, mean R²)``: a header, one line per case of ``rows``
    (``{"well", "n", method: (RMSE, R²)}``) and the unweighted mean over them; shared with
    ``bench_imputation_force.py``."""
    head = (f"| {'case':<18} | {'n':>{n_width}} | "
            + " | ".join(f"{m} RMSE{unit} / R²" for m in methods) + " |")
    lines = [head, "|" + "---|" * (2 + len(methods))]
    for r in rows:
        lines.append(f"| {r['well']:<18} | {r['n']:>{n_width}} | "
                     + " | ".join(f"{r[m][0]:.3f} / {r[m][1]:.2f}" for m in methods) + " |")
    means = {m: np.mean([r[m][0] for r in rows]) for m in methods}
    r2 = {m: np.mean([r[m][1] for r in rows]) for m in methods}
    lines.append(f"| {mean_label:<18} | {'':>{n_width}} | "
                 + " | ".join(f"**{means[m]:.3f}** / {r2[m]:.2f}" for m in methods) + " |")
    return lines, means, r2


def table(rows, unit):
    methods = [k for k in rows[0] if isinstance(rows[0][k], tuple)]
    lines, means, _ = well_rows(rows, methods, f" {unit}")
    named = min(means["IterativeImputer"], means["KNN(5) raw"])
    best = min(v for k, v in means.items() if not k.startswith("geoae"))
    lines.append("")
    for m in methods:
        if m.startswith("geoae"):
            lines.append(f"{m}: mean RMSE / better named baseline (IterativeImputer, KNN(5) raw) = "
                         f"{means[m] / named:.3f}; / best incl. KNN(5) scaled = {means[m] / best:.3f}")
    return "\n".join(lines)


def add_imputer_args(p):
    """The options of the method (the ``Imputer`` configuration, ``--quick``, ``--threads``),
    shared with ``bench_imputation_force.py``, which repeats it on other wells."""
    p.add_argument("--quick", action="store_true")
    p.add_argument("--context", type=int, default=3)
    p.add_argument("--ensemble", type=int, default=3, help="Imputer(n_ensemble=...)")
    p.add_argument("--blends", type=float, nargs="+", default=[0.25, 0.5],
                   help="knn_blend weights reported besides 0 (read from the same fitted networks)")
    p.add_argument("--context-dropout", type=float, default=0.0)
    p.add_argument("--skip", action="store_true", help="Imputer(skip=True)")
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 64])
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--patience", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--mask-rate", type=float, default=0.25)
    p.add_argument("--curve-mask-rate", type=float, default=0.15)
    p.add_argument("--threads", type=int, default=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_imputer_args(p)
    p.add_argument("--only", choices=["kansas", "synthetic"], default=None)
    args = p.parse_args()
    if args.quick:
        args.epochs = min(args.epochs, 30)
    torch.set_num_threads(args.threads)
    print(f"settings: {vars(args)}")
    t0 = time.time()
    if args.only in (None, "kansas"):
        print("\nKansas, PE hidden in one well at a time (leave-one-well-out), PE in b/e")
        print(table(kansas(args), "b/e"))
    if args.only in (None, "synthetic"):
        print("\nSynthetic wells, whole curve hidden in 2 held-out wells (DT us/ft, RHOB g/cm3)")
        print(table(synthetic(args), ""))
    print(f"\ntotal {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
