"""Exploration for the feature-extraction benchmark: well-conditioned auto-encoders (scVI-style).

Leave-one-well-out facies scores suffer from well-to-well shift (tool calibration, borehole
conditions). As in single-cell batch correction (scVI), the decoder is given the well
(``--condition onehot``: one-hot of the 10 wells; ``embed``: a learned 4-d well embedding;
``none``: a plain auto-encoder, the control; ``centre``: not the well but the window's own
centre row, so that the code need only carry what the depth context adds to the sample, which
the classifier sees anyway beside the code) beside the code ``z``, while the encoder sees only the
logs over a depth window of +-``k`` samples. The latent then need not carry what tells the wells
apart. ``--objective vae`` makes it a VAE (Gaussian decoder with a learned scale per output,
``--beta`` times the KL, linear KL warm-up over the first third of the epochs; the features are
the posterior means); the KL pressure is what makes scVI drop batch information. All 10 Kansas
wells are used for pre-training, without labels (the held-out well's logs are unlabelled data,
allowed by the protocol).

Each trained latent is stacked beside the raw logs and scored exactly as ``bench_features.py``
does (RandomForest 300 trees, leave-one-well-out over the 10 wells, macro-F1 per well, its mean
and pooled over all predictions, averaged over ``--rf-seeds`` forest seeds). The raw logs are
scored in the same run (``--no-raw`` skips them). ``--gmm K`` also scores the raw logs beside the
posterior probabilities of a K-component GaussianMixture fitted, without labels, on the
(standardised) latent of all wells; ``--gmm-raw`` does the same on the standardised logs (no AE,
the control). As a diagnostic, the accuracy with which a small RandomForest tells the well from
the latent alone (3-fold CV) is printed: a well-invariant latent should score low.

Usage: python benchmarks/explore_features_conditional.py --objective {ae,vae}
           --condition {none,onehot,embed} --k 3 --latent 4 --epochs 150 --seeds 0 1
           [--beta 1.0] [--gmm 9] [--gmm-raw] [--no-raw] [--results out.jsonl]
       (one thread. Each scored row is 50 RandomForest fits: about 3.5 minutes on an idle core,
       4 to 9 minutes on a shared 2-core machine; training takes 20 to 55 s per encoder seed)

Runs of 2026-11-30 (all scored rows, 5 forest seeds; raw logs 0.393 / 0.472):
    --objective ae  --condition onehot --latent 4 --seeds 0 1          (a)
    --objective vae --condition onehot --latent 4 --beta 1 --seeds 0 1 --no-raw   (b)
    --objective ae  --condition onehot --latent 8 --seeds 0 --no-raw   (c)
    --objective ae  --condition none --latent 4 --seeds 0 --gmm 9 --gmm-raw --no-raw   (d)
    --objective vae --condition onehot --latent 4 --beta 4 --seeds 0 --no-raw   (e)
    --objective ae  --condition none --latent 4 --seeds 1 --no-raw     (f)
None beat the raw logs (best: b, seed 0, 0.393 / 0.459).

Runs of 2026-11-30, twelfth session (``--condition centre``, the decoder given the centre row):
    --objective ae --condition centre --k 8  --latent 2 --seeds 0 1 2 --no-raw
    --objective ae --condition centre --k 8  --latent 1 --seeds 0 1 2 --no-raw
    --objective ae --condition centre --k 16 --latent 2 --seeds 0 1 --no-raw
    --objective ae --condition centre --k 16 --latent 1 --seeds 0 --no-raw
    --objective ae --condition centre --k 8  --latent 4 --seeds 0 --no-raw
Every run at latent 1 or 2 scored above the raw logs on the mean over wells (table in
docs/benchmarks.md).
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.ensemble import RandomForestClassifier
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score

from explore_features_ssl import load, padded, windows


class CondAE(nn.Module):
    """Dense encoder over a (2k+1, C) window -> z; decoder [z, well code] -> window."""

    def __init__(self, k, c, d, n_wells, condition="onehot", vae=False, hidden=(64, 32),
                 embed_dim=4):
        super().__init__()
        n = (2 * k + 1) * c
        self.vae, self.condition, self.n_wells = vae, condition, n_wells
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(n, hidden[0]), nn.ELU(),
                                 nn.Linear(hidden[0], hidden[1]), nn.ELU(),
                                 nn.Linear(hidden[1], 2 * d if vae else d))
        cw = {"none": 0, "onehot": n_wells, "embed": embed_dim, "centre": c}[condition]
        if condition == "embed":
            self.emb = nn.Embedding(n_wells, embed_dim)
        self.dec = nn.Sequential(nn.Linear(d + cw, hidden[1]), nn.ELU(),
                                 nn.Linear(hidden[1], hidden[0]), nn.ELU(),
                                 nn.Linear(hidden[0], n))
        self.log_scale = nn.Parameter(torch.zeros(n))  # used by the VAE only
        self.shape = (2 * k + 1, c)
        self.d = d

    def encode(self, x):
        h = self.enc(x)
        if self.vae:
            return h[:, :self.d], h[:, self.d:].clamp(-10, 10)
        return h, None

    def well_code(self, w):
        if self.condition == "centre":  # w is the window itself: condition on its centre row
            return w[:, w.shape[1] // 2, :]
        if self.condition == "onehot":
            return F.one_hot(w, self.n_wells).float()
        if self.condition == "embed":
            return self.emb(w)
        return None

    def decode(self, z, w):
        c = self.well_code(w)
        h = z if c is None else torch.cat([z, c], 1)
        return self.dec(h).view(-1, *self.shape)


def train(chans, well_ids, wells, a, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    P, pos = padded(chans, wells, a.k)
    W = torch.tensor(well_ids)
    net = CondAE(a.k, chans.shape[1], a.latent, int(well_ids.max()) + 1, a.condition,
                 a.objective == "vae")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    n, bs = len(pos), a.batch
    warm = max(1, a.epochs // 3)
    for ep in range(a.epochs):
        perm = torch.randperm(n, generator=g)
        tot = [0.0, 0.0]
        beta = a.beta * min(1.0, (ep + 1) / warm)
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            x, w = windows(P, pos[idx], a.k), W[idx]
            if a.condition == "centre":
                w = x
            mu, logvar = net.encode(x)
            if a.objective == "vae":
                z = mu + torch.randn(mu.shape, generator=g) * torch.exp(0.5 * logvar)
                out = net.decode(z, w)
                ls = net.log_scale.view(*net.shape)
                nll = (0.5 * ((x - out) / ls.exp()) ** 2 + ls).flatten(1).sum(1).mean()
                kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)).mean()
                loss = nll + beta * kl
                rec = F.mse_loss(out, x)
            else:
                rec = F.mse_loss(net.decode(mu, w), x)
                loss, kl = rec, torch.tensor(0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot[0] += rec.item() * len(idx)
            tot[1] += kl.item() * len(idx)
        if ep % 50 == 0 or ep == a.epochs - 1:
            print(f"  seed {seed} ep {ep} mse {tot[0]/n:.4f} kl {tot[1]/n:.3f}", flush=True)
    net.eval()
    with torch.no_grad():
        mu, _ = net.encode(windows(P, pos, a.k))
    return mu.numpy().astype(np.float64)


def well_accuracy(feats, wells):
    """3-fold CV accuracy of a small RandomForest telling the well from ``feats`` alone."""
    rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return float(cross_val_score(rf, feats, wells, cv=cv).mean())


def gmm_posteriors(feats, k, seed):
    z = (feats - feats.mean(0)) / feats.std(0)
    gm = GaussianMixture(k, covariance_type="full", n_init=3, reg_covar=1e-4, random_state=seed)
    return gm.fit(z).predict_proba(z)


def score(name, X, y, wells, a, extra, out):
    from bench_features import lowo_seeds

    t0 = time.time()
    per, pooled = lowo_seeds(X, y, wells, a.rf_seeds)
    res = dict(extra, row=name, mean=round(float(np.mean(list(per.values()))), 4),
               pooled=round(pooled, 4), per={k: round(float(v), 3) for k, v in per.items()},
               t_score=round(time.time() - t0))
    print(json.dumps(res), flush=True)
    out.append(res)
    if a.results:
        with open(a.results, "a") as f:
            f.write(json.dumps(res) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--objective", default="ae", choices=["ae", "vae"])
    p.add_argument("--condition", default="onehot", choices=["none", "onehot", "embed", "centre"])
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--latent", type=int, default=4)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="encoder seeds")
    p.add_argument("--rf-seeds", type=int, default=5)
    p.add_argument("--gmm", type=int, default=0, help="also score raw + GMM(K) posteriors")
    p.add_argument("--gmm-raw", action="store_true",
                   help="also score raw + GMM posteriors fitted on the standardised logs")
    p.add_argument("--no-latent-row", action="store_true",
                   help="skip the raw + latent row (only the --gmm row)")
    p.add_argument("--no-raw", action="store_true", help="do not score the raw logs")
    p.add_argument("--tag", default="", help="label stored with each result")
    p.add_argument("--results", help="append each result as one JSON line to this file")
    a = p.parse_args()
    torch.set_num_threads(1)
    frame, y, wells, raw, chans = load()
    well_ids = np.unique(wells, return_inverse=True)[1]
    cfg = dict(tag=a.tag, objective=a.objective, condition=a.condition, k=a.k, latent=a.latent,
               beta=a.beta if a.objective == "vae" else None, epochs=a.epochs)
    out = []
    print(f"well accuracy from the standardised logs (reference): "
          f"{well_accuracy(chans, wells):.3f}", flush=True)
    if not a.no_raw:
        score("raw", raw, y, wells, a, dict(tag=a.tag), out)
    if a.gmm_raw:
        post = gmm_posteriors(chans[:, :5], a.gmm or 9, 0)
        score(f"raw + GMM({a.gmm or 9}) of logs", np.hstack([raw, post]), y, wells, a,
              dict(tag=a.tag), out)
    for seed in a.seeds:
        t0 = time.time()
        codes = train(chans, well_ids, wells, a, seed)
        extra = dict(cfg, seed=seed, t_train=round(time.time() - t0),
                     well_acc=round(well_accuracy(codes, wells), 3))
        print(f"  seed {seed}: trained in {extra['t_train']} s, well accuracy from latent "
              f"{extra['well_acc']:.3f}", flush=True)
        if not a.no_latent_row:
            score("raw + latent", np.hstack([raw, codes]), y, wells, a, extra, out)
        if a.gmm:
            score(f"raw + GMM({a.gmm}) of latent", np.hstack([raw, gmm_posteriors(codes, a.gmm, seed)]),
                  y, wells, a, extra, out)
    print("\n| row | objective | condition | latent | k | seed | well acc | mean | pooled |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in out:
        print(f"| {r['row']} | {r.get('objective', '')} | {r.get('condition', '')} | "
              f"{r.get('latent', '')} | {r.get('k', '')} | {r.get('seed', '')} | "
              f"{r.get('well_acc', '')} | {r['mean']:.3f} | {r['pooled']:.3f} |")


if __name__ == "__main__":
    main()
