"""Disentanglement of latent codes against known generating factors: the mutual information gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mutual_info_score

from ..errors import ConfigError, DataError

__all__ = ["mutual_information_gap", "discretize"]


def discretize(values: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """Equal-width histogram bins of each column of ``values`` (n, d) -> int codes (n, d).

    A column that already holds at most ``n_bins`` distinct values (a categorical factor, e.g.
    lithology codes or strings) is coded by its distinct values instead.
    """
    frame = pd.DataFrame(values)
    out = np.empty(frame.shape, dtype=np.int64)
    for j, col in enumerate(frame.columns):
        v = frame[col]
        if not pd.api.types.is_numeric_dtype(v) or v.nunique() <= n_bins:
            out[:, j] = pd.factorize(v)[0]
            continue
        x = v.to_numpy(dtype=np.float64)
        edges = np.histogram_bin_edges(x, bins=n_bins)
        out[:, j] = np.digitize(x, edges[1:-1])
    return out


def mutual_information_gap(latents, factors, n_bins: int = 20, return_per_factor: bool = False):
    r"""Mutual information gap (MIG, Chen et al., NeurIPS 2018) of latent codes.

    Each latent dimension and each continuous factor is discretised into ``n_bins`` equal-width
    bins (categorical factors, and factors with at most ``n_bins`` distinct values, keep their
    classes). For each factor :math:`v_k` the mutual informations :math:`I(z_j; v_k)` (nats,
    empirical) are sorted, and

    .. math:: \mathrm{MIG} = \frac{1}{K}\sum_k \frac{I(z_{j^{(1)}}; v_k) - I(z_{j^{(2)}}; v_k)}{H(v_k)}

    with :math:`j^{(1)}, j^{(2)}` the two most informative latent dimensions. 1 means every
    factor is captured by one latent dimension alone; 0 means no dimension is specific.

    Parameters
    ----------
    latents : array-like, shape (n_samples, n_latents)
        Codes (e.g. a VAE's latent means from ``transform``); ``n_latents >= 2``.
    factors : array-like or DataFrame, shape (n_samples, n_factors)
        Known generating factors (numbers or categories, e.g. ``truth[["LITHOLOGY", "PHI", "SW"]]``).
    n_bins : int, default=20
    return_per_factor : bool, default=False
        Also return a DataFrame with, per factor, the entropy, the top two MIs, their latent
        indices and the normalised gap.

    Returns
    -------
    mig : float
        In [0, 1].
    details : pandas.DataFrame, only with ``return_per_factor=True``
    """
    if isinstance(latents, (pd.DataFrame, pd.Series)) and isinstance(factors, (pd.DataFrame,
                                                                             pd.Series)):
        # pandas on both sides: rows paired by index label, not by position (a reordered
        # frame would otherwise pair each code with another sample's factors)
        if not latents.index.equals(factors.index):
            if (latents.index.has_duplicates or factors.index.has_duplicates
                    or set(latents.index) != set(factors.index)):
                raise DataError("latents and factors have different index labels; pass them "
                                "with the same rows (or as arrays, paired by position)")
            factors = factors.loc[latents.index]
    Z = np.asarray(latents, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] < 2:
        raise DataError(f"latents must have shape (n_samples, n_latents >= 2), got {Z.shape}")
    F = factors if isinstance(factors, pd.DataFrame) else pd.DataFrame(np.asarray(factors))
    if len(F) != len(Z):
        raise DataError(f"latents have {len(Z)} rows but factors {len(F)}")
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 2):
        raise ConfigError(f"n_bins={n_bins!r} is not valid: an integer >= 2")
    if not np.isfinite(Z).all():
        bad = int((~np.isfinite(Z)).any(axis=1).sum())
        raise DataError(f"latents contain NaN/inf in {bad} row(s) (a VAE gives NaN codes to "
                        "rows with no reading); drop those rows from both the latents and the "
                        "factors first")
    missing = [str(c) for c in F.columns if F[c].isna().any()]
    if missing:
        raise DataError(f"factor(s) {missing} have missing values; drop those rows from both the "
                        "latents and the factors first")
    zc = discretize(Z, n_bins)
    vc = discretize(F, n_bins)
    rows = []
    for k, name in enumerate(F.columns):
        v = vc[:, k]
        p = np.bincount(v) / len(v)
        p = p[p > 0]
        h = float(-(p * np.log(p)).sum())
        mi = np.array([mutual_info_score(v, zc[:, j]) for j in range(Z.shape[1])])
        order = np.argsort(mi)[::-1]
        gap = (mi[order[0]] - mi[order[1]]) / h if h > 0 else 0.0
        rows.append({"factor": str(name), "entropy": h, "mi_1": mi[order[0]], "latent_1": int(order[0]),
                     "mi_2": mi[order[1]], "latent_2": int(order[1]), "gap": gap})
    details = pd.DataFrame(rows)
    mig = float(details["gap"].mean())
    return (mig, details) if return_per_factor else mig
