"""Generation on real logs: VAE samples vs a multivariate Gaussian, against held-out wells.

Kansas logs (GR, ILD_log10, DeltaPHI, PHIND, PE; rows with a missing PE dropped); training wells:
all but SHRIMPLIN, NEWBY and CHURCHMAN BIBLE (held out). 5,000 samples are drawn from a VAE
(dense, hidden (64, 32), elu, latent 5 (env GEN_LATENT), learned observation noise; via
``sample_wells``) and from
a multivariate Gaussian fitted to the training rows (mean, covariance). Metrics against the
held-out rows, on curves standardised with the training mean/std: per-curve 1-D Wasserstein
distance (``scipy.stats.wasserstein_distance``) and the Frobenius norm of the difference of the
5 x 5 correlation matrices; also how far each generator's correlation matrix is from the
training rows' own ("miss"), which is what a generator fitted to the training wells can
control. The training rows themselves are shown as a reference (the train/test shift: no
generator fitted on the training wells can be expected to beat it much).
Every generator is run with ``--seeds`` seeds (default 5; the Gaussian's 5,000 samples are
drawn with each seed too), mean reported (each seed's numbers below the table). The VAE is
sampled once from the N(0, I) prior and once per ``--components`` value (default 10 and 30)
from the ex-post Gaussian mixture fitted to the aggregate posterior (``prior="gmm"``), all with
``beta=1``; then with the first mixture size and each KL weight of ``--betas`` (default 0.5 and
0.25).

Run: ``python benchmarks/bench_generation.py`` (about 25 minutes on one thread). The table in
docs/benchmarks.md: ``python benchmarks/bench_generation.py --validation-fraction 0
--components 10 --betas`` (early stopping on the training loss: with the default well-wise
validation split, one of the 5 training wells, two seeds stop at their first epoch).
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


def metrics(sample, ref, mu, sd, train):
    """(per-curve W1, correlation error against ``ref``, correlation miss against ``train``)."""
    a, b = (sample - mu) / sd, (ref - mu) / sd
    w = [wasserstein_distance(a[:, j], b[:, j]) for j in range(a.shape[1])]
    corr = np.corrcoef(a, rowvar=False)
    c = np.linalg.norm(corr - np.corrcoef(b, rowvar=False))
    return np.array(w), c, np.linalg.norm(corr - np.corrcoef(train, rowvar=False))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--components", type=int, nargs="+", default=[10, 30])
    p.add_argument("--betas", type=float, nargs="*", default=[0.5, 0.25],
                   help="KL weights tried with the first mixture size (beta=1 always runs)")
    p.add_argument("--validation-fraction", type=float, default=None,
                   help="the VAE's validation_fraction (default: the library's, a well-wise split "
                        "of about 10 %% of the rows); 0 stops early on the training loss")
    args = p.parse_args()
    vf = {} if args.validation_fraction is None else {"validation_fraction": args.validation_fraction}
    torch.set_num_threads(1)
    train, test = split()
    Xtr, Xte = train[CURVES].to_numpy(), test[CURVES].to_numpy()
    mu, sd = Xtr.mean(0), Xtr.std(0)

    def score(sample):
        return metrics(sample, Xte, mu, sd, Xtr)

    configs = ([("Gaussian", None)] + [("VAE, N(0, I) prior", dict(prior="standard"))]
               + [(f"VAE, ex-post GMM prior, {k} components", dict(prior="gmm", prior_components=k))
                  for k in args.components]
               + [(f"VAE, ex-post GMM prior, {args.components[0]} components, beta={b:g}",
                   dict(prior="gmm", prior_components=args.components[0], beta=b))
                  for b in args.betas if b != 1])
    per_seed: dict[str, list] = {name: [] for name, _ in configs}
    for seed in range(args.seeds):
        for name, params in configs:
            if params is None:
                s = np.random.default_rng(seed).multivariate_normal(mu, np.cov(Xtr, rowvar=False), N)
            else:
                vae = VAE(latent_dim=LATENT, hidden=(64, 32), activation="elu", epochs=400,
                          patience=40, batch_size=128, random_state=seed, **vf, **params
                          ).fit(train[["WELL", *CURVES]])
                s = sample_wells(vae, 5, N // 5, random_state=seed)[CURVES].to_numpy()
            per_seed[name].append(score(s))
    rows = {"training wells (reference)": score(Xtr)}
    rows.update({f"{name} (mean of {args.seeds} seeds)": tuple(np.mean([r[i] for r in runs], 0)
                                                               for i in range(3))
                 for name, runs in per_seed.items()})
    print("\nWasserstein-1 per curve (standardised units), correlation-matrix error vs held-out "
          "wells, and correlation miss vs the training rows")
    print("\n| generator | " + " | ".join(CURVES)
          + " | mean W1 | corr. error (Frobenius) | corr. miss vs training |")
    print("|---" * (len(CURVES) + 4) + "|")
    for name, (w, c, miss) in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in w)
              + f" | {w.mean():.3f} | {c:.3f} | {miss:.3f} |")
    for name, runs in per_seed.items():
        print(f"\n{name} per seed (W1 / corr. error / miss): "
              + "; ".join(f"{w.mean():.3f} / {c:.3f} / {m:.3f}" for w, c, m in runs))


if __name__ == "__main__":
    main()
