"""Anomaly detection (bad log intervals, unusual samples or traces) by reconstruction error.

:class:`AnomalyDetector` fits any geoae auto-encoder on the (unlabelled, possibly faulty)
data, turns each entry's reconstruction residual into a robust z-score per curve (centred and
scaled by the median and MAD of that curve's training residuals of the same kind, i.e. from
samples with as many other curves observed, so that neither one noisy curve nor a well's
sections with fewer curves dominate) and scores each sample by the mean squared z-score over its
observed curves.
It follows scikit-learn's outlier-detector conventions (``score_samples`` higher = more
normal, ``decision_function`` negative = anomaly, ``predict`` in {-1, 1}).
"""

from __future__ import annotations

import numbers
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._validation import check_random_state_param, is_int, is_real
from ..errors import ConfigError, DataError
from ..models import BaseAutoEncoder, DenoisingAutoEncoder
from ..preprocessing import (
    WINDOW_GAP_STEPS,
    depth_segments,
    depth_step,
    empty_samples,
    make_windows,
    outside_ranges,
    overlap_add,
    quiet_null_markers,
    recorded_physical_ranges,
    says_once,
    warn_if_wells_mixed,
    warn_null_markers,
    warn_once,
    well_rows,
)
from .imputation import PASSTHROUGH_COLUMNS, as_column, as_float_array, check_same_curves, split_frame

__all__ = ["AnomalyDetector"]

_MAD_TO_STD = 1.4826


def default_model(random_state=None) -> DenoisingAutoEncoder:
    """The default network of :class:`AnomalyDetector`: a small dense denoising auto-encoder.

    Masking noise (20 % of the entries set to the mean while training) teaches it to rebuild
    each curve from the others, so a value that disagrees with the rest of its sample keeps a
    large residual and missing curves are handled gracefully; robust scaling keeps the faults
    in the training data from setting the scale.
    """
    return DenoisingAutoEncoder(noise="masking", noise_level=0.2, latent_dim=4, hidden=(64, 32),
                                scaler="robust", epochs=150, batch_size=256, patience=15,
                                learning_rate=2e-3, random_state=random_state)


def _regular(depth: np.ndarray) -> bool:
    """Whether a well's depths (in order) are regularly sampled: at least half of the steps
    within 10 % of the sample step (a LAS file with STEP != 0 is; core plugs are not)."""
    steps = np.diff(depth[np.isfinite(depth)])
    steps = steps[steps > 0]
    if steps.size < 2:
        return True
    step = depth_step(depth)
    return bool(np.mean(np.abs(steps - step) <= 0.1 * step) >= 0.5)


class AnomalyDetector(OutlierMixin, BaseEstimator):
    """Unsupervised anomaly detector built on a geoae auto-encoder.

    Parameters
    ----------
    model : geoae estimator or None, default=None
        The auto-encoder to fit (cloned; never modified). None: :func:`default_model`, a dense
        :class:`~geoae.DenoisingAutoEncoder` with masking noise, latent 4, hidden (64, 32),
        robust scaling. Any of the five estimators works. With a ``backbone="conv1d"`` model and
        2-D input ``(n_depths, n_curves)`` the curves are cut into sliding windows of
        ``window`` samples (per well), the model is fitted on the windows and the residuals are
        mapped back to every depth sample by overlap-add; with 3-D input ``(n_traces, channels,
        length)`` each trace is one sample.
    contamination : float in (0, 0.5], default=0.01
        Expected share of anomalies in the training data: the threshold is the
        ``contamination`` quantile of the training ``score_samples``. Ignored if ``threshold``
        is given.
    threshold : float or None, default=None
        Fixed threshold on the anomaly score (the mean squared robust z-score, ``-score_samples``);
        a sample scoring above it is an anomaly.
    curve_masking : bool or "auto", default="auto"
        Dense models on 2-D input: compute each curve's residual with that curve hidden from
        the network (rebuilt from the other curves only; one pass per curve). A bad reading
        then can neither pass itself through the network nor smear its error onto the other
        curves, which sharpens both the score and :meth:`explain`. The default model is trained
        with masking noise for exactly this. False: one plain reconstruction. ``"auto"``: True
        for models that rebuild a curve from the others (trained with masking noise, a VAE, or
        a code narrower than the number of curves) and False for a plain or Gaussian-noise
        auto-encoder whose code is as wide as the curves: that one learns to copy its input,
        and with a curve hidden it copies the curve's mean (on synthetic wells with tool
        faults, an ``AutoEncoder()`` of latent 8 on 7 curves found spikes with ROC-AUC 0.78-0.80
        with the curve hidden and 0.97-0.99 without). The choice is in ``curve_masking_``.
        A sample with a single observed curve has no other curve to rebuild it from: its
        residual is that of the plain reconstruction (normalised by the statistics of such
        residuals, see Notes).
    stuck_run : int or None, default=5
        Stuck-tool check (2-D log input): an entry in a run of at least ``stuck_run`` identical
        consecutive readings of a curve (per well, in depth order) gets the squared z-score
        ``min(run length, 100)**2`` times the sample's number of observed curves if that is
        larger than its residual's, so the sample scores at least ``run length**2`` (25 for a
        run of 5) and a flat-lined tool is flagged even where its stuck value is plausible.
        Curves on which such runs are common in the training data (over 5 % of samples:
        indicators, coarsely quantised curves) are exempt (``stuck_curves_``). None disables
        the check.
    window, stride : int, default=32 and 8
        Window length and step in depth samples (conv1d model on 2-D input only).
    physical_range : bool, default=True
        For a DataFrame of curves whose units are recorded in ``X.attrs["units"]`` (as
        :func:`~geoae.io.read_wells` gives them; log10 curves per ``X.attrs["log10_curves"]``):
        readings outside the curve's physical range (:data:`geoae.preprocessing.PHYSICAL_RANGES`
        in that unit: a sonic of 1 us/ft, a PE of 198 b/e) are missing for the model (not learnt
        from, and left out of the scores, shares and threshold, so they neither use up the
        ``contamination`` budget nor distort the sample's other curves), and :meth:`predict`
        flags the samples holding them whatever their score (the physical
        ranges used are ``physical_ranges_``; see
        :func:`geoae.preprocessing.recorded_physical_ranges`).
    random_state : int, RandomState or None, default=None
        Seed given to the model (overrides the model's own ``random_state`` when not None).
        Not used with ``prefit=True``.
    prefit : bool, default=False
        Use ``model`` as it is, already fitted (for example trained by ``geoae train`` and read
        back with :func:`geoae.load`; give it as log10 the curves its folder's ``transforms.json``
        lists): :meth:`fit` then only fits the robust residual
        normalisation, the stuck-tool exemptions and the threshold on X, and never changes the
        model's weights. ``model_`` is ``model`` itself (not a copy). The model must be fitted
        (else :class:`sklearn.exceptions.NotFittedError`) and X must hold the curves it was
        fitted on (a :class:`~geoae.errors.DataError` names a missing one; DataFrame columns
        are reordered to the model's order). ``WELL`` and ``DEPTH`` are never scored, so a
        model fitted with either as a feature is refused (a ``DataError`` naming it: refit the
        model without it, or train and score the column under another name).

    Attributes
    ----------
    model_ : BaseAutoEncoder
        The fitted auto-encoder.
    offset_ : float
        ``decision_function = score_samples - offset_``.
    threshold_ : float
        ``-offset_``: anomaly-score threshold.
    residual_center_, residual_scale_ : ndarray of shape (n_curves,)
        Median and 1.4826 x MAD of each curve's training residuals (scaled units) as used for a
        sample with every curve observed: ``coverage_center_[:, -1]`` and
        ``coverage_scale_[:, -1]`` (for traces, 3-D input, the statistics over all residuals).
    coverage_center_, coverage_scale_ : ndarray of shape (n_curves, n_curves)
        2-D input: the median and 1.4826 x MAD used for curve ``j``'s residual in a sample
        where ``k`` other curves are observed, at ``[j, k]`` (after the fallback for thin bins,
        see Notes). Traces (3-D input): shape ``(n_channels, 1)``, the pooled statistics.
    coverage_counts_ : ndarray of int, shape (n_curves, n_curves) or (n_channels, 1)
        Number of training residuals in each bin (before the fallback).
    curves_ : list of str
        Curve (feature or channel) names.
    stuck_curves_ : ndarray of bool, shape (n_curves,)
        Curves checked for stuck readings.
    curve_masking_ : bool
        Whether residuals are computed with each curve hidden (``curve_masking`` resolved).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names of a DataFrame X (``WELL``/``DEPTH`` included; they are not features).

    Notes
    -----
    The score of a sample is ``mean_j z_j**2`` over its observed curves, with
    ``z_j = (r_j - median_jk) / (1.4826 MAD_jk)`` and ``r_j`` the residual ``x_j - x_hat_j`` in
    the model's scaled units (raised for stuck readings, see ``stuck_run``). Missing values
    (NaN) are ignored: a sample is scored on its observed curves.

    The spread of a curve's residual depends on how many other curves it was rebuilt from: a
    curve alone is rebuilt from itself (a near-copy, a tiny residual), one rebuilt from a
    single other curve is far less constrained than one rebuilt from six. One median and MAD
    per curve pooled over all samples made the scores of a well's sections incomparable (on a
    Volve well with 16k GR-only samples the pooled MAD was the near-copies', and every sample
    with all five curves scored 60-300 on normal rock). So ``median_jk`` and ``MAD_jk`` are
    those of the training residuals of curve ``j`` in samples with ``k`` other observed curves
    (``k = 0 .. n_curves - 1``, one bin each; 2-D input): under normal data ``z_j`` is then
    about standard normal whatever the coverage, and the anomaly score about 1. A bin with
    fewer than ``min_bin_count`` (50) training residuals borrows the statistics of the nearest
    bin with ``k >= 1`` that has enough (on a tie, the one with more curves); failing that, of
    all the curve's residuals with ``k >= 1`` pooled; a ``k = 0`` bin (or a curve never seen
    with another) that is too thin takes the curve's statistics over all samples. A scale
    below 1e-3 times the median scale is raised to that floor, and the scale of a ``k >= 1``
    bin to at least ``bin_floor`` (0.1) times the curve's pooled ``k >= 1`` scale: a bin whose
    readings are mostly one value (a stuck tool where the other curves are missing) has a MAD
    of about 0, which gave every other reading there a score of about a million. Traces (3-D input) use one
    pooled median and MAD per channel.

    A sample with no observed value at all (e.g. the top of a well where every curve is null)
    is not scored: there is no reading to be anomalous. Its ``score_samples`` and
    ``decision_function`` are NaN, :meth:`predict` gives 1 (not flagged: the output stays in
    {-1, 1}, as scikit-learn's outlier detectors; use ``np.isnan(score_samples(X))`` to find
    those samples), :meth:`explain` gives a row of NaN, and :meth:`intervals` never includes it
    (a run of such samples ends an interval). :meth:`fit` leaves such samples out of the model's
    training, the residual normalisation and the ``contamination`` quantile of the threshold,
    so a well with a long empty section does not move the threshold. DataFrame input: the
    ``WELL`` and ``DEPTH`` columns are not features; ``WELL`` keeps windows inside a well.
    """

    stuck_rate_limit = 0.05
    min_bin_count = 50
    bin_floor = 0.1  # a bin's scale (k >= 1) is at least this share of the curve's k >= 1 scale

    def __init__(self, model=None, contamination=0.01, threshold=None, curve_masking="auto",
                 stuck_run=5, window=32, stride=8, physical_range=True, random_state=None,
                 prefit=False):
        self.model = model
        self.contamination = contamination
        self.threshold = threshold
        self.curve_masking = curve_masking
        self.stuck_run = stuck_run
        self.window = window
        self.stride = stride
        self.random_state = random_state
        self.prefit = prefit
        self.physical_range = physical_range

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        check_random_state_param(self.random_state)
        c = self.contamination
        if not (isinstance(c, numbers.Real) and not isinstance(c, bool) and 0 < c <= 0.5):
            raise ConfigError(f"contamination={c!r} is not valid: a share in (0, 0.5]")
        t = self.threshold
        if t is not None and not (is_real(t) and t >= 0):
            raise ConfigError(f"threshold={t!r} is not valid: None or a score >= 0")
        if self.model is not None and not isinstance(self.model, BaseAutoEncoder):
            raise ConfigError(f"model={self.model!r} is not valid: None or a geoae estimator "
                              "such as AutoEncoder(...) or VAE(...)")
        r = self.stuck_run
        if r is not None and not (is_int(r) and r >= 2):
            raise ConfigError(f"stuck_run={r!r} is not valid: None or an integer >= 2")
        for name in ("window", "stride"):
            v = getattr(self, name)
            if not (is_int(v) and v >= 1):  # True was taken as 1
                raise ConfigError(f"{name}={v!r} is not valid: a positive integer")
        for name in ("prefit", "physical_range"):  # "no" was taken as True
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid: True or False")
        if not (isinstance(self.curve_masking, (bool, np.bool_)) or self.curve_masking in (0, 1)
                or self.curve_masking == "auto"):
            raise ConfigError(f"curve_masking={self.curve_masking!r} is not valid: True, False "
                              "or 'auto'")
        if self.prefit and self.model is None:
            raise ConfigError("prefit=True needs a fitted model: AnomalyDetector(model=geoae.load(path), "
                              "prefit=True)")

    def __sklearn_clone__(self):
        """scikit-learn's ``clone`` (GridSearchCV over ``contamination`` or ``threshold``,
        cross_val_score) keeps a ``prefit=True`` model as it is, fitted, as
        :class:`sklearn.frozen.FrozenEstimator` does (a clone would be an unfitted copy that
        ``prefit`` cannot use). Without ``prefit`` the model is cloned unfitted, as usual."""
        if not self.prefit:
            return super().__sklearn_clone__()
        return type(self)(**self.get_params(deep=False))

    def _prefit_model(self):
        """The fitted ``model`` of a ``prefit=True`` detector (checked, never copied)."""
        model = self.model
        try:
            check_is_fitted(model, "model_")
        except NotFittedError as exc:
            raise NotFittedError(f"prefit=True but the model {type(model).__name__} is not fitted; "
                                 "fit it first (or load a trained one with geoae.load), or use "
                                 "prefit=False") from exc
        return model

    def _align_prefit(self, X):
        """X with the prefit model's curves in the model's order (DataFrames), after checking
        that every curve the model was fitted on is there."""
        model = self.model_
        names = getattr(model, "feature_names_in_", None)
        if isinstance(X, pd.DataFrame):
            given = [str(c) for c in X.columns if c not in PASSTHROUGH_COLUMNS]
            if names is None:
                if len(given) != int(model.n_features_in_):
                    raise DataError(
                        f"the prefit {type(model).__name__} was fitted on an array of "
                        f"{int(model.n_features_in_)} unnamed column(s), but X has {len(given)} "
                        f"curve(s) {given} ({list(PASSTHROUGH_COLUMNS)} are passed through, never "
                        "scored); pass exactly the model's curves in its order, or refit it on a "
                        "DataFrame so that the curves are matched by name")
                return X
            names = [str(c) for c in names]
            passed = [c for c in names if c in PASSTHROUGH_COLUMNS]
            if passed:  # split_frame never scores WELL/DEPTH: the model would get too few curves
                raise DataError(
                    f"the prefit {type(model).__name__} was fitted on {names}, which include "
                    f"{passed}; AnomalyDetector passes {list(PASSTHROUGH_COLUMNS)} through and "
                    f"never scores them, so X gives it only {given}. Refit the model without "
                    f"{passed} (e.g. model.fit(X.drop(columns={passed}))) or use prefit=False; to "
                    f"keep {passed[0]} as a feature, train and score under another name (e.g. "
                    f"X.rename(columns={{{passed[0]!r}: {passed[0] + '_FEATURE'!r}}})) for both")
            have = {str(c): c for c in X.columns}
            missing = [c for c in names if c not in have]
            if missing:
                raise DataError(f"curve(s) {missing} of the model are missing from X (the model "
                                f"was fitted on {names}; X has {[str(c) for c in X.columns]})")
            keep = [have[c] for c in names] + [c for c in X.columns if c in ("WELL", "DEPTH")]
            return X[keep]
        n = int(model.n_features_in_)
        windowed = model.backbone == "conv1d" and np.ndim(X) == 2
        have = np.shape(X)[1] if np.ndim(X) >= 2 else None
        if have != n and not windowed:
            what = f" ({[str(c) for c in names]})" if names is not None else ""
            raise DataError(f"X has {have} curve column(s) but the model was fitted on {n}{what}")
        if names is not None and not windowed:
            warnings.warn("X is an array but the model was fitted on named curves "
                          f"{[str(c) for c in names]}; the columns are taken in that order",
                          UserWarning, stacklevel=3)
        return X

    def _windowed(self) -> bool:
        return self.model_.backbone == "conv1d" and self._ndim == 2

    def _split(self, X, reset: bool):
        """``(values, wells, depth)`` of X, checked against the fitted curves; infinite values
        become NaN. Infinite values and null markers are said once per public call
        (:func:`~geoae.preprocessing.says_once` on the methods that split X twice)."""
        if isinstance(X, pd.DataFrame):
            values, names, _, wells, depth = split_frame(X)
        else:
            values = as_float_array(X, allow_nd=True)
            names, wells, depth = None, None, None
        if reset:
            self._ndim = values.ndim
            self.n_features_in_ = int(X.shape[1] if isinstance(X, pd.DataFrame) else values.shape[1])
            if isinstance(X, pd.DataFrame):
                self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            prefix = "x" if values.ndim == 2 else "channel "
            self.curves_ = names if names is not None else [
                f"{prefix}{i}" for i in range(values.shape[1])]
        elif values.ndim != self._ndim or values.shape[1] != len(self.curves_):
            raise DataError(f"X has {values.shape[1]} features, but AnomalyDetector is expecting "
                            f"{len(self.curves_)} features as input (X has shape {values.shape}; "
                            f"fitted on {self._ndim}-D data with curves {self.curves_})")
        elif hasattr(self, "feature_names_in_"):
            check_same_curves(names, self.curves_, "detector")
        inf = np.isinf(values)
        if inf.any():
            warn_once(f"X holds {int(inf.sum())} infinite value(s); they are scored as missing "
                      "readings, not as anomalies (find them with np.isinf, or set them to a "
                      "value outside the tool's range to have them scored)", RuntimeWarning)
        values[inf] = np.nan
        warn_null_markers(values, self.curves_)
        return values, wells, depth

    def _sequences(self, n: int, wells, depth) -> list[np.ndarray]:
        """Row indices of each well in depth order (all rows if no WELL column), one sequence
        per stretch between gaps in the log (steps longer than
        :data:`~geoae.preprocessing.WINDOW_GAP_STEPS` sample steps): a window never spans a
        gap (shorter holes are bridged)."""
        groups = [g for _, g in well_rows(n, wells, depth)]
        irregular = []
        if depth is not None:
            warn_if_wells_mixed(depth, wells)
            split = []
            for g in groups:
                segment = depth_segments(depth[g], WINDOW_GAP_STEPS)
                split += np.split(g, np.flatnonzero(np.diff(segment)) + 1)
                if segment[-1] > 2 and not _regular(depth[g]):
                    irregular.append(str(wells[g[0]]) if wells is not None else "X")
            groups = split
        short = [g for g in groups if len(g) < self.window]
        if short:
            names = [str(wells[g[0]]) if wells is not None else "X" for g in short]
            where: dict[str, int] = {}
            for w, g in zip(names, short, strict=True):
                key = (f"{w} from {depth[g[0]]:g}" if depth is not None and np.isfinite(depth[g[0]])
                       else f"{w} (no depth)" if depth is not None else w)
                where[key] = where.get(key, 0) + len(g)
            where = dict(list(where.items())[:10])
            gaps = " (between gaps in the log)" if depth is not None else ""
            note = (f". The depths of {', '.join(irregular[:5])} are irregularly sampled, and "
                    "windows assume a regular step: resample them onto a regular depth grid"
                    if irregular else "")
            warn_once(f"{len(short)} well(s) or stretch(es) of a well{gaps} shorter than "
                      f"window={self.window} samples ({where}"
                      f"{' ...' if len(short) > 10 else ''}): each is padded with missing "
                      f"values to one window (a smaller window sees more of their context){note}")
        return groups

    def _padded(self, n: int) -> int:
        """Length of a well's series as windowed: short wells are padded to one window."""
        return max(n, int(self.window))

    def _n_windows(self, n: int) -> int:
        """Windows cut from a well of ``n`` samples (as :meth:`_model_input` cuts them)."""
        return len(make_windows(np.zeros(self._padded(n)), self.window, self.stride))

    def _model_input(self, values, wells, depth):
        if not self._windowed():
            return values, None
        seqs = self._sequences(len(values), wells, depth)
        wins = []
        for g in seqs:
            series = values[g].T
            if len(g) < self.window:  # NaN: missing to the model, left out of its loss
                series = np.pad(series, ((0, 0), (0, self.window - len(g))), constant_values=np.nan)
            wins.append(make_windows(series, self.window, self.stride))
        return np.concatenate(wins), seqs

    def _residuals(self, values, wells, depth) -> np.ndarray:
        """Residuals ``x - x_hat`` in the model's scaled units, same shape as ``values``."""
        inp, seqs = self._model_input(values, wells, depth)
        with warnings.catch_warnings():
            # columns are matched by name before this point (prefit models fitted on DataFrames)
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            with quiet_null_markers():  # said by _split, with the curves' names
                return self._reconstruction_residuals(values, inp, seqs)

    def _resolve_curve_masking(self, n_curves: int) -> bool:
        if not isinstance(self.curve_masking, str):  # True / False (or 1 / 0)
            return bool(self.curve_masking)
        m = self.model_
        masked = isinstance(m, DenoisingAutoEncoder) and m.noise == "masking"
        return bool(masked or getattr(m, "_variational", False) or m.latent_dim < n_curves)

    def _reconstruction_residuals(self, values, inp, seqs) -> np.ndarray:
        if self.curve_masking_ and seqs is None and inp.ndim == 2:
            # leave one curve out: curve j is rebuilt from the others only
            rec = np.empty_like(inp)
            for j in range(inp.shape[1]):
                hidden = inp.copy()
                hidden[:, j] = np.nan
                rec[:, j] = self.model_.reconstruct(hidden)[:, j]
            # a sample with one observed curve has no other to rebuild it from (hidden, it has
            # no code): that curve is rebuilt from itself, as with curve_masking=False
            alone = np.isfinite(inp).sum(axis=1) == 1
            if alone.any():
                rec[alone] = self.model_.reconstruct(inp[alone])
        else:
            rec = self.model_.reconstruct(inp)
        bshape = (1, -1) + (1,) * (inp.ndim - 2)
        res = (inp - rec) / self.model_.scaler_scale_.reshape(bshape)
        if seqs is None:
            return res
        out = np.full(values.shape, np.nan)
        start = 0
        for g in seqs:
            n, k = self._padded(len(g)), self._n_windows(len(g))
            with np.errstate(invalid="ignore"):
                out[g] = overlap_add(res[start:start + k], n, self.stride)[:, :len(g)].T
            start += k
        return out

    @staticmethod
    def _runs(values, wells, depth) -> np.ndarray:
        """Length of the run of identical consecutive readings each entry belongs to (2-D input,
        per well in depth order); 0 for missing entries. Shape ``(n_samples, n_curves)``."""
        out = np.zeros(values.shape, dtype=np.int64)
        for _, g in well_rows(len(values), wells, depth):
            gap = np.zeros(len(g), dtype=bool)
            if depth is not None:
                gap[1:] = np.diff(depth_segments(depth[g], WINDOW_GAP_STEPS)) > 0  # ends a run
            v = values[g]
            for j in range(v.shape[1]):
                col = v[:, j]
                new = np.ones(len(col), dtype=bool)
                new[1:] = ~(col[1:] == col[:-1]) | gap[1:]  # NaN never equals: missing breaks a run
                rid = np.cumsum(new) - 1
                length = np.bincount(rid)[rid]
                out[g, j] = np.where(np.isnan(col), 0, length)
        return out

    @staticmethod
    def _robust(res: np.ndarray, axes) -> tuple[np.ndarray, np.ndarray]:
        """Median and 1.4826 x MAD of ``res`` over ``axes`` (NaN ignored; NaN where empty)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
            center = np.nanmedian(res, axis=axes)
            bshape = (1, -1) + (1,) * (res.ndim - 2)
            mad = np.nanmedian(np.abs(res - center.reshape(bshape)), axis=axes) * _MAD_TO_STD
        return center, mad

    def _coverage(self, values: np.ndarray) -> np.ndarray:
        """Per sample of 2-D input, the number of *other* observed curves an observed entry has
        (0 .. n_curves - 1; -1 for a sample with no observed curve)."""
        return np.isfinite(values).sum(axis=1) - 1

    def _fit_normalisation(self, res: np.ndarray, values: np.ndarray) -> None:
        """Fit the robust residual normalisation: per curve and, on 2-D input, per coverage."""
        p = res.shape[1]
        axes = (0, *range(2, res.ndim))
        pooled_c, pooled_s = self._robust(res, axes)
        if res.ndim != 2:  # traces: one (pooled) set of statistics per channel
            centers, scales = pooled_c[:, None], pooled_s[:, None]
            counts = np.isfinite(res).sum(axis=axes)[:, None]
        else:
            k = self._coverage(values)
            counts = np.zeros((p, p), dtype=np.int64)
            bin_c = np.full((p, p), np.nan)
            bin_s = np.full((p, p), np.nan)
            for b in range(p):
                rows = res[k == b]
                counts[:, b] = np.isfinite(rows).sum(axis=0)
                if len(rows):
                    bin_c[:, b], bin_s[:, b] = self._robust(rows, 0)
            # the residuals of samples rebuilt from at least one other curve, pooled over coverage
            some_c, some_s = self._robust(np.where((k >= 1)[:, None], res, np.nan), 0)
            some_n = np.isfinite(res[k >= 1]).sum(axis=0)
            centers = np.empty((p, p))
            scales = np.empty((p, p))
            enough = counts >= self.min_bin_count
            for j in range(p):
                for b in range(p):
                    if enough[j, b]:
                        src = b
                    elif b >= 1 and enough[j, 1:].any():  # the nearest bin of the same kind
                        cand = np.flatnonzero(enough[j, 1:]) + 1
                        src = int(cand[np.lexsort((-cand, np.abs(cand - b)))[0]])
                    else:
                        src = None
                    if src is not None:
                        centers[j, b], scales[j, b] = bin_c[j, src], bin_s[j, src]
                    elif b >= 1 and some_n[j]:
                        centers[j, b], scales[j, b] = some_c[j], some_s[j]
                    else:
                        centers[j, b], scales[j, b] = pooled_c[j], pooled_s[j]
        finite = np.isfinite(pooled_s)
        floor = max(1e-6, 1e-3 * float(np.nanmedian(pooled_s))) if finite.any() else 1e-6
        floor = np.full(scales.shape, floor)
        if res.ndim == 2:
            # a bin rebuilt from other curves spreads like the curve's other such bins: one whose
            # values are mostly one reading (a stuck tool in the section without the other
            # curves) has a MAD of about 0, and every other reading there a z of thousands
            some = np.where(np.isfinite(some_s), some_s, 0.0)
            floor[:, 1:] = np.maximum(floor[:, 1:], self.bin_floor * some[:, None])
        self.coverage_counts_ = counts
        self.coverage_center_ = np.nan_to_num(centers)
        self.coverage_scale_ = np.where(np.isfinite(scales) & (scales > floor), scales, floor)
        self.residual_center_ = self.coverage_center_[:, -1].copy()
        self.residual_scale_ = self.coverage_scale_[:, -1].copy()

    def _normalisation(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre and scale of each entry's residual, broadcastable to the residuals."""
        table = getattr(self, "coverage_center_", None)
        if values.ndim != 2 or table is None or table.shape[1] != values.shape[1]:
            bshape = (1, -1) + (1,) * (values.ndim - 2)
            return self.residual_center_.reshape(bshape), self.residual_scale_.reshape(bshape)
        k = np.clip(self._coverage(values), 0, values.shape[1] - 1)
        return self.coverage_center_.T[k], self.coverage_scale_.T[k]

    def _z2(self, X) -> tuple[np.ndarray, object]:
        check_is_fitted(self, "model_")
        if getattr(self, "_prefit_columns", None) is not None and isinstance(X, pd.DataFrame):
            X = self._align_prefit(X)
        values, wells, depth = self._split(X, reset=False)
        impossible = self._out_of_range(values)
        if impossible.any():  # missing for the model: they would distort the sample's other curves
            values = np.where(impossible, np.nan, values)
        return self._z2_of(values, wells, depth), X

    def _z2_of(self, values, wells, depth, res=None) -> np.ndarray:
        """Squared normalised residuals of ``values`` (impossible readings already NaN), the
        stuck-tool rule applied; ``res`` when the residuals are known (fit's)."""
        if res is None:
            res = self._residuals(values, wells, depth)
        center, scale = self._normalisation(values)
        z2 = ((res - center) / scale) ** 2
        if self.stuck_run is not None and values.ndim == 2 and self.stuck_curves_.any():
            runs = self._runs(values, wells, depth)
            stuck = (runs >= self.stuck_run) & self.stuck_curves_[None, :]
            # the sample's score (the mean over its observed curves) is at least run**2: the
            # entry gets run**2 times the number of observed curves
            n_obs = np.isfinite(z2).sum(axis=1, keepdims=True)
            z2 = np.where(stuck, np.maximum(z2, np.minimum(runs, 100.0) ** 2 * n_obs), z2)
        return z2

    @staticmethod
    def _score_of(z2: np.ndarray) -> np.ndarray:
        """:meth:`score_samples` from the squared normalised residuals."""
        flat = z2.reshape(z2.shape[0], -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN
            return -np.nanmean(flat, axis=1)

    # ------------------------------------------------------------------ fit
    @says_once
    def fit(self, X, y=None):
        """Fit the auto-encoder on X (faults may be present; NaN = missing) and the threshold.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_curves) or (n_samples, channels, length)
            ``WELL``/``DEPTH`` DataFrame columns are not features. ``y`` is ignored.

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    @says_once
    def _fit(self, X) -> tuple[np.ndarray, object]:
        """:meth:`fit`, returning the training data's squared normalised residuals and X as
        the detector aligns it: what :meth:`score_samples` and :meth:`explain` of the same X
        would compute again (``geoae detect`` fits on the data it scores)."""
        self._check_params()
        if self.prefit:
            self.model_ = self._prefit_model()
            X = self._align_prefit(X)
            self._prefit_columns = (None if not isinstance(X, pd.DataFrame)
                                    else [str(c) for c in X.columns])
        else:
            model = default_model() if self.model is None else self.model
            model = clone(model)
            if self.random_state is not None:
                model.set_params(random_state=self.random_state)
            self.model_ = model
            self._prefit_columns = None
        values, wells, depth = self._split(X, reset=True)
        self.physical_ranges_ = {}
        if self.physical_range and isinstance(X, pd.DataFrame) and values.ndim == 2:
            self.physical_ranges_ = recorded_physical_ranges(self.curves_, values, X.attrs,
                                                             "AnomalyDetector", stacklevel=3)
        impossible = self._out_of_range(values)
        if impossible.any():  # not learnt: the model and the scales fit the tools' real readings
            values = np.where(impossible, np.nan, values)
        if values.size and empty_samples(values).all():  # (no rows or features: the model says)
            raise DataError("no sample of X has an observed value (every curve is NaN), so there "
                            "is nothing to fit the threshold on; fit on data with readings")
        if self._windowed():
            if self.prefit and self.model_.n_features_in_ != values.shape[1]:
                raise DataError(f"X has {values.shape[1]} curve(s) but the conv1d model was fitted "
                                f"on {self.model_.n_features_in_} channel(s)")
            if not self.prefit:
                self.model_.set_params(backbone="conv1d")
        elif values.ndim != {"dense": 2, "conv1d": 3, "conv2d": 4}[self.model_.backbone]:
            raise DataError(f"X has {values.ndim} dimensions; a backbone={self.model_.backbone!r} "
                            "model needs (n, features) for dense, (n, channels, length) or (n, curves) "
                            "for conv1d, (n, channels, height, width) for conv2d")
        if not self.prefit:
            inp, seqs = self._model_input(values, wells, depth)
            # early stopping holds out whole wells (a window is its well's)
            by_well = {}
            if wells is not None and isinstance(self.model_, BaseAutoEncoder):
                labels = np.asarray(wells)
                if seqs is None:
                    by_well = {"wells": labels}
                else:
                    n_win = [self._n_windows(len(g)) for g in seqs]
                    by_well = {"wells": np.repeat([labels[g[0]] for g in seqs], n_win)}
            with quiet_null_markers():  # said by _split, with the curves' names
                self.model_.fit(inp, **by_well)
        # only dense models on 2-D input hide curves (windows and traces are rebuilt whole)
        self.curve_masking_ = (not self._windowed() and values.ndim == 2
                               and self._resolve_curve_masking(values.shape[1]))
        res = self._residuals(values, wells, depth)
        self._fit_normalisation(res, values)
        self.stuck_curves_ = np.zeros(len(self.curves_), dtype=bool)
        if self.stuck_run is not None and values.ndim == 2:
            runs = self._runs(values, wells, depth)
            observed = np.isfinite(values).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = (runs >= self.stuck_run).sum(axis=0) / observed
            self.stuck_curves_ = np.nan_to_num(rate, nan=1.0) <= self.stuck_rate_limit
        # the training data's scores from the residuals just computed (not a second pass)
        z2 = self._z2_of(values, wells, depth, res)
        scores = self._score_of(z2)
        if self.threshold is not None:
            self.offset_ = -float(self.threshold)
        else:  # samples with no observed value score NaN and are left out of the quantile
            self.offset_ = float(np.nanquantile(scores, self.contamination))
        self.threshold_ = -self.offset_
        return z2, X

    # ------------------------------------------------------------------ scores
    def score_samples(self, X) -> np.ndarray:
        """Minus the anomaly score: higher = more normal (scikit-learn convention).

        Returns
        -------
        ndarray of shape (n_samples,)
            ``-mean_j z_j**2`` over observed curves (and positions, for traces); NaN for a
            sample with no observed value (not scored).
        """
        return self._score_of(self._z2(X)[0])

    def decision_function(self, X) -> np.ndarray:
        """``score_samples(X) - offset_``: negative = anomaly, shape (n_samples,); NaN for a
        sample with no observed value."""
        return self.score_samples(X) - self.offset_

    @says_once
    def predict(self, X) -> np.ndarray:
        """-1 for anomalies, 1 for the others, shape (n_samples,); a sample with no observed
        value (NaN score) is not flagged (1). A sample holding a reading outside its curve's
        physical range (see ``physical_range``) is flagged whatever its score."""
        d = self.decision_function(X)
        flags = d < 0
        if getattr(self, "physical_ranges_", None):
            if getattr(self, "_prefit_columns", None) is not None and isinstance(X, pd.DataFrame):
                X = self._align_prefit(X)
            values, _, _ = self._split(X, reset=False)  # said once (says_once)
            flags |= self._out_of_range(values).any(axis=1)
        return np.where(flags, -1, 1)

    # ------------------------------------------------------------------ persistence
    _ARRAYS = ("coverage_center_", "coverage_scale_", "residual_center_", "residual_scale_")

    def save(self, path) -> Path:
        """Write the fitted detector into folder ``path``: its auto-encoder in ``model/`` (a
        model folder, :meth:`BaseAutoEncoder.save`), the residual normalisation and stuck-tool
        exemptions in ``detector.safetensors`` and the parameters, curves, threshold and
        physical ranges in ``config.json`` (never pickled; :meth:`load` or :func:`geoae.load`
        read it back and score as the saved detector did)."""
        import torch

        from .. import distributed as _dist
        from .._persistence import DETECTOR_FORMAT, jsonable_params, make_folder, write_folder
        from .._version import __version__

        check_is_fitted(self, "offset_")
        path = Path(path)
        if _dist.is_main_process():  # a path that is a file is refused by its name
            make_folder(path)
        self.model_.save(path / "model")  # this and write_folder: rank 0 alone, under torchrun
        tensors = {name: torch.from_numpy(np.ascontiguousarray(getattr(self, name), dtype=np.float64))
                   for name in self._ARRAYS}
        tensors["coverage_counts_"] = torch.from_numpy(
            np.ascontiguousarray(self.coverage_counts_, dtype=np.int64))
        tensors["stuck_curves_"] = torch.from_numpy(np.ascontiguousarray(self.stuck_curves_,
                                                                         dtype=np.uint8))
        params = jsonable_params({k: v for k, v in self.get_params(deep=False).items()
                                  if k != "model"})
        names = getattr(self, "feature_names_in_", None)
        config = {
            "format": DETECTOR_FORMAT, "format_version": 1, "geoae_version": __version__,
            "class": "AnomalyDetector", "params": params,
            "fitted": {"curves": [str(c) for c in self.curves_], "ndim": int(self._ndim),
                       "n_features_in": int(self.n_features_in_),
                       "feature_names_in": None if names is None else [str(n) for n in names],
                       "offset": float(self.offset_), "curve_masking": bool(self.curve_masking_),
                       "physical_ranges": {str(j): [float(lo), float(hi)]
                                           for j, (lo, hi) in self.physical_ranges_.items()},
                       "prefit_columns": getattr(self, "_prefit_columns", None)},
        }
        write_folder(path, "detector.safetensors", tensors, config)
        return path

    @classmethod
    def load(cls, path) -> AnomalyDetector:
        """Read a folder written by :meth:`save` (hash-checked, never unpickled)."""
        from .._persistence import DETECTOR_FORMAT, read_folder
        from ..models import load as load_model

        path = Path(path)

        def fail(what: str) -> ConfigError:
            return ConfigError(f"anomaly-detector folder {path}: {what}")

        cfg, tensors = read_folder(path, "detector.safetensors", DETECTOR_FORMAT,
                                   "anomaly detector", fail)
        try:
            model = load_model(path / "model")
            # (prefit: the model as it is; else a clone refits one with the same parameters)
            det = cls(model=model, **dict(cfg["params"]))
            det._check_params()
            fit = cfg["fitted"]
            det.model_ = model
            det.curves_ = [str(c) for c in fit["curves"]]
            det._ndim = int(fit["ndim"])
            det.n_features_in_ = int(fit["n_features_in"])
            if fit.get("feature_names_in") is not None:
                det.feature_names_in_ = np.asarray(fit["feature_names_in"], dtype=object)
            det.offset_ = float(fit["offset"])
            det.threshold_ = -det.offset_
            det.curve_masking_ = bool(fit["curve_masking"])
            det.physical_ranges_ = {int(j): (float(b[0]), float(b[1]))
                                    for j, b in fit["physical_ranges"].items()}
            det._prefit_columns = fit.get("prefit_columns")
            for name in cls._ARRAYS:
                setattr(det, name, tensors[name].double().numpy())
            det.coverage_counts_ = tensors["coverage_counts_"].numpy().astype(np.int64)
            det.stuck_curves_ = tensors["stuck_curves_"].numpy().astype(bool)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
            raise fail(f"config and arrays do not fit together ({exc})") from None
        return det

    def _out_of_range(self, values: np.ndarray) -> np.ndarray:
        """Readings outside the screened curves' physical ranges, shape of ``values``."""
        return outside_ranges(values, getattr(self, "physical_ranges_", {}))

    @says_once
    def fit_predict(self, X, y=None) -> np.ndarray:
        """``fit(X).predict(X)``, shape (n_samples,)."""
        return self.fit(X).predict(X)

    def explain(self, X):
        """Each curve's share of a sample's anomaly score (rows sum to 1).

        Parameters
        ----------
        X : DataFrame or array-like, as in :meth:`fit`

        Returns
        -------
        DataFrame (same index, one float64 column per curve; a pandas nullable curve gives a
        nullable float column, ``pd.NA`` for NaN) for DataFrame input, else ndarray of shape
        (n_samples, n_curves). Missing curves get 0; a sample with no observed curve gets NaN; a
        score of exactly 0 is shared equally by the sample's observed curves.
        """
        z2, Xa = self._z2(X)
        return self._share_of(z2, X, Xa)

    def _share_of(self, z2: np.ndarray, X, Xa):
        """:meth:`explain` from the squared normalised residuals (``Xa``: X aligned as
        :meth:`_z2` gives it)."""
        per = z2 if z2.ndim == 2 else np.nansum(z2.reshape(*z2.shape[:2], -1), axis=2)
        observed = (~np.isnan(z2) if z2.ndim == 2
                    else np.isfinite(z2.reshape(*z2.shape[:2], -1)).any(axis=2))
        per = np.where(np.isnan(per), 0.0, per)
        total = per.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a score of exactly 0 (a perfect reconstruction) is shared equally by the observed
            # curves: one curve measured has all of it
            even = observed / observed.sum(axis=1, keepdims=True)
            share = np.where(total > 0, per / total, even)
        if z2.ndim == 2:
            none_seen = np.isnan(z2).all(axis=1)
            share[none_seen] = np.nan
        if isinstance(X, pd.DataFrame):
            frame = pd.DataFrame(share, index=X.index, columns=self.curves_)
            sources = [c for c in Xa.columns if c not in PASSTHROUGH_COLUMNS]
            for j, (c, src) in enumerate(zip(self.curves_, sources, strict=True)):
                if isinstance(Xa[src].dtype, pd.api.extensions.ExtensionDtype):  # nullable in, out
                    frame[c] = as_column(share[:, j], Xa[src])
            return frame
        return share

    # ------------------------------------------------------------------ intervals
    @says_once
    def intervals(self, depth, flags, scores=None, X=None, wells=None, *,
                  share=None) -> pd.DataFrame:
        """Merge flagged samples into depth intervals.

        Consecutive flagged samples (in depth order, within one well) form one interval; a
        depth gap larger than 1.5 times the well's median sample step also ends an interval,
        as does an unflagged sample (one with no observed value included: it is never flagged
        by :meth:`predict`).

        Parameters
        ----------
        depth : array-like of shape (n_samples,)
            Sample depths (any unit; the output uses the same). A sample without a depth (NaN)
            is in no interval (a warning counts the flagged ones).
        flags : array-like of shape (n_samples,)
            Boolean (True = anomaly) or :meth:`predict` output (-1 = anomaly).
        scores : array-like of shape (n_samples,), optional
            :meth:`score_samples` output; computed from ``X`` when omitted and X is given.
        X : DataFrame or array, optional
            The data, to compute ``scores`` and the main curve (:meth:`explain`); its ``WELL``
            column groups the samples when ``wells`` is not given.
        wells : array-like of shape (n_samples,), optional
            Well label of each sample.
        share : array-like of shape (n_samples, n_curves), optional
            :meth:`explain` output, when already computed (X is then used for its ``WELL``
            column only, and ``scores`` should be given too).

        Returns
        -------
        DataFrame
            One row per interval, by well (in order of first appearance) then depth, with
            columns ``WELL`` (when wells are known), ``top`` and ``base`` (depths of the
            first and last flagged sample), ``n_samples``, ``peak_score`` (largest anomaly
            score ``-score_samples`` in the interval; NaN without scores) and ``main_curve``
            (the curve with the largest summed share of the error over the interval; None
            without X).
        """
        depth = np.asarray(depth, dtype=np.float64)
        flags = np.asarray(flags)
        flags = flags.astype(bool) if flags.dtype == bool else (flags == -1)
        n = len(depth)
        if flags.shape != (n,):
            raise DataError(f"flags has shape {flags.shape} but depth has {n} samples")
        if wells is None and isinstance(X, pd.DataFrame):
            from ..preprocessing import well_and_depth

            wells = well_and_depth(X)[0]  # a WELL column, or a (WELL, DEPTH) index level
        if wells is not None:
            wells = np.asarray(wells, dtype=object)
            if wells.shape != (n,):
                raise DataError(f"wells has shape {wells.shape} but depth has {n} samples; give "
                                "one well label per sample")
        if share is not None:
            share = np.asarray(share, dtype=np.float64)
            if share.shape[0] != n:
                raise DataError(f"share has {share.shape[0]} samples but depth has {n}")
        elif X is not None:
            if len(X) != n:
                raise DataError(f"X has {len(X)} samples but depth has {n}; pass the rows the "
                                "depths belong to")
            z2, Xa = self._z2(X)  # one pass for the scores and the shares
            if scores is None:
                scores = self._score_of(z2)
            share = np.asarray(self._share_of(z2, X, Xa))
        anomaly = None if scores is None else -np.asarray(scores, dtype=np.float64)
        if anomaly is not None and anomaly.shape != (n,):
            raise DataError(f"scores has shape {anomaly.shape} but depth has {n} samples")
        placed = np.isfinite(depth)
        lost = int((flags & ~placed).sum())
        if lost:  # e.g. FORCE's DEPTH_MD is null at some wells' ends
            warnings.warn(f"{lost} flagged sample(s) have no depth (NaN) and are in no interval; "
                          "pass a depth column without gaps (e.g. DEPTH rather than DEPTH_MD)",
                          UserWarning, stacklevel=2)
        rows = []
        for w, idx in well_rows(n, wells, depth):
            idx = idx[placed[idx]]  # a sample without a depth has no place in an interval
            f = flags[idx]
            brk = np.ones(len(idx), dtype=bool)
            brk[1:] = ~f[:-1] | (np.diff(depth_segments(depth[idx])) > 0)
            starts = np.flatnonzero(f & brk)
            for s in starts:
                e = s
                while e + 1 < len(idx) and f[e + 1] and not brk[e + 1]:
                    e += 1
                members = idx[s:e + 1]
                row = {} if wells is None else {"WELL": w}
                row.update(top=depth[members[0]], base=depth[members[-1]], n_samples=len(members),
                           peak_score=(float(np.nanmax(anomaly[members]))
                                       if anomaly is not None and np.isfinite(anomaly[members]).any()
                                       else np.nan))
                main = None
                if share is not None:
                    tot = np.nansum(share[members], axis=0)
                    if np.any(tot > 0):
                        main = self.curves_[int(np.argmax(tot))]
                row["main_curve"] = main
                rows.append(row)
        cols = ([] if wells is None else ["WELL"]) + ["top", "base", "n_samples", "peak_score",
                                                      "main_curve"]
        return pd.DataFrame(rows, columns=cols)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

