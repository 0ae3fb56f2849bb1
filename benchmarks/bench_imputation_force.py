"""PE imputation on FORCE 2020 wells: an independent check of the Kansas imputation benchmark.

``benchmarks/bench_imputation.py`` chose the ``Imputer`` settings (``context=3``,
``n_ensemble=3``, ``knn_blend=0.5``, the network size) on the same 8 Kansas folds it reports.
This script repeats its method, unchanged, on data never used for tuning.

Data: the five FORCE 2020 (Norwegian North Sea) training wells in
``../shared/data/force2020-wells/`` beside the repository (``--data``), read with
:func:`geoae.io.read_wells` (LAS,
null -999.25, DEPT as depth, curve names harmonised: RDEP -> RT, DTC -> DT, PEF -> PE). Curves:
GR, log10(RDEP), RHOB, NPHI, DTC and PE (b/e). PE is present in 32/2-1, 31/2-7 (13 % of rows),
31/2-9 and 25/8-7, absent in 31/6-8. Depth is not a feature: Kansas' RELPOS is the relative
position inside a formation, which these files do not give (raw depth would tie the answer to
where each well happens to be drilled); DEPTH only orders the ``context`` neighbours, as in
Kansas. Every ``--step``-th depth sample of each well is kept (default 4: 0.61 m spacing, about
10,800 rows; ``--step 1`` keeps all 43,000) to fit the time budget. The frame handed to every
method is a plain one (``attrs`` cleared, as the Kansas frame has none), so all methods see the
same values: the Imputer's physical-range screening, which needs recorded units, is off, as in
Kansas (``--physical-range`` keeps the units and turns it on for geoae only).

Method (as bench_imputation.py's Kansas part): leave one well out over every well with PE. The
held-out well's PE is hidden entirely; every imputer is fitted on the other 4 wells (31/6-8
included, without PE, as Kansas includes wells without PE), then fills the held-out well's PE
from its other curves on the rows where the true PE is present (only those rows are passed, as
in Kansas). RMSE (b/e) and R^2 per well; the mean over wells (unweighted, the Kansas verdict)
and the pooled value over all scored rows. PE holds readings far outside the formation range
(up to 298 b/e in 31/2-7 and 198 in 31/2-9, barite-mud and bad-hole effects): the first table
scores every row with PE, a second one (same fits) only rows with true PE in 0-10 b/e.
``--pe-max`` optionally hides training PE above a bound for every method.

Baselines: ``IterativeImputer()`` (defaults) and ``KNNImputer(n_neighbors=5)`` on the raw
curves, the two named in issue #4, plus KNN(5) on standardised curves as an extra. geoae: one
``Imputer`` per fold, ``Imputer(model=DenoisingAutoEncoder(hidden=(128, 64), latent_dim=16,
epochs=200, patience=20, batch_size=256, learning_rate=2e-3, weight_decay=1e-4,
validation_fraction=0.15), context=3, n_ensemble=3, random_state=0)`` (the configuration of
``python benchmarks/bench_imputation.py --context 3``); the geoae columns come from the same
fitted networks with ``knn_blend`` 0, 0.25 and 0.5 (the default).

Run: ``python benchmarks/bench_imputation_force.py`` (``--step 4 --context 3``; 209 s wall on
one torch thread of a shared, loaded 2-core machine; ``--pe-max 10``: 159 s); ``--quick`` for a
smoke run.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_imputation import (  # noqa: E402
    add_imputer_args,
    baselines,
    fills,
    fit_geoae,
    metrics,
    well_rows,
)
from geoae.io import read_wells  # noqa: E402

DATA = str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "force2020-wells")
CURVES = ["GR", "RDEP_log10", "RHOB", "NPHI", "DTC", "PE"]
PE_RANGE = (0.0, 10.0)  # geoae's physical range of PE (b/e); the second table scores inside it


def load(args):
    """The FORCE wells as one frame: WELL, DEPTH and CURVES, every ``args.step``-th sample."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GR/SGR both map to GR: GR is kept, as wanted
        raw = read_wells(args.data)
    units = dict(raw.attrs.get("units", {}))
    with np.errstate(invalid="ignore", divide="ignore"):
        rdep = np.log10(raw["RT"].where(raw["RT"] > 0))
    df = raw[["WELL", "DEPTH"]].assign(GR=raw["GR"], RDEP_log10=rdep, RHOB=raw["RHOB"],
                                       NPHI=raw["NPHI"], DTC=raw["DT"], PE=raw["PE"])
    df = df[df.groupby("WELL").cumcount() % args.step == 0].reset_index(drop=True)
    df.attrs = {}
    if args.physical_range:  # units as recorded, so that the Imputer screens PE (geoae only)
        df.attrs = {"units": {"GR": units.get("GR"), "RHOB": units.get("RHOB"),
                              "NPHI": units.get("NPHI"), "DTC": units.get("DT"),
                              "PE": units.get("PE")}}
    return df


def force(args):
    """Per held-out well: ``{"well", "true", method: predicted PE}`` on the rows with PE."""
    df = load(args)
    counts = df.groupby("WELL").agg(n=("PE", "size"), pe=("PE", "count"))
    print(f"rows after --step {args.step}: {len(df)}; "
          + ", ".join(f"{w} {r.n} (PE {r.pe})" for w, r in counts.iterrows()), flush=True)
    wells = [w for w in df["WELL"].unique() if df.loc[df["WELL"] == w, "PE"].notna().any()]
    if args.quick:
        wells = wells[:2]
    j = CURVES.index("PE")
    out = []
    for w in wells:
        t0 = time.time()
        train = df[df["WELL"] != w]
        if args.pe_max is not None:
            train = train.assign(PE=train["PE"].where(train["PE"] <= args.pe_max))
        test = df[df["WELL"] == w]
        test = test[test["PE"].notna()]
        hidden = test.assign(PE=np.nan)
        res = {"well": w, "true": test["PE"].to_numpy()}
        for name, make in baselines().items():
            est = make().fit(train[CURVES].to_numpy())
            res[name] = est.transform(hidden[CURVES].to_numpy())[:, j]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for name, pred in fills(fit_geoae(args, train, CURVES), args, hidden, CURVES).items():
                res[name] = pred[:, j]
        out.append(res)
        print(f"  {w}: {time.time() - t0:.0f} s  " + "  ".join(
            f"{k} {metrics(v, res['true'])[0]:.3f}" for k, v in res.items()
            if k not in ("well", "true")), flush=True)
    return out


def table(results, keep=None):
    """Markdown table: per well, the unweighted mean over wells and the pooled value over rows;
    ``keep(true) -> bool mask`` restricts the scored rows."""
    methods = [k for k in results[0] if k not in ("well", "true")]
    rows, pooled = [], {m: [] for m in methods + ["true"]}
    for res in results:
        m_ = np.ones(len(res["true"]), bool) if keep is None else keep(res["true"])
        row = {"well": res["well"], "n": int(m_.sum())}
        for m in methods:
            row[m] = metrics(res[m][m_], res["true"][m_])
            pooled[m].append(res[m][m_])
        pooled["true"].append(res["true"][m_])
        rows.append(row)
    true = np.concatenate(pooled["true"])
    pool = {m: metrics(np.concatenate(pooled[m]), true) for m in methods}
    lines, means, _ = well_rows(rows, methods, "", 5, f"mean ({len(rows)} wells)")
    lines.append(f"| {'pooled (rows)':<18} | {len(true):>5} | "
                 + " | ".join(f"{pool[m][0]:.3f} / {pool[m][1]:.2f}" for m in methods) + " |")
    named = min(means["IterativeImputer"], means["KNN(5) raw"])
    named_p = min(pool["IterativeImputer"][0], pool["KNN(5) raw"][0])
    lines.append("")
    for m in methods:
        if m.startswith("geoae"):
            lines.append(
                f"{m}: mean RMSE / better named baseline (IterativeImputer, KNN(5) raw) = "
                f"{means[m] / named:.3f}; / KNN(5) scaled = {means[m] / means['KNN(5) scaled']:.3f}"
                f"  (pooled: {pool[m][0] / named_p:.3f}; "
                f"{pool[m][0] / pool['KNN(5) scaled'][0]:.3f})")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=DATA, help="folder of the FORCE 2020 LAS files")
    p.add_argument("--step", type=int, default=4, help="keep every STEP-th depth sample per well")
    add_imputer_args(p)
    p.add_argument("--pe-max", type=float, default=None,
                   help="hide training PE above this (b/e) for every method (default: keep all)")
    p.add_argument("--physical-range", action="store_true",
                   help="keep the recorded units so that the Imputer screens PE to 0-10 b/e")
    args = p.parse_args()
    if args.step < 1:
        p.error("--step must be >= 1")
    if args.quick:
        args.epochs = min(args.epochs, 30)
    torch.set_num_threads(args.threads)
    print(f"settings: {vars(args)}")
    t0 = time.time()
    results = force(args)
    print("\nFORCE 2020, PE hidden in one well at a time (leave-one-well-out), PE in b/e; "
          "all rows with PE")
    print(table(results))
    print(f"\nSame fits, only rows with true PE in {PE_RANGE[0]:g}-{PE_RANGE[1]:g} b/e")
    print(table(results, lambda t: (t >= PE_RANGE[0]) & (t <= PE_RANGE[1])))
    print(f"\ntotal {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
