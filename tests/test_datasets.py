"""Tests of geoae.datasets: the shipped Kansas data and the synthetic well-log and seismic generators."""

from __future__ import annotations

import ast
import hashlib
import inspect
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import geoae.datasets as gds
from geoae.datasets import (
    FAULT_TYPES,
    LITHOLOGIES,
    LOG_CURVES,
    facies_names,
    load_kansas_facies,
    make_synthetic_seismic,
    make_synthetic_wells,
    ricker,
    signal_to_noise_db,
)
from geoae.errors import ConfigError

KANSAS_COLUMNS = ["WELL", "DEPTH", "GR", "ILD_log10", "DeltaPHI", "PHIND", "PE", "NM_M", "RELPOS", "Facies"]


# --------------------------------------------------------------------------------------------
# Kansas
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kansas() -> pd.DataFrame:
    return load_kansas_facies()


def test_kansas_columns_rows_wells(kansas):
    assert list(kansas.columns) == KANSAS_COLUMNS
    assert kansas.shape == (4149, 10)
    assert kansas["WELL"].nunique() == 10
    assert all(isinstance(w, str) for w in kansas["WELL"])
    assert "Recruit F9" in set(kansas["WELL"])
    assert isinstance(kansas.index, pd.RangeIndex)
    for name in ("DEPTH", "GR", "ILD_log10", "DeltaPHI", "PHIND", "PE", "RELPOS"):
        assert kansas[name].dtype == np.float64, name
    assert kansas["Facies"].dtype == np.int64 and set(kansas["Facies"]) == set(range(1, 10))
    assert set(kansas["NM_M"]) == {1, 2}
    assert kansas["RELPOS"].between(0, 1).all()
    # depth in feet, half-foot sampling; the documented quirks: 3 repeated depths, Recruit F9 out of order
    repeated = kansas[kansas.duplicated(["WELL", "DEPTH"], keep=False)]
    assert sorted(set(zip(repeated["WELL"], repeated["DEPTH"], strict=True))) == [
        ("CROSS H CATTLE", 2696.5),
        ("CROSS H CATTLE", 2721.5),
        ("SHRIMPLIN", 2944.0),
    ]
    for well, g in kansas.groupby("WELL"):
        steps = np.diff(g["DEPTH"].to_numpy())
        assert np.median(steps) == 0.5
        if well != "Recruit F9":
            assert (steps >= 0).all(), well
    assert 2500 < kansas["DEPTH"].min() and kansas["DEPTH"].max() < 3200


def test_kansas_pe_missing_exactly_in_documented_wells(kansas):
    missing = kansas["PE"].isna()
    per_well = missing.groupby(kansas["WELL"]).agg(["sum", "size"])
    fully = set(per_well.index[per_well["sum"] == per_well["size"]])
    partly = set(per_well.index[(per_well["sum"] > 0) & (per_well["sum"] < per_well["size"])])
    assert fully == {"ALEXANDER D", "KIMZEY A"}
    assert partly == {"Recruit F9"}
    assert per_well.loc["Recruit F9", "sum"] == 12
    assert missing.sum() == 466 + 439 + 12 == 917
    assert kansas.drop(columns="PE").notna().all().all()


def test_kansas_formation_option_and_facies_names():
    df = load_kansas_facies(include_formation=True)
    assert list(df.columns) == KANSAS_COLUMNS + ["Formation"]
    assert df["Formation"].nunique() == 14
    names = facies_names()
    assert sorted(names) == list(range(1, 10))
    assert names[7] == "Dolomite" and names[1] == "Nonmarine sandstone"
    assert facies_names(short=True)[9] == "BS"


def test_kansas_licence_notice_and_citation_are_shipped():
    data = resources.files("geoae.datasets").joinpath("data")
    licence = data.joinpath("LICENSE-seg-2016-ml-contest").read_text(encoding="utf-8")
    notice = data.joinpath("NOTICE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence
    for needle in ("Dubois", "Bohling", "Chakrabarti", "599-617", "Hall", "906-909", "seg/2016-ml-contest"):
        assert needle in notice, needle
    doc = load_kansas_facies.__doc__
    for needle in ("Apache License", "Dubois", "Hall", "2016-ml-contest", "feet", "API", "ohm.m", "b/e"):
        assert needle in doc, needle


def test_shipped_csv_is_the_shared_file_unmodified(shared_data):
    shipped = resources.files("geoae.datasets").joinpath("data").joinpath("facies_vectors.csv").read_bytes()
    original = (shared_data / "kansas-facies" / "facies_vectors.csv").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == hashlib.sha256(original).hexdigest()


def test_datasets_modules_do_not_import_torch():
    for module in (gds, gds.kansas, gds.synthetic):
        tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        assert "torch" not in imported, module.__name__
        assert imported <= {
            "__future__",
            "collections",
            "dataclasses",
            "importlib",
            "numpy",
            "pandas",
            "scipy",
        }


def test_public_names_are_documented():
    assert {"load_kansas_facies", "make_synthetic_wells", "make_synthetic_seismic", "ricker"} <= set(
        gds.__all__
    )
    for name in gds.__all__:
        obj = getattr(gds, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__) > 80, name
    for fn in (load_kansas_facies, make_synthetic_wells, make_synthetic_seismic, ricker):
        assert "Returns" in fn.__doc__ and "Parameters" in fn.__doc__


# --------------------------------------------------------------------------------------------
# synthetic wells
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wells_clean():
    """Noise-free observations: observed differs from clean only through faults."""
    return make_synthetic_wells(n_wells=4, n_samples=1000, random_state=7, noise=False, fault_fraction=0.05)


@pytest.fixture(scope="module")
def wells_default():
    return make_synthetic_wells(random_state=3)


def test_wells_structure(wells_default):
    w = wells_default
    frame_cols = ["WELL", "DEPTH", *LOG_CURVES]
    assert list(w.clean.columns) == frame_cols
    assert list(w.observed.columns) == frame_cols
    assert list(w.faults.columns) == ["WELL", "DEPTH", *LOG_CURVES, "fault_type"]
    assert list(w.truth.columns) == ["WELL", "DEPTH", "LITHOLOGY", "PHI", "SW", "VSH", "BED"]
    for df in (w.clean, w.observed, w.faults, w.truth):
        assert len(df) == 5 * 1000
        assert isinstance(df.index, pd.RangeIndex)
        pd.testing.assert_series_equal(df["WELL"], w.clean["WELL"])
        pd.testing.assert_series_equal(df["DEPTH"], w.clean["DEPTH"])
    assert list(w.clean["WELL"].unique()) == [f"SYN-{i:02d}" for i in range(1, 6)]
    one = w.clean[w.clean["WELL"] == "SYN-01"]["DEPTH"].to_numpy()
    np.testing.assert_allclose(one, 5000.0 + 0.5 * np.arange(1000))
    for c in LOG_CURVES:
        assert w.faults[c].dtype == bool
        assert w.clean[c].dtype == np.float64 and w.clean[c].notna().all()
    assert set(w.truth["LITHOLOGY"]) == set(LITHOLOGIES)
    assert set(w.faults["fault_type"]) <= {"none", *FAULT_TYPES}
    t = w.truth
    assert t["PHI"].between(0, 0.35).all() and t["VSH"].between(0, 1).all() and t["SW"].between(0, 1).all()
    assert ((t["PHI"] + t["VSH"]) < 1).all()
    # realistic ranges on the clean logs
    c = w.clean
    assert c["GR"].between(20, 120).all() and c["RHOB"].between(1.9, 2.9).all()
    assert c["DT"].between(40, 120).all() and c["PE"].between(1.5, 5.2).all() and (c["RT"] > 0).all()
    assert "SyntheticWells(" in repr(w)


def test_wells_beds_are_thick(wells_default):
    t = wells_default.truth
    n_beds = t.groupby("WELL")["BED"].nunique()
    mean_thickness_ft = 1000 * 0.5 / n_beds.mean()
    assert 5.0 < mean_thickness_ft < 12.0  # mean_bed_thickness=8 ft
    # lithology is constant inside a bed and changes at (almost) every bed boundary
    assert (t.groupby(["WELL", "BED"])["LITHOLOGY"].nunique() == 1).all()


def test_wells_reproducible_and_seed_dependent():
    a = make_synthetic_wells(n_wells=2, n_samples=400, random_state=11)
    b = make_synthetic_wells(n_wells=2, n_samples=400, random_state=11)
    c = make_synthetic_wells(n_wells=2, n_samples=400, random_state=12)
    for name in ("clean", "observed", "faults", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.clean.equals(c.clean)
    assert not a.truth["LITHOLOGY"].equals(c.truth["LITHOLOGY"])
    g = make_synthetic_wells(n_wells=2, n_samples=400, random_state=np.random.default_rng(5))
    h = make_synthetic_wells(n_wells=2, n_samples=400, random_state=np.random.default_rng(5))
    pd.testing.assert_frame_equal(g.observed, h.observed)


def test_noise_switch_leaves_geology_and_fault_positions_unchanged():
    noisy = make_synthetic_wells(n_wells=2, n_samples=500, random_state=4, noise=True)
    quiet = make_synthetic_wells(n_wells=2, n_samples=500, random_state=4, noise=False)
    pd.testing.assert_frame_equal(noisy.clean, quiet.clean)
    pd.testing.assert_frame_equal(noisy.truth, quiet.truth)
    pd.testing.assert_frame_equal(noisy.faults, quiet.faults)


def _spearman(a, b) -> float:
    return float(spearmanr(np.asarray(a), np.asarray(b))[0])


def test_physical_relations_on_clean_logs(wells_clean):
    c, t = wells_clean.clean, wells_clean.truth
    non_shale = (t["LITHOLOGY"] != "shale").to_numpy()
    assert _spearman(c["GR"], t["VSH"]) > 0.99
    assert _spearman(c["RHOB"], t["PHI"]) < -0.5
    assert _spearman(c["RHOB"][non_shale], t["PHI"][non_shale]) < -0.8
    assert _spearman(c["DT"][non_shale], t["PHI"][non_shale]) > 0.8
    assert _spearman(c["NPHI"][non_shale], t["PHI"][non_shale]) > 0.8
    assert _spearman(c["RT"][non_shale], t["SW"][non_shale]) < -0.3
    # at the same porosity, hydrocarbon-bearing porous rock reads more resistive than wet rock
    # (in tight rock, PHI < 0.08, the shale conductance term dominates and hides the fluid)
    phi_bin = np.where(t["PHI"] >= 0.08, np.floor(t["PHI"] / 0.04), -1)
    hc = non_shale & (t["SW"] < 0.55).to_numpy()
    wet = non_shale & (t["SW"] > 0.75).to_numpy()
    compared = 0
    for b in np.unique(phi_bin[non_shale & (phi_bin >= 0)]):
        in_bin = phi_bin == b
        if (hc & in_bin).sum() >= 20 and (wet & in_bin).sum() >= 20:
            assert c["RT"][hc & in_bin].median() > 1.5 * c["RT"][wet & in_bin].median()
            compared += 1
    assert compared >= 3
    for lith in ("sandstone", "limestone", "dolomite"):
        m = (t["LITHOLOGY"] == lith).to_numpy()
        assert _spearman(c["RHOB"][m], t["PHI"][m]) < -0.95, lith
        assert _spearman(c["DT"][m], t["PHI"][m]) > 0.9, lith
    # mineral signatures: PE orders calcite > dolomite > quartz; shale is slower than carbonates
    pe = c["PE"].groupby(t["LITHOLOGY"]).median()
    assert pe["limestone"] > 4.5 and 2.8 < pe["dolomite"] < 3.3 and pe["sandstone"] < 2.1
    dt = c["DT"].groupby(t["LITHOLOGY"]).median()
    assert dt["shale"] > max(dt["limestone"], dt["dolomite"]) + 10


def test_clean_logs_follow_the_documented_equations(wells_clean):
    c, t = wells_clean.clean, wells_clean.truth
    phi, vsh, sw = t["PHI"].to_numpy(), t["VSH"].to_numpy(), t["SW"].to_numpy()
    np.testing.assert_allclose(c["GR"], 20 + 100 * vsh)
    rho_ma = t["LITHOLOGY"].map({"sandstone": 2.65, "shale": 2.65, "limestone": 2.71, "dolomite": 2.87})
    np.testing.assert_allclose(c["RHOB"], phi * 1.0 + vsh * 2.60 + (1 - phi - vsh) * rho_ma.to_numpy())
    dt_ma = t["LITHOLOGY"].map({"sandstone": 55.5, "shale": 55.5, "limestone": 47.6, "dolomite": 43.5})
    np.testing.assert_allclose(c["DT"], phi * 189.0 + vsh * 90.0 + (1 - phi - vsh) * dt_ma.to_numpy())
    # Archie with a parallel shale conductance (a=1, m=2, n=2, rw=0.05, rsh=2): invert for Sw
    clean_beds = (t["LITHOLOGY"] != "shale").to_numpy()
    rt, phi_c, vsh_c = c["RT"].to_numpy()[clean_beds], phi[clean_beds], vsh[clean_beds]
    sw_back = np.sqrt((1 / rt - vsh_c / 2.0) * 0.05 / phi_c**2)
    np.testing.assert_allclose(sw_back, sw[clean_beds], rtol=1e-8)
    assert (t.loc[~clean_beds, "SW"] == 1.0).all()
    np.testing.assert_allclose(c["CALI"], 8.5, atol=0.35)


def test_observed_differs_from_clean_exactly_at_labelled_faults(wells_clean):
    obs, clean, flt = wells_clean.observed, wells_clean.clean, wells_clean.faults
    for curve in LOG_CURVES:
        differs = ~(obs[curve].to_numpy() == clean[curve].to_numpy())  # NaN counts as different
        np.testing.assert_array_equal(differs, flt[curve].to_numpy(), err_msg=curve)
    any_flag = flt[list(LOG_CURVES)].any(axis=1)
    assert ((flt["fault_type"] == "none") == ~any_flag).all()
    assert set(flt["fault_type"]) == {"none", *FAULT_TYPES}


def test_each_fault_type_has_its_signature(wells_clean):
    obs, clean, flt = wells_clean.observed, wells_clean.clean, wells_clean.faults
    key = flt["WELL"] + "/" + (flt["fault_type"] != flt["fault_type"].shift()).cumsum().astype(str)
    for _, event in flt.groupby(key):
        ftype = event["fault_type"].iloc[0]
        rows = event.index
        curves = [c for c in LOG_CURVES if event[c].any()]
        if ftype == "none":
            continue
        if ftype == "spike":
            assert len(rows) <= 3 and len(curves) == 1
        elif ftype == "flatline":
            assert len(curves) == 1 and curves[0] != "CALI"
            values = obs.loc[rows, curves[0]]
            assert values.nunique() == 1 and len(rows) >= 8
            assert values.iloc[0] == obs.loc[rows[0] - 1, curves[0]]  # stuck at the last good reading
        elif ftype == "missing":
            assert 1 <= len(curves) <= 3
            assert obs.loc[rows, curves].isna().all().all()
        elif ftype == "washout":
            assert curves == ["RHOB", "CALI"]
            assert event[["RHOB", "CALI"]].all().all()
            excess = obs.loc[rows, "CALI"] - clean.loc[rows, "CALI"]
            assert (excess > 0).all() and excess.max() >= 1.0  # hole enlarged by 1-4 in
            drho = obs.loc[rows, "RHOB"] - clean.loc[rows, "RHOB"]
            assert (drho < 0).all()  # density reads low
            np.testing.assert_allclose(drho, -0.10 * excess)
    # CALI is enlarged wherever (and only where) RHOB is washout-faulted
    wash = (flt["fault_type"] == "washout").to_numpy()
    np.testing.assert_array_equal(wash, (flt["RHOB"] & flt["CALI"]).to_numpy())
    assert (obs.loc[wash, "CALI"] > 8.5 + 0.5).mean() > 0.8


def test_fault_rate_is_modest_and_configurable(wells_default):
    rate = (wells_default.faults["fault_type"] != "none").mean()
    assert 0.02 <= rate <= 0.05
    high = make_synthetic_wells(n_wells=2, n_samples=1000, random_state=1, fault_fraction=0.10)
    assert 0.08 <= (high.faults["fault_type"] != "none").mean() <= 0.13
    none = make_synthetic_wells(n_wells=2, n_samples=300, random_state=1, faults=False, noise=False)
    assert (none.faults["fault_type"] == "none").all() and not none.faults[list(LOG_CURVES)].any().any()
    pd.testing.assert_frame_equal(none.observed, none.clean)
    spikes = make_synthetic_wells(n_wells=1, n_samples=1000, random_state=1, fault_types=["spike"])
    assert set(spikes.faults["fault_type"]) == {"none", "spike"}


def test_measurement_noise_level(wells_default):
    w = make_synthetic_wells(n_wells=3, n_samples=1000, random_state=2, faults=False)
    resid = w.observed[list(LOG_CURVES)] - w.clean[list(LOG_CURVES)]
    assert resid.notna().all().all() and (resid != 0).all().all()
    assert resid["GR"].std() == pytest.approx(2.5, rel=0.1)
    assert resid["RHOB"].std() == pytest.approx(0.012, rel=0.1)
    log_ratio = np.log(w.observed["RT"] / w.clean["RT"])
    assert log_ratio.std() == pytest.approx(0.03, rel=0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_wells": 0},
        {"n_samples": 1},
        {"step": 0.0},
        {"fault_fraction": 0.9},
        {"fault_types": ["lightning"]},
        {"mean_bed_thickness": 0.2},
        {"random_state": "seed"},
    ],
)
def test_wells_bad_parameters(kwargs):
    with pytest.raises(ConfigError):
        make_synthetic_wells(**kwargs)


# --------------------------------------------------------------------------------------------
# seismic
# --------------------------------------------------------------------------------------------
def test_seismic_shapes_and_model():
    s = make_synthetic_seismic(n_traces=120, n_samples=300, random_state=0)
    for arr in (s.clean, s.noisy, s.noise, s.reflectivity, s.impedance):
        assert arr.shape == (120, 300) and arr.dtype == np.float32
    assert s.dt == 0.002 and s.time.shape == (300,) and s.time[-1] == pytest.approx(299 * 0.002)
    np.testing.assert_array_equal(s.noisy, s.clean + s.noise)
    np.testing.assert_array_equal(s.wavelet, ricker(25.0, 0.002))
    # clean = reflectivity * wavelet (zero phase, centred)
    half = s.wavelet.size // 2
    for i in (0, 60, 119):
        expected = np.convolve(s.reflectivity[i].astype(np.float64), s.wavelet)[half : half + 300]
        np.testing.assert_allclose(s.clean[i], expected, atol=1e-5)
    # reflection coefficients are small and come from positive impedances
    assert np.abs(s.reflectivity).max() < 0.5 and (s.impedance > 0).all()
    assert "SyntheticSeismic(" in repr(s)


def test_seismic_has_dipping_layers_and_a_fault():
    s = make_synthetic_seismic(n_traces=200, n_samples=400, random_state=2, max_dip=0.3, max_throw=0.04)
    assert len(s.fault_traces) == 1 and 0 < s.fault_traces[0] < 200
    assert 0.02 <= abs(s.fault_throws[0]) <= 0.04
    step = np.abs(np.diff(s.clean, axis=0)).mean(axis=1)  # (199,) change between adjacent traces
    fault = s.fault_traces[0]
    assert step[fault - 1] > 5 * np.median(step)
    two = make_synthetic_seismic(n_traces=200, n_samples=400, random_state=2, n_faults=2)
    assert len(two.fault_traces) == 2
    flat = make_synthetic_seismic(n_traces=50, n_samples=200, random_state=2, n_faults=0, max_dip=0.0)
    assert flat.fault_traces == ()


@pytest.mark.parametrize("noise", ["white", "band"])
@pytest.mark.parametrize("snr", [0.0, 5.0])
def test_seismic_snr_matches_request(noise, snr):
    s = make_synthetic_seismic(n_traces=100, n_samples=400, snr_db=snr, noise=noise, random_state=1)
    realised = signal_to_noise_db(s.clean, s.noisy.astype(np.float64) - s.clean)
    assert abs(realised - snr) < 0.5
    assert (
        abs(10 * np.log10(np.sum(s.clean.astype(float) ** 2) / np.sum(s.noise.astype(float) ** 2)) - snr)
        < 1e-3
    )
    assert s.snr_db == snr


def test_band_noise_is_band_limited():
    s = make_synthetic_seismic(n_traces=100, n_samples=512, noise="band", random_state=3, noise_band=(10, 50))
    spec = np.abs(np.fft.rfft(s.noise.astype(np.float64), axis=1)) ** 2
    freqs = np.fft.rfftfreq(512, d=0.002)
    power = spec.sum(axis=0)
    in_band = (freqs >= 7) & (freqs <= 60)
    assert power[in_band].sum() / power.sum() > 0.95
    white = make_synthetic_seismic(n_traces=100, n_samples=512, noise="white", random_state=3)
    wpower = (np.abs(np.fft.rfft(white.noise.astype(np.float64), axis=1)) ** 2).sum(axis=0)
    assert wpower[in_band].sum() / wpower.sum() < 0.5


def test_seismic_reproducible_and_clean_independent_of_noise():
    a = make_synthetic_seismic(n_traces=40, n_samples=200, random_state=9)
    b = make_synthetic_seismic(n_traces=40, n_samples=200, random_state=9)
    c = make_synthetic_seismic(n_traces=40, n_samples=200, random_state=10)
    np.testing.assert_array_equal(a.noisy, b.noisy)
    assert not np.array_equal(a.clean, c.clean)
    d = make_synthetic_seismic(n_traces=40, n_samples=200, random_state=9, snr_db=0.0, noise="band")
    np.testing.assert_array_equal(a.clean, d.clean)
    quiet = make_synthetic_seismic(n_traces=40, n_samples=200, random_state=9, snr_db=None)
    assert not quiet.noise.any() and np.array_equal(quiet.noisy, quiet.clean) and quiet.snr_db == np.inf


@pytest.mark.parametrize(
    "kwargs",
    [
        {"peak_frequency": 300.0},
        {"noise": "pink"},
        {"n_traces": 0},
        {"dt": -0.002},
        {"noise": "band", "noise_band": (60, 10)},
    ],
)
def test_seismic_bad_parameters(kwargs):
    with pytest.raises(ConfigError):
        make_synthetic_seismic(**kwargs)


# --------------------------------------------------------------------------------------------
# Ricker wavelet
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("f", "dt"), [(25.0, 0.002), (10.0, 0.004), (40.0, 0.001), (60.0, 0.002)])
def test_ricker_peak_and_dominant_frequency(f, dt):
    w = ricker(f, dt)
    n = w.size
    assert n % 2 == 1 and int(np.argmax(w)) == n // 2 and w[n // 2] == pytest.approx(1.0)
    np.testing.assert_allclose(w, w[::-1])
    assert w.min() == pytest.approx(-2 * np.exp(-1.5), rel=0.05)  # side lobes at t = +-sqrt(1.5)/(pi f)
    nfft = 8192
    freqs = np.fft.rfftfreq(nfft, d=dt)
    amp = np.abs(np.fft.rfft(w, n=nfft))
    assert abs(freqs[np.argmax(amp)] - f) <= freqs[1]
    assert abs(np.sum(w)) < 1e-3 * np.sum(np.abs(w))  # zero mean: no DC


def test_ricker_length_and_errors():
    assert ricker(25.0, 0.002, length=0.2).size == 101
    assert ricker(25.0, 0.002).size == 2 * int(3 / 25 / 0.004) + 1
    with pytest.raises(ConfigError):
        ricker(250.0, 0.002)
    with pytest.raises(ConfigError):
        ricker(0.0, 0.002)
