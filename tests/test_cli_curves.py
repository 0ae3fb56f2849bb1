"""``--curves`` names as a user types them: any case, a file's own mnemonics (read through the
alias table), each curve once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae.datasets import make_synthetic_wells
from geoae.io import write_las


@pytest.fixture(scope="module")
def las_folder(tmp_path_factory) -> Path:
    """Two LAS wells whose sonic is DTC in one file and AC in the other (both read as DT)."""
    d = tmp_path_factory.mktemp("wells")
    for i, sonic in enumerate(["DTC", "AC"]):
        syn = make_synthetic_wells(n_wells=1, n_samples=200, random_state=i, faults=False)
        df = syn.observed.drop(columns=["WELL"]).set_index("DEPTH")[["GR", "RHOB", "NPHI", "DT"]]
        df = df.rename(columns={"DT": sonic})
        df.index.name = "DEPT"
        write_las(df, d / f"W{i}.las", units={"GR": "API", "RHOB": "G/C3", "NPHI": "V/V",
                                               sonic: "US/F"})
    return d



def test_curves_in_lower_case_and_a_files_own_mnemonic(capsys, tmp_path, las_folder):
    out = tmp_path / "m"
    code, _, err = run(capsys, "train", las_folder, "--curves", "gr,rhob,NPHI,DTC", "--epochs", 1,
                       "--out", out, "--quiet")
    assert code == 0, err
    # DTC (one well's own mnemonic) is the curve read as DT; the case of gr and rhob is not
    # significant; only the alias is said
    assert "--curves DTC as DT" in err
    assert "gr as" not in err
    code, text, err = run(capsys, "info", out, "--json")
    assert code == 0, err
    assert json.loads(text)["curves"] == ["GR", "RHOB", "NPHI", "DT"]


def test_a_curve_named_twice_is_one_readable_error(capsys, tmp_path, las_folder):
    code, _, err = run(capsys, "train", las_folder, "--curves", "GR,DT,dtc", "--epochs", 1,
                       "--out", tmp_path / "m", "--quiet")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error:") and "DT more than once" in lines[-1]
    assert "Traceback" not in err
    assert not (tmp_path / "m" / "config.json").exists()


def test_an_unknown_curve_is_still_an_error_naming_it(capsys, tmp_path, las_folder):
    code, _, err = run(capsys, "train", las_folder, "--curves", "GR,XYZ", "--epochs", 1,
                       "--out", tmp_path / "m", "--quiet")
    assert code == 2 and "['XYZ'] not found" in err and err.count("\n") <= 2


def test_the_curves_a_command_adds_to_a_las_file_are_described(capsys, tmp_path, las_folder):
    from geoae.io import read_las

    model = tmp_path / "m"
    assert run(capsys, "train", las_folder, "--curves", "GR,RHOB,NPHI", "--latent", 2,
               "--epochs", 1, "--out", model, "--quiet")[0] == 0
    for cmd, out in (("encode", "e.las"), ("reconstruct", "r.las"), ("detect", "d.las")):
        code, _, err = run(capsys, cmd, model, las_folder / "W0.las", "--out", tmp_path / out,
                           "--quiet")
        assert code == 0, err
    curves = {}
    for out in ("e.las", "r.las", "d.las"):
        header = read_las(tmp_path / out).attrs["las_header"]["Curves"]
        curves.update({it["mnemonic"]: it["descr"] for it in header})
    assert curves["LATENT_1"] == "geoae latent code, dimension 1"
    assert curves["GR_RECON"] == "GR rebuilt by the geoae auto-encoder"
    assert curves["RECON_ERROR"].startswith("geoae reconstruction error")
    assert curves["ANOMALY_SCORE"].startswith("geoae anomaly score")
    assert curves["RHOB_SHARE"] == "share of the anomaly score from RHOB"


def test_no_curve_description_holds_a_colon():
    """LAS splits an item's description at its last colon: one inside a description would cut
    it (seen: INVALID's read back as '_intervals.csv)')."""
    from geoae.workflows import _DESCRIPTIONS

    assert all(":" not in text for _, text in _DESCRIPTIONS)


def test_a_well_without_a_model_curve_is_scored_alike_alone_and_in_a_folder(capsys, tmp_path):
    """A well where PE was never run was scored in a folder (PE missing on every row) without a
    word, and refused given alone ("the model needs every curve it was trained on"). Both now
    score it from the other curves, with a warning, and give the same codes."""
    wells = make_synthetic_wells(n_wells=3, n_samples=120, random_state=0, faults=False).clean
    folder, train = tmp_path / "las", tmp_path / "train"
    folder.mkdir()
    train.mkdir()
    units = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v", "PE": "b/e"}
    names = list(pd.unique(wells["WELL"]))
    for name in names:
        one = wells[wells["WELL"] == name].set_index("DEPTH")[list(units)].copy()
        if name == names[-1]:
            one = one.drop(columns="PE")
        one.index.name = "DEPT"
        one.attrs = {"well_name": name, "index_unit": "M"}
        for where in (folder, train) if name != names[-1] else (folder,):
            write_las(one, where / f"{name}.las", units={c: u for c, u in units.items()
                                                          if c in one.columns})
    model = tmp_path / "m"
    assert run(capsys, "train", train, "--latent", 2, "--epochs", 1, "--out", model, "-q")[0] == 0
    alone = folder / f"{names[-1]}.las"
    code, _, err = run(capsys, "encode", model, alone, "--out", tmp_path / "one.csv")
    assert code == 0, err
    assert "no PE column (a curve the model was trained on)" in err
    code, _, err = run(capsys, "encode", model, folder, "--out", tmp_path / "all.csv")
    assert code == 0, err
    assert f"({names[-1]}: PE)" in err
    one, every = pd.read_csv(tmp_path / "one.csv"), pd.read_csv(tmp_path / "all.csv")
    every = every[every["WELL"] == names[-1]].reset_index(drop=True)
    np.testing.assert_allclose(one.filter(like="LATENT").to_numpy(),
                               every.filter(like="LATENT").to_numpy(), rtol=1e-6)
    assert one.filter(like="LATENT").notna().all().all()
    # a file with none of the model's curves is still an error
    frame = pd.DataFrame({"WELL": "X", "DEPTH": np.arange(5.0), "CALI": np.ones(5)})
    frame.to_csv(tmp_path / "none.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "none.csv", "--out", tmp_path / "n.csv")
    assert code == 2 and "not found" in err


def test_an_empty_model_curve_is_said_alike_for_one_well_and_for_chunks(capsys, tmp_path):
    """A review: a lone well whose PE is declared but empty was scored without the warning a
    folder gives; a streamed CSV whose PE is empty in its first chunk only warned falsely."""
    wells = make_synthetic_wells(n_wells=2, n_samples=150, random_state=1, faults=False).clean
    wells = wells[["WELL", "DEPTH", "GR", "RHOB", "PE"]]
    wells.to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", tmp_path / "train.csv", "--epochs", 1, "--out", model,
               "-q")[0] == 0
    one = wells[wells["WELL"] == wells["WELL"].iloc[0]].assign(PE=np.nan)
    one.to_csv(tmp_path / "one.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "one.csv", "--out", tmp_path / "a.csv")
    assert code == 0 and "without any reading of a curve the model was trained on" in err, err
    late = wells.copy()
    first = late.index[:100]
    late.loc[first, "PE"] = np.nan  # empty in the first chunk of 100 rows only
    late.to_csv(tmp_path / "late.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "late.csv", "--out",
                       tmp_path / "b.csv", "--chunk-rows", 100)
    assert code == 0 and "reading" not in err, err
    never = wells.copy()
    never.loc[never["WELL"] == never["WELL"].iloc[-1], "PE"] = np.nan
    never.to_csv(tmp_path / "never.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "never.csv", "--out",
                       tmp_path / "c.csv", "--chunk-rows", 100)
    assert code == 0 and f"({never['WELL'].iloc[-1]}: PE)" in err, err
    assert err.count("without any reading") == 1


def test_a_reconstructed_curve_the_file_lacks_keeps_the_model_unit(capsys, tmp_path):
    wells = make_synthetic_wells(n_wells=2, n_samples=120, random_state=2, faults=False).clean
    folder = tmp_path / "las"
    folder.mkdir()
    units = {"GR": "gAPI", "RHOB": "g/cm3", "PE": "b/e"}
    for name, g in wells.groupby("WELL"):
        one = g.set_index("DEPTH")[list(units)].copy()
        one.index.name = "DEPT"
        one.attrs = {"well_name": name, "index_unit": "M"}
        write_las(one, folder / f"{name}.las", units=units)
    model = tmp_path / "m"
    assert run(capsys, "train", folder, "--epochs", 1, "--out", model, "-q")[0] == 0
    name = str(wells["WELL"].iloc[0])
    one = wells[wells["WELL"] == name].set_index("DEPTH")[["GR", "RHOB"]].copy()
    one.index.name = "DEPT"
    one.attrs = {"well_name": name, "index_unit": "M"}
    write_las(one, tmp_path / "nope.las", units={"GR": "gAPI", "RHOB": "g/cm3"})
    code, _, err = run(capsys, "reconstruct", model, tmp_path / "nope.las", "--out",
                       tmp_path / "r.las")
    assert code == 0, err
    import lasio

    assert lasio.read(str(tmp_path / "r.las")).curves["PE_RECON"].unit == "b/e"
