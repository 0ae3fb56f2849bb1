"""Tool-fault detection on synthetic wells: geoae ``AnomalyDetector`` against scikit-learn's
``IsolationForest`` and a PCA reconstruction-error detector (issue #4).

Data: :func:`geoae.datasets.make_synthetic_wells` (noise on, default 3 % of each well covered by
labelled faults: spikes, flat-lined tools, washouts, missing intervals), RT as log10(RT). Every
detector is fitted unsupervised on the faulty data and scores the same data.

Labels: a sample is an anomaly when its ``fault_type`` is spike, flatline or washout, normal when
it is ``none``. Samples of "missing" faults (a curve is NaN, not a wrong reading) are left out
of the scores: a reconstruction detector deliberately scores a sample on its observed curves, and
a NaN is already visible to any user without a model.

Baselines (they do not take NaN, so NaN is replaced by each curve's median first):
``IsolationForest(random_state=0)``; PCA: standardise, keep 4 components (the earth model has
4 degrees of freedom: porosity, shale volume, water saturation, lithology), score = squared
reconstruction error. Each baseline is also shown with the same stuck-tool rule as geoae's
(``+ stuck rule``: a sample where any curve sits in a run of >= 5 identical consecutive readings
within its well is ranked above every other sample), so that the table separates what the rule
gives from what the network gives.

``explain`` metric: for each fault event (a run of samples with one fault type) with at least one
sample flagged by ``predict``, the main curve is the curve with the largest summed ``explain``
share over its flagged samples; it is right when that curve is one of the event's faulty curves
(RHOB or CALI for a washout).

Run: ``python benchmarks/bench_anomaly.py`` (a few minutes on one thread).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from geoae import DenoisingAutoEncoder
from geoae.applications import AnomalyDetector
from geoae.applications.anomaly import default_model
from geoae.datasets import make_synthetic_wells

CURVES = ["GR", "RHOB", "NPHI", "DT", "PE", "RT", "CALI"]
TYPES = ("spike", "flatline", "washout")


def pca_scores(X):
    pre = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    Z = pre.fit_transform(X)
    pca = PCA(n_components=4, random_state=0).fit(Z)
    return np.sum((Z - pca.inverse_transform(pca.transform(Z))) ** 2, axis=1)


def iforest_scores(X):
    Z = SimpleImputer(strategy="median").fit_transform(X)
    return -IsolationForest(random_state=0).fit(Z).score_samples(Z)


def stuck_samples(X, min_run=5):
    """True where any curve is in a run of >= ``min_run`` identical consecutive readings within
    its well (geoae's own run lengths, without its exemption of quantised curves): the
    stuck-tool rule, without the network."""
    runs = AnomalyDetector._runs(X[CURVES].to_numpy(np.float64), X["WELL"].to_numpy(),
                                 X["DEPTH"].to_numpy(np.float64))
    return (runs >= min_run).any(axis=1)


def explain_rate(det, X, faults, flags):
    share = det.explain(X).to_numpy()
    ft = faults["fault_type"].to_numpy()
    bad = faults[CURVES].to_numpy()
    wells = faults["WELL"].to_numpy()
    start = np.ones(len(ft), dtype=bool)
    start[1:] = (ft[1:] != ft[:-1]) | (wells[1:] != wells[:-1])
    event = np.cumsum(start) - 1
    right = total = 0
    for e in np.unique(event[np.isin(ft, TYPES)]):
        idx = np.flatnonzero(event == e)
        hit = idx[flags[idx]]
        if len(hit) == 0:
            continue
        total += 1
        main = int(np.argmax(np.nansum(share[hit], axis=0)))
        right += bool(bad[idx, main].any())
    return right, total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wells", type=int, default=6)
    p.add_argument("--samples", type=int, default=1200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--contamination", type=float, default=0.025)
    p.add_argument("--conv", action="store_true", help="also a conv1d windowed detector")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    w = make_synthetic_wells(n_wells=args.wells, n_samples=args.samples, random_state=args.seed)
    X = w.observed.copy()
    X["RT"] = np.log10(X["RT"])
    ft = w.faults["fault_type"].to_numpy()
    keep = ft != "missing"
    y = np.isin(ft, TYPES)
    print(f"{args.wells} wells x {args.samples} samples; anomalies {y.sum()} "
          f"({', '.join(f'{t} {np.sum(ft == t)}' for t in TYPES)}); missing (left out) "
          f"{np.sum(~keep)}; normal {np.sum(ft == 'none')}")
    arr = X[CURVES].to_numpy()
    scores, times, dets = {}, {}, {}
    detectors = {
        "geoae AnomalyDetector": AnomalyDetector(contamination=args.contamination, random_state=0),
        "geoae, no stuck check": AnomalyDetector(stuck_run=None, contamination=args.contamination,
                                                 random_state=0),
    }
    if args.conv:
        conv = DenoisingAutoEncoder(noise="masking", noise_level=0.2, backbone="conv1d", latent_dim=16,
                                    hidden=(32, 32), scaler="robust", epochs=100, patience=10,
                                    learning_rate=2e-3)
        detectors["geoae conv1d windows"] = AnomalyDetector(model=conv, contamination=args.contamination,
                                                            random_state=0)
    for name, det in detectors.items():
        t0 = time.time()
        if name == "geoae, no stuck check" and "geoae AnomalyDetector" in dets:
            # same network, same seed: reuse it and switch the stuck check off
            det = dets["geoae AnomalyDetector"]
            s_on = -det.score_samples(X)
            det.stuck_run = None
            scores[name] = -det.score_samples(X)
            det.stuck_run = 5
            scores["geoae AnomalyDetector"] = s_on
            times[name] = 0.0
            continue
        dets[name] = det.fit(X)
        scores[name] = -det.score_samples(X)
        times[name] = time.time() - t0
    for name, fn in (("IsolationForest", iforest_scores), ("PCA (4 comp.) recon. error", pca_scores)):
        t0 = time.time()
        scores[name] = fn(arr)
        times[name] = time.time() - t0
    stuck = stuck_samples(X)
    for name in ("IsolationForest", "PCA (4 comp.) recon. error"):
        s = scores[name]
        scores[f"{name} + stuck rule"] = np.where(stuck, s + (s.max() - s.min() + 1), s)
        times[f"{name} + stuck rule"] = times[name]

    head = "| detector | ROC-AUC | AP | " + " | ".join(f"AUC {t}" for t in TYPES) + " | fit+score s |"
    print("\n" + head + "\n|" + "---|" * (4 + len(TYPES)))
    for name, s in scores.items():
        auc = roc_auc_score(y[keep], s[keep])
        ap = average_precision_score(y[keep], s[keep])
        per = [roc_auc_score(y[sel], s[sel]) for sel in (((ft == "none") | (ft == t)) for t in TYPES)]
        print(f"| {name} | {auc:.3f} | {ap:.3f} | " + " | ".join(f"{v:.3f}" for v in per)
              + f" | {times[name]:.0f} |")
    det = dets["geoae AnomalyDetector"]
    flags = det.predict(X) == -1
    right, total = explain_rate(det, X, w.faults, flags)
    prec = np.mean(y[flags & keep]) if np.any(flags & keep) else float("nan")
    print(f"\npredict (contamination={args.contamination}): {flags.sum()} samples flagged, "
          f"precision {prec:.3f}, recall {np.mean(flags[y]):.3f}")
    iv = det.intervals(X["DEPTH"], flags, X=X)
    print(f"intervals: {len(iv)} flagged intervals")
    print(f"explain names a faulty curve for {right}/{total} flagged fault events "
          f"({right / max(total, 1):.1%})")
    print(f"default model: {default_model()!r}")


if __name__ == "__main__":
    main()
