"""Windows and macOS behaviour found by a portability review (fifteenth session), simulated
on Linux: an Apple GPU without float64, files held open by another program, a cp1252 pipe,
folders the process cannot write, classic Mac line ends."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import geoae
from geoae import _atomic
from geoae.errors import DataError


class _FakeMps:
    """A tensor on an Apple GPU: ``double()`` fails there (MPS has no float64)."""

    def __init__(self, values):
        self.values = torch.as_tensor(values, dtype=torch.float32)
        self.device = type("Device", (), {"type": "mps"})()

    def double(self):
        raise TypeError("Cannot convert a MPS Tensor to float64 dtype as the MPS framework "
                        "doesn't support float64")

    def cpu(self):
        return self.values


def test_epoch_sums_are_taken_on_the_cpu_for_an_apple_gpu():
    """Every training epoch ended in TypeError on Apple Silicon with device='auto'."""
    from geoae.training import as_float64

    out = as_float64(_FakeMps([1.5, 2.5]))
    assert out.dtype == torch.float64 and out.device.type == "cpu"
    assert out.tolist() == [1.5, 2.5]
    cpu = torch.tensor([1.0], dtype=torch.float32)
    assert as_float64(cpu).dtype == torch.float64


def test_a_file_held_open_is_retried_then_named(monkeypatch, tmp_path):
    """Windows refuses to replace a file another program holds open: it was 'unexpected
    error ... please report it'; now retried (a scan of a file just written passes), then a
    DataError saying so."""
    import time

    monkeypatch.setattr(_atomic, "_WINDOWS", True)
    monkeypatch.setattr(time, "sleep", lambda s: None)
    real = os.replace
    calls = {"n": 0}

    def busy(n):
        def replace(src, dst):
            calls["n"] += 1
            if calls["n"] <= n:
                raise PermissionError(13, "The process cannot access the file")
            return real(src, dst)
        return replace

    dest = tmp_path / "out.csv"
    dest.write_text("old\n")
    monkeypatch.setattr(os, "replace", busy(3))
    _atomic.atomic_write_text(dest, "new\n")
    assert dest.read_text() == "new\n" and calls["n"] == 4

    calls["n"] = 0
    monkeypatch.setattr(os, "replace", busy(10**6))
    with pytest.raises(DataError, match="another program has it open"):
        _atomic.atomic_write_text(dest, "newer\n")
    assert dest.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left


def test_a_permission_error_is_raised_at_once_off_windows(monkeypatch, tmp_path):
    monkeypatch.setattr(_atomic, "_WINDOWS", False)

    def denied(src, dst):
        raise PermissionError(13, "denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(PermissionError):
        _atomic.atomic_write_text(tmp_path / "x.txt", "x")


def test_a_cp1252_pipe_gets_escapes_not_a_failure(monkeypatch, tmp_path):
    """On Windows a redirected stdout is cp1252 with strict errors: a well or path with 'Ł'
    made a finished command exit 1 ('unexpected error (UnicodeEncodeError ...)')."""
    from geoae.cli import main

    folder = tmp_path / "modelŁ"
    geoae.AutoEncoder(latent_dim=2, epochs=1, random_state=0).fit(
        pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["GR", "RHOB", "NPHI"])
    ).save(folder)
    raw = io.BytesIO()
    pipe = io.TextIOWrapper(raw, encoding="cp1252", errors="strict")
    monkeypatch.setattr(sys, "stdout", pipe)
    code = main(["info", str(folder)])
    pipe.flush()
    assert code == 0
    assert b"model" in raw.getvalue()
    assert pipe.errors == "strict"  # put back as it was


def test_an_unwritable_folder_is_found_before_the_work(monkeypatch, tmp_path):
    """os.access ignores a folder's permissions on Windows: the check now makes a file."""
    import tempfile

    from geoae.workflows import check_writable

    check_writable(tmp_path / "new" / "deeper")  # fine, and leaves nothing behind
    assert list(tmp_path.iterdir()) == []

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(DataError, match="is not writable"):
        check_writable(tmp_path)


def test_a_lock_that_cannot_be_made_is_a_data_error(monkeypatch, tmp_path):
    """'unexpected error (PermissionError ... .geoae-train.lock)' on a protected folder."""
    from geoae.workflows import _TrainLock

    real = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Access is denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(DataError, match="cannot write into the model folder"):
        _TrainLock(tmp_path / "m").acquire()


def test_a_las_file_with_classic_mac_line_ends_reads(tmp_path):
    """CR-only line ends: 'lasio read the header but not the data'."""
    from geoae.io.las import read_las

    text = ("~Version\nVERS. 2.0:\nWRAP. NO:\n~Well\nNULL. -999.25:\n~Curve\nDEPT.M :\n"
            "GR.API :\n~A\n100.0 50.0\n100.5 -999.25\n101.0 70.0\n")
    path = tmp_path / "mac.las"
    path.write_bytes(text.replace("\n", "\r").encode())
    df = read_las(path)
    assert df.index.tolist() == [100.0, 100.5, 101.0]
    np.testing.assert_array_equal(df["GR"].to_numpy(), [50.0, np.nan, 70.0])


def test_signals_that_end_a_command_include_sigbreak_where_it_exists():
    import signal

    from geoae.cli import _END_SIGNALS

    assert signal.SIGINT in _END_SIGNALS and signal.SIGTERM in _END_SIGNALS
    if hasattr(signal, "SIGBREAK"):  # Windows
        assert signal.SIGBREAK in _END_SIGNALS
