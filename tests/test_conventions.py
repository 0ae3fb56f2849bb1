"""What a scikit-learn user and a researcher meet at the edges (eleventh session's audits): a
prefit encoder in cross-validation, pandas output settings, interpolation inputs, latent-map
fills, log10 curves written to LAS, BCE errors beyond the training range, short wells under a
windowed detector, the Denoiser behind a Pipeline's labels, and the CLI's backbones."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline

from geoae import VAE, AutoEncoder
from geoae.applications import AnomalyDetector, Denoiser, EncoderFeatures
from geoae.applications.features import latent_map
from geoae.applications.seismic import seismic_latent_attributes
from geoae.datasets import load_kansas_facies, make_synthetic_seismic, make_synthetic_wells
from geoae.errors import ConfigError, DataError

CURVES = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]


@pytest.fixture(scope="module")
def kansas():
    frame = load_kansas_facies()
    return frame[frame.WELL.isin(["SHRIMPLIN", "NEWBY", "LUKE G U", "ALEXANDER D"])].reset_index(
        drop=True)


@pytest.fixture(scope="module")
def encoder(kansas):
    return AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(kansas[CURVES])


def test_prefit_encoder_survives_clone_and_cross_validation(kansas, encoder):
    """cross_val_score of Pipeline(EncoderFeatures(fitted, prefit=True), RF) raised 'prefit=True
    but the model is not fitted' (clone re-created the model unfitted)."""
    weights = {k: v.clone() for k, v in encoder.model_.state_dict().items()}
    feats = EncoderFeatures(encoder, prefit=True)
    assert clone(feats).model is encoder  # kept, fitted
    fresh = clone(EncoderFeatures(encoder))  # without prefit: cloned unfitted, as usual
    assert fresh.model is not encoder and not hasattr(fresh.model, "model_")
    pipe = Pipeline([("f", feats), ("rf", RandomForestClassifier(20, random_state=0))])
    X, y, groups = kansas[CURVES], kansas["Facies"], kansas["WELL"]
    scores = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(2), n_jobs=1)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    for k, v in encoder.model_.state_dict().items():  # the shared encoder is never refitted
        assert torch_equal(v, weights[k])
    # the features are the prefit encoder's own codes
    codes = pipe.fit(X, y).named_steps["f"].transform(X)[:, -2:]
    np.testing.assert_array_equal(codes, encoder.transform(X))


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


def test_pandas_output_settings_do_not_break_internal_transforms(kansas, tmp_path):
    """Under sklearn.set_config(transform_output="pandas") (or the model's own set_output),
    VAE.interpolate raised KeyError, windowed seismic attributes AttributeError, and
    workflows.encode wrote all-NaN codes."""
    from geoae import workflows

    X = kansas[CURVES].dropna()
    vae = VAE(latent_dim=2, hidden=(8,), epochs=2, random_state=0).fit(X)
    want = vae.interpolate(X.iloc[[0]], X.iloc[[5]], steps=3)
    section = make_synthetic_seismic(n_traces=12, n_samples=64, snr_db=None, random_state=0)
    from test_denoising import write_test_segy

    segy = write_test_segy(tmp_path / "cube.sgy", section.clean, 3, 4)
    windowed = AutoEncoder(backbone="conv1d", latent_dim=2, hidden=(4,), epochs=1,
                           random_state=0).fit(section.clean[:, None, :32])
    attrs = seismic_latent_attributes(windowed, segy, stride=16).values
    table = tmp_path / "logs.csv"
    X.assign(WELL="W", DEPTH=np.arange(len(X), dtype=float)).to_csv(table, index=False)
    model_dir = tmp_path / "model"
    vae.save(model_dir)
    workflows.encode(model_dir, table, tmp_path / "codes_default.csv")
    default_codes = pd.read_csv(tmp_path / "codes_default.csv")
    with sklearn.config_context(transform_output="pandas"):
        np.testing.assert_array_equal(vae.interpolate(X.iloc[[0]], X.iloc[[5]], steps=3), want)
        np.testing.assert_array_equal(seismic_latent_attributes(windowed, segy, stride=16).values,
                                      attrs)
        workflows.encode(model_dir, table, tmp_path / "codes_pandas.csv")
    pandas_codes = pd.read_csv(tmp_path / "codes_pandas.csv")
    assert pandas_codes.filter(like="LATENT").notna().all().all()
    pd.testing.assert_frame_equal(pandas_codes, default_codes)
    vae.set_output(transform="pandas")
    np.testing.assert_array_equal(vae.interpolate(X.iloc[[0]], X.iloc[[5]], steps=3), want)


def test_interpolate_refuses_more_than_one_sample(kansas):
    X = kansas[CURVES].dropna()
    vae = VAE(latent_dim=2, hidden=(8,), epochs=1, random_state=0).fit(X)
    with pytest.raises(DataError, match="x_a must be one sample.*2 rows"):
        vae.interpolate(X.iloc[[0, 1]], X.iloc[[5]], steps=3)
    arr = VAE(latent_dim=2, hidden=(8,), epochs=1, random_state=0).fit(X.to_numpy())
    with pytest.raises(DataError, match="x_b must be one sample of shape \\(5,\\)"):
        arr.interpolate(X.to_numpy()[0], X.to_numpy()[:2], steps=3)


def test_latent_map_fills_missing_values_with_the_training_mean(kansas):
    """With scaler="minmax" a missing PE entered PCA at 0 in scaled units: the curve's minimum,
    not its mean."""
    X = kansas[CURVES]
    assert X["PE"].isna().any()
    ae = AutoEncoder(latent_dim=2, hidden=(8,), epochs=2, scaler="minmax", random_state=0).fit(X)
    frame = latent_map(ae, X)
    scaled = (X.to_numpy() - ae.scaler_offset_) / ae.scaler_scale_
    mean = np.nanmean(scaled, axis=0)
    filled = np.where(np.isfinite(scaled), scaled, mean)
    from sklearn.decomposition import PCA

    pca = PCA(2, random_state=0).fit(filled)
    np.testing.assert_allclose(frame.attrs["pca_r2"], pca.explained_variance_ratio_.sum(), rtol=1e-9)
    np.testing.assert_allclose(np.abs(frame[["pca_1", "pca_2"]].to_numpy()),
                               np.abs(pca.transform(filled)), atol=1e-8)


def test_write_las_labels_log10_curves(tmp_path):
    """sample_wells of a VAE fitted on log10 RT gave a frame whose attrs still said RT is OHMM:
    write_las wrote log10 values labelled ohm.m, silently."""
    import lasio

    from geoae.io import write_las
    from geoae.preprocessing import inverse_log10_curves, log10_curves

    df = pd.DataFrame({"DEPTH": [100.0, 100.5, 101.0], "GR": [50.0, 60.0, 70.0],
                       "RT": [2.0, 20.0, 200.0]})
    df.attrs = {"units": {"GR": "gAPI", "RT": "OHMM"}}
    logs = log10_curves(df, ["RT"])
    with pytest.warns(UserWarning, match=r"\['RT'\] hold log10 values"):
        path = write_las(logs, tmp_path / "log.las")
    las = lasio.read(path)
    assert las.curves["RT"].unit == "log10(OHMM)" and las.curves["GR"].unit == "gAPI"
    np.testing.assert_allclose(las["RT"], [np.log10(2.0), np.log10(20.0), np.log10(200.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = write_las(inverse_log10_curves(logs), tmp_path / "linear.las")
        explicit = write_las(logs, tmp_path / "explicit.las", units={"RT": "LOG_OHMM"})
    assert lasio.read(back).curves["RT"].unit == "OHMM"
    assert lasio.read(explicit).curves["RT"].unit == "LOG_OHMM"  # the caller's unit wins


def test_bce_error_beyond_the_training_range_is_not_negative():
    """A value far beyond the minmax training range got a negative per-feature BCE and the
    smallest error of all: the worst outlier ranked as the most normal."""
    rng = np.random.default_rng(0)
    u = rng.uniform(0, 1, 400)
    X = np.column_stack([u, 0.7 * u + rng.normal(0, 0.02, 400)])
    ae = AutoEncoder(latent_dim=1, hidden=(8,), epochs=30, loss="bce", scaler="minmax",
                     random_state=0).fit(X)
    probe = np.array([[0.5, v] for v in (0.35, 1.0, 3.0, 10.0)])
    with pytest.warns(UserWarning, match=r"outside the training range.*'feature 1': 3"):
        err = ae.reconstruction_error(probe, per_feature=True)
    assert (err >= 0).all()
    # independently: BCE of the reconstruction against the target clipped to [0, 1]
    p = np.clip((ae.reconstruct(probe) - ae.scaler_offset_) / ae.scaler_scale_, 1e-7, 1 - 1e-7)
    z = np.clip((probe - ae.scaler_offset_) / ae.scaler_scale_, 0, 1)
    from scipy.special import xlogy

    kl = xlogy(z, z) - z * np.log(p) + xlogy(1 - z, 1 - z) - (1 - z) * np.log1p(-p)
    np.testing.assert_allclose(err, kl, rtol=1e-5, atol=1e-12)
    # far beyond the range scores far above the same sample in range and above most training
    # rows (the raw BCE ranked it below the training rows)
    with pytest.warns(UserWarning, match="outside the training range"):
        spike, normal = ae.reconstruction_error(np.array([[0.5, 10.0], [0.5, 0.35]]))
    assert spike > 10 * normal and spike > np.median(ae.reconstruction_error(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside = ae.reconstruction_error(X[:20])
    assert (inside >= 0).all()


def test_windowed_detector_pads_a_short_well():
    """One well shorter than window stopped the whole fit with 'a well has 13 samples'."""
    wells = make_synthetic_wells(n_wells=2, n_samples=200, random_state=0, faults=False).observed
    curves = ["GR", "RHOB", "NPHI"]
    short = wells[wells.WELL == wells.WELL.iloc[0]].iloc[:13].assign(WELL="STUB")
    X = pd.concat([wells[["WELL", *curves]], short[["WELL", *curves]]], ignore_index=True)
    conv = AutoEncoder(backbone="conv1d", latent_dim=4, hidden=(8,), epochs=2, random_state=0)
    with pytest.warns(UserWarning, match=r"shorter than window=32.*'STUB': 13"):
        det = AnomalyDetector(model=conv, window=32, stride=16, random_state=0).fit(X)
    with pytest.warns(UserWarning, match="STUB"):
        scores = det.score_samples(X)
    assert np.isfinite(scores).all() and scores.shape == (len(X),)
    # the stub's scores are its own: the long wells score the same without it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = det.score_samples(X[X.WELL != "STUB"])
    np.testing.assert_allclose(alone, scores[:len(alone)], rtol=1e-6)


def test_denoiser_in_a_pipeline_with_labels_says_what_to_do():
    seis = make_synthetic_seismic(n_traces=40, n_samples=64, random_state=0)
    labels = np.arange(40) % 2
    den = Denoiser(window=16, stride=8, hidden=(4, 8), latent_dim=8, epochs=1, random_state=0)
    with pytest.raises(DataError, match="FrozenEstimator"):
        Pipeline([("d", den), ("rf", RandomForestClassifier(5))]).fit(seis.noisy, labels)
    from sklearn.frozen import FrozenEstimator

    fitted = clone(den).fit(seis.noisy)
    pipe = Pipeline([("d", FrozenEstimator(fitted)), ("rf", RandomForestClassifier(5, random_state=0))])
    assert pipe.fit(seis.noisy, labels).predict(seis.noisy).shape == (40,)


@pytest.mark.parametrize("backbone", ["conv1d", "conv2d"])
def test_cli_train_backbones_say_what_they_take(backbone, tmp_path, capsys, wells_csv):
    from clirun import run

    code, _, err = run(capsys, "train", wells_csv, "--backbone", backbone, "--epochs", "1",
                       "--out", tmp_path / "m", "-q")
    assert code != 0 and "Traceback" not in err
    assert f"--backbone {backbone}" in err and "Python API" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "m").exists()


def test_cli_conv1d_on_segy_still_trains(tmp_path, capsys):
    from clirun import run
    from test_denoising import write_test_segy

    section = make_synthetic_seismic(n_traces=12, n_samples=64, snr_db=None, random_state=0)
    segy = write_test_segy(tmp_path / "cube.sgy", section.clean, 3, 4)
    code, _, err = run(capsys, "train", segy, "--backbone", "conv1d", "--epochs", "1",
                       "--out", tmp_path / "m", "-q")
    assert code == 0, err
    with pytest.raises(ConfigError):
        run_train_conv2d(segy, tmp_path / "m2")


def run_train_conv2d(segy, out):
    from geoae import workflows

    workflows.train(segy, out, backbone="conv2d", epochs=1)


def test_an_output_folder_that_cannot_be_written_is_a_data_error(tmp_path, monkeypatch, capsys,
                                                                    wells_csv):
    """A read-only output folder was 'unexpected error (OSError: Read-only file system) ...
    Please report it', after training (denoise) or at the model's first write (train)."""

    from clirun import run
    from geoae import workflows
    from geoae._atomic import atomic_write_text

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataError, match=r"cannot write .*choose an --out"):
        atomic_write_text(blocker / "out.txt", "y")  # its folder is a file: mkstemp fails
    import tempfile

    real = tempfile.TemporaryFile
    ro = tmp_path / "ro"
    ro.mkdir()

    def refuse(*args, dir=None, **kwargs):  # the check makes a file there (os.access lies on
        if dir is not None and Path(dir) == ro:  # Windows, and to root)
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(DataError, match=r"folder .*ro is not writable"):
        workflows.check_output(ro / "out.csv", [], force=False)
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 1,
                       "--out", ro / "model", "-q")
    assert code == 2 and "is not writable" in err and not (ro / "model").exists()


def test_train_again_after_a_kill_before_the_first_checkpoint(tmp_path, capsys, wells_csv):
    """A run killed before its first checkpoint leaves only checkpoint.transforms.json: the same
    command was refused ('exists and is not empty; pass --force') with no model to replace."""
    from clirun import run

    out = tmp_path / "m"
    out.mkdir()
    (out / "checkpoint.transforms.json").write_text('{"log10": [], "units": {}}')
    code, _, err = run(capsys, "train", wells_csv, "--curves", "GR,RHOB", "--epochs", 1,
                       "--out", out, "-q")
    assert code == 0, err
    assert (out / "model.safetensors").is_file()


def test_las_output_from_a_table_leaves_text_columns_out(tmp_path, capsys, wells_csv):
    """detect/reconstruct of a table with a text column (Kansas' Formation) wrote it quoted in
    the ~ASCII section of a LAS 2.0 file ('2793.0 3.0 "A1 SH" 77.45 ...')."""
    import lasio

    from clirun import run

    obs = pd.read_csv(wells_csv)
    one = obs[obs.WELL == obs.WELL.iloc[0]].assign(Formation="A1 SH")
    data = tmp_path / "one.csv"
    one.to_csv(data, index=False)
    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI", "--epochs", 2, "--out",
               model, "-q")[0] == 0
    code, _, err = run(capsys, "reconstruct", model, data, "--out", tmp_path / "r.las", "-q")
    assert code == 0, err
    assert "text column(s) ['Formation']" in err
    text = (tmp_path / "r.las").read_text()
    assert '"' not in text.split("~A")[-1]
    las = lasio.read(tmp_path / "r.las")
    assert "Formation" not in las.keys() and "GR_RECON" in las.keys()
    np.testing.assert_allclose(las["GR"], one["GR"].to_numpy(), equal_nan=True)


def test_explain_shares_a_zero_score_among_the_observed_curves():
    """A sample scored exactly 0 (one curve measured, rebuilt exactly) got no share at all: the
    docs say shares are empty only where nothing was measured."""
    X = make_synthetic_wells(n_wells=1, n_samples=200, random_state=0, faults=False).observed[
        ["GR", "RHOB"]].to_numpy()
    det = AnomalyDetector(model=AutoEncoder(latent_dim=1, hidden=(4,), epochs=1),
                          random_state=0).fit(X)
    z2 = np.array([[0.0, np.nan], [0.0, 0.0], [1.0, 3.0], [np.nan, np.nan]])
    det._z2 = lambda X: (z2, X)  # the squared z-scores of four samples, as the model gave them
    share = det.explain(np.zeros((4, 2)))
    np.testing.assert_allclose(share[:3], [[1.0, 0.0], [0.5, 0.5], [0.25, 0.75]])
    assert np.isnan(share[3]).all()


def test_a_las_named_file_that_is_not_las_is_said_so(tmp_path):
    from geoae.io import sniff

    path = tmp_path / "numbers.las"
    path.write_text("100.0, 0.63, 302.19\n200.0, 0.50, 284.62\n")
    with pytest.raises(DataError, match=r"numbers.las: not a LAS file \(no '~' section"):
        sniff(path)


def test_a_model_curve_missing_from_the_data_says_what_to_do(tmp_path, capsys, wells_csv):
    from clirun import run

    model = tmp_path / "m"
    assert run(capsys, "train", wells_csv, "--curves", "GR,RHOB,NPHI", "--epochs", 1, "--out",
               model, "-q")[0] == 0
    data = tmp_path / "less.csv"
    pd.read_csv(wells_csv).drop(columns=["NPHI"]).to_csv(data, index=False)
    code, _, err = run(capsys, "encode", model, data, "--out", tmp_path / "z.csv", "-q")
    # scored from the other curves (as rows with NPHI missing), with a warning that says so
    assert code == 0, err
    assert "no NPHI column" in err and "geoae impute" in err
    assert pd.read_csv(tmp_path / "z.csv").filter(like="LATENT").notna().all().all()
    # more than half of the model's curves missing: more likely the wrong file, refused
    pd.read_csv(wells_csv)[["WELL", "DEPTH", "GR"]].to_csv(tmp_path / "gr.csv", index=False)
    code, _, err = run(capsys, "encode", model, tmp_path / "gr.csv", "--out", tmp_path / "y.csv")
    assert code == 2 and "['RHOB', 'NPHI'] not found" in err and "geoae impute" in err


def test_train_checkpoint_every(tmp_path, capsys, wells_csv):
    """A scheduler's SIGTERM lost up to 9 epochs: the CLI wrote a checkpoint every 10 epochs,
    with no option to change it (an audit of long streamed runs)."""
    from clirun import run
    from crashing import crash_at_epoch

    args = ["train", wells_csv, "--curves", "GR,RHOB,NPHI", "--epochs", 4, "--latent", 2, "-q"]
    assert run(capsys, *args, "--out", tmp_path / "straight")[0] == 0
    with crash_at_epoch(2, KeyboardInterrupt):  # after epochs 1-2 were checkpointed
        code, _, _ = run(capsys, *args, "--checkpoint-every", 1, "--out", tmp_path / "cut")
    assert code != 0 and (tmp_path / "cut" / "checkpoint.safetensors").is_file()
    assert run(capsys, *args, "--checkpoint-every", 1, "--out", tmp_path / "cut", "--resume")[0] == 0
    assert ((tmp_path / "cut" / "model.safetensors").read_bytes()
            == (tmp_path / "straight" / "model.safetensors").read_bytes())
    code, _, err = run(capsys, *args, "--checkpoint-every", 0, "--out", tmp_path / "bad")
    assert code == 2 and "--checkpoint-every 0 is not valid" in err


def test_sniff_finds_a_las_file_behind_a_long_comment_banner(tmp_path):
    from geoae.io import read_las, sniff

    banner = "".join(f"#{'=' * 70}\n" for _ in range(60))  # 4 kB of comment lines
    path = tmp_path / "banner.las"
    path.write_text(banner + "~Version\nVERS. 2.0 :\nWRAP. NO :\n~Well\nNULL. -999.25 :\n"
                    "~Curve\nDEPT.M :\nGR.API :\n~ASCII\n100.0 50.0\n100.5 60.0\n")
    assert sniff(path) == "las"
    np.testing.assert_allclose(read_las(path)["GR"], [50.0, 60.0])


def test_a_prefit_encoder_refuses_its_models_parameters_from_a_grid(kansas, encoder):
    """GridSearchCV over features__model__latent_dim set the shared, fitted encoder's
    latent_dim to 3 while its network still gave 2 codes (a review)."""
    feats = EncoderFeatures(encoder, prefit=True)
    with pytest.raises(ConfigError, match="model__latent_dim: a prefit=True EncoderFeatures"):
        feats.set_params(model__latent_dim=3)
    assert encoder.latent_dim == 2
    feats.set_params(passthrough=False)  # its own parameters are fine
    fresh = clone(encoder)  # without prefit a grid sets the (cloned, unfitted) model's
    assert EncoderFeatures(fresh).set_params(model__latent_dim=3).model.latent_dim == 3


def test_one_well_gets_a_validation_split_for_early_stopping(tmp_path, capsys):
    """A frame (or a single LAS file) of one well held nothing out: no val_loss, early stopping
    on the training loss, though the docs promise a held-out 10 % (a docs audit)."""
    from clirun import run
    from geoae.io import write_las

    one = make_synthetic_wells(n_wells=1, n_samples=300, random_state=0, faults=False).observed
    X = one[["WELL", "GR", "RHOB", "NPHI"]]
    ae = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(X)
    assert len(ae.history_["val_loss"]) == 3
    same = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(
        X[["GR", "RHOB", "NPHI"]])
    assert ae.history_["val_loss"] == same.history_["val_loss"]  # as without a WELL column
    las = write_las(one[["DEPTH", "GR", "RHOB", "NPHI"]], tmp_path / "one.las")
    code, out, err = run(capsys, "train", las, "--epochs", 2, "--out", tmp_path / "m", "--json")
    assert code == 0, err
    import json

    assert json.loads(out)["val_loss"] is not None
