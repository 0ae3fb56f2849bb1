"""Generation on real logs: VAE samples vs a multivariate Gaussian, against held-out wells.

Kansas logs (GR, ILD_log10, DeltaPHI, PHIND, PE; rows with a missing PE dropped); training wells:
all but SHRIMPLIN, NEWBY and CHURCHMAN BIBLE (held out). 5,000 samples are drawn from a VAE
(dense, hidden (64, 32), elu, latent 5 (env GEN_LATENT), learned observation noise; via
``sample_wells``) and from
a multivariate Gaussian fitted to the training rows (mean, covariance). Metrics against the
held-out rows, on curves standardised with the training mean/std: per-curve 1-D Wasserstein
distance (``scipy.stats.wasserstein_distance``) and the Frobenius norm of the difference of the
5 x 5 correlation matrices. The training rows themselves are shown as a reference (the
train/test shift: no generator fitted on the training wells can be expected to beat it much).
VAE: ``--seeds`` seeds (default 5), mean reported (each seed's numbers below the table), once
sampling the N(0, I) prior and once per ``--components`` value (default 10 and 30) the ex-post
Gaussian mixture fitted to the aggregate posterior (``prior="gmm"``).

Run: ``python benchmarks/bench_generation.py`` (about 12 minutes on one thread).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch
from scipy.stats import wasserstein_distance

from geoae import VAE
from geoae.applications.generation import sample_wells
from geoae.datasets import load_kansas_facies

CURVES = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]
TEST_WELLS = ["SHRIMPLIN", "NEWBY", "CHURCHMAN BIBLE"]
N = 5000
LATENT = int(os.environ.get("GEN_LATENT", "5"))


def split():
    frame = load_kansas_facies().dropna(subset=CURVES).reset_index(drop=True)
    test = frame["WELL"].isin(TEST_WELLS)
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def metrics(sample, ref, mu, sd):
    a, b = (sample - mu) / sd, (ref - mu) / sd
    w = [wasserstein_distance(a[:, j], b[:, j]) for j in range(a.shape[1])]
    c = np.linalg.norm(np.corrcoef(a, rowvar=False) - np.corrcoef(b, rowvar=False))
    return np.array(w), c


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--components", type=int, nargs="+", default=[10, 30])
    args = p.parse_args()
    torch.set_num_threads(1)
    train, test = split()
    Xtr, Xte = train[CURVES].to_numpy(), test[CURVES].to_numpy()
    mu, sd = Xtr.mean(0), Xtr.std(0)
    rows = {}
    gauss = np.random.default_rng(0).multivariate_normal(mu, np.cov(Xtr, rowvar=False), N)
    rows["Gaussian"] = metrics(gauss, Xte, mu, sd)
    rows["training wells (reference)"] = metrics(Xtr, Xte, mu, sd)
    priors = [("standard", 10)] + [("gmm", k) for k in args.components]
    per_seed = {key: [] for key in priors}
    for seed in range(args.seeds):
        for prior, k in priors:
            vae = VAE(latent_dim=LATENT, prior=prior, prior_components=k, hidden=(64, 32),
                      activation="elu", epochs=400, patience=40, batch_size=128,
                      random_state=seed).fit(train[["WELL", *CURVES]])
            s = sample_wells(vae, 5, N // 5, random_state=seed)[CURVES].to_numpy()
            per_seed[prior, k].append(metrics(s, Xte, mu, sd))
    for (prior, k), runs in per_seed.items():
        label = "N(0, I) prior" if prior == "standard" else f"ex-post GMM prior, {k} components"
        rows[f"VAE, {label} (mean of {args.seeds} seeds)"] = (np.mean([p[0] for p in runs], 0),
                                                              np.mean([p[1] for p in runs]))
    print("\nWasserstein-1 per curve (standardised units) and correlation-matrix error vs held-out wells")
    print("\n| generator | " + " | ".join(CURVES) + " | mean W1 | corr. error (Frobenius) |")
    print("|---" * (len(CURVES) + 3) + "|")
    for name, (w, c) in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in w) + f" | {w.mean():.3f} | {c:.3f} |")
    for (prior, k), runs in per_seed.items():
        print(f"\nVAE prior={prior!r}{f', {k} components' if prior == 'gmm' else ''} per seed: "
              + "; ".join(f"mean W1 {w.mean():.3f}, corr {c:.3f}" for w, c in runs))


if __name__ == "__main__":
    main()
