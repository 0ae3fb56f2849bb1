"""Messy DataFrames as a notebook user has them (an audit of the Python API): null markers kept
as numbers, duplicated or non-string column names, a DEPTH column, missing WELL labels, a
``log10_curves`` cell run twice, MultiIndex and datetime indexes for ``write_las``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from geoae import AutoEncoder, DataError, DenoisingAutoEncoder
from geoae.applications import AnomalyDetector, EncoderFeatures, Imputer, latent_map
from geoae.datasets import make_synthetic_wells
from geoae.io import read_las, write_las
from geoae.preprocessing import inverse_log10_curves, log10_curves

CURVES = ["GR", "RHOB", "NPHI", "PE"]


def small(**kw):
    kw = {"epochs": 2, "random_state": 0, "device": "cpu", "verbose": False, **kw}
    return AutoEncoder(latent_dim=2, hidden=(8,), **kw)


@pytest.fixture(scope="module")
def wells():
    return make_synthetic_wells(n_wells=3, n_samples=120, random_state=0, faults=False).clean[
        ["WELL", "DEPTH", *CURVES]]


def messages(fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    return out, [str(w.message) for w in caught]


def marker_messages(msgs):
    return [m for m in msgs if "null marker" in m]


def test_null_markers_kept_as_numbers_are_reported_once_by_name(wells):
    """-999.25 left in a frame (pd.read_csv of a vendor export) was learnt as a reading, and the
    Imputer filled PE with -272 without a word."""
    X = wells.copy()
    X.loc[X.index[::7], "PE"] = -999.25
    X.loc[X.index[3], "GR"] = -9999.0
    n_pe, n_gr = len(X.index[::7]), 1
    cases = [
        (lambda: small().fit(X.drop(columns=["DEPTH"])), "AutoEncoder"),
        (lambda: Imputer(model=DenoisingAutoEncoder(epochs=1, hidden=(8,), latent_dim=2),
                         n_ensemble=1, random_state=0).fit(X), "Imputer"),
        (lambda: AnomalyDetector(model=small()).fit(X), "AnomalyDetector"),
        (lambda: EncoderFeatures(small()).fit(X), "EncoderFeatures"),
    ]
    for fit, name in cases:
        _, msgs = messages(fit)
        said = marker_messages(msgs)
        assert len(said) == 1, (name, msgs)
        assert f"X holds {n_pe + n_gr} value(s)" in said[0], name
        assert f"PE ({n_pe})" in said[0] and f"GR ({n_gr})" in said[0], name
        assert "[-999.25, -9999.0]" in said[0] and "X.replace(" in said[0], name
    # the same frame with the markers made NaN: nothing to say
    clean = X.replace([-999.25, -9999.0], np.nan)
    _, msgs = messages(lambda: small().fit(clean.drop(columns=["DEPTH"])))
    assert marker_messages(msgs) == []
    # a numpy array: features by position
    _, msgs = messages(lambda: small().fit(X[CURVES].to_numpy()))
    assert f"feature 3 ({n_pe})" in marker_messages(msgs)[0]


def test_detector_says_infinite_readings_are_scored_as_missing(wells):
    X = wells.copy()
    X.loc[X.index[5], "GR"] = np.inf
    det, msgs = messages(lambda: AnomalyDetector(model=small()).fit(X))
    assert sum("1 infinite value(s); they are scored as missing" in m for m in msgs) == 1
    _, msgs = messages(det.predict, X)
    assert sum("infinite value(s)" in m for m in msgs) == 1


def test_encoder_features_passes_depth_through_without_encoding_it(wells):
    """A read_wells frame (WELL, DEPTH, curves) fed DEPTH to the encoder, silently."""
    feats = EncoderFeatures(small()).fit(wells)
    assert feats.model_.input_shape_ == (len(CURVES),)
    out = feats.transform(wells)
    assert list(feats.get_feature_names_out()[:5]) == ["DEPTH", *CURVES]
    np.testing.assert_array_equal(out[:, 0], wells["DEPTH"].to_numpy())
    shifted = wells.assign(DEPTH=wells["DEPTH"] + 1000.0)  # the codes do not depend on depth
    np.testing.assert_allclose(feats.transform(shifted)[:, 5:], out[:, 5:])
    # the codes are those of the model on the curves alone
    np.testing.assert_allclose(out[:, 5:], feats.model_.transform(wells[CURVES].to_numpy()))
    with pytest.raises(DataError, match="no curve for the encoder"):
        EncoderFeatures(small()).fit(wells[["WELL", "DEPTH"]])


@pytest.mark.parametrize("make", [
    lambda: small(), lambda: Imputer(n_ensemble=1), lambda: EncoderFeatures(small())])
def test_duplicated_column_names_are_named(wells, make):
    """Two GR columns side by side were reported as 'not numeric'."""
    X = pd.concat([wells[CURVES], wells[["GR"]]], axis=1)
    with pytest.raises(DataError, match=r"column name\(s\) \['GR'\] appear more than once in X"):
        make().fit(X)


def test_numbers_stored_as_text_get_the_to_numeric_hint(wells):
    X = wells[CURVES].astype({"PE": str})
    for est in (small(), Imputer(n_ensemble=1), EncoderFeatures(small())):
        with pytest.raises(DataError, match=r"\['PE'\] of X are not numeric.*pd\.to_numeric"):
            est.fit(X)


def test_missing_well_labels_are_a_data_error_for_the_estimators(wells):
    X = wells[["WELL", *CURVES]].copy()
    X["WELL"] = X["WELL"].astype(object)
    X.loc[X.index[:10], "WELL"] = np.nan
    with pytest.raises(DataError, match="10 row.s. without a WELL label"):
        small().fit(X)


def test_log10_curves_run_twice_leaves_log_values_alone():
    df = pd.DataFrame({"RT": [8.0, 20.0, 100.0], "GR": [50.0, 60.0, 70.0]})
    once = log10_curves(df)
    twice, msgs = messages(log10_curves, once)
    assert any("['RT'] already hold log10 values" in m for m in msgs)
    pd.testing.assert_frame_equal(twice, once)
    assert twice.attrs["log10_curves"] == ["RT"]
    np.testing.assert_allclose(inverse_log10_curves(twice)["RT"], df["RT"])
    # naming it explicitly is refused the same way
    again, msgs = messages(lambda: log10_curves(once, curves=["RT"]))
    np.testing.assert_array_equal(again["RT"], once["RT"])


def test_reconstruct_keeps_column_labels_and_says_units_and_log10(wells):
    ints = wells[CURVES].set_axis([0, 1, 2, 3], axis=1)
    rec = small().fit(ints.to_numpy()).reconstruct(ints)
    assert list(rec.columns) == [0, 1, 2, 3]
    X = log10_curves(wells[CURVES].assign(RT=np.exp(wells["NPHI"] * 3) + 1.0), curves=["RT"])
    X.attrs["units"] = {"GR": "gAPI", "RHOB": "g/cm3", "RT": "ohm.m"}
    model = small().fit(X)
    rec = model.reconstruct(X.assign(WELL="A")[["WELL", *X.columns]])
    assert list(rec.columns) == list(X.columns)  # WELL left out
    assert rec.attrs["log10_curves"] == ["RT"] and rec.attrs["units"]["GR"] == "gAPI"
    back = inverse_log10_curves(rec)  # no curves= needed any more
    np.testing.assert_allclose(back["RT"], 10 ** rec["RT"])


def test_latent_map_aligns_series_labels_on_the_index(wells):
    model = small().fit(wells[CURVES])
    X = wells[CURVES].iloc[::3]
    labels = pd.Series(np.arange(len(wells)), index=wells.index)  # every row, another order
    shuffled = labels.sample(frac=1.0, random_state=0)
    got = latent_map(model, X, labels=shuffled)["label"].to_numpy()
    np.testing.assert_array_equal(got, labels.loc[X.index].to_numpy())
    with pytest.raises(DataError, match="does not hold every row of X's index"):
        latent_map(model, X, labels=labels.iloc[:10])
    # an array is taken in row order, as before
    arr = np.arange(len(X))[::-1]
    np.testing.assert_array_equal(latent_map(model, X, labels=arr)["label"], arr)


def test_imputer_names_an_extra_column(wells):
    imp = Imputer(model=DenoisingAutoEncoder(epochs=1, hidden=(8,), latent_dim=2), n_ensemble=1,
                  random_state=0).fit(wells[CURVES])
    with pytest.raises(DataError, match=r"X has \['E'\] besides them"):
        imp.transform(wells[CURVES].assign(E=1.0))


def test_write_las_of_one_group_of_a_well_depth_multiindex(tmp_path, wells):
    """for well, logs in frame.groupby(level='WELL'): write_las(...) failed with pandas'
    'initializing a Series from a MultiIndex is not supported'."""
    frame = wells.set_index(["WELL", "DEPTH"])
    for well, logs in frame.groupby(level="WELL"):
        back = read_las(write_las(logs, tmp_path / f"{well}.las"))
        assert back.attrs["well_name"] == well
        np.testing.assert_allclose(back.index, logs.index.get_level_values("DEPTH"))
        np.testing.assert_allclose(back["GR"], logs["GR"], rtol=1e-6)
    with pytest.raises(DataError, match="holds 3 wells in its index level 'WELL'"):
        write_las(frame, tmp_path / "all.las")
    dated = pd.DataFrame({"GR": [1.0, 2.0]}, index=pd.to_datetime(["2020-01-01", "2020-01-02"]))
    with pytest.raises(DataError, match="index .datetime64.* is not a depth"):
        write_las(dated, tmp_path / "t.las")
    dup = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["DEPTH", "GR", "GR"])
    with pytest.raises(DataError, match=r"\['GR'\] appear more than once"):
        write_las(dup, tmp_path / "d.las")
    assert not any(tmp_path.glob("[tda]*.las"))


def test_review_follow_ups(wells, tmp_path, monkeypatch):
    """A review of the change: ContextEncoder checked columns only after standardising (numpy
    broadcast errors) and took inf as a reading; an EncoderFeatures encoder fitted with DEPTH
    among its inputs (an older geoae) failed with a bare width mismatch; write_las wrote DEPTH
    twice for set_index('DEPTH', drop=False); non-zero ranks repeated the null-marker warning."""
    from geoae.applications import ContextEncoder

    X = wells[["WELL", *CURVES]]
    ce = ContextEncoder(context=2, latent_dim=1, epochs=1, random_state=0).fit(X)
    with pytest.raises(DataError, match="expecting 4 features as input"):
        ce.transform(X.assign(E=1.0))
    bad = X.copy()
    bad.loc[bad.index[3], "GR"] = np.inf
    out, msgs = messages(ce.transform, bad)
    assert any("1 infinite value(s); they are treated as missing" in m for m in msgs)
    assert np.isfinite(out[3, -1])  # the row's other curves still make a code
    with pytest.raises(DataError, match="X has no rows"):
        ContextEncoder(epochs=1).fit(X.iloc[:0])

    old = small().fit(wells[["DEPTH", *CURVES]].to_numpy())  # DEPTH encoded, as before
    feats = EncoderFeatures(old, prefit=True)
    with pytest.raises(DataError, match="fitted with DEPTH among its inputs.*fit it again"):
        feats.fit(wells)

    frame = wells[wells["WELL"] == wells["WELL"].iloc[0]].set_index("DEPTH", drop=False)
    back = read_las(write_las(frame, tmp_path / "one.las"))
    assert "DEPTH" not in back.columns and list(back.columns) == CURVES

    noisy = wells[CURVES].copy()
    noisy.iloc[::5, 0] = -999.25
    from geoae.preprocessing import warn_null_markers

    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")  # torchrun's rank 1 says nothing
    _, msgs = messages(lambda: warn_null_markers(noisy.to_numpy(), CURVES))
    assert marker_messages(msgs) == []
    monkeypatch.delenv("WORLD_SIZE")  # a RANK left alone in the environment does not silence it
    _, msgs = messages(lambda: Imputer(model=DenoisingAutoEncoder(epochs=1, hidden=(8,),
                                                                  latent_dim=2),
                                       n_ensemble=1, random_state=0).fit(noisy))
    assert marker_messages(msgs) != []


def test_a_public_call_says_each_warning_about_x_once(wells):
    """score, fit_transform, fit_predict, encoder_features validate X twice and said the
    null-marker warning twice (a review)."""
    from geoae.applications import encoder_features

    X = wells[CURVES].copy()
    X.iloc[::9, 3] = -999.25
    calls = {
        "AutoEncoder.fit_transform": lambda: small().fit_transform(X),
        "AutoEncoder.score": lambda: small().fit(X.replace(-999.25, np.nan)).score(X),
        "Imputer.fit_transform": lambda: Imputer(
            model=DenoisingAutoEncoder(epochs=1, hidden=(8,), latent_dim=2), n_ensemble=1,
            random_state=0).fit_transform(X),
        "AnomalyDetector.fit_predict": lambda: AnomalyDetector(model=small()).fit_predict(X),
        "encoder_features": lambda: encoder_features(small(), X),
        "EncoderFeatures.fit_transform": lambda: EncoderFeatures(small()).fit_transform(X),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        said = [w for w in caught if "null marker" in str(w.message)]
        assert len(said) == 1, (name, [str(w.message) for w in caught])
        # it points at the user's line, however deep inside geoae (and sklearn) it was said
        assert said[0].filename == __file__, (name, said[0].filename)


def test_null_markers_in_traces_say_they_may_be_genuine():
    """A SEG-Y's -999 amplitudes in an array of traces got the logs' advice alone (read the
    file with read_las), over every sample column."""
    import warnings

    import numpy as np

    from geoae import AutoEncoder

    X = np.random.default_rng(0).normal(size=(100, 64))
    X[np.arange(10), np.arange(10) * 6] = -999.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoEncoder(epochs=1, hidden=(4,), latent_dim=2, verbose=False, device="cpu").fit(X)
    said = [str(w.message) for w in caught if "null marker" in str(w.message)]
    assert len(said) == 1
    assert "and 2 more columns" in said[0] and "quiet_null_markers()" in said[0]
