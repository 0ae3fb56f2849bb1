"""The Python API as a notebook user meets it (an audit): frames in any row order, a
``(WELL, DEPTH)`` MultiIndex, pandas objects paired by index, bad window options."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from geoae import AutoEncoder, DenoisingAutoEncoder
from geoae.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def logs() -> pd.DataFrame:
    from geoae.datasets import load_kansas_facies

    df = load_kansas_facies()
    d = df[df["WELL"].isin(df["WELL"].unique()[:3])]
    d = d[["WELL", "DEPTH", "GR", "ILD_log10", "PHIND", "PE"]]
    return d[~d.duplicated(["WELL", "DEPTH"])].reset_index(drop=True)


def back(values, frame: pd.DataFrame, like: pd.DataFrame) -> np.ndarray:
    """Rows of ``values`` (in ``frame``'s order) put back in ``like``'s order."""
    return pd.DataFrame(np.asarray(values), index=frame.index).reindex(like.index).to_numpy()


def test_context_codes_follow_depth_not_row_order(logs):
    """ContextEncoder and EncoderFeatures(context>0) took the rows as they came: the same
    frame shuffled got other codes (max 1.85) though it had a DEPTH column; the Imputer sorts
    each well by depth, and so do they now."""
    from geoae.applications import ContextEncoder, EncoderFeatures

    shuffled = logs.sample(frac=1.0, random_state=0)
    ce = ContextEncoder(context=3, latent_dim=2, hidden=(8,), epochs=2, passthrough=False,
                        random_state=0).fit(logs)
    np.testing.assert_allclose(back(ce.transform(shuffled), shuffled, logs), ce.transform(logs),
                               atol=1e-6)
    # fitted on the shuffled rows: the same windows, so the same network
    again = ContextEncoder(context=3, latent_dim=2, hidden=(8,), epochs=2, passthrough=False,
                           random_state=0).fit(shuffled)
    assert np.isfinite(again.history_["loss"]).all()
    cols = ["WELL", "GR", "ILD_log10", "PHIND", "PE", "DEPTH"]
    ef = EncoderFeatures(AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, random_state=0,
                                     verbose=False), context=2, passthrough=False).fit(logs[cols])
    np.testing.assert_allclose(back(ef.transform(shuffled[cols]), shuffled, logs),
                               ef.transform(logs[cols]), atol=1e-6)


def test_a_well_depth_multiindex_bounds_and_orders_the_context(logs):
    """With WELL and DEPTH as index levels (read_wells(...).set_index(["WELL", "DEPTH"]))
    the context estimators saw one long well in row order: neighbours crossed wells."""
    from geoae.applications import ContextEncoder, Imputer

    mi = logs.set_index(["WELL", "DEPTH"])
    kw = dict(context=3, latent_dim=2, hidden=(8,), epochs=2, passthrough=False, random_state=0)
    by_cols = ContextEncoder(**kw).fit(logs)
    by_index = ContextEncoder(**kw).fit(mi)
    np.testing.assert_allclose(by_index.transform(mi), by_cols.transform(logs), atol=1e-6)
    shuffled = mi.sample(frac=1.0, random_state=1)
    np.testing.assert_allclose(
        pd.DataFrame(by_index.transform(shuffled), index=shuffled.index).loc[mi.index].to_numpy(),
        by_cols.transform(logs), atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imp = Imputer(model=DenoisingAutoEncoder(latent_dim=2, hidden=(8,), epochs=1),
                      context=2, n_ensemble=1, knn_blend=0, random_state=0).fit(logs)
        want = imp.transform(logs)["PE"].to_numpy()
        got = imp.transform(mi)["PE"].to_numpy()
        got_shuffled = imp.transform(shuffled)["PE"].loc[mi.index].to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-9)
    np.testing.assert_allclose(got_shuffled, want, atol=1e-6)


def test_mig_pairs_pandas_rows_by_index(logs):
    from geoae.applications.disentanglement import mutual_information_gap

    rng = np.random.default_rng(0)
    f = pd.DataFrame({"a": rng.integers(0, 3, 600), "b": rng.normal(size=600)})
    z = pd.DataFrame({"z0": f["a"] + 0.1 * rng.normal(size=600), "z1": f["b"],
                      "z2": rng.normal(size=600)})
    mig = mutual_information_gap(z, f)
    assert mig > 0.5
    assert mutual_information_gap(z.sample(frac=1.0, random_state=0), f) == pytest.approx(mig)
    with pytest.raises(DataError, match="different index labels"):
        mutual_information_gap(z.set_axis(range(1, 601)), f)
    with pytest.raises(DataError, match=r"NaN/inf in 1 row\(s\).*drop those rows"):
        mutual_information_gap(z.assign(z0=z["z0"].where(z.index != 5)), f)


@pytest.mark.parametrize("bad", [0, 2.5, "a", True])
def test_seismic_attributes_refuse_a_bad_stride(bad):
    from geoae.applications import seismic_latent_attributes
    from geoae.io.segy import SegyData

    model = AutoEncoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0,
                        verbose=False).fit(np.random.default_rng(0).normal(size=(50, 16)))
    with pytest.raises(ConfigError, match="stride=.* not valid: a positive integer"):
        seismic_latent_attributes(model, SegyData.__new__(SegyData), stride=bad)
