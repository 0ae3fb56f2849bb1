"""LAS interoperability found by a petrophysicist's audit: LAS 3.0 log definitions, depth headers
after dropped rows, vendor curves that share a name with geoae's outputs."""

from __future__ import annotations

import warnings

import lasio
import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae.io import read_las, write_las

LAS3 = """~Version
VERS.   3.0 : CWLS LOG ASCII STANDARD - VERSION 3.0
WRAP.   NO  : ONE LINE PER DEPTH STEP
DLM .   SPACE : DELIMITER
~Well
STRT.F  1000.0 : START
STOP.F  1002.0 : STOP
STEP.F  0.5 : STEP
NULL.   -999.25 : NULL
WELL.   TEST 1 : WELL
~Parameter
BHT .DEGF 150.0 : bottom hole temp
~Log_Definition
DEPT.F : depth {F}
GR  .GAPI : gamma {F}
RHOB.G/CC : density {F}
~Log_Data | Log_Definition
1000.0 82.5 2.38
1000.5 -999.25 2.34
1001.0 106.0 2.49
1001.5 54.6 2.33
1002.0 33.4 2.37
"""


def test_las3_log_definition_file_reads_like_lasio(tmp_path):
    """A LAS 3.0 file with ``~Log_Definition`` / ``~Log_Data`` sections (lasio reads it; the
    header-only read it makes first used to fail and stop the whole read)."""
    path = tmp_path / "las3.las"
    path.write_text(LAS3)
    df = read_las(path)
    ref = lasio.read(str(path)).df()
    assert list(df.columns) == ["GR", "RHOB"]
    np.testing.assert_array_equal(df.index.to_numpy(), ref.index.to_numpy())
    np.testing.assert_array_equal(df.to_numpy(), ref.to_numpy())  # -999.25 is NaN in both
    assert np.isnan(df["GR"].iloc[1])
    out = write_las(df, tmp_path / "out.las", template=path)
    back = lasio.read(str(out))
    np.testing.assert_allclose(back["RHOB"], df["RHOB"].to_numpy())


def test_dropped_null_depth_rows_recompute_the_depth_header(tmp_path):
    """Rows whose depth is the NULL value are dropped on reading: the written file's STOP/STEP
    must describe the depths it holds, not the source's (which implied every row)."""
    n, step = 40, 0.5
    depth = 100.0 + step * np.arange(n)
    rng = np.random.default_rng(0)
    las = lasio.LASFile()
    las.well["NULL"].value = -999.25
    shown = depth.copy()
    shown[[5, 6, n - 1]] = -999.25  # two rows inside, and the last one
    las.append_curve("DEPT", shown, unit="M")
    las.append_curve("GR", rng.normal(80, 10, n), unit="GAPI")
    las.well["STRT"].value, las.well["STOP"].value, las.well["STEP"].value = 100.0, depth[-1], step
    src = tmp_path / "nulldepth.las"
    las.write(str(src), version=2.0)
    with pytest.warns(UserWarning, match="dropped 3 row"):
        df = read_las(src)
    out = write_las(df, tmp_path / "out.las", template=src)
    back = lasio.read(str(out))
    assert len(back.index) == n - 3
    assert back.well["STOP"].value == pytest.approx(depth[-2])
    assert back.well["STEP"].value == 0  # a gap inside: irregular sampling


def test_a_vendor_curve_named_like_an_output_is_kept(capsys, tmp_path):
    """A LAS file with a vendor's ``FLAG`` curve (a QC flag): ``geoae detect`` used to replace
    its data and description silently. It is kept; geoae's flag is ``FLAG_GEOAE``; a second
    run on that output replaces ``FLAG_GEOAE`` (geoae's own) and still keeps the vendor's."""
    from geoae.datasets import make_synthetic_wells

    curves = ["GR", "RHOB", "NPHI", "DT"]
    frame = make_synthetic_wells(n_wells=1, n_samples=300, random_state=4, faults=False).clean
    las = lasio.LASFile()
    las.append_curve("DEPT", frame["DEPTH"].to_numpy(), unit="M")
    for c in curves:
        las.append_curve(c, frame[c].to_numpy())
    vendor = (np.arange(len(frame)) % 7 == 0).astype(float)
    las.append_curve("FLAG", vendor, descr="Vendor QC flag (bad hole)")
    src = tmp_path / "well.las"
    las.write(str(src), version=2.0)
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", src, "--curves", ",".join(curves), "--epochs", 3,
                       "--out", model)
    assert code == 0, err
    out = tmp_path / "flags.las"
    code, _, err = run(capsys, "detect", model, src, "--out", out)
    assert code == 0, err
    assert "FLAG ('Vendor QC flag (bad hole)')" in err and "FLAG_GEOAE" in err
    got = lasio.read(str(out))
    np.testing.assert_array_equal(got["FLAG"], vendor)
    assert got.curves["FLAG"].descr == "Vendor QC flag (bad hole)"
    assert set(np.unique(got["FLAG_GEOAE"])) <= {0.0, 1.0}
    assert "geoae" in got.curves["FLAG_GEOAE"].descr
    again = tmp_path / "again.las"
    code, _, err = run(capsys, "detect", model, out, "--out", again)
    assert code == 0, err
    names = [c.mnemonic for c in lasio.read(str(again)).curves]
    assert names.count("FLAG_GEOAE") == 1 and "FLAG_GEOAE2" not in names
    np.testing.assert_array_equal(lasio.read(str(again))["FLAG"], vendor)


def test_geoae_own_curves_are_still_replaced(capsys, tmp_path):
    """An earlier run's ``GR_RECON`` (described by geoae) is replaced, not renamed."""
    from geoae.datasets import make_synthetic_wells

    frame = make_synthetic_wells(n_wells=1, n_samples=200, random_state=5, faults=False).clean
    one = frame.set_index("DEPTH")[["GR", "RHOB", "NPHI"]]
    one.index.name = "DEPT"
    src = write_las(one, tmp_path / "w.las")
    model = tmp_path / "m"
    assert run(capsys, "train", src, "--curves", "GR,RHOB,NPHI", "--epochs", 2, "--out", model)[0] == 0
    first = tmp_path / "r1.las"
    assert run(capsys, "reconstruct", model, src, "--out", first)[0] == 0
    second = tmp_path / "r2.las"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = run(capsys, "reconstruct", model, first, "--out", second)
    assert code == 0, err
    assert "GEOAE" not in err
    names = [c.mnemonic for c in lasio.read(str(second)).curves]
    assert names.count("GR_RECON") == 1 and not any(n.endswith("_GEOAE") for n in names)
    a, b = lasio.read(str(first)), lasio.read(str(second))
    np.testing.assert_allclose(pd.Series(a["GR_RECON"]), pd.Series(b["GR_RECON"]), rtol=1e-6)


def test_a_cp1252_file_is_written_back_in_cp1252(tmp_path):
    """Accented header text of a Windows (cp1252) LAS file came back as UTF-8, which readers
    that guess the encoding (lasio without chardet, Windows software) show as two characters
    per accent. The output keeps the source's single-byte encoding; a character it cannot hold
    makes the file UTF-8."""
    text = LAS3.replace("VERS.   3.0 : CWLS LOG ASCII STANDARD - VERSION 3.0",
                        "VERS.   2.0 : CWLS LOG ASCII STANDARD - VERSION 2.0")
    text = text.replace("~Log_Definition", "~Curve").replace("~Log_Data | Log_Definition", "~ASCII")
    text = text.replace("WELL.   TEST 1 : WELL",
                        "WELL.   TEST 1 : WELL\nCOMP.   SOCIÉTÉ PÉTROLIÈRE : COMPANY")
    src = tmp_path / "cp.las"
    src.write_bytes(text.encode("cp1252"))
    df = read_las(src)
    assert df.attrs["encoding"] == "cp1252"
    out = write_las(df, tmp_path / "out.las", template=src)
    raw = out.read_bytes()
    assert "SOCIÉTÉ PÉTROLIÈRE".encode("cp1252") in raw
    raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert read_las(out).attrs["well"]["COMP"] == "SOCIÉTÉ PÉTROLIÈRE"
    df2 = df.copy()
    df2.attrs = dict(df.attrs)
    df2["GR"] = df2["GR"]
    out2 = write_las(df2, tmp_path / "out2.las", template=src,
                     descriptions={"GR": "gamma ray, Ω-free ✓"})  # no cp1252 place for ✓
    assert "✓" in out2.read_bytes().decode("utf-8")
    assert read_las(out2).attrs["well"]["COMP"] == "SOCIÉTÉ PÉTROLIÈRE"
