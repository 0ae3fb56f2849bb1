"""Tests of geoae.applications.denoising: Denoiser on synthetic seismic and logs, chunked SEG-Y."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoae.applications.denoising import Denoiser, denoise_segy, segy_line_starts
from geoae.datasets import make_synthetic_seismic
from geoae.errors import ConfigError, DataError

SMALL = dict(window=64, stride=16, train_stride=16, hidden=(8, 16), latent_dim=16, batch_size=32,
             random_state=0)


def snr_db(clean, x):
    return 10 * np.log10(np.sum(clean**2) / np.sum((x - clean) ** 2))


@pytest.fixture(scope="module")
def sections():
    train = make_synthetic_seismic(n_traces=32, n_samples=256, snr_db=0.0, random_state=1)
    test = make_synthetic_seismic(n_traces=32, n_samples=256, snr_db=0.0, random_state=2)
    return train, test


@pytest.fixture(scope="module")
def supervised(sections):
    train, _ = sections
    return Denoiser(epochs=8, **SMALL).fit(train.noisy, train.clean)


def test_supervised_raises_snr_and_keeps_shape(supervised, sections):
    _, test = sections
    out = supervised.transform(test.noisy)
    assert out.shape == test.noisy.shape
    gain = snr_db(test.clean, out) - snr_db(test.clean, test.noisy)
    assert gain > 4.0, gain
    one = supervised.transform(test.noisy[3])
    assert one.shape == (256,)
    short = supervised.transform(test.noisy[:2, :40])  # shorter than a window: mirror-padded
    assert short.shape == (2, 40) and np.isfinite(short).all()


def test_self_supervised_noisier2noise_raises_snr(sections):
    train, test = sections
    model = Denoiser(epochs=8, n_draws=2, **SMALL).fit(train.noisy)
    assert not model.supervised_ and model.noise_level_.shape == (1,)
    # the MAD estimate of the white-noise level (scaled units, 0 dB -> about 1/sqrt(2))
    assert 0.55 < model.noise_level_[0] < 0.85
    gain = snr_db(test.clean, model.transform(test.noisy)) - snr_db(test.clean, test.noisy)
    assert gain > 3.0, gain


def test_seeded_fit_is_reproducible(sections):
    train, test = sections
    # bitwise on the CPU (GPU kernels are not bitwise deterministic)
    a, b = (Denoiser(epochs=1, device="cpu", **SMALL).fit(train.noisy[:8], train.clean[:8])
            .transform(test.noisy[:4]) for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_curves_layout_keeps_shape_and_missing():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 20, 300)
    clean = np.stack([np.sin(t) * 50 + 80, np.cos(0.7 * t) * 0.1 + 2.4])  # GR-like, RHOB-like
    noisy = clean + rng.normal(0, 1, clean.shape) * np.array([[8.0], [0.02]])
    noisy[1, 100:110] = np.nan
    model = Denoiser(layout="curves", epochs=3, **SMALL).fit(noisy, clean)
    out = model.transform(noisy)
    assert out.shape == noisy.shape
    assert np.isnan(out[1, 100:110]).all() and np.isfinite(out[0]).all()
    assert np.isfinite(np.delete(out[1], np.arange(100, 110))).all()
    assert model.transform(noisy[None]).shape == (1, 2, 300)


def _log_table():
    """Two wells of unequal length, depth x curves as read_wells gives them, clean and noisy."""
    rng = np.random.default_rng(3)
    parts, clean_parts = [], []
    for well, n in (("A", 1200), ("B", 900)):
        t = np.arange(n) / 15.0
        clean = pd.DataFrame({"WELL": well, "DEPTH": 1000 + 0.5 * np.arange(n),
                              "GR": np.sin(t) * 50 + 80, "RHOB": np.cos(0.7 * t) * 0.1 + 2.4})
        noisy = clean.copy()
        noisy["GR"] += rng.normal(0, 8.0, n)
        noisy["RHOB"] += rng.normal(0, 0.02, n)
        parts.append(noisy)
        clean_parts.append(clean)
    noisy, clean = pd.concat(parts, ignore_index=True), pd.concat(clean_parts, ignore_index=True)
    noisy.loc[50:59, "RHOB"] = np.nan
    return noisy.set_axis(noisy.index + 7), clean.set_axis(clean.index + 7)


def test_a_well_log_table_is_denoised_curve_by_curve_per_well(tmp_path):
    """A depth x curves DataFrame (the shape of well logs) was read as one 2-curve trace per
    depth (layout="traces") or as thousands of curves of 2 samples (layout="curves"): RHOB of
    2.17 g/cm3 came back as 43.7. Its numeric columns are now the curves and each well a series;
    the result is a DataFrame with the input's index and other columns."""
    noisy, clean = _log_table()
    model = Denoiser(layout="curves", epochs=20, learning_rate=5e-3, validation_fraction=0.0,
                     **SMALL).fit(noisy, clean)
    assert list(model.feature_names_in_) == ["GR", "RHOB"] and model.n_channels_ == 2
    out = model.transform(noisy)
    assert isinstance(out, pd.DataFrame) and out.index.equals(noisy.index)
    assert list(out.columns) == list(noisy.columns)
    pd.testing.assert_frame_equal(out[["WELL", "DEPTH"]], noisy[["WELL", "DEPTH"]])
    assert out["RHOB"].isna().equals(noisy["RHOB"].isna())
    # each well is denoised on its own, as the array of its curves (channels, length)
    for well in ("A", "B"):
        rows = noisy["WELL"] == well
        alone = model.transform(noisy.loc[rows, ["GR", "RHOB"]].to_numpy().T)
        np.testing.assert_allclose(out.loc[rows, ["GR", "RHOB"]].to_numpy(), alone.T, rtol=1e-12)
    # in the curves' units and closer to the clean logs than the input was
    for curve in ("GR", "RHOB"):
        err_in = np.nanmean((noisy[curve] - clean[curve]) ** 2)
        err_out = np.nanmean((out[curve] - clean[curve]) ** 2)
        assert err_out < 0.6 * err_in, (curve, err_out, err_in)  # 0.12-0.29 over 4 seeds
    # curves found by name, whatever their order; a saved model keeps the names
    shuffled = noisy[["RHOB", "DEPTH", "GR", "WELL"]]
    pd.testing.assert_frame_equal(model.transform(shuffled)[list(noisy.columns)], out)
    from geoae import load

    again = load(model.save(tmp_path / "den"))
    assert list(again.feature_names_in_) == ["GR", "RHOB"]
    pd.testing.assert_frame_equal(again.transform(noisy), out)
    with pytest.raises(DataError, match=r"no curve\(s\) \['RHOB'\]"):
        model.transform(noisy.drop(columns="RHOB"))
    with pytest.raises(DataError, match="not in depth order"):
        model.transform(noisy.iloc[::-1].sort_values("WELL", kind="stable").iloc[[1, 0, 2, 3]])


def test_a_log_table_in_the_wrong_layout_is_refused():
    noisy, _ = _log_table()
    with pytest.raises(DataError, match="layout='curves'"):
        Denoiser(epochs=1, **SMALL).fit(noisy)
    # an array of depth x curves given as (channels, length): transposed
    with pytest.raises(DataError, match=r"2100 curves of 2 samples.*\(X\.T\)"):
        Denoiser(layout="curves", epochs=1, **SMALL).fit(noisy[["GR", "RHOB"]].to_numpy())
    with pytest.warns(UserWarning, match="layout='curves'"):
        Denoiser(epochs=1, **SMALL).fit(noisy[["GR", "RHOB"]].to_numpy())


def test_bad_parameters_and_shapes(sections):
    train, _ = sections
    with pytest.raises(ConfigError, match="window"):
        Denoiser(window=30, hidden=(8, 16)).fit(train.noisy)
    with pytest.raises(ConfigError, match="stride"):
        Denoiser(window=64, stride=65).fit(train.noisy)
    with pytest.raises(DataError, match="clean"):
        Denoiser(epochs=1, **SMALL).fit(train.noisy, train.clean[:3])
    with pytest.raises(DataError, match="layout"):
        Denoiser(epochs=1, **SMALL).fit(np.zeros((2, 3, 64)))


def write_test_segy(path, traces, n_il, n_xl, dt_us=2000):
    segyio = pytest.importorskip("segyio")
    spec = segyio.spec()
    spec.format = 5
    spec.sorting = segyio.TraceSortingFormat.INLINE_SORTING
    spec.ilines = list(range(100, 100 + n_il))
    spec.xlines = list(range(200, 200 + n_xl))
    spec.samples = list(np.arange(traces.shape[1]) * dt_us / 1000.0)
    with segyio.create(str(path), spec) as f:
        k = 0
        for il in spec.ilines:
            for xl in spec.xlines:
                tf = segyio.TraceField
                f.header[k] = {tf.INLINE_3D: il, tf.CROSSLINE_3D: xl, tf.CDP: 1000 + k, tf.offset: 1,
                               tf.TRACE_SAMPLE_INTERVAL: dt_us, tf.CDP_X: 5000 + 25 * xl,
                               tf.CDP_Y: 9000 + 25 * il}
                f.trace[k] = traces[k].astype(np.float32)
                k += 1
        f.bin.update(tsort=segyio.TraceSortingFormat.INLINE_SORTING, hdt=dt_us)
    return path


def test_self_supervised_denoise_segy_does_not_depend_on_the_chunk_size(tmp_path):
    """The Noisier2Noise draws are seeded per trace index: a survey denoised in chunks of 7 or
    of 11 traces gives the whole-section transform (float32 rounding aside)."""
    from geoae.io import read_segy

    section = make_synthetic_seismic(n_traces=30, n_samples=128, snr_db=3.0, random_state=6)
    model = Denoiser(epochs=2, n_draws=2, **SMALL).fit(section.noisy)
    src = write_test_segy(tmp_path / "in.sgy", section.noisy, 5, 6)
    data = read_segy(src)
    want = model.transform(data.traces, line_starts=segy_line_starts(data.headers))
    for chunk in (2, 5, 7, 11):
        out = tmp_path / f"out{chunk}.sgy"
        denoise_segy(model, src, out, chunk_traces=chunk)
        np.testing.assert_allclose(read_segy(out).traces, want, rtol=1e-4,
                                   atol=1e-4 * np.abs(want).max())
    # the draws are the trace's own: shifting first_index changes the result
    shifted = model.transform(read_segy(src).traces, first_index=1)
    assert np.abs(shifted - want).max() > 1e-3 * np.abs(want).max()


def test_denoise_segy_chunked_keeps_headers_and_matches_transform(tmp_path, supervised):
    section = make_synthetic_seismic(n_traces=30, n_samples=128, snr_db=3.0, random_state=5)
    src = write_test_segy(tmp_path / "in.sgy", section.noisy, 5, 6)
    out = tmp_path / "out.sgy"
    denoise_segy(supervised, src, out, chunk_traces=7)
    a, b = src.read_bytes(), out.read_bytes()
    assert len(a) == len(b)
    assert a[:3600] == b[:3600]
    tb = 240 + 128 * 4
    for i in range(30):
        h = 3600 + i * tb
        assert a[h:h + 240] == b[h:h + 240]
    from geoae.io import read_segy

    got = read_segy(out).traces
    data = read_segy(src)
    starts = segy_line_starts(data.headers)
    assert np.flatnonzero(starts).tolist() == [6, 12, 18, 24]  # 5 inlines of 6 crosslines
    want = supervised.transform(data.traces, line_starts=starts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    # a trace's neighbours are those of its own inline: the same as denoising line by line,
    # and not the same as taking the next inline's first traces as neighbours (file order)
    per_line = np.concatenate([supervised.transform(data.traces[i:i + 6]) for i in range(0, 30, 6)])
    np.testing.assert_allclose(want, per_line, rtol=1e-6, atol=1e-6 * np.abs(want).max())
    file_order = supervised.transform(data.traces)
    edges = [5, 6, 11, 12]
    assert np.abs(file_order[edges] - want[edges]).max() > 1e-3 * np.abs(want).max()
    np.testing.assert_allclose(file_order[2:4], want[2:4], rtol=1e-6)
    with pytest.raises(DataError, match="overwrite"):
        denoise_segy(supervised, src, src)


def test_segy_line_starts_splits_3d_lines_only():
    """A 2-D line numbered by CDP in both headers, or junk headers, changed both numbers at
    every trace and made every trace its own line (no neighbours at all)."""
    import pandas as pd

    def starts(il, xl):
        return np.flatnonzero(segy_line_starts(pd.DataFrame({"inline": il, "crossline": xl})))

    il, xl = np.repeat([10, 11, 12], 4), np.tile([5, 6, 7, 8], 3)
    assert starts(il, xl).tolist() == [4, 8]  # inline-sorted
    assert starts(xl, il).tolist() == [4, 8]  # crossline-sorted
    assert starts(np.arange(12), np.arange(12)).tolist() == []  # CDP in both: one 2-D line
    assert starts(np.zeros(12), np.arange(12)).tolist() == []  # a 2-D line with inline 0
    rng = np.random.default_rng(0)
    assert starts(rng.integers(0, 9, 50), rng.integers(0, 9, 50)).size < 10  # junk headers


def test_denoise_segy_says_when_a_3d_file_is_not_sorted(tmp_path, supervised):
    """The denoiser takes a trace's neighbours from the file; in a file not sorted by inline or
    crossline they are random traces of the survey, and nothing was said (an audit)."""
    import warnings

    segyio = pytest.importorskip("segyio")
    section = make_synthetic_seismic(n_traces=48, n_samples=64, snr_db=0.0, random_state=5)
    sorted_path = write_test_segy(tmp_path / "sorted.sgy", section.noisy, 6, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        denoise_segy(supervised, sorted_path, tmp_path / "sorted_dn.sgy", chunk_traces=10)
    order = np.random.default_rng(0).permutation(48)
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 5, list(np.arange(64) * 2.0), 48
    shuffled = tmp_path / "shuffled.sgy"
    with segyio.create(str(shuffled), spec) as f:
        for k, src in enumerate(order):
            f.header[k] = {segyio.TraceField.INLINE_3D: 100 + src // 8,
                           segyio.TraceField.CROSSLINE_3D: 200 + src % 8}
            f.trace[k] = section.noisy[src].astype(np.float32)
        f.bin.update(hdt=2000)
    with pytest.warns(UserWarning, match=r"not sorted by inline or crossline .*6 inlines and 8 "
                                         r"crosslines"):
        denoise_segy(supervised, shuffled, tmp_path / "shuffled_dn.sgy", chunk_traces=10)


def test_a_well_shorter_than_its_number_of_curves_is_denoised(tmp_path):
    """The transposed-array check refused a DataFrame whose well had fewer rows than curves
    (and told the user to pass a DataFrame, which they had; a review)."""
    noisy, clean = _log_table()
    model = Denoiser(layout="curves", epochs=1, **SMALL).fit(noisy, clean)
    short = noisy[noisy["WELL"] == "A"].iloc[:1].assign(WELL="C")  # 1 row, 2 curves
    out = model.transform(pd.concat([noisy, short]))
    assert out["WELL"].tolist()[-1] == "C" and np.isfinite(out[["GR", "RHOB"]].iloc[-1]).all()
    with pytest.raises(DataError, match=r"\(X\.T\)"):  # an array still gets the check
        model.transform(noisy[["GR", "RHOB"]].iloc[:3].to_numpy())  # 3 depths x 2 curves


def test_positions_and_labels_in_a_log_table_are_not_denoised():
    """Every numeric column but WELL/DEPTH was a curve to denoise: DEPTH_MD, X_LOC and label
    codes of a FORCE frame included (a review)."""
    noisy, _ = _log_table()
    X = noisy.assign(DEPTH_MD=noisy["DEPTH"] + 0.3, X_LOC=4.5e5, FACIES=3)
    with pytest.warns(UserWarning, match=r"\['DEPTH_MD', 'X_LOC', 'FACIES'\] are positions"):
        model = Denoiser(layout="curves", epochs=1, **SMALL).fit(X)
    assert list(model.feature_names_in_) == ["GR", "RHOB"]
    out = model.transform(X)
    pd.testing.assert_frame_equal(out[["DEPTH_MD", "X_LOC", "FACIES"]], X[["DEPTH_MD", "X_LOC", "FACIES"]])
