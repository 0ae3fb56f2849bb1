"""Defects found by a code-health review (seventeenth session): rules written several times
that had drifted apart (grouping rows by well, listing a folder, screening physical ranges,
saving folders under torchrun, validating parameters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoae.applications import AnomalyDetector
from geoae.applications.features import stack_context
from geoae.applications.imputation import neighbour_index
from geoae.preprocessing import well_rows


def test_well_rows_against_a_plain_grouping():
    rng = np.random.default_rng(0)
    labels = np.array(["B", "A", "C", None, np.nan], dtype=object)[rng.integers(0, 5, 300)]
    depth = rng.permutation(300).astype(float)
    depth[rng.integers(0, 300, 10)] = np.nan
    got = well_rows(300, labels, depth)
    # by hand: labels in order of first appearance (missing ones one well), rows by depth
    key = np.array(["<na>" if pd.isna(v) else v for v in labels], dtype=object)
    order = list(dict.fromkeys(key))
    assert [("<na>" if pd.isna(w) else w) for w, _ in got] == order
    for (_, rows), k in zip(got, order, strict=True):
        mine = np.flatnonzero(key == k)
        expect = mine[np.lexsort((mine, np.nan_to_num(depth[mine]), np.isnan(depth[mine])))]
        np.testing.assert_array_equal(rows, expect)
    assert sum(len(r) for _, r in got) == 300
    np.testing.assert_array_equal(well_rows(4)[0][1], np.arange(4))
    np.testing.assert_array_equal(well_rows(3, None, np.array([2.0, 0.0, 1.0]))[0][1], [1, 2, 0])
    assert well_rows(0, np.array([], dtype=object)) == []


def test_rows_with_a_missing_well_label_are_not_dropped():
    """intervals() dropped flagged samples whose WELL was NaN (nan != nan), silently, and
    neighbour_index gave them no neighbours, not even themselves, against its docstring;
    stack_context already took them as one well."""
    depth = np.arange(6, dtype=float)
    flags = np.array([1, 1, 0, 1, 1, 1], dtype=bool)
    det = AnomalyDetector()
    for missing in (None, np.nan):
        wells = np.array(["A", "A", "A", missing, missing, missing], dtype=object)
        iv = det.intervals(depth, flags, wells=wells)
        assert len(iv) == 2 and iv["n_samples"].tolist() == [2, 3]
    nbr = neighbour_index(5, 1, wells=np.array(["A", "A", np.nan, np.nan, np.nan], dtype=object))
    np.testing.assert_array_equal(nbr[:, 1], np.arange(5))
    np.testing.assert_array_equal(nbr[2:], [[-1, 2, 3], [2, 3, 4], [3, 4, -1]])
    X = np.arange(5, dtype=float)[:, None]
    stacked = stack_context(X, 1, wells=np.array(["A", "A", np.nan, np.nan, np.nan], dtype=object))
    np.testing.assert_array_equal(stacked[2:], [[2, 2, 3], [2, 3, 4], [3, 4, 4]])


def test_a_placeholder_unit_is_no_unit_in_every_range_screen():
    """clip_to_physical_range skipped a curve whose unit was the placeholder "_" (with a
    warning that it could not convert), recorded_physical_ranges screened it as given while it
    screened a curve without a unit not at all: "_" is no unit to the LAS reader."""
    import warnings

    from geoae.preprocessing import clip_to_physical_range, range_in_unit, recorded_physical_ranges

    df = pd.DataFrame({"GR": [50.0, -5.0, 2000.0], "NPHI": [0.2, 1.5, 0.3]})
    for unit in ("_", "__", ""):
        df.attrs = {"units": {"GR": unit, "NPHI": unit}}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out, counts = clip_to_physical_range(df, return_counts=True)
        assert counts == {"GR": 2, "NPHI": 1}
        assert recorded_physical_ranges(["GR", "NPHI"], df.to_numpy(), df.attrs, "t") == {}
    assert range_in_unit(0.0, 1.0, "v/v", "_") == (0.0, 1.0)
    df.attrs = {"units": {"GR": "gAPI", "NPHI": "v/v"}}
    assert set(recorded_physical_ranges(["GR", "NPHI"], df.to_numpy(), df.attrs, "t")) == {0, 1}


def test_only_rank_zero_writes_application_folders(tmp_path, monkeypatch):
    """Auto-encoders saved on rank 0 alone, the applications' folders (Imputer, detector,
    Denoiser, ContextEncoder) on every rank, and EncoderFeatures wrote its config.json on
    every rank beside a model folder only rank 0 wrote."""
    import geoae.distributed as dist
    from geoae import AutoEncoder
    from geoae.applications import EncoderFeatures, Imputer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["GR", "RHOB", "NPHI"])
    small = dict(latent_dim=2, hidden=(4,), epochs=1, random_state=0)
    fitted = [EncoderFeatures(AutoEncoder(**small)).fit(X), Imputer(AutoEncoder(**small)).fit(X),
              AnomalyDetector(AutoEncoder(**small)).fit(X)]
    monkeypatch.setattr(dist, "is_main_process", lambda: False)
    for i, est in enumerate(fitted):
        est.save(tmp_path / f"other{i}")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(dist, "is_main_process", lambda: True)
    for i, est in enumerate(fitted):
        back = type(est).load(est.save(tmp_path / f"main{i}"))
        assert type(back) is type(est)


@pytest.mark.parametrize("make,name,value", [
    (AnomalyDetector, "stride", True), (AnomalyDetector, "window", True),
    (AnomalyDetector, "stuck_run", True), (AnomalyDetector, "physical_range", "no"),
    ("Imputer", "n_draws", True), ("Imputer", "physical_range", "no")])
def test_bools_and_words_are_not_taken_for_numbers_or_flags(make, name, value):
    """AnomalyDetector(stride=True) was taken as stride 1 (the Denoiser refused it) and
    physical_range="no" switched the screen on."""
    from geoae.applications import Imputer
    from geoae.errors import ConfigError

    cls = Imputer if make == "Imputer" else make
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ConfigError, match=f"{name}={value!r} is not valid"):
        cls(**{name: value}).fit(X)


def test_imputer_checks_input_features():
    """Imputer.get_feature_names_out ignored input_features (EncoderFeatures and the
    ContextEncoder check it, as scikit-learn's one-to-one transformers do)."""
    from geoae import AutoEncoder
    from geoae.applications import Imputer

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    imp = Imputer(AutoEncoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0)).fit(X)
    assert imp.get_feature_names_out().tolist() == ["GR", "RHOB", "NPHI"]
    assert imp.get_feature_names_out(["GR", "RHOB", "NPHI"]).tolist() == ["GR", "RHOB", "NPHI"]
    with pytest.raises(ValueError, match="input_features"):
        imp.get_feature_names_out(["GR", "RHOB", "DT"])
    with pytest.raises(ValueError, match="input_features"):
        imp.get_feature_names_out(["GR", "RHOB"])


def test_the_wrappers_seed_wins_in_every_application():
    """EncoderFeatures(AutoEncoder(random_state=0), random_state=1) trained with seed 0 while
    the AnomalyDetector and Imputer trained with 1: one rule now, the wrapper's seed wins."""
    from geoae import AutoEncoder
    from geoae.applications import EncoderFeatures, Imputer

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    for cls in (EncoderFeatures, AnomalyDetector, Imputer):
        est = cls(AutoEncoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0),
                  random_state=1).fit(X)
        fitted = getattr(est, "model_", None) or getattr(est, "network_", None)
        if hasattr(fitted, "get_params"):
            assert fitted.get_params()["random_state"] == 1, cls.__name__
    one = EncoderFeatures(AutoEncoder(latent_dim=2, hidden=(4,), epochs=2, random_state=1)).fit(X)
    both = EncoderFeatures(AutoEncoder(latent_dim=2, hidden=(4,), epochs=2, random_state=0),
                           random_state=1).fit(X)
    np.testing.assert_array_equal(one.transform(X), both.transform(X))


def test_context_encoder_takes_a_device_and_keeps_its_network_on_the_cpu(tmp_path):
    """The ContextEncoder trained on the CPU whatever the machine (device hard-coded), where
    every other estimator takes device=; its folder stays readable by a geoae without it."""
    import json

    import geoae
    from geoae.applications import ContextEncoder
    from geoae.errors import ConfigError

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["GR", "RHOB", "NPHI"])
    small = dict(context=2, hidden=(8,), epochs=2, random_state=0)
    auto = ContextEncoder(**small).fit(X)
    cpu = ContextEncoder(**small, device="cpu").fit(X)
    assert auto.get_params()["device"] == "auto"
    assert next(cpu.network_.parameters()).device.type == "cpu"
    import torch

    if not torch.cuda.is_available():  # "auto" is the CPU here: the same network
        np.testing.assert_array_equal(auto.transform(X), cpu.transform(X))
    cfg = json.loads((auto.save(tmp_path / "a") / "config.json").read_text())
    assert "device" not in cfg["params"]
    cfg = json.loads((cpu.save(tmp_path / "c") / "config.json").read_text())
    assert cfg["params"]["device"] == "cpu"
    assert geoae.load(tmp_path / "c").get_params()["device"] == "cpu"
    np.testing.assert_array_equal(geoae.load(tmp_path / "a").transform(X), auto.transform(X))
    with pytest.raises(ConfigError, match="device"):
        ContextEncoder(**small, device="tpu").fit(X)


def test_saving_over_a_file_names_the_path(tmp_path):
    """A review: with the rank-0 guard the inner model was saved first, and a path that is a
    file gave "cannot create the model folder .../model (Not a directory)"."""
    from geoae import AutoEncoder
    from geoae.applications import EncoderFeatures
    from geoae.errors import DataError

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    target = tmp_path / "afile"
    target.write_text("keep me")
    for est in (AnomalyDetector(AutoEncoder(latent_dim=2, hidden=(4,), epochs=1)).fit(X),
                EncoderFeatures(AutoEncoder(latent_dim=2, hidden=(4,), epochs=1)).fit(X)):
        with pytest.raises(DataError, match=r"afile is a file"):
            est.save(target)
    assert target.read_text() == "keep me"
