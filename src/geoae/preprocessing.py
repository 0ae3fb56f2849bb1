"""Preprocessing: scalers fitted inside the estimators, missing-value masks, per-well splits.

Scalers reduce to an affine map ``z = (x - offset) / scale`` per feature (per channel for
convolutional inputs), fitted by scikit-learn's scalers, which ignore NaN. Storing only
``offset`` and ``scale`` lets a model folder hold the scaler as two plain arrays.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .errors import ConfigError, DataError

SCALERS = ("standard", "robust", "minmax", None)


def fit_affine_scaler(X: np.ndarray, method: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Fit a scaler on ``X (n, features)`` (NaN ignored) and return ``(offset, scale)``.

    ``method`` is ``"standard"`` (mean, standard deviation), ``"robust"`` (median, inter-quartile
    range), ``"minmax"`` (to [0, 1]) or ``None`` (identity). Constant or near-constant features get
    ``scale = 1`` instead of a division by zero.
    """
    n_features = X.shape[1]
    if method is None:
        return np.zeros(n_features), np.ones(n_features)
    if method == "standard":
        s = StandardScaler().fit(X)
        offset, scale = s.mean_, s.scale_
    elif method == "robust":
        s = RobustScaler().fit(X)
        offset, scale = s.center_, s.scale_
    elif method == "minmax":
        s = MinMaxScaler().fit(X)
        # sklearn: z = x * scale_ + min_  ->  z = (x - offset) / scale
        offset, scale = s.data_min_, 1.0 / s.scale_
    else:
        raise ConfigError(f"scaler={method!r} is not known; use one of {SCALERS}")
    offset = np.asarray(offset, dtype=np.float64).copy()
    scale = np.asarray(scale, dtype=np.float64).copy()
    spread = np.maximum(np.abs(offset), 1.0)
    tiny = ~np.isfinite(scale) | (scale <= 1e-12 * spread)
    scale[tiny] = 1.0
    return offset, scale


def missing_mask(X: np.ndarray) -> np.ndarray:
    """Boolean mask of observed (finite) entries."""
    return np.isfinite(X)


def split_by_well(
    wells: np.ndarray, validation_fraction: float, random_state: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices so that no well is in both the training and validation sets.

    Whole wells are drawn at random into the validation set until it holds about
    ``validation_fraction`` of the rows; at least one well stays in training.

    Returns
    -------
    train_idx, val_idx : ndarray of int
    """
    wells = np.asarray(wells)
    names, inverse, counts = np.unique(wells, return_inverse=True, return_counts=True)
    if len(names) < 2 or validation_fraction <= 0:
        return np.arange(len(wells)), np.array([], dtype=np.int64)
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(names))
    target = validation_fraction * len(wells)
    chosen: list[int] = []
    total = 0
    for k in order[:-1]:
        if total >= target:
            break
        chosen.append(k)
        total += counts[k]
    is_val = np.isin(inverse, chosen)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def check_not_all_missing(X: np.ndarray, names: list[str]) -> None:
    """Raise DataError naming every feature (column/channel) with no observed value."""
    axes = (0, *range(2, X.ndim))
    observed = np.isfinite(X).any(axis=axes)
    if not observed.all():
        bad = [names[i] for i in np.flatnonzero(~observed)]
        raise DataError(
            f"feature(s) {bad} have no observed value (all NaN/inf); drop them before fitting "
            "or provide data where they were logged"
        )
