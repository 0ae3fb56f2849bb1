"""Tests of geoae.plotting: headless Figures, geoscience axis conventions, one panel per item."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib import _pylab_helpers
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from geoae import plotting as gp
from geoae.datasets import facies_names, load_kansas_facies, make_synthetic_seismic, make_synthetic_wells

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def wells():
    return make_synthetic_wells(n_wells=1, n_samples=160, random_state=3)


@pytest.fixture(scope="module")
def well_inputs(wells):
    obs = wells.observed
    curves = obs.drop(columns=["WELL", "DEPTH"]).copy()
    curves.loc[40:59, "DT"] = np.nan  # a gap to impute
    clean = wells.clean.drop(columns=["WELL", "DEPTH"])
    std = pd.DataFrame(0.05 * np.abs(clean.to_numpy()), columns=clean.columns)
    score = np.abs(np.random.default_rng(0).normal(size=len(curves)))
    score[100:105] = 5.0
    return obs["DEPTH"].to_numpy(), curves, clean, std, score, wells.truth["LITHOLOGY"].to_numpy()


def _inverted(ax) -> bool:
    lo, hi = ax.get_ylim()
    return lo > hi


def test_import_needs_neither_torch_nor_pyplot():
    code = (
        "import sys, geoae.plotting, geoae.report; "
        "bad = [m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_log_tracks_layout_and_conventions(well_inputs):
    depth, curves, clean, std, score, lith = well_inputs
    fig = gp.log_tracks(
        depth, curves, reconstructed=clean, imputed=clean, imputed_std=std, anomaly_score=score,
        threshold=3.0, title="well <A>", facies=lith, units={"GR": "API", "RT": "ohm.m"},
        depth_label="Depth (ft)",
    )
    assert isinstance(fig, Figure)
    n_curves = curves.shape[1]
    assert len(fig.axes) == n_curves + 2  # curves, facies, anomaly score
    for ax in fig.axes:
        assert _inverted(ax), "depth must increase downward"
    names = list(curves.columns)
    scales = {name: fig.axes[i].get_xscale() for i, name in enumerate(names)}
    assert scales["RT"] == "log"
    assert all(s == "linear" for n, s in scales.items() if n != "RT")
    assert fig.axes[names.index("GR")].get_xlabel() == "GR\n[API]"
    assert fig.axes[names.index("RT")].get_xlabel() == "RT\n[ohm.m]"
    assert fig.axes[0].get_ylabel() == "Depth (ft)"
    # an uncertainty band on each track with a gap (DT, plus any curve the tool faults blanked)
    bands = [[c for c in ax.collections if c.get_gid() == "imputed-band"] for ax in fig.axes[:n_curves]]
    assert [len(b) for b in bands] == [int(curves[n].isna().any()) for n in names]
    assert len(bands[names.index("DT")]) == 1
    # threshold line and flagged interval shaded on every track (score > 3 only at 100..104)
    score_ax = fig.axes[-1]
    assert any(np.allclose(line.get_xdata(), 3.0) for line in score_ax.get_lines())
    for ax in fig.axes:
        spans = [c for c in ax.collections if c.get_gid() == "flagged-interval"]
        assert len(spans) == 1 and len(spans[0].get_paths()) == 1
        ys = spans[0].get_paths()[0].vertices[:, 1]
        assert (ys.min(), ys.max()) == pytest.approx((depth[100] - 0.25, depth[104] + 0.25))
    assert gp.figure_to_png_bytes(fig, dpi=30).startswith(PNG_SIGNATURE)


def test_log_tracks_minimal_and_no_band_without_std(well_inputs):
    depth, curves, clean, _std, _score, _lith = well_inputs
    fig = gp.log_tracks(depth, curves[["GR", "DT"]], imputed=clean[["GR", "DT"]].to_numpy())
    assert len(fig.axes) == 2
    assert all(_inverted(ax) for ax in fig.axes)
    assert not any(c.get_gid() == "imputed-band" for ax in fig.axes for c in ax.collections)
    # imputed values are drawn only inside the gap (plus one joining sample each side)
    dt_ax = fig.axes[1]
    imputed_line = [ln for ln in dt_ax.get_lines() if ln.get_color() == gp.IMPUTED_COLOR][0]
    drawn = np.isfinite(np.asarray(imputed_line.get_xdata(), dtype=float))
    assert drawn.sum() == 20 + 2


def test_log_tracks_kansas_log10_curve_is_linear_and_explicit_intervals():
    df = load_kansas_facies()
    well = df[df["WELL"] == df["WELL"].iloc[0]].iloc[:150]
    fig = gp.log_tracks(
        well["DEPTH"], well, flagged_intervals=[(well["DEPTH"].iloc[10], well["DEPTH"].iloc[20])],
        facies=well["Facies"], facies_names=facies_names(short=True),
    )
    # WELL/DEPTH dropped; GR, ILD_log10, DeltaPHI, PHIND, PE, NM_M, RELPOS, Facies are numeric curves
    numeric = [c for c in well.columns if c not in ("WELL", "DEPTH")]
    assert len(fig.axes) == len(numeric) + 1
    assert all(ax.get_xscale() == "linear" for ax in fig.axes)
    assert all(_inverted(ax) for ax in fig.axes)
    legend = fig.axes[-1].get_legend()
    assert legend is not None
    assert {t.get_text() for t in legend.get_texts()} <= set(facies_names(True).values())


def test_log_tracks_validates_lengths(well_inputs):
    depth, curves, *_ = well_inputs
    with pytest.raises(ValueError, match="depth"):
        gp.log_tracks(depth[:-1], curves)
    with pytest.raises(ValueError, match="anomaly_score"):
        gp.log_tracks(depth, curves, anomaly_score=np.zeros(3))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("RT", True), ("ILD", True), ("rdep", True), ("LLD", True), ("RES_DEEP", True), ("AT90", True),
     ("ILD_log10", False), ("LOG_RT", False), ("GR", False), ("RHOB", False), ("DT", False), ("PE", False)],
)
def test_is_resistivity_curve(name, expected):
    assert gp.is_resistivity_curve(name) is expected


def test_flagged_to_intervals():
    depth = np.arange(10) * 0.5 + 100
    flags = np.zeros(10, bool)
    flags[[2, 3, 7]] = True
    assert gp.flagged_to_intervals(depth, flags) == [(100.75, 101.75), (103.25, 103.75)]
    assert gp.flagged_to_intervals(depth, np.zeros(10, bool)) == []
    # a log recorded upward: the same bands (they shrank, a 2-sample run to nothing)
    assert sorted(gp.flagged_to_intervals(depth[::-1], flags[::-1])) == [(100.75, 101.75),
                                                                         (103.25, 103.75)]


def test_explicit_one_sample_interval_is_shaded():
    """intervals() gives top == base for a one-sample interval; log_tracks drew nothing."""
    depth = 5000 + 0.5 * np.arange(100)
    fig = gp.log_tracks(depth, pd.DataFrame({"GR": np.full(100, 50.0)}),
                        flagged_intervals=[(5020.0, 5020.0)])
    spans = [c for c in fig.axes[0].collections if c.get_gid() == "flagged-interval"]
    ys = spans[0].get_paths()[0].vertices[:, 1]
    assert (ys.min(), ys.max()) == pytest.approx((5019.75, 5020.25))  # half a step around it


def test_a_one_sample_interval_on_a_long_track_is_drawn_tall_enough_to_see():
    """On 900 m of 0.15 m samples half a step each side is 0.15 m, under a pixel (seen on a real
    well): the shading is at least 0.4 % of the depth range tall, centred on the interval."""
    depth = 3000 + 0.15 * np.arange(6000)
    flags = np.zeros(6000, dtype=bool)
    flags[2000] = True
    fig = gp.log_tracks(depth, pd.DataFrame({"GR": np.full(6000, 50.0)}), flagged_intervals=flags,
                        depth_label="Depth (m)")
    spans = [c for c in fig.axes[0].collections if c.get_gid() == "flagged-interval"]
    ys = spans[0].get_paths()[0].vertices[:, 1]
    least = 0.004 * (depth[-1] - depth[0])
    assert ys.max() - ys.min() == pytest.approx(least)
    assert 0.5 * (ys.max() + ys.min()) == pytest.approx(depth[2000])
    assert fig.axes[0].get_ylabel() == "Depth (m)"


def test_labelled_events_are_drawn_on_the_score_track_where_they_are():
    """Known faults (the truth) drawn beside the flags, so that a reader sees hits and misses:
    black bars on the score track at the labelled runs' depths, nowhere else."""
    depth = 1000 + 0.5 * np.arange(200)
    truth = np.zeros(200, dtype=bool)
    truth[50:60] = True
    truth[150] = True
    score = np.where(truth, 5.0, 1.0)
    fig = gp.log_tracks(depth, pd.DataFrame({"GR": np.full(200, 50.0)}), anomaly_score=score,
                        threshold=3.0, labelled_intervals=truth)
    bars = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "labelled-interval"]
    assert len(bars) == 1 and bars[0].axes is fig.axes[-1]  # the score track only
    spans = sorted((p.vertices[:, 1].min(), p.vertices[:, 1].max()) for p in bars[0].get_paths())
    assert spans[0] == pytest.approx((depth[50] - 0.25, depth[59] + 0.25))
    assert spans[1] == pytest.approx((depth[150] - 0.25, depth[150] + 0.25))  # one sample
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert "labelled event" in labels
    with pytest.raises(ValueError, match="labelled_intervals"):
        gp.log_tracks(depth, pd.DataFrame({"GR": np.full(200, 50.0)}), labelled_intervals=truth[:-1])


def test_seismic_sections_symmetric_shared_limits():
    s = make_synthetic_seismic(n_traces=40, n_samples=120, random_state=0)
    fig = gp.seismic_sections(s.noisy, s.clean, dt=s.dt, title="denoising")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4  # before, after, difference, colorbar
    images = [ax.get_images()[0] for ax in fig.axes[:3]]
    assert all(isinstance(im, AxesImage) for im in images)
    clims = [im.get_clim() for im in images]
    expected = np.percentile(np.abs(s.noisy), 98)
    for lo, hi in clims:
        assert lo == pytest.approx(-hi)
        assert hi == pytest.approx(expected)
    # difference panel holds before - after; traces along x, time down
    np.testing.assert_allclose(images[2].get_array(), (s.noisy - s.clean).T.astype(float), rtol=1e-6)
    for ax in fig.axes[:3]:
        assert _inverted(ax)
        assert ax.get_xlabel() == "Trace"
    assert fig.axes[0].get_ylabel() == "Time (ms)"
    assert max(fig.axes[0].get_ylim()) == pytest.approx((120 - 0.5) * s.dt * 1000)
    fig2 = gp.seismic_sections(s.noisy, s.clean, colorbar=False, cmap="gray", clip=0.5)
    assert len(fig2.axes) == 3
    assert fig2.axes[0].get_ylabel() == "Sample"
    assert fig2.axes[0].get_images()[0].get_clim() == (-0.5, 0.5)
    with pytest.raises(ValueError, match="shape"):
        gp.seismic_sections(s.noisy, s.clean[:, :-1])
    with pytest.warns(UserWarning, match="dt=2 s looks like milliseconds"):  # SegyData.dt is ms
        gp.seismic_sections(s.noisy, s.clean, dt=2.0)


def test_latent_map_categorical_and_continuous():
    rng = np.random.default_rng(0)
    z, p = rng.normal(size=(300, 3)), rng.normal(size=(300, 2))
    labels = rng.integers(1, 5, size=300)
    fig = gp.latent_map(z, p, labels=labels, label_names=facies_names(short=True))
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert texts == [facies_names(short=True)[k] for k in (1, 2, 3, 4)]
    assert fig.axes[0].get_title() != fig.axes[1].get_title()
    fig2 = gp.latent_map(z, p, labels=rng.normal(size=300))
    assert len(fig2.axes) == 3  # two maps and a colorbar
    assert len(gp.latent_map(z, p).axes) == 2
    with pytest.raises(ValueError):
        gp.latent_map(z[:, :1], p)


def test_crossplot_samples_density_neutron(wells):
    real = wells.clean
    samples = real.sample(80, random_state=0)
    fig = gp.crossplot_samples(real, samples)
    assert len(fig.axes) == 3  # crossplot + two marginals
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("NPHI", "RHOB")
    assert _inverted(ax), "RHOB increases downward on a density-neutron crossplot"
    assert len(ax.collections) == 2
    fig2 = gp.crossplot_samples(real, samples, marginals=False)
    assert len(fig2.axes) == 1


def test_crossplot_samples_without_rhob_nphi():
    df = load_kansas_facies()[["WELL", "DEPTH", "GR", "PHIND", "PE", "DeltaPHI"]]
    samples = df.sample(50, random_state=1)
    fig = gp.crossplot_samples(df, samples)  # neutron-like PHIND found, no density: next shared column
    ax = fig.axes[0]
    assert ax.get_xlabel() == "PHIND"
    assert ax.get_ylabel() == "GR"
    assert not _inverted(ax)
    fig = gp.crossplot_samples(df, samples, x="PHIND", y="PE", units={"PE": "b/e"})
    assert fig.axes[0].get_ylabel() == "PE (b/e)"
    with pytest.raises(ValueError, match="RHOB"):
        gp.crossplot_samples(df, samples, x="PHIND", y="RHOB")


def test_training_curves_panel_per_term():
    n = 12
    history = {
        "loss": list(np.linspace(2, 1, n)), "val_loss": list(np.linspace(2.1, 1.2, n)),
        "reconstruction": list(np.linspace(1.5, 0.8, n)),
        "val_reconstruction": list(np.linspace(1.6, 0.9, n)),
        "kl": list(np.linspace(0.0, 0.2, n)), "val_kl": list(np.linspace(0.0, 0.2, n)),
        "sparsity": [0.01] * n, "contractive": [0.02] * n,
        "best_epoch": [9],
    }
    fig = gp.training_curves(history)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["total loss", "reconstruction", "kl", "sparsity", "contractive"]
    scales = [ax.get_yscale() for ax in fig.axes]
    assert scales == ["log", "log", "linear", "log", "log"]  # kl starts at 0
    assert len(fig.axes[0].get_lines()) == 3  # train, validation, best epoch
    fig = gp.training_curves({"train_loss": [1.0, 0.5]}, log_y=False)
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError):
        gp.training_curves({"best_epoch": [0]})


def test_no_pyplot_figures_are_registered(well_inputs):
    depth, curves, *_ = well_inputs
    gp.log_tracks(depth, curves)
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0
    with pytest.raises(TypeError):
        gp.figure_to_png_bytes("not a figure")


def test_facies_colours_do_not_depend_on_which_facies_are_present():
    depth = np.arange(6, dtype=float)
    names = facies_names(short=True)

    def colours(codes):
        fig = gp.log_tracks(depth, pd.DataFrame({"GR": np.ones(6)}), facies=codes, facies_names=names)
        legend = fig.axes[1].get_legend()
        pairs = zip(legend.get_texts(), legend.legend_handles, strict=True)
        return {t.get_text(): tuple(h.get_facecolor()) for t, h in pairs}

    a = colours(np.array([1, 1, 4, 4, 9, 9]))
    b = colours(np.array([4, 4, 7, 7, 7, 9]))
    assert a[names[4]] == b[names[4]] and a[names[9]] == b[names[9]]
    assert len(set(a.values())) == 3
