"""Failure behaviour found by a first-week user's audit (fourteenth session): each case gets
a readable error (exit 2 on the command line) or reads the data as the user meant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geoae
from clirun import run
from geoae.applications import AnomalyDetector, ContextEncoder, Denoiser, EncoderFeatures, Imputer
from geoae.errors import ConfigError


@pytest.mark.parametrize("make", [geoae.AutoEncoder, geoae.VAE, Imputer, AnomalyDetector,
                                  Denoiser, ContextEncoder, EncoderFeatures])
@pytest.mark.parametrize("seed", [-1, 2**32, 2**40])
def test_a_seed_numpy_cannot_take_is_a_config_error(make, seed):
    """numpy seeds with 0 .. 2**32 - 1; anything else was a bare ValueError (exit 1 and
    "please report it" on the command line)."""
    X = np.random.default_rng(0).random((8, 64) if make is Denoiser else (60, 3))
    with pytest.raises(ConfigError, match=r"random_state=.* \[0, 2\*\*32 - 1\]"):
        make(random_state=seed).fit(X)


def test_cli_seed_out_of_range_is_one_line(capsys, tmp_path):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(80, 3)), columns=["GR", "RHOB", "NPHI"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(capsys, "train", tmp_path / "t.csv", "--seed", -1, "--epochs", 1,
                       "--out", tmp_path / "m")
    assert code == 2 and "--seed -1 is not valid" in err and "report" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_trains_every_curve_of_a_decimal_comma_table(capsys, tmp_path):
    """A ';'/',' export trained on its one integer column (NM_M), every curve dropped as text."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"GR": rng.normal(80, 10, 120), "RHOB": rng.normal(2.4, 0.1, 120),
                          "NM_M": rng.integers(1, 3, 120)})
    frame.to_csv(tmp_path / "eu.csv", sep=";", decimal=",", index=False)
    code, _, err = run(capsys, "train", tmp_path / "eu.csv", "--epochs", 1, "--out",
                       tmp_path / "m")
    assert code == 0, err
    assert "decimal comma" in err
    assert list(geoae.load(tmp_path / "m").feature_names_in_) == ["GR", "RHOB", "NM_M"]


def test_out_of_memory_is_a_machine_error_line():
    """An option asking for terabytes (--latent 10**12, generate -n 10**11) ended as
    "unexpected error ... please report it" (exit 1)."""
    from geoae.cli import _environment_error

    torch_text = ("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't "
                  "allocate memory: you tried to allocate 1600000000000 bytes.")
    line = _environment_error(RuntimeError(torch_text))
    assert line.startswith("out of memory (1,490.1 GiB asked for)") and "--latent" in line
    assert _environment_error(MemoryError()).startswith("out of memory")
    try:
        try:
            raise MemoryError("Unable to allocate 49.5 GiB for an array")
        except MemoryError as exc:
            raise ValueError("wrapped") from exc
    except ValueError as wrapped:
        assert _environment_error(wrapped).startswith("out of memory")
    assert _environment_error(RuntimeError("shapes do not match")) is None


def test_saving_onto_a_file_names_it(tmp_path):
    """``save()`` onto an existing file was a bare FileExistsError / NotADirectoryError."""
    from geoae.errors import DataError

    X = np.random.default_rng(0).random((60, 3))
    target = tmp_path / "a_file"
    target.write_text("keep me")
    for est in (geoae.AutoEncoder(epochs=1), AnomalyDetector(model=geoae.AutoEncoder(epochs=1)),
                EncoderFeatures(model=geoae.AutoEncoder(epochs=1)),
                Imputer(model=geoae.AutoEncoder(epochs=1), n_ensemble=1)):
        X_fit = X.copy()
        if isinstance(est, Imputer):
            X_fit[::7, 2] = np.nan
        est.fit(X_fit)
        with pytest.raises(DataError, match=f"{target}.* is a file; a model is saved as a folder"):
            est.save(target)
        assert target.read_text() == "keep me"


def test_a_folder_of_another_kind_is_named(tmp_path):
    """A `geoae train` model given where a context encoder or denoiser folder is expected said
    "cannot read ... context_encoder.safetensors (No such file)"; a SEG-Y file given as the
    denoiser folder said "Not a directory"."""
    from geoae.errors import ConfigError

    X = np.random.default_rng(0).random((60, 3))
    geoae.AutoEncoder(epochs=1).fit(X).save(tmp_path / "ae")
    with pytest.raises(ConfigError, match="not a geoae context encoder: it holds an auto-encoder"):
        ContextEncoder.load(tmp_path / "ae")
    with pytest.raises(ConfigError, match="not a geoae denoiser: it holds an auto-encoder"):
        Denoiser.load(tmp_path / "ae")
    (tmp_path / "f.sgy").write_bytes(b"\0" * 10)
    with pytest.raises(ConfigError, match="f.sgy: not a folder"):
        Denoiser.load(tmp_path / "f.sgy")
    with pytest.raises(ConfigError, match="no such folder"):
        Imputer.load(tmp_path / "nowhere")
