"""Exploration for the feature-extraction benchmark: latents trained to tell depth samples apart.

Contrastive (reconstruction + NT-Xent between two augmented, depth-shifted views of a window),
masked-curve and plain-reconstruction auto-encoders over depth windows (dense or conv1d),
pre-trained on all 10 Kansas wells without labels; the latent is stacked beside the raw logs and
scored as in ``bench_features.py`` (leave-one-well-out RandomForest, ``--rf-seeds`` forest
seeds). Results and the configurations run are in docs/benchmarks.md (feature extraction): none
gained. Kept so that the negative result can be reproduced and extended.

Usage: python benchmarks/explore_features_ssl.py --objective {contrastive,masked,recon}
           --arch {dense,conv} --k 4 --latent 4 --epochs 150 --seed 0 [--lam 1.0] [--temp 0.2]
           [--no-pe]   (2 to 6 minutes per configuration on one thread)
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

from geoae.datasets import load_kansas_facies

LOGS = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]
GEO = ["NM_M", "RELPOS"]
MAXSHIFT = 2


def load(no_pe=False):
    frame = load_kansas_facies().sort_values(["WELL", "DEPTH"]).reset_index(drop=True)
    y, wells = frame["Facies"].to_numpy(), frame["WELL"].to_numpy()
    raw = frame[LOGS + GEO].to_numpy()
    logs = frame[LOGS]
    z = ((logs - logs.mean()) / logs.std()).to_numpy()
    miss = np.isnan(z[:, 4:5]).astype(np.float64)
    z = np.nan_to_num(z, nan=0.0)
    chans = np.hstack([z, miss])  # 6 channels: 5 standardised logs + PE-missing indicator
    if no_pe:  # encoder sees GR, ILD_log10, DeltaPHI, PHIND only (same input on every well)
        chans = z[:, :4]
    return frame, y, wells, raw, chans


def padded(chans, wells, margin):
    """Concatenate each well edge-padded by `margin` rows; return array and row positions."""
    parts, pos, off = [], np.empty(len(chans), dtype=np.int64), 0
    for w in dict.fromkeys(wells):  # order of appearance (sorted frame)
        idx = np.flatnonzero(wells == w)
        block = chans[idx]
        p = np.concatenate([np.repeat(block[:1], margin, 0), block, np.repeat(block[-1:], margin, 0)])
        parts.append(p)
        pos[idx] = off + margin + np.arange(len(idx))
        off += len(p)
    return torch.tensor(np.concatenate(parts), dtype=torch.float32), torch.tensor(pos)


def windows(P, pos, k, shift=None):
    """(B, 2k+1, C) windows centred at pos (+ shift)."""
    centre = pos if shift is None else pos + shift
    offs = torch.arange(-k, k + 1)
    return P[centre[:, None] + offs[None, :]]


class Dense(nn.Module):
    def __init__(self, k, c, d, hidden=(128, 64)):
        super().__init__()
        n = (2 * k + 1) * c
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(n, hidden[0]), nn.ELU(),
                                 nn.Linear(hidden[0], hidden[1]), nn.ELU(), nn.Linear(hidden[1], d))
        self.dec = nn.Sequential(nn.Linear(d, hidden[1]), nn.ELU(), nn.Linear(hidden[1], hidden[0]),
                                 nn.ELU(), nn.Linear(hidden[0], n))
        self.shape = (2 * k + 1, c)

    def encode(self, x):
        return self.enc(x)

    def decode(self, h):
        return self.dec(h).view(-1, *self.shape)


class Conv(nn.Module):
    def __init__(self, k, c, d, ch=32):
        super().__init__()
        L = 2 * k + 1
        self.enc = nn.Sequential(
            nn.Conv1d(c, ch, 5, padding=2), nn.ELU(),
            nn.Conv1d(ch, ch, 5, padding=2, stride=2), nn.ELU(),
            nn.Conv1d(ch, ch, 5, padding=2, stride=2), nn.ELU())
        with torch.no_grad():
            m = self.enc(torch.zeros(1, c, L)).numel()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(m, 64), nn.ELU(), nn.Linear(64, d))
        self.dec = nn.Sequential(nn.Linear(d, 64), nn.ELU(), nn.Linear(64, 128), nn.ELU(),
                                 nn.Linear(128, L * c))
        self.shape = (L, c)

    def encode(self, x):  # x (B, L, C)
        return self.head(self.enc(x.transpose(1, 2)))

    def decode(self, h):
        return self.dec(h).view(-1, *self.shape)


def augment(x, g, mask_p=0.15):
    """Per-curve gain/offset jitter, Gaussian noise, random curve masking (log channels)."""
    B, L, C = x.shape
    nl = min(C, 5)
    x = x.clone()
    gain = 1 + 0.1 * torch.randn(B, 1, nl, generator=g)
    offset = 0.1 * torch.randn(B, 1, nl, generator=g)
    x[..., :nl] = x[..., :nl] * gain + offset + 0.05 * torch.randn(B, L, nl, generator=g)
    keep = (torch.rand(B, 1, nl, generator=g) > mask_p).float()
    x[..., :nl] = x[..., :nl] * keep
    return x


def nt_xent(a, b, temp):
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    z = torch.cat([a, b])
    sim = z @ z.t() / temp
    n = len(a)
    sim.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def train(chans, wells, a):
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    P, pos = padded(chans, wells, a.k + MAXSHIFT)
    C = chans.shape[1]
    net = (Dense if a.arch == "dense" else Conv)(a.k, C, a.latent)
    proj = nn.Sequential(nn.Linear(a.latent, 32), nn.ELU(), nn.Linear(32, 32))
    params = list(net.parameters()) + (list(proj.parameters()) if a.objective == "contrastive" else [])
    opt = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-5)
    n, bs = len(pos), 256
    for ep in range(a.epochs):
        perm = torch.randperm(n, generator=g)
        tot = [0.0, 0.0]
        for s in range(0, n, bs):
            b = pos[perm[s:s + bs]]
            clean = windows(P, b, a.k)
            if a.objective == "recon":
                rec = F.mse_loss(net.decode(net.encode(clean)), clean)
                loss, cl = rec, torch.tensor(0.0)
            elif a.objective == "masked":
                # hide random curves (whole window) and random depth positions; rebuild hidden ones
                B, L, C = clean.shape
                nl = min(C, 5)
                cm = (torch.rand(B, 1, nl, generator=g) < 0.3)
                pm = (torch.rand(B, L, 1, generator=g) < 0.3)
                hide = (cm | pm).float()
                x = clean.clone()
                x[..., :nl] = x[..., :nl] * (1 - hide)
                # hidden values are set to 0 (the standardised mean)
                out = net.decode(net.encode(x))
                err = (out[..., :nl] - clean[..., :nl]) ** 2
                rec = (err * hide).sum() / hide.sum().clamp(min=1) + 0.1 * F.mse_loss(out, clean)
                loss, cl = rec, torch.tensor(0.0)
            else:  # contrastive: recon of the clean window from each augmented view + NT-Xent
                s1 = torch.randint(-MAXSHIFT, MAXSHIFT + 1, (len(b),), generator=g)
                s2 = torch.randint(-MAXSHIFT, MAXSHIFT + 1, (len(b),), generator=g)
                v1 = augment(windows(P, b, a.k, s1), g)
                v2 = augment(windows(P, b, a.k, s2), g)
                h1, h2 = net.encode(v1), net.encode(v2)
                rec = 0.5 * (F.mse_loss(net.decode(h1), clean) + F.mse_loss(net.decode(h2), clean)) \
                    + F.mse_loss(net.decode(net.encode(clean)), clean)
                cl = nt_xent(proj(h1), proj(h2), a.temp)
                loss = rec + a.lam * cl
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot[0] += rec.item() * len(b)
            tot[1] += cl.item() * len(b)
        if ep % 25 == 0 or ep == a.epochs - 1:
            print(f"ep {ep} rec {tot[0]/n:.4f} cl {tot[1]/n:.4f}", flush=True)
    net.eval()
    with torch.no_grad():
        codes = net.encode(windows(P, pos, a.k)).numpy().astype(np.float64)
    return codes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--objective", default="contrastive", choices=["contrastive", "masked", "recon"])
    p.add_argument("--arch", default="dense", choices=["dense", "conv"])
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--latent", type=int, default=4)
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--temp", type=float, default=0.2)
    p.add_argument("--rf-seeds", type=int, default=5)
    p.add_argument("--results", help="append the result as one JSON line to this file")
    p.add_argument("--no-pe", action="store_true", help="encoder input without PE (4 curves)")
    a = p.parse_args()
    torch.set_num_threads(1)
    frame, y, wells, raw, chans = load(a.no_pe)
    t0 = time.time()
    codes = train(chans, wells, a)
    t_train = time.time() - t0
    from bench_features import lowo_seeds

    per, pooled = lowo_seeds(np.hstack([raw, codes]), y, wells, a.rf_seeds)
    t_all = time.time() - t0
    res = dict(vars(a), mean=float(np.mean(list(per.values()))), pooled=pooled,
               per={k: round(float(v), 3) for k, v in per.items()}, t_train=round(t_train),
               t_total=round(t_all))
    print(json.dumps(res))
    if a.results:
        with open(a.results, "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
