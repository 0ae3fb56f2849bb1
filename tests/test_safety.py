"""Data safety against odd or hostile inputs (an audit): tampered application folders, names
that matplotlib or a LAS header would misread, the mode of a replaced output."""

from __future__ import annotations

import json
import os
import resource
import stat

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae import ConfigError


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tamper(folder, edit):
    cfg = json.loads((folder / "config.json").read_text())
    edit(cfg)
    (folder / "config.json").write_text(json.dumps(cfg))


def test_a_tampered_denoiser_folder_is_refused_before_building_the_network(tmp_path):
    """Editing config.json alone (weights and their hash intact) made Denoiser.load build a
    network of 8000-wide layers (7.6 GB) before comparing a single shape."""
    from geoae import Denoiser
    from geoae.datasets import make_synthetic_seismic

    sei = make_synthetic_seismic(n_traces=16, n_samples=64, snr_db=5.0, random_state=0)
    den = Denoiser(window=32, stride=16, epochs=1, random_state=0).fit(sei.noisy)
    folder = den.save(tmp_path / "den")
    Denoiser.load(folder)  # loads as saved
    _tamper(folder, lambda c: c["params"].update(hidden=[200_000, 200_000]))
    before = _peak_mb()
    with pytest.raises(ConfigError, match="tensor .* has shape .* the config implies"):
        Denoiser.load(folder)
    assert _peak_mb() - before < 500  # the real network would take about 1 TB


def test_a_tampered_imputer_folder_is_refused_before_building_the_network(tmp_path):
    from geoae import DenoisingAutoEncoder, Imputer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["A", "B", "C"])
    X.iloc[::5, 1] = np.nan
    imp = Imputer(model=DenoisingAutoEncoder(hidden=(8,), latent_dim=2, epochs=1), n_ensemble=1,
                  random_state=0).fit(X)
    folder = imp.save(tmp_path / "imp")
    _tamper(folder, lambda c: c["model"]["params"].update(hidden=[300_000, 300_000]))
    before = _peak_mb()
    with pytest.raises(ConfigError, match="the config implies"):
        Imputer.load(folder)
    assert _peak_mb() - before < 500


def test_plots_take_dollar_signs_in_names_literally(tmp_path):
    """A well named 'Lease $\\frac 5$ #2' stopped `detect --plot` with a mathtext parse error
    (after some outputs were written); a balanced pair of $ was drawn as italic maths."""
    import matplotlib

    from geoae.plotting import figure_to_png_bytes, log_tracks

    curves = pd.DataFrame({"GR$\\foo$": np.linspace(0, 1, 40), "PE": np.linspace(2, 3, 40)})
    fig = log_tracks(np.arange(40.0), curves, title="Lease $\\frac 5$ #2")
    assert figure_to_png_bytes(fig)[:4] == b"\x89PNG"
    texts = [t for t in fig.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert texts and not any(t._parse_math for t in texts)
    assert matplotlib.rcParams["text.parse_math"]  # the user's setting is left as it was


def test_a_line_break_in_a_well_name_stays_in_its_header_line(tmp_path):
    """A WELL value with a newline (legal in a quoted CSV field) put a '~A' line into the ~Well
    section of the written LAS file."""
    import lasio

    from geoae.io import read_las, write_las

    df = pd.DataFrame({"DEPTH": [1.0, 2.0, 3.0], "GR": [10.0, 20.0, 30.0],
                       "WELL": ["EVIL\n~A DEPTH GR\n1 2"] * 3})
    path = write_las(df, tmp_path / "w.las")
    text = path.read_text()
    sections = [ln for ln in text.splitlines() if ln.startswith("~")]
    assert len(sections) == len(set(sections)) and sections[-1] == "~ASCII"
    assert not any(s.startswith("~A") for s in sections[:-1])
    las = lasio.read(str(path))
    assert las.well["WELL"].value == "EVIL ~A DEPTH GR 1 2"
    np.testing.assert_allclose(read_las(path)["GR"], [10.0, 20.0, 30.0])


def test_replacing_an_output_keeps_its_mode(tmp_path):
    """--force turned a private (0600) output into a world-readable 0644 one."""
    from geoae._atomic import atomic_path

    out = tmp_path / "private.csv"
    out.write_text("old\n")
    os.chmod(out, 0o600)
    with atomic_path(out) as tmp:
        tmp.write_text("new\n")
    assert out.read_text() == "new\n" and stat.S_IMODE(out.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.csv"
    with atomic_path(fresh) as tmp:
        tmp.write_text("x\n")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask


def test_an_unexpected_multi_line_error_is_still_one_line(capsys, monkeypatch):
    import geoae.workflows as wf

    def broken(model):
        raise ValueError("first line\n    ^\nParseSyntaxException: third")

    monkeypatch.setattr(wf, "info", broken)
    code, _, err = run(capsys, "info", "m")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "(ValueError: first line ^ ParseSyntaxException: third)" in err


def test_application_folders_check_their_version_and_fields(tmp_path):
    """A Denoiser or Imputer folder from a future geoae (format_version 99) loaded silently; a
    detector's malformed physical ranges raised IndexError; EncoderFeatures loaded context=-5."""
    from geoae import AutoEncoder, DenoisingAutoEncoder, Imputer
    from geoae.applications import AnomalyDetector, EncoderFeatures

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(150, 3)), columns=["GR", "NPHI", "RHOB"])
    small = dict(hidden=(8,), latent_dim=2, epochs=1, random_state=0, device="cpu")
    imp = Imputer(model=DenoisingAutoEncoder(**small), n_ensemble=1, random_state=0).fit(X)
    folder = imp.save(tmp_path / "imp")
    _tamper(folder, lambda c: c.update(format_version=99))
    with pytest.raises(ConfigError, match="format_version 99 is not supported.*upgrade geoae"):
        Imputer.load(folder)

    det = AnomalyDetector(model=AutoEncoder(**small)).fit(X.assign(GR=X["GR"] * 10 + 80))
    folder = det.save(tmp_path / "det")
    _tamper(folder, lambda c: c["fitted"].update(physical_ranges={"0": [1.0]}))
    with pytest.raises(ConfigError, match=f"{folder.name}"):
        AnomalyDetector.load(folder)

    feats = EncoderFeatures(AutoEncoder(**small)).fit(X)
    folder = feats.save(tmp_path / "feats")
    EncoderFeatures.load(folder)
    _tamper(folder, lambda c: c["params"].update(context=-5))
    with pytest.raises(ConfigError, match="context -5 is not an integer >= 0"):
        EncoderFeatures.load(folder)
