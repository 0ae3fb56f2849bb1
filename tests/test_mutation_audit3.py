"""Tests from a third mutation audit, of the modules the first two rounds left out: the command
line (cli.py), the HTML report, the figures, the SEG-Y writing paths and the output writing of
the commands. Of 77 one-line mutants, 25 passed the relevant tests while changing what a user
gets. Each test here fails on one of those 25 (the comment above it names the mutant's effect)
and passes on the code as it is."""

from __future__ import annotations

import json
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae import report as gr
from geoae.errors import DataError


def _small_table(path, n: int = 120, resistivity: bool = False):
    """A seeded table of three (or, with ``resistivity``, four) curves, written as CSV."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"DEPTH": 1000.0 + 0.5 * np.arange(n), "GR": rng.normal(60, 10, n),
                          "RHOB": rng.normal(2.4, 0.1, n), "NPHI": rng.normal(0.2, 0.05, n)})
    if resistivity:
        frame["RT"] = 10 ** rng.normal(1.0, 0.3, n)
        frame.loc[10:19, "RT"] = np.nan  # gaps to fill
    frame.to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------------------------
# cli.py
# ----------------------------------------------------------------------------------------------
# C1: --json turns every non-finite float (inf as well as NaN) into null; inf crashed json.dumps
def test_json_summary_writes_inf_and_nan_as_null(capsys, monkeypatch):
    import geoae.workflows as wf

    monkeypatch.setattr(wf, "info", lambda model: {"threshold": float("inf"),
                                                    "loss": [float("nan"), 1.5, float("-inf")]})
    code, out, err = run(capsys, "info", "some-model", "--json")
    assert code == 0, err
    assert json.loads(out) == {"threshold": None, "loss": [None, 1.5, None]}


# C2: --quiet prints no summary table on stdout
def test_quiet_prints_no_summary(capsys, monkeypatch):
    import geoae.workflows as wf

    monkeypatch.setattr(wf, "encode", lambda *a, **k: {"rows": 12345, "out": "codes.csv"})
    code, out, _ = run(capsys, "encode", "m", "d.csv", "--out", "codes.csv", "--quiet")
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "encode", "m", "d.csv", "--out", "codes.csv")
    assert code == 0 and "12345" in out  # the control: without --quiet the table is printed


# C4: train --json shows no progress bar (a script reads JSON; stderr stays clean)
def test_train_json_has_no_progress_bar(capsys, tmp_path):
    data = _small_table(tmp_path / "t.csv")
    code, out, err = run(capsys, "train", data, "--epochs", 2, "--latent", 1, "--curves", "GR,RHOB",
                         "--out", tmp_path / "m", "--json")
    assert code == 0, err
    assert json.loads(out)  # stdout is the JSON alone
    assert "2/2" not in err and "epoch" not in err.lower()


# C7: impute --no-log10 is passed on: no curve is modelled as log10
def test_impute_no_log10_is_honoured(capsys, tmp_path):
    data = _small_table(tmp_path / "t.csv", resistivity=True)
    code, out, err = run(capsys, "impute", data, "--curve", "RT", "--epochs", 1, "--no-log10",
                         "--out", tmp_path / "o.csv", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert "RT" in summary["inputs"] and summary["log10_curves"] == []
    assert summary["filled"] == 10


# C11: the "error" of a --json failure is the message without the "error: " prefix of stderr
def test_json_error_field_is_the_message_without_its_prefix(capsys, tmp_path):
    code, out, err = run(capsys, "info", tmp_path / "no-such-model", "--json")
    said = json.loads(out)
    assert code == 2 and said["exit_code"] == 2
    assert not said["error"].startswith("error")
    assert err.strip() == f"error: {said['error']}"


# C27: a warning whose text spans several lines is said on one line of stderr
def test_a_multi_line_warning_is_one_line(capsys, monkeypatch):
    import warnings

    import geoae.workflows as wf

    def warns(model):
        warnings.warn("mutation audit 3: first line\n    second   line", UserWarning, stacklevel=1)
        return {"rows": 1}

    monkeypatch.setattr(wf, "info", warns)
    code, _, err = run(capsys, "info", "some-model")
    assert code == 0
    assert err.splitlines() == ["warning: mutation audit 3: first line second line"]


# W1: the TRACE column of a per-trace table counts on past the first chunk of 8192 traces
def test_segy_trace_table_numbers_traces_across_chunks(capsys, tmp_path):
    segyio = pytest.importorskip("segyio")
    import geoae

    rng = np.random.default_rng(0)
    small, big = tmp_path / "small.sgy", tmp_path / "big.sgy"
    segyio.tools.from_array2D(str(small), rng.normal(size=(64, 8)).astype(np.float32), dt=2000)
    traces = rng.normal(size=(8200, 8)).astype(np.float32)
    segyio.tools.from_array2D(str(big), traces, dt=2000)
    code, _, err = run(capsys, "train", small, "--latent", 2, "--epochs", 1, "--out",
                       tmp_path / "m", "--quiet")
    assert code == 0, err
    code, _, err = run(capsys, "reconstruct", tmp_path / "m", big, "--out", tmp_path / "e.csv",
                       "--quiet")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "e.csv")
    np.testing.assert_array_equal(table["TRACE"].to_numpy(), np.arange(8200))
    errors = geoae.load(tmp_path / "m").reconstruction_error(traces)
    np.testing.assert_allclose(table["RECON_ERROR"].to_numpy(), errors, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------------------------
# report.py
# ----------------------------------------------------------------------------------------------
def _body(html: str) -> str:
    return html[html.index("<tbody>"):html.index("</tbody>")]


# R3: +inf is shown as "inf" and -inf as "-inf" (the signs were swapped)
def test_report_infinities_keep_their_sign():
    html = gr.render_html(title="T", metrics=[{"task": "a", "metric": "m", "geoae": float("inf"),
                                              "baseline": float("-inf")}])
    assert '<td class="num">inf</td><td class="num">-inf</td>' in _body(html)


# R5: the metrics table puts task, metric, geoae, baseline, baseline name, target, met first
def test_report_metrics_columns_in_the_documented_order():
    html = gr.render_html(title="T", metrics=[{"extra": 1, "met": True, "target": 0.2,
                                              "geoae": 0.1, "metric": "RMSE", "task": "t"}])
    heads = re.findall(r'<th scope="col">([^<]*)</th>', html)
    assert heads == ["task", "metric", "geoae", "target", "met", "extra"]


# R6: a table of exactly max_rows rows is shown whole, without a "first N rows" note
def test_report_table_truncation_note_only_past_max_rows():
    three = gr._table_html(pd.DataFrame({"a": [1, 2, 3]}), max_rows=3)
    assert three.count("<tr>") == 4 and "rows shown" not in three  # header + 3 rows
    four = gr._table_html(pd.DataFrame({"a": [1, 2, 3, 4]}), max_rows=3)
    assert four.count("<tr>") == 4 and "First 3 of 4 rows shown." in four


# R7: depth columns are printed in full whatever their case (DEPTH, TOP as tables name them)
def test_report_upper_case_depth_columns_are_printed_in_full():
    html = gr._table_html(pd.DataFrame({"WELL": ["A"], "DEPTH": [5003.5], "TOP": [12003.25],
                                        "GR": [12.345678]}), precision=4)
    assert ">5003.5<" in html and ">12003.25<" in html and ">12.35<" in html


# R11: three sections with one heading get three distinct anchors
def test_report_repeated_headings_get_distinct_anchors():
    html = gr.render_html(title="T", sections=[{"heading": "Same"}] * 3)
    assert re.findall(r'<section id="([^"]+)"', html) == ["same", "same-2", "same-3"]


# R15: the report gets the permissions a plain open() gives (0666 minus the octal umask)
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_report_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = gr.build_report(tmp_path / "r.html", title="T")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# R9: a single line break stays inside its paragraph (<br>); a blank line starts a new one
def test_report_text_line_breaks_and_paragraphs():
    html = gr.render_html(title="T", sections=[{"heading": "h", "text": "one\ntwo\n\nthree"}])
    assert "<p>one<br>two</p><p>three</p>" in html


# R16: one PNG given as bytes (not in a list) is one figure
def test_report_a_single_png_bytes_figure():
    import base64

    from matplotlib.figure import Figure

    from geoae.plotting import figure_to_png_bytes

    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    png = figure_to_png_bytes(fig, dpi=20)
    html = gr.render_html(title="T", sections=[gr.Section("h", figures=png)])
    assert re.findall(r'src="data:image/png;base64,([^"]+)"', html) == [base64.b64encode(png).decode()]


# ----------------------------------------------------------------------------------------------
# plotting.py
# ----------------------------------------------------------------------------------------------
def _band_depths(fig, gid: str) -> list[tuple[float, float]]:
    """(top, base) of each band drawn with ``gid`` on the first axes."""
    spans = []
    for coll in fig.axes[0].collections:
        if coll.get_gid() == gid:
            for path in coll.get_paths():
                y = path.vertices[:, 1]
                spans.append((float(y.min()), float(y.max())))
    return spans


# P4: with a score and a threshold, the shaded samples are those strictly above the threshold
def test_log_tracks_shades_scores_strictly_above_the_threshold():
    from geoae.plotting import log_tracks

    depth = 100.0 + np.arange(10)
    score = np.array([0, 0, 1, 1, 2, 0, 0, 0, 0, 0], dtype=float)
    fig = log_tracks(depth, pd.DataFrame({"GR": np.linspace(40, 80, 10)}), anomaly_score=score,
                     threshold=1.0)
    assert _band_depths(fig, "flagged-interval") == [(103.5, 104.5)]


# P9: a (top, base) interval given base first (a log recorded upward) is shaded over its span
def test_log_tracks_shades_an_interval_given_base_first():
    from geoae.plotting import log_tracks

    depth = 100.0 + np.arange(10)
    fig = log_tracks(depth, pd.DataFrame({"GR": np.linspace(40, 80, 10)}),
                     flagged_intervals=[(105.0, 103.0)])
    assert _band_depths(fig, "flagged-interval") == [(102.5, 105.5)]


# P17: the "best epoch" line sits on the 1-based epoch axis (best_epoch is 0-based)
def test_training_curves_best_epoch_line_is_on_the_one_based_axis():
    from geoae.plotting import training_curves

    fig = training_curves({"loss": [3.0, 2.0, 1.0, 1.5], "best_epoch": [2]})
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "best epoch"]
    assert len(lines) == 1
    np.testing.assert_array_equal(lines[0].get_xdata(), [3, 3])
    epochs = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "train"][0].get_xdata()
    np.testing.assert_array_equal(epochs, [1, 2, 3, 4])  # the minimum, 1.0, is at epoch 3


# P7: the band around imputed values is +-2 standard deviations
def test_log_tracks_imputed_band_is_two_sigma():
    from geoae.plotting import log_tracks

    depth = 100.0 + np.arange(10)
    gr_ = np.full(10, 100.0)
    gr_[4:6] = np.nan
    imputed = pd.DataFrame({"GR": np.full(10, 50.0)})
    std = pd.DataFrame({"GR": np.full(10, 5.0)})
    fig = log_tracks(depth, pd.DataFrame({"GR": gr_}), imputed=imputed, imputed_std=std,
                     log_scale_curves=())
    bands = [c for c in fig.axes[0].collections if c.get_gid() == "imputed-band"]
    assert len(bands) == 1
    x = np.concatenate([p.vertices[:, 0] for p in bands[0].get_paths()])
    assert (x.min(), x.max()) == (40.0, 100.0)  # 50 - 2 * 5 at the gap; the log (100) beside it


# ----------------------------------------------------------------------------------------------
# io/segy.py, writing
# ----------------------------------------------------------------------------------------------
def _template(path, traces, fmt: int = 5):
    segyio = pytest.importorskip("segyio")
    segyio.tools.from_array2D(str(path), np.asarray(traces), format=fmt, dt=2000)
    return path


# S4: the NaN error of write_segy names the first bad trace
def test_write_segy_nan_error_names_the_first_bad_trace(tmp_path):
    from geoae.io import write_segy

    tpl = _template(tmp_path / "t.sgy", np.zeros((5, 4), np.float32))
    new = np.ones((5, 4))
    new[1, 2] = np.nan
    new[3, 0] = np.inf
    with pytest.raises(DataError, match=r"first at trace 1\)"):
        write_segy(new, tmp_path / "o.sgy", tpl)
    assert not (tmp_path / "o.sgy").exists()


# S7: a value below an integer format's range is refused as one above it is (not wrapped around)
def test_write_segy_refuses_values_below_an_integer_formats_range(tmp_path):
    from geoae.io import read_segy, write_segy

    tpl = _template(tmp_path / "i16.sgy", np.zeros((3, 4), np.int16), fmt=3)
    ok = np.full((3, 4), -32768.0)
    np.testing.assert_array_equal(read_segy(write_segy(ok, tmp_path / "ok.sgy", tpl)).traces, ok)
    bad = ok.copy()
    bad[2, 1] = -40000.0  # int16 would wrap it to 25536
    with pytest.raises(DataError, match=r"-32768 to 32767; first at trace 2\)"):
        write_segy(bad, tmp_path / "bad.sgy", tpl)
    assert not (tmp_path / "bad.sgy").exists()


# S11: SegyUpdater.write refuses a negative start (segyio would write from the last trace back)
def test_update_segy_refuses_a_negative_start(tmp_path):
    from geoae.io import read_segy, update_segy

    traces = np.arange(20, dtype=np.float32).reshape(5, 4)
    tpl = _template(tmp_path / "t.sgy", traces)
    with pytest.raises(DataError, match=r"traces -1-0 are outside 0-4"):
        with update_segy(tmp_path / "o.sgy", tpl) as out:
            out.write(-1, np.full((2, 4), 7.0))
    assert not (tmp_path / "o.sgy").exists()
    with update_segy(tmp_path / "o.sgy", tpl) as out:  # the control: a valid start is written
        out.write(3, np.full((2, 4), 7.0))
    expected = traces.copy()
    expected[3:] = 7.0
    np.testing.assert_array_equal(read_segy(tmp_path / "o.sgy").traces, expected)


# S18: write_segy writes through a temporary file: a failure leaves an existing output as it was
def test_write_segy_failure_leaves_the_previous_output_untouched(tmp_path, monkeypatch):
    import geoae.io.segy as gs

    tpl = _template(tmp_path / "t.sgy", np.zeros((3, 4), np.float32))
    out = tmp_path / "o.sgy"
    out.write_bytes(b"previous output")

    def broken(*args, **kwargs):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(gs, "_open", broken)
    with pytest.raises(DataError, match="cannot write the SEG-Y file"):
        gs.write_segy(np.ones((3, 4)), out, tpl)
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.sgy", "t.sgy"]


# S12: the NaN error of a streamed chunk names the file's trace, not the chunk's row
def test_update_segy_nan_error_names_the_files_trace(tmp_path):
    from geoae.io import update_segy

    tpl = _template(tmp_path / "t.sgy", np.zeros((6, 4), np.float32))
    chunk = np.ones((3, 4))
    chunk[1, 0] = np.nan
    with pytest.raises(DataError, match=r"first at trace 3\)"):
        with update_segy(tmp_path / "o.sgy", tpl) as out:
            out.write(2, chunk)
    assert not (tmp_path / "o.sgy").exists()


# S17: a chunk with another number of samples than the template's is refused
def test_update_segy_refuses_a_chunk_of_other_length(tmp_path):
    from geoae.io import update_segy

    tpl = _template(tmp_path / "t.sgy", np.zeros((6, 4), np.float32))
    with pytest.raises(DataError, match=r"chunk of shape \(2, 3\); expected \(k, 4\)"):
        with update_segy(tmp_path / "o.sgy", tpl) as out:
            out.write(0, np.ones((2, 3)))
    assert not (tmp_path / "o.sgy").exists()


def test_write_segy_refuses_a_cube_for_a_pre_stack_template(shared_data, tmp_path):
    """The cube's shape was compared with (inlines, crosslines, samples) only: a cube of that
    shape for a pre-stack template (2 offsets) ended in numpy's raw 'cannot reshape'."""
    from geoae.io import read_segy, write_segy

    src = shared_data / "segy-samples" / "small-ps.sgy"
    if not src.exists():
        pytest.skip(f"{src} not present (../shared/data)")
    d = read_segy(src)
    with pytest.raises(DataError, match="pre-stack"):
        write_segy(np.zeros((*d.shape, d.n_samples)), tmp_path / "o.sgy", src)


@pytest.mark.parametrize("fmt, value", [(6, 0.1), (2, 20_000_001.0)])
def test_write_segy_keeps_the_precision_of_8_byte_floats_and_large_integers(tmp_path, fmt,
                                                                            value):
    """Samples were cast to float32 before they were put in the template's format: 0.1 in an
    8-byte float file read back as 0.10000000149, and 20,000,001 in an int32 file as
    20,000,000."""
    import segyio

    from geoae.io import update_segy, write_segy

    src = tmp_path / "t.sgy"
    segyio.tools.from_array2D(str(src), np.zeros((2, 3)), format=fmt)
    x = np.full((2, 3), value)
    write_segy(x, tmp_path / "o.sgy", src)
    with update_segy(tmp_path / "u.sgy", src) as out:
        out.write(0, x)
    for name in ("o.sgy", "u.sgy"):
        with segyio.open(tmp_path / name, ignore_geometry=True) as f:
            assert f.trace.raw[:].astype(np.float64).tolist() == x.tolist()
