"""Silent wrong numbers found by a numerical-robustness review (fifteenth session): a curve of
tiny values taken for a constant, one extreme reading setting a whole curve's scale, a value
no float32 holds, a curve spoiled by one text entry."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clirun import run
from geoae import AutoEncoder
from geoae.applications import Denoiser
from geoae.preprocessing import fit_affine_scaler, outlier_dominated


def _logs(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"GR": rng.normal(60, 10, n), "RHOB": rng.normal(2.4, 0.1, n),
                         "NPHI": rng.normal(0.2, 0.05, n), "PE": rng.normal(3, 0.5, n)})


def _caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(x.message) for x in w]


def test_a_curve_of_tiny_values_keeps_its_scale():
    """A permeability in m2 (~1e-14) had its scale set to 1 (taken for a constant): its
    reconstructions came back near 0.04 instead of ~1e-13."""
    X = _logs(300)
    X["PERM"] = 10 ** np.random.default_rng(1).normal(-14, 0.3, len(X))
    for method in ("standard", "minmax", "robust"):
        _, scale = fit_affine_scaler(X.to_numpy(), method)
        assert scale[-1] < 1e-11, method
    model = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(X)
    rec = model.reconstruct(X)["PERM"]
    assert np.abs(rec).max() < 1e-11  # the curve's own order of magnitude, not ~0.04
    # a really constant curve still gets scale 1 (no division by zero)
    _, scale = fit_affine_scaler(np.c_[np.full(50, 7.0), np.arange(50.0)], "standard")
    assert scale[0] == 1.0


def test_one_extreme_reading_that_sets_a_scale_is_warned():
    X = _logs(300)
    X.loc[7, "GR"] = 1e30  # a corrupt reading: GR's standard deviation becomes ~6e28
    _, said = _caught(lambda: AutoEncoder(latent_dim=2, hidden=(8,), epochs=1,
                                          random_state=0).fit(X))
    hits = [m for m in said if "set by a few extreme readings" in m]
    assert len(hits) == 1 and "GR (" in hits[0] and "RHOB" not in hits[0]
    assert outlier_dominated(X.to_numpy(), fit_affine_scaler(X.to_numpy(), "robust")[1],
                             "robust") == []  # the robust scale is not set by it
    # heavy-tailed but real data are not flagged
    heavy = np.random.default_rng(2).standard_t(2, size=(5000, 1))
    assert outlier_dominated(heavy, fit_affine_scaler(heavy, "standard")[1], "standard") == []


def test_one_corrupt_seismic_sample_is_warned():
    rng = np.random.default_rng(0)
    section = rng.normal(size=(120, 64)).astype(np.float64)
    section[3, 5] = 1e30
    _, said = _caught(lambda: Denoiser(window=32, epochs=1, random_state=0).fit(section))
    assert any("amplitude scale is" in m for m in said)


def test_a_value_no_float32_holds_is_missing_with_a_warning():
    """transform gave -inf and NaN codes (and score() NaN for the whole data)."""
    model = AutoEncoder(latent_dim=2, hidden=(8,), epochs=2, random_state=0).fit(_logs(200))
    X = _logs(200, seed=1)
    X.loc[0, "GR"] = 1e45
    codes, said = _caught(lambda: model.transform(X))
    assert np.isfinite(codes).all()
    assert any("too large for the model's float32" in m for m in said)
    assert np.isfinite(model.score(X))


def test_text_among_numbers_is_named(capsys, tmp_path):
    """A curve with one '1,2' among its numbers left the default curves silently."""
    frame = _logs(120).round(3)
    frame["RHOB"] = frame["RHOB"].astype(str)
    frame.loc[2, "RHOB"] = "1,2"
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--latent", 2, "--epochs", 1, "-q",
                       "--out", tmp_path / "m")
    assert code == 0 and "RHOB: 1 value such as '1,2' (data row 3)" in err
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--curves", "GR,RHOB", "--epochs", 1,
                       "--out", tmp_path / "m2")
    assert code == 2 and "'1,2' (data row 3)" in err


def test_text_check_skips_codes_and_nan_strings_and_places_the_row(capsys, tmp_path):
    """A code column (1, 2, 2a) is not a spoiled curve; 'nan' is missing, not text; the row
    named is the value's own with missing rows before it."""
    from geoae.workflows import Table, _text_among_numbers

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "CODE": ["1"] * 50 + ["2"] * 45 + ["2a"] * 5,
        "RHOB": [None, "nan"] + [f"{v:.3f}" for v in rng.normal(2.4, 0.1, 97)] + ["x"],
    })
    said = _text_among_numbers(Table(frame, "csv", tmp_path / "t.csv"))
    assert list(said) == ["RHOB"]
    assert said["RHOB"] == "RHOB: 1 value such as 'x' (data row 100)"


def test_a_curve_of_huge_values_is_scaled_without_overflow():
    """Values near 1e300 overflowed when squared for the standard deviation: numpy warned,
    the scale became 1 and every value of the curve was then treated as missing. The
    statistics are now taken on the values divided by a power of two."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    X[:, 1] = X[:, 1] * 1e300 + 3e300
    X[7, 2] = np.nan
    offset, scale = fit_affine_scaler(X, "standard")
    # the same statistics computed on values divided by 1e300 by hand (and numpy's for the rest)
    small = X[:, 1] / 1e300
    np.testing.assert_allclose([offset[1] / 1e300, scale[1] / 1e300], [small.mean(), small.std()],
                               rtol=1e-12)
    np.testing.assert_allclose([offset[2], scale[2]], [np.nanmean(X[:, 2]), np.nanstd(X[:, 2])],
                               rtol=1e-12)
    model, said = _caught(lambda: AutoEncoder(latent_dim=2, hidden=(8,), epochs=3,
                                              random_state=0).fit(X))
    assert said == []
    rec = model.reconstruct(X)[:, 1]
    assert np.all(np.isfinite(rec)) and 1e299 < np.median(rec) < 1e301
