"""`geoae detect` on LAS files, found by an audit on real wells: a sonic of 1 us/ft was neither
flagged nor named (only non-positive resistivities were INVALID); a LAS output held INVALID as
text, so lasio read every curve, depth included, as str; --plot on a folder drew the first well
only, without saying so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae import workflows
from geoae.cli import main
from geoae.datasets import make_synthetic_wells
from geoae.io import write_las
from geoae.workflows import _impossible_readings

CURVES = ["GR", "RHOB", "NPHI", "DT", "RT"]
UNITS = {"GR": "API", "RHOB": "G/CM3", "NPHI": "V/V", "DT": "US/FT", "RT": "OHM.M"}
US_PER_M = 1 / 0.3048  # us/m per us/ft


@pytest.fixture(scope="module")
def wells():
    """Two clean synthetic wells (no faults: every reading is within its physical range)."""
    obs = make_synthetic_wells(n_wells=2, n_samples=300, random_state=0, faults=False).observed
    return {w: g[["WELL", "DEPTH", *CURVES]].reset_index(drop=True) for w, g in obs.groupby("WELL")}


@pytest.fixture(scope="module")
def model(tmp_path_factory, wells):
    d = tmp_path_factory.mktemp("train")
    for w, g in wells.items():
        write_las(g, d / f"{w}.las", units=UNITS)
    out = d / "model"
    code = main(["train", str(d), "--model", "dae", "--curves", ",".join(CURVES), "--epochs", "3",
                 "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_impossible_readings_against_the_physical_ranges():
    """DT 1 us/ft and GR -50 API are out of range (40-240 us/ft, 0-1000 API); DT 300 us/m is
    91 us/ft, in range, while 100 us/m (30 us/ft) is not; RT <= 0 stays impossible."""
    frame = pd.DataFrame({"GR": [50.0, -50.0, 80.0, np.nan], "DT": [1.0, 90.0, 241.0, 80.0],
                          "RT": [1.0, 0.0, 2.0, 0.005]})
    names, mask = _impossible_readings(frame, ["RT"], {"": {"GR": "GAPI", "DT": "US/F",
                                                            "RT": "OHMM"}})
    assert names.tolist() == ["DT", "GR,RT", "DT", "RT"]
    np.testing.assert_array_equal(mask.to_numpy(), [[0, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]])
    per_m = pd.DataFrame({"DT": [300.0, 100.0, 700.0, 800.0]})
    lo, hi = 40 * US_PER_M, 240 * US_PER_M  # 131.2, 787.4 us/m
    names, _ = _impossible_readings(per_m, [], {"": {"DT": "us/m"}})
    assert names.tolist() == ["" if lo <= v <= hi else "DT" for v in per_m["DT"]] == ["", "DT", "", "DT"]


def test_a_curve_mostly_out_of_range_is_a_unit_error_not_invalid():
    """NPHI in percent with no unit given: every reading is above 1 v/v, which says the unit,
    not the tool, is wrong. Nothing is marked; a warning names the curve and what to check."""
    frame = pd.DataFrame({"NPHI": np.linspace(5, 40, 200), "GR": np.linspace(20, 120, 200)})
    frame.loc[3, "GR"] = -50.0
    with pytest.warns(UserWarning, match=r"well.las: 200 of 200 NPHI readings .* unit"):
        names, _ = _impossible_readings(frame, [], {"": {}}, source="well.las")
    assert names.tolist() == ["GR" if i == 3 else "" for i in range(200)]


def test_detect_flags_and_names_out_of_range_readings_in_the_files_unit(capsys, tmp_path, wells,
                                                                        model):
    one = wells["SYN-01"].copy()
    one.loc[40, "DT"] = 1.0  # us/ft: the Volve AC reading
    one.loc[80, "GR"] = -50.0
    write_las(one, tmp_path / "bad.las", units=UNITS)
    code, out, err = run(capsys, "detect", model, tmp_path / "bad.las", "--out", tmp_path / "d.csv",
                         "--json")
    assert code == 0, err
    d = pd.read_csv(tmp_path / "d.csv", keep_default_na=False)
    assert d["INVALID"].tolist() == ["DT" if i == 40 else "GR" if i == 80 else ""
                                     for i in range(len(one))]
    assert d.loc[[40, 80], "FLAG"].all() and json.loads(out)["invalid"] == 2
    iv = pd.read_csv(tmp_path / "d_intervals.csv")
    for row, curve in ((40, "DT"), (80, "GR")):
        hit = iv[(iv["top"] <= one.loc[row, "DEPTH"]) & (iv["base"] >= one.loc[row, "DEPTH"])]
        assert hit["main_curve"].tolist() == [curve]
    # the same well with DT in us/m (within range) has no impossible reading
    per_m = wells["SYN-01"].copy()
    per_m["DT"] *= US_PER_M
    assert per_m["DT"].max() > 240  # out of range had the us/ft range been used as it is
    write_las(per_m, tmp_path / "per_m.las", units={**UNITS, "DT": "US/M"})
    code, out, err = run(capsys, "detect", model, tmp_path / "per_m.las", "--out",
                         tmp_path / "m.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["invalid"] == 0
    assert (pd.read_csv(tmp_path / "m.csv", keep_default_na=False)["INVALID"] == "").all()


def test_a_las_output_holds_numbers_only(capsys, tmp_path, wells, model):
    """The audit's repro: RDEP 0 and -1.5 over two short intervals; lasio read the output's
    curves as str. INVALID is a 0/1 curve in a LAS output now, the curves are named in the
    intervals file."""
    import lasio

    one = wells["SYN-02"].copy()
    one.loc[50:53, "RT"] = 0.0
    one.loc[200:202, "RT"] = -1.5
    write_las(one, tmp_path / "bad.las", units=UNITS)
    code, _, err = run(capsys, "detect", model, tmp_path / "bad.las", "--out", tmp_path / "bad_out.las")
    assert code == 0, err
    las = lasio.read(tmp_path / "bad_out.las")
    frame = las.df()
    assert all(np.issubdtype(t, np.floating) for t in frame.dtypes), frame.dtypes
    assert np.issubdtype(frame.index.dtype, np.floating)
    bad = np.zeros(len(one))
    bad[50:54] = bad[200:203] = 1
    np.testing.assert_array_equal(frame["INVALID"].to_numpy(), bad)
    assert (frame["FLAG"].to_numpy()[bad == 1] == 1).all()
    np.testing.assert_allclose(frame.index, one["DEPTH"])
    assert "impossible" in las.curves["INVALID"].descr
    iv = pd.read_csv(tmp_path / "bad_out_intervals.csv")
    for row in (50, 200):
        hit = iv[(iv["top"] <= one.loc[row, "DEPTH"]) & (iv["base"] >= one.loc[row, "DEPTH"])]
        assert hit["main_curve"].tolist() == ["RT"]


def _folder(tmp_path, wells, names):
    d = tmp_path / "wells"
    d.mkdir()
    for (w, g), name in zip(wells.items(), names, strict=True):
        g = g.assign(WELL=name)
        write_las(g, d / f"{w}.las", units=UNITS)
    return d


def test_plot_draws_every_well_of_a_folder(capsys, tmp_path, wells, model):
    folder = _folder(tmp_path, wells, ["15/9-F1 A", "Ørsted Ä 2"])
    code, out, err = run(capsys, "detect", model, folder, "--out", tmp_path / "d.csv", "--plot",
                         "--json")
    assert code == 0, err
    files = json.loads(out)["out"]
    # letters of any script are kept in the names (an audit found "_rsted-_2")
    pngs = [tmp_path / "d_15_9-F1_A.png", tmp_path / "d_Ørsted_Ä_2.png"]
    assert files == [str(tmp_path / "d.csv"), str(tmp_path / "d_intervals.csv"), *map(str, pngs)]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "d.png").exists()
    # an existing PNG is not replaced without --force, and nothing is written before the refusal
    (tmp_path / "f_Ørsted_Ä_2.png").write_text("keep")
    code, _, err = run(capsys, "detect", model, folder, "--out", tmp_path / "f.csv", "--plot")
    assert code == 2 and "f_Ørsted_Ä_2.png" in err and "--force" in err
    assert (tmp_path / "f_Ørsted_Ä_2.png").read_text() == "keep"
    assert not (tmp_path / "f.csv").exists()


def test_plot_past_the_limit_draws_the_most_flagged_wells_and_says_so(capsys, tmp_path, wells,
                                                                      model, monkeypatch):
    monkeypatch.setattr(workflows, "MAX_DETECT_PLOTS", 1)
    bad = dict(wells)
    g = bad["SYN-02"].copy()
    g.loc[10:40, "DT"] = 1.0  # 31 impossible readings: the second well has the most flags
    bad["SYN-02"] = g
    folder = _folder(tmp_path, bad, ["A", "B"])
    with pytest.warns(UserWarning, match=r"2 wells; --plot draws the 1 with the most flagged "
                                         r"samples and leaves out 1"):
        summary = workflows.detect(model, folder, tmp_path / "d.csv", plot=True)
    assert summary["out"][2:] == [str(tmp_path / "d_B.png")]
    assert not (tmp_path / "d_A.png").exists()
