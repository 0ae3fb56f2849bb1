"""Feature extraction on real logs: facies RandomForest with and without auto-encoder codes.

Kansas facies (all 10 wells, 4,149 rows; PE missing in two wells is left as NaN, which
scikit-learn's RandomForest handles). Features: GR, ILD_log10, DeltaPHI, PHIND, PE, NM_M, RELPOS
("raw"). The encoder (dense AutoEncoder, latent 4, hidden (64, 32), elu) is pre-trained once on
all wells without labels (as the issue asks: unlabelled logs of every well are available),
through ``EncoderFeatures`` with a depth context of +-``context`` samples of the five log
curves. Leave-one-well-out: the RandomForest (300 trees, ``random_state=0``) is trained on nine
wells and scored on the tenth; macro-F1 is reported per well and averaged (and pooled over all
predictions). A third row gives the raw curves stacked with the same depth context (no
encoder), to separate what the context brings from what the encoder brings.

A second table repeats raw vs raw + latent when the RandomForest sees only a few labels (5 % and
1 % of the training wells' rows, 3 draws each): the setting where unsupervised pre-training is
expected to pay.

``--controls`` adds rows of unsupervised features made without any auto-encoder (rolling means
over +-4 and +-16 samples and their difference to the log, first differences, per-well
standardised logs, PCA of the raw logs and of +-8/+-16/+-32-sample windows), to tell whether
anything unsupervised helps this RandomForest. ``--max-features`` and ``--class-weight`` change
the RandomForest (for every row alike).

Run: ``python benchmarks/bench_features.py`` (about 4 minutes on one thread; ``--controls`` adds
about 6 minutes).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score

from geoae import AutoEncoder
from geoae.applications.features import ContextEncoder, EncoderFeatures, stack_context
from geoae.datasets import load_kansas_facies

LOGS = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]
GEO = ["NM_M", "RELPOS"]


RF_OPTIONS: dict = {}


def lowo_seeds(X, y, wells, seeds):
    """:func:`lowo` averaged over RandomForest seeds 0 .. seeds - 1 (per-well and pooled F1)."""
    runs = [lowo(X, y, wells, rf_seed=s) for s in range(seeds)]
    return ({w: np.mean([r[0][w] for r in runs]) for w in runs[0][0]},
            float(np.mean([r[1] for r in runs])))


def lowo(X, y, wells, fraction=1.0, seed=0, rf_seed=0):
    """Leave-one-well-out; with ``fraction < 1`` the RandomForest sees only that share of the
    training wells' labelled rows (drawn with ``seed``): the few-labels setting."""
    scores, pred_all = {}, np.empty_like(y)
    for w in np.unique(wells):
        test = wells == w
        train = np.flatnonzero(~test)
        if fraction < 1:
            rng = np.random.default_rng([seed, len(train)])
            train = np.sort(rng.choice(train, max(20, int(fraction * len(train))), replace=False))
        rf = RandomForestClassifier(n_estimators=300, random_state=rf_seed, n_jobs=1,
                                    **RF_OPTIONS)
        rf.fit(X[train], y[train])
        pred_all[test] = rf.predict(X[test])
        scores[w] = f1_score(y[test], pred_all[test], average="macro")
    return scores, f1_score(y, pred_all, average="macro")


def controls(frame, raw, wells) -> dict[str, np.ndarray]:
    """Unsupervised features without an auto-encoder, each stacked beside the raw logs."""
    logs = frame[LOGS]
    by_well = logs.groupby(frame["WELL"])
    z = ((logs - logs.mean()) / logs.std()).fillna(0.0).to_numpy()
    out = {}
    for k in (4, 16):
        mean = by_well.rolling(2 * k + 1, center=True, min_periods=1).mean()
        mean = mean.reset_index(level=0, drop=True).loc[logs.index]
        out[f"raw + rolling mean +-{k}"] = np.hstack([raw, mean.to_numpy()])
        out[f"raw + (rolling mean +-{k}) - log"] = np.hstack([raw, (mean - logs).to_numpy()])
    out["raw + first differences"] = np.hstack([raw, by_well.diff().to_numpy()])
    well_z = (logs - by_well.transform("mean")) / by_well.transform("std")
    out["raw + per-well standardised logs"] = np.hstack([raw, well_z.to_numpy()])
    out["raw + PCA(4) of the logs"] = np.hstack([raw, PCA(4, random_state=0).fit_transform(z)])
    for k in (8, 16, 32):
        pcs = PCA(4, random_state=0).fit_transform(stack_context(z, k, wells))
        out[f"raw + PCA(4) of +-{k} windows"] = np.hstack([raw, pcs])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--context", type=int, default=3)
    p.add_argument("--few", type=float, nargs="*", default=[0.05, 0.01],
                   help="label shares for the few-labels table (3 draws each)")
    p.add_argument("--controls", action="store_true",
                   help="add rows of unsupervised features made without an auto-encoder")
    p.add_argument("--max-features", default="sqrt",
                   help="RandomForest max_features: sqrt, log2, None or a fraction")
    p.add_argument("--class-weight", default=None, choices=[None, "balanced"])
    p.add_argument("--rf-seeds", type=int, default=1,
                   help="average the first table over this many RandomForest seeds")
    p.add_argument("--context-encoder", type=int, nargs="*", default=None, metavar="SEED",
                   help="add raw + ContextEncoder codes rows, one per encoder seed given "
                        "(default seeds 0 1 2 when the flag has none)")
    p.add_argument("--ce-context", type=int, default=8, help="ContextEncoder context (samples)")
    p.add_argument("--ce-latent", type=int, default=2, help="ContextEncoder latent_dim")
    p.add_argument("--skip-ae", action="store_true",
                   help="leave out the AE latent and stacked-context rows (and the few-labels "
                        "table's AE column becomes the first ContextEncoder's)")
    p.add_argument("--skip-raw", action="store_true",
                   help="leave out the raw-logs row (scored by a parallel run)")
    args = p.parse_args()
    mf = args.max_features
    RF_OPTIONS.update(max_features=None if mf == "None" else float(mf) if mf[0].isdigit() else mf,
                      class_weight=args.class_weight)
    torch.set_num_threads(1)
    frame = load_kansas_facies().sort_values(["WELL", "DEPTH"]).reset_index(drop=True)
    y, wells = frame["Facies"].to_numpy(), frame["WELL"].to_numpy()
    raw = frame[LOGS + GEO].to_numpy()
    rows = {} if args.skip_raw else {"raw logs": np.asarray(raw)}
    if not args.skip_ae:
        feats = EncoderFeatures(AutoEncoder(latent_dim=4, hidden=(64, 32), activation="elu",
                                            epochs=300, patience=30, batch_size=128, random_state=0),
                                context=args.context, passthrough=False).fit(frame[["WELL", *LOGS]])
        codes = feats.transform(frame[["WELL", *LOGS]])
        ctx = stack_context(frame[LOGS].to_numpy(), args.context, wells)
        rows[f"raw logs + AE latent (context +-{args.context})"] = np.hstack([raw, codes])
        rows[f"raw logs + stacked context +-{args.context} (no AE)"] = np.hstack([raw, ctx])
    if args.context_encoder is not None:
        for seed in args.context_encoder or [0, 1, 2]:
            ce = ContextEncoder(context=args.ce_context, latent_dim=args.ce_latent,
                                passthrough=False, random_state=seed).fit(frame[["WELL", *LOGS]])
            rows[f"raw logs + ContextEncoder (+-{args.ce_context}, latent {args.ce_latent}, seed "
                 f"{seed})"] = np.hstack([raw, ce.transform(frame[["WELL", *LOGS]])])
    if args.controls:
        rows.update(controls(frame, raw, wells))
    results = {name: lowo_seeds(X, y, wells, args.rf_seeds) for name, X in rows.items()}
    names = sorted(np.unique(wells))
    print(f"\nLeave-one-well-out macro-F1 (RandomForest, 300 trees, {RF_OPTIONS}, mean of "
          f"{args.rf_seeds} forest seed(s))")
    print("\n| features | mean over wells | pooled | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 3) + "|")
    for name, (per, pooled) in results.items():
        print(f"| {name} | {np.mean(list(per.values())):.3f} | {pooled:.3f} | "
              + " | ".join(f"{per[w]:.2f}" for w in names) + " |")
    if args.few and not args.skip_raw:  # the table compares raw logs with the next row
        print("\nFew labels: the RandomForest sees a random share of the nine training wells' "
              "labelled rows (the encoder is pre-trained on all logs, unlabelled); mean over wells "
              "of macro-F1, mean of 3 draws (per-draw values in brackets)")
        two = dict(list(rows.items())[:2])
        print(f"\n| labelled share | {' | '.join(two)} | difference |")
        print("|---|---|---|---|")
        for frac in args.few:
            means = {}
            for name, X in two.items():
                means[name] = [np.mean(list(lowo(X, y, wells, frac, seed)[0].values()))
                               for seed in range(3)]
            a, b = (means[k] for k in two)
            print(f"| {frac:.0%} | {np.mean(a):.3f} ({', '.join(f'{v:.3f}' for v in a)}) | "
                  f"{np.mean(b):.3f} ({', '.join(f'{v:.3f}' for v in b)}) | "
                  f"{np.mean(b) - np.mean(a):+.3f} |", flush=True)


if __name__ == "__main__":
    main()
