"""Defects found by a scikit-learn contract audit (sixteenth session): a prefit detector that a
clone broke, a fitted ContextEncoder that did not pickle, unfitted estimators that answered or
failed with AttributeError, parameters taken without a check, raw errors from torch and
GaussianMixture, complex and sparse traces."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from geoae import VAE, AutoEncoder
from geoae.applications import AnomalyDetector, ContextEncoder, Denoiser, EncoderFeatures
from geoae.errors import ConfigError, DataError

T = dict(epochs=2, hidden=(8,), latent_dim=2, random_state=0)


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(200, 4))


def test_a_prefit_detector_survives_clone_and_a_grid_search(X):
    """clone() made the prefit model an unfitted copy: every GridSearchCV over contamination
    failed with 'fit it first'."""
    model = AutoEncoder(**T).fit(X)
    det = AnomalyDetector(model=model, prefit=True)
    assert clone(det).model is model
    search = GridSearchCV(det, {"contamination": [0.05, 0.2]}, cv=2, error_score="raise",
                          scoring=lambda e, X_, y=None: -float(np.mean(e.predict(X_) == -1))).fit(X)
    assert search.best_params_ == {"contamination": 0.05}  # fewer flags scores higher here
    # the weights were not retrained by the search: prefit uses the model as it is
    np.testing.assert_array_equal(search.best_estimator_.model_.transform(X), model.transform(X))
    unfitted = clone(AnomalyDetector(model=AutoEncoder(**T)))  # without prefit: a fresh clone
    assert not hasattr(unfitted.model, "model_")


def test_a_fitted_context_encoder_pickles(X):
    enc = ContextEncoder(context=1, hidden=(4,), epochs=1, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(enc))
    np.testing.assert_array_equal(again.transform(X), enc.transform(X))


@pytest.mark.parametrize("call", ["reconstruction_error", "get_feature_names_out"])
def test_unfitted_estimators_raise_not_fitted(X, call):
    args = (X,) if call == "reconstruction_error" else ()
    with pytest.raises(NotFittedError):
        getattr(AutoEncoder(), call)(*args)


def test_fitted_feature_names_unchanged(X):
    names = AutoEncoder(**T).fit(X).get_feature_names_out()
    assert list(names) == ["autoencoder0", "autoencoder1"]


@pytest.mark.parametrize(("make", "match"), [
    (lambda: EncoderFeatures(PCA(2)), "model=PCA"),
    (lambda: EncoderFeatures(AutoEncoder(**T), passthrough="no"), "passthrough='no'"),
    (lambda: EncoderFeatures(AutoEncoder(**T), prefit="yes"), "prefit='yes'"),
    (lambda: ContextEncoder(context=1, passthrough="no"), "passthrough='no'"),
    (lambda: AutoEncoder(device="mps", **T), "device='mps'"),
])
def test_parameters_are_checked_before_training(X, make, match):
    with pytest.raises(ConfigError, match=match):
        make().fit(X)


def test_gmm_prior_on_one_sample_says_so():
    with pytest.raises(DataError, match="prior='gmm'.*only 1 sample"):
        VAE(prior="gmm", **T).fit(np.array([[1.0, 2.0], [np.nan, np.nan], [np.nan, np.nan]]))


def test_context_encoder_without_features_says_so():
    with pytest.raises(DataError, match=r"0 feature\(s\)"):
        ContextEncoder(context=1, hidden=(4,), epochs=2).fit(np.empty((12, 0)))


@pytest.mark.parametrize(("traces", "match"), [(np.ones((4, 32)) + 1j, "complex"),
                                               (sp.csr_matrix(np.ones((4, 32))), "sparse")])
def test_denoiser_refuses_complex_and_sparse_traces(traces, match):
    with pytest.raises(DataError, match=match):
        Denoiser(window=16, stride=8, hidden=(4,), epochs=1).fit(traces)
    assert Denoiser().__sklearn_tags__().input_tags.allow_nan


def test_feature_makers_know_their_input_names(X):
    """EncoderFeatures/ContextEncoder kept their input names private: Pipeline.feature_names_in_
    failed and get_feature_names_out took any input_features."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame(X, columns=list("ABCD"))
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(EncoderFeatures(AutoEncoder(**T)), LogisticRegression()).fit(df, y)
    assert list(pipe.feature_names_in_) == list("ABCD")
    feats = pipe[0]
    with pytest.raises(ValueError, match="feature_names_in_"):
        feats.get_feature_names_out(["p", "q", "r", "s"])
    assert list(feats.get_feature_names_out(list("ABCD"))) == [*"ABCD", "latent0", "latent1"]
    on_array = EncoderFeatures(AutoEncoder(**T)).fit(X)
    assert not hasattr(on_array, "feature_names_in_")
    assert list(on_array.get_feature_names_out(list("pqrs")))[:4] == list("pqrs")
    with pytest.raises(ValueError, match="3 names"):
        on_array.get_feature_names_out(list("pqr"))
    ctx = ContextEncoder(context=1, hidden=(4,), epochs=1, random_state=0).fit(df.assign(WELL="W"))
    assert list(ctx.feature_names_in_) == list("ABCD")  # WELL set aside, as in its outputs
    # the fitted frame's columns, WELL among them (as a step before it in a Pipeline names them)
    assert list(ctx.get_feature_names_out([*"ABCD", "WELL"]))[:4] == list("ABCD")
