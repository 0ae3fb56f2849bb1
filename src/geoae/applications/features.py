"""Feature extraction with auto-encoders: latent maps beside PCA and encoder features for classifiers.

Every geoae estimator is already a scikit-learn transformer (``transform`` gives the code), so
``Pipeline([("ae", AutoEncoder(latent_dim=4)), ("clf", RandomForestClassifier())])`` works as is.
:class:`EncoderFeatures` adds what facies classification usually wants: the raw curves kept beside
the code (``passthrough``), an encoder pre-trained once on all wells without labels
(``prefit``), and a depth context (``context``: the curves of neighbouring samples of the same
well are fed to the encoder together).

Recipe -- pre-train on all wells unlabelled, classify facies with few labels::

    logs = frame[["WELL", "GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]]   # every well
    feats = EncoderFeatures(AutoEncoder(latent_dim=4, random_state=0), context=2).fit(logs)
    clf = Pipeline([("features", EncoderFeatures(feats.model_, context=2, prefit=True)),
                    ("rf", RandomForestClassifier(random_state=0))])
    clf.fit(logs[labelled], facies[labelled])       # a few labelled wells / intervals
    clf.predict(logs[unlabelled])
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..errors import ConfigError, DataError
from ..nn import DenseDecoder, DenseEncoder
from ..preprocessing import (
    WINDOW_GAP_STEPS,
    check_curve_columns,
    check_well_labels,
    depth_segments,
    empty_samples,
    quiet_null_markers,
    says_once,
    warn_if_wells_mixed,
    warn_null_markers,
    warn_once,
    well_and_depth,
    well_rows,
)
from .imputation import as_float_array, check_same_curves

__all__ = ["latent_map", "EncoderFeatures", "ContextEncoder", "encoder_features", "stack_context"]

WELL = "WELL"
DEPTH = "DEPTH"


def _numeric(X) -> tuple[np.ndarray, list[str], np.ndarray | None, np.ndarray | None, list[int]]:
    """Numeric values, their names, the WELL labels and depths (a DataFrame's WELL/DEPTH
    columns, else index levels of those names) and the indices of the columns the encoder
    takes (all but a ``DEPTH`` column, which is passed through as the Imputer does: a depth is
    where a sample is, not what it measures)."""
    if isinstance(X, pd.DataFrame):
        cols = check_curve_columns(X, skip=(WELL,), hint=" (WELL is set aside, DEPTH passed through)")
        wells, depth = well_and_depth(X)
        check_well_labels(wells)
        names = [str(c) for c in cols]
        encoded = [i for i, c in enumerate(names) if c != DEPTH]
        if not encoded:
            raise DataError(f"X has no curve for the encoder besides {[WELL, DEPTH]}")
        return X[cols].to_numpy(dtype=np.float64, na_value=np.nan), names, wells, depth, encoded
    arr = as_float_array(X)
    if arr.shape[1] == 0:
        raise DataError(f"X has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required: "
                        "give at least one curve")
    return arr, [f"x{i}" for i in range(arr.shape[1])], None, None, list(range(arr.shape[1]))


def stack_context(X: np.ndarray, context: int, wells: np.ndarray | None = None,
                  depth: np.ndarray | None = None, dtype=np.float64) -> np.ndarray:
    """Stack each row with its ``context`` neighbours above and below (same well, edge-padded).

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        Rows in depth order within each well, unless ``depth`` is given.
    context : int
        Samples on each side.
    wells : ndarray of shape (n_samples,), optional
        Well label per row; neighbours never cross a well boundary (the well's edge row repeats).
    depth : ndarray of shape (n_samples,), optional
        Depth per row: each well's rows are taken in depth order (a stable sort, rows without a
        depth last), whatever their order in ``X``; the output stays in ``X``'s row order. A gap
        in the log (a step longer than :data:`~geoae.preprocessing.WINDOW_GAP_STEPS` sample
        steps; shorter holes are bridged) ends the context as a well's edge does.
    dtype : numpy dtype, default=float64
        Of the output, written directly (``np.float32`` for a network's input: no float64
        copy of the whole stack on the way).

    Returns
    -------
    ndarray, shape (n_samples, (2 * context + 1) * n_features)
        Blocks ordered from ``-context`` to ``+context``.
    """
    if context == 0:
        return np.asarray(X, dtype=dtype)
    warn_if_wells_mixed(depth, wells)
    out = np.empty((len(X), (2 * context + 1) * X.shape[1]), dtype=dtype)
    for _, rows in well_rows(len(X), wells, depth):  # in depth order (NaN last) with depth
        pos = np.arange(len(rows))
        lo, hi = np.zeros(len(rows), dtype=np.int64), np.full(len(rows), len(rows) - 1)
        if depth is not None:
            # a gap in the log ends the context: the segment's edge row repeats, as at a well's
            segment = depth_segments(depth[rows], WINDOW_GAP_STEPS)
            first = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
            last = np.r_[first[1:] - 1, len(rows) - 1]
            lo, hi = first[segment], last[segment]
        for j, off in enumerate(range(-context, context + 1)):
            src = rows[np.clip(pos + off, lo, hi)]
            out[rows, j * X.shape[1]:(j + 1) * X.shape[1]] = X[src]
    return out


class _NamedInputs:
    """``feature_names_in_`` (the curves a DataFrame was fitted with, WELL set aside) and the
    check of ``get_feature_names_out``'s ``input_features``, for the two feature makers."""

    @property
    def feature_names_in_(self) -> np.ndarray:
        if not getattr(self, "_named", False):
            raise AttributeError(f"{type(self).__name__} was not fitted on a DataFrame with "
                                 "column names, so it has no feature_names_in_")
        return np.asarray(self.input_names_, dtype=object)

    def _input_features(self, input_features) -> list[str]:
        names = [str(c) for c in self.input_names_]
        if input_features is None:
            return names
        given = [str(c) for c in input_features]
        if WELL in given and WELL not in names:  # the fitted frame's columns, WELL set aside
            given = [c for c in given if c != WELL]
        if getattr(self, "_named", False) and given != names:
            raise ValueError(f"input_features {given} are not feature_names_in_ {names}")
        if len(given) != len(names):
            raise ValueError(f"input_features has {len(given)} names, but the "
                             f"{type(self).__name__} was fitted on {len(names)} features")
        return given


class EncoderFeatures(_NamedInputs, TransformerMixin, BaseEstimator):
    """Auto-encoder codes as classifier features, optionally beside the raw inputs.

    Parameters
    ----------
    model : geoae estimator or None
        A dense auto-encoder (default ``AutoEncoder(latent_dim=4, hidden=(32, 16))``). It is
        cloned and fitted in :meth:`fit` unless ``prefit=True``.
    passthrough : bool, default=True
        Return ``[X, codes]`` (raw numeric columns first) instead of the codes alone. A
        ``DEPTH`` column is among them: a classifier then learns from absolute depth, which
        seldom transfers between wells; give DEPTH as an index level instead (used for the
        order, not passed through) unless that is wanted.
    context : int, default=0
        Depth samples on each side stacked with each row before encoding
        (:func:`stack_context`); neighbours stay within the row's ``WELL`` when X has that
        column (or index level); each well's rows are taken in ``DEPTH`` order when X has
        that column or index level, else in their order in X.
    prefit : bool, default=False
        ``model`` is already fitted (e.g. pre-trained on all wells without labels): :meth:`fit`
        only checks it. Its input must match the stacked width; a model fitted on a DataFrame
        (``context=0``) gets its curves from X by name, in its own order, whatever X's order.
    random_state : int, RandomState or None, default=None
        Seed given to the cloned model (overrides the model's own ``random_state`` when not
        None, as in :class:`~geoae.applications.AnomalyDetector` and
        :class:`~geoae.applications.Imputer`); when None, the model's own is used.

    Attributes
    ----------
    model_ : fitted estimator
    n_features_in_ : int
        Numeric input columns (WELL excluded; a DEPTH column counts: it is passed through
        with ``passthrough=True`` but not encoded).
    """

    def __init__(self, model=None, *, passthrough=True, context=0, prefit=False, random_state=None):
        self.model = model
        self.passthrough = passthrough
        self.context = context
        self.prefit = prefit
        self.random_state = random_state

    def __sklearn_clone__(self):
        """scikit-learn's ``clone`` (GridSearchCV, cross_val_score, a Pipeline's clone) keeps a
        ``prefit=True`` model as it is, fitted, as :class:`sklearn.frozen.FrozenEstimator` does:
        pre-training on every well once, then judging the classifier on held-out wells, is what
        ``prefit`` is for. Without ``prefit`` the model is cloned unfitted, as usual."""
        if not self.prefit:
            return super().__sklearn_clone__()
        return type(self)(**self.get_params(deep=False))

    def set_params(self, **params):
        """As scikit-learn's; a ``prefit=True`` model's own parameters (``model__...``, e.g. from
        a grid) are refused: the fitted network would not follow them, and the model is shared
        with its caller."""
        nested = sorted(k for k in params if k.startswith("model__"))
        if nested and params.get("prefit", self.prefit):
            raise ConfigError(f"{', '.join(nested)}: a prefit=True EncoderFeatures does not set its "
                              "fitted model's parameters (the network would not follow them); "
                              "search over them with prefit=False, which fits a clone")
        return super().set_params(**params)

    def _stack(self, X, model=None):
        """``(values, names, encoder input, encoded)``: the numeric columns (WELL left out), what
        the encoder gets (the rows stacked with their ``context`` neighbours; for a model fitted
        on named curves, a prefit one with ``context=0``, its curves taken from X by name, in
        its order) and which columns of ``values`` it is made of (all but DEPTH). Null markers
        are reported here, by curve name, and not again by the model."""
        values, names, wells, depth, encoded = _numeric(X)
        warn_null_markers(values, names)
        if not (isinstance(self.context, (int, np.integer)) and self.context >= 0):
            raise ConfigError(f"context={self.context!r} is not valid: an integer >= 0")
        fitted_on = getattr(model, "feature_names_in_", None)
        if fitted_on is not None and isinstance(X, pd.DataFrame) and self.context == 0:
            want = [str(c) for c in fitted_on]
            missing = [c for c in want if c not in names]
            if missing:
                raise DataError(f"curve(s) {missing} of the prefit {type(model).__name__} are "
                                f"missing from X (the model was fitted on {want}; X has {names})")
            frame = pd.DataFrame(values[:, [names.index(c) for c in want]], columns=list(fitted_on))
            return values, names, frame, encoded
        return values, names, stack_context(values[:, encoded], int(self.context), wells,
                                            depth), encoded

    def fit(self, X, y=None):
        """Fit (or, with ``prefit=True``, check) the encoder on ``X (n_samples, n_features)``
        (NaN allowed, a ``WELL`` column used for ``context``); ``y`` is ignored."""
        from ..models import BaseAutoEncoder

        if self.model is not None and not isinstance(self.model, BaseAutoEncoder):
            raise ConfigError(f"model={self.model!r} is not valid: None or a geoae estimator "
                              "such as AutoEncoder(...) or VAE(...) (its encoder makes the features)")
        for name in ("passthrough", "prefit"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid: True or False")
        if self.prefit:
            if self.model is None:
                raise ConfigError("prefit=True needs a fitted model")
            try:
                check_is_fitted(self.model)
            except NotFittedError as exc:
                raise ConfigError("prefit=True but the model is not fitted; fit it first") from exc
            self.model_ = self.model
            values, names, stacked, _ = self._stack(X, self.model_)
        else:
            values, names, stacked, _ = self._stack(X)
            if self.model is None:
                from ..models import AutoEncoder

                model = AutoEncoder(latent_dim=4, hidden=(32, 16), random_state=self.random_state)
            else:
                model = clone(self.model)
                if self.random_state is not None:  # the wrapper's seed wins, as elsewhere
                    model.set_params(random_state=self.random_state)
            wells = well_and_depth(X)[0]  # early stopping holds out whole wells, as the
            # WELL column makes a model's own fit do
            by_well = {"wells": wells} if wells is not None and isinstance(model, BaseAutoEncoder) else {}
            with quiet_null_markers(), warnings.catch_warnings():  # said by _stack, by name
                if self.model is None:  # the default's width is geoae's choice, not the user's
                    warnings.filterwarnings("ignore", message="the latent dimension")
                self.model_ = model.fit(stacked, **by_well)
        self._check_width(stacked, names)
        self.n_features_in_ = values.shape[1]
        self.input_names_ = names
        self._named = isinstance(X, pd.DataFrame)
        return self

    def _check_width(self, stacked, names) -> None:
        width = stacked.shape[1]
        if tuple(self.model_.input_shape_) == (width,):
            return
        depth_too = DEPTH in names and tuple(self.model_.input_shape_) == (
            width // max(1, len(names) - 1) * len(names),)
        hint = (" The encoder was fitted with DEPTH among its inputs, by a geoae from before DEPTH "
                "was passed through instead of encoded: fit it again" if depth_too else "")
        raise DataError(f"the encoder takes {self.model_.input_shape_} inputs but X with "
                        f"context={self.context} gives {width}.{hint}")

    @says_once
    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``; a warning about X is said once."""
        return super().fit_transform(X, y, **fit_params)

    def transform(self, X) -> np.ndarray:
        """``(n_samples, n_features + latent_dim)`` with passthrough, else ``(n_samples, latent_dim)``.

        A row with no observed value of its own (every numeric column NaN) gets NaN codes, also
        with ``context`` (its neighbours' readings do not make a code for it); downstream
        estimators that accept NaN (e.g. ``HistGradientBoostingClassifier``) handle it, or drop
        such rows first.
        """
        check_is_fitted(self)
        values, names, stacked, encoded = self._stack(X, self.model_)
        if values.shape[1] != self.n_features_in_:
            raise DataError(f"X has {values.shape[1]} features, but EncoderFeatures is expecting "
                            f"{self.n_features_in_} features as input")
        if isinstance(X, pd.DataFrame) and getattr(self, "_named", False):
            check_same_curves(names, self.input_names_, "encoder")
        if not isinstance(stacked, pd.DataFrame):
            self._check_width(stacked, names)
        with quiet_null_markers():  # said by _stack, with the curves' names
            codes = np.array(self.model_.transform(stacked))  # an array whatever set_output says
        # a row without a reading of its own gets no code (with context the stacked row may hold
        # its neighbours'); its DEPTH alone does not count
        codes[empty_samples(values[:, encoded])] = np.nan
        return np.hstack([values, codes]) if self.passthrough else codes

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Raw names (with passthrough) then ``latent0``, ``latent1``, ..."""
        check_is_fitted(self)
        latent = [f"latent{i}" for i in range(self.model_.latent_dim)]
        names = self._input_features(input_features)
        return np.asarray((names if self.passthrough else []) + latent, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def save(self, path) -> Path:
        """Write the fitted transformer into folder ``path``: its encoder as a model folder in
        ``model/`` and its parameters and input curves in ``config.json`` (no pickle);
        :meth:`load` or :func:`geoae.load` read it back."""
        import json

        from .. import distributed as _dist
        from .._atomic import atomic_write_text
        from .._persistence import FEATURES_FORMAT, jsonable_params, make_folder
        from .._version import __version__

        check_is_fitted(self, "model_")
        path = Path(path)
        if not _dist.is_main_process():  # rank 0 alone writes, under torchrun
            return path
        path = make_folder(path)  # first: a path that is a file is refused by its name
        self.model_.save(path / "model")
        params = jsonable_params({k: v for k, v in self.get_params(deep=False).items()
                                  if k != "model"})
        config = {"format": FEATURES_FORMAT, "format_version": 1, "geoae_version": __version__,
                  "class": "EncoderFeatures", "params": params,
                  "fitted": {"n_features_in": int(self.n_features_in_),
                             "input_names": [str(c) for c in self.input_names_],
                             "named": bool(getattr(self, "_named", False))}}
        atomic_write_text(path / "config.json", json.dumps(config, indent=2))
        return path

    @classmethod
    def load(cls, path) -> EncoderFeatures:
        """Read a folder written by :meth:`save` (its encoder hash-checked, never unpickled)."""
        import json

        from .._persistence import FEATURES_FORMAT, format_version_problem
        from ..models import load as load_model

        path = Path(path)
        try:
            cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
            if not isinstance(cfg, dict) or cfg.get("format") != FEATURES_FORMAT:
                raise ValueError(f"config.json format != {FEATURES_FORMAT!r}")
            problem = format_version_problem(cfg)
            if problem:
                raise ValueError(problem)
            params = dict(cfg["params"])
            params.pop("model", None)  # the encoder is the folder's model/
            feats = cls(**params)
            ctx = feats.context
            if not (isinstance(ctx, int) and not isinstance(ctx, bool) and ctx >= 0):
                raise ValueError(f"context {ctx!r} is not an integer >= 0")
            if not (isinstance(feats.passthrough, bool) and isinstance(feats.prefit, bool)):
                raise ValueError("passthrough and prefit must be true or false")
            feats.model_ = load_model(path / "model")
            feats.model = feats.model_
            fit = cfg["fitted"]
            feats.n_features_in_ = int(fit["n_features_in"])
            feats.input_names_ = [str(c) for c in fit["input_names"]]
            feats._named = bool(fit["named"])
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError) as exc:
            raise ConfigError(f"encoder-features folder {path}: cannot be read ({exc})") from None
        return feats


@says_once
def encoder_features(model, X, *, context: int = 0, passthrough: bool = True) -> pd.DataFrame:
    """Fit ``model`` on all of ``X`` without labels (unless already fitted) and return the features.

    Parameters
    ----------
    model : geoae estimator
        Dense auto-encoder; fitted on ``X`` (a clone) when not fitted yet.
    X : DataFrame or array, shape (n_samples, n_features)
        Curves (a ``WELL`` column is used for ``context`` and dropped from the features).
    context, passthrough
        As in :class:`EncoderFeatures`.

    Returns
    -------
    pandas.DataFrame, shape (n_samples, n_features + latent_dim) or (n_samples, latent_dim)
        Same index as ``X`` (when a DataFrame); columns the raw names (in ``X``'s dtypes: a
        pandas nullable curve stays nullable) then ``latent0``... (float64).
    """
    try:
        check_is_fitted(model)
        prefit = True
    except NotFittedError:
        prefit = False
    feats = EncoderFeatures(model, context=context, passthrough=passthrough, prefit=prefit).fit(X)
    index = X.index if isinstance(X, pd.DataFrame) else None
    frame = pd.DataFrame(feats.transform(X), columns=feats.get_feature_names_out(), index=index)
    if passthrough and isinstance(X, pd.DataFrame):  # the raw curves themselves, in their dtypes
        for c in X.columns:
            if c != WELL:
                frame[str(c)] = X[c].array
    return frame


@says_once
def latent_map(model, X, labels=None, *, random_state=0) -> pd.DataFrame:
    """2-D latent map of a fitted auto-encoder beside PCA's 2-D projection of the same data.

    Both see the same scaled data: the model's own fitted scaler is applied before PCA, and
    missing values are set to the feature's training mean (as at the model's own input) for PCA
    only. A row with no observed value has no code: its four map coordinates are NaN (and it is
    left out of both PCA fits). When the model's ``latent_dim`` exceeds 2, its codes are
    projected on their own first two principal axes (the share of the code variance they keep
    is reported).

    Parameters
    ----------
    model : fitted dense geoae estimator
    X : DataFrame or array, shape (n_samples, n_features)
        Data in the user's units (a ``WELL`` column is allowed and ignored by the models).
    labels : array-like of shape (n_samples,), optional
        Classes to colour the map with (e.g. facies); returned as column ``label``. A Series
        beside a DataFrame ``X`` is aligned on X's index; an array is taken in row order.
    random_state : int, default=0
        Seed of the PCA solver.

    Returns
    -------
    pandas.DataFrame, shape (n_samples, 4 or 5)
        Columns ``ae_1``, ``ae_2``, ``pca_1``, ``pca_2`` (and ``label``); index of ``X`` when a
        DataFrame. ``frame.attrs`` holds ``pca_explained_variance_ratio`` (two floats, share of
        the scaled data's variance), ``pca_r2`` (their sum), ``ae_r2`` (1 - mean squared
        reconstruction error / total variance, scaled units, observed entries),
        ``ae_latent_variance_ratio`` (share of the code variance in the 2-D map; 1.0 when
        ``latent_dim == 2``) and ``latent_dim``.
    """
    check_is_fitted(model)
    if len(model.input_shape_) != 1:
        raise ConfigError("latent_map needs a dense model fitted on (n_samples, n_features)")
    if model.latent_dim < 2:
        raise ConfigError("latent_map needs latent_dim >= 2")
    values = _numeric(X)[0]
    codes = np.asarray(model.transform(X))  # an array whatever set_output says
    seen = ~empty_samples(values)
    if not seen.any():
        raise DataError("latent_map: no row of X has an observed value (every entry is NaN)")
    ae = np.full((len(codes), 2), np.nan)
    if model.latent_dim == 2:
        ae[seen], ratio = codes[seen], 1.0
    else:
        p = PCA(2, random_state=random_state).fit(codes[seen])
        ae[seen], ratio = np.asarray(p.transform(codes[seen])), float(p.explained_variance_ratio_.sum())
    scaled = (values - model.scaler_offset_) / model.scaler_scale_
    observed = np.isfinite(scaled)
    filled = np.where(observed, scaled, model._fill())  # the training mean, in scaled units
    pca = PCA(2, random_state=random_state).fit(filled[seen])
    proj = np.full((len(filled), 2), np.nan)
    proj[seen] = np.asarray(pca.transform(filled[seen]))
    err = model.reconstruction_error(X)
    total = np.nanvar(np.where(observed, scaled, np.nan), axis=0).mean()
    index = X.index if isinstance(X, pd.DataFrame) else None
    frame = pd.DataFrame({"ae_1": ae[:, 0], "ae_2": ae[:, 1], "pca_1": proj[:, 0], "pca_2": proj[:, 1]},
                         index=index)
    if labels is not None:
        if isinstance(labels, pd.Series) and index is not None and not labels.index.equals(index):
            # a pandas user expects alignment by index (labels of a filtered or re-sorted frame)
            if not (labels.index.is_unique and index.isin(labels.index).all()):
                raise DataError("labels is a Series whose index does not hold every row of X's "
                                "index (once each); pass labels.loc[X.index], or an array in X's "
                                "row order")
            labels = labels.loc[index]
        labels = np.asarray(labels)
        if len(labels) != len(frame):
            raise DataError(f"labels has {len(labels)} entries but X has {len(frame)} rows")
        frame["label"] = labels
    frame.attrs.update({
        "pca_explained_variance_ratio": [float(v) for v in pca.explained_variance_ratio_],
        "pca_r2": float(pca.explained_variance_ratio_.sum()),
        "ae_r2": float(1.0 - np.nanmean(err) / total),
        "ae_latent_variance_ratio": ratio,
        "latent_dim": int(model.latent_dim),
    })
    return frame


class _ContextNet(nn.Module):
    """An auto-encoder of flattened ``(2 * context + 1, channels)`` windows whose decoder gets
    the window's centre row beside the code (a module-level class, so that a fitted
    ContextEncoder pickles, for joblib and scikit-learn's tools)."""

    def __init__(self, channels: int, context: int, latent_dim: int, hidden: tuple[int, ...]):
        super().__init__()
        n_in = (2 * context + 1) * channels
        self.centre = (context * channels, (context + 1) * channels)
        self.encoder = DenseEncoder(n_in, latent_dim, hidden=hidden, activation="elu")
        self.decoder = DenseDecoder(latent_dim + channels, n_in, hidden=hidden, activation="elu")

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        a, b = self.centre
        return self.decoder(torch.cat([self.encoder(x), x[:, a:b]], dim=1))



class ContextEncoder(_NamedInputs, TransformerMixin, BaseEstimator):
    """Codes of what a sample's depth context adds to its own readings, as classifier features.

    An auto-encoder of windows of ``+-context`` samples (within each ``WELL``) whose decoder is
    given, beside the code, the window's centre row: rebuilding the window then needs from the
    code only what the neighbours add to the sample (bed boundaries, trends, thin beds), not
    the sample's own readings, which a classifier sees anyway (``passthrough=True``). It is
    trained without labels, on every well one has (pre-training on the wells to be classified
    is legitimate: only their labels must stay out).

    On the Kansas facies data (leave-one-well-out RandomForest, ``benchmarks/bench_features.py
    --context-encoder``) such codes raised the macro-F1 where a plain auto-encoder's did not:
    see ``docs/benchmarks.md``.

    Missing values: the curves are standardised; a missing reading is 0 with an indicator
    channel for every curve that has gaps in the fitting data. A ``DEPTH`` column is passed
    through, not encoded; ``WELL`` groups the rows. A row with no reading of its own gets NaN
    codes.

    Parameters
    ----------
    context : int, default=8
        Samples on each side of a row (edge-padded at a well's top and base). Each well's rows
        are taken in ``DEPTH`` order when X has that column (or index level), else in their
        order in X.
    latent_dim : int, default=2
        Size of the code. Small on purpose: the code sits beside the raw curves, and a
        RandomForest's feature sampling dilutes every raw curve by each feature added.
    hidden : tuple of int, default=(64, 32)
        Widths of the encoder's hidden layers (the decoder mirrors them).
    epochs, batch_size, learning_rate, weight_decay
        Training (AdamW, mean squared error over the window, every row used: no early stop).
    passthrough : bool, default=True
        Return ``[curves, codes]`` instead of the codes alone (a ``DEPTH`` column among the
        curves: see :class:`EncoderFeatures`).
    device : str, default="auto"
        Training device (``"auto"``: CUDA when present, else the CPU); the fitted network is
        kept on the CPU for :meth:`transform`, as the Denoiser's is.
    random_state : int or None
    verbose : bool, default=False

    Attributes
    ----------
    network_ : torch.nn.Module
    input_names_ : list of str
        Numeric input columns (WELL excluded; DEPTH included and passed through).
    history_ : dict
        Per-epoch training loss.
    """

    def __init__(self, context=8, latent_dim=2, hidden=(64, 32), epochs=150, batch_size=256,
                 learning_rate=1e-3, weight_decay=1e-5, passthrough=True, random_state=None,
                 verbose=False, device="auto"):
        self.context = context
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.passthrough = passthrough
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _check_params(self) -> None:
        from .._validation import check, check_random_state_param, is_int, is_real

        check_random_state_param(self.random_state)

        check(is_int(self.context) and self.context >= 1, "context", self.context,
              "an integer >= 1 (samples on each side)")
        check(is_int(self.latent_dim) and self.latent_dim >= 1, "latent_dim", self.latent_dim,
              "an integer >= 1")
        check(isinstance(self.hidden, (tuple, list)) and len(self.hidden) >= 1
              and all(is_int(h) and h >= 1 for h in self.hidden), "hidden", self.hidden,
              "a non-empty tuple of positive integers")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            check(is_int(value) and value >= 1, name, value, "a positive integer")
        check(is_real(self.learning_rate) and self.learning_rate > 0, "learning_rate",
              self.learning_rate, "a positive number")
        check(is_real(self.weight_decay) and self.weight_decay >= 0, "weight_decay",
              self.weight_decay, "a number >= 0")
        check(isinstance(self.passthrough, (bool, np.bool_)), "passthrough", self.passthrough,
              "True or False")

    def _curves(self, X, reset: bool):
        """``(values, names, (wells, depth), encoded columns, curves)``, checked: against the fitted
        columns unless ``reset``; infinite readings as missing (with a warning)."""
        values, names, wells, depth, encoded = _numeric(X)
        if values.shape[0] == 0:
            raise DataError("X has no rows")
        if not reset:
            if not isinstance(X, pd.DataFrame) and DEPTH in self.input_names_:
                raise DataError(f"the context encoder was fitted on a DataFrame with a {DEPTH} "
                                f"column; give X as a DataFrame with the columns "
                                f"{self.input_names_} (an array does not say which column is "
                                "the depth)")
            if values.shape[1] != self.n_features_in_:
                raise DataError(f"X has {values.shape[1]} features, but ContextEncoder is "
                                f"expecting {self.n_features_in_} features as input (curves "
                                f"{self.input_names_})")
            if isinstance(X, pd.DataFrame) and self._named:
                check_same_curves(names, self.input_names_, "context encoder")
        inf = np.isinf(values)
        if inf.any():
            warn_once(f"X holds {int(inf.sum())} infinite value(s); they are treated as missing",
                      RuntimeWarning)
            values = np.where(inf, np.nan, values)
        warn_null_markers(values, names)
        return values, names, (wells, depth), encoded, values[:, encoded]

    def _windows(self, where, curves) -> tuple[np.ndarray, np.ndarray]:
        """``(flat windows (n, (2k+1) * channels) float32, rows with a reading)``; ``where`` is
        ``(wells, depth)`` (either None)."""
        Z = (curves - self.mean_) / self.scale_
        gaps = np.isnan(Z)
        channels = np.hstack([np.where(gaps, 0.0, Z), gaps[:, self.flagged_].astype(np.float64)])
        flat = stack_context(channels, int(self.context), *where, dtype=np.float32)
        return flat, np.isfinite(curves).any(axis=1)

    def fit(self, X, y=None):
        """Train on ``X`` (curves, optionally WELL and DEPTH columns) without labels; ``y`` is
        ignored."""
        import torch

        from ..training import fit_module, resolve_device, seeded

        self._check_params()
        values, names, where, encoded, curves = self._curves(X, reset=True)
        observed = np.isfinite(curves)
        if not observed.any(axis=0).all():
            empty = [names[encoded[j]] for j in np.flatnonzero(~observed.any(axis=0))]
            raise DataError(f"curve(s) {empty} of X have no reading; drop them")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.mean_ = np.nanmean(curves, axis=0)
            std = np.nanstd(curves, axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.flagged_ = np.flatnonzero((~observed).any(axis=0))
        self.input_names_ = names
        self.n_features_in_ = values.shape[1]
        self._named = isinstance(X, pd.DataFrame)
        flat, _ = self._windows(where, curves)
        channels = len(encoded) + len(self.flagged_)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        device = resolve_device(self.device)

        def objective(module, xb, mb):
            return torch.nn.functional.mse_loss(module(xb), xb), {}

        with seeded(seed, device):
            net = _ContextNet(channels, int(self.context), int(self.latent_dim),
                               tuple(int(h) for h in self.hidden)).to(device)
            self.history_ = fit_module(
                net, objective, torch.from_numpy(flat).to(device), None, epochs=int(self.epochs),
                batch_size=int(self.batch_size), learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay), patience=int(self.epochs) + 1,
                verbose=bool(self.verbose), desc="ContextEncoder")
        self.network_ = net.cpu().eval()
        return self

    @says_once
    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``; a warning about X is said once."""
        return super().fit_transform(X, y, **fit_params)

    def transform(self, X) -> np.ndarray:
        """``(n_samples, n_features + latent_dim)`` with passthrough, else
        ``(n_samples, latent_dim)``; NaN codes for a row with no reading of its own."""
        import torch

        check_is_fitted(self, "network_")
        values, _, where, _, curves = self._curves(X, reset=False)
        flat, has = self._windows(where, curves)
        with torch.no_grad():
            codes = self.network_.encode(torch.from_numpy(flat)).double().numpy()
        codes[~has] = np.nan
        return np.hstack([values, codes]) if self.passthrough else codes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    _WEIGHTS = "context_encoder.safetensors"

    def save(self, path) -> Path:
        """Write the fitted encoder into folder ``path``: its network, the curves' scaling and
        gap channels as safetensors, its parameters and input curves in ``config.json`` (no
        pickle); :meth:`load` or :func:`geoae.load` read it back."""
        import torch

        from .._persistence import CONTEXT_FORMAT, jsonable_params, write_folder
        from .._version import __version__

        check_is_fitted(self, "network_")
        tensors = {f"network.{k}": v.detach().cpu().contiguous()
                   for k, v in self.network_.state_dict().items()}
        tensors["scaler.mean"] = torch.as_tensor(self.mean_, dtype=torch.float64)
        tensors["scaler.scale"] = torch.as_tensor(self.scale_, dtype=torch.float64)
        tensors["gaps"] = torch.as_tensor(np.asarray(self.flagged_, dtype=np.int64))
        params = jsonable_params(self.get_params())
        device = str(params.pop("device"))
        if device != "auto":  # the default left out: a geoae without the parameter reads it
            params["device"] = device
        config = {"format": CONTEXT_FORMAT, "format_version": 1, "geoae_version": __version__,
                  "class": "ContextEncoder", "params": params,
                  "fitted": {"n_features_in": int(self.n_features_in_),
                             "input_names": [str(c) for c in self.input_names_],
                             "named": bool(self._named), "history": self.history_}}
        write_folder(path, self._WEIGHTS, tensors, config)
        return Path(path)

    @classmethod
    def load(cls, path) -> ContextEncoder:
        """Read a folder written by :meth:`save`; never unpickles; checks hash, keys and shapes
        (on the meta device before building the network)."""
        from .._persistence import CONTEXT_FORMAT, build_and_load, read_folder

        path = Path(path)

        def fail(what: str) -> ConfigError:
            return ConfigError(f"context-encoder folder {path}: {what}")

        cfg, tensors = read_folder(path, cls._WEIGHTS, CONTEXT_FORMAT, "context encoder", fail)
        try:
            params = dict(cfg["params"])
            params["hidden"] = tuple(params["hidden"])
            ce = cls(**params)
            ce._check_params()
            fit = cfg["fitted"]
            ce.n_features_in_ = int(fit["n_features_in"])
            ce.input_names_ = [str(c) for c in fit["input_names"]]
            ce._named = bool(fit["named"])
            ce.history_ = dict(fit.get("history") or {})
            ce.mean_ = tensors["scaler.mean"].double().numpy()
            ce.scale_ = tensors["scaler.scale"].double().numpy()
            ce.flagged_ = tensors["gaps"].numpy().astype(np.int64)
            if len(ce.input_names_) != ce.n_features_in_ or ce.mean_.shape != ce.scale_.shape:
                raise ValueError("the input curves and the scaling do not agree")
            if not (np.isfinite(ce.mean_).all() and np.isfinite(ce.scale_).all()
                    and (ce.scale_ > 0).all()):
                raise ValueError("the scaling is not finite and positive")
            if ce.flagged_.size and not (0 <= ce.flagged_.min() and ce.flagged_.max() < len(ce.mean_)):
                raise ValueError("the gap channels name curves that are not there")
            channels = len(ce.mean_) + len(ce.flagged_)
            state = {k[len("network."):]: v for k, v in tensors.items() if k.startswith("network.")}
            ce.network_ = build_and_load(
                lambda: _ContextNet(channels, int(ce.context), int(ce.latent_dim),
                                     tuple(int(h) for h in ce.hidden)), state).eval()
        except ConfigError as exc:
            raise fail(f"invalid parameter: {exc}") from None
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
            raise fail(f"config and weights do not fit together ({exc})") from None
        return ce

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "network_")
        latent = [f"context{i}" for i in range(int(self.latent_dim))]
        names = self._input_features(input_features)
        return np.asarray((names if self.passthrough else []) + latent, dtype=object)
