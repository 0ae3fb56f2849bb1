"""``geoae denoise --save-model``: a denoiser trained on one file denoises others the same way."""

from __future__ import annotations

import numpy as np

from clirun import run


def _line(path, seed):
    import segyio

    from geoae.datasets import make_synthetic_seismic

    sei = make_synthetic_seismic(n_traces=30, n_samples=160, snr_db=0.0, random_state=seed)
    segyio.tools.from_array2D(str(path), sei.noisy.astype(np.float32), dt=2000)
    return sei


def test_save_model_then_denoise_another_file_with_it(capsys, tmp_path):
    from geoae import Denoiser
    from geoae.io import read_segy

    a, b = tmp_path / "a.sgy", tmp_path / "b.sgy"
    _line(a, 0)
    _line(b, 1)
    den = tmp_path / "den"
    code, _, err = run(capsys, "denoise", a, "--out", tmp_path / "a_dn.sgy", "--epochs", 2,
                       "--save-model", den, "--quiet")
    assert code == 0, err
    assert (den / "config.json").is_file() and (den / "model.safetensors").is_file()
    loaded = Denoiser.load(den)
    # the kept denoiser is the one that denoised a.sgy ...
    np.testing.assert_allclose(read_segy(tmp_path / "a_dn.sgy").traces,
                               loaded.transform(read_segy(a).traces), rtol=0, atol=1e-5)
    # ... and denoises b.sgy without training again
    code, _, err = run(capsys, "denoise", den, b, "--out", tmp_path / "b_dn.sgy", "--quiet")
    assert code == 0, err
    np.testing.assert_allclose(read_segy(tmp_path / "b_dn.sgy").traces,
                               loaded.transform(read_segy(b).traces), rtol=0, atol=1e-5)


def test_save_model_refusals_are_one_line(capsys, tmp_path):
    a = tmp_path / "a.sgy"
    _line(a, 0)
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    cases = [
        (["--save-model", full], "exists and is not empty; pass --force"),
        (["--save-model", a], "is a file; give a folder name"),
        (["--save-model", tmp_path / "no" / "den"], "does not exist; create it first"),
    ]
    for extra, words in cases:
        code, _, err = run(capsys, "denoise", a, "--out", tmp_path / "o.sgy", "--epochs", 1,
                           *extra, "--quiet")
        assert code == 2 and words in err and "Traceback" not in err, err
        assert not (tmp_path / "o.sgy").exists()
    assert (full / "notes.txt").read_text() == "mine"


def test_a_denoiser_folder_loads_with_geoae_load_and_the_model_commands_name_it(capsys, tmp_path):
    """geoae.load said "config.json lacks the key 'input_shape'" for a Denoiser folder; the
    auto-encoder commands now say it is a Denoiser and how to use it."""
    import geoae
    from geoae import Denoiser
    from geoae.datasets import make_synthetic_seismic

    sec = make_synthetic_seismic(n_traces=20, n_samples=64, random_state=0)
    den = Denoiser(window=32, stride=8, hidden=(4, 8), latent_dim=4, epochs=1,
                   random_state=0).fit(sec.noisy)
    den.save(tmp_path / "den")
    loaded = geoae.load(tmp_path / "den")
    assert isinstance(loaded, Denoiser)
    np.testing.assert_array_equal(loaded.transform(sec.noisy), den.transform(sec.noisy))
    sec_table = tmp_path / "x.csv"
    sec_table.write_text("GR,RHOB\n1,2\n3,4\n")
    code, _, err = run(capsys, "encode", tmp_path / "den", sec_table, "--out", tmp_path / "y.csv")
    assert code == 2 and "holds a Denoiser" in err and "geoae denoise" in err
    # geoae info describes it (it refused it: no way to see a denoiser's noise level; an audit)
    code, out, err = run(capsys, "info", tmp_path / "den", "--json")
    assert code == 0, err
    summary = __import__("json").loads(out)
    assert summary["model"] == "Denoiser" and summary["mode"] == "self-supervised"
    np.testing.assert_allclose(summary["noise_level"], den.noise_level_)
    assert summary["params"]["window"] == 32 and summary["epochs_run"] == 1


def _small(sec_noisy):
    from geoae import Denoiser

    return Denoiser(window=32, stride=8, hidden=(4, 8), latent_dim=4, epochs=1,
                    random_state=0).fit(sec_noisy)


def test_denoise_segy_keeps_zeros_and_missing_samples_and_clips_integer_overshoot(tmp_path):
    """Mutes and dead traces (exact zeros) came out as noise; one NaN sample aborted the whole
    run after training; an int16 file whose denoised peak overshot 32767 by 137 counts was
    refused with no output (an audit). Zeros in runs stay zero, NaN stays NaN (one warning),
    and integer overshoot is clipped (one warning)."""
    import warnings

    import pytest
    import segyio

    from geoae.applications.denoising import denoise_segy
    from geoae.datasets import make_synthetic_seismic
    from geoae.io import read_segy

    sec = make_synthetic_seismic(n_traces=20, n_samples=64, random_state=0)
    traces = (sec.noisy * 1000).astype(np.float32)
    traces[3] = 0.0           # a dead trace
    traces[5, :10] = 0.0      # a mute
    traces[7, 20] = np.nan    # a missing sample
    model = _small(np.nan_to_num(traces))
    src = tmp_path / "in.sgy"
    segyio.tools.from_array2D(str(src), traces, dt=2000)
    with pytest.warns(UserWarning, match="1 sample\\(s\\) are NaN or infinite"):
        denoise_segy(model, src, tmp_path / "out.sgy")
    out = read_segy(tmp_path / "out.sgy").traces
    assert (out[3] == 0).all() and (out[5, :10] == 0).all()
    assert np.isnan(out[7, 20]) and np.isfinite(np.delete(out.ravel(), 7 * 64 + 20)).all()
    assert np.abs(out[5, 10:]).max() > 0 and np.abs(out[4]).max() > 0  # the rest is denoised
    np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(model.transform(traces)),
                               rtol=1e-5, atol=1e-3)

    # an int16 file at full scale, and a denoiser whose output overshoots it by 10 %
    full = np.nan_to_num(traces) / np.nanmax(np.abs(traces)) * 32767
    src16 = tmp_path / "in16.sgy"
    segyio.tools.from_array2D(str(src16), full.astype(np.float32), format=3, dt=2000)
    model.transform = lambda X, **kw: np.asarray(X, dtype=np.float64) * 1.1
    with pytest.warns(UserWarning, match=r"sample\(s\) beyond the range .*\(format 3\) were clipped"):
        denoise_segy(model, src16, tmp_path / "out16.sgy")
    out16 = read_segy(tmp_path / "out16.sgy").traces
    assert out16.max() == 32767 and out16.min() >= -32768
    with warnings.catch_warnings():  # within range: nothing said
        warnings.simplefilter("error")
        model.transform = lambda X, **kw: np.asarray(X, dtype=np.float64) * 0.5
        denoise_segy(model, src16, tmp_path / "half16.sgy")


def test_a_saved_denoiser_on_a_file_at_another_amplitude_level(capsys, tmp_path):
    """A denoiser trained on one file and used on the same data 100 times louder wrote noise
    (rms 487 for an input rms of 0.4 in the audit). The file is brought to the level the
    denoiser was trained on and back: the result is 100 times the original's."""
    import segyio

    from geoae.io import read_segy

    a, loud = tmp_path / "a.sgy", tmp_path / "loud.sgy"
    sei = _line(a, 0)
    segyio.tools.from_array2D(str(loud), (sei.noisy * 100).astype(np.float32), dt=2000)
    den = tmp_path / "den"
    code, _, err = run(capsys, "denoise", a, "--out", tmp_path / "a_dn.sgy", "--epochs", 2,
                       "--save-model", den, "--quiet")
    assert code == 0, err
    code, _, err = run(capsys, "denoise", den, loud, "--out", tmp_path / "loud_dn.sgy", "--quiet")
    assert code == 0, err
    assert "amplitudes are 100 times those the denoiser" in err and "scaled by 0.01" in err
    np.testing.assert_allclose(read_segy(tmp_path / "loud_dn.sgy").traces,
                               100 * read_segy(tmp_path / "a_dn.sgy").traces, rtol=1e-4, atol=1e-2)
    code, _, err = run(capsys, "denoise", den, a, "--out", tmp_path / "a_dn2.sgy", "--quiet")
    assert code == 0 and "amplitudes are" not in err  # the training file's own level


def test_dead_traces_are_not_trained_on(capsys, tmp_path):
    """--train-traces took the first traces, often zero padding at a survey's edge: the
    denoiser learnt a noise level of 0.001 and removed nothing (an audit)."""
    import segyio

    sei = _line(tmp_path / "a.sgy", 0)
    padded = sei.noisy.astype(np.float32).copy()
    padded[:12] = 0.0
    segyio.tools.from_array2D(str(tmp_path / "pad.sgy"), padded, dt=2000)
    code, out, err = run(capsys, "denoise", tmp_path / "pad.sgy", "--out", tmp_path / "o.sgy",
                         "--epochs", 1, "--train-traces", 10, "--json")
    assert code == 0, err
    assert "12 dead trace(s)" in err
    summary = __import__("json").loads(out)
    assert summary["trained_on_traces"] == 10 and summary["noise_level"][0] > 0.1
    segyio.tools.from_array2D(str(tmp_path / "zero.sgy"), np.zeros((8, 64), np.float32), dt=2000)
    code, _, err = run(capsys, "denoise", tmp_path / "zero.sgy", "--out", tmp_path / "z.sgy")
    assert code == 2 and "every trace read is dead" in err


def test_an_8_byte_float_file_is_written_without_a_narrowing_warning(tmp_path):
    """segyio said "Implicit conversion from float32 to float64 (narrowing)" on format-6 files
    (an audit): their samples are now handed to it as float64."""
    import warnings

    import segyio

    from geoae.applications.denoising import denoise_segy
    from geoae.datasets import make_synthetic_seismic
    from geoae.io import read_segy

    sec = make_synthetic_seismic(n_traces=12, n_samples=64, random_state=0)
    segyio.tools.from_array2D(str(tmp_path / "f6.sgy"), sec.noisy.astype(np.float64), format=6,
                              dt=2000)
    model = _small(sec.noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        denoise_segy(model, tmp_path / "f6.sgy", tmp_path / "f6_dn.sgy")
    np.testing.assert_allclose(read_segy(tmp_path / "f6_dn.sgy").traces, model.transform(sec.noisy),
                               rtol=0, atol=1e-5)
