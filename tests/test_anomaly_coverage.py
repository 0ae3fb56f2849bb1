"""AnomalyDetector on wells whose sections hold different numbers of curves (found by an audit on
a Volve well: 16k GR-only samples set one pooled MAD per curve, so every sample with all five
curves scored 60-300 on normal rock and GR took ~99 % of every score). Residuals are normalised
per curve and per number of other observed curves now: scores are comparable across sections."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from geoae import DenoisingAutoEncoder
from geoae.applications import AnomalyDetector
from geoae.datasets import make_synthetic_wells

CURVES = ["GR", "RHOB", "NPHI", "DT", "PE", "RT", "CALI"]
SMALL = DenoisingAutoEncoder(noise="masking", noise_level=0.2, latent_dim=4, hidden=(32, 16),
                             scaler="robust", epochs=60, patience=10, learning_rate=3e-3)
GR_ONLY, GR_RT, THIN = 400, 250, 15  # samples per well; THIN rows of 4 curves: a thin bin


@pytest.fixture(scope="module")
def covered():
    """Three wells, each with a GR-only top, then a GR + RT section, then 15 samples without PE,
    RT and CALI (4 curves), then every curve; spikes anywhere (those on a hidden curve vanish)."""
    w = make_synthetic_wells(n_wells=3, n_samples=1000, random_state=5, fault_types=("spike",),
                             fault_fraction=0.02)
    X = w.observed.copy()
    X["RT"] = np.log10(X["RT"])
    hidden = np.zeros((len(X), len(CURVES)), dtype=bool)
    for well in X["WELL"].unique():
        rows = np.flatnonzero(X["WELL"].to_numpy() == well)
        a, b, c = rows[:GR_ONLY], rows[GR_ONLY:GR_ONLY + GR_RT], rows[GR_ONLY + GR_RT:][:THIN]
        hidden[np.ix_(a, range(1, 7))] = True
        hidden[np.ix_(b, [1, 2, 3, 4, 6])] = True
        hidden[np.ix_(c, [4, 5, 6])] = True
    X[CURVES] = X[CURVES].mask(hidden)
    spiked = (w.faults[CURVES].to_numpy() != 0) & ~hidden  # spikes still visible
    det = AnomalyDetector(model=SMALL, contamination=0.02, stuck_run=None, random_state=0).fit(X)
    return X, spiked, det


def _n_observed(X):
    return X[CURVES].notna().sum(axis=1).to_numpy()


def test_scores_are_comparable_across_coverage(covered):
    """On normal samples the median score of each coverage group is about that of a chi-square
    mean (0.45 for one curve, 0.87 for seven): within a factor 3 of each other. One pooled MAD
    per curve gave the full rows median scores tens of times the GR-only rows'."""
    X, spiked, det = covered
    score = -det.score_samples(X)
    n = _n_observed(X)
    normal = ~spiked.any(axis=1)
    medians = {k: float(np.median(score[normal & (n == k)])) for k in (1, 2, 7)}
    assert max(medians.values()) / min(medians.values()) < 3, medians
    assert all(0.15 < m < 3 for m in medians.values()), medians
    # no section holds most of the flags: each coverage group's flagged share stays small
    flagged = det.predict(X) == -1
    for k in (1, 2, 7):
        assert flagged[normal & (n == k)].mean() < 0.1, (k, flagged[normal & (n == k)].mean())


def test_spikes_in_full_sections_are_found_and_named(covered):
    """The fix does not blunt the detector where every curve is read: the synthetic spikes rank
    high, and 28 spikes of 6 interquartile ranges (each curve in turn, up and down) added to
    normal full rows are all flagged (one pooled MAD per curve left one under the threshold that
    the two-curve section had inflated) and mostly named by explain()."""
    X, spiked, det = covered
    n = _n_observed(X)
    full = n == len(CURVES)
    y = spiked[full].any(axis=1)
    assert 20 < y.sum() < 0.1 * full.sum()
    assert roc_auc_score(y, -det.score_samples(X)[full]) >= 0.95
    normal = np.flatnonzero(full & ~spiked.any(axis=1))
    rows = normal[np.linspace(20, len(normal) - 20, 28).astype(int)]
    iqr = X.loc[full, CURVES].quantile(0.75) - X.loc[full, CURVES].quantile(0.25)
    Xs = X.copy()
    for i, r in enumerate(rows):
        c = CURVES[i % len(CURVES)]
        Xs.iloc[r, Xs.columns.get_loc(c)] += 6 * iqr[c] * (1 if i % 2 == 0 else -1)
    assert (det.predict(Xs)[rows] == -1).all(), -det.score_samples(Xs)[rows]
    named = det.explain(Xs).to_numpy()[rows].argmax(axis=1)
    assert np.mean(named == np.arange(len(rows)) % len(CURVES)) >= 0.75


def test_normalisation_per_coverage_bin_matches_an_independent_computation(covered):
    """coverage_center_/coverage_scale_ are the median and 1.4826 MAD of the leave-one-curve-out
    residuals of each (curve, number of other observed curves) bin; a thin bin (< 50 residuals)
    borrows the nearest bin with k >= 1 that has enough; residual_center_/residual_scale_ are the
    full-coverage column; the score is the mean squared z of the observed curves."""
    X, _, det = covered
    model = det.model_
    inp = X[CURVES].to_numpy()
    rec = np.empty_like(inp)
    for j in range(len(CURVES)):
        h = inp.copy()
        h[:, j] = np.nan
        rec[:, j] = model.reconstruct(h)[:, j]
    alone = np.isfinite(inp).sum(axis=1) == 1
    rec[alone] = model.reconstruct(inp[alone])
    res = (inp - rec) / model.scaler_scale_
    k = np.isfinite(inp).sum(axis=1) - 1

    def stats(r):
        r = r[np.isfinite(r)]
        med = np.median(r)
        return med, 1.4826 * np.median(np.abs(r - med))

    p = len(CURVES)
    counts = np.array([[np.isfinite(res[k == b, j]).sum() for b in range(p)] for j in range(p)])
    np.testing.assert_array_equal(det.coverage_counts_, counts)
    assert counts[0, 0] == 3 * GR_ONLY and counts[5, 1] == 3 * GR_RT and counts[0, 3] == 3 * THIN
    expected_c, expected_s = np.zeros((p, p)), np.zeros((p, p))
    source = {(0, 0): 0, (0, 1): 1, (5, 1): 1, (0, 6): 6, (3, 6): 6,
              (0, 3): 1,  # GR: the thin bin k=3 borrows k=1 (nearer than k=6)
              (1, 3): 6}  # RHOB: never with one other curve, so k=6
    for (j, b), src in source.items():
        expected_c[j, b], expected_s[j, b] = stats(res[k == src, j])
        assert det.coverage_center_[j, b] == pytest.approx(expected_c[j, b], rel=1e-9, abs=1e-12)
        assert det.coverage_scale_[j, b] == pytest.approx(expected_s[j, b], rel=1e-9)
    np.testing.assert_array_equal(det.residual_center_, det.coverage_center_[:, -1])
    np.testing.assert_array_equal(det.residual_scale_, det.coverage_scale_[:, -1])
    # scores: GR-only rows by the k=0 bin; GR + RT rows by the k=1 bins
    z2 = ((res - det.coverage_center_.T[np.clip(k, 0, p - 1)])
          / det.coverage_scale_.T[np.clip(k, 0, p - 1)]) ** 2
    np.testing.assert_allclose(-det.score_samples(X), np.nanmean(z2, axis=1), rtol=1e-9)
    gr_only = np.flatnonzero(k == 0)[:5]
    np.testing.assert_allclose(-det.score_samples(X.iloc[gr_only]),
                               ((res[gr_only, 0] - expected_c[0, 0]) / expected_s[0, 0]) ** 2,
                               rtol=1e-9)


def test_a_bin_of_mostly_one_reading_does_not_make_every_other_reading_a_million():
    """A coverage bin whose residuals are mostly one value (a stuck tool in the section without
    the other curves; seen on a Volve well) has a MAD of about 0: its scale is floored at
    bin_floor (0.1) times the curve's pooled k >= 1 scale, not at 1e-3 of the median scale."""
    rng = np.random.default_rng(0)
    n = 2000
    values = rng.normal(size=(n, 3))
    values[:1000, 2] = np.nan  # rows 0-999: 2 curves (k = 1); rows 1000-: 3 curves (k = 2)
    res = rng.normal(size=(n, 3)) * [1.0, 0.5, 2.0]
    res[np.isnan(values)] = np.nan
    res[:940, 1] = 0.25  # curve 1 stuck over most of the k = 1 section: MAD 0 there
    det = AnomalyDetector()
    det._fit_normalisation(res, values)
    pooled = 1.4826 * np.nanmedian(np.abs(res[:, 1] - np.nanmedian(res[:, 1])))
    assert det.coverage_counts_[1, 1] == 1000
    assert det.coverage_scale_[1, 1] == pytest.approx(det.bin_floor * pooled, rel=1e-9)
    # the other bins keep their own robust spread
    k2 = res[1000:, 1]
    assert det.coverage_scale_[1, 2] == pytest.approx(
        1.4826 * np.median(np.abs(k2 - np.median(k2))), rel=1e-9)
