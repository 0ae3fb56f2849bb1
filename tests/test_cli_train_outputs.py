"""`geoae train` replaces a model only with a complete one; failed runs leave nothing behind;
option names and output names in the command line's errors. Found by an audit on real data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clirun import run

MODEL_FILES = ("config.json", "model.safetensors", "transforms.json")


def one_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def leftovers(folder: Path) -> list[str]:
    """Hidden (temporary) entries in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def null_curves_csv(wells_csv) -> Path:
    """The wells with two extra curves that were never logged (all null), as in a LAS file
    whose header lists more curves than it has values for."""
    obs = pd.read_csv(wells_csv)
    obs["DTS"], obs["TEMP"] = np.nan, np.nan
    path = wells_csv.parent / "null_curves.csv"
    obs.to_csv(path, index=False)
    return path


def test_a_failed_train_force_leaves_the_old_model_untouched(capsys, tmp_path, wells_csv,
                                                             null_curves_csv):
    """`train --out EXISTING --force` deleted the model, then failed: nothing was left. A run that
    fails, before training or in it, now leaves the folder as it was, and no temporary folder."""
    model = tmp_path / "keep"
    assert run(capsys, "train", wells_csv, "--epochs", 1, "--out", model, "-q")[0] == 0
    before = digests(model)
    assert set(MODEL_FILES) <= set(before)

    code, _, err = run(capsys, "train", null_curves_csv, "--epochs", 1, "--out", model, "--force",
                       "--curves", "GR,RHOB,DTS,TEMP")
    assert code == 2
    line = one_error(err)
    assert str(null_curves_csv) in line and "DTS, TEMP" in line and "all null" in line
    assert "--curves " in line and "DTS" not in line.split("--curves ")[1]  # the usable ones
    assert digests(model) == before

    # a failure inside the fit (a backbone that does not fit the data) leaves it as well
    code, _, err = run(capsys, "train", wells_csv, "--epochs", 1, "--out", model, "--force",
                       "--backbone", "conv2d")
    assert code == 2 and "Traceback" not in err
    assert digests(model) == before
    assert leftovers(tmp_path) == [] and leftovers(model) == []
    assert run(capsys, "reconstruct", model, wells_csv, "--out", tmp_path / "r.csv", "-q")[0] == 0


def test_the_usable_curves_the_message_names_train(capsys, tmp_path, null_curves_csv):
    code, _, err = run(capsys, "train", null_curves_csv, "--epochs", 1, "--out", tmp_path / "m",
                       "--curves", "GR,RHOB,NPHI,DTS")
    curves = one_error(err).split("--curves ")[1].split()[0]
    assert curves == "GR,RHOB,NPHI"
    code, _, err = run(capsys, "train", null_curves_csv, "--epochs", 1, "--curves", curves,
                       "--out", tmp_path / "m", "-q")
    assert code == 0, err


def test_default_curves_leave_out_curves_that_were_never_logged(capsys, tmp_path, null_curves_csv):
    """Curves declared with no reading at all (common in real LAS headers) stopped train and
    impute with default curves ("drop them before fitting", which a command-line user cannot
    do); they are now left out of the default curves, with a warning naming them."""
    code, out, err = run(capsys, "train", null_curves_csv, "--epochs", 1, "--out", tmp_path / "m",
                         "--json")
    assert code == 0, err
    assert "left out of the default curves, as they have no value (all null): DTS, TEMP" in err
    assert not {"DTS", "TEMP"} & set(json.loads(out)["curves"])
    code, out, err = run(capsys, "impute", null_curves_csv, "--curve", "PE", "--epochs", 1,
                         "--out", tmp_path / "pe.csv", "--json")
    assert code == 0, err
    assert "(all null): DTS, TEMP" in err
    filled = pd.read_csv(tmp_path / "pe.csv")
    assert filled["PE_IMPUTED"].notna().all()
    # named, an empty curve is still refused (the user asked for it)
    code, _, err = run(capsys, "impute", null_curves_csv, "--curve", "PE", "--curves", "GR,TEMP",
                       "--epochs", 1, "--out", tmp_path / "pe2.csv")
    assert code == 2 and "TEMP" in err


def test_impute_needs_another_curve_to_learn_from(capsys, tmp_path):
    """impute --curve GR on wells with GR alone trained a model with nothing to learn from and
    said nothing."""
    frame = pd.DataFrame({"WELL": "A", "DEPTH": np.arange(50.0),
                          "GR": np.where(np.arange(50) % 7 == 0, np.nan, np.arange(50.0))})
    frame.to_csv(tmp_path / "gr.csv", index=False)
    code, _, err = run(capsys, "impute", tmp_path / "gr.csv", "--curve", "GR", "--epochs", 1,
                       "--out", tmp_path / "o.csv")
    assert code == 2 and "no curve but GR to learn it from" in one_error(err)
    assert not (tmp_path / "o.csv").exists()


def test_a_failed_train_into_a_new_folder_leaves_no_folder(capsys, tmp_path, wells_csv,
                                                           null_curves_csv):
    """A failed train left the folder with only transforms.json (`geoae info` then said
    config.json is missing)."""
    code, _, err = run(capsys, "train", null_curves_csv, "--epochs", 1, "--out", tmp_path / "m4",
                       "--curves", "GR,DTS")
    assert code == 2 and not (tmp_path / "m4").exists()
    code, _, err = run(capsys, "train", wells_csv, "--epochs", 1, "--backbone", "conv2d",
                       "--out", tmp_path / "m5")
    assert code == 2 and not (tmp_path / "m5").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_interrupted_train_force_keeps_the_old_model_and_resumes(capsys, tmp_path, wells_csv):
    """Interrupted after its first checkpoint, a --force run over a model leaves the old model
    usable as it was and its own checkpoint, which --resume continues (checked against the log10
    curves of the run, not of the old model) to the model an uninterrupted run gives."""
    from crashing import crash_at_epoch

    args = ["train", wells_csv, "--curves", "GR,RHOB,NPHI,RT", "--epochs", 12, "--latent", 2, "-q"]
    assert run(capsys, *args, "--out", tmp_path / "straight")[0] == 0
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI,RT", "--epochs", 1,
               "--no-log10", "--out", model, "-q")[0] == 0
    old = digests(model)

    with crash_at_epoch(11, KeyboardInterrupt):  # Ctrl-C after the checkpoint of epoch 10
        code, _, _ = run(capsys, *args, "--out", model, "--force")
    assert code != 0
    now = digests(model)
    assert {f: now[f] for f in MODEL_FILES} == {f: old[f] for f in MODEL_FILES}
    assert now["checkpoint.safetensors"] != old["checkpoint.safetensors"]
    assert leftovers(tmp_path) == [] and leftovers(model) == []
    assert run(capsys, "info", model, "--json")[0] == 0

    # the checkpoint is of a log10 run (the old model's transforms.json says raw curves)
    code, _, err = run(capsys, *args, "--no-log10", "--out", model, "--resume")
    assert code == 2 and "--log10" in one_error(err)
    # its record deleted, the checkpoint's log10 curves are unknown: the old model's [] was
    # offered as the checkpoint's, with "resume with --no-log10" (garbage training)
    record = model / "checkpoint.transforms.json"
    kept = record.read_bytes()
    record.unlink()
    code, _, err = run(capsys, *args, "--out", model, "--resume")
    line = one_error(err)
    assert code == 2 and "no checkpoint.transforms.json" in line and "--force" in line
    assert "--no-log10" not in line
    record.write_bytes(kept)
    assert run(capsys, *args, "--out", model, "--resume")[0] == 0
    assert ((model / "model.safetensors").read_bytes()
            == (tmp_path / "straight" / "model.safetensors").read_bytes())
    assert digests(model)["transforms.json"] == digests(tmp_path / "straight")["transforms.json"]
    assert sorted(p.name for p in model.iterdir()) == sorted(p.name for p in
                                                            (tmp_path / "straight").iterdir())


def test_train_on_a_segy_refuses_curves(capsys, tmp_path):
    segyio = pytest.importorskip("segyio")
    sgy = tmp_path / "line.sgy"
    segyio.tools.from_array2D(str(sgy), np.zeros((4, 16), np.float32), dt=2000)
    code, _, err = run(capsys, "train", sgy, "--curves", "GR", "--epochs", 1, "--out",
                       tmp_path / "m")
    assert code == 2
    line = one_error(err)
    assert "--curves" in line and "well logs and tables" in line
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("args,expected", [
    (("train", "{data}", "--epochs", 0, "--out", "{tmp}/m"), "error: --epochs 0 is not valid"),
    (("train", "{data}", "--latent", 0, "--out", "{tmp}/m"), "error: --latent 0 is not valid"),
    (("train", "{data}", "--batch-size", 0, "--out", "{tmp}/m"),
     "error: --batch-size 0 is not valid: a positive integer"),  # not "... or 'auto'"
    (("train", "{data}", "--grad-clip", 0, "--out", "{tmp}/m"),
     "error: --grad-clip 0.0 is not valid: a positive gradient norm"),  # not "None or ..."
    (("generate", "{tmp}/nope", "-n", 0, "--out", "{tmp}/g.csv"), "error: -n 0 is not valid"),
])
def test_errors_name_the_option_typed(capsys, tmp_path, wells_csv, args, expected):
    """`--epochs 0` said `epochs=0 is not valid`, the estimator's parameter."""
    args = [str(a).format(data=wells_csv, tmp=tmp_path) for a in args]
    if args[0] == "generate":
        assert run(capsys, "train", wells_csv, "--model", "vae", "--epochs", 1, "--out",
                   tmp_path / "nope", "-q")[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 2 and one_error(err).startswith(expected), err
    assert not (tmp_path / "m").exists() and not (tmp_path / "g.csv").exists()
    # in Python, the estimators' errors keep naming their parameters
    from geoae import AutoEncoder
    from geoae.errors import ConfigError

    with pytest.raises(ConfigError, match="^latent_dim=0 is not valid"):
        AutoEncoder(latent_dim=0).fit(np.zeros((20, 3)))


@pytest.mark.parametrize("name", ["codes.xlsx", "codes", "codes.json"])
def test_an_output_name_of_no_known_table_format_is_refused(capsys, tmp_path, wells_csv, name):
    """`--out codes.xlsx` (or no suffix) wrote CSV text under that name, exit 0."""
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--epochs", 1, "--out", model, "-q")[0] == 0
    for command in ("encode", "reconstruct", "detect"):
        code, _, err = run(capsys, command, model, wells_csv, "--out", tmp_path / name)
        assert code == 2
        line = one_error(err)
        assert name in line and ".csv" in line and ".parquet" in line and ".las" in line
        assert not (tmp_path / name).exists()
    code, _, err = run(capsys, "encode", model, wells_csv, "--out", tmp_path / "codes.txt", "-q")
    assert code == 0, err  # .txt stays CSV


def test_impute_refuses_a_file_name_of_no_table_format_before_any_work(capsys, tmp_path,
                                                                       wells_csv, monkeypatch):
    """A CSV input imputed to a name without a suffix was written as CSV under that name; it is
    refused before the imputer is trained, as an unknown suffix is. A .parq name is Parquet (it
    was CSV text)."""
    from geoae.applications import Imputer

    def no_fit(*a, **k):
        raise AssertionError("trained before the output name was checked")

    with monkeypatch.context() as mp:
        mp.setattr(Imputer, "fit", no_fit)
        for name in ("filled.xlsx", "filled"):
            code, _, err = run(capsys, "impute", wells_csv, "--curve", "PE", "--epochs", 1,
                               "--out", tmp_path / name)
            assert code == 2 and "--out" in one_error(err) and ".csv" in err
            assert not (tmp_path / name).exists()
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--epochs", 1, "--out", model, "-q")[0] == 0
    code, _, err = run(capsys, "encode", model, wells_csv, "--out", tmp_path / "c.parq", "-q")
    assert code == 0, err
    assert "LATENT_0" in pd.read_parquet(tmp_path / "c.parq").columns


def test_training_on_a_handful_of_rows_is_said(capsys, tmp_path, wells_csv):
    """`train` on a 3-row sample LAS file trained without a word."""
    small = tmp_path / "small.csv"
    pd.read_csv(wells_csv).head(3).to_csv(small, index=False)
    code, _, err = run(capsys, "train", small, "--curves", "GR,RHOB", "--epochs", 1, "--out",
                       tmp_path / "m")
    assert code == 0, err
    assert "only 3 row(s) to train on" in err
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 1, "--out",
                       tmp_path / "m2")
    assert code == 0 and "row(s) to train on" not in err


def test_impute_of_a_curve_with_no_value_says_only_that(capsys, tmp_path, wells_csv):
    """The default curves first warned 'left out ... (all null): PE', then impute said PE has
    no value: the warning contradicted the error."""
    frame = pd.read_csv(wells_csv).assign(PE=np.nan)
    frame.to_csv(tmp_path / "pe_null.csv", index=False)
    code, _, err = run(capsys, "impute", tmp_path / "pe_null.csv", "--curve", "PE", "--epochs", 1,
                       "--out", tmp_path / "o.csv")
    assert code == 2 and "all null" not in err
    assert one_error(err).endswith("at least some wells must have it to learn from")


def test_a_second_train_into_a_folder_being_written_is_refused(capsys, tmp_path, wells_csv):
    """An automation audit: two `geoae train` runs into one folder both succeeded, the last to
    finish winning. A run holds a lock file in the folder while it writes; a second is
    refused on one line, and a lock left by a run that died (its process gone) is taken over."""
    import os
    import subprocess
    import sys

    from geoae.workflows import TRAIN_LOCK_FILE

    model = tmp_path / "m"
    model.mkdir()
    lock = model / TRAIN_LOCK_FILE
    import socket

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname(),
                                    "started": "2026-11-30 12:00:00"}))
        code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 1,
                           "--out", model, "--force")
        assert code == 2
        line = one_error(err)
        assert "is being written by another geoae train" in line and str(sleeper.pid) in line
        assert lock.is_file() and not (model / "model.safetensors").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    # the same lock once its process is gone: taken over, and removed at the end
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 1,
                       "--out", model, "-q")
    assert code == 0, err
    assert not lock.exists() and (model / "model.safetensors").is_file()
    assert os.listdir(model) and leftovers(model) == []
