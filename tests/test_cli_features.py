"""`geoae features`: context codes of every row of a table of wells, from the command line.

The codes are checked against the Python API (:class:`geoae.applications.ContextEncoder` fitted
on the same curves, in depth order within each well), a saved encoder must give other wells'
rows the same codes whatever their order, and bad input is one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clirun import run

CURVES = ["GR", "RHOB", "NPHI", "PE", "RT"]
EPOCHS = 3


@pytest.fixture(scope="module")
def wells(tmp_path_factory):
    from geoae.datasets import make_synthetic_wells

    d = tmp_path_factory.mktemp("features")
    frame = make_synthetic_wells(n_wells=3, n_samples=150, random_state=3, faults=False).clean
    frame = frame[["WELL", "DEPTH", *CURVES]].reset_index(drop=True)
    frame.to_csv(d / "wells.csv", index=False)
    return d, frame


def api_codes(frame: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """The codes of the Python API for ``frame`` (any row order), in ``frame``'s order."""
    from geoae.applications import ContextEncoder

    ordered = frame.sort_values(["WELL", "DEPTH"], kind="stable")
    X = ordered[["WELL", *CURVES]].copy()
    X["RT"] = np.log10(X["RT"])  # a resistivity: modelled as log10
    ce = ContextEncoder(context=8, latent_dim=1, epochs=EPOCHS, passthrough=False,
                        random_state=seed).fit(X)
    return pd.Series(ce.transform(X)[:, 0], index=ordered.index).loc[frame.index].to_numpy()


def test_codes_equal_the_api_and_every_row_is_kept(capsys, wells, tmp_path):
    d, frame = wells
    shuffled = frame.sample(frac=1.0, random_state=1)
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    code, out, err = run(capsys, "features", tmp_path / "shuffled.csv", "--out",
                         tmp_path / "f.csv", "--epochs", EPOCHS, "--save-model",
                         tmp_path / "ctx", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["curves"] == CURVES and summary["log10_curves"] == ["RT"]
    assert summary["rows"] == len(frame) and summary["no_data"] == 0
    got = pd.read_csv(tmp_path / "f.csv")
    # every input column and row, in the input's order, then the code
    assert list(got.columns) == [*frame.columns, "CONTEXT_0"]
    np.testing.assert_array_equal(got["DEPTH"], shuffled["DEPTH"])
    np.testing.assert_allclose(got["CONTEXT_0"], api_codes(shuffled), rtol=1e-6, atol=1e-7)
    # the kept encoder gives another file's rows (in file order now) the same codes
    code, _, err = run(capsys, "features", tmp_path / "ctx", d / "wells.csv", "--out",
                       tmp_path / "g.csv")
    assert code == 0, err
    again = pd.read_csv(tmp_path / "g.csv")
    by_row = got.set_index(["WELL", "DEPTH"])["CONTEXT_0"]
    np.testing.assert_allclose(again["CONTEXT_0"],
                               by_row.loc[list(zip(again["WELL"], again["DEPTH"], strict=True))].to_numpy(),
                               rtol=1e-6, atol=1e-7)
    from geoae import load

    assert type(load(tmp_path / "ctx")).__name__ == "ContextEncoder"


UNITS = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v", "PE": "b/e", "RT": "ohm.m"}


def write_well(frame: pd.DataFrame, well: str, path, units=UNITS, factor=None):
    from geoae.io import write_las

    one = frame[frame["WELL"] == well].set_index("DEPTH")[CURVES].copy()
    for curve, f in (factor or {}).items():
        one[curve] = one[curve] * f
    one.index.name = "DEPT"
    one.attrs = {"well_name": well, "index_unit": "M"}
    write_las(one, path, units=units)
    return path


def test_a_las_well_in_other_units_gets_las_out(capsys, wells, tmp_path):
    """LAS wells in, a LAS well out (headers and curves kept, CONTEXT_0 described); a well
    whose density is in kg/m3 where the encoder's was in g/cm3 is converted first, so its codes
    are those of the same well in g/cm3."""
    import lasio

    from geoae.io import read_las

    _, frame = wells
    names = list(pd.unique(frame["WELL"]))
    folder = tmp_path / "las"
    folder.mkdir()
    for w in names:
        write_well(frame, w, folder / f"{w}.las")
    ctx = tmp_path / "ctx"
    code, _, err = run(capsys, "features", folder, "--out", tmp_path / "all.csv", "--epochs",
                       EPOCHS, "--save-model", ctx)
    assert code == 0, err
    kg = write_well(frame, names[0], tmp_path / "kg.las", units={**UNITS, "RHOB": "kg/m3"},
                    factor={"RHOB": 1000.0})
    code, _, err = run(capsys, "features", ctx, kg, "--out", tmp_path / "kg_out.las")
    assert code == 0, err
    assert "RHOB kg/m3 -> g/cm3" in err
    las = read_las(tmp_path / "kg_out.las")
    assert {*CURVES, "CONTEXT_0"} <= set(las.columns)
    np.testing.assert_allclose(las["RHOB"], 1000.0 * frame.loc[frame["WELL"] == names[0], "RHOB"],
                               rtol=1e-6)  # the input's own values and unit are kept
    table = pd.read_csv(tmp_path / "all.csv")
    want = table[table["WELL"] == names[0]]["CONTEXT_0"].to_numpy()
    np.testing.assert_allclose(las["CONTEXT_0"].to_numpy(), want, rtol=1e-5, atol=1e-5)
    curve = lasio.read(str(tmp_path / "kg_out.las")).curves["CONTEXT_0"]
    assert "context code" in curve.descr


@pytest.mark.parametrize("args, says", [
    (["--latent", 0], "--latent 0 is not valid"),
    (["--context", -2], "--context -2 is not valid"),
    (["--out-name", "all.las"], "a LAS file holds one well"),
    (["--curves", "GR,NOPE"], "NOPE"),
])
def test_bad_options_are_one_line(capsys, wells, tmp_path, args, says):
    d, _ = wells
    out = tmp_path / "o.csv"
    if args[0] == "--out-name":
        out, args = tmp_path / args[1], []
    code, _, err = run(capsys, "features", d / "wells.csv", "--out", out, "--epochs", 1, *args)
    assert code == 2 and err.strip().count("\n") == 0 and says in err, err
    assert not out.exists()


def test_a_given_encoder_is_not_retrained_or_recurved(capsys, wells, tmp_path):
    d, _ = wells
    ctx = tmp_path / "ctx"
    code, _, err = run(capsys, "features", d / "wells.csv", "--out", tmp_path / "a.csv",
                       "--epochs", 1, "--save-model", ctx)
    assert code == 0, err
    for extra, says in ((["--save-model", tmp_path / "other"], "is given, not trained"),
                        (["--curves", "GR"], "leave --curves out")):
        code, _, err = run(capsys, "features", ctx, d / "wells.csv", "--out", tmp_path / "b.csv",
                           *extra)
        assert code == 2 and says in err and err.strip().count("\n") == 0, err
    # a model folder of another kind is named as such
    code, _, err = run(capsys, "features", d, d / "wells.csv", "--out", tmp_path / "c.csv")
    assert code == 2 and "context-encoder folder" in err, err


def test_review_findings_are_one_line_errors(capsys, wells, tmp_path):
    """A review of the command: a missing WELL label crashed (TypeError from the sort);
    --save-model equal to --out failed after writing the output; a table of several wells
    without a WELL column was sorted by depth across the wells, silently; options of training
    given with a trained encoder were ignored."""
    d, frame = wells
    bad = frame.copy()
    bad.loc[5, "WELL"] = np.nan
    bad.to_csv(tmp_path / "nan_well.csv", index=False)
    nowell = frame.drop(columns="WELL")
    nowell.to_csv(tmp_path / "no_well.csv", index=False)
    ctx = tmp_path / "ctx"
    assert run(capsys, "features", d / "wells.csv", "--out", tmp_path / "a.csv", "--epochs", 1,
               "--save-model", ctx)[0] == 0
    cases = [
        (["features", tmp_path / "nan_well.csv", "--out", tmp_path / "o.csv", "--epochs", 1],
         "1 row(s) without a WELL label"),
        (["features", d / "wells.csv", "--out", tmp_path / "o.csv", "--save-model",
          tmp_path / "o.csv", "--epochs", 1], "--save-model"),
        (["features", tmp_path / "no_well.csv", "--out", tmp_path / "o.csv", "--epochs", 1],
         "Add a WELL column"),
        (["features", ctx, d / "wells.csv", "--out", tmp_path / "o.csv", "--latent", 5,
          "--no-log10"], "--latent, --log10/--no-log10: the context encoder"),
    ]
    for args, says in cases:
        code, _, err = run(capsys, *args)
        assert code == 2 and says in err and err.strip().count("\n") == 0, (args, err)
        assert not (tmp_path / "o.csv").exists()
    # one well without WELL is fine (its few repeated depths too)
    one = frame[frame["WELL"] == frame["WELL"].iloc[0]].drop(columns="WELL")
    one.to_csv(tmp_path / "one.csv", index=False)
    assert run(capsys, "features", ctx, tmp_path / "one.csv", "--out", tmp_path / "b.csv")[0] == 0


def test_default_curves_report_what_they_left_out(capsys, wells, tmp_path):
    d, frame = wells
    frame.assign(EMPTY=np.nan).to_csv(tmp_path / "empty.csv", index=False)
    code, out, err = run(capsys, "features", tmp_path / "empty.csv", "--out", tmp_path / "o.csv",
                         "--epochs", 1, "--json")
    assert code == 0, err
    assert json.loads(out)["left_out"] == ["EMPTY"] and "(all null): EMPTY" in err
