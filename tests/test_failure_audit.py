"""Failure injection on the command line (sixteenth session): a model folder whose
transforms.json is missing or another model's, a second train finishing into the folder between
the check and the lock, a lock naming this very process, a stray RANK, outputs written into an
input folder (read back as wells), hidden and temp files read as wells, Parquet refused only
after the work, an interrupt message promising a checkpoint that does not exist."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys

import pandas as pd
import pytest

from clirun import run
from geoae import workflows
from geoae.errors import DataError

CURVES = ["GR", "RHOB", "NPHI", "RT"]


@pytest.fixture(scope="module")
def wells(tmp_path_factory):
    from geoae.datasets import make_synthetic_wells

    d = tmp_path_factory.mktemp("fail")
    frame = make_synthetic_wells(n_wells=3, n_samples=120, random_state=0, faults=False).clean
    frame[["WELL", "DEPTH", *CURVES]].to_csv(d / "wells.csv", index=False)
    return d


@pytest.fixture(scope="module")
def model(wells):
    out = wells / "m"
    code = workflows_main(["train", wells / "wells.csv", "--out", out, "--epochs", 2, "-q"])
    assert code == 0
    return out


def workflows_main(args):
    from geoae.cli import main

    return main([str(a) for a in args])


def _mean_error(capsys, model_dir, data, out):
    code, stdout, err = run(capsys, "reconstruct", model_dir, data, "--out", out, "--json")
    assert code == 0, err
    return json.loads(stdout)["mean_error"]


def test_a_model_copied_without_transforms_json_still_takes_the_log10(wells, model, tmp_path, capsys):
    """Without transforms.json the commands took no log10 (mean error 150 instead of 1):
    config.json's record is used."""
    assert json.loads((model / "config.json").read_text())["log10_curves"] == ["RT"]
    whole = _mean_error(capsys, model, wells / "wells.csv", tmp_path / "a.csv")
    bare = tmp_path / "bare"
    shutil.copytree(model, bare)
    (bare / "transforms.json").unlink()
    assert _mean_error(capsys, bare, wells / "wells.csv", tmp_path / "b.csv") == pytest.approx(whole)
    # transforms.json, where present, is the record (config.json's may differ legitimately:
    # --no-log10 on values already log10, a refit saved by the Python API)
    other = tmp_path / "other"
    shutil.copytree(model, other)
    (other / "transforms.json").write_text(json.dumps({"log10": [], "units": {}}))
    assert _mean_error(capsys, other, wells / "wells.csv", tmp_path / "c.csv") > 10 * whole


def test_a_model_finished_into_the_folder_before_the_lock_is_not_replaced(wells, tmp_path, capsys,
                                                                          monkeypatch):
    out = tmp_path / "E"
    original = workflows._TrainLock.acquire

    def another_run_finished_first(self):
        out.mkdir(exist_ok=True)
        (out / "config.json").write_text("{}")  # what the other run left, complete
        original(self)

    monkeypatch.setattr(workflows._TrainLock, "acquire", another_run_finished_first)
    code, _, err = run(capsys, "train", wells / "wells.csv", "--out", out, "--epochs", 1, "-q")
    assert code == 2 and "exists and is not empty" in err
    assert (out / "config.json").read_text() == "{}"
    assert not (out / workflows.TRAIN_LOCK_FILE).exists()


def test_a_lock_naming_this_process_is_taken_over(wells, tmp_path, capsys):
    """A container's PID 1, killed and restarted with --resume, found its own PID in the lock."""
    out = tmp_path / "pid1"
    out.mkdir()
    (out / workflows.TRAIN_LOCK_FILE).write_text(json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "started": "earlier"}))
    code, _, err = run(capsys, "train", wells / "wells.csv", "--out", out, "--epochs", 1, "-q")
    assert code == 0, err
    assert (out / "model.safetensors").is_file()


def test_a_stray_rank_without_torchrun_is_ignored(wells, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    code, stdout, err = run(capsys, "train", wells / "wells.csv", "--out", tmp_path / "r",
                            "--epochs", 1, "--json")
    assert code == 0, err
    assert (tmp_path / "r" / "model.safetensors").is_file() and json.loads(stdout)["rows"] == 360


def test_outputs_are_not_written_into_an_input_folder(wells, model, tmp_path, capsys):
    data = tmp_path / "logs"
    data.mkdir()
    shutil.copy(wells / "wells.csv", data / "wells.csv")
    for command in (["encode", model, data, "--out", data / "codes.csv"],
                    ["detect", model, data, "--out", data / "flags.csv"]):
        code, _, err = run(capsys, *command)
        assert code == 2 and "would be written into the input folder" in err, err
    assert sorted(p.name for p in data.iterdir()) == ["wells.csv"]
    code, _, err = run(capsys, "train", data / "wells.csv", "--out", data, "--force", "-q")
    assert code == 2 and "holds the input" in err
    assert sorted(p.name for p in data.iterdir()) == ["wells.csv"]
    # a subfolder of the data folder (not read as wells), or beside the model's files: fine
    (data / "out").mkdir()
    code, _, err = run(capsys, "encode", model, data, "--out", data / "out" / "codes.csv", "-q")
    assert code == 0, err
    code, _, err = run(capsys, "encode", model, data, "--out", model / "codes.csv", "-q")
    assert code == 0, err
    (model / "codes.csv").unlink()  # the module's model folder, as it was


def test_hidden_and_temp_files_are_not_wells(wells, tmp_path):
    from geoae.io import read_wells

    data = tmp_path / "logs"
    data.mkdir()
    shutil.copy(wells / "wells.csv", data / "wells.csv")
    shutil.copy(wells / "wells.csv", data / ".codes.csv.tmp.1234.csv")  # a killed run's
    (data / "._wells.csv").write_bytes(b"\x00\x05\x16\x07 AppleDouble")  # macOS's
    assert len(read_wells(data)) == len(pd.read_csv(wells / "wells.csv"))


def test_parquet_without_pyarrow_is_refused_before_the_work(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError, match="needs pyarrow"):
        workflows.table_format("out.parquet")
    assert workflows.table_format("out.csv") == "csv"


def test_the_interrupt_hint_names_a_checkpoint_only_when_there_is_one(tmp_path):
    from geoae.cli import _has_checkpoint

    assert not _has_checkpoint(["train", "x.csv", "--out", str(tmp_path)])
    (tmp_path / "checkpoint.safetensors").write_bytes(b"x")
    assert _has_checkpoint(["train", "x.csv", "--out", str(tmp_path)])
    assert _has_checkpoint(["train", "x.csv", f"--out={tmp_path}"])


def test_a_table_cut_off_mid_row_is_warned(wells, tmp_path):
    """A CSV truncated mid-row was used silently (DT 87.9 read as 8.0, the rest missing)."""
    from geoae.io import read_table

    raw = (wells / "wells.csv").read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(raw[:len(raw) // 2 + 7])
    if cut.read_bytes().endswith(b"\n"):  # pragma: no cover - the cut fell on a line end
        cut.write_bytes(raw[:len(raw) // 2 + 9])
    with pytest.warns(UserWarning, match="cut off mid-row"):
        read_table(cut)
    whole = tmp_path / "whole.csv"
    whole.write_bytes(raw.rstrip(b"\n"))  # no final line break, but a complete row: fine
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_table(whole)


def test_a_second_train_in_the_same_process_is_still_refused(tmp_path):
    """Taking over a lock with this process's number must not let two trains of one process
    (threads, a notebook's background job) share a folder."""
    first, second = workflows._TrainLock(tmp_path), workflows._TrainLock(tmp_path)
    first.acquire()
    with pytest.raises(DataError, match="being written by another geoae train"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_resume_keeps_the_checkpoints_code_width(wells, tmp_path, capsys):
    """A compatibility audit: checkpoints of the geoae before the default --latent became
    curves - 1 (4 on GR,RHOB,NPHI,RT) could not be resumed by the same command (a raw size
    mismatch). Without --latent the checkpoint's width is used; the summary says it."""
    out = tmp_path / "old"
    code, stdout, err = run(capsys, "train", wells / "wells.csv", "--out", out, "--latent", 4,
                            "--epochs", 2, "--json")
    assert code == 0, err
    assert json.loads(stdout)["latent_dim"] == 4
    (out / "config.json").unlink()  # as a run killed before its model was written leaves it
    (out / "model.safetensors").unlink()
    code, stdout, err = run(capsys, "train", wells / "wells.csv", "--out", out, "--resume",
                            "--epochs", 2, "--json")
    assert code == 0, err
    assert json.loads(stdout)["latent_dim"] == 4
    assert workflows._checkpoint_latent(out) == 4
    assert workflows._checkpoint_latent(tmp_path) == 0  # no checkpoint there


def test_a_newer_geoaes_model_folder_says_upgrade(model, tmp_path):
    """A folder of a newer format with a key this geoae does not know was refused as
    'unknown keys' (read as damage); the format version is checked first."""
    import geoae
    from geoae.errors import ConfigError

    newer = tmp_path / "newer"
    shutil.copytree(model, newer)
    cfg = json.loads((newer / "config.json").read_text())
    cfg.update(format_version=99, quantiles=[0.1, 0.9])
    (newer / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match="upgrade geoae"):
        geoae.load(newer)
