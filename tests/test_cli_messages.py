"""What the command line says when something is wrong (fifteenth session, the UX audit's
leftovers): usage errors on one line, JSON on stdout for --json whatever happens, options
checked before the data are read, a near curve name offered for a typo, and warnings for a
model that can copy its input or a curve most wells lack."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import geoae
from clirun import run


@pytest.mark.parametrize("args, said", [
    (["train", "x.csv", "--out", "m", "--latnet", "3"], "No such option: --latnet"),
    (["train"], "Missing argument"),
    (["train", "x.csv", "--out", "m", "--latent", "abc"], "Invalid value for '--latent'"),
    (["trian"], "Did you mean 'train'?"),
    (["detect", "m"], "Missing argument"),
])
def test_usage_errors_are_one_line(capsys, args, said):
    """click printed usage, a hint and an 'Error:' line (four lines) for these."""
    code, out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and said in lines[0]
    command = "geoae train" if args[0] == "train" else "geoae detect" if args[0] == "detect" else "geoae"
    assert lines[0].endswith(f"See '{command} --help'.")


def test_help_and_version_still_exit_0(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "Example: geoae train" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"geoae {geoae.__version__}"
    code, _, err = run(capsys)  # no command: the help, as a usage error (exit 2)
    assert code == 2 and "Commands" in err


@pytest.mark.parametrize("args", [
    ["info", "no-such-model", "--json"],  # a geoae error
    ["train", "x.csv", "--json", "--out", "m", "--latent", "abc"],  # a usage error
])
def test_json_failure_is_json_on_stdout(capsys, args):
    """--json printed nothing on stdout when the command failed: a script parsing it broke on
    empty input instead of reading the error."""
    code, out, err = run(capsys, *args)
    assert code == 2
    said = json.loads(out)
    assert said["exit_code"] == 2
    assert said["error"] and said["error"] in err  # the same words as the stderr line
    assert not err.strip().splitlines()[0].startswith("{")


def test_json_success_output_is_unchanged(capsys, tmp_path):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(120, 3)), columns=["GR", "RHOB", "NPHI"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = run(capsys, "train", tmp_path / "t.csv", "--epochs", 1, "--latent", 2,
                         "--out", tmp_path / "m", "--json")
    assert code == 0, err
    assert "error" not in json.loads(out)


def test_detect_contamination_is_checked_before_reading(capsys, tmp_path):
    """A bad --contamination was refused only after the model and every well were read."""
    code, _, err = run(capsys, "detect", tmp_path / "no-model", tmp_path / "no-data.csv",
                       "--contamination", 1.5, "--out", tmp_path / "s.csv")
    assert code == 2 and "--contamination 1.5 is not valid" in err


def test_curve_typo_offers_the_near_name(capsys, tmp_path):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--curves", "GR,RHOBB,XYZ",
                       "--out", tmp_path / "m")
    assert code == 2
    assert "did you mean RHOB for RHOBB?" in err and "XYZ" in err
    assert "for XYZ" not in err  # nothing near it: no guess


def _wells(tmp_path, lacking: int):
    rng = np.random.default_rng(2)
    parts = []
    for i in range(4):
        part = pd.DataFrame({"WELL": f"W{i}", "DEPTH": np.arange(40.0),
                             "GR": rng.normal(80, 10, 40), "RHOB": rng.normal(2.4, 0.1, 40),
                             "DT": rng.normal(90, 5, 40)})
        if i < lacking:
            part["DT"] = np.nan
        parts.append(part)
    path = tmp_path / "wells.csv"
    pd.concat(parts).to_csv(path, index=False)
    return path


def test_train_warns_of_a_curve_most_wells_lack(capsys, tmp_path):
    code, _, err = run(capsys, "train", _wells(tmp_path, 3), "--curves", "GR,RHOB,DT",
                       "--latent", 2, "--epochs", 1, "--out", tmp_path / "m")
    assert code == 0, err
    assert "no reading of DT in 3 of 4 wells (W0, W1, W2)" in err
    assert "GR in" not in err and "RHOB in" not in err


def test_train_is_quiet_about_a_curve_half_the_wells_have(capsys, tmp_path):
    code, _, err = run(capsys, "train", _wells(tmp_path, 2), "--curves", "GR,RHOB,DT",
                       "--latent", 2, "--epochs", 1, "--out", tmp_path / "m")
    assert code == 0, err
    assert "no reading of" not in err


def _fit_warnings(model, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X)
    return [str(w.message) for w in caught if "latent dimension" in str(w.message)]


def test_a_plain_code_as_wide_as_the_input_is_warned():
    """--latent 1000 on 2 curves trained silently: a plain auto-encoder can then copy."""
    X = np.random.default_rng(0).normal(size=(200, 3))
    kw = dict(epochs=1, random_state=0)
    said = _fit_warnings(geoae.AutoEncoder(latent_dim=3, **kw), X)
    assert len(said) == 1 and "(3) is not smaller than the 3 input values" in said[0]
    assert _fit_warnings(geoae.AutoEncoder(latent_dim=2, **kw), X) == []
    # a regularised family may use an over-complete code
    assert _fit_warnings(geoae.DenoisingAutoEncoder(latent_dim=5, **kw), X) == []
    assert _fit_warnings(geoae.VAE(latent_dim=5, **kw), X) == []


@pytest.mark.parametrize("force", [False, True])
def test_demo_refuses_to_write_into_a_model_folder(capsys, tmp_path, force):
    """The demo wrote its report and outputs into a model folder (its own files were not
    there, so --force was not asked for)."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    geoae.AutoEncoder(latent_dim=2, epochs=1, random_state=0).fit(X).save(tmp_path / "m")
    before = sorted(p.name for p in (tmp_path / "m").iterdir())
    code, _, err = run(capsys, "demo", "--fast", "--out", tmp_path / "m", *(["--force"] if force else []))
    assert code == 2 and "holds an auto-encoder model" in err and "another --out" in err
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == before


@pytest.mark.parametrize("pack, said", [("gzip", "gzip-compressed"), ("zip", "zip archive"),
                                        ("bz2", "bzip2-compressed")])
def test_a_compressed_input_is_named(capsys, tmp_path, pack, said):
    """A gzip'd LAS was 'binary file that is neither SEG-Y nor Parquet'."""
    import bz2
    import gzip
    import zipfile

    text = "~Version\nVERS. 2.0:\nWRAP. NO:\n~Well\n~Curve\nDEPT.M :\nGR.API :\n~A\n1 2\n"
    path = tmp_path / "well.las"
    if pack == "gzip":
        path.write_bytes(gzip.compress(text.encode()))
    elif pack == "bz2":
        path.write_bytes(bz2.compress(text.encode()))
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("well.las", text)
    code, _, err = run(capsys, "train", path, "--out", tmp_path / "m")
    assert code == 2 and said in err and "unpack it first" in err


def test_an_excel_workbook_is_named(capsys, tmp_path):
    import zipfile

    path = tmp_path / "logs.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    code, _, err = run(capsys, "train", path, "--out", tmp_path / "m")
    assert code == 2 and "an Excel workbook" in err and "save the sheet as CSV" in err


def test_resume_and_force_together_are_refused(capsys, tmp_path):
    """--resume --force ran as a resume (or as a fresh start with no checkpoint): one of the
    two was silently ignored."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--out", tmp_path / "m", "--resume",
                       "--force")
    assert code == 2 and "--resume continues" in err and "give one of them" in err
    assert not (tmp_path / "m").exists()


def test_a_1d_array_is_named_by_its_shape_not_dumped():
    """scikit-learn's message printed every value of the array (a whole log, in a notebook)."""
    from geoae.errors import DataError

    with pytest.raises(DataError, match=r"got 1D array instead: X has shape \(5000,\)") as info:
        geoae.AutoEncoder().fit(np.arange(5000.0))
    assert "4999" not in str(info.value) and "reshape(-1, 1)" in str(info.value)


@pytest.fixture(scope="module")
def ux_folder(tmp_path_factory):
    """A table, a model trained on it and a model trained on SEG-Y traces."""
    segyio = pytest.importorskip("segyio")
    from geoae.cli import main

    where = tmp_path_factory.mktemp("ux")
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(200, 3)), columns=["GR", "RHOB", "NPHI"]).to_csv(
        where / "t.csv", index=False)
    segyio.tools.from_array2D(str(where / "s.sgy"), rng.normal(size=(40, 64)).astype("float32"),
                              dt=2000)
    assert main(["train", str(where / "t.csv"), "--latent", "2", "--epochs", "1", "-q",
                 "--out", str(where / "m")]) == 0
    assert main(["train", str(where / "s.sgy"), "--latent", "2", "--epochs", "1", "-q",
                 "--out", str(where / "sm")]) == 0
    return where


def test_the_model_folder_as_out_is_named_as_such(capsys, ux_folder):
    """It said 'output m is the input file'."""
    code, _, err = run(capsys, "encode", ux_folder / "m", ux_folder / "t.csv", "--out", ux_folder / "m")
    assert code == 2 and "is the model folder" in err and "input file" not in err


def test_a_segy_model_given_logs_says_so(capsys, ux_folder):
    """It said the model 'was fitted on an unnamed array' (it was trained by geoae train)."""
    code, _, err = run(capsys, "encode", ux_folder / "sm", ux_folder / "t.csv", "--out",
                       ux_folder / "c.csv")
    assert code == 2 and "trained on SEG-Y traces of 64 samples" in err
    assert "unnamed array" not in err


def test_a_table_as_the_features_model_says_what_the_first_argument_is(capsys, ux_folder):
    """It said 'context-encoder folder t.csv: not a folder (it is a file)'."""
    code, _, err = run(capsys, "features", ux_folder / "t.csv", ux_folder / "t.csv", "--out",
                       ux_folder / "f.csv")
    assert code == 2 and "features takes [MODEL] DATA" in err and "--save-model" in err
    assert not (ux_folder / "f.csv").exists()


def test_impute_does_not_clip_fills_of_a_curve_whose_unit_is_suspect(capsys, tmp_path):
    """Every DT reading was outside 40-240 us/ft (the unit was said to be probably wrong, and
    the readings learnt from as they are), yet every fill was clipped to 240: a well of DT near
    5000 got a flat 240."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"WELL": np.repeat(["A", "B", "C"], 100),
                          "DEPTH": np.tile(np.arange(100.0), 3),
                          "GR": rng.normal(80, 10, 300), "RHOB": rng.normal(2.4, 0.1, 300),
                          "DT": rng.normal(5000, 100, 300)})
    frame.loc[frame.WELL == "C", "DT"] = np.nan
    frame.to_csv(tmp_path / "dt.csv", index=False)
    code, _, err = run(capsys, "impute", tmp_path / "dt.csv", "--curve", "DT", "--epochs", 3,
                       "--out", tmp_path / "out.csv", "-q")
    assert code == 0, err
    assert "unit is probably wrong" in err and "set to its nearer end" not in err
    fills = pd.read_csv(tmp_path / "out.csv").query("WELL == 'C'")["DT_IMPUTED"]
    assert fills.notna().all() and fills.min() > 1000  # not clipped to 240


def test_las_outputs_name_the_files_own_mnemonic(capsys, tmp_path):
    """A file whose sonic is AC got DT_SHARE 'share of the anomaly score from DT': a curve the
    file does not have. The description now names both."""
    import lasio

    las = lasio.LASFile()
    n, rng = 200, np.random.default_rng(0)
    las.append_curve("DEPT", 1000 + 0.5 * np.arange(n), unit="M")
    las.append_curve("GR", rng.normal(80, 10, n), unit="GAPI")
    las.append_curve("AC", rng.normal(90, 5, n), unit="US/F")
    las.append_curve("RHOB", rng.normal(2.4, 0.1, n), unit="G/CC")
    las.well["WELL"].value = "W1"
    las.write(str(tmp_path / "ac.las"), version=2.0)
    assert run(capsys, "train", tmp_path / "ac.las", "--latent", 2, "--epochs", 1, "-q",
               "--out", tmp_path / "m")[0] == 0
    code, _, err = run(capsys, "detect", tmp_path / "m", tmp_path / "ac.las", "-q",
                       "--out", tmp_path / "d.las")
    assert code == 0, err
    back = lasio.read(str(tmp_path / "d.las"))
    assert back.curves["DT_SHARE"].descr == "share of the anomaly score from DT (AC in the file)"
    assert back.curves["GR_SHARE"].descr == "share of the anomaly score from GR"


def test_train_default_latent_is_a_bottleneck_for_a_plain_model(capsys, tmp_path):
    """The default --latent 4 on 4 curves gave a plain auto-encoder a code as wide as its
    input (it can copy it); the default is now at most curves - 1 for --model ae."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(120, 4)),
                         columns=["GR", "RHOB", "NPHI", "DT"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--epochs", 1, "-q", "--out",
                       tmp_path / "ae")
    assert code == 0 and "latent dimension" not in err
    assert geoae.load(tmp_path / "ae").latent_dim == 3
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--model", "dae", "--epochs", 1, "-q",
                       "--out", tmp_path / "dae")
    assert code == 0 and geoae.load(tmp_path / "dae").latent_dim == 4
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--latent", 4, "--epochs", 1, "-q",
                       "--out", tmp_path / "ae4")  # asked for: kept, with the warning
    assert code == 0 and geoae.load(tmp_path / "ae4").latent_dim == 4
    assert "latent dimension (4) is not smaller than the 4 input values" in err
