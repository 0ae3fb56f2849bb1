"""geoae impute and impossible readings (found on FORCE 2020 and Wellington wells): a PE of
297 b/e in the training wells is not learnt from, and no fill leaves the curve's physical range
(a sonic of -13.6 us/ft, a PE of 44 b/e where the well reads 1.3-5.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae.datasets import make_synthetic_wells
from geoae.workflows import _physical_range


def test_physical_range_in_the_curves_unit():
    assert _physical_range("PE", "") == (0.0, 10.0)
    assert _physical_range("DTC", "US/F") == (40.0, 240.0)
    lo, hi = _physical_range("AC", "us/m")  # 40-240 us/ft in us/m
    assert lo == pytest.approx(40 / 0.3048) and hi == pytest.approx(240 / 0.3048)
    assert _physical_range("DT", "gAPI") is None and _physical_range("XYZ", "") is None


@pytest.fixture()
def wells(tmp_path):
    obs = make_synthetic_wells(n_wells=3, n_samples=200, random_state=0, faults=False).observed
    df = obs[["WELL", "DEPTH", "GR", "RHOB", "NPHI", "DT", "PE"]].copy()
    w = df["WELL"].unique()
    df.loc[df["WELL"] == w[2], "PE"] = np.nan  # PE never run in the third well
    bad = df.index[df["WELL"] == w[0]][10:15]
    df.loc[bad, "PE"] = 297.0  # a broken tool in the first
    path = tmp_path / "wells.csv"
    df.to_csv(path, index=False)
    return path, df, bad


def test_impossible_readings_are_not_learnt_from_and_stay_as_measured(capsys, tmp_path, wells):
    path, df, bad = wells
    out = tmp_path / "filled.csv"
    code, _, err = run(capsys, "impute", path, "--curve", "PE", "--out", out, "--epochs", 3)
    assert code == 0, err
    assert "outside their curve's physical range left out" in err and "PE: 5" in err
    res = pd.read_csv(out)
    assert (res.loc[bad, "PE_IMPUTED"] == 297.0).all()  # measured values bit for bit
    filled = res["PE"].isna()
    assert filled.sum() == 200 and res.loc[filled, "PE_IMPUTED"].between(0, 10).all()


def test_fills_beyond_the_physical_range_are_set_to_its_nearer_end(capsys, tmp_path, wells,
                                                                   monkeypatch):
    from geoae.applications import Imputer

    path, _, _ = wells
    real = Imputer.transform

    def wild(self, X, return_std=False):  # a network that extrapolates far past the rock
        out = real(self, X, return_std=return_std)
        filled = out[0] if return_std else out
        gap = X["PE"].isna()
        filled.loc[gap, "PE"] = np.where(np.arange(gap.sum()) % 2, 44.0, -3.0)
        return out

    monkeypatch.setattr(Imputer, "transform", wild)
    out = tmp_path / "filled.csv"
    code, _, err = run(capsys, "impute", path, "--curve", "PE", "--out", out, "--epochs", 1)
    assert code == 0, err
    assert "PE fill(s) outside PE's physical range 0 to 10 set to its nearer end" in err
    res = pd.read_csv(out)
    fills = res.loc[res["PE"].isna(), "PE_IMPUTED"]
    assert set(np.unique(fills)) <= {0.0, 10.0} and len(np.unique(fills)) == 2
