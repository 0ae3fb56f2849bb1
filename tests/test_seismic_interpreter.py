"""SEG-Y as an interpreter meets it (an audit): dead traces, a missing inline, a survey at
another amplitude level, a sample format the reader does not support."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clirun import run

N_IL, N_XL, NS = 6, 20, 64


def write_volume(path, traces, ils, xls, fmt=5):
    import segyio

    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = fmt, list(range(traces.shape[1])), len(traces)
    with segyio.create(str(path), spec) as f:
        for i, (il, xl) in enumerate(zip(ils, xls, strict=True)):
            f.header[i] = {segyio.su.iline: int(il), segyio.su.xline: int(xl),
                           segyio.su.cdp: i + 1, segyio.su.ns: traces.shape[1],
                           segyio.su.dt: 2000}
            f.trace[i] = traces[i].astype(np.float32)
        f.bin.update(hdt=2000, hns=traces.shape[1], format=fmt)
    return path


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    from geoae.datasets import make_synthetic_seismic

    d = tmp_path_factory.mktemp("survey")
    vol = np.concatenate([make_synthetic_seismic(n_traces=N_XL, n_samples=NS, snr_db=5.0,
                                                 random_state=i).noisy for i in range(N_IL)])
    ils = np.repeat(np.arange(100, 100 + N_IL), N_XL)
    xls = np.tile(np.arange(2000, 2000 + N_XL), N_IL)
    dead = vol.copy()
    dead[:N_XL] = 0.0  # the first inline is padding
    keep = ils != 103  # inline 103 was never shot
    files = {
        "full": write_volume(d / "full.sgy", vol, ils, xls),
        "dead": write_volume(d / "dead.sgy", dead, ils, xls),
        "gap": write_volume(d / "gap.sgy", vol[keep], ils[keep], xls[keep]),
        "milli": write_volume(d / "milli.sgy", vol * 1e-3, ils, xls),
    }
    return d, files, vol


@pytest.fixture(scope="module")
def model(survey):
    from geoae import AutoEncoder
    from geoae.io import read_segy

    _, files, _ = survey
    return AutoEncoder(latent_dim=2, hidden=(16,), epochs=3, random_state=0, device="cpu",
                       verbose=False).fit(read_segy(files["full"]).traces)


def test_dead_traces_get_no_code_and_are_not_trained_on(capsys, tmp_path, survey):
    """All-zero padding traces got ordinary codes (a fake facies cluster at the survey's edge)
    and were learnt by geoae train without a word."""
    _, files, _ = survey
    m = tmp_path / "m"
    code, _, err = run(capsys, "train", files["dead"], "--out", m, "--epochs", 2, "--latent", 2)
    assert code == 0, err
    assert f"{N_XL} of the {N_IL * N_XL} streamed samples" in err and "dead" in err
    code, out, err = run(capsys, "encode", m, files["dead"], "--out", tmp_path / "c.npz", "--json")
    assert code == 0, err
    assert json.loads(out)["no_data"] == N_XL
    grid = np.load(tmp_path / "c.npz")["values"]
    assert grid.shape == (N_IL, N_XL, 2)
    assert np.isnan(grid[0]).all() and np.isfinite(grid[1:]).all()


def test_reconstruction_errors_of_dead_traces_are_missing(survey, model, tmp_path):
    from geoae.streaming import segy_scores

    _, files, _ = survey
    _, chunks = segy_scores(model, files["dead"], "error", chunk_traces=7)
    errors = np.concatenate([v for _, v in chunks])
    assert np.isnan(errors[:N_XL]).all() and np.isfinite(errors[N_XL:]).all()


def test_a_missing_inline_is_a_row_of_nan_not_left_out(survey, model):
    """A map of the grid joined inlines 102 and 104 as if adjacent."""
    from geoae.applications.seismic import arrange_survey, seismic_latent_attributes

    _, files, _ = survey
    att = seismic_latent_attributes(model, files["gap"])
    assert att.inlines.tolist() == list(range(100, 100 + N_IL))
    assert att.values.shape == (N_IL, N_XL, 2)
    assert np.isnan(att.values[3]).all() and np.isfinite(np.delete(att.values, 3, axis=0)).all()
    full = seismic_latent_attributes(model, files["full"])
    np.testing.assert_allclose(np.delete(att.values, 3, axis=0), np.delete(full.values, 3, axis=0),
                               rtol=1e-5, atol=1e-6)
    # a regular step other than 1 (every other inline shot), one line missing
    il = np.array([10, 10, 14, 14, 16, 16])
    xl = np.array([1, 2, 1, 2, 1, 2])
    grid, u_il, u_xl = arrange_survey(np.arange(6.0), il, xl)
    assert u_il.tolist() == [10, 12, 14, 16] and u_xl.tolist() == [1, 2]
    assert np.isnan(grid[1]).all() and grid[2].tolist() == [2.0, 3.0]
    # irregular numbers are not padded out to a huge grid
    grid, u_il, _ = arrange_survey(np.arange(6.0), np.array([1, 1, 2, 2, 50, 50]), xl)
    assert u_il.tolist() == [1, 2, 50]


def test_all_zero_windows_have_no_code(survey):
    """A mute (zeros at the top of live traces) gave its windows ordinary codes."""
    from geoae import AutoEncoder
    from geoae.applications.seismic import seismic_latent_attributes
    from geoae.io import read_segy
    from geoae.preprocessing import make_windows

    _, files, _ = survey
    data = read_segy(files["full"])
    traces = data.traces.copy()
    traces[:, :16] = 0.0  # muted
    data.traces[:] = traces
    win = make_windows(traces, 16, 16).reshape(-1, 16)
    model = AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, random_state=0, device="cpu",
                        verbose=False).fit(win[np.abs(win).sum(1) > 0])
    att = seismic_latent_attributes(model, data, stride=16)
    assert att.values.shape == (N_IL, N_XL, NS // 16, 2)
    assert np.isnan(att.values[:, :, 0]).all() and np.isfinite(att.values[:, :, 1:]).all()


def test_encode_says_when_a_survey_is_at_another_amplitude_level(capsys, tmp_path, survey, model):
    """Codes of a survey delivered at 1/1000 the gain collapsed to a point, silently (denoise
    already rescaled and said so). Encode says it, and does not rescale: amplitude may be the
    geology an attribute is about."""
    _, files, _ = survey
    m = tmp_path / "m"
    code, _, err = run(capsys, "train", files["full"], "--out", m, "--epochs", 2, "--latent", 2)
    assert code == 0, err
    code, _, err = run(capsys, "encode", m, files["full"], "--out", tmp_path / "a.npy")
    assert code == 0 and "amplitudes are" not in err
    code, _, err = run(capsys, "encode", m, files["milli"], "--out", tmp_path / "b.npy")
    assert code == 0
    ratio = float(err.split("its amplitudes are ")[1].split(" times")[0])
    assert 0.0009 < ratio < 0.0011 and "scale the traces by" in err
    assert np.isfinite(np.load(tmp_path / "b.npy")).all()


def test_an_unsupported_sample_format_is_named_by_the_cli(capsys, tmp_path, survey):
    """The CLI said 'not a SEG-Y file' where read_segy names the format code."""
    _, files, _ = survey
    raw = bytearray(files["full"].read_bytes())
    raw[3224:3226] = (4).to_bytes(2, "big")  # format 4 (fixed point with gain), not read here
    bad = tmp_path / "fmt4.sgy"
    bad.write_bytes(bytes(raw))
    code, _, err = run(capsys, "denoise", bad, "--out", tmp_path / "o.sgy")
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {bad}: unsupported SEG-Y sample format code 4 in the binary header (bytes "
        "3225-3226); supported: [1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 16] (1 IBM float, 5 IEEE "
        "float, ...). Is it a SEG-Y file?"]


def test_short_traces_are_said_once_in_the_commands_terms(capsys, tmp_path):
    """denoise of 16-sample traces said twice, with the API's variable names, to use
    layout='curves' or X.T: advice for a depth x curves table, not for a SEG-Y file."""
    import segyio

    from geoae.datasets import make_synthetic_seismic

    short = make_synthetic_seismic(n_traces=300, n_samples=16, snr_db=5.0, random_state=0).noisy
    segyio.tools.from_array2D(str(tmp_path / "short.sgy"), short.astype(np.float32), dt=250)
    code, _, err = run(capsys, "denoise", tmp_path / "short.sgy", "--out", tmp_path / "o.sgy",
                       "--epochs", 1)
    assert code == 0, err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith(("warning:", "error:"))]
    assert lines == [f"warning: {tmp_path / 'short.sgy'}: traces of 16 samples are shorter than "
                     "the denoiser's window of 128 samples; each is mirror-padded to it"]


def test_the_sample_interval_is_recorded_and_checked(capsys, tmp_path, survey):
    """A model trained on 2 ms traces encoded 4 ms traces of the same length without a word."""
    import segyio

    d, files, vol = survey
    m = tmp_path / "m"
    code, _, err = run(capsys, "train", files["full"], "--out", m, "--epochs", 1, "--latent", 2)
    assert code == 0, err
    code, out, _ = run(capsys, "info", m, "--json")
    assert json.loads(out)["sample_interval_ms"] == 2.0
    code, _, err = run(capsys, "encode", m, files["full"], "--out", tmp_path / "a.npy")
    assert code == 0 and "sampled every" not in err
    segyio.tools.from_array2D(str(tmp_path / "4ms.sgy"), vol[:30].astype(np.float32), dt=4000)
    code, _, err = run(capsys, "encode", m, tmp_path / "4ms.sgy", "--out", tmp_path / "b.npy")
    assert code == 0
    assert "its traces are sampled every 4 ms, the model's were every 2 ms" in err


def test_a_kept_denoiser_records_the_sample_interval(capsys, tmp_path, survey):
    """A denoiser kept by --save-model from 2 ms traces denoised 4 ms traces without a word
    (the same 128-sample window then spans twice the time: other frequencies)."""
    import segyio

    from geoae.applications import Denoiser

    _, files, vol = survey
    den = tmp_path / "den"
    code, _, err = run(capsys, "denoise", files["full"], "--out", tmp_path / "a.sgy", "--epochs",
                       1, "--save-model", den)
    assert code == 0, err
    assert Denoiser.load(den).sample_interval_ms_ == 2.0
    code, _, err = run(capsys, "denoise", den, files["full"], "--out", tmp_path / "b.sgy")
    assert code == 0 and "sampled every" not in err, err
    segyio.tools.from_array2D(str(tmp_path / "4ms.sgy"), vol[:30].astype(np.float32), dt=4000)
    code, _, err = run(capsys, "denoise", den, tmp_path / "4ms.sgy", "--out", tmp_path / "c.sgy")
    assert code == 0
    assert "its traces are sampled every 4 ms, those the denoiser" in err
    assert "trained on every 2 ms" in err
    # a denoiser fitted on arrays knows no interval, and says nothing
    arrays = Denoiser(epochs=1, hidden=(4, 8), latent_dim=8, device="cpu",
                      random_state=0).fit(vol[:30])
    assert arrays.sample_interval_ms_ is None
    arrays.save(tmp_path / "plain")
    assert Denoiser.load(tmp_path / "plain").sample_interval_ms_ is None
    code, _, err = run(capsys, "denoise", tmp_path / "plain", tmp_path / "4ms.sgy", "--out",
                       tmp_path / "d.sgy")
    assert code == 0 and "sampled every" not in err, err


def test_a_muted_survey_is_at_its_own_level_and_minus_999_is_an_amplitude(capsys, tmp_path):
    """The amplitude check took the scale 1 that training gives a constant (muted) time sample
    for a measured level: encoding the model's own training file said 'its amplitudes are
    0.272 times ...'. And -999 in an integer SEG-Y was reported as a null marker, per chunk."""
    from geoae.datasets import make_synthetic_seismic

    vol = np.concatenate([make_synthetic_seismic(n_traces=N_XL, n_samples=NS, snr_db=5.0,
                                                 random_state=i).noisy for i in range(N_IL)])
    vol = np.round(vol * 3000.0)
    vol[:, :8] = 0.0  # a top mute
    vol[5, 20], vol[9, 30] = -999.0, -9999.0  # ordinary amplitudes here
    ils = np.repeat(np.arange(100, 100 + N_IL), N_XL)
    xls = np.tile(np.arange(2000, 2000 + N_XL), N_IL)
    muted = write_volume(tmp_path / "muted.sgy", vol, ils, xls, fmt=3)  # int16 samples
    m = tmp_path / "m"
    code, _, err = run(capsys, "train", muted, "--out", m, "--epochs", 1, "--latent", 2)
    assert code == 0, err
    code, _, err = run(capsys, "encode", m, muted, "--out", tmp_path / "c.npy", "--chunk-rows", 7)
    assert code == 0 and err == "", err
    quiet = write_volume(tmp_path / "quiet.sgy", vol / 1000.0, ils, xls)
    code, _, err = run(capsys, "encode", m, quiet, "--out", tmp_path / "q.npy")
    ratio = float(err.split("its amplitudes are ")[1].split(" times")[0])
    assert code == 0 and 0.0008 < ratio < 0.0012


def test_a_survey_of_dead_traces_only_says_so(capsys, tmp_path):
    ils = np.repeat(np.arange(1, 5), 10)
    xls = np.tile(np.arange(1, 11), 4)
    dead = write_volume(tmp_path / "dead.sgy", np.zeros((40, 32)), ils, xls)
    code, _, err = run(capsys, "train", dead, "--out", tmp_path / "m", "--epochs", 1)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "error: every streamed sample read has no observed value (SEG-Y: every trace is dead, "
        "all zero); nothing to train on")
