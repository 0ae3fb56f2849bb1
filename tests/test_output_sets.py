"""Commands that write several files write them as one set: `impute` on a folder (one file per
source) and `detect` (the table, its intervals and the figures). A failure part of the way
(here forced on the second file) used to leave the files written before it, new beside old;
now the outputs are as they were before the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clirun import run
from geoae._atomic import atomic_write_text, output_set
from geoae.datasets import make_synthetic_wells
from geoae.errors import DataError
from geoae.io import write_las

CURVES = ["GR", "RHOB", "NPHI", "DT", "PE"]
UNITS = {"GR": "API", "RHOB": "G/CM3", "NPHI": "V/V", "DT": "US/FT", "PE": "B/E"}


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_output_set_takes_back_every_file_on_failure(tmp_path):
    old = tmp_path / "a.csv"
    old.write_text("old\n")
    new = tmp_path / "b.csv"
    with pytest.raises(KeyboardInterrupt):
        with output_set() as claim:
            atomic_write_text(claim(old), "new\n")
            atomic_write_text(claim(new), "new\n")
            raise KeyboardInterrupt
    assert old.read_text() == "old\n" and not new.exists()
    assert _snapshot(tmp_path) == {"a.csv": b"old\n"}  # no undo folder left behind

    with output_set() as claim:  # the same block, ending well: the new files stay
        atomic_write_text(claim(old), "new\n")
        atomic_write_text(claim(new), "new\n")
    assert _snapshot(tmp_path) == {"a.csv": b"new\n", "b.csv": b"new\n"}

    with pytest.raises(DataError, match="written twice"), output_set() as claim:
        claim(old)
        claim(tmp_path / "." / "a.csv")
    assert old.read_text() == "new\n"


@pytest.fixture(scope="module")
def wells_folder(tmp_path_factory):
    """Three LAS wells with PE missing over an interval of each."""
    obs = make_synthetic_wells(n_wells=3, n_samples=200, random_state=1, faults=False).observed
    folder = tmp_path_factory.mktemp("wells")
    for k, (well, g) in enumerate(obs.groupby("WELL", sort=True)):
        g = g[["DEPTH", *CURVES]].set_index("DEPTH").copy()
        g.iloc[40 + 10 * k:80 + 10 * k, CURVES.index("PE")] = np.nan
        g.index.name = "DEPT"
        g.attrs["well_name"] = well
        write_las(g, folder / f"w{k}.las", units=UNITS)
    return folder


def _fail_on_call(monkeypatch, module, name, n):
    """Make ``module.name`` raise a DataError on its n-th call (1-based)."""
    real = getattr(module, name)
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise DataError("disk full (forced by the test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_impute_folder_failing_on_one_file_leaves_the_output_folder_as_it_was(
        capsys, tmp_path, wells_folder, monkeypatch):
    import geoae.io

    out = tmp_path / "filled"
    args = ("impute", wells_folder, "--curve", "PE", "--out", out, "--epochs", 2)
    code, _, err = run(capsys, *args)
    assert code == 0, err
    first = _snapshot(out)
    assert sorted(first) == ["w0.las", "w1.las", "w2.las"]
    # a rerun with --force (other fills: another seed) fails on its second file
    calls = _fail_on_call(monkeypatch, geoae.io, "write_las", 2)
    code, _, err = run(capsys, *args, "--force", "--seed", 7)
    assert code == 2 and "disk full" in err
    assert len(calls) == 2
    assert _snapshot(out) == first  # w0.las is the first run's again; nothing else there
    # into a new folder: the folder is gone again
    calls.clear()
    code, _, err = run(capsys, "impute", wells_folder, "--curve", "PE", "--out",
                       tmp_path / "new", "--epochs", 2)
    assert code == 2 and len(calls) == 2
    assert not (tmp_path / "new").exists()
    monkeypatch.undo()  # and the --force rerun, left to finish, replaces w0.las
    code, _, err = run(capsys, *args, "--force", "--seed", 7)
    assert code == 0, err
    assert _snapshot(out)["w0.las"] != first["w0.las"]


def test_detect_failing_on_a_figure_writes_neither_table_nor_intervals(capsys, tmp_path,
                                                                       wells_folder, monkeypatch):
    import geoae.plotting

    model = tmp_path / "model"
    code, _, err = run(capsys, "train", wells_folder, "--curves", ",".join(CURVES), "--epochs",
                       2, "--out", model, "--quiet")
    assert code == 0, err
    out = tmp_path / "det" / "flags.csv"
    out.parent.mkdir()
    (out.parent / "notes.txt").write_text("mine\n")
    _fail_on_call(monkeypatch, geoae.plotting, "figure_to_png_bytes", 2)
    code, _, err = run(capsys, "detect", model, wells_folder, "--out", out, "--plot")
    assert code == 2 and "disk full" in err
    assert _snapshot(out.parent) == {"notes.txt": b"mine\n"}
    monkeypatch.undo()
    code, _, err = run(capsys, "detect", model, wells_folder, "--out", out, "--plot")
    assert code == 0, err
    assert sorted(_snapshot(out.parent)) == ["flags.csv", "flags_SYN-01.png", "flags_SYN-02.png",
                                             "flags_SYN-03.png", "flags_intervals.csv", "notes.txt"]


@pytest.mark.skipif(not hasattr(__import__("os"), "kill") or __import__("os").name == "nt",
                    reason="sends SIGTERM with os.kill")
def test_a_stop_during_the_renames_of_a_set_lands_after_them():
    """signals_held (around train's moves of the model files, and an output set's taking
    back): a SIGTERM sent during the block is delivered after it."""
    import os
    import signal
    import threading
    import time

    from geoae._atomic import signals_held

    order = []

    def handler(signum, frame):
        order.append("signal")
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                # from another thread, as the kernel may deliver a scheduler's SIGTERM there
                t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM))
                t.start()
                t.join()
                time.sleep(0.05)
                order.append("first rename")
                order.append("last rename")
        assert order == ["first rename", "last rename", "signal"]
    finally:
        signal.signal(signal.SIGTERM, old)


def test_scoring_under_torchrun_is_done_by_rank_0_alone(capsys, tmp_path, wells_folder,
                                                        monkeypatch):
    """encode/reconstruct/detect/generate train nothing: under torchrun every rank did the
    whole work and wrote the same --out, and a rank finding it written by another failed with
    "exists". Now rank 0 does it (and says the work is not shared); the others stop, exit 0."""
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", wells_folder, "--curves", ",".join(CURVES), "--epochs",
                       1, "--out", model, "--quiet")
    assert code == 0, err
    out = tmp_path / "recon.csv"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    for args in (("reconstruct", model, wells_folder), ("encode", model, wells_folder),
                 ("detect", model, wells_folder)):
        code, stdout, err = run(capsys, *args, "--out", out, "--json")
        assert (code, stdout, err) == (0, "", "") and not out.exists()
    monkeypatch.setenv("RANK", "0")
    code, stdout, err = run(capsys, "reconstruct", model, wells_folder, "--out", out, "--json")
    assert code == 0 and out.is_file()
    assert "does not share its work between torchrun's processes" in err


@pytest.mark.parametrize("hard_links", [True, False])
def test_a_replaced_symbolic_link_comes_back_as_the_link(tmp_path, monkeypatch, hard_links):
    """With hard links (of the link itself) and without (a copy that does not follow it): a
    copy that followed the link gave back a file with the target's content, not the link."""
    import geoae._atomic as atomic

    if not hard_links:
        def no_links(*args, **kwargs):
            raise OSError("no hard links on this filesystem")

        monkeypatch.setattr(atomic.os, "link", no_links)
    target = tmp_path / "elsewhere.csv"
    target.write_text("theirs\n")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    with pytest.raises(RuntimeError), output_set() as claim:
        atomic_write_text(claim(link), "new\n")
        assert not link.is_symlink()  # replaced by the new file
        raise RuntimeError
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text() == "theirs\n"


def test_a_set_claims_a_file_once_whatever_the_path_and_refuses_when_no_copy_can_be_kept(
        tmp_path, monkeypatch):
    import errno
    import shutil

    import geoae._atomic as atomic

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    with pytest.raises(DataError, match="written twice"), output_set() as claim:
        claim(real / "a.csv")
        claim(tmp_path / "alias" / "a.csv")  # the same file, through a linked folder
    (real / "a.csv").write_text("old\n")

    def no_links(*args, **kwargs):
        raise OSError("no hard links on this filesystem")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "link", no_links)
    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(DataError, match="No space left"), output_set() as claim:
        atomic_write_text(claim(real / "a.csv"), "new\n")  # refused before it is replaced
    assert (real / "a.csv").read_text() == "old\n"


def test_a_file_that_cannot_be_put_back_does_not_stop_the_others(tmp_path, monkeypatch):
    """On Windows a file held open cannot be replaced (_replace gives up with a DataError): the
    taking back went on with none of the others, and removed the old content with the undo
    folder. Now the others are put back, a warning names the file, its old content is kept."""
    import geoae._atomic as atomic

    for name in "abc":
        (tmp_path / f"{name}.las").write_text(f"old {name}\n")
    real = atomic._replace

    def held_open(src, dst):
        if Path(dst).name == "b.las" and ".geoae-undo." in str(src):
            raise DataError(f"cannot replace {dst}: another program has it open")
        return real(src, dst)

    monkeypatch.setattr(atomic, "_replace", held_open)
    with pytest.raises(RuntimeError), pytest.warns(RuntimeWarning, match="could not put back"):
        with output_set() as claim:
            for name in "abc":
                atomic_write_text(claim(tmp_path / f"{name}.las"), f"new {name}\n")
            raise RuntimeError
    assert (tmp_path / "a.las").read_text() == "old a\n"
    assert (tmp_path / "c.las").read_text() == "old c\n"
    kept = [p for p in tmp_path.glob(".geoae-undo.*/*")]
    assert [p.read_text() for p in kept] == ["old b\n"]


def test_a_stop_before_the_taking_back_keeps_the_old_files(tmp_path, monkeypatch):
    """A second Ctrl-C landing as the taking back starts (before it holds the signals) cut it
    short, and the backups were removed with their folder all the same."""
    import contextlib

    import geoae._atomic as atomic

    (tmp_path / "a.las").write_text("old a\n")

    @contextlib.contextmanager
    def second_stop():
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(atomic, "signals_held", second_stop)
    with pytest.raises(KeyboardInterrupt):
        with output_set() as claim:
            atomic_write_text(claim(tmp_path / "a.las"), "new a\n")
            raise RuntimeError
    assert [p.read_text() for p in tmp_path.glob(".geoae-undo.*/*")] == ["old a\n"]


def test_train_moves_its_model_files_before_a_stop_lands(tmp_path, monkeypatch):
    """_replace_model's three moves (weights, transforms, config) are held together: a SIGTERM
    arriving after the first move is delivered after the last, so the folder is never left with
    new weights beside an old config."""
    import signal

    import geoae._atomic as atomic
    from geoae import AutoEncoder, load
    from geoae.workflows import _replace_model

    X = np.random.default_rng(0).normal(size=(64, 3))
    est = AutoEncoder(latent_dim=1, hidden=(4,), epochs=1, random_state=0).fit(X)
    out = tmp_path / "model"
    out.mkdir()
    real, moved = atomic._replace, []

    def move(src, dst):
        real(src, dst)
        if Path(dst).parent == out:  # (not the atomic writes into the temporary folder)
            moved.append(Path(dst).name)
            if len(moved) == 1:
                signal.raise_signal(signal.SIGTERM)

    def handler(signum, frame):
        moved.append("signal")
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_replace", move)
    old = signal.signal(signal.SIGTERM, handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            _replace_model(est, out, [], {})
    finally:
        signal.signal(signal.SIGTERM, old)
    assert moved[-1] == "signal" and len(moved) == 4
    assert np.allclose(load(out).reconstruct(X), est.reconstruct(X))


@pytest.mark.parametrize("command", ["impute", "features", "denoise"])
def test_only_rank_0_writes_what_a_distributed_command_trained(tmp_path, wells_folder,
                                                              monkeypatch, command):
    """Under torchrun impute, features and denoise train on every rank (DDP); every rank then
    wrote the same output. The other ranks now write nothing (simulated: a process that is not
    the main one, without a process group)."""
    import segyio

    from geoae import distributed, workflows
    from geoae.datasets import make_synthetic_seismic

    monkeypatch.setattr(distributed, "is_main_process", lambda: False)
    if command == "impute":
        out = tmp_path / "filled"
        summary = workflows.impute(wells_folder, "PE", out, epochs=1)
    elif command == "features":
        out = tmp_path / "features.csv"
        summary = workflows.features([wells_folder], out, curves=CURVES, epochs=1)
    else:
        sgy = tmp_path / "line.sgy"
        sei = make_synthetic_seismic(n_traces=24, n_samples=64, random_state=0)
        segyio.tools.from_array2D(str(sgy), sei.noisy.astype(np.float32), dt=2000)
        out = tmp_path / "den.sgy"
        summary = workflows.denoise([sgy], out, epochs=1)
    assert summary and not out.exists()
    monkeypatch.undo()  # the main process writes
    if command == "impute":
        workflows.impute(wells_folder, "PE", out, epochs=1)
    elif command == "features":
        workflows.features([wells_folder], out, curves=CURVES, epochs=1)
    else:
        workflows.denoise([sgy], out, epochs=1)
    assert out.exists()
