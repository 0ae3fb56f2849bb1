"""The command line end to end: outputs checked by content, errors by exit code and message."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geoae
from clirun import run
from geoae.datasets import make_synthetic_wells


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_train_encode_reconstruct_info_generate(capsys, tmp_path, wells_csv):
    before = digest(wells_csv)
    model = tmp_path / "model"
    code, out, err = run(capsys, "train", wells_csv, "--model", "vae", "--curves", "GR,RHOB,NPHI,DT",
                         "--latent", 2, "--epochs", 5, "--out", model, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["curves"] == ["GR", "RHOB", "NPHI", "DT"] and summary["epochs_run"] == 5
    assert (model / "config.json").is_file() and (model / "model.safetensors").is_file()

    code, out, err = run(capsys, "encode", model, wells_csv, "--out", tmp_path / "codes.csv")
    assert code == 0, err
    codes = pd.read_csv(tmp_path / "codes.csv")
    obs = pd.read_csv(wells_csv)
    assert list(codes.columns) == ["WELL", "DEPTH", "LATENT_0", "LATENT_1"]
    assert len(codes) == len(obs) and codes["DEPTH"].equals(obs["DEPTH"])

    code, out, err = run(capsys, "reconstruct", model, wells_csv, "--out", tmp_path / "rec.parquet")
    assert code == 0, err
    rec = pd.read_parquet(tmp_path / "rec.parquet")
    assert {"GR_RECON", "RHOB_RECON", "RECON_ERROR"} <= set(rec.columns)
    pd.testing.assert_series_equal(rec["GR"], obs["GR"], check_names=False)  # originals kept
    assert rec["RHOB_RECON"].between(1.0, 3.5).mean() > 0.95  # in g/cc, the curve's own units

    code, out, err = run(capsys, "info", model, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["model"] == "VariationalAutoEncoder" and info["curves"] == ["GR", "RHOB", "NPHI", "DT"]
    assert info["epochs_run"] == 5 and "kl" in info["loss_terms"]

    code, out, err = run(capsys, "generate", model, "-n", 50, "--out", tmp_path / "gen.csv", "--quiet")
    assert code == 0, err and out == ""
    gen = pd.read_csv(tmp_path / "gen.csv")
    assert gen.shape == (50, 4) and abs(gen["RHOB"].mean() - obs["RHOB"].mean()) < 0.3
    assert digest(wells_csv) == before  # inputs are never modified


def test_a_table_with_well_and_depth_spelled_otherwise(capsys, tmp_path, wells_csv):
    """'Well Name' and 'Depth' columns (the Kansas export's spelling) were taken for a curve
    (Depth) and a text column: no per-well split, depth as a feature, and encode's output had
    no depth. They are the well and depth now, and outputs keep the input's own names."""
    obs = pd.read_csv(wells_csv).rename(columns={"WELL": "Well Name", "DEPTH": "Depth"})
    obs.to_csv(tmp_path / "k.csv", index=False)
    model = tmp_path / "m"
    code, out, err = run(capsys, "train", tmp_path / "k.csv", "--epochs", 2, "--out", model, "--json")
    assert code == 0, err
    assert "Depth" not in json.loads(out)["curves"]
    code, _, err = run(capsys, "encode", model, tmp_path / "k.csv", "--out", tmp_path / "z.csv")
    assert code == 0, err
    z = pd.read_csv(tmp_path / "z.csv")
    assert list(z.columns[:2]) == ["Well Name", "Depth"] and z["Depth"].equals(obs["Depth"])
    code, _, err = run(capsys, "detect", model, tmp_path / "k.csv", "--out", tmp_path / "d.csv")
    assert code == 0, err
    d = pd.read_csv(tmp_path / "d.csv")
    assert {"Well Name", "Depth", "ANOMALY_SCORE"} <= set(d.columns) and "WELL" not in d.columns
    iv = pd.read_csv(tmp_path / "d_intervals.csv")
    assert set(iv["WELL"]) <= set(obs["Well Name"])  # intervals per well, in depths
    # asked for as a curve, Depth stays a curve (and such a model still scores the table)
    code, out, err = run(capsys, "train", tmp_path / "k.csv", "--curves", "Depth,GR,RHOB",
                         "--epochs", 2, "--out", tmp_path / "m2", "--json")
    assert code == 0 and json.loads(out)["curves"] == ["Depth", "GR", "RHOB"], err
    code, _, err = run(capsys, "encode", tmp_path / "m2", tmp_path / "k.csv", "--out",
                       tmp_path / "z2.csv")
    assert code == 0, err


def test_resistivity_is_modelled_as_log10_and_given_back_in_ohm_m(capsys, tmp_path, wells_csv):
    """RT is log-normal: trained on raw ohm.m, a VAE generates negative resistivities (about a
    quarter of them here). `train` models it as log10 by default, records that in the model
    folder, and the other commands give RT back in ohm.m."""
    obs = pd.read_csv(wells_csv)
    model = tmp_path / "m"
    code, out, err = run(capsys, "train", wells_csv, "--model", "vae", "--epochs", 10, "--out", model,
                         "--json")
    assert code == 0, err
    assert json.loads(out)["log10_curves"] == ["RT"]
    # a CSV table carries no units
    assert json.loads((model / "transforms.json").read_text()) == {"log10": ["RT"], "units": {}}
    code, _, err = run(capsys, "generate", model, "-n", 2000, "--out", tmp_path / "g.csv", "--quiet")
    assert code == 0, err
    gen = pd.read_csv(tmp_path / "g.csv")
    assert (gen["RT"] > 0).all()
    assert 0.2 < gen["RT"].median() / obs["RT"].median() < 5  # ohm.m, not log10(ohm.m)
    code, _, err = run(capsys, "reconstruct", model, wells_csv, "--out", tmp_path / "r.csv", "--quiet")
    assert code == 0, err
    rec = pd.read_csv(tmp_path / "r.csv")
    pd.testing.assert_series_equal(rec["RT"], obs["RT"])  # the measured curve untouched
    ok = obs["RT"].notna()
    assert np.median(np.abs(np.log10(rec.loc[ok, "RT_RECON"] / obs.loc[ok, "RT"]))) < 0.3
    code, out, err = run(capsys, "info", model, "--json")
    assert code == 0 and json.loads(out)["log10_curves"] == ["RT"], err
    # the same model on raw ohm.m
    code, _, err = run(capsys, "train", wells_csv, "--model", "vae", "--epochs", 10, "--no-log10",
                       "--out", tmp_path / "raw", "--quiet")
    assert code == 0, err
    run(capsys, "generate", tmp_path / "raw", "-n", 2000, "--out", tmp_path / "g2.csv", "--quiet")
    assert (pd.read_csv(tmp_path / "g2.csv")["RT"] <= 0).mean() > 0.05
    # detect scores the model's units: the same as a prefit detector given log10(RT)
    from geoae import load
    from geoae.applications import AnomalyDetector

    code, _, err = run(capsys, "detect", model, wells_csv, "--out", tmp_path / "d.csv", "--quiet")
    assert code == 0, err
    with pytest.warns(UserWarning, match="log10 of \\['RT'\\]"):
        est = load(model)
    logs = obs[["WELL", "DEPTH", *est.feature_names_in_]].assign(RT=np.log10(obs["RT"]))
    # a reading outside its physical range (a synthetic spike of NPHI below -0.15 v/v) is
    # impossible: detect hides it from the model and names it in INVALID
    impossible = (obs["NPHI"] < -0.15).to_numpy()
    assert impossible.sum() == 1
    logs.loc[impossible, "NPHI"] = np.nan
    ref = AnomalyDetector(model=est, prefit=True, contamination=0.01).fit(logs)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "d.csv")["ANOMALY_SCORE"],
                               -ref.score_samples(logs), rtol=1e-6)
    d = pd.read_csv(tmp_path / "d.csv")
    assert d["INVALID"].fillna("").tolist() == np.where(impossible, "NPHI", "").tolist()
    # an impossible resistivity (0 or negative: a tool fault) cannot enter the log10 model; it is
    # flagged whatever its score, named in INVALID and as its interval's main curve
    bad = obs.copy()
    well0 = bad["WELL"] == bad["WELL"].iloc[0]
    rows = bad.index[well0][100:104]
    bad.loc[rows, "RT"] = [0.0, -1.0, -5.0, 0.0]
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code, out, err = run(capsys, "detect", model, tmp_path / "bad.csv", "--out", tmp_path / "d2.csv",
                         "--json")
    assert code == 0, err
    d2 = pd.read_csv(tmp_path / "d2.csv")
    assert d2.loc[rows, "FLAG"].all() and (d2.loc[rows, "INVALID"] == "RT").all()
    assert d2["INVALID"].notna().sum() == 5 and json.loads(out)["invalid"] == 5  # + the NPHI
    iv = pd.read_csv(tmp_path / "d2_intervals.csv")
    hit = iv[(iv["WELL"] == bad["WELL"].iloc[0]) & (iv["top"] <= bad.loc[rows[0], "DEPTH"])
             & (iv["base"] >= bad.loc[rows[-1], "DEPTH"])]
    assert len(hit) == 1 and hit["main_curve"].iloc[0] == "RT"
    # resuming a checkpoint trained in other units is refused
    code, _, err = run(capsys, "train", wells_csv, "--model", "vae", "--epochs", 10, "--no-log10",
                       "--out", model, "--resume")
    assert code == 2 and "--log10" in err and "Traceback" not in err
    # a damaged record is a one-line error; a folder without one (older geoae) is used as is
    (model / "transforms.json").write_text("{not json")
    code, _, err = run(capsys, "generate", model, "-n", 5, "--out", tmp_path / "g3.csv")
    assert code == 2 and "transforms.json" in err and "Traceback" not in err
    (model / "transforms.json").unlink()
    code, _, err = run(capsys, "generate", model, "-n", 5, "--out", tmp_path / "g4.csv")
    assert code == 0, err


@pytest.mark.parametrize("case", ["missing", "not_data", "unknown_curve", "same_as_input", "exists",
                                  "bad_model_name", "out_is_a_folder", "folder_out_is_a_file",
                                  "bad_train_traces"])
def test_user_errors_exit_2_with_one_line(capsys, tmp_path, wells_csv, case):
    model = tmp_path / "m"
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01" * 100)
    existing = tmp_path / "exists.csv"
    existing.write_text("x\n1\n")
    args = {
        "missing": ("train", tmp_path / "nope.las", "--out", model),
        "not_data": ("train", binary, "--out", model),
        "unknown_curve": ("train", wells_csv, "--curves", "GR,XYZ", "--out", model),
        "same_as_input": ("encode", model, wells_csv, "--out", wells_csv),
        "exists": ("encode", model, wells_csv, "--out", existing),
        "bad_model_name": ("train", wells_csv, "--model", "gan", "--out", model),
        # an existing folder as a file output failed after all the work (IsADirectoryError)
        "out_is_a_folder": ("encode", model, wells_csv, "--out", tmp_path, "--force"),
        "folder_out_is_a_file": ("impute", wells_csv.parent, "--curve", "PE", "--out", existing),
        "bad_train_traces": ("denoise", wells_csv, "--out", tmp_path / "o.sgy", "--train-traces", 0),
    }[case]
    if case in ("same_as_input", "exists"):
        assert run(capsys, "train", wells_csv, "--epochs", 1, "--out", model, "--quiet")[0] == 0
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in err
    expected = {"missing": "nope.las", "not_data": "blob.bin", "unknown_curve": "XYZ",
                "same_as_input": "is the input", "exists": "--force", "bad_model_name": "gan",
                "out_is_a_folder": "is a folder", "folder_out_is_a_file": "is a file",
                "bad_train_traces": "--train-traces 0"}[case]
    assert expected in lines[0]
    if case in ("exists", "folder_out_is_a_file"):
        assert existing.read_text() == "x\n1\n"
    if case != "same_as_input" and case != "exists":
        assert not model.exists() or not any(model.iterdir())


def test_usage_error_exits_2(capsys):
    code, _, err = run(capsys, "train", "--bogus")
    assert code == 2 and "No such option" in err


def test_help_has_examples(capsys):
    for cmd in ("train", "encode", "reconstruct", "detect", "impute", "denoise", "generate", "info", "demo"):
        code, out, _ = run(capsys, cmd, "--help")
        assert code == 0 and "Example: geoae " + cmd in out


def test_no_pickle_and_safe_torch_load_anywhere_in_the_package():
    src = Path(__file__).resolve().parents[1] / "src" / "geoae"
    offenders = []
    for path in src.rglob("*.py"):
        text = path.read_text()
        for lineno, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            if "import pickle" in code or "pickle.load" in code or "cloudpickle" in code:
                offenders.append(f"{path}:{lineno}")
            if "torch.load(" in code and "weights_only=True" not in code:
                offenders.append(f"{path}:{lineno}")
    assert not offenders, offenders


def test_cli_outputs_are_finite(capsys, tmp_path, wells_csv):
    model = tmp_path / "ae"
    assert run(capsys, "train", wells_csv, "--epochs", 2, "--out", model, "--quiet")[0] == 0
    assert run(capsys, "reconstruct", model, wells_csv, "--out", tmp_path / "r.csv", "--quiet")[0] == 0
    rec = pd.read_csv(tmp_path / "r.csv")
    assert np.isfinite(rec.filter(like="_RECON").to_numpy()).all()


def test_impute_las_in_las_out_keeps_headers_and_curves(capsys, tmp_path):
    from geoae.io import read_las, write_las

    syn = make_synthetic_wells(n_wells=1, n_samples=400, random_state=3, faults=False)
    df = syn.observed.drop(columns=["WELL"]).set_index("DEPTH")
    df.index.name = "DEPT"
    df.loc[df.index[100:160], "PE"] = np.nan  # a gap in PE
    src = tmp_path / "well.las"
    write_las(df, src, units={"GR": "API", "RHOB": "G/C3", "NPHI": "V/V", "DT": "US/F", "PE": "B/E",
                              "RT": "OHMM", "CALI": "IN"})
    before = digest(src)
    out = tmp_path / "well_imputed.las"
    code, _, err = run(capsys, "impute", src, "--curve", "PE", "--out", out, "--epochs", 5, "--quiet")
    assert code == 0, err
    assert digest(src) == before
    a, b = read_las(src), read_las(out)
    assert list(b.columns) == [*a.columns, "PE_IMPUTED"]
    pd.testing.assert_frame_equal(b[a.columns], a, check_exact=True)  # original curves unchanged
    gap = a["PE"].isna()
    assert b.loc[~gap, "PE_IMPUTED"].equals(a.loc[~gap, "PE"])  # measured values kept
    assert b.loc[gap, "PE_IMPUTED"].notna().all()
    assert b.attrs["units"]["PE_IMPUTED"] == "B/E"
    assert b.attrs["well"] == a.attrs["well"]  # ~Well section kept
    code, _, err = run(capsys, "impute", src, "--curve", "XX", "--out", tmp_path / "x.las")
    assert code == 2 and "XX" in err and "available curves" in err
    # a curve asked for by its own mnemonic, read under its canonical name: taken, with a
    # warning (as --curves does); before, an error said to give --curve RT
    write_las(df.rename(columns={"RT": "ILD"}), tmp_path / "ild.las")
    code, _, err = run(capsys, "impute", tmp_path / "ild.las", "--curve", "ild", "--out",
                       tmp_path / "y.las", "--epochs", 1, "--quiet")
    assert code == 0, err
    assert "--curve ild as RT (the name its curve is read as" in err
    filled = read_las(tmp_path / "y.las")
    assert "RT_IMPUTED" in filled.columns and filled["RT_IMPUTED"].notna().all()
    # LAS in, --out *.csv: a CSV table out (it was LAS text in a .csv file)
    code, _, err = run(capsys, "impute", src, "--curve", "PE", "--out", tmp_path / "w.csv",
                       "--epochs", 2, "--quiet")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "w.csv")
    assert {"DEPTH", "PE", "PE_IMPUTED"} <= set(table.columns) and len(table) == len(a)


def test_every_table_output_honours_a_las_name(capsys, tmp_path, wells_csv):
    """A table input with --out x.las wrote CSV text into x.las (encode, reconstruct, detect,
    impute alike). A .las name gives a LAS file now (a LAS input's headers and curves kept),
    or, where the rows cannot make one LAS file, a one-line refusal before any work."""
    import segyio

    from geoae.io import read_las, write_las

    obs = pd.read_csv(wells_csv)
    well = obs["WELL"].iloc[0]
    one = obs[obs["WELL"] == well].reset_index(drop=True)
    one.loc[7, "RT"] = 0.0  # an impossible resistivity: detect names it in INVALID (a 0/1 LAS curve)
    one.to_csv(tmp_path / "one.csv", index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI,DT,RT", "--latent", 2,
               "--epochs", 2, "--out", model, "--quiet")[0] == 0

    def same(las, table):  # a LAS output holds the table output's rows and values
        np.testing.assert_array_equal(las.index, table["DEPTH"])
        for c in table.columns.drop(["WELL", "DEPTH"], errors="ignore"):
            if c == "INVALID":  # the curve names in a table, 0/1 in a LAS file (numbers only)
                np.testing.assert_array_equal(las[c], table[c].notna() & (table[c] != ""))
            else:
                # what the network computed is written in its float32 precision (0.1234567,
                # not 17 digits): equal to the table's float64 values to float32's rounding
                np.testing.assert_allclose(las[c], table[c].astype(float), rtol=1e-6, atol=1e-30,
                                           err_msg=c)

    # a table in: every column, the well's name in the header
    for cmd in ("encode", "reconstruct", "detect"):
        for suffix in (".las", ".csv"):
            code, _, err = run(capsys, cmd, model, tmp_path / "one.csv", "--out",
                               tmp_path / f"{cmd}_{suffix[1:]}{suffix}", "--quiet")
            assert code == 0, err
        las = read_las(tmp_path / f"{cmd}_las.las")
        assert las.attrs["well_name"] == well
        same(las, pd.read_csv(tmp_path / f"{cmd}_csv.csv"))
    invalid = read_las(tmp_path / "detect_las.las")["INVALID"]
    assert invalid.tolist() == [float(i == 7) for i in range(len(one))]
    code, _, err = run(capsys, "impute", tmp_path / "one.csv", "--curve", "PE", "--out",
                       tmp_path / "i.las", "--epochs", 2, "--quiet")
    assert code == 0, err
    imputed = read_las(tmp_path / "i.las")
    np.testing.assert_array_equal(imputed.index, one["DEPTH"])
    np.testing.assert_array_equal(imputed["PE"], one["PE"])
    assert imputed["PE_IMPUTED"].notna().all() and imputed.attrs["well_name"] == well

    # a LAS file in: its headers and curves kept, the new curves appended (DTC is the model's DT)
    frame = one.drop(columns="WELL").set_index("DEPTH").rename(columns={"DT": "DTC"})
    frame.index.name = "DEPT"
    frame.attrs = {"well_name": well, "index_unit": "F"}
    src_las = tmp_path / "one.las"
    write_las(frame, src_las, units={"DTC": "US/F", "GR": "GAPI"})
    src = read_las(src_las)
    for cmd in ("reconstruct", "detect"):
        for suffix in (".las", ".csv"):
            code, _, err = run(capsys, cmd, model, tmp_path / "one.las", "--out",
                               tmp_path / f"{cmd}_from_las_{suffix[1:]}{suffix}", "--quiet")
            assert code == 0, err
        las = read_las(tmp_path / f"{cmd}_from_las_las.las")
        table = pd.read_csv(tmp_path / f"{cmd}_from_las_csv.csv")
        new = [c for c in table.columns if c not in ("WELL", "DEPTH", *src.columns, "DT")]
        assert list(las.columns) == [*src.columns, *new]
        pd.testing.assert_frame_equal(las[src.columns], src)  # the input's curves unchanged
        assert las.attrs["well"] == src.attrs["well"]
        same(las[new], table[["DEPTH", *new]])
    assert read_las(tmp_path / "reconstruct_from_las_las.las").attrs["units"]["DT_RECON"] == "US/F"
    # a LAS input that already holds the command's curves (an earlier output): they are replaced
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI,DT,RT", "--latent", 2,
               "--epochs", 1, "--seed", 1, "--out", tmp_path / "m2", "--quiet")[0] == 0
    for name, data in (("again.las", tmp_path / "encode_from_las.las"), ("fresh.csv", src_las)):
        if name == "again.las":
            assert run(capsys, "encode", model, src_las, "--out", data, "--quiet")[0] == 0
        code, _, err = run(capsys, "encode", tmp_path / "m2", data, "--out", tmp_path / name, "-q")
        assert code == 0, err
    np.testing.assert_allclose(read_las(tmp_path / "again.las")[["LATENT_0", "LATENT_1"]],
                               pd.read_csv(tmp_path / "fresh.csv")[["LATENT_0", "LATENT_1"]],
                               rtol=1e-6)  # float32 in the LAS file

    # a .tsv name gives tab-separated values (it was comma-separated, read back as one column)
    assert run(capsys, "encode", model, wells_csv, "--out", tmp_path / "z.tsv", "--quiet")[0] == 0
    assert list(pd.read_csv(tmp_path / "z.tsv", sep="\t").columns) == ["WELL", "DEPTH", "LATENT_0",
                                                                        "LATENT_1"]

    # what cannot be one LAS file, or is not a table at all, is refused before any work
    obs.drop(columns="DEPTH").to_csv(tmp_path / "nodepth.csv", index=False)
    sgy = tmp_path / "line.sgy"
    segyio.tools.from_array2D(str(sgy), np.zeros((4, 16), np.float32), dt=2000)
    cases = [
        (("encode", model, wells_csv, "--out", tmp_path / "x.las"), "holds 3 ("),
        (("reconstruct", model, wells_csv, "--out", tmp_path / "x.las"), "a LAS file holds one well"),
        (("detect", model, wells_csv, "--out", tmp_path / "x.las"), "a LAS file holds one well"),
        (("impute", wells_csv, "--curve", "PE", "--out", tmp_path / "x.las"), "holds one well"),
        (("encode", model, tmp_path / "nodepth.csv", "--out", tmp_path / "x.las"),
         "has no depth column"),
        (("generate", model, "--out", tmp_path / "x.las"), "generated samples have no depth"),
        (("encode", model, wells_csv, "--out", tmp_path / "x.npy"), "not a .npy file"),
        (("reconstruct", model, wells_csv, "--out", tmp_path / "x.sgy"), "not a .sgy file"),
        (("denoise", sgy, "--out", tmp_path / "x.csv"), "writes SEG-Y, not a .csv file"),
        (("denoise", sgy, "--out", tmp_path / "y8"), "writes SEG-Y, not a file without a suffix"),
    ]
    for args, expected in cases:
        code, _, err = run(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and expected in lines[0] and "--out" in lines[0], err
        assert not list(tmp_path.glob("x.*")) and not list(tmp_path.glob(".x.*"))


def test_impute_las_with_a_duplicate_depth_loses_no_row(capsys, tmp_path):
    """A repeated depth row was dropped from the output LAS (and from a table written from a
    LAS file) with its measured values."""
    from geoae.io import read_las, write_las

    syn = make_synthetic_wells(n_wells=1, n_samples=200, random_state=5, faults=False)
    df = syn.observed.drop(columns=["WELL"]).set_index("DEPTH")
    df.loc[df.index[50:70], "PE"] = np.nan
    df = pd.concat([df.iloc[:100], df.iloc[[99]].assign(PE=9.9, GR=1.0), df.iloc[100:]])
    df.index.name = "DEPT"
    src = tmp_path / "dup.las"
    write_las(df, src)
    code, _, err = run(capsys, "impute", src, "--curve", "PE", "--out", tmp_path / "o.las",
                       "--epochs", 3, "--quiet")
    assert code == 0, err
    # the reader's "duplicate depth(s) dropped" is true of the training rows only: said so
    assert "dropped" not in err and err.count("warning: ") == 1, err
    assert "the output keeps every row of the file in its order" in err, err
    a, b = read_las(src), read_las(tmp_path / "o.las")
    assert len(b) == len(a) == 201
    pd.testing.assert_frame_equal(b[a.columns], a)  # every original row and value kept
    assert b["PE_IMPUTED"].iloc[99] == a["PE"].iloc[99] and b["PE_IMPUTED"].iloc[100] == 9.9
    assert b["PE_IMPUTED"].iloc[50:70].notna().all()
    # to a table as well (it was sorted and the repeated depth dropped), with the VAE's spread
    code, _, err = run(capsys, "impute", src, "--curve", "PE", "--out", tmp_path / "o.csv",
                       "--epochs", 3, "--model", "vae", "--quiet")
    assert code == 0, err
    c = pd.read_csv(tmp_path / "o.csv")
    assert len(c) == 201
    np.testing.assert_array_equal(c["DEPTH"], a.index.to_numpy())
    np.testing.assert_allclose(c["GR"], a["GR"], rtol=1e-12)
    assert c["PE_IMPUTED"].iloc[99] == a["PE"].iloc[99] and c["PE_IMPUTED"].iloc[100] == 9.9
    assert c["PE_IMPUTED"].iloc[50:70].notna().all() and (c["PE_IMPUTED_STD"].iloc[50:70] > 0).all()
    assert (c["PE_IMPUTED_STD"].iloc[[99, 100]] == 0).all()


def test_encode_reconstruct_detect_keep_every_las_row_in_file_order(capsys, tmp_path):
    """A LAS input was sorted by depth and its duplicate depths dropped, so the outputs did not
    lie beside the file row by row (and a repeated reading was lost). Every row now comes out,
    in the file's order, scored on its own readings."""
    from geoae.io import read_las, write_las

    syn = make_synthetic_wells(n_wells=1, n_samples=200, random_state=5, faults=False)
    df = syn.observed.drop(columns=["WELL"]).set_index("DEPTH")
    # a repeated depth with another GR reading, and a block logged out of order (a repeat pass)
    df = pd.concat([df.iloc[:100], df.iloc[[99]].assign(GR=1.0), df.iloc[150:160],
                    df.iloc[100:150], df.iloc[160:]])
    df.index.name = "DEPT"
    src = tmp_path / "well.las"
    write_las(df, src)
    a = read_las(src)
    assert len(a) == 201 and not a.index.is_monotonic_increasing
    model = tmp_path / "m"
    assert run(capsys, "train", src, "--curves", "GR,RHOB,NPHI", "--latent", 2, "--epochs", 2,
               "--out", model, "--quiet")[0] == 0
    for cmd in ("encode", "reconstruct", "detect"):
        code, _, err = run(capsys, cmd, model, src, "--out", tmp_path / f"{cmd}.csv", "--quiet")
        assert code == 0, err
        out = pd.read_csv(tmp_path / f"{cmd}.csv")
        np.testing.assert_array_equal(out["DEPTH"], a.index)  # row i is the file's row i
    rec = pd.read_csv(tmp_path / "reconstruct.csv")
    np.testing.assert_array_equal(rec["GR"], a["GR"])  # each row keeps its own readings
    codes = pd.read_csv(tmp_path / "encode.csv")[["LATENT_0", "LATENT_1"]].to_numpy()
    np.testing.assert_allclose(codes, geoae.load(model).transform(a[["GR", "RHOB", "NPHI"]]),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(codes[99], codes[100])  # the repeated depth: its own reading's code


def test_impute_a_folder_writes_each_source_file_whole(capsys, tmp_path):
    """A folder with a 2-well CSV and a LAS well: the CSV comes back with both wells (it used to
    hold only the last one, or stop at the second with 'exists'), the LAS as LAS."""
    from geoae.io import read_las, write_las

    syn = make_synthetic_wells(n_wells=3, n_samples=200, random_state=4, faults=False).observed
    syn.loc[syn.index[50:80], "PE"] = np.nan
    names = list(pd.unique(syn["WELL"]))
    folder = tmp_path / "wells"
    folder.mkdir()
    syn[syn["WELL"].isin(names[:2])].to_csv(folder / "two.csv", index=False)
    las = syn[syn["WELL"] == names[2]].drop(columns=["WELL"]).set_index("DEPTH")
    las.index.name = "DEPT"
    write_las(las, folder / "one.las")
    out = tmp_path / "filled"
    code, stdout, err = run(capsys, "impute", folder, "--curve", "PE", "--out", out, "--epochs", 3,
                            "--json")
    assert code == 0, err
    assert sorted(Path(p).name for p in json.loads(stdout)["out"]) == ["one.las", "two.csv"]
    two = pd.read_csv(out / "two.csv")
    assert list(pd.unique(two["WELL"])) == names[:2] and len(two) == 400
    src = syn[syn["WELL"].isin(names[:2])].reset_index(drop=True)
    ok = src["PE"].notna()
    assert two.loc[ok, "PE_IMPUTED"].equals(src.loc[ok, "PE"])
    assert two["PE_IMPUTED"].notna().all()
    assert read_las(out / "one.las")["PE_IMPUTED"].notna().all()
    code, _, err = run(capsys, "impute", folder, "--curve", "PE", "--out", out, "--epochs", 3)
    assert code == 2 and "exists" in err
    # an output that is a link to an input is refused, even with --force (it was overwritten)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "two.csv").symlink_to(folder / "two.csv")
    before = (folder / "two.csv").read_bytes()
    code, _, err = run(capsys, "impute", folder, "--curve", "PE", "--out", linked, "--epochs", 3,
                       "--force")
    assert code == 2 and "is the input file" in err
    assert (folder / "two.csv").read_bytes() == before


def _folder_of_wells_in_other_units(folder: Path) -> dict[str, pd.DataFrame]:
    """Well a in feet, NPHI in v/v, DT in us/ft; well b in metres, NPHI in %, DT in us/m; NPHI
    missing over an interval of each. Returns the frames written, by file stem."""
    from geoae.io import write_las

    syn = make_synthetic_wells(n_wells=2, n_samples=200, random_state=4, faults=False).observed
    syn.loc[syn.index[50:80], "NPHI"] = np.nan
    syn.loc[syn.index[250:280], "NPHI"] = np.nan
    folder.mkdir()
    frames = {}
    for stem, (well, part) in zip("ab", syn.groupby("WELL", sort=True), strict=True):
        df = part.drop(columns=["WELL"]).set_index("DEPTH")
        units = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v", "DT": "us/ft", "PE": "b/e",
                 "RT": "ohm.m", "CALI": "in"}
        depth_unit = "FT"
        if stem == "b":
            df.index = df.index * 0.3048
            df["NPHI"] = df["NPHI"] * 100.0
            df["DT"] = df["DT"] / 0.3048
            units.update(NPHI="%", DT="us/m")
            depth_unit = "M"
        df.index.name = "DEPT"
        df.attrs.update(well_name=well, index_unit=depth_unit)
        write_las(df, folder / f"{stem}.las", units=units)
        frames[stem] = df
    return frames


def test_impute_a_folder_of_wells_in_other_units_writes_each_file_in_its_own_units(capsys,
                                                                                    tmp_path):
    """read_wells puts well b (m, NPHI in %, DT in us/m) in well a's units (ft, v/v, us/ft) to
    train; each output LAS file is back in its own file's units: its depths and curves as
    they were, NPHI_IMPUTED (and its spread) in the file's NPHI unit, measured values kept."""
    from geoae.io import read_las

    folder = tmp_path / "wells"
    _folder_of_wells_in_other_units(folder)
    out = tmp_path / "filled"
    code, _, err = run(capsys, "impute", folder, "--curve", "NPHI", "--out", out, "--epochs", 3,
                       "--model", "vae")
    assert code == 0, err
    assert err.count("warning: converted to the unit of most wells") == 1, err
    for what in ("DEPTH M -> FT (well SYN-02)", "NPHI % -> v/v (well SYN-02)",
                 "DT us/m -> us/ft (well SYN-02)"):
        assert what in err, err
    for stem, unit, scale in (("a", "v/v", 1.0), ("b", "%", 100.0)):
        src, got = read_las(folder / f"{stem}.las"), read_las(out / f"{stem}.las")
        pd.testing.assert_frame_equal(got[src.columns], src, check_exact=True)  # depths too
        assert got.attrs["index_unit"] == src.attrs["index_unit"]
        assert got.attrs["units"]["NPHI_IMPUTED"] == got.attrs["units"]["NPHI_IMPUTED_STD"] == unit
        gap = src["NPHI"].isna().to_numpy()
        assert gap.sum() == 30
        np.testing.assert_array_equal(got.loc[~gap, "NPHI_IMPUTED"], src.loc[~gap, "NPHI"])
        assert (got.loc[~gap, "NPHI_IMPUTED_STD"] == 0).all()
        filled = got.loc[gap, "NPHI_IMPUTED"]
        # a porosity: 0 to 0.6 v/v, 0 to 60 %
        assert filled.between(-0.05 * scale, 0.6 * scale).all(), (stem, filled.describe())
        assert (got.loc[gap, "NPHI_IMPUTED_STD"] > 0).all()


def test_a_folder_of_wells_in_other_units_trains_in_one_unit_and_scores_each_in_its_own(
        capsys, tmp_path):
    """train on such a folder sees one unit per curve (well b in well a's units) and records
    it. reconstruct and detect on the folder wrote well b's depths, NPHI and DT in well a's
    units, unlabelled, beside nothing in its file (and detect's intervals in feet for a well
    logged in metres). Each well now keeps its file's units in the outputs: its rows are
    converted for the model only, and <CURVE>_RECON comes back in the well's units -- the same
    numbers as for the file alone."""
    folder = tmp_path / "wells"
    frames = _folder_of_wells_in_other_units(folder)
    model = tmp_path / "m"
    code, _, err = run(capsys, "train", folder, "--curves", "GR,RHOB,NPHI,DT", "--latent", 2,
                       "--epochs", 2, "--out", model)
    assert code == 0, err
    assert "warning: converted to the unit of most wells" in err, err
    assert json.loads((model / "transforms.json").read_text())["units"]["NPHI"] == "v/v"
    code, _, err = run(capsys, "reconstruct", model, folder, "--out", tmp_path / "r.csv", "--quiet")
    assert code == 0, err
    assert "NPHI % -> v/v (well SYN-02)" in err and "DT us/m -> us/ft (well SYN-02)" in err, err
    assert "curve units differ between wells" not in err  # handled, not left to the user
    assert "depth units differ between wells" in err and "stay in its file's unit" in err
    rec = pd.read_csv(tmp_path / "r.csv")
    b, src = rec[rec.WELL == "SYN-02"].reset_index(drop=True), frames["b"]
    np.testing.assert_array_equal(b["DEPTH"], src.index)  # metres, as in b.las
    np.testing.assert_array_equal(b["NPHI"], src["NPHI"])  # %
    assert b["NPHI_RECON"].between(-10, 70).all()  # in %, like the NPHI beside it
    code, _, err = run(capsys, "reconstruct", model, folder / "b.las", "--out", tmp_path / "b.csv",
                       "--quiet")
    assert code == 0, err
    alone = pd.read_csv(tmp_path / "b.csv")
    for c in ("NPHI_RECON", "DT_RECON", "RECON_ERROR"):
        np.testing.assert_allclose(b[c], alone[c], rtol=1e-6, atol=1e-9)
    a = rec[rec.WELL != "SYN-02"]
    np.testing.assert_array_equal(a["DEPTH"], frames["a"].index)  # feet, untouched
    code, _, err = run(capsys, "detect", model, folder, "--out", tmp_path / "d.csv", "--quiet",
                       "--contamination", 0.2)
    assert code == 0, err
    iv = pd.read_csv(tmp_path / "d_intervals.csv")
    in_b = iv[iv["WELL"] == "SYN-02"]
    assert len(in_b) and in_b["top"].between(src.index.min(), src.index.max()).all()  # metres


def test_a_saved_read_wells_frame_is_not_converted_twice(capsys, tmp_path):
    """A Parquet file of read_wells' frame (values already in the unit of most wells) keeps
    read_wells' attrs, whose well_units are the files' own labels: encode took them for the
    values' units and converted well b a second time (DT x 0.3048 again, NPHI / 100 again).
    The units a well's values are in now account for read_wells' conversions."""
    pytest.importorskip("pyarrow")
    folder = tmp_path / "wells"
    _folder_of_wells_in_other_units(folder)
    model = tmp_path / "m"
    code, _, err = run(capsys, "train", folder, "--curves", "GR,RHOB,NPHI,DT", "--latent", 2,
                       "--epochs", 2, "--out", model, "--quiet")
    assert code == 0, err
    with pytest.warns(UserWarning, match="converted to the unit of most wells"):
        frame = geoae.io.read_wells(folder)  # b converted to ft, v/v, us/ft
    frame.to_parquet(tmp_path / "saved.parquet")
    assert pd.read_parquet(tmp_path / "saved.parquet").attrs.get("unit_conversions")
    frame.to_csv(tmp_path / "saved.csv", index=False)  # no attrs: the reference
    for name in ("saved.parquet", "saved.csv"):
        code, _, err = run(capsys, "encode", model, tmp_path / name, "--out",
                           tmp_path / f"{name}.codes.csv", "--chunk-rows", 150)
        assert code == 0 and "converted" not in err, err
    got = pd.read_csv(tmp_path / "saved.parquet.codes.csv")
    ref = pd.read_csv(tmp_path / "saved.csv.codes.csv")
    latent = [c for c in ref.columns if c.startswith("LATENT_")]
    np.testing.assert_allclose(got[latent], ref[latent], rtol=1e-6, atol=1e-9)


def _syn_well(n_samples: int, random_state: int) -> pd.DataFrame:
    return make_synthetic_wells(n_wells=1, n_samples=n_samples, random_state=random_state,
                                faults=False).observed.drop(columns="WELL")


def test_impute_a_folder_of_table_wells_gives_each_file_back_as_it_was(capsys, tmp_path):
    """A folder of CSV/Parquet wells: each output came back with the reader's canonical names
    ('GammaRay' -> GAMMARAY, 'Depth' -> DEPTH, a WELL column added, other files' curves added
    empty), sorted by depth, a repeated depth dropped, and a table's interleaved wells regrouped.
    Each file now comes back under its name with its own columns, every row in its order, and
    only <CURVE>_IMPUTED added; the imputer learns from what read_wells gives."""
    from geoae.applications import Imputer
    from geoae.io import read_wells

    folder = tmp_path / "wells"
    folder.mkdir()
    a = _syn_well(120, 1).rename(columns={"DEPTH": "Depth", "GR": "GammaRay", "RHOB": "rhob"})
    a.loc[20:35, "PE"] = np.nan
    # a repeated depth (its PE missing, and another one with its own PE) and a block out of order
    a = pd.concat([a.iloc[:60], a.iloc[[59]].assign(PE=np.nan, GammaRay=1.0),
                   a.iloc[[30]].assign(PE=7.5), a.iloc[80:90], a.iloc[60:80], a.iloc[90:]],
                  ignore_index=True)
    a.to_csv(folder / "a.csv", index=False)
    wa, wb = _syn_well(60, 2), _syn_well(60, 3)
    wa.insert(0, "Well Name", "WA")
    wb.insert(0, "Well Name", "WB")
    wb.loc[10:20, "PE"] = np.nan
    b = pd.concat([wa.iloc[:5], wb.iloc[:30], wa.iloc[5:], wb.iloc[30:]], ignore_index=True)
    b = b.rename(columns={"GR": "GR_API"})
    b.loc[[3, 70], "DEPTH"] = np.nan  # rows without a depth: one with its PE, one without
    b.loc[70, "PE"] = np.nan
    b.to_csv(folder / "b.csv", index=False)
    c = _syn_well(50, 4).iloc[::-1].reset_index(drop=True)  # logged upwards
    c.loc[5:9, "PE"] = np.nan
    c.to_parquet(folder / "c.parquet", index=False)
    inputs = {"a.csv": pd.read_csv(folder / "a.csv"), "b.csv": pd.read_csv(folder / "b.csv"),
              "c.parquet": pd.read_parquet(folder / "c.parquet")}

    seen = []
    fit = Imputer.fit

    def spy(self, X, *args, **kwargs):
        seen.append(X.copy())
        return fit(self, X, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(Imputer, "fit", spy)
    try:
        code, stdout, err = run(capsys, "impute", folder, "--curve", "PE", "--curves",
                                "NPHI,DT,CALI", "--out", tmp_path / "out", "--epochs", 2, "--json")
    finally:
        mp.undo()
    assert code == 0, err
    summary = json.loads(stdout)
    assert sorted(Path(p).name for p in summary["out"]) == sorted(inputs)
    assert summary["rows"] == sum(map(len, inputs.values()))
    # learnt from what read_wells gives: each well sorted, the first row of a repeated depth
    with pytest.warns(UserWarning):
        golden = read_wells(folder)[["WELL", "DEPTH", "NPHI", "DT", "CALI", "PE"]]
    pd.testing.assert_frame_equal(seen[0], golden, check_exact=True)
    assert "depth is not increasing" not in err and "dropped (the first" not in err
    assert "the output keeps every row of the file in its order" in err
    assert "b.csv: 2 row(s) without a depth are in the output as they are" in err
    for name, src in inputs.items():
        path = tmp_path / "out" / name
        out = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
        assert list(out.columns) == [*src.columns, "PE_IMPUTED"], name
        pd.testing.assert_frame_equal(out[src.columns], src, check_exact=True)  # as it was
        ok = src["PE"].notna()
        assert out.loc[ok, "PE_IMPUTED"].equals(src.loc[ok, "PE"]), name  # measured values kept
    out_a = pd.read_csv(tmp_path / "out" / "a.csv")
    assert out_a["PE_IMPUTED"].notna().all()
    assert out_a["PE_IMPUTED"].iloc[60] == out_a["PE_IMPUTED"].iloc[59]  # its depth's value
    assert out_a["PE_IMPUTED"].iloc[61] == 7.5  # the repeated depth's own reading
    out_b = pd.read_csv(tmp_path / "out" / "b.csv")
    assert out_b["PE_IMPUTED"].iloc[3] == inputs["b.csv"]["PE"].iloc[3]  # no depth: kept as is
    assert np.isnan(out_b["PE_IMPUTED"].iloc[70])  # no depth, no PE: nothing to place it by
    assert out_b["PE_IMPUTED"].drop(index=70).notna().all()
    assert pd.read_parquet(tmp_path / "out" / "c.parquet")["PE_IMPUTED"].notna().all()


def test_impute_a_las_file_reads_it_once_and_learns_from_its_sorted_rows(capsys, tmp_path,
                                                                        monkeypatch):
    """impute read a LAS file twice (sorted for training, then every row for the output); an
    unsorted file without a repeated depth came back sorted. It is read once now, learns from
    the same rows as before (read_wells' sorted rows, the first of a repeated depth) and gives
    the same values; every output keeps the file's rows in its order."""
    import geoae.io
    import geoae.io.wells
    from geoae.applications import Imputer
    from geoae.io import read_las, read_wells, write_las

    df = _syn_well(200, 6).set_index("DEPTH")
    df.index.name = "DEPT"
    df.loc[df.index[40:60], "PE"] = np.nan
    df = pd.concat([df.iloc[:100], df.iloc[[99]].assign(PE=np.nan, GR=1.0),
                    df.iloc[[45]].assign(PE=9.9), df.iloc[150:160], df.iloc[100:150],
                    df.iloc[160:]])
    df.attrs = {"well_name": "W1"}
    src = tmp_path / "w.las"
    write_las(df, src, units={"PE": "B/E"})
    with pytest.warns(UserWarning):
        sorted_rows = read_wells([src])
    clean = tmp_path / "clean.las"  # the rows learnt from, as a file of its own
    frame = sorted_rows.drop(columns="WELL").set_index("DEPTH")
    frame.index.name = "DEPT"
    frame.attrs = {"well_name": "W1"}
    write_las(frame, clean, units={"PE": "B/E"})

    reads, seen = [], []

    def counting(read):
        def wrapper(path, *args, **kwargs):
            reads.append(Path(path).name)
            return read(path, *args, **kwargs)
        return wrapper

    # the readers' reads (the LAS writer reads its template's header on its own)
    monkeypatch.setattr(geoae.io.wells, "read_las", counting(geoae.io.wells.read_las))
    monkeypatch.setattr(geoae.io, "read_las", counting(geoae.io.read_las))
    fit = Imputer.fit

    def spy(self, X, *args, **kwargs):
        seen.append(X.copy())
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(Imputer, "fit", spy)
    a = read_las(src)
    reads.clear()
    opts = ("--curve", "PE", "--curves", "GR,RHOB,NPHI", "--epochs", 2, "--quiet")
    for out in ("o.las", "o.csv"):
        code, _, err = run(capsys, "impute", src, *opts, "--out", tmp_path / out)
        assert code == 0, err
        assert reads == ["w.las"], (out, reads)  # read once
        reads.clear()
        pd.testing.assert_frame_equal(seen.pop(), sorted_rows[["WELL", "DEPTH", "GR", "RHOB",
                                                               "NPHI", "PE"]], check_exact=True)
    code, _, err = run(capsys, "impute", clean, *opts, "--out", tmp_path / "golden.las")
    assert code == 0, err
    golden = read_las(tmp_path / "golden.las")["PE_IMPUTED"]
    expected = np.where(a["PE"].notna(), a["PE"], golden.reindex(a.index).to_numpy())
    las, table = read_las(tmp_path / "o.las"), pd.read_csv(tmp_path / "o.csv")
    np.testing.assert_array_equal(las.index, a.index)  # every row, in the file's order
    np.testing.assert_array_equal(table["DEPTH"], a.index)
    pd.testing.assert_frame_equal(las[a.columns], a)
    np.testing.assert_array_equal(las["PE_IMPUTED"], expected)  # the same values as before
    np.testing.assert_array_equal(table["PE_IMPUTED"], expected)
    assert las["PE_IMPUTED"].iloc[101] == 9.9 and las["PE_IMPUTED"].iloc[100] == a["PE"].iloc[99]
    # out of order, no depth repeated: the output keeps the file's order (it came back sorted)
    unsorted = tmp_path / "unsorted.las"
    write_las(df[~df.index.duplicated()], unsorted)
    u = read_las(unsorted)
    code, _, err = run(capsys, "impute", unsorted, *opts, "--out", tmp_path / "u.las")
    assert code == 0, err
    b = read_las(tmp_path / "u.las")
    np.testing.assert_array_equal(b.index, u.index)
    pd.testing.assert_frame_equal(b[u.columns], u)


def test_encode_reconstruct_detect_keep_a_folder_tables_rows_in_file_order(capsys, tmp_path):
    """A table holding two wells whose rows alternate (logged, or exported, interleaved): the
    folder's outputs gave one well's rows then the other's, not lying beside the file."""
    folder = tmp_path / "wells"
    folder.mkdir()
    wa, wb = _syn_well(80, 7), _syn_well(80, 8)
    wa.insert(0, "WELL", "WA")
    wb.insert(0, "WELL", "WB")
    two = pd.concat([wa.iloc[:10], wb.iloc[:40], wa.iloc[10:], wb.iloc[40:]], ignore_index=True)
    two.to_csv(folder / "two.csv", index=False)
    one = _syn_well(60, 9).rename(columns={"GR": "GammaRay"})
    one.to_csv(folder / "one.csv", index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", folder, "--curves", "RHOB,NPHI,DT", "--latent", 2, "--epochs", 2,
               "--out", model, "--quiet")[0] == 0
    files = pd.concat([one.assign(WELL="one"), two], ignore_index=True)  # read in name order
    for cmd in ("encode", "reconstruct", "detect"):
        code, _, err = run(capsys, cmd, model, folder, "--out", tmp_path / f"{cmd}.csv", "--quiet")
        assert code == 0, err
        out = pd.read_csv(tmp_path / f"{cmd}.csv")
        assert out["WELL"].tolist() == files["WELL"].tolist(), cmd  # row i is the files' row i
        np.testing.assert_array_equal(out["DEPTH"], files["DEPTH"])
    rec = pd.read_csv(tmp_path / "reconstruct.csv")
    np.testing.assert_array_equal(rec["RHOB"], files["RHOB"])  # each row its own readings


def test_a_stray_notes_file_in_a_well_folder_does_not_abort_train_or_impute(capsys, tmp_path):
    """A notes.txt beside the LAS wells was read as a table: train and impute stopped with 'no
    depth column'. It is skipped with one warning naming it; a broken LAS still stops them."""
    from geoae.io import write_las

    syn = make_synthetic_wells(n_wells=2, n_samples=200, random_state=5, faults=False).observed
    syn.loc[syn.index[20:40], "PE"] = np.nan
    folder = tmp_path / "wells"
    folder.mkdir()
    for name, well in syn.groupby("WELL"):
        frame = well.drop(columns="WELL").set_index("DEPTH")
        frame.index.name = "DEPT"
        frame.attrs = {"well_name": name}
        write_las(frame, folder / f"{name}.las")
    (folder / "notes.txt").write_text("Notes about these wells\nLogged in 1985 by ACME.\n")
    code, out, err = run(capsys, "train", folder, "--curves", "GR,RHOB,NPHI", "--epochs", 1,
                         "--out", tmp_path / "m", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == len(syn)
    skipped = [line for line in err.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and skipped[0].startswith("warning: ") and "notes.txt" in skipped[0]
    code, out, err = run(capsys, "impute", folder, "--curve", "PE", "--curves", "GR,RHOB,NPHI",
                         "--epochs", 2, "--out", tmp_path / "filled", "--json")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "filled").iterdir()) == sorted(
        f"{w}.las" for w in pd.unique(syn["WELL"]))
    (folder / "zz.las").write_text("~VERSION\n VERS. 2.0 :\n")  # a LAS file cut short
    code, _, err = run(capsys, "train", folder, "--epochs", 1, "--out", tmp_path / "m2")
    assert code == 2 and "zz.las" in err and "error:" in err


def test_impute_leaves_depths_without_any_input_missing(capsys, tmp_path, wells_csv):
    """A depth where no other curve was logged got a constant made up by the network's biases;
    it is left missing and counted. --curve DEPTH is a one-line error (it was a traceback)."""
    obs = pd.read_csv(wells_csv)
    obs.loc[10:14, [c for c in obs.columns if c not in ("WELL", "DEPTH")]] = np.nan
    obs.loc[20:24, "PE"] = np.nan
    obs.to_csv(tmp_path / "w.csv", index=False)
    code, out, err = run(capsys, "impute", tmp_path / "w.csv", "--curve", "PE", "--out",
                         tmp_path / "o.csv", "--epochs", 3, "--json")
    assert code == 0, err
    o = pd.read_csv(tmp_path / "o.csv")
    assert o.loc[10:14, "PE_IMPUTED"].isna().all() and o.loc[20:24, "PE_IMPUTED"].notna().all()
    summary = json.loads(out)
    assert summary["left_missing"] == 5 and summary["filled"] == int(obs["PE"].isna().sum()) - 5
    for bad in ("DEPTH", "WELL"):
        code, _, err = run(capsys, "impute", tmp_path / "w.csv", "--curve", bad, "--out",
                           tmp_path / "x.csv")
        assert code == 2 and "not a curve" in err and len(err.strip().splitlines()) == 1


def test_impute_a_resistivity_in_log10_gives_ohm_m_and_keeps_measured_values(capsys, tmp_path):
    syn = make_synthetic_wells(n_wells=2, n_samples=400, random_state=4, faults=False)
    df = syn.observed.copy()
    hide = np.random.default_rng(0).random(len(df)) < 0.2
    df.loc[hide, "RT"] = np.nan
    src = tmp_path / "w.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "w_rt.csv"
    code, stdout, err = run(capsys, "impute", src, "--curve", "RT", "--model", "vae", "--out", out,
                            "--epochs", 30, "--json")
    assert code == 0, err
    assert json.loads(stdout)["log10_curves"] == ["RT"]
    a, b = pd.read_csv(src), pd.read_csv(out)
    assert b.loc[~hide, "RT_IMPUTED"].equals(a.loc[~hide, "RT"])  # measured values kept exactly
    filled, truth = b.loc[hide, "RT_IMPUTED"], syn.observed.loc[hide, "RT"]
    assert (filled > 0).all() and (b.loc[hide, "RT_IMPUTED_STD_LOG10"] > 0).all()
    assert (b.loc[~hide, "RT_IMPUTED_STD_LOG10"] == 0).all()  # in log10 units; 0 where measured
    assert np.median(np.abs(np.log10(filled / truth))) < 0.3  # in ohm.m, near the truth


def test_detect_scores_flags_and_explains(capsys, tmp_path, wells_csv):
    model = tmp_path / "ae"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI,DT,PE,CALI", "--epochs", 10,
               "--out", model, "--quiet")[0] == 0
    out = tmp_path / "scores.csv"
    before = digest(wells_csv), digest(model / "model.safetensors"), digest(model / "config.json")
    code, stdout, err = run(capsys, "detect", model, wells_csv, "--out", out, "--contamination", 0.05,
                            "--plot", "--json")
    assert code == 0, err
    assert (digest(wells_csv), digest(model / "model.safetensors"), digest(model / "config.json")) == before
    summary = json.loads(stdout)
    scores = pd.read_csv(out)
    assert {"ANOMALY_SCORE", "FLAG", "GR_SHARE", "CALI_SHARE"} <= set(scores.columns)
    # the flagged share is the contamination (ties aside), and flags are the highest scores
    # (and the one impossible reading, a synthetic NPHI spike below -0.15 v/v: flagged anyway)
    assert abs(scores["FLAG"].mean() - 0.05) < 0.01
    assert scores["INVALID"].fillna("").tolist() == np.where(pd.read_csv(wells_csv)["NPHI"] < -0.15,
                                                             "NPHI", "").tolist()
    by_score = scores["FLAG"] & scores["INVALID"].isna()
    assert scores.loc[by_score, "ANOMALY_SCORE"].min() >= scores.loc[~scores["FLAG"],
                                                                     "ANOMALY_SCORE"].max()
    shares = scores.filter(like="_SHARE").to_numpy()
    finite = np.isfinite(scores["ANOMALY_SCORE"].to_numpy())
    np.testing.assert_allclose(np.nansum(shares, axis=1)[finite], 1.0, atol=1e-6)
    intervals = pd.read_csv(tmp_path / "scores_intervals.csv")
    assert {"top", "base", "peak_score", "main_curve"} <= set(intervals.columns)
    assert (intervals["base"] >= intervals["top"]).all() and len(intervals) == summary["intervals"]
    for well in pd.read_csv(wells_csv)["WELL"].unique():  # one PNG per well
        assert (tmp_path / f"scores_{well}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rows_with_no_reading_get_empty_codes_and_scores(capsys, tmp_path, wells_csv):
    """The top of a well where every curve is null (-999.25 read as NaN) was encoded as the
    training mean's code and reconstructed as the mean log. encode, reconstruct and detect
    leave such rows' cells empty, never flag them, and count them in the summary."""
    obs = pd.read_csv(wells_csv)
    curves = ["GR", "RHOB", "NPHI", "DT"]
    data = obs[["WELL", "DEPTH", *curves]].copy()
    top = data.index[data["WELL"] == data["WELL"].iloc[0]][:25]
    data.loc[top, curves] = np.nan
    path = tmp_path / "w.csv"
    data.to_csv(path, index=False)
    model = tmp_path / "m"
    code, out, err = run(capsys, "train", path, "--epochs", 3, "--latent", 2, "--out", model, "--json")
    assert code == 0, err
    assert json.loads(out)["curves"] == curves
    code, out, err = run(capsys, "encode", model, path, "--out", tmp_path / "z.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["no_data"] == 25
    z = pd.read_csv(tmp_path / "z.csv")
    gone = z.index.isin(top)
    assert z.loc[gone, ["LATENT_0", "LATENT_1"]].isna().all().all()
    assert z.loc[~gone, ["LATENT_0", "LATENT_1"]].notna().all().all()
    assert (tmp_path / "z.csv").read_text().splitlines()[1].endswith(",,")  # empty cells
    code, out, err = run(capsys, "reconstruct", model, path, "--out", tmp_path / "r.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["no_data"] == 25
    r = pd.read_csv(tmp_path / "r.csv")
    assert r.loc[gone, ["GR_RECON", "RECON_ERROR"]].isna().all().all()
    code, out, err = run(capsys, "detect", model, path, "--out", tmp_path / "d.csv",
                         "--contamination", 0.05, "--json")
    assert code == 0, err
    summary = json.loads(out)
    d = pd.read_csv(tmp_path / "d.csv")
    assert summary["no_data"] == 25 and d.loc[gone, "ANOMALY_SCORE"].isna().all()
    assert not d.loc[gone, "FLAG"].any() and d.loc[gone, "GR_SHARE"].isna().all()
    # the threshold is the contamination quantile of the scored rows only
    scored = d.loc[~gone, "ANOMALY_SCORE"].to_numpy()
    assert summary["threshold"] == pytest.approx(np.quantile(scored, 0.95), rel=1e-9)
    invalid = d["INVALID"].notna().to_numpy()  # a synthetic NPHI spike below -0.15 v/v
    assert summary["invalid"] == invalid.sum() == 1
    assert summary["flagged"] == int(((d["ANOMALY_SCORE"] > summary["threshold"]) | invalid).sum())


def test_default_curves_leave_out_positions_depths_and_labels(capsys, tmp_path, wells_csv):
    """`train` without --curves used every numeric column: well coordinates, a TVD and the
    facies labels became 'curves' of the model. They are left out now, with a warning naming
    them, and can still be asked for by name."""
    obs = pd.read_csv(wells_csv)
    rng = np.random.default_rng(0)
    obs["X_LOC"] = 451_000.0 + rng.normal(size=len(obs))
    obs["Northing"] = 6_780_000.0
    obs["TVDSS"] = obs["DEPTH"] - 25.0
    obs["FACIES"] = rng.integers(1, 9, len(obs))
    obs["Lithology confidence"] = rng.integers(1, 4, len(obs)).astype(float)
    obs.to_csv(tmp_path / "t.csv", index=False)
    measured = [c for c in pd.read_csv(wells_csv).columns if c not in ("WELL", "DEPTH")]
    code, out, err = run(capsys, "train", tmp_path / "t.csv", "--epochs", 1, "--out", tmp_path / "m",
                         "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["curves"] == measured
    assert summary["left_out"] == ["X_LOC", "Northing", "TVDSS", "FACIES", "Lithology confidence"]
    warning = [line for line in err.splitlines() if "left out of the default curves" in line]
    assert len(warning) == 1 and "t.csv" in warning[0], err
    assert ("X_LOC, Northing (positions); TVDSS (depths); FACIES, Lithology confidence "
            "(labels/interpretations)" in warning[0])
    assert json.loads((tmp_path / "m" / "config.json").read_text())["feature_names_in"] == measured
    # named explicitly, they are used (and nothing is said)
    code, out, err = run(capsys, "train", tmp_path / "t.csv", "--curves", "GR,RHOB,X_LOC,FACIES",
                         "--epochs", 1, "--out", tmp_path / "m2", "--json")
    assert code == 0, err
    assert json.loads(out)["curves"] == ["GR", "RHOB", "X_LOC", "FACIES"] and "left out" not in err
    assert json.loads(out)["left_out"] == []
    # impute learns from the same default curves
    code, out, err = run(capsys, "impute", tmp_path / "t.csv", "--curve", "PE", "--epochs", 1,
                         "--out", tmp_path / "pe.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["inputs"] == measured
    # only such columns: an error that says what was left out
    obs[["WELL", "DEPTH", "X_LOC", "FACIES"]].to_csv(tmp_path / "only.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "only.csv", "--epochs", 1, "--out", tmp_path / "m3")
    assert code == 2
    assert "no numeric curves to use (left out by default: X_LOC (positions); FACIES" in err
    assert "--curves" in err


def test_train_on_the_force2020_folder_leaves_out_coordinates_and_labels(capsys, tmp_path,
                                                                          shared_data):
    folder = shared_data / "force2020-wells"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    code, out, err = run(capsys, "train", folder, "--epochs", 1, "--latent", 2, "--out",
                         tmp_path / "m", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary["left_out"]) == {"DEPTH_MD", "X_LOC", "Y_LOC", "Z_LOC",
                                        "FORCE_2020_LITHOFACIES_LITHOLOGY",
                                        "FORCE_2020_LITHOFACIES_CONFIDENCE",
                                        # drilling parameters: bit size, rate of penetration, mud
                                        "BS", "ROP", "ROPA", "MUDWEIGHT"}
    assert "(drilling/logging parameters)" in err
    assert not set(summary["left_out"]) & set(summary["curves"])
    assert {"GR", "RHOB", "NPHI", "DT", "PE", "RT"} <= set(summary["curves"])


def test_denoise_segy_keeps_headers_with_and_without_a_model(capsys, tmp_path):
    import segyio

    from geoae import Denoiser
    from geoae.datasets import make_synthetic_seismic
    from geoae.io import read_segy

    sei = make_synthetic_seismic(n_traces=40, n_samples=200, snr_db=0.0, random_state=0)
    src = tmp_path / "line.sgy"
    segyio.tools.from_array2D(str(src), sei.noisy.astype(np.float32), dt=2000)
    before = digest(src)
    model_dir = tmp_path / "den"
    Denoiser(hidden=(8, 16), latent_dim=16, epochs=2, random_state=0).fit(sei.noisy, sei.clean).save(
        model_dir)
    for args, name in (((src,), "self.sgy"), ((model_dir, src), "model.sgy")):
        out = tmp_path / name
        code, _, err = run(capsys, "denoise", *args, "--out", out, "--epochs", 2, "--chunk", 16, "--quiet")
        assert code == 0, err
        a, b = src.read_bytes(), out.read_bytes()
        assert len(a) == len(b) and a[:3600] == b[:3600]  # textual and binary headers
        n, ns = 40, 200
        for i in range(n):  # every 240-byte trace header identical, samples changed
            off = 3600 + i * (240 + 4 * ns)
            assert a[off:off + 240] == b[off:off + 240]
        assert not np.array_equal(read_segy(src).traces, read_segy(out).traces)
    assert digest(src) == before
    # the saved model gives the same output as the in-memory one
    loaded = Denoiser.load(model_dir)
    np.testing.assert_allclose(read_segy(tmp_path / "model.sgy").traces,
                               loaded.transform(read_segy(src).traces), rtol=0, atol=1e-6)
    code, _, err = run(capsys, "denoise", tmp_path / "nope.sgy", "--out", tmp_path / "x.sgy")
    assert code == 2 and "nope.sgy" in err


def test_train_resume_after_a_crash_ends_with_the_same_model(capsys, tmp_path, wells_csv):
    from crashing import crash_at_epoch

    args = ["train", wells_csv, "--curves", "GR,RHOB,NPHI", "--epochs", 14, "--latent", 2, "--quiet"]
    assert run(capsys, *args, "--out", tmp_path / "straight")[0] == 0

    with crash_at_epoch(11, KeyboardInterrupt):  # Ctrl-C after the checkpoint of epoch 10
        code, _, err = run(capsys, *args, "--out", tmp_path / "crashed")
    assert code != 0 and not (tmp_path / "crashed" / "model.safetensors").exists()
    assert (tmp_path / "crashed" / "checkpoint.safetensors").is_file()
    # run again without flags: the message says how to continue, not only how to start over
    code, _, err = run(capsys, *args, "--out", tmp_path / "crashed")
    assert code == 2 and "checkpoint of an unfinished run; pass --resume" in err
    assert run(capsys, *args, "--out", tmp_path / "crashed", "--resume")[0] == 0
    a = (tmp_path / "straight" / "model.safetensors").read_bytes()
    b = (tmp_path / "crashed" / "model.safetensors").read_bytes()
    assert a == b
    # a finished model keeps its last checkpoint: training into it again is refused as an
    # existing model (--force), not as an unfinished run (it said "pass --resume")
    assert (tmp_path / "straight" / "checkpoint.safetensors").is_file()
    code, _, err = run(capsys, *args, "--out", tmp_path / "straight")
    assert code == 2 and "exists and is not empty; pass --force" in err, err


def test_grad_clip_changes_training_only_when_it_bites():
    from geoae import AutoEncoder

    X = make_synthetic_wells(n_wells=1, n_samples=300, random_state=0).clean[["GR", "RHOB", "NPHI"]]
    base = AutoEncoder(latent_dim=2, epochs=3, random_state=0)
    ref = base.fit(X).transform(X)
    loose = AutoEncoder(latent_dim=2, epochs=3, random_state=0).fit(X, grad_clip=1e9).transform(X)
    tight = AutoEncoder(latent_dim=2, epochs=3, random_state=0).fit(X, grad_clip=1e-3).transform(X)
    np.testing.assert_array_equal(ref, loose)
    assert not np.allclose(ref, tight)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_with_no_partial_output(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    import segyio

    from geoae.datasets import make_synthetic_seismic

    sei = make_synthetic_seismic(n_traces=60, n_samples=256, snr_db=0.0, random_state=0)
    src = tmp_path / "line.sgy"
    segyio.tools.from_array2D(str(src), sei.noisy.astype(np.float32), dt=2000)
    out = tmp_path / "out.sgy"
    # Ctrl-C once training is under way (a fixed sleep could land in the imports on a loaded
    # machine): the command says so on stdout after its second epoch
    code = ("import geoae.applications.denoising as dn\n"
            "orig = dn.fit_module\n"
            "def cb(epoch, history):\n"
            "    if epoch == 1: print('training', flush=True)\n"
            "dn.fit_module = lambda *a, **k: orig(*a, **dict(k, callback=cb))\n"
            "from geoae.cli import _entry\n_entry()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "denoise", str(src), "--out", str(out),
                             "--epochs", "500"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "training"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    # one line and 130 (click 8.2+ ended Ctrl-C with 130 and nothing said; older ones "Aborted!")
    assert proc.returncode == 130, err
    # the progress bar (on stderr) may come first; the message is the one line after it
    lines = [ln for ln in err.strip().splitlines() if "loss" not in ln]
    assert lines == ["geoae: interrupted (Ctrl-C); no file was left half-written"], err
    assert "Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.sgy"]  # no temporary left behind


def _geoae_paused(args, pause: str):
    """A ``geoae`` subprocess that prints ``paused`` and sleeps at the point named by ``pause``:
    ``"write"`` right after a table is written to its temporary file, ``"epoch 10"`` in the
    training loop after epoch 10 (its checkpoint written). Returns the Popen, already paused."""
    import subprocess
    import sys

    prelude = {
        "write": "import pandas as pd\n"
                 "orig = pd.DataFrame.to_csv\n"
                 "def paused(self, *a, **k):\n"
                 "    orig(self, *a, **k); print('paused', flush=True); time.sleep(120)\n"
                 "pd.DataFrame.to_csv = paused\n",
        "epoch 10": "import geoae.models as gm\n"
                    "orig = gm.fit_module\n"
                    "def cb(epoch, history):\n"
                    "    if epoch == 10: print('paused', flush=True); time.sleep(120)\n"
                    "gm.fit_module = lambda *a, **k: orig(*a, **dict(k, callback=cb))\n",
    }[pause]
    code = "import time\n" + prelude + "from geoae.cli import _entry\n_entry()\n"
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # blocks until paused (or the end: then the test says why)
    if line.strip() != "paused":
        proc.kill()
        pytest.fail(f"the command did not reach {pause!r}: {proc.communicate()[1][-2000:]}")
    return proc


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.slow
@pytest.mark.parametrize("signame,code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_sigterm_while_writing_exits_143_and_leaves_no_temporary_file(capsys, tmp_path, wells_csv,
                                                                       signame, code):
    """SIGTERM (a batch scheduler ending the job) or SIGHUP (the terminal closed) killed the
    process on the spot: the hidden temporary file of the output being written stayed beside
    it. It is now a clean exit."""
    import signal

    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--latent", 1, "--epochs", 1,
               "--out", model, "--quiet")[0] == 0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _geoae_paused(["reconstruct", model, wells_csv, "--out", out_dir / "r.csv", "--quiet"],
                         "write")
    assert _hidden(out_dir)  # the temporary file being written (what SIGTERM used to leave)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"geoae: terminated ({signame})"), err
    assert list(out_dir.iterdir()) == []  # neither the output nor a temporary file


@pytest.mark.slow
def test_sigterm_while_training_keeps_the_checkpoint_for_resume(capsys, tmp_path, wells_csv):
    import signal

    args = ["train", wells_csv, "--curves", "GR,RHOB,NPHI", "--epochs", 14, "--latent", 2, "--quiet"]
    assert run(capsys, *args, "--out", tmp_path / "straight")[0] == 0
    model = tmp_path / "killed"
    proc = _geoae_paused([*args, "--out", model], "epoch 10")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and "--resume" in err
    assert _hidden(model) == [] and not (model / "model.safetensors").exists()
    assert (model / "checkpoint.safetensors").is_file()
    assert run(capsys, *args, "--out", model, "--resume")[0] == 0
    a = (tmp_path / "straight" / "model.safetensors").read_bytes()
    assert (model / "model.safetensors").read_bytes() == a


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_encode_and_reconstruct_stream_tables_chunk_by_chunk(capsys, tmp_path, wells_csv, suffix):
    """Chunked scoring (a 900-row table read 128 rows at a time) equals whole-table scoring."""
    obs = pd.read_csv(wells_csv)
    data = tmp_path / f"wells{suffix}"
    obs.to_parquet(data, index=False, row_group_size=100) if suffix == ".parquet" else obs.to_csv(
        data, index=False)
    model = tmp_path / "model"
    assert run(capsys, "train", data, "--curves", "GR,RHOB,NPHI", "--latent", 2, "--epochs", 3,
               "--out", model, "--quiet")[0] == 0
    for cmd in ("encode", "reconstruct"):
        outs = {}
        for rows in (128, 1_000_000):
            out = tmp_path / f"{cmd}_{rows}{suffix}"
            code, text, err = run(capsys, cmd, model, data, "--out", out, "--chunk-rows", rows, "--json")
            assert code == 0, err
            assert json.loads(text)["rows"] == len(obs)
            outs[rows] = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
        assert len(outs[128]) == len(obs)
        pd.testing.assert_frame_equal(outs[128], outs[1_000_000], rtol=1e-5)
        assert outs[128]["DEPTH"].equals(obs["DEPTH"]) and outs[128]["WELL"].equals(obs["WELL"])
    code, _, err = run(capsys, "encode", model, data, "--out", tmp_path / "x.csv", "--chunk-rows", 0)
    assert code == 2 and "--chunk-rows" in err


def test_segy_train_encode_reconstruct_stream_traces(capsys, tmp_path):
    from geoae.datasets import make_synthetic_seismic
    from test_streaming import write_segy_file

    traces = np.asarray(make_synthetic_seismic(n_traces=300, n_samples=48, random_state=0).noisy,
                        dtype=np.float32)
    sgy = write_segy_file(tmp_path / "line.sgy", traces)
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", sgy, "--latent", 3, "--epochs", 3, "--out", model, "--quiet")
    assert code == 0, err
    code, out, err = run(capsys, "encode", model, sgy, "--out", tmp_path / "z.npy", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == 300
    est = __import__("geoae").load(model)
    np.testing.assert_allclose(np.load(tmp_path / "z.npy"), est.transform(traces), rtol=1e-5, atol=1e-6)
    code, out, err = run(capsys, "reconstruct", model, sgy, "--out", tmp_path / "e.npy", "--json")
    assert code == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), est.reconstruction_error(traces), rtol=1e-5)
    assert json.loads(out)["mean_error"] == pytest.approx(est.reconstruction_error(traces).mean(), rel=1e-5)
    code, _, err = run(capsys, "encode", model, sgy, "--out", tmp_path / "z.las")
    assert code == 2 and ".npy" in err and ".npz" in err and "Traceback" not in err
    assert not (tmp_path / "z.las").exists()
    # and .npz, a SEG-Y output, is not a name for a well table (it was written as CSV text)
    las = tmp_path / "w.las"
    geoae.io.write_las(pd.DataFrame({"GR": [1.0, 2.0]}, index=pd.Index([1.0, 2.0], name="DEPT")), las)
    code, _, err = run(capsys, "encode", model, las, "--out", tmp_path / "w.npz")
    assert code == 2 and "not a .npz file" in err and not (tmp_path / "w.npz").exists()


def _grid_segy(path, traces, scalar):
    """A post-stack survey of 5 inlines x 12 crosslines with trace (101, 25) missing: inline,
    crossline and CDP x/y in the trace headers, the coordinates scaled by ``scalar``."""
    import segyio

    spots = [(il, xl) for il in range(100, 105) for xl in range(20, 32) if (il, xl) != (101, 25)]
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 5, np.arange(traces.shape[1]) * 2.0, len(spots)
    with segyio.create(str(path), spec) as f:
        f.bin.update(hdt=2000, hns=traces.shape[1], format=5)
        f.trace.raw[:] = traces[:len(spots)].astype(np.float32)
        for i, (il, xl) in enumerate(spots):
            f.header[i] = {segyio.su.tracl: i + 1, segyio.su.iline: il, segyio.su.xline: xl,
                           segyio.su.cdpx: 500_000 + 2_500 * (xl - 20),
                           segyio.su.cdpy: 700_000 + 2_500 * (il - 100), segyio.su.scalco: scalar}
    return spots


def test_segy_codes_and_errors_as_trace_tables_and_survey_grids(capsys, tmp_path):
    from geoae.datasets import make_synthetic_seismic

    traces = np.asarray(make_synthetic_seismic(n_traces=59, n_samples=40, random_state=1).noisy,
                        dtype=np.float32)
    sgy = tmp_path / "cube.sgy"
    spots = _grid_segy(sgy, traces, scalar=-100)
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", sgy, "--latent", 2, "--epochs", 2, "--out", model, "--quiet")
    assert code == 0, err
    est = geoae.load(model)
    codes, errors = est.transform(traces), est.reconstruction_error(traces)
    # a row per trace: its position (coordinates divided by 100), then the code
    code, out, err = run(capsys, "encode", model, sgy, "--out", tmp_path / "z.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == 59 and json.loads(out)["no_data"] == 0
    table = pd.read_csv(tmp_path / "z.csv")
    assert list(table.columns) == ["TRACE", "INLINE", "CROSSLINE", "CDP", "OFFSET", "CDP_X",
                                   "CDP_Y", "LATENT_0", "LATENT_1"]
    assert table["TRACE"].tolist() == list(range(59))
    assert list(zip(table["INLINE"], table["CROSSLINE"], strict=True)) == spots
    np.testing.assert_allclose(table["CDP_X"], [5_000 + 25 * (xl - 20) for _, xl in spots])
    np.testing.assert_allclose(table["CDP_Y"], [7_000 + 25 * (il - 100) for il, _ in spots])
    np.testing.assert_allclose(table[["LATENT_0", "LATENT_1"]], codes, rtol=1e-5, atol=1e-6)
    # the errors as Parquet: header integers stay integers, the summary as for .npy
    code, out, err = run(capsys, "reconstruct", model, sgy, "--out", tmp_path / "e.parquet", "--json")
    assert code == 0, err
    errs = pd.read_parquet(tmp_path / "e.parquet")
    assert errs["INLINE"].dtype == np.int64 and errs["TRACE"].dtype == np.int64
    np.testing.assert_allclose(errs["RECON_ERROR"], errors, rtol=1e-5)
    assert json.loads(out)["mean_error"] == pytest.approx(errors.mean(), rel=1e-5)
    # the codes on the survey's grid, NaN where no trace was recorded
    code, _, err = run(capsys, "encode", model, sgy, "--out", tmp_path / "z.npz", "--quiet")
    assert code == 0, err
    with np.load(tmp_path / "z.npz") as grid:
        assert grid["values"].shape == (5, 12, 2)
        assert grid["inlines"].tolist() == list(range(100, 105))
        assert grid["crosslines"].tolist() == list(range(20, 32))
        for i, (il, xl) in enumerate(spots):
            np.testing.assert_allclose(grid["values"][il - 100, xl - 20], codes[i], rtol=1e-5, atol=1e-6)
        assert np.isnan(grid["values"][1, 5]).all()
    code, out, err = run(capsys, "reconstruct", model, sgy, "--out", tmp_path / "e.npz", "--json")
    assert code == 0, err
    assert json.loads(out)["mean_error"] == pytest.approx(errors.mean(), rel=1e-5)
    with np.load(tmp_path / "e.npz") as grid:
        assert grid["values"].shape == (5, 12)
        np.testing.assert_allclose(grid["values"][4, 11], errors[-1], rtol=1e-5)
    code, _, err = run(capsys, "detect", model, sgy, "--out", tmp_path / "d.csv")
    assert code == 2 and "geoae reconstruct" in err and "Traceback" not in err


def test_segy_npz_of_a_line_that_is_no_grid_keeps_file_order_and_positions(capsys, tmp_path):
    """A 2-D line whose inline (shot point) and crossline (CDP) both grow along it: the .npz
    was a grid of n/2 x n cells, almost all NaN (about 20 GB for a 50,000-trace line). It now
    keeps file order with each trace's positions, and says so."""
    import segyio

    from geoae.applications.seismic import arrange_survey
    from geoae.datasets import make_synthetic_seismic

    n = 80
    traces = np.asarray(make_synthetic_seismic(n_traces=n, n_samples=32, random_state=2).noisy,
                        dtype=np.float32)
    sgy = tmp_path / "line.sgy"
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 5, np.arange(32) * 2.0, n
    with segyio.create(str(sgy), spec) as f:
        f.bin.update(hdt=2000, hns=32, format=5)
        f.trace.raw[:] = traces
        for i in range(n):
            f.header[i] = {segyio.su.tracl: i + 1, segyio.su.iline: 1000 + i // 2,
                           segyio.su.xline: 1 + i, segyio.su.cdp: 1 + i,
                           segyio.su.cdpx: 4000 + 25 * i, segyio.su.scalco: 1}
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", sgy, "--latent", 2, "--epochs", 1, "--out", model, "--quiet")
    assert code == 0, err
    code, _, err = run(capsys, "encode", model, sgy, "--out", tmp_path / "z.npz")
    assert code == 0 and "do not make an inline x crossline grid" in err, err
    with np.load(tmp_path / "z.npz") as got:
        assert got["values"].shape == (n, 2)
        np.testing.assert_allclose(got["values"], geoae.load(model).transform(traces), rtol=1e-5,
                                   atol=1e-6)
        assert got["cdp"].tolist() == list(range(1, n + 1))
        assert got["inline"].tolist() == [1000 + i // 2 for i in range(n)]
        np.testing.assert_array_equal(got["cdp_x"], 4000 + 25 * np.arange(n))
    # the rule itself: at most 4 grid cells per trace
    vals = np.arange(6.0)
    assert arrange_survey(vals, [1, 1, 1, 2, 2, 2], [1, 2, 3, 1, 2, 3])[0].shape == (2, 3)
    assert arrange_survey(vals, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])[1] is None  # 36 cells


def test_segy_positions_apply_the_coordinate_scalar():
    from geoae.workflows import segy_positions

    headers = pd.DataFrame({"inline": [1, 1, 2], "crossline": [5, 6, 5], "offset": [0, 0, 0],
                            "cdp": [11, 12, 13], "scalar_coord": [10, 0, -1000],
                            "cdp_x": [123, 123, 123_456], "cdp_y": [7, 7, 7_000]})
    pos = segy_positions(headers)
    np.testing.assert_allclose(pos["CDP_X"], [1230.0, 123.0, 123.456])
    assert pos["CDP"].tolist() == [11, 12, 13]
    # a divisor divides: the nearest double to the decimal, not a multiple of 1/10's rounding
    tenth = segy_positions(headers.assign(scalar_coord=-10, cdp_x=6_201_972))
    assert tenth["CDP_X"].tolist() == [620197.2] * 3
    np.testing.assert_allclose(pos["CDP_Y"], [70.0, 7.0, 7.0])
    assert pos["INLINE"].tolist() == [1, 1, 2] and pos["CROSSLINE"].tolist() == [5, 6, 5]


def test_train_options_batch_size_precision_compile(capsys, tmp_path, wells_csv):
    model = tmp_path / "m"
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--latent", 1, "--epochs", 2,
                       "--batch-size", 64, "--precision", "32", "--out", model, "--quiet")
    assert code == 0, err
    params = json.loads((model / "config.json").read_text())["params"]
    assert params["batch_size"] == 64 and params["precision"] == "32" and params["compile"] is False
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR", "--epochs", 1, "--precision", "16",
                       "--out", tmp_path / "m16", "--quiet")
    import torch

    if torch.cuda.is_available():  # float16 mixed precision runs on the GPU
        assert code == 0, err
    else:
        assert code == 2 and "precision" in err and "CUDA" in err


def test_train_vae_beta_and_prior_then_generate(capsys, tmp_path, wells_csv):
    model = tmp_path / "vae"
    code, _, err = run(capsys, "train", wells_csv, "--model", "vae", "--curves", "GR,RHOB",
                       "--latent", 2, "--epochs", 3, "--beta", 0.5, "--prior", "gmm", "--out", model,
                       "--quiet")
    assert code == 0, err
    params = json.loads((model / "config.json").read_text())["params"]
    assert params["beta"] == 0.5 and params["prior"] == "gmm"
    est = geoae.load(model)
    assert est.beta == 0.5 and est.prior == "gmm"
    code, _, err = run(capsys, "generate", model, "-n", 50, "--out", tmp_path / "s.csv")
    assert code == 0, err
    samples = pd.read_csv(tmp_path / "s.csv")
    assert len(samples) == 50 and samples["RHOB"].between(1.0, 3.5).mean() > 0.9  # g/cc, not z-scores
    for opts in (["--beta", 0.5], ["--prior", "gmm"]):
        code, _, err = run(capsys, "train", wells_csv, "--model", "ae", "--epochs", 1, *opts,
                           "--out", tmp_path / "ae", "--quiet")
        assert code == 2 and f"{opts[0]} applies to --model vae only" in err and "Traceback" not in err
    code, _, err = run(capsys, "train", wells_csv, "--model", "vae", "--epochs", 1, "--prior", "flat",
                       "--out", tmp_path / "bad", "--quiet")
    assert code == 2 and "prior" in err and "Traceback" not in err


def test_parquet_output_column_changing_type_between_chunks_is_one_line(capsys, tmp_path, wells_csv):
    obs = pd.read_csv(wells_csv)
    obs["ZONE"] = pd.Series([None] * len(obs), dtype=object)
    obs.loc[500:, "ZONE"] = "Ness"  # empty in the first chunks, text later
    data = tmp_path / "zoned.csv"
    obs.to_csv(data, index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", data, "--curves", "GR,RHOB", "--latent", 1, "--epochs", 1,
               "--out", model, "--quiet")[0] == 0
    code, _, err = run(capsys, "reconstruct", model, data, "--out", tmp_path / "r.parquet",
                       "--chunk-rows", 128)
    assert code == 2 and "changes type between chunks" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.parquet").exists()
    code, _, err = run(capsys, "reconstruct", model, data, "--out", tmp_path / "r.csv", "--chunk-rows", 128)
    assert code == 0, err


def test_side_outputs_and_failed_runs_never_clobber_files(capsys, tmp_path, wells_csv):
    """Found by an audit: detect wrote its _intervals.csv and .png over existing files (even its
    own input) without --force; a failed `train --force` left the old weights beside the new
    transforms.json (reconstruct then gave wrong numbers, exit 0; the old model is now kept
    whole until the new one replaces it); --latent 0 left a folder that
    blocked the next run; --epochs 0 imputed with untrained networks; --json printed NaN."""
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--epochs", 2, "--out", model, "--quiet")[0] == 0
    data = tmp_path / "data_intervals.csv"
    data.write_bytes(wells_csv.read_bytes())
    before = data.read_bytes()
    code, _, err = run(capsys, "detect", model, data, "--out", tmp_path / "data.csv")
    assert code == 2 and "is the input file" in err and data.read_bytes() == before
    (tmp_path / "r_intervals.csv").write_text("keep\n")
    code, _, err = run(capsys, "detect", model, wells_csv, "--out", tmp_path / "r.csv")
    assert code == 2 and "--force" in err and (tmp_path / "r_intervals.csv").read_text() == "keep\n"
    code, _, err = run(capsys, "detect", model, wells_csv, "--out", tmp_path / "p.png", "--plot")
    assert code == 2 and ".png" in err
    # a bad option fails before the folder is touched, and leaves nothing in the way
    code, _, err = run(capsys, "train", wells_csv, "--latent", 0, "--out", tmp_path / "new")
    assert code == 2 and "--latent 0" in err and not (tmp_path / "new").exists()
    # a failed --force run leaves the model it was replacing as it was (no mix of old and new)
    before = {f.name: f.read_bytes() for f in model.iterdir()}
    code, _, err = run(capsys, "train", wells_csv, "--epochs", 2, "--out", model, "--force",
                       "--no-log10", "--backbone", "conv2d")
    assert code == 2 and {f.name: f.read_bytes() for f in model.iterdir()} == before
    code, _, err = run(capsys, "reconstruct", model, wells_csv, "--out", tmp_path / "rec.csv", "-q")
    assert code == 0, err
    code, _, err = run(capsys, "train", wells_csv, "--out", wells_csv)
    assert code == 2 and "is a file" in err
    code, _, err = run(capsys, "demo", "--fast", "--out", wells_csv)
    assert code == 2 and "is a file" in err
    code, _, err = run(capsys, "impute", wells_csv, "--curve", "PE", "--out", tmp_path / "i.csv",
                       "--epochs", 0)
    assert code == 2 and "--epochs 0" in err
    assert run(capsys, "train", wells_csv, "--epochs", 2, "--out", model, "--force", "-q")[0] == 0
    empty = pd.read_csv(wells_csv)
    empty.loc[:, [c for c in empty.columns if c not in ("WELL", "DEPTH")]] = np.nan
    empty.to_csv(tmp_path / "allnan.csv", index=False)
    code, out, err = run(capsys, "reconstruct", model, tmp_path / "allnan.csv", "--out",
                         tmp_path / "rn.csv", "--json")
    assert code == 0, err
    json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def test_a_model_records_its_units_and_converts_a_well_logged_in_others(capsys, tmp_path):
    """A model trained on DT in us/ft and NPHI in v/v, given a well with DT in us/m and NPHI in
    %: the values were fed as they were (codes and errors of the wrong rock). They are now
    converted to the model's units with a warning, and reconstructions come back in the
    well's own units; a unit with no known conversion is warned about."""
    import lasio

    from geoae.io import write_las

    obs = make_synthetic_wells(n_wells=1, n_samples=300, random_state=0, faults=False).observed
    frame = obs.drop(columns="WELL").set_index("DEPTH")[["GR", "RHOB", "NPHI", "DT"]]
    usft = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v", "DT": "us/ft"}
    write_las(frame, tmp_path / "train.las", units=usft)
    other = frame.assign(NPHI=frame["NPHI"] * 100, DT=frame["DT"] / 0.3048)
    write_las(other, tmp_path / "metric.las", units={**usft, "NPHI": "%", "DT": "us/m"})
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", tmp_path / "train.las", "--latent", 2, "--epochs", 3,
                       "--out", model, "--quiet")
    assert code == 0, err
    record = json.loads((model / "transforms.json").read_text())
    assert record["units"] == usft
    code, out, err = run(capsys, "info", model, "--json")
    assert code == 0 and json.loads(out)["units"] == usft, err
    for cmd, out in (("encode", "ref_z.csv"), ("reconstruct", "ref_r.csv")):
        code, _, err = run(capsys, cmd, model, tmp_path / "train.las", "--out", tmp_path / out)
        assert code == 0 and "converted" not in err, err
    code, _, err = run(capsys, "encode", model, tmp_path / "metric.las", "--out", tmp_path / "z.csv")
    assert code == 0, err
    assert "converted to the units the model was trained on" in err
    assert "NPHI % -> v/v" in err and "DT us/m -> us/ft" in err
    z, ref_z = pd.read_csv(tmp_path / "z.csv"), pd.read_csv(tmp_path / "ref_z.csv")
    latent = [c for c in z.columns if c.startswith("LATENT_")]
    np.testing.assert_allclose(z[latent], ref_z[latent], rtol=1e-5, atol=1e-6)
    for out in ("r.csv", "r.las"):
        code, _, err = run(capsys, "reconstruct", model, tmp_path / "metric.las", "--out", tmp_path / out)
        assert code == 0, err
    r, ref_r = pd.read_csv(tmp_path / "r.csv"), pd.read_csv(tmp_path / "ref_r.csv")
    np.testing.assert_allclose(r["RECON_ERROR"], ref_r["RECON_ERROR"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(r["DT_RECON"], ref_r["DT_RECON"] / 0.3048, rtol=1e-5)  # us/m
    np.testing.assert_allclose(r["NPHI_RECON"], ref_r["NPHI_RECON"] * 100, rtol=1e-5)  # %
    np.testing.assert_allclose(r["GR_RECON"], ref_r["GR_RECON"], rtol=1e-5)
    las = lasio.read(tmp_path / "r.las")
    assert las.curves["DT_RECON"].unit == "us/m" and las.curves["NPHI_RECON"].unit == "%"
    np.testing.assert_allclose(las["DT_RECON"], r["DT_RECON"], rtol=1e-4)
    code, _, err = run(capsys, "detect", model, tmp_path / "metric.las", "--out", tmp_path / "d.csv")
    assert code == 0 and "DT us/m -> us/ft" in err, err
    # no known conversion: used as it is, with a warning naming the curve and both units
    write_las(frame, tmp_path / "cps.las", units={**usft, "GR": "cps"})
    code, _, err = run(capsys, "encode", model, tmp_path / "cps.las", "--out", tmp_path / "c.csv")
    assert code == 0 and "cannot be converted" in err and "GR in 'cps'" in err, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "c.csv")[latent], ref_z[latent], rtol=1e-5, atol=1e-6)


def test_a_table_naming_the_model_curves_otherwise_is_matched_through_the_aliases(capsys, tmp_path):
    """A model trained on GR, RHOB, NPHI given a CSV export whose columns read gr, RHOZ, TNPH:
    a table's columns do not go through the alias table (a LAS file's do), so encode stopped
    with 'not found'. Each curve is now taken from its one alias column, with one warning."""
    obs = make_synthetic_wells(n_wells=2, n_samples=200, random_state=3, faults=False).observed
    cols = ["WELL", "DEPTH", "GR", "RHOB", "NPHI"]
    obs[cols].to_csv(tmp_path / "canon.csv", index=False)
    obs[cols].rename(columns={"GR": "gr", "RHOB": "RHOZ", "NPHI": "TNPH"}).to_csv(
        tmp_path / "export.csv", index=False)
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", tmp_path / "canon.csv", "--latent", 2, "--epochs", 2,
                       "--out", model, "--quiet")
    assert code == 0, err
    code, _, err = run(capsys, "encode", model, tmp_path / "canon.csv", "--out", tmp_path / "ref.csv")
    assert code == 0, err
    code, _, err = run(capsys, "encode", model, tmp_path / "export.csv", "--out", tmp_path / "z.csv",
                       "--chunk-rows", 150)
    assert code == 0, err
    assert err.count("taken from columns named otherwise") == 1, err  # once, not per chunk
    assert "RHOB from 'RHOZ'" in err and "NPHI from 'TNPH'" in err and "GR from 'gr'" in err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "z.csv"), pd.read_csv(tmp_path / "ref.csv"))
    code, _, err = run(capsys, "reconstruct", model, tmp_path / "export.csv", "--out", tmp_path / "r.csv")
    assert code == 0, err
    rec = pd.read_csv(tmp_path / "r.csv")
    assert {"gr", "RHOZ", "TNPH", "GR_RECON", "RHOB_RECON", "NPHI_RECON"} <= set(rec.columns)
    code, _, err = run(capsys, "detect", model, tmp_path / "export.csv", "--out", tmp_path / "d.csv",
                       "--plot")
    assert code == 0, err
    assert "RHOB_SHARE" in pd.read_csv(tmp_path / "d.csv").columns
    # two columns could be RHOB: refused, in one line
    obs[cols].assign(RHOZ=obs["RHOB"]).rename(columns={"RHOB": "rhob"}).to_csv(
        tmp_path / "two.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "two.csv", "--out", tmp_path / "t.csv")
    assert code == 2 and "could be any of" in err and "'rhob'" in err and "Traceback" not in err


def test_train_on_named_curves_warns_only_about_their_units(capsys, tmp_path):
    """train --curves GR warned about unit conflicts of curves it does not use (POTA in % and
    gAPI on the welly folder); those are left out, the warnings about GR are kept."""
    from geoae.io import write_las

    folder = tmp_path / "wells"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, pota, gr in (("A", "%", "gAPI"), ("B", "gAPI", "gAPI"), ("C", "%", "cps")):
        logs = pd.DataFrame({"GR": rng.normal(60, 10, 50), "POTA": rng.normal(2, 0.5, 50),
                             "RHOB": rng.normal(2.4, 0.1, 50)},
                            index=pd.Index(1000 + 0.5 * np.arange(50), name="DEPT"))
        logs.attrs.update(well_name=name, index_unit="m")
        write_las(logs, folder / f"{name}.las", units={"GR": gr, "POTA": pota, "RHOB": "g/cm3"})
    code, _, err = run(capsys, "train", folder, "--curves", "RHOB", "--epochs", 1, "--latent", 1,
                       "--out", tmp_path / "m1", "--quiet")
    assert code == 0 and "units differ" not in err, err
    code, _, err = run(capsys, "train", folder, "--curves", "GR,RHOB", "--epochs", 1, "--latent", 1,
                       "--out", tmp_path / "m2", "--quiet")
    assert code == 0 and "curve units differ between wells: GR" in err and "POTA" not in err, err
    code, _, err = run(capsys, "train", folder, "--epochs", 1, "--latent", 1, "--out", tmp_path / "m3",
                       "--quiet")
    assert code == 0 and "POTA" in err and "GR" in err, err
    # impute with --curves: the same for the curves it uses (the target and the inputs; an
    # audit: impute still warned about POTA)
    code, _, err = run(capsys, "impute", folder, "--curve", "RHOB", "--curves", "GR",
                       "--epochs", 1, "--out", tmp_path / "filled", "--quiet")
    assert code == 0 and "curve units differ between wells: GR" in err and "POTA" not in err, err


def test_impute_on_its_own_output_does_not_learn_from_the_earlier_fill(capsys, tmp_path):
    """Run twice (the second time on the first output): PE_IMPUTED, the filled target, was taken
    as an input curve, so PE was learnt from itself. It is left out (with a warning) and
    replaced, and the second output equals the first."""
    obs = make_synthetic_wells(n_wells=2, n_samples=150, random_state=5, faults=False).observed
    obs = obs[["WELL", "DEPTH", "GR", "RHOB", "NPHI", "PE"]].copy()
    obs.loc[obs.index[20:60], "PE"] = np.nan
    obs.to_csv(tmp_path / "w.csv", index=False)
    code, _, err = run(capsys, "impute", tmp_path / "w.csv", "--curve", "PE", "--epochs", 3,
                       "--out", tmp_path / "once.csv", "--quiet")
    assert code == 0, err
    code, out, err = run(capsys, "impute", tmp_path / "once.csv", "--curve", "PE", "--epochs", 3,
                         "--out", tmp_path / "twice.csv", "--json")
    assert code == 0, err
    assert "PE_IMPUTED (an earlier impute's output) left out" in err
    assert "PE_IMPUTED" not in json.loads(out)["inputs"]
    once, twice = pd.read_csv(tmp_path / "once.csv"), pd.read_csv(tmp_path / "twice.csv")
    assert list(twice.columns) == list(once.columns)
    pd.testing.assert_frame_equal(twice, once)


def test_unexpected_error_is_one_line_with_its_own_private_log(capsys, tmp_path, monkeypatch):
    """A bug (not a user error) ends with one line naming a log of the traceback. Each failure
    gets a file of its own, readable by its owner only (a fixed name in /tmp could be another
    user's file or a planted link, and a second failure overwrote the first one's details)."""
    import os
    import re
    import stat
    import tempfile

    import geoae.workflows as wf

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def broken(model):
        raise RuntimeError(f"internal bug {model}")

    monkeypatch.setattr(wf, "info", broken)
    logs = []
    for name in ("m1", "m2"):
        code, out, err = run(capsys, "info", name)
        assert code == 1 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"geoae: unexpected error (RuntimeError: internal bug {name})")
        log = Path(re.search(r"details in (\S+)\. Please report it", lines[0]).group(1))
        assert log.parent == tmp_path and log.name.startswith("geoae-error-")
        text = log.read_text()
        assert "Traceback" in text and f"internal bug {name}" in text
        assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
        logs.append(log)
    assert logs[0] != logs[1] and "internal bug m1" in logs[0].read_text()


def test_for_pipelines_progress_goes_to_stderr_and_a_full_disk_is_not_a_bug(capsys, tmp_path,
                                                                             wells_csv,
                                                                             monkeypatch):
    """An automation audit: training's progress bar went to standard output (mixed into what
    a script reads); a full disk was reported as 'unexpected error ... Please report it' with
    exit 1; there was no --version; `geoae info` refused the folder of `features
    --save-model`; an unfinished run's folder was said to lack config.json."""
    import errno

    import geoae.workflows as wf
    from geoae import __version__

    code, out, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 2,
                         "--out", tmp_path / "m")
    assert code == 0 and "2/2" in err and "2/2" not in out and "trained" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"geoae {__version__}"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "codes.csv")

    monkeypatch.setattr(wf, "encode", full)
    code, out, err = run(capsys, "encode", tmp_path / "m", wells_csv, "--out", tmp_path / "c.csv")
    assert code == 2 and out == ""
    assert err.strip() == ("error: no space left on the device writing codes.csv; free some "
                           "space (or write elsewhere) and rerun: no file was left half-written")

    def wrapped(*args, **kwargs):  # safetensors quotes the OS error in its own exception
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("Error while serializing: IoError(No space left on device)") from exc

    monkeypatch.setattr(wf, "encode", wrapped)
    code, _, err = run(capsys, "encode", tmp_path / "m", wells_csv, "--out", tmp_path / "c.csv")
    assert code == 2 and err.startswith("error: no space left on the device")
    monkeypatch.undo()

    code, _, err = run(capsys, "features", wells_csv, "--curves", "GR,RHOB", "--epochs", 1,
                       "--out", tmp_path / "f.csv", "--save-model", tmp_path / "ctx", "-q")
    assert code == 0, err
    code, out, err = run(capsys, "info", tmp_path / "ctx", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["model"] == "ContextEncoder" and summary["curves"] == ["GR", "RHOB"]
    unfinished = tmp_path / "half"
    unfinished.mkdir()
    (unfinished / "checkpoint.transforms.json").write_text("{}")
    code, _, err = run(capsys, "info", unfinished)
    assert code == 2 and "unfinished geoae train run" in err and "--resume" in err


def test_a_torchrun_timeout_is_one_line_and_the_wait_can_be_set(capsys, monkeypatch, wells_csv,
                                                                 tmp_path):
    """A cluster audit: a stalled rank ended the others after a fixed 30 minutes with
    'unexpected error (RuntimeError: [.../gloo/...] Timed out ...)'."""
    import geoae.workflows as wf
    from geoae import distributed
    from geoae.errors import ConfigError

    monkeypatch.setenv("GEOAE_DIST_TIMEOUT", "20")
    assert distributed.group_timeout() == 20.0
    monkeypatch.setenv("GEOAE_DIST_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="GEOAE_DIST_TIMEOUT='soon' is not valid"):
        distributed.group_timeout()
    monkeypatch.delenv("GEOAE_DIST_TIMEOUT")
    assert distributed.group_timeout() == 1800.0

    def stalled(*args, **kwargs):
        raise RuntimeError("[../gloo/transport/tcp/unbound_buffer.cc:78] Timed out waiting "
                           "20000ms for recv operation to complete")

    monkeypatch.setattr(wf, "train", stalled)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr("geoae.cli._main_process", lambda: True)
    code, _, err = run(capsys, "train", wells_csv, "--out", tmp_path / "m")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: another process of this torchrun job stopped answering")
    assert "GEOAE_DIST_TIMEOUT" in err
