"""Preprocessing: log10 curves, physical ranges, windows and overlap-add, per-well splits."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoae.errors import ConfigError, DataError
from geoae.preprocessing import (
    PHYSICAL_RANGES,
    check_not_all_missing,
    clip_to_physical_range,
    fit_affine_scaler,
    inverse_log10_curves,
    log10_curves,
    make_windows,
    missing_mask,
    overlap_add,
    split_by_well,
    train_validation_split_wells,
    window_starts,
)

# ------------------------------------------------------------------ existing helpers kept


def test_existing_helpers_unchanged():
    X = np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0]])
    offset, scale = fit_affine_scaler(X, "standard")
    np.testing.assert_allclose(offset, [2.0, 5.0])
    np.testing.assert_allclose(scale, [1.0, 1.0])  # constant feature -> scale 1
    assert missing_mask(X).tolist() == [[True, True], [True, True], [False, True]]
    with pytest.raises(DataError, match="'b'"):
        check_not_all_missing(np.array([[1.0, np.nan]]), ["a", "b"])


def test_preprocessing_imports_no_torch_and_no_io_library():
    import geoae.preprocessing as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0] if node.level == 0 else f".{node.module}")
    assert not imported & {"torch", "lasio", "segyio"}
    assert imported <= {
        "__future__",
        "os",  # the RANK of a torchrun process (rank 0 alone warns), without torch
        "sys",
        "contextlib",
        "contextvars",
        "functools",
        "warnings",
        "collections",
        "numpy",
        "pandas",
        "sklearn",
        ".errors",
        ".io.aliases",
        ".io.units",  # pure: numpy and io.aliases, no file library
    }


# ------------------------------------------------------------------ log10


def test_log10_resistivities_by_alias_and_inverse():
    df = pd.DataFrame(
        {
            "ILD": [1.0, 10.0, 100.0],
            "RDEP": [0.1, 1.0, 1000.0],
            "GR": [10.0, 20.0, 30.0],
            "MSFL": [2.0, 2.0, 2.0],
        }
    )
    out = log10_curves(df)
    assert out.attrs["log10_curves"] == ["ILD", "RDEP", "MSFL"]
    np.testing.assert_allclose(out["ILD"], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(out["RDEP"], [-1.0, 0.0, 3.0])
    assert out["GR"].tolist() == [10.0, 20.0, 30.0]
    assert df["ILD"].tolist() == [1.0, 10.0, 100.0]  # input untouched
    back = inverse_log10_curves(out)
    pd.testing.assert_frame_equal(back, df, check_exact=False, rtol=1e-12)
    assert back.attrs["log10_curves"] == []


def test_log10_finds_resistivities_by_unit_too():
    """Array-induction and laterolog mnemonics (AT90, AF10, HLLD, ...) are outside the alias
    table; their ohm.m unit marks them as resistivities (P-135's AF10-AF90 stayed linear)."""
    df = pd.DataFrame({"GR": [50.0, 60.0], "AT90": [1.0, 10.0], "HLLD": [2.0, 20.0],
                       "ILD": [3.0, 30.0], "X_LOG10": [0.1, 0.2], "COND": [100.0, 10.0]})
    df.attrs["units"] = {"GR": "gAPI", "AT90": "OHMM", "HLLD": "ohm.m", "X_LOG10": "ohm.m",
                         "COND": "mS/m"}
    out = log10_curves(df)
    assert out.attrs["log10_curves"] == ["AT90", "HLLD", "ILD"]
    np.testing.assert_allclose(out["AT90"], [0.0, 1.0])
    assert out["COND"].tolist() == [100.0, 10.0] and out["X_LOG10"].tolist() == [0.1, 0.2]


def test_log10_finds_ohm_slash_m_resistivity_in_a_real_las(shared_data):
    """6038187_v1.2.las logs PR in OHM/M and COND in MS/M: PR is a resistivity (it stayed
    linear: OHM/M was not read as ohm.m), the conductivity is not."""
    from geoae.io import read_las

    df = read_las(shared_data / "las-samples" / "6038187_v1.2.las")
    assert df.attrs["units"]["PR"] == "OHM/M" and df.attrs["units"]["COND"] == "MS/M"
    out = log10_curves(df)
    assert out.attrs["log10_curves"] == ["PR"]
    ok = (df["PR"] > 0).to_numpy()
    np.testing.assert_allclose(out["PR"][ok], np.log10(df["PR"][ok]))


def test_log10_non_positive_to_nan_with_warning():
    df = pd.DataFrame({"RT": [0.0, -1.0, 10.0, np.nan]})
    with pytest.warns(UserWarning, match="2 non-positive value\\(s\\) of 'RT'"):
        out = log10_curves(df)
    assert np.isnan(out["RT"][:2]).all() and out["RT"][2] == 1.0 and np.isnan(out["RT"][3])


def test_log10_explicit_curves_and_errors():
    df = pd.DataFrame({"X": [10.0, 100.0], "NAME": ["a", "b"]})
    assert log10_curves(df, curves=["X"])["X"].tolist() == [1.0, 2.0]
    with pytest.raises(DataError, match="'Y' not in the frame"):
        log10_curves(df, curves=["Y"])
    with pytest.raises(DataError, match="'NAME' is not numeric"):
        log10_curves(df, curves=["NAME"])
    with pytest.raises(DataError, match="records no log10 curves"):
        inverse_log10_curves(df)


# ------------------------------------------------------------------ physical ranges


def test_physical_range_table():
    assert PHYSICAL_RANGES["RHOB"][:2] == (1.0, 3.2)
    assert PHYSICAL_RANGES["NPHI"][:2] == (-0.15, 1.0)
    assert PHYSICAL_RANGES["GR"][:2] == (0.0, 1000.0)
    assert PHYSICAL_RANGES["DT"][:2] == (40.0, 240.0)
    assert PHYSICAL_RANGES["RT"][:2] == (0.01, 100000.0)


def test_clip_to_nan_and_clip_modes_with_counts():
    df = pd.DataFrame(
        {
            "ZDEN": [0.5, 2.3, 3.5],  # alias of RHOB
            "DTC": [30.0, 100.0, 300.0],  # alias of DT
            "GR": [-5.0, 50.0, np.nan],
            "OTHER": [1e9, -1e9, 0.0],  # no range: untouched
        }
    )
    out, counts = clip_to_physical_range(df, return_counts=True)
    assert counts == {"ZDEN": 2, "DTC": 2, "GR": 1}
    assert out.attrs["out_of_range"] == counts
    assert np.isnan(out["ZDEN"][[0, 2]]).all() and out["ZDEN"][1] == 2.3
    assert out["OTHER"].tolist() == df["OTHER"].tolist()
    clipped = clip_to_physical_range(df, mode="clip")
    assert clipped["ZDEN"].tolist() == [1.0, 2.3, 3.2]
    assert clipped["DTC"].tolist() == [40.0, 100.0, 240.0]
    with pytest.raises(ConfigError, match="mode='drop'"):
        clip_to_physical_range(df, mode="drop")


def test_clip_converts_units_and_user_ranges():
    df = pd.DataFrame(
        {"NPHI": [-20.0, 30.0, 120.0], "RHOB": [900.0, 2400.0, 3300.0], "DT": [50.0, 500.0, 900.0]}
    )
    df.attrs["units"] = {"NPHI": "%", "RHOB": "kg/m3", "DT": "furlong"}
    with pytest.warns(UserWarning, match="'DT' is in 'furlong'"):
        out, counts = clip_to_physical_range(df, return_counts=True)
    assert counts == {"NPHI": 2, "RHOB": 2}  # -15..100 %, 1000..3200 kg/m3; DT skipped
    assert out["NPHI"].isna().tolist() == [True, False, True]
    assert out["DT"].tolist() == [50.0, 500.0, 900.0]
    out2 = clip_to_physical_range(df, ranges={"DTC": (0.0, 600.0)}, units={})
    assert out2["DT"].isna().tolist() == [False, False, True]
    # through geoae.io.units: 40..240 us/ft is 131.2..787.4 us/m; 2..30 in is 5.08..76.2 cm
    metric = pd.DataFrame({"DT": [130.0, 132.0, 787.0, 788.0], "CALI": [5.0, 5.1, 76.0, 77.0]})
    out3 = clip_to_physical_range(metric, units={"DT": "us/m", "CALI": "cm"})
    assert out3["DT"].isna().tolist() == [True, False, False, True]
    assert out3["CALI"].isna().tolist() == [True, False, False, True]


def test_clip_after_log10_checks_the_log10_range():
    """clip_to_physical_range(log10_curves(df)) was the documented recipe and deleted every
    resistivity below about 1 ohm.m (the ohm.m range applied to log10 values)."""
    df = pd.DataFrame({"RT": [0.5, 2.0, 100.0, 1e6], "GR": [10.0, 50.0, 80.0, 2000.0]})
    after = clip_to_physical_range(log10_curves(df))
    before = log10_curves(clip_to_physical_range(df))
    pd.testing.assert_frame_equal(after, before, check_like=True)
    np.testing.assert_allclose(after["RT"], [np.log10(0.5), np.log10(2.0), 2.0, np.nan])
    assert after.attrs["out_of_range"] == {"RT": 1, "GR": 1}


# ------------------------------------------------------------------ windows


def test_window_starts_cover_tail():
    assert window_starts(10, 4, 3).tolist() == [0, 3, 6]
    assert window_starts(11, 4, 3).tolist() == [0, 3, 6, 7]
    assert window_starts(4, 4, 1).tolist() == [0]
    with pytest.raises(ConfigError, match="stride <= window"):
        window_starts(10, 4, 5)
    with pytest.raises(DataError, match="shorter than window=8"):
        window_starts(5, 8, 2)


def test_make_windows_shapes_and_values():
    x = np.arange(11.0)
    w = make_windows(x, 4, 3)
    assert w.shape == (4, 1, 4)
    assert w[:, 0].tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9], [7, 8, 9, 10]]
    x2 = np.stack([x, -x])
    w2 = make_windows(x2, 5, 2)
    assert w2.shape == (4, 2, 5)
    np.testing.assert_array_equal(w2[:, 1], -w2[:, 0])
    with pytest.raises(DataError, match="expected shape"):
        make_windows(np.zeros((2, 2, 2)), 2, 1)


@pytest.mark.parametrize(
    ("length", "window", "stride"), [(100, 16, 4), (101, 16, 5), (64, 64, 1), (37, 10, 10)]
)
def test_overlap_add_exact_constant_and_smooth(length, window, stride):
    const = np.full((2, length), 3.25)
    np.testing.assert_array_equal(overlap_add(make_windows(const, window, stride), length, stride), const)
    t = np.linspace(0, 4 * np.pi, length)
    smooth = np.sin(t)
    back = overlap_add(make_windows(smooth, window, stride)[:, 0], length, stride)
    np.testing.assert_allclose(back, smooth, rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(1, 120),
    window=st.integers(1, 40),
    stride_frac=st.floats(0.01, 1.0),
    channels=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_overlap_add_inverts_make_windows_for_any_signal(length, window, stride_frac, channels, seed):
    window = min(window, length)
    stride = max(1, int(round(window * stride_frac)))
    x = np.random.default_rng(seed).normal(size=(channels, length)) * 1e3
    w = make_windows(x, window, stride)
    np.testing.assert_allclose(overlap_add(w, length, stride), x, rtol=1e-12, atol=1e-9)


def test_overlap_add_wrong_count():
    w = make_windows(np.zeros(20), 5, 5)
    with pytest.raises(DataError, match="4 windows given but length=21"):
        overlap_add(w, 21, 5)


# ------------------------------------------------------------------ per-well split


def test_split_never_shares_a_well():
    rng = np.random.default_rng(0)
    wells = rng.choice(["A", "B", "C", "D", "E"], size=500)
    df = pd.DataFrame({"WELL": wells, "GR": rng.normal(size=500)})
    for seed in range(10):
        train, val = train_validation_split_wells(df, 0.3, random_state=seed)
        assert set(train.WELL).isdisjoint(set(val.WELL))
        assert len(train) + len(val) == len(df) and len(val) > 0 and len(train) > 0
        tr, va = split_by_well(wells, 0.3, seed)
        assert set(wells[tr]).isdisjoint(set(wells[va]))
    a = train_validation_split_wells(df, 0.3, random_state=3)
    b = train_validation_split_wells(df, 0.3, random_state=3)
    pd.testing.assert_frame_equal(a[1], b[1])


def test_split_by_well_does_not_hold_out_a_long_well():
    """A 9000-row well and a 769-row one with 10 % validation: the long well was held out for
    seeds 0-2 (training on 769 rows). Wells of similar length are still drawn at random."""
    wells = np.array(["BIG"] * 9000 + ["SMALL"] * 769)
    for seed in range(10):
        tr, va = split_by_well(wells, 0.1, seed)
        assert set(wells[va]) == {"SMALL"} and len(tr) == 9000
    ten = np.repeat([f"W{i}" for i in range(10)], [90, 100, 110, 95, 105, 100, 98, 102, 97, 103])
    shares = [len(split_by_well(ten, 0.2, seed)[1]) / len(ten) for seed in range(20)]
    assert all(0.15 <= s <= 0.4 for s in shares)
    held = {tuple(sorted(set(ten[split_by_well(ten, 0.2, seed)[1]]))) for seed in range(20)}
    assert len(held) > 5  # random wells
    three = np.repeat(["A", "B", "C"], [300, 310, 320])  # every well > 2 x 10 %: one, at random
    firsts = {tuple(set(three[split_by_well(three, 0.1, seed)[1]])) for seed in range(20)}
    assert len(firsts) > 1 and all(len(f) == 1 for f in firsts)
    # a 50-row sliver alone is not a validation set: one whole well, varying with the seed
    sliver = np.repeat(["S", "A", "B", "C"], [50, 3000, 3000, 3000])
    held = [tuple(sorted(set(sliver[split_by_well(sliver, 0.1, seed)[1]]))) for seed in range(20)]
    assert len(set(held)) >= 3 and all(len(h) == 1 for h in held)


def test_split_errors_and_single_well():
    df = pd.DataFrame({"WELL": ["A"] * 5, "GR": range(5)})
    train, val = train_validation_split_wells(df, 0.5, random_state=0)
    assert len(train) == 5 and len(val) == 0
    with pytest.raises(DataError, match="no 'WELL' column"):
        train_validation_split_wells(df.drop(columns="WELL"))
    with pytest.raises(ConfigError, match="validation_fraction=1.5"):
        train_validation_split_wells(df, 1.5)
