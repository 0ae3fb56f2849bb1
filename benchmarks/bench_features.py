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

Run: ``python benchmarks/bench_features.py`` (about 4 minutes on one thread).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score

from geoae import AutoEncoder
from geoae.applications.features import EncoderFeatures, stack_context
from geoae.datasets import load_kansas_facies

LOGS = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]
GEO = ["NM_M", "RELPOS"]


def lowo(X, y, wells, fraction=1.0, seed=0):
    """Leave-one-well-out; with ``fraction < 1`` the RandomForest sees only that share of the
    training wells' labelled rows (drawn with ``seed``): the few-labels setting."""
    scores, pred_all = {}, np.empty_like(y)
    for w in np.unique(wells):
        test = wells == w
        train = np.flatnonzero(~test)
        if fraction < 1:
            rng = np.random.default_rng([seed, len(train)])
            train = np.sort(rng.choice(train, max(20, int(fraction * len(train))), replace=False))
        rf = RandomForestClassifier(n_estimators=300, random_state=0, n_jobs=1)
        rf.fit(X[train], y[train])
        pred_all[test] = rf.predict(X[test])
        scores[w] = f1_score(y[test], pred_all[test], average="macro")
    return scores, f1_score(y, pred_all, average="macro")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--context", type=int, default=3)
    p.add_argument("--few", type=float, nargs="*", default=[0.05, 0.01],
                   help="label shares for the few-labels table (3 draws each)")
    args = p.parse_args()
    torch.set_num_threads(1)
    frame = load_kansas_facies().sort_values(["WELL", "DEPTH"]).reset_index(drop=True)
    y, wells = frame["Facies"].to_numpy(), frame["WELL"].to_numpy()
    raw = frame[LOGS + GEO].to_numpy()
    feats = EncoderFeatures(AutoEncoder(latent_dim=4, hidden=(64, 32), activation="elu", epochs=300,
                                        patience=30, batch_size=128, random_state=0),
                            context=args.context, passthrough=False).fit(frame[["WELL", *LOGS]])
    codes = feats.transform(frame[["WELL", *LOGS]])
    ctx = stack_context(frame[LOGS].to_numpy(), args.context, wells)
    rows = {
        "raw logs": np.asarray(raw),
        f"raw logs + AE latent (context +-{args.context})": np.hstack([raw, codes]),
        f"raw logs + stacked context +-{args.context} (no AE)": np.hstack([raw, ctx]),
    }
    results = {name: lowo(X, y, wells) for name, X in rows.items()}
    names = sorted(np.unique(wells))
    print("\nLeave-one-well-out macro-F1 (RandomForest, 300 trees, seed 0)")
    print("\n| features | mean over wells | pooled | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 3) + "|")
    for name, (per, pooled) in results.items():
        print(f"| {name} | {np.mean(list(per.values())):.3f} | {pooled:.3f} | "
              + " | ".join(f"{per[w]:.2f}" for w in names) + " |")
    if args.few:
        print("\nFew labels: the RandomForest sees a random share of the nine training wells' "
              "labelled rows (the encoder is pre-trained on all logs, unlabelled); mean over wells "
              "of macro-F1, mean of 3 draws (per-draw values in brackets)")
        print("\n| labelled share | raw logs | raw logs + AE latent | difference |")
        print("|---|---|---|---|")
        two = dict(list(rows.items())[:2])
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
