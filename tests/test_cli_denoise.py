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
    code, _, err = run(capsys, "info", tmp_path / "den")
    assert code == 2 and "holds a Denoiser" in err and "geoae denoise" in err
