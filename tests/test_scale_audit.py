"""Found by a data engineer's audit at basin scale (seventeenth session): per-well loops that
copied every well's attrs (time growing with the square of the wells), a pairwise same-file
check over a folder's outputs, and geoae detect reconstructing the data 4-6 times."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clirun import run
from geoae import AutoEncoder
from geoae.applications import AnomalyDetector


def _wells(n_wells=6, n=80, seed=0):
    from geoae.datasets import make_synthetic_wells

    return make_synthetic_wells(n_wells=n_wells, n_samples=n, random_state=seed).observed


def test_one_pass_of_detect_gives_what_the_public_methods_give(monkeypatch):
    """detect now derives the threshold, scores, flags, shares and intervals from the fit's
    one reconstruction; the public methods, each reconstructing again, must agree."""
    df = _wells()
    X = df[["WELL", "DEPTH", "GR", "RHOB", "NPHI", "DT"]]
    model = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(
        X[["GR", "RHOB", "NPHI", "DT"]])
    det = AnomalyDetector(model=model, prefit=True, contamination=0.05)
    calls = []
    real = type(model).reconstruct
    monkeypatch.setattr(type(model), "reconstruct",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    z2, aligned = det._fit(X)
    one_pass = len(calls)
    score = det._score_of(z2)
    share = det._share_of(z2, X, aligned)
    assert len(calls) == one_pass  # nothing reconstructed again
    np.testing.assert_array_equal(score, det.score_samples(X))
    pd.testing.assert_frame_equal(share, det.explain(X))
    with np.errstate(invalid="ignore"):
        flags = score - det.offset_ < 0
    np.testing.assert_array_equal(flags, det.predict(X) == -1)
    assert flags.sum() > 0
    depth, wells = X["DEPTH"].to_numpy(), X["WELL"].to_numpy()
    pd.testing.assert_frame_equal(det.intervals(depth, flags, scores=score, wells=wells,
                                                share=share),
                                  det.intervals(depth, flags, X=X))
    refit = AnomalyDetector(model=model, prefit=True, contamination=0.05).fit(X)
    assert refit.offset_ == det.offset_


def test_detect_on_a_folder_reconstructs_once_per_curve_pass(tmp_path, capsys, monkeypatch):
    """The command gives the same files, with one reconstruction pass (curve masking: one per
    curve, plus the whole) instead of 4-6 of them."""
    from geoae.io import write_las

    folder = tmp_path / "wells"
    folder.mkdir()
    for w, part in _wells(n_wells=3, n=120).groupby("WELL"):
        write_las(part.drop(columns="WELL").set_index("DEPTH"), folder / f"{w}.las")
    model = tmp_path / "m"
    assert run(capsys, "train", folder, "--curves", "GR,RHOB,NPHI,DT", "--epochs", 2,
               "--out", model, "-q")[0] == 0
    import geoae.models

    calls = []
    real = geoae.models.BaseAutoEncoder.reconstruct
    monkeypatch.setattr(geoae.models.BaseAutoEncoder, "reconstruct",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    assert run(capsys, "detect", model, folder, "--out", tmp_path / "d.csv", "-q")[0] == 0
    assert 0 < len(calls) <= 4 + 1  # one pass: each of the 4 curves hidden, and the whole
    out = pd.read_csv(tmp_path / "d.csv")
    iv = pd.read_csv(tmp_path / "d_intervals.csv")
    assert out["FLAG"].sum() >= len(iv) > 0
    shares = out[[c for c in out.columns if c.endswith("_SHARE")]].to_numpy()
    np.testing.assert_allclose(np.nansum(shares, axis=1)[out["ANOMALY_SCORE"].notna()], 1.0)


def test_readings_by_well_and_attrs_of_well_against_plain_loops():
    from geoae.io.wells import attrs_of_well
    from geoae.workflows import _readings_by_well

    rng = np.random.default_rng(0)
    curves = pd.DataFrame(rng.normal(size=(200, 3)), columns=["GR", "PE", "DT"])
    wells = np.array([f"W{i}" for i in rng.integers(0, 7, 200)])
    curves.loc[wells == "W3", "PE"] = np.nan
    curves["DT"] = curves["DT"].astype(object)
    curves.loc[wells == "W5", "DT"] = "n/a"
    curves.attrs = {"sources": {f"W{i}": f"W{i}.las" for i in range(7)}}
    got = _readings_by_well(curves, wells)
    for w in np.unique(wells):  # by hand, one well at a time
        part = curves[wells == w].apply(pd.to_numeric, errors="coerce")
        np.testing.assert_array_equal(got[w], part.notna().any().to_numpy())
    assert list(got) == sorted(got) and not got["W3"][1] and not got["W5"][2]
    assert list(_readings_by_well(curves, None)) == [""]
    attrs = {"units": {"GR": "gAPI"}, "well_units": {"A": {"GR": "gAPI"}, "B": {"GR": "cps"}},
             "depth_units": {"A": "m", "B": "ft"}, "unit_conversions": {"B": {"DEPTH": ("ft", "m")}},
             "sources": {"A": "a.las", "B": "b.las"}, "renamed": {},
             "unit_conflicts": {"GR": {"A": "gAPI", "B": "cps"}}, "depth_unit": ""}
    one = attrs_of_well(attrs, "B")
    assert one["well_units"] == {"B": {"GR": "cps"}} and one["depth_units"] == {"B": "ft"}
    assert one["unit_conversions"] == {"B": {"DEPTH": ("ft", "m")}}
    assert one["sources"] == {"B": "b.las"} and one["unit_conflicts"] == {"GR": {"B": "cps"}}
    assert one["units"] == attrs["units"] and attrs["well_units"]["A"]  # the input unchanged
    assert attrs_of_well(attrs, "Z")["well_units"] == {}


def test_an_output_folder_holding_a_link_to_an_input_is_still_refused(tmp_path, capsys):
    """The pairwise same-file check became one lookup per file; a symbolic link in the
    output folder to an input file must still be caught."""
    from geoae.io import write_las

    folder = tmp_path / "wells"
    folder.mkdir()
    for w, part in _wells(n_wells=2, n=100).groupby("WELL"):
        write_las(part.drop(columns="WELL").set_index("DEPTH"), folder / f"{w}.las")
    out = tmp_path / "out"
    out.mkdir()
    first = sorted(folder.iterdir())[0]
    (out / first.name).symlink_to(first)
    code, _, err = run(capsys, "impute", folder, "--curve", "PE", "--epochs", 1, "--out", out,
                       "--force", "-q")
    assert code != 0 and "is the input file" in err
    assert first.is_file() and (out / first.name).is_symlink()
