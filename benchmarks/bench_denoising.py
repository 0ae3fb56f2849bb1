"""Seismic denoising: geoae ``Denoiser`` vs a zero-phase Butterworth band-pass (issue #4).

Synthetic: ``make_synthetic_seismic`` (200 traces x 500 samples, dt 2 ms, 25 Hz Ricker, white
noise) at input SNR 0 and 5 dB. The Denoiser is trained supervised on a section of another seed
(seed 1) and evaluated on seed 2. The band-pass is a 4th-order Butterworth (``sosfiltfilt``,
zero phase) whose corners are tuned on the evaluation section to its best output SNR over a grid
(an oracle choice, favourable to the band-pass). Two lateral baselines, tuned the same way in
the band-pass's band, show what the neighbouring traces alone give: f-x deconvolution (Canales
1984: a complex prediction filter across traces per frequency, forward and backward, in
overlapping spatial windows), and a running mean over neighbouring traces followed by the
band-pass.

Real: each SEG-Y in ../shared/data/segy-samples with at least 64 traces of at least 64 samples
(viking_small shot records, the F3 crop) gets white noise at 0 dB SNR (seeded); a
self-supervised Denoiser (Noisier2Noise, fit on the noisy file alone) and a supervised one (fit
on a noisy copy with another noise seed against the original, an upper reference) are compared
by the MSE to the original.

Run: ``python benchmarks/bench_denoising.py`` (about 10 minutes on one thread).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from scipy.signal import butter, sosfiltfilt

from geoae.applications.denoising import Denoiser
from geoae.datasets import make_synthetic_seismic
from geoae.io import read_segy

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "segy-samples"
CONFIG = dict(window=128, stride=32, neighbours=4, hidden=(16, 32), latent_dim=32, kernel_size=3,
              train_stride=32, batch_size=64, random_state=0)


def snr_db(clean, x):
    return 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum((x - clean) ** 2))


def best_bandpass(noisy, clean, dt):
    best = (-np.inf, None)
    for lo in (2, 4, 6, 8, 10, 12):
        for hi in (35, 40, 45, 50, 55, 60, 70, 80):
            sos = butter(4, [lo, hi], btype="band", fs=1.0 / dt, output="sos")
            s = snr_db(clean, sosfiltfilt(sos, noisy, axis=1))
            if s > best[0]:
                best = (s, (lo, hi))
    return best


def _predict(x, L, mu):
    """Forward f-x prediction of x[n] from x[n-1..n-L] (damped least squares); NaN where n < L."""
    W = x.shape[0]
    out = np.full(W, np.nan + 0j)
    if W <= L:
        return out
    A = np.stack([x[L - k - 1:W - k - 1] for k in range(L)], axis=1)   # row n-L: x[n-1], ..., x[n-L]
    b = x[L:]
    AhA = A.conj().T @ A
    a = np.linalg.solve(AhA + mu * np.real(np.trace(AhA)) / L * np.eye(L), A.conj().T @ b)
    out[L:] = A @ a
    return out

def fx_decon(data, dt, fmin, fmax, L=4, mu=0.01, win=20):
    """f-x deconvolution (Canales 1984): per frequency in [fmin, fmax], a complex prediction
    filter of L traces predicts each trace from its neighbours, forward and backward (averaged);
    spatial windows of ``win`` traces with 50 % overlap and triangular tapers; frequencies
    outside the band are removed. ``data`` is (traces, samples)."""
    n_tr, n_s = data.shape
    nfft = int(2 ** np.ceil(np.log2(n_s)))
    F = np.fft.rfft(data, n=nfft, axis=1)
    f = np.fft.rfftfreq(nfft, dt)
    band = np.flatnonzero((f >= fmin) & (f <= fmax))
    out = np.zeros_like(F)
    weight = np.zeros(n_tr)
    step = max(1, win // 2)
    starts = list(range(0, max(1, n_tr - win) + 1, step))
    if starts[-1] + win < n_tr:
        starts.append(n_tr - win)
    for s in starts:
        e = min(n_tr, s + win)
        w = np.bartlett(e - s + 2)[1:-1]
        for j in band:
            x = F[s:e, j]
            fwd = _predict(x, L, mu)
            bwd = _predict(x[::-1], L, mu)[::-1]
            both = np.where(np.isnan(fwd), bwd, np.where(np.isnan(bwd), fwd, 0.5 * (fwd + bwd)))
            both = np.where(np.isnan(both), x, both)
            out[s:e, j] += w * both
        weight[s:e] += w
    out /= weight[:, None]
    return np.fft.irfft(out, n=nfft, axis=1)[:, :n_s]


def best_fx(noisy, clean, dt, band):
    """f-x deconvolution in the band-pass's band, its filter length, window and damping picked
    on the evaluation section for the best output SNR (an oracle, as for the band-pass)."""
    best = (-np.inf, None)
    for L in (4, 8, 16):
        for win in (20, 40, 100):
            for mu in (0.03, 0.1, 0.3):
                s = snr_db(clean, fx_decon(noisy, dt, band[0], band[1], L=L, mu=mu, win=win))
                if s > best[0]:
                    best = (s, (L, win, mu))
    return best


def best_mix_bandpass(noisy, clean, dt, band):
    """A running mean over 2k+1 neighbouring traces (edges: the traces there are), then the
    band-pass: the simplest use of lateral coherence, k picked on the evaluation section."""
    sos = butter(4, list(band), btype="band", fs=1.0 / dt, output="sos")
    best = (-np.inf, None)
    for k in (1, 2, 3, 4, 6, 8):
        c = np.cumsum(np.pad(noisy, ((1, 0), (0, 0))), axis=0)
        n = noisy.shape[0]
        lo, hi = np.clip(np.arange(n) - k, 0, n), np.clip(np.arange(n) + k + 1, 0, n)
        mixed = (c[hi] - c[lo]) / (hi - lo)[:, None]
        s = snr_db(clean, sosfiltfilt(sos, mixed, axis=1))
        if s > best[0]:
            best = (s, 2 * k + 1)
    return best


def synthetic(epochs):
    rows = []
    for db in (0.0, 5.0):
        train = make_synthetic_seismic(n_traces=200, n_samples=500, snr_db=db, random_state=1)
        test = make_synthetic_seismic(n_traces=200, n_samples=500, snr_db=db, random_state=2)
        t = time.perf_counter()
        model = Denoiser(epochs=epochs, **CONFIG).fit(train.noisy, train.clean)
        out = model.transform(test.noisy)
        secs = time.perf_counter() - t
        s_in = snr_db(test.clean, test.noisy)
        s_bp, band = best_bandpass(test.noisy, test.clean, test.dt)
        s_ae = snr_db(test.clean, out)
        s_fx, fx_cfg = best_fx(test.noisy, test.clean, test.dt, band)
        s_mix, width = best_mix_bandpass(test.noisy, test.clean, test.dt, band)
        rows.append((db, s_in, band, s_bp - s_in, s_ae - s_in, s_ae - s_bp, secs,
                     s_fx - s_in, fx_cfg, s_mix - s_in, width))
    print("\n| input SNR dB | band-pass (Hz) | band-pass gain dB | Denoiser gain dB |"
          " Denoiser - band-pass dB | fit+predict s |")
    print("|---|---|---|---|---|---|")
    for _db, s_in, band, g_bp, g_ae, d, secs, *_ in rows:
        print(f"| {s_in:.1f} | {band[0]}-{band[1]} | {g_bp:.2f} | {g_ae:.2f} | {d:+.2f} | {secs:.0f} |")
    print("\nLateral baselines (oracle-tuned on the evaluation section, in the same band):")
    print("\n| input SNR dB | f-x decon (L, traces, damping) | f-x gain dB | Denoiser - f-x dB |"
          " trace mean + band-pass (traces) | its gain dB | Denoiser - it dB |")
    print("|---|---|---|---|---|---|---|")
    for _db, s_in, _b, _g, g_ae, _d, _s, g_fx, cfg, g_mix, width in rows:
        print(f"| {s_in:.1f} | {cfg[0]}, {cfg[1]}, {cfg[2]:g} | {g_fx:.2f} | {g_ae - g_fx:+.2f} |"
              f" {width} | {g_mix:.2f} | {g_ae - g_mix:+.2f} |")


def real(epochs, only=None):
    print("\n| file | traces x samples | MSE noisy | self-supervised MSE (reduction) |"
          " supervised MSE (reduction) | band-pass MSE (reduction) |")
    print("|---|---|---|---|---|---|")
    for path in sorted(DATA.glob("*.s*gy")):
        if only and path.name not in only:
            continue
        try:
            data = read_segy(path)
        except Exception:
            continue
        x = data.traces.astype(np.float64)
        if x.shape[0] < 64 or x.shape[1] < 64:
            continue
        rng = np.random.default_rng(0)
        sigma = np.sqrt(np.mean(x**2))
        noisy = x + sigma * rng.standard_normal(x.shape)
        noisy2 = x + sigma * np.random.default_rng(1).standard_normal(x.shape)
        window = 64 if x.shape[1] < 256 else 128
        cfg = dict(CONFIG, window=window, stride=window // 4, train_stride=window // 8)
        mse0 = np.mean((noisy - x) ** 2)
        selfsup = Denoiser(epochs=epochs, **cfg).fit(noisy).transform(noisy)
        sup = Denoiser(epochs=epochs, **cfg).fit(noisy2, x).transform(noisy)
        dt = data.dt / 1000.0
        best = np.inf
        for lo in (2, 5, 10):
            for hi in (30, 40, 50, 60, 80):
                if hi < 0.45 / dt:
                    sos = butter(4, [lo, hi], btype="band", fs=1.0 / dt, output="sos")
                    best = min(best, np.mean((sosfiltfilt(sos, noisy, axis=1) - x) ** 2))
        m1, m2 = np.mean((selfsup - x) ** 2), np.mean((sup - x) ** 2)
        print(f"| {path.name} | {x.shape[0]} x {x.shape[1]} | {mse0:.4g} | {m1:.4g} ({1 - m1 / mse0:.0%}) |"
              f" {m2:.4g} ({1 - m2 / mse0:.0%}) | {best:.4g} ({1 - best / mse0:.0%}) |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--skip-real", action="store_true")
    p.add_argument("--skip-synthetic", action="store_true")
    p.add_argument("--only", nargs="*", help="real files to run (names), default all")
    args = p.parse_args()
    torch.set_num_threads(1)
    if not args.skip_synthetic:
        synthetic(args.epochs)
    if not args.skip_real and DATA.is_dir():
        real(args.epochs, args.only)


if __name__ == "__main__":
    main()
