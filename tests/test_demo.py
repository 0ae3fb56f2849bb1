"""`geoae demo --fast`: runs end to end, writes a complete report and valid output files."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoae.cli import main

SECTIONS = ["Imputation of a missing PE log", "Tool faults flagged by reconstruction error",
            "Latent space beside PCA", "Synthetic logs from a VAE", "Seismic denoising",
            "Facies with the encoder as a feature extractor",
            "Training curves"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo", "--fast", "--out", str(out), "--json"])
    assert code == 0
    return out, json.loads(buf.getvalue())


@pytest.mark.slow
def test_demo_report_has_every_section_and_valid_images(demo):
    out, summary = demo
    html = (out / "report.html").read_text()
    for heading in SECTIONS:
        assert heading in html, heading
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 6
    import matplotlib.image as mpimg

    for b64 in images:
        raw = base64.b64decode(b64)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        img = mpimg.imread(io.BytesIO(raw), format="png")
        assert img.shape[0] > 50 and img.shape[1] > 50 and float(img.std()) > 0.01
    assert 'id="metrics"' in html


@pytest.mark.slow
def test_demo_metrics_are_numbers_against_baselines(demo):
    _, summary = demo
    metrics = summary["metrics"]
    assert len(metrics) == 6
    for m in metrics:
        assert np.isfinite(m["geoae"]) and np.isfinite(m["baseline"]) and m["baseline_name"]


@pytest.mark.slow
def test_demo_output_files_are_valid(demo):
    out, summary = demo
    from geoae.io import read_las, read_segy

    las = read_las(out / "kansas_shrimplin_pe_imputed.las")
    assert {"PE", "PE_IMPUTED", "PE_IMPUTED_STD"} <= set(las.columns)
    assert las["PE_IMPUTED"].notna().all() and (las["PE_IMPUTED_STD"] >= 0).all()
    noisy, clean = read_segy(out / "synthetic_noisy.sgy"), read_segy(out / "synthetic_denoised.sgy")
    assert noisy.traces.shape == clean.traces.shape
    raw_in = (out / "synthetic_noisy.sgy").read_bytes()
    raw_out = (out / "synthetic_denoised.sgy").read_bytes()
    assert raw_in[:3600] == raw_out[:3600]  # textual and binary headers kept
    scores = pd.read_csv(out / "synthetic_wells_anomalies.csv")
    assert {"ANOMALY_SCORE", "FLAG"} <= set(scores.columns)
    facies = pd.read_csv(out / "kansas_facies_features.csv")
    from geoae.datasets import load_kansas_facies

    assert len(facies) == len(load_kansas_facies()) and facies["CONTEXT_CODE"].notna().all()
    # the metric is the mean over wells of the per-well macro-F1 of these predictions
    from sklearn.metrics import f1_score

    row = next(m for m in summary["metrics"] if m["task"].startswith("Facies"))
    per_well = [f1_score(g["Facies"], g["FACIES_WITH_CODE"], average="macro")
                for _, g in facies.groupby("WELL")]
    assert row["geoae"] == pytest.approx(np.mean(per_well), abs=1e-12)
    assert set(facies["FACIES_RAW"]) <= set(range(1, 10))


@pytest.mark.slow
def test_demo_writes_its_listed_files_and_refuses_to_replace_them_without_force(demo, capsys):
    """`geoae demo` replaced the files of an earlier run without --force (every other command
    refuses to); it stops now, before any work, naming the file."""
    out, summary = demo
    from geoae.demo import OUTPUT_FILES

    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert summary["files"] == [str(out / name) for name in OUTPUT_FILES]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code = main(["demo", "--fast", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: output ") and "exists" in err and "--force" in err
    assert "another --out folder" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_demo_refuses_an_existing_output_file_unless_force(tmp_path, capsys, monkeypatch):
    import geoae.demo as demo_module

    out = tmp_path / "d"
    out.mkdir()
    (out / "vae_samples.csv").write_text("mine\n")
    (out / "notes.txt").write_text("not the demo's\n")
    code = main(["demo", "--fast", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.strip() == (f"error: output {out / 'vae_samples.csv'} exists; pass "
                                         "--force to replace the demo's files, or choose another "
                                         "--out folder")
    assert (out / "vae_samples.csv").read_text() == "mine\n"
    ran = []
    monkeypatch.setattr(demo_module, "_run", lambda *a: ran.append(a) or {"metrics": []})
    assert demo_module.run_demo(out, fast=True, force=True) == {"metrics": []} and ran


def test_demo_tables_are_written_atomically(tmp_path, monkeypatch):
    """The demo's CSV tables went straight to their files, so an interrupted demo could leave
    half a table; now a failing write leaves the earlier file as it was and no temporary file."""
    from geoae import demo as demo_module

    stages = demo_module._Stages(tmp_path, fast=True, seed=0, log=lambda _: None)
    name = "vae_samples.csv"
    (tmp_path / name).write_text("old\n")

    def half_then_fail(self, path, **kwargs):
        Path(path).write_text("partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        stages.write_csv(pd.DataFrame({"A": [1.0]}), name)
    assert (tmp_path / name).read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    monkeypatch.undo()
    stages.write_csv(pd.DataFrame({"A": [1.0, 2.0]}), name)
    assert pd.read_csv(tmp_path / name)["A"].tolist() == [1.0, 2.0]
