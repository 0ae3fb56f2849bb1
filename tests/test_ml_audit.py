"""Evaluation pitfalls found by a leakage review (fifteenth session): the wrappers' inner
auto-encoder holds out whole wells for early stopping, as a model's own fit does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geoae.models as gm
from geoae import AutoEncoder
from geoae.applications import AnomalyDetector, EncoderFeatures
from geoae.errors import ConfigError


def _wells_frame(n_wells=4, n=120, seed=0):
    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"WELL": f"W{i}", "DEPTH": np.arange(n, dtype=float),
                           "GR": rng.normal(80, 10, n), "RHOB": rng.normal(2.4, 0.1, n),
                           "NPHI": rng.normal(0.2, 0.05, n)}) for i in range(n_wells)]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def split_spy(monkeypatch):
    """The well labels each validation split was given."""
    seen = []
    original = gm.validation_split

    def spy(n, wells, fraction, seed):
        seen.append(None if wells is None else np.asarray(wells).copy())
        return original(n, wells, fraction, seed)

    monkeypatch.setattr(gm, "validation_split", spy)
    return seen


@pytest.mark.parametrize("make", [
    lambda: EncoderFeatures(AutoEncoder(latent_dim=2, epochs=2, random_state=0), context=2),
    lambda: AnomalyDetector(AutoEncoder(latent_dim=2, epochs=2, random_state=0)),
    lambda: AnomalyDetector(AutoEncoder(latent_dim=2, epochs=2, random_state=0), window=16),
], ids=["EncoderFeatures", "AnomalyDetector", "AnomalyDetector-windows"])
def test_wrappers_hold_out_whole_wells(split_spy, make):
    """The wrappers gave their model a bare array: early stopping held out random rows, which
    share their depth neighbours (context windows) with training rows."""
    X = _wells_frame()
    make().fit(X)
    assert len(split_spy) == 1 and split_spy[0] is not None
    labels = split_spy[0]
    assert set(labels) == {"W0", "W1", "W2", "W3"}
    if len(labels) == len(X):  # one label per row, in the rows' order
        np.testing.assert_array_equal(labels, X["WELL"].to_numpy())
    else:  # one per window, each window's well, wells in turn
        assert list(pd.unique(labels)) == ["W0", "W1", "W2", "W3"]


def test_fit_takes_wells_for_an_array(split_spy):
    X = _wells_frame()
    values, wells = X[["GR", "RHOB", "NPHI"]].to_numpy(), X["WELL"].to_numpy()
    a = AutoEncoder(latent_dim=2, epochs=3, random_state=0).fit(values, wells=wells)
    b = AutoEncoder(latent_dim=2, epochs=3, random_state=0).fit(X.drop(columns="DEPTH"))
    np.testing.assert_array_equal(split_spy[0], split_spy[1])
    np.testing.assert_allclose(a.transform(values), b.transform(X[["GR", "RHOB", "NPHI"]]))


def test_fit_wells_are_checked():
    X = _wells_frame()
    values = X[["GR", "RHOB", "NPHI"]].to_numpy()
    with pytest.raises(ConfigError, match="one label per sample"):
        AutoEncoder(epochs=1).fit(values, wells=X["WELL"].to_numpy()[:-1])
    with pytest.raises(ConfigError, match="give the wells once"):
        AutoEncoder(epochs=1).fit(X.drop(columns="DEPTH"), wells=X["WELL"].to_numpy())


def test_context_encoder_fitted_with_depth_refuses_an_array():
    """It failed with numpy's 'operands could not be broadcast together'."""
    from geoae.applications import ContextEncoder
    from geoae.errors import DataError

    X = _wells_frame(n_wells=2, n=60)
    ce = ContextEncoder(context=2, epochs=1, random_state=0).fit(X)
    with pytest.raises(DataError, match="DataFrame with a DEPTH column"):
        ce.transform(X.drop(columns="WELL").to_numpy())
    assert ce.transform(X).shape[0] == len(X)


def test_mixed_type_well_labels_fit():
    """Passing the wells on made a WELL column of 1 and 'B-2' fail in np.unique (TypeError)."""
    X = _wells_frame(n_wells=2, n=80)
    X["WELL"] = [1] * 80 + ["B-2"] * 80
    X["WELL"] = X["WELL"].astype(object)
    AnomalyDetector(AutoEncoder(latent_dim=2, epochs=1, random_state=0)).fit(X)
    EncoderFeatures(AutoEncoder(latent_dim=2, epochs=1, random_state=0), context=1).fit(X)


def test_wells_with_a_stream_is_refused(tmp_path):
    import lasio

    from geoae.streaming import LasRows

    las = lasio.LASFile()
    las.append_curve("DEPT", np.arange(50.0), unit="M")
    las.append_curve("GR", np.random.default_rng(0).normal(80, 10, 50), unit="GAPI")
    las.append_curve("RHOB", np.random.default_rng(1).normal(2.4, 0.1, 50), unit="G/CC")
    las.write(str(tmp_path / "w.las"), version=2.0)
    with pytest.raises(ConfigError, match="wells= applies to arrays"):
        AutoEncoder(latent_dim=1, epochs=1).fit(LasRows(tmp_path, ["GR", "RHOB"]), wells=np.zeros(50))


def test_encoder_features_default_model_does_not_warn_of_its_width():
    import warnings

    X = _wells_frame(n_wells=2, n=60)[["WELL", "GR", "RHOB", "NPHI"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EncoderFeatures(random_state=0).set_params().fit(X)
    assert not [w for w in caught if "latent dimension" in str(w.message)]
