"""Depth handling found wrong by a petrophysicist's audit (sixteenth session): a LAS frame's
depth index (DEPT, MD) ignored, depth windows and context across gaps in the log, repeated
depths taken for a zero step, LAS 3.0 log data misread, a trained `geoae features` writing
feet wells' depths in metres."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae import AutoEncoder
from geoae.applications import AnomalyDetector, ContextEncoder
from geoae.applications.features import stack_context
from geoae.applications.imputation import neighbour_index
from geoae.io import read_las, write_las
from geoae.preprocessing import WINDOW_GAP_STEPS, depth_segments, depth_step, well_and_depth

CURVES = ["GR", "RHOB", "NPHI", "DT", "PE"]


def _well(n=120, seed=1, gap_after=None):
    from geoae.datasets import make_synthetic_wells

    w = make_synthetic_wells(n_wells=1, n_samples=n, random_state=seed, faults=False).clean
    logs = w[["DEPTH", *CURVES]].reset_index(drop=True)
    if gap_after is not None:  # a 100 ft gap in the log after row gap_after
        logs.loc[gap_after + 1:, "DEPTH"] += 100.0
    return logs


def test_depth_segments_and_step_by_hand():
    d = np.array([0.0, 0.5, 1.0, 1.0, 1.5, 50.0, 50.5, np.nan])
    assert depth_step(d) == 0.5  # the repeated depth (a zero step) is not the step
    np.testing.assert_array_equal(depth_segments(d), [0, 0, 0, 0, 0, 1, 1, 2])
    # one missing sample (a 1.0 step): a gap for the Imputer's neighbours, bridged by windows
    hole = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 6.0, 6.5])
    np.testing.assert_array_equal(depth_segments(hole), [0, 0, 0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(depth_segments(hole, WINDOW_GAP_STEPS), [0, 0, 0, 0, 0, 0, 1, 1])


def test_a_las_frames_depth_index_is_its_depth(tmp_path):
    """read_las names the index after the file (DEPT, MD): only 'DEPTH' counted, so a
    descending file's windows ran upward and gaps were bridged."""
    logs = _well().rename(columns={"DEPTH": "DEPT"}).set_index("DEPT")
    logs.attrs = {"well_name": "B", "index_unit": "F"}
    write_las(logs, tmp_path / "asc.las")
    write_las(logs.iloc[::-1], tmp_path / "desc.las")
    asc, desc = read_las(tmp_path / "asc.las"), read_las(tmp_path / "desc.las")
    assert asc.index.name == "DEPT"
    np.testing.assert_array_equal(well_and_depth(desc)[1], desc.index.to_numpy())
    assert well_and_depth(asc.rename_axis("MD"))[1] is not None
    assert well_and_depth(asc.reset_index(drop=True))[1] is None  # a plain RangeIndex is not depth
    ce = ContextEncoder(context=4, latent_dim=1, hidden=(8,), epochs=2, passthrough=False,
                        random_state=0).fit(asc)
    a = pd.Series(ce.transform(asc)[:, 0], asc.index)
    d = pd.Series(ce.transform(desc)[:, 0], desc.index)
    np.testing.assert_allclose(a.to_numpy(), d.loc[a.index].to_numpy(), rtol=0, atol=1e-6)


def test_context_windows_stop_at_a_gap_in_the_log():
    X = np.arange(8.0)[:, None]
    depth = np.array([0, 1, 2, 3, 103, 104, 105, 106.0])
    # the segment's edge row repeats at the gap, as at a well's edge
    want = [[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 3], [4, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 7]]
    np.testing.assert_array_equal(stack_context(X, 1, None, depth), want)
    rev = stack_context(X[::-1], 1, None, depth[::-1])[::-1]  # any row order: the same context
    np.testing.assert_array_equal(rev, want)
    # a hole of two missing samples is bridged (the window's neighbours are the nearest rows)
    holed = np.array([0, 1, 2, 3, 6, 7, 8, 9.0])
    np.testing.assert_array_equal(stack_context(X, 1, None, holed)[3], [2, 3, 4])
    # with repeated depths (two passes merged) the gap is still a gap for the Imputer
    dup = np.array([1000, 1000, 1001, 1001, 1100, 1100.0])
    nbr = neighbour_index(6, 1, None, dup)
    assert nbr[3, 2] == -1 and nbr[4, 0] == -1


def test_codes_and_scores_above_a_gap_do_not_see_below_it():
    logs = _well(160, gap_after=79)
    changed = logs.copy()
    changed.loc[80:, CURVES] *= 3.0  # only the logs below the gap
    row = 79  # the last sample above the gap
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce = ContextEncoder(context=4, latent_dim=2, hidden=(8,), epochs=2, random_state=0).fit(logs)
        np.testing.assert_array_equal(ce.transform(logs)[row], ce.transform(changed)[row])
        det = AnomalyDetector(model=AutoEncoder(backbone="conv1d", latent_dim=2, hidden=(4, 8),
                                                epochs=2, random_state=0),
                              window=16, stride=4, random_state=0).fit(logs)
        assert det.score_samples(logs)[row] == det.score_samples(changed)[row]


def test_stuck_runs_and_intervals_respect_gaps_and_repeats():
    values = np.full((6, 1), 2.5)
    depth = np.array([0, 1, 2, 100, 101, 102.0])
    np.testing.assert_array_equal(AnomalyDetector._runs(values, None, depth)[:, 0], [3, 3, 3, 3, 3, 3])
    # intervals of a log with every depth twice: one interval, not one per depth
    det = AnomalyDetector()
    det.curves_ = ["GR"]
    depth2 = np.repeat(1000.0 + 0.5 * np.arange(10), 2)
    flags = (depth2 >= 1001.0) & (depth2 <= 1003.5)
    got = det.intervals(depth2, flags)
    assert len(got) == 1 and (got["top"].iloc[0], got["base"].iloc[0]) == (1001.0, 1003.5)


LAS3 = """~Version
VERS.   3.0 : CWLS LOG ASCII STANDARD - VERSION 3.0
WRAP.    NO : One line per depth step
DLM. {dlm} : delimiter
~Well
STRT.M 1500.0000 : start
STOP.M 1500.6096 : stop
STEP.M 0.1524 : step
NULL. -999.25 : null
WELL. V3WELL : well
~Log_Definition
DEPT.M : depth
GR.GAPI : gamma
RHOB.G/CC : density
~Log_Data | Log_Definition
{rows}
~Tops_Definition
TOPS. : name
TOPDEPTH.M : depth
~Tops_Data | Tops_Definition
TopA{sep}1500.2
"""


@pytest.mark.parametrize("dlm", ["COMMA", "SPACE"])
def test_las3_log_data_is_read_whole(tmp_path, dlm):
    """Comma-delimited ~Log_Data was read one value per row (GR and RHOB values became
    depths); a space-delimited one followed by ~Tops_Data lost its last row."""
    sep = "," if dlm == "COMMA" else " "
    rows = ["1500.0000,45.1,2.45", "1500.1524,46.2,-999.25", "1500.3048,47.3,2.47",
            "1500.4572,48.4,2.48", "1500.6096,49.5,2.49"]
    path = tmp_path / "v3.las"
    path.write_text(LAS3.format(dlm=dlm, sep=sep, rows="\n".join(r.replace(",", sep) for r in rows)))
    frame = read_las(path)
    np.testing.assert_allclose(frame.index, 1500 + 0.1524 * np.arange(5))
    np.testing.assert_allclose(frame["GR"], [45.1, 46.2, 47.3, 48.4, 49.5])
    assert np.isnan(frame["RHOB"].iloc[1]) and frame["RHOB"].iloc[4] == 2.49


def test_features_trained_keeps_each_wells_depth_unit(tmp_path, capsys):
    """Training `geoae features` on a folder with a well in feet wrote its depths in metres
    (5000 ft as 1524); a given encoder wrote feet. Both now write the file's own."""
    from geoae.datasets import make_synthetic_wells

    w = make_synthetic_wells(n_wells=3, n_samples=60, random_state=0, faults=False).clean
    (tmp_path / "wells").mkdir()
    for (name, part), unit in zip(w.groupby("WELL"), ["M", "M", "F"], strict=True):
        f = part.drop(columns="WELL").set_index("DEPTH").rename_axis("DEPT")
        f.attrs = {"well_name": name, "index_unit": unit}
        write_las(f, tmp_path / "wells" / f"{name}.las")
    code, _, err = run(capsys, "features", tmp_path / "wells", "--out", tmp_path / "trained.csv",
                       "--epochs", 1, "--context", 2, "--save-model", tmp_path / "ctx", "-q")
    assert code == 0, err
    code, _, err = run(capsys, "features", tmp_path / "ctx", tmp_path / "wells",
                       "--out", tmp_path / "given.csv", "-q")
    assert code == 0, err
    trained, given = pd.read_csv(tmp_path / "trained.csv"), pd.read_csv(tmp_path / "given.csv")
    feet = read_las(tmp_path / "wells" / "SYN-03.las")
    np.testing.assert_array_equal(trained.loc[trained["WELL"] == "SYN-03", "DEPTH"], feet.index)
    pd.testing.assert_frame_equal(trained, given)


def test_features_saved_encoder_records_the_units_it_was_trained_in(tmp_path, capsys):
    """A curve in another unit in one well (DT in us/m): the saved encoder recorded that well's
    own unit (the frame written out), not the one it was trained in, so the same folder got
    other codes from it (a review of the change above)."""
    import json

    from geoae.datasets import make_synthetic_wells

    w = make_synthetic_wells(n_wells=3, n_samples=60, random_state=0, faults=False).clean
    (tmp_path / "wells").mkdir()
    for (name, part), dtu in zip(w.groupby("WELL"), ["US/M", "US/F", "US/F"], strict=True):
        f = part.drop(columns="WELL").set_index("DEPTH").rename_axis("DEPT")[["GR", "RHOB", "DT"]]
        if dtu == "US/M":
            f["DT"] = f["DT"] * 3.28084
        f.attrs = {"well_name": name, "index_unit": "M",
                   "units": {"GR": "GAPI", "RHOB": "G/C3", "DT": dtu}}
        write_las(f, tmp_path / "wells" / f"{name}.las")
    code, _, err = run(capsys, "features", tmp_path / "wells", "--out", tmp_path / "trained.csv",
                       "--epochs", 1, "--context", 2, "--save-model", tmp_path / "ctx", "-q")
    assert code == 0, err
    assert json.loads((tmp_path / "ctx" / "transforms.json").read_text())["units"]["DT"] == "US/F"
    code, _, err = run(capsys, "features", tmp_path / "ctx", tmp_path / "wells",
                       "--out", tmp_path / "given.csv", "-q")
    assert code == 0, err
    trained, given = pd.read_csv(tmp_path / "trained.csv"), pd.read_csv(tmp_path / "given.csv")
    pd.testing.assert_frame_equal(trained, given)  # DT in us/m in both: the file's own
    assert trained.loc[trained["WELL"] == "SYN-01", "DT"].iloc[0] > 150


def test_concatenated_las_frames_without_well_are_warned_by_the_detector(tmp_path):
    a, b = _well(80, seed=1), _well(80, seed=2)
    for name, w in (("a", a), ("b", b)):
        f = w.set_index("DEPTH").rename_axis("DEPT")
        f.attrs = {"well_name": name, "index_unit": "F"}
        write_las(f, tmp_path / f"{name}.las")
    both = pd.concat([read_las(tmp_path / "a.las"), read_las(tmp_path / "b.las")])
    det = AnomalyDetector(model=AutoEncoder(backbone="conv1d", latent_dim=2, hidden=(4, 8),
                                            epochs=1, random_state=0), window=16, stride=8)
    with pytest.warns(UserWarning, match="several wells in one table"):
        det.fit(both)


def test_irregular_depths_are_named_in_the_short_stretch_warning():
    rng = np.random.default_rng(0)
    depth = 1000 + np.cumsum(rng.lognormal(0, 1, 200))  # core plugs
    X = pd.DataFrame({"DEPTH": depth, "GR": rng.normal(60, 10, 200), "RHOB": rng.normal(2.4, 0.1, 200)})
    det = AnomalyDetector(model=AutoEncoder(backbone="conv1d", latent_dim=2, hidden=(4, 8),
                                            epochs=1, random_state=0), window=16, stride=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        det.fit(X)
    said = [str(w.message) for w in caught if "shorter than window" in str(w.message)]
    assert len(said) == 1 and "irregularly sampled" in said[0]


def test_several_wells_without_a_well_column_are_warned():
    """Two wells at the same depths, no WELL: each row's neighbours came from the other well
    without a word (geoae features refused it; the API did not say)."""
    a, b = _well(60, seed=1), _well(60, seed=2)
    both = pd.concat([a, b], ignore_index=True)
    with pytest.warns(UserWarning, match="several wells in one table"):
        stack_context(both[CURVES].to_numpy(), 2, None, both["DEPTH"].to_numpy())
    with pytest.warns(UserWarning, match="several wells in one table"):
        neighbour_index(len(both), 2, None, both["DEPTH"].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one well, or wells labelled: nothing to say
        stack_context(a[CURVES].to_numpy(), 2, None, a["DEPTH"].to_numpy())
        stack_context(both[CURVES].to_numpy(), 2, np.repeat(["A", "B"], 60), both["DEPTH"].to_numpy())


def test_a_las_written_with_depths_out_of_order_is_warned(tmp_path):
    df = pd.DataFrame({"GR": [1.0, 2, 3, 4]}, index=pd.Index([1000.5, 1000, 1001, 1001.5], name="DEPT"))
    with pytest.warns(UserWarning, match="go up and down"):
        write_las(df, tmp_path / "x.las")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_las(df.sort_index(), tmp_path / "y.las")
        write_las(df.sort_index(ascending=False), tmp_path / "z.las")  # recorded upward: in order


@pytest.mark.parametrize(("definition", "data"), [
    ("~LOG_DEFINITION", "~LOG_DATA | LOG_DEFINITION"),         # all capitals: curves were UNKNOWN:n
    ("~Log_Definition[1]", "~Log_Data[1] | Log_Definition[1]"),  # an indexed data set
])
def test_las3_spellings_and_other_data_sets(tmp_path, definition, data):
    text = LAS3.format(dlm="COMMA", sep=",", rows="\n".join(
        ["1500.0000,45.1,2.45", "1500.1524,46.2,2.46", "1500.3048,47.3,2.47",
         "1500.4572,48.4,2.48", "1500.6096,49.5,2.49"]))
    text = text.replace("~Log_Definition", definition).replace("~Log_Data | Log_Definition", data)
    path = tmp_path / "v3.las"
    path.write_text(text)
    frame = read_las(path)
    assert list(frame.columns) == ["GR", "RHOB"] and len(frame) == 5
    # the other data set: its data listed as not read, its definition kept in the header
    assert frame.attrs["other_data_sections"] == ["Tops_Data"]
    with pytest.warns(UserWarning, match="Tops_Data"):
        write_las(frame, tmp_path / "out.las", template=path)
    assert "~Tops_Definition" in (tmp_path / "out.las").read_text()


def test_a_depth_unit_in_the_column_name_is_used(tmp_path, capsys):
    """A depth audit: DEPTH_FT / DEPTH_M named their unit and geoae ignored it: a LAS output of
    a table said no DEPT unit, and a folder of a feet table and a metres table was stacked
    without converting (5000 ft beside 1524 m)."""
    from geoae.io import read_wells

    logs = _well(n=150)
    feet = logs.rename(columns={"DEPTH": "DEPTH_FT"}).assign(WELL="F")
    feet.to_csv(tmp_path / "feet.csv", index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", tmp_path / "feet.csv", "--epochs", 1, "--out", model, "-q")[0] == 0
    out = tmp_path / "scores.las"
    assert run(capsys, "detect", model, tmp_path / "feet.csv", "--out", out, "-q")[0] == 0
    las = read_las(out)
    assert las.attrs["index_unit"].lower() == "ft"
    np.testing.assert_allclose(las.index.to_numpy(), logs["DEPTH"].to_numpy(), rtol=1e-6)
    # a folder of a feet table and a metres table: the depths are made one unit
    wells = tmp_path / "wells"
    wells.mkdir()
    feet.to_csv(wells / "feet.csv", index=False)
    metres = logs.assign(DEPTH=logs["DEPTH"] * 0.3048).rename(columns={"DEPTH": "DEPTH_M"})
    metres.assign(WELL="M").to_csv(wells / "metres.csv", index=False)
    with pytest.warns(UserWarning, match=r"DEPTH m -> ft \(well M\)"):
        both = read_wells(wells)
    assert both.attrs["depth_units"] == {"F": "ft", "M": "m"}
    f = both.loc[both["WELL"] == "F", "DEPTH"].to_numpy()
    m = both.loc[both["WELL"] == "M", "DEPTH"].to_numpy()
    np.testing.assert_allclose(f, m, rtol=1e-9)  # one unit: the same depths
    assert read_wells([tmp_path / "feet.csv"]).attrs["depth_units"] == {"F": "ft"}
    # a name without a unit says nothing
    logs.assign(WELL="N").to_csv(tmp_path / "plain.csv", index=False)
    assert read_wells([tmp_path / "plain.csv"]).attrs["depth_units"] == {"N": ""}
