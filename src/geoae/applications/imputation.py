"""Missing-value imputation of well logs and tables with a masked denoising auto-encoder.

:class:`Imputer` trains a network to rebuild values it cannot see: at every training step it
hides a random share of the present values (``mask_rate``) and, per sample, whole curves
(``curve_mask_rate``, as in a well where a curve was never run), feeds the visible values
*together with the missingness indicator* to the network, and scores it on the hidden present
values. ``transform`` then fills only the NaNs. Optionally the network also sees the
``context`` depth samples above and below each sample (in the same well).
"""

from __future__ import annotations

import numbers
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import KNNImputer
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._validation import check_random_state_param
from .._validation import is_int as _is_int
from .._validation import is_real as _is_real
from ..errors import ConfigError, DataError
from ..models import BaseAutoEncoder, start_noise_at_data_spread
from ..nn import DenseDecoder, DenseEncoder, Gaussian
from ..nn._common import ACTIVATIONS
from ..objectives import gaussian_kl
from ..preprocessing import (
    SCALERS,
    check_curve_columns,
    check_not_all_missing,
    check_well_labels,
    depth_segments,
    fit_affine_scaler,
    outside_ranges,
    recorded_physical_ranges,
    says_once,
    validation_split,
    warn_if_wells_mixed,
    warn_null_markers,
    warn_once,
    well_and_depth,
    well_rows,
)
from ..training import auto_batch_size, fit_module, resolve_device, seeded

__all__ = ["Imputer", "PASSTHROUGH_COLUMNS"]

#: DataFrame columns that are carried through untouched and never used as features.
PASSTHROUGH_COLUMNS = ("WELL", "DEPTH")

#: Network and optimiser settings used when ``model`` is None, "dae" or "vae".
#: Each of the ``n_ensemble`` networks is small and trains in a few seconds on ~4000 samples.
DEFAULT_NETWORK = dict(latent_dim=16, hidden=(128, 64), activation="relu", scaler="standard",
                       epochs=200, batch_size=256, learning_rate=2e-3, weight_decay=1e-4,
                       validation_fraction=0.15, patience=20, device="auto", verbose=False)
_NET_KEYS = tuple(DEFAULT_NETWORK)
_INFER_BATCH = 8192
_NOISE_WIDTH = 32  # hidden units of the VAE's per-value noise head
_KNN_MEMORY_MB = 256  # scikit-learn's working memory for the kNN fill's distance chunks
_NOISE_RANGE = 8.0  # its log-variance offset from the per-curve noise is kept within +-this


# --------------------------------------------------------------------------------------------
# helpers shared with the anomaly detector
# --------------------------------------------------------------------------------------------
def split_frame(X, what: str = "X") -> tuple[np.ndarray, list[str] | None, pd.DataFrame | None,
                                             np.ndarray | None, np.ndarray | None]:
    """Separate the feature curves from the pass-through ``WELL``/``DEPTH`` columns.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_columns)
        NaN, ``pd.NA`` (pandas nullable dtypes such as ``Float64``) and +/-inf mark missing values.

    Returns
    -------
    values : ndarray of float64, shape (n_samples, n_curves)
        The feature curves (a copy; missing values as NaN, infinite values kept as they are).
    names : list of str or None
        Curve names (DataFrame input only).
    passthrough : DataFrame or None
        The ``WELL``/``DEPTH`` columns present in X.
    wells, depth : ndarray or None
        Well labels and depths, shape (n_samples,), from the ``WELL``/``DEPTH`` columns or,
        without them, index levels of those names (:func:`geoae.preprocessing.well_and_depth`).
    """
    if isinstance(X, pd.DataFrame):
        keep = check_curve_columns(X, PASSTHROUGH_COLUMNS, what,
                                   " (WELL and DEPTH are passed through)")
        if not keep:
            raise DataError(f"{what} has no curve column besides {list(PASSTHROUGH_COLUMNS)}")
        values = X[keep].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        wells, depth = well_and_depth(X)  # columns, else index levels (a (WELL, DEPTH) index)
        check_well_labels(wells, what)
        pt = X[[c for c in X.columns if c in PASSTHROUGH_COLUMNS]]
        return values, [str(c) for c in keep], pt, wells, depth
    values = as_float_array(X, what)
    if values.ndim != 2:
        raise DataError(f"{what} must have shape (n_samples, n_features); got {values.shape}")
    return values, None, None, None, None


def as_column(values: np.ndarray, like: pd.Series):
    """Float results ``values`` (shape (n_samples,)) as a column in the dtype family of ``like``,
    the user's column: a pandas nullable (extension) column stays nullable, in its own dtype when
    it holds floats (``Float32``, ``Float64``, ``double[pyarrow]``) and ``Float64`` otherwise
    (``Int64``, ``boolean``: results are not whole numbers), NaN becoming ``pd.NA``; a NumPy
    column gives a NumPy array, in its float dtype (float32 stays float32) or float64."""
    dtype = like.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return pd.array(values, dtype=dtype if pd.api.types.is_float_dtype(dtype) else "Float64")
    return values.astype(dtype if np.issubdtype(dtype, np.floating) else np.float64, copy=False)


def as_float_array(X, what: str = "X", allow_nd: bool = False) -> np.ndarray:
    """A float64 copy of array-like ``X`` (NaN and inf kept) through scikit-learn's
    ``check_array``: sparse, complex and non-numeric input, and 1-D input where 2-D is needed,
    get scikit-learn's errors (TypeError for sparse or non-numeric objects)."""
    from sklearn.utils.validation import check_array

    try:
        values = check_array(X, dtype=np.float64, ensure_all_finite=False, allow_nd=allow_nd,
                             ensure_min_samples=0, ensure_min_features=0, copy=True)
    except ValueError as exc:
        raise DataError(f"{what}: {exc}") from exc
    return values


def check_same_curves(names: list[str] | None, fitted: list[str] | None, owner: str) -> None:
    """Raise :class:`DataError` when a DataFrame's curves (``names``) differ from the curves
    ``fitted`` on (both named; arrays are matched by position and not checked here)."""
    if names is None or fitted is None or list(names) == list(fitted):
        return
    hint = ("the same curves in another order: select them in the fitted order, "
            f"X[{list(fitted)}]" if sorted(names) == sorted(fitted)
            else "the same names in the same order are needed")
    raise DataError(f"X has curves {list(names)} but the {owner} was fitted on {list(fitted)}; "
                    f"{hint}")


def _index_dtype(n: int):
    """int32 for row numbers of ``n`` rows (and the sentinel ``n``) where they fit, else int64."""
    return np.int32 if n < 2**31 - 1 else np.int64


def neighbour_index(n: int, context: int, wells: np.ndarray | None = None,
                    depth: np.ndarray | None = None) -> np.ndarray:
    """Row index of the ``context`` samples above and below each row, in the same well.

    Rows of one well are ordered by ``depth`` when given (stable), else by row order; without
    ``wells`` all rows form one sequence. With ``depth``, a neighbour is never taken across a
    gap in the log (:func:`~geoae.preprocessing.depth_segments`: a step between consecutive rows
    longer than 1.5 sample steps, or a missing depth, ends the sequence there).

    Returns
    -------
    ndarray of int32 (int64 from 2**31 - 1 rows on), shape (n, 2 * context + 1)
        Column ``context`` is the row itself; -1 where the neighbour falls outside the well.
    """
    width = 2 * context + 1
    warn_if_wells_mixed(depth, wells)
    out = np.full((n, width), -1, dtype=_index_dtype(n))
    for _, idx in well_rows(n, wells, depth):
        m = len(idx)
        # segment number of each row: a new segment after every gap (no neighbour across it)
        segment = depth_segments(depth[idx]) if depth is not None else np.zeros(m, dtype=np.int64)
        for j, off in enumerate(range(-context, context + 1)):
            lo, hi = max(0, -off), min(m, m - off)
            if hi > lo:
                src = idx[lo + off:hi + off]
                src = np.where(segment[lo + off:hi + off] == segment[lo:hi], src, -1)
                out[idx[lo:hi], j] = src
    return out


def _tree_cost(n_rows: int, groups: list[tuple[int, int]]) -> float:
    """Rough microseconds to search ``n_rows`` rows in k-d trees of ``(members, curves)``
    each: building them, then a query per row and tree (dearer with more curves, never
    dearer than comparing with every member). Measured on a 2-core EPYC; it only decides the
    way, not the neighbours."""
    return sum(0.4 * m + n_rows * min(1.0 + 0.5 * 2.0 ** (0.6 * c), 1.0 + 0.05 * m)
               for m, c in groups)


#: Rows a pattern of missing curves needs before knn_fill weighs k-d trees for it.
_KNN_TREE_ROWS = 256


def knn_fill(knn: KNNImputer, X: np.ndarray) -> np.ndarray:
    """``knn.transform(X)`` of a fitted ``KNNImputer(n_neighbors, keep_empty_features=True)``
    (uniform weights, nan-Euclidean distance), with k-d trees where they pay.

    scikit-learn computes the distance from every row to fill to every reference row (about
    0.3 ms per row for 5,000 references of 6 curves), whatever the pattern of missing values.
    Here the rows are grouped by which curves they hold. For a pattern shared by many rows (a
    curve missing over whole wells), and for each curve to fill, the donors (references holding
    that curve) are grouped by which of the pattern's curves they hold too: within such a donor
    group the nan-Euclidean distance is the Euclidean distance on those curves times a
    constant, so each group is searched with a k-d tree, and the nearest of all groups are
    merged (40x faster for 50,000 rows). The rows of the other patterns (a few rows each, or
    many donor groups, as with many curves missing at random: :func:`_tree_cost`) are given to
    ``knn.transform`` together. The same neighbours and means as scikit-learn's, up to the
    order of a sum (about 1e-16) and which of two (nearly) equally near neighbours is taken.
    Other settings (weights, metric) are left to ``knn.transform``.
    """
    from scipy.spatial import cKDTree
    from sklearn import config_context

    if (knn.weights != "uniform" or knn.metric != "nan_euclidean" or not knn.keep_empty_features
            or not np.isnan(knn.missing_values) or knn.add_indicator):
        with config_context(working_memory=_KNN_MEMORY_MB):  # distances in chunks
            return np.asarray(knn.transform(X))
    out = np.array(X, dtype=np.float64)
    ref = np.asarray(knn._fit_X, dtype=np.float64)
    rmask, mask = np.isnan(ref), np.isnan(out)
    valid = ~rmask.all(axis=0)
    d = out.shape[1]
    rows = np.flatnonzero(mask[:, valid].any(axis=1))
    patterns, which = (np.unique(mask[rows], axis=0, return_inverse=True) if len(rows)
                       else (np.empty((0, d), bool), np.empty(0, np.int64)))
    rest = []  # rows left to knn.transform
    for p, pattern in enumerate(patterns):
        at = rows[which.ravel() == p]
        if len(at) < _KNN_TREE_ROWS:
            rest.append(at)
            continue
        present = np.flatnonzero(~pattern)
        plans = []  # per curve to fill: its mean, k and donor groups
        for col in np.flatnonzero(pattern & valid):
            donors = np.flatnonzero(~rmask[:, col])
            shares, group = np.unique(~rmask[np.ix_(donors, present)], axis=0,
                                      return_inverse=True)
            groups = [(donors[group.ravel() == g], present[shared])
                      for g, shared in enumerate(shares) if shared.any()]
            plans.append((col, float(ref[donors, col].mean()),
                          min(int(knn.n_neighbors), len(donors)), groups))
        sizes = [(len(m), len(c)) for *_, groups in plans for m, c in groups]
        if _tree_cost(len(at), sizes) >= len(at) * len(ref) * (0.05 + 0.02 * len(plans)):
            rest.append(at)  # comparing with every reference is cheaper
            continue
        for col, mean, k, groups in plans:
            if not groups:  # no distance to any donor: the curve's mean, as scikit-learn
                out[at, col] = mean
                continue
            searches = [(cKDTree(ref[np.ix_(members, cols)]), members,
                         np.searchsorted(present, cols), np.sqrt(d / len(cols)))
                        for members, cols in groups]
            # rows at a time: distances and indices of k per tree in a quarter of the budget
            chunk = max(1, _KNN_MEMORY_MB * 2**20 // 4 // (16 * k * len(searches)))
            for start in range(0, len(at), chunk):
                q = out[np.ix_(at[start:start + chunk], present)]
                dist, idx = [], []
                for tree, members, cols, scale in searches:
                    kk = min(k, len(members))
                    td, ti = tree.query(q[:, cols], k=kk)
                    dist.append(td.reshape(len(q), kk) * scale)
                    idx.append(members[ti.reshape(len(q), kk)])
                dist_, idx_ = np.concatenate(dist, axis=1), np.concatenate(idx, axis=1)
                # fewer than k donors share a curve with the rows: those that do (scikit-learn
                # takes k, and weighs those without a distance 0)
                kk = min(k, dist_.shape[1])
                near = np.argpartition(dist_, kk - 1, axis=1)[:, :kk]
                donor = np.take_along_axis(idx_, near, axis=1)
                out[at[start:start + chunk], col] = ref[donor, col].mean(axis=1)
    left = np.sort(np.concatenate(rest)) if rest else np.empty(0, np.int64)
    if len(left):
        with config_context(working_memory=_KNN_MEMORY_MB):  # distances in chunks
            out[left] = np.asarray(knn.transform(out[left]))
    out[:, ~valid] = 0.0
    return out


class _Windows:
    """The depth windows ``(rows, 2k+1, d)`` of scaled values and their observed mask,
    gathered a batch of rows at a time from the curves (``Z``, ``(n + 1, d)`` float32, 0 where
    missing), their mask and the :func:`neighbour_index` (int32 when it fits). A neighbour
    outside the well is the last row, ``n``: all zeros, nothing observed. The windows of the
    whole data are never held: with ``context=8`` they were 17 times the curves (about 0.5 GB
    per million rows of 6 curves, and a copy of the training rows on top); the index is 17
    int32 per row."""

    def __init__(self, Z: torch.Tensor, obs: torch.Tensor, nbr: torch.Tensor,
                 hidden: int | None = None) -> None:
        self.Z, self.obs, self.nbr, self.hidden = Z, obs, nbr, hidden

    @classmethod
    def of(cls, Z: np.ndarray, obs: np.ndarray, nbr: np.ndarray) -> _Windows:
        """From the scaled curves (any value where ``obs`` is False) and the index (-1 outside
        the well)."""
        n = len(Z)
        Zf = np.zeros((n + 1, Z.shape[1]), dtype=np.float32)
        np.copyto(Zf[:n], Z, where=obs, casting="unsafe")
        seen = np.zeros((n + 1, Z.shape[1]), dtype=bool)
        seen[:n] = obs
        nbr = np.where(nbr >= 0, nbr, n).astype(_index_dtype(n), copy=False)
        return cls(torch.from_numpy(Zf), torch.from_numpy(seen), torch.from_numpy(nbr))

    def __len__(self) -> int:
        return self.nbr.shape[0]

    def to(self, device) -> _Windows:
        return _Windows(self.Z.to(device), self.obs.to(device), self.nbr.to(device),
                        self.hidden)

    def rows(self, rows) -> _Windows:
        """The windows of ``rows`` only (their neighbours are still taken from every row)."""
        idx = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.nbr.device)
        return _Windows(self.Z, self.obs, self.nbr.index_select(0, idx), self.hidden)

    def hiding(self, j: int) -> _Windows:
        """The same windows with curve ``j`` missing everywhere (as in a gap of that log),
        hidden in each gathered batch (the curves are not copied)."""
        return _Windows(self.Z, self.obs, self.nbr, j)

    def take(self, rows) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows and mask of ``rows`` (a slice, or an index tensor on the windows' device):
        ``(b, 2k+1, d)`` float32, 0 where not observed or outside the well, and bool."""
        nb = self.nbr[rows] if isinstance(rows, slice) else self.nbr.index_select(0, rows)
        flat = nb.flatten()
        W = self.Z.index_select(0, flat).view(*nb.shape, -1)
        M = self.obs.index_select(0, flat).view(*nb.shape, -1)
        if self.hidden is not None:
            W[:, :, self.hidden] = 0.0
            M[:, :, self.hidden] = False
        return W, M

    def centre(self, rows) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows' own values and mask, ``(b, d)`` (the window's centre)."""
        idx = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.Z.device)
        Z, obs = self.Z.index_select(0, idx), self.obs.index_select(0, idx)
        if self.hidden is not None:
            Z[:, self.hidden] = 0.0
            obs[:, self.hidden] = False
        return Z, obs

    def blank(self) -> np.ndarray:
        """Rows with no observed value anywhere in their window (nothing to fill from)."""
        obs = self.obs
        if self.hidden is not None:
            obs = obs.clone()
            obs[:, self.hidden] = False
        seen = obs.any(dim=1).cpu().numpy()  # the last row (outside the well) is False
        return ~seen[self.nbr.cpu().numpy()].any(axis=1)

    def batches(self, size: int = _INFER_BATCH):
        """``(W, M)`` of consecutive rows, ``size`` at a time."""
        for i in range(0, len(self), size):
            yield self.take(slice(i, i + size))


class _MaskedNet(nn.Module):
    """Dense (variational) auto-encoder whose input is the visible values and their mask."""

    def __init__(self, n_in: int, n_out: int, hidden, latent_dim: int, activation: str,
                 variational: bool, skip: bool = False) -> None:
        super().__init__()
        self.encoder = DenseEncoder(n_in, latent_dim * (2 if variational else 1), hidden, activation)
        self.decoder = DenseDecoder(latent_dim, n_out, hidden, activation)
        self.head = Gaussian(latent_dim) if variational else None
        self.obs_logvar = nn.Parameter(torch.zeros(n_out)) if variational else None
        # the noise of each value given what is visible (a VAE only): a log-variance offset from
        # the inputs, added to the per-curve ``obs_logvar``; it starts at zero (the per-curve
        # noise) and is trained on the squared errors, detached (see ``noise_logvar``)
        self.noise = None
        if variational:
            self.noise = nn.Sequential(nn.Linear(n_in, _NOISE_WIDTH), nn.ELU(),
                                       nn.Linear(_NOISE_WIDTH, n_out))
            nn.init.zeros_(self.noise[2].weight)
            nn.init.zeros_(self.noise[2].bias)
        # linear path from the (masked) inputs to the outputs: the network starts from a linear
        # imputation and the auto-encoder learns the non-linear correction
        self.skip = nn.Linear(n_in, n_out) if skip else None
        if self.skip is not None:
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)

    @staticmethod
    def inputs(W: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        x = torch.where(visible, W, torch.zeros_like(W))
        return torch.cat([x.flatten(1), visible.to(W.dtype).flatten(1)], dim=1)

    def encode(self, inp: torch.Tensor):
        h = self.encoder(inp)
        return self.head(h) if self.head is not None else (h, None)

    def linear(self, inp: torch.Tensor):
        return 0.0 if self.skip is None else self.skip(inp)

    def noise_logvar(self, inp: torch.Tensor) -> torch.Tensor:
        """Log-variance ``(n, d)`` of each value's observation noise given the inputs."""
        offset = self.noise(inp).clamp(-_NOISE_RANGE, _NOISE_RANGE)
        return self.obs_logvar.detach() + offset

    def forward(self, inp: torch.Tensor, sample: bool = False):
        mu, logvar = self.encode(inp)
        z = mu
        if sample and logvar is not None:
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z) + self.linear(inp), mu, logvar


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _row_keys(inp: torch.Tensor, seed: int) -> np.ndarray:
    """One 64-bit key per row of ``inp`` from its values (their float32 bits) and ``seed``."""
    bits = inp.detach().cpu().float().contiguous().numpy().view(np.uint32).astype(np.uint64)
    key = np.full(bits.shape[0], _mix64(np.array([seed % 2**63], np.uint64))[0])
    for j in range(bits.shape[1]):
        key = _mix64(key ^ bits[:, j])
    return key


def _row_normals(keys: np.ndarray, draws: int, k: int, stream: int) -> torch.Tensor:
    """Standard normal draws of shape ``(draws, len(keys), k)``, each a function of its row's
    key, ``stream``, the draw and the column only (counter-based: splitmix64, Box-Muller)."""
    base = _mix64(keys ^ _mix64(np.array([stream], np.uint64))[0])[None, :, None]
    ctr = 2 * (np.arange(draws, dtype=np.uint64)[:, None, None] * np.uint64(k)
               + np.arange(k, dtype=np.uint64)[None, None, :])
    with np.errstate(over="ignore"):
        a, b = _mix64(base + ctr), _mix64(base + ctr + np.uint64(1))
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53  # in (0, 1)
    u2 = (b >> np.uint64(11)).astype(np.float64) / 2.0**53
    return torch.from_numpy(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2))


class Imputer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Fill missing log values with a masked denoising auto-encoder.

    Training hides random present values (``mask_rate``) and, independently per sample, whole
    curves (``curve_mask_rate``; with ``context > 0`` the curve is hidden over the whole depth
    window, as in a well where that tool was never run). The network receives the visible values
    (hidden and missing ones set to the curve mean, i.e. 0 after scaling) concatenated with the
    0/1 missingness indicator, so it can tell a hidden value from a mean value, and it is trained
    to rebuild the hidden present values (plus ``observed_weight`` times the error on the visible
    ones). :meth:`transform` fills only the NaNs: every present value is returned bit for bit.

    Parameters
    ----------
    model : None, {"dae", "vae"} or a geoae estimator, default=None
        The network configuration. ``None``/``"dae"``: a dense masked denoising auto-encoder
        with :data:`DEFAULT_NETWORK` settings (latent 16, hidden (128, 64), up to 200 epochs
        with early stopping), ``n_ensemble`` times. ``"vae"``: the same as a variational
        auto-encoder (beta 1) whose observation noise is learned per value, which enables
        ``transform(X, return_std=True)``: a per-curve variance (in the ELBO) times a factor
        that a small head predicts from the visible inputs, trained on the squared errors of the
        fills (detached, so the fills do not change). The standard deviation then follows the
        error: on the Kansas leave-one-well-out PE test (``context=3``), 95 % of the true
        values pooled over the 8 wells lie within 2 standard deviations (per well from 76 %,
        SHRIMPLIN, to 99 %: over-confident on a hard well) and the wider bands go with the
        larger errors
        (``benchmarks/bench_imputation_std.py``); with a noise per curve alone it was nearly
        constant along a curve.
        A geoae estimator (``AutoEncoder``, ``DenoisingAutoEncoder``, ``VAE``, ...; dense
        backbone) lends its ``latent_dim``, ``hidden``, ``activation``, ``scaler``, ``epochs``,
        ``batch_size``, ``learning_rate``, ``weight_decay``, ``validation_fraction``,
        ``patience``, ``device``, ``verbose`` (and ``beta`` for a VAE); its own corruption or
        penalty settings are not used (the masking here replaces them). The estimator itself is
        never fitted.
    mask_rate : float in [0, 1), default=0.25
        Share of present values hidden at random at every training step.
    curve_mask_rate : float in [0, 1), default=0.15
        Probability, per sample and curve, of hiding that whole curve (over the whole context
        window).
    context : int, default=0
        Number of depth samples above and below each sample that the network also sees (0:
        each row on its own). Rows are neighbours when they are consecutive in the same well
        (``WELL`` column; ordered by ``DEPTH`` when present, and not across depth gaps) or, for
        arrays, consecutive rows.
    observed_weight : float or None, default=None
        Weight of the reconstruction error on the visible present values (the hidden ones have
        weight 1). None: 0.1 for a denoising network, which then spends its capacity on the
        hidden values, and 1 for a VAE, whose loss is then the evidence lower bound of every
        present value (the encoder still sees only the visible ones). With a small weight a
        VAE's latent code does not pay for its KL term: the code collapses to the prior, every
        fill becomes the curve mean and the standard deviation the curve's own spread.
    context_dropout : float in [0, 1), default=0.0
        With ``context > 0``: probability, per training sample and neighbour, of hiding that
        whole neighbour row, so the network also learns samples whose neighbours are missing
        (at a well end, across a depth gap, in a sparsely sampled well).
    n_ensemble : int, default=3
        Number of networks trained (each with its own seed: weights, hiding masks, validation
        split); :meth:`transform` fills with the mean of their predictions. An ensemble is
        markedly more accurate and less seed-dependent than one network; 1 trains one network.
    skip : bool, default=False
        Add a linear path from the network's input to its output (initialised at zero), so
        the network learns a linear imputation plus a non-linear correction.
    knn_blend : float in [0, 1], default=0.5
        Weight of a k-nearest-neighbour fill in the result: ``(1 - knn_blend) * network +
        knn_blend * kNN``, the kNN being scikit-learn's ``KNNImputer(n_neighbors)`` on the
        scaled curves of the training rows (each sample's own row, no depth context). It
        guards against the network extrapolating on samples unlike the training wells (in the
        Kansas benchmark it cuts the error on the pseudo-well Recruit F9 from 1.20 to 0.77
        b/e) and costs little elsewhere; 0 gives the networks alone (``knn_`` is then None).
        The neighbours are searched among at most ``knn_max_rows`` (5,000) training rows, a
        uniform sample of them when there are more (kept in ``knn_``); the fills are those of
        ``knn_.transform``, with k-d trees for the rows of a frequent pattern of missing curves
        (40x faster for 50,000 rows with a curve missing over whole wells; scikit-learn's
        search among all 43,000 rows of a FORCE 2020 folder had taken 170 s and 4 GB).
        With ``return_std=True`` the standard deviation is the networks' (the kNN part adds
        none), calibrated at fit against the blended fill (see ``n_draws``).
    n_neighbors : int, default=5
        Neighbours of the kNN fill (``knn_blend > 0``).
    n_draws : int, default=50
        Draws of the latent code (and of the learned per-value observation noise) per ensemble
        member for ``transform(X, return_std=True)`` with a VAE; the standard deviation is taken
        over the draws of all members, so it covers both the members' disagreement and each
        member's own uncertainty. It is then scaled per curve by ``std_scale_``, fitted on each
        member's validation rows (whole wells with a WELL column): each curve hidden in turn
        (across the window, as in a gap of the log) and filled by that member (blended with
        the kNN part of its other rows), the factor puts 90 % of the held-out values within
        1.645 std, as a Gaussian band would (heavy-tailed errors then hold more than 68 %
        within 1 std). Uncalibrated, the band was about 1.4 times too wide on data like the
        training data (the noise head learns the errors of a pass with a sampled code, and the
        latent draws are added again). On Gaussian test data one member gives 0.89-0.92 inside
        1.645 std over 5 seeds; several members a little more (their mean fill is closer than
        one member's).
    physical_range : bool, default=True
        For a DataFrame whose curves have a physical range
        (:data:`geoae.preprocessing.PHYSICAL_RANGES`, by canonical name, converted to the unit
        in ``X.attrs["units"]``, as :func:`~geoae.io.read_wells` records it; log10 for the
        curves in ``X.attrs["log10_curves"]``; a curve without a recorded unit is not screened,
        as it may hold log10 values or percent): readings
        outside it (a PE of 198 b/e behind barite mud, a sonic of 1 us/ft) are neither learnt nor
        filled from, and stay in the output as measured; fills beyond it are set to the nearer
        end. Each says so in a warning. A curve with more than 20 % of its readings out of range
        is more likely in another unit than recorded: it is not screened (a warning names it).
    random_state : int, RandomState or None, default=None
        Seed of the weights, the hiding masks, the validation split and the draws. When None,
        the ``random_state`` of ``model`` (if any) is used.

    Attributes
    ----------
    networks_ : list of torch.nn.Module
        The ``n_ensemble`` trained networks (on CPU, eval mode).
    network_ : torch.nn.Module
        The first of ``networks_``.
    histories_ : list of dict
        Training history of each network.
    history_ : dict of lists
        The first network's per-epoch ``loss``, ``val_loss``, ``hidden`` and ``observed`` terms,
        ``best_epoch``.
    knn_ : sklearn.impute.KNNImputer or None
        The nearest-neighbour imputer on the scaled training curves (``knn_blend > 0`` only).
    curves_ : list of str
        Names of the modelled curves (``"x0"``, ``"x1"``, ... for arrays).
    physical_ranges_ : dict
        ``{column index: (low, high)}`` of the curves screened against their physical range
        (see ``physical_range``; in the curve's unit, log10 for log10 curves).
    n_features_in_ : int
        Columns of X seen in fit, pass-through columns included.
    feature_names_in_ : ndarray of str
        All column names of a DataFrame X (pass-through included).
    scaler_offset_, scaler_scale_ : ndarray of shape (n_curves,)
        The affine scaling ``z = (x - offset) / scale`` (in the curves' units).
    variational_ : bool
        Whether the network is a VAE (``return_std`` available).
    std_scale_ : ndarray of shape (n_curves,)
        The per-curve factor of the standard deviation, calibrated on held-out values at fit
        (see ``n_draws``; all 1 for a denoising network, or where too few values were held out).

    Notes
    -----
    DataFrame input: the ``WELL`` and ``DEPTH`` columns (when present) are passed through
    untouched and are not features; ``WELL`` also keeps whole wells together in the validation
    split and bounds the depth context. Other columns must be numeric. Infinite values are
    treated as missing by the network but left as they are in the output (only NaN is filled).

    Examples
    --------
    >>> from geoae.datasets import make_synthetic_wells
    >>> wells = make_synthetic_wells(n_wells=3, n_samples=400, random_state=0)
    >>> filled = Imputer(random_state=0).fit_transform(wells.observed)  # doctest: +SKIP
    """

    knn_max_rows = 5000

    def __init__(self, model=None, mask_rate=0.25, curve_mask_rate=0.15, context=0,
                 observed_weight=None, context_dropout=0.0, n_ensemble=3, skip=False, knn_blend=0.5,
                 n_neighbors=5, n_draws=50, physical_range=True, random_state=None):
        self.model = model
        self.mask_rate = mask_rate
        self.curve_mask_rate = curve_mask_rate
        self.context = context
        self.observed_weight = observed_weight
        self.context_dropout = context_dropout
        self.n_ensemble = n_ensemble
        self.skip = skip
        self.knn_blend = knn_blend
        self.n_neighbors = n_neighbors
        self.n_draws = n_draws
        self.physical_range = physical_range
        self.random_state = random_state

    # ------------------------------------------------------------------ configuration
    def _config(self) -> tuple[dict, bool, float, object]:
        """Network settings, whether variational, beta and the seed source."""
        m = self.model
        if m is None or (isinstance(m, str) and m.lower() in ("dae", "ae", "dense")):
            return dict(DEFAULT_NETWORK), False, 1.0, self.random_state
        if isinstance(m, str) and m.lower() in ("vae", "variational"):
            return dict(DEFAULT_NETWORK), True, 1.0, self.random_state
        if isinstance(m, BaseAutoEncoder):
            p = m.get_params()
            if p.get("backbone", "dense") != "dense":
                raise ConfigError(f"Imputer needs a dense model, got backbone={p['backbone']!r}; "
                                  "use context=... for depth neighbours instead of a conv backbone")
            if p.get("loss", "mse") != "mse":
                raise ConfigError("Imputer trains with a squared error; use a model with loss='mse'")
            cfg = {k: p[k] for k in _NET_KEYS if k in p}
            rs = self.random_state if self.random_state is not None else p.get("random_state")
            return cfg, bool(m._variational), float(p.get("beta", 1.0)), rs
        raise ConfigError(f"model={m!r} is not valid: None, 'dae', 'vae' or a geoae estimator "
                          "such as DenoisingAutoEncoder(...) or VAE(...)")

    def _check_params(self) -> None:
        check_random_state_param(self.random_state)
        for name in ("mask_rate", "curve_mask_rate", "context_dropout"):
            v = getattr(self, name)
            if not (_is_real(v) and 0 <= v < 1):
                raise ConfigError(f"{name}={v!r} is not valid: a rate in [0, 1)")
        if self.mask_rate + self.curve_mask_rate <= 0:
            raise ConfigError("mask_rate and curve_mask_rate are both 0: the network would never "
                              "learn to rebuild a hidden value; set mask_rate=0.25")
        if not (isinstance(self.context, numbers.Integral) and not isinstance(self.context, bool)
                and self.context >= 0):
            raise ConfigError(f"context={self.context!r} is not valid: an integer >= 0")
        if self.observed_weight is not None and not (_is_real(self.observed_weight)
                                                     and self.observed_weight >= 0):
            raise ConfigError(f"observed_weight={self.observed_weight!r} is not valid: a number "
                              ">= 0, or None (0.1 for a denoising network, 1 for a VAE)")
        if not (isinstance(self.n_ensemble, numbers.Integral) and not isinstance(self.n_ensemble, bool)
                and self.n_ensemble >= 1):
            raise ConfigError(f"n_ensemble={self.n_ensemble!r} is not valid: an integer >= 1")
        if not (_is_real(self.knn_blend) and 0 <= self.knn_blend <= 1):
            raise ConfigError(f"knn_blend={self.knn_blend!r} is not valid: a weight in [0, 1]")
        if not (isinstance(self.n_neighbors, numbers.Integral) and not isinstance(self.n_neighbors, bool)
                and self.n_neighbors >= 1):
            raise ConfigError(f"n_neighbors={self.n_neighbors!r} is not valid: an integer >= 1")
        for name in ("skip", "physical_range"):  # "no" was taken as True
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid: True or False")
        if not (_is_int(self.n_draws) and self.n_draws >= 2):  # True was taken as 1
            raise ConfigError(f"n_draws={self.n_draws!r} is not valid: an integer >= 2")
        cfg, _, _, _ = self._config()
        if cfg["scaler"] not in SCALERS:
            raise ConfigError(f"scaler={cfg['scaler']!r} is not valid: one of {SCALERS}")
        if cfg["activation"] not in ACTIVATIONS:
            raise ConfigError(f"activation={cfg['activation']!r} is not valid")

    # ------------------------------------------------------------------ inputs
    def _prepare(self, X, reset: bool):
        values, names, pt, wells, depth = split_frame(X)
        if reset:
            self.n_features_in_ = int(X.shape[1] if isinstance(X, pd.DataFrame) else values.shape[1])
            if isinstance(X, pd.DataFrame):
                self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self.curves_ = names if names is not None else [f"x{i}" for i in range(values.shape[1])]
        else:
            if values.shape[1] != len(self.curves_):
                named = names is not None and hasattr(self, "feature_names_in_")
                lacking = [c for c in self.curves_ if c not in names] if named else []
                extra = [c for c in names if c not in self.curves_] if named else []
                which = (f"; X lacks {lacking}" + (f" and has {extra} instead" if extra else "")
                         if lacking else f"; X has {extra} besides them (drop them)" if extra
                         else "")
                raise DataError(f"X has {values.shape[1]} features, but Imputer is expecting "
                                f"{len(self.curves_)} features as input (curves {self.curves_})"
                                f"{which}")
            if hasattr(self, "feature_names_in_"):
                check_same_curves(names, self.curves_, "imputer")
        inf = np.isinf(values)
        if inf.any():
            warn_once(f"X holds {int(inf.sum())} infinite value(s); the network treats them as "
                      "missing and they are returned unchanged", RuntimeWarning)
        warn_null_markers(values, self.curves_)
        return values, pt, wells, depth

    def _physical_ranges(self, X, values: np.ndarray) -> dict[int, tuple[float, float]]:
        """``{column index: (low, high)}`` of the curves screened (see ``physical_range``)."""
        if not self.physical_range or not isinstance(X, pd.DataFrame):
            return {}
        return recorded_physical_ranges(self.curves_, values, X.attrs, "Imputer", stacklevel=4)

    def _screen(self, values: np.ndarray, what: str) -> np.ndarray:
        """``values`` with the readings outside the physical ranges as NaN (a copy when any),
        said in a warning (``what``: "learnt" at fit, "filled" at transform)."""
        ranges = getattr(self, "physical_ranges_", {})
        bad = outside_ranges(values, ranges)
        if not bad.any():
            return values
        said = ", ".join(f"{self.curves_[j]}: {int(bad[:, j].sum())} outside {lo:g} to {hi:g}"
                         for j, (lo, hi) in ranges.items() if bad[:, j].any())
        warnings.warn(f"Imputer: readings outside the physical range ({said}) are not {what} "
                      "from; they stay in the output as measured", UserWarning, stacklevel=3)
        return np.where(bad, np.nan, values)

    def _clip_fills(self, pred: np.ndarray, missing: np.ndarray) -> None:
        """In place: fills beyond a screened curve's physical range set to the nearer end."""
        said = []
        ranges = getattr(self, "physical_ranges_", {})
        out = missing & outside_ranges(pred, ranges)
        for j, (lo, hi) in ranges.items():
            if out[:, j].any():
                pred[:, j] = np.clip(pred[:, j], lo, hi)
                said.append(f"{self.curves_[j]}: {int(out[:, j].sum())} to {lo:g} to {hi:g}")
        if said:
            warnings.warn(f"Imputer: fills beyond the physical range set to its nearer end "
                          f"({', '.join(said)})", UserWarning, stacklevel=3)

    def _windows(self, values, wells, depth) -> _Windows:
        Z = (values - self.scaler_offset_) / self.scaler_scale_
        return _Windows.of(Z, np.isfinite(Z), neighbour_index(len(Z), int(self.context), wells,
                                                              depth))

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Train the masked auto-encoder on X (NaN = missing; ``y`` is ignored).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Curves in their own units, NaN or ``pd.NA`` (pandas nullable dtypes) where missing;
            ``WELL``/``DEPTH`` columns are passed through. A row with no present value has
            nothing to rebuild: it is not a training (or validation) sample, only a neighbour of
            the others with ``context > 0``.

        Returns
        -------
        self
        """
        from .. import distributed as _dist

        self._check_params()
        _dist.init_from_env()  # under torchrun: every network is trained with DDP
        cfg, variational, beta, rs = self._config()
        values, _, wells, depth = self._prepare(X, reset=True)
        self.physical_ranges_ = self._physical_ranges(X, values)
        values = self._screen(values, "learnt")
        if values.shape[0] < 2:
            raise DataError(f"Imputer needs at least 2 samples, got n_samples={values.shape[0]}")
        if values.shape[1] == 0:  # (scikit-learn's words)
            raise DataError(f"X has 0 feature(s) (shape={values.shape}) while a minimum of 1 is "
                            "required; give the Imputer the curves to fill")
        finite = np.where(np.isfinite(values), values, np.nan)
        check_not_all_missing(finite, self.curves_)
        self.scaler_offset_, self.scaler_scale_ = fit_affine_scaler(finite, cfg["scaler"])
        self.variational_ = variational
        win = self._windows(values, wells, depth)
        k, d = int(self.context), len(self.curves_)
        width = 2 * k + 1
        rng = check_random_state(rs)
        # rank 0's seeds on every rank under torchrun: the same splits and masks everywhere
        seeds = [_dist.broadcast_int(int(rng.randint(0, 2**31 - 1)))
                 for _ in range(int(self.n_ensemble))]
        device = resolve_device(cfg["device"])
        mask_rate, curve_rate = float(self.mask_rate), float(self.curve_mask_rate)
        w_obs = float(self.observed_weight if self.observed_weight is not None
                      else 1.0 if variational else 0.1)
        row_rate = float(self.context_dropout) if k > 0 else 0.0
        centre = torch.zeros((1, width, 1), dtype=torch.bool, device=device)
        centre[0, k] = True
        vf = float(cfg["validation_fraction"])
        labels = None
        if wells is not None and len(pd.unique(np.asarray(wells, dtype=object))) >= 2:
            labels = np.asarray(wells, dtype=object).astype(str)
        if _dist.is_distributed():  # the ranks train on row numbers: the same data behind them?
            from ..training import _checksum

            with warnings.catch_warnings():  # the values as read (a copy in other units scales
                warnings.simplefilter("ignore", RuntimeWarning)  # alike), the windows' rows
                raw = float(np.nansum(np.where(np.isfinite(values), values, np.nan),
                                      dtype=np.float64))
            _dist.check_same_data(len(win), raw + _checksum(win.Z, win.obs)
                                  + _checksum(win.nbr, None), device)
        wd = win.to(device)
        # a sample with no present value of its own has nothing to rebuild: no target, only a
        # bias (the VAE's KL term, the per-sample sums); it stays a neighbour of the others
        rows = np.flatnonzero(win.obs.any(dim=1).numpy())
        if labels is not None:
            labels = labels[rows]

        def numbers(idx):  # the training loop batches row numbers; the objective gathers them
            return torch.as_tensor(np.asarray(idx, dtype=np.int64), device=device)

        self.networks_, self.histories_ = [], []
        held = []  # each member's validation rows: where its band is calibrated
        for seed in seeds:  # each member: its own weights, hiding masks and validation split
            tr, va = validation_split(len(rows), labels, vf, seed)
            tr, va = rows[tr], rows[va]
            held.append(va)

            def objective(net, rb, _mb, seed=seed):
                xb, mb = wd.take(rb)
                gen = None
                if not net.training:  # fixed hiding masks for a stable validation loss
                    gen = torch.Generator(device=xb.device).manual_seed(seed)
                b = xb.shape[0]
                hide = torch.rand((b, width, d), generator=gen, device=xb.device) < mask_rate
                hide = hide | (torch.rand((b, 1, d), generator=gen, device=xb.device) < curve_rate)
                if row_rate > 0:  # whole neighbour rows gone, as across a gap or at a well end
                    drop = torch.rand((b, width, 1), generator=gen, device=xb.device) < row_rate
                    hide = hide | (drop & ~centre)
                visible = mb & ~hide
                inp = _MaskedNet.inputs(xb, visible)
                out, mu, logvar = net(inp, sample=variational)
                target, present = xb[:, k], mb[:, k]
                hidden, seen = present & hide[:, k], present & ~hide[:, k]
                err = (out - target) ** 2
                if variational:
                    err = 0.5 * (err * torch.exp(-net.obs_logvar) + net.obs_logvar)
                err_h = torch.where(hidden, err, torch.zeros_like(err)).sum()
                err_s = torch.where(seen, err, torch.zeros_like(err)).sum()
                if variational:  # per-sample sums, as in the ELBO
                    rec_h, rec_s = err_h / b, err_s / b
                    kl = gaussian_kl(mu, logvar).mean()
                    # the per-value noise learns the squared errors as they are (detached: the
                    # fill and its ELBO do not change), hidden values weighed as in the ELBO
                    lv = net.noise_logvar(inp)
                    nll = 0.5 * (((out - target) ** 2).detach() * torch.exp(-lv) + lv)
                    weight = hidden.to(nll.dtype) + w_obs * seen.to(nll.dtype)
                    noise = (nll * weight).sum() / b
                    loss = rec_h + w_obs * rec_s + beta * kl + noise
                    return loss, {"hidden": rec_h, "observed": rec_s, "kl": kl, "noise": noise}
                rec_h = err_h / hidden.sum().clamp_min(1)
                rec_s = err_s / seen.sum().clamp_min(1)
                return rec_h + w_obs * rec_s, {"hidden": rec_h, "observed": rec_s}

            with seeded(seed, device):
                net = _MaskedNet(2 * width * d, d, tuple(cfg["hidden"]), int(cfg["latent_dim"]),
                                 cfg["activation"], variational, bool(self.skip)).to(device)
                if variational:  # the noise starts at the curves' spread, whatever the scaler
                    start_noise_at_data_spread(net.obs_logvar, *wd.centre(tr))
                history = fit_module(
                    net, objective, numbers(tr),
                    X_val=numbers(va) if len(va) else None,
                    epochs=int(cfg["epochs"]),
                    batch_size=auto_batch_size(cfg["batch_size"], device, len(tr)),
                    learning_rate=float(cfg["learning_rate"]), weight_decay=float(cfg["weight_decay"]),
                    patience=int(cfg["patience"]), verbose=bool(cfg.get("verbose", False)),
                    desc="Imputer")
            if variational and beta > 0:
                from ..models import warn_if_collapsed

                advice = f"Try a smaller beta (now {beta:g})"
                if self.observed_weight is not None:
                    advice += (" or observed_weight=None (the weight of the visible values: 1 "
                               "for a VAE)")
                warn_if_collapsed(history, "Imputer", advice + ".", stacklevel=2)
            self.networks_.append(net.cpu().eval())
            self.histories_.append(history)
        self.network_ = self.networks_[0]
        self.history_ = self.histories_[0]
        Z = (finite - self.scaler_offset_) / self.scaler_scale_  # the kNN part's space
        self.std_scale_ = (self._std_factors(win, held, seeds, Z) if variational
                           else np.ones(d, dtype=np.float64))
        # k nearest training rows on the scaled curves
        self.knn_ = self._fit_knn(Z, seeds[0]) if float(self.knn_blend) > 0 else None
        self._seed = seeds[0]
        return self

    def _fit_knn(self, Z: np.ndarray, seed: int) -> KNNImputer | None:
        """The kNN part on the rows of ``Z`` (scaled curves) that hold a value (a row with
        nothing gives no neighbour), a uniform sample of ``knn_max_rows`` of them at most (the
        cost is rows x references); None when no row holds one."""
        Z = Z[np.isfinite(Z).any(axis=1)]
        if len(Z) > self.knn_max_rows:
            keep = np.random.default_rng(seed).choice(len(Z), self.knn_max_rows, replace=False)
            Z = Z[np.sort(keep)]
        if not len(Z):
            return None
        return KNNImputer(n_neighbors=int(self.n_neighbors), keep_empty_features=True).fit(Z)

    #: Validation values per member and curve the band's calibration uses at most (a sample).
    _CALIBRATION_ROWS = 4000

    def _std_factors(self, win: _Windows, held, seeds, Z) -> np.ndarray:
        """Per curve, the factor that makes the band of ``transform(return_std=True)``
        calibrated on held-out values: each member's validation rows (whole wells with a WELL
        column), each curve hidden in turn across the window and filled by that member alone
        (blended, as at transform, with the kNN part of the member's other rows); the factor is
        the 90 % quantile of ``|error| / std`` over 1.645 (a Gaussian's), so that 90 % of
        held-out values lie within 1.645 std. 1 where fewer than 50 values were held out.
        Without it the band was about 1.4x too wide on data like the training data (97 % inside
        +/- 1.645 std): the noise head learns the errors of a pass with a sampled code, and the
        latent draws are added again. ``Z``: the curves scaled, as the kNN part sees them."""
        d = win.Z.shape[1]
        draws = max(int(self.n_draws), 20)
        a = float(self.knn_blend)
        ratios: list[list[np.ndarray]] = [[] for _ in range(d)]
        for net, va, seed in zip(self.networks_, held, seeds, strict=True):
            # the kNN part, of the rows this member did not hold out
            knn = self._fit_knn(np.delete(Z, va, axis=0), seed) if a > 0 and len(va) else None
            va = np.asarray(va, dtype=np.int64)
            for j in range(d):
                rows = va[win.obs[va, j].numpy()] if len(va) else va
                if len(rows) > self._CALIBRATION_ROWS:
                    rng = np.random.default_rng(seed + j)
                    rows = np.sort(rng.choice(rows, self._CALIBRATION_ROWS, replace=False))
                if not len(rows):
                    continue
                # the curve hidden across the window, as in a gap of the log (and as
                # curve_mask_rate hides it in training): an isolated hole is easier
                mean, samples = self._predict_scaled(win.hiding(j).rows(rows), draws, seed,
                                                     nets=[net])
                s = samples[:, :, j].std(axis=0, ddof=1)
                fill = mean[:, j]
                if knn is not None:
                    Zh = Z[rows].copy()
                    Zh[:, j] = np.nan
                    near = np.isfinite(Zh).any(axis=1)  # as transform: no kNN from nothing
                    if near.any():
                        fill = fill.copy()
                        fill[near] = (1 - a) * fill[near] + a * knn_fill(knn, Zh[near])[:, j]
                err = np.abs(fill - win.Z[rows, j].double().numpy())
                ok = np.isfinite(s) & (s > 0) & np.isfinite(err)
                ratios[j].append(err[ok] / s[ok])
        out = np.ones(d, dtype=np.float64)
        for j, parts in enumerate(ratios):
            z = np.concatenate(parts) if parts else np.empty(0)
            if z.size >= 50:  # the 90 % band (1.645 std) holds 90 % of the held-out values
                out[j] = float(np.quantile(z, 0.9)) / 1.6448536269514722
        return out

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def _predict_scaled(self, win: _Windows, draws: int = 0, seed: int = 0, nets=None):
        """Mean prediction ``(n, d)`` of the members (or of ``nets``) in scaled units, and draws
        ``(m * draws, n, d)`` pooled over them (their spread plus each member's latent and
        noise draws)."""
        nets = nets or getattr(self, "networks_", None) or [self.network_]
        means, samples = [], []
        for member, net in enumerate(nets):
            net.eval()
            m_means, m_samples = [], []
            for W, M in win.batches():
                inp = _MaskedNet.inputs(W, M)
                out, mu, logvar = net(inp)
                m_means.append(out)
                if draws:
                    # each row's draws are a function of the row's input and the seed alone, so
                    # a well's spread is the same alone, in a folder or in another row order
                    keys = _row_keys(inp, seed)
                    eps = _row_normals(keys, draws, mu.shape[1], 2 * member).to(mu.dtype)
                    z = mu + torch.exp(0.5 * logvar) * eps
                    dec = net.decoder(z.reshape(-1, mu.shape[1])).reshape(draws, mu.shape[0], -1)
                    dec = dec + net.linear(inp)
                    noise = _row_normals(keys, draws, dec.shape[2], 2 * member + 1).to(dec.dtype)
                    m_samples.append(dec + torch.exp(0.5 * net.noise_logvar(inp)) * noise)
            d = win.Z.shape[1]
            means.append(torch.cat(m_means).double().numpy() if m_means else np.empty((0, d)))
            if draws:
                samples.append(torch.cat(m_samples, dim=1).double().numpy() if m_samples
                               else np.empty((draws, 0, d)))
        mean = np.mean(means, axis=0)
        if draws:
            return mean, np.concatenate(samples, axis=0)
        return mean, None

    def transform(self, X, return_std: bool = False):
        """Fill the missing values (NaN) of X; present values are returned bit for bit.

        A sample with nothing to fill from -- no observed value in its row and, with
        ``context > 0``, none in its neighbours either (e.g. the null top of a well) -- is left
        missing (its standard deviation is NaN too): a fill there would be the training mean,
        not an estimate.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Same curves as in fit; ``WELL``/``DEPTH`` columns are passed through untouched.
        return_std : bool, default=False
            Also return the per-value standard deviation (curve units) of ``n_draws`` draws of
            the VAE (latent code and learned per-value observation noise); 0 for present
            values. A row's draws depend only on its input and ``random_state``: a well gets
            the same spread alone, in a folder or in another row order. Needs a
            variational model (``model="vae"`` or ``model=VAE(...)``).

        Returns
        -------
        filled : DataFrame or ndarray of shape (n_samples, n_columns)
            Same type, index, columns and dtypes as X (arrays: float64, or float32 when X is).
            A pandas nullable column stays nullable (``Float64`` in, ``Float64`` out, with
            ``pd.NA`` where a value could not be filled); a filled integer or boolean column
            becomes float64 (``Float64`` when nullable).
        std : same type as ``filled``
            Only with ``return_std=True``; pass-through columns are copied as they are.
        """
        check_is_fitted(self, "network_")
        if return_std and not self.variational_:
            raise ConfigError("return_std=True needs a variational model: Imputer(model='vae') or "
                              "Imputer(model=VAE(...))")
        values, _, wells, depth = self._prepare(X, reset=False)
        missing = np.isnan(values)
        std = np.zeros_like(values)
        inputs = self._screen(values, "filled") if missing.any() else values
        if missing.any():
            win = self._windows(inputs, wells, depth)
            draws = int(self.n_draws) if return_std else 0
            mean, samples = self._predict_scaled(win, draws, getattr(self, "_seed", 0))
            if getattr(self, "knn_", None) is not None:
                a = float(self.knn_blend)
                Z = (np.where(np.isfinite(inputs), inputs, np.nan) - self.scaler_offset_) / self.scaler_scale_
                rows = missing.any(axis=1) & np.isfinite(Z).any(axis=1)
                near = mean.copy()
                if rows.any():
                    near[rows] = knn_fill(self.knn_, Z[rows])
                mean = (1 - a) * mean + a * near
            pred = mean * self.scaler_scale_ + self.scaler_offset_
            blank = win.blank()  # nothing in its window
            pred[blank] = np.nan
            self._clip_fills(pred, missing)
            values[missing] = pred[missing]
            if return_std:
                # calibrated on held-out values at fit (std_scale_; 1 for folders saved before)
                s = samples.std(axis=0, ddof=1) * self.scaler_scale_ * getattr(
                    self, "std_scale_", 1.0)
                s[blank] = np.nan
                std[missing] = s[missing]
        filled = self._as_output(self._wrap(X, values, missing))
        if return_std:
            return filled, self._as_output(self._wrap(X, std, np.ones_like(missing)))
        return filled

    def set_output(self, *, transform=None):
        """Set the output of :meth:`transform` (scikit-learn's ``set_output`` API).

        ``"pandas"``: an array input gives a DataFrame too, with the fitted curve names as
        columns; a DataFrame input always gives a DataFrame with its own columns (``WELL`` and
        ``DEPTH`` passed through when present, whatever columns the fit saw). ``"default"``:
        the input's type. None leaves the setting as it is.
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ConfigError(f"set_output(transform={transform!r}) is not supported: use "
                              "'pandas' or 'default'")
        self._sklearn_output_config = {"transform": transform}
        return self

    def _as_output(self, out):
        from sklearn import get_config

        want = getattr(self, "_sklearn_output_config", {}).get("transform", "default")
        if want == "default":
            want = get_config()["transform_output"]
        if want != "pandas" or isinstance(out, pd.DataFrame):
            return out
        return pd.DataFrame(out, columns=list(self.curves_))

    def _wrap(self, X, values: np.ndarray, change: np.ndarray):
        """Write ``values`` where ``change`` into a copy of X (same type, index and dtypes; see
        :func:`as_column`)."""
        if isinstance(X, pd.DataFrame):
            out = X.copy()
            for j, c in enumerate([c for c in X.columns if c not in PASSTHROUGH_COLUMNS]):
                if change[:, j].any():
                    col = X[c].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
                    col[change[:, j]] = values[change[:, j], j]
                    out[c] = as_column(col, X[c])
            return out
        arr = np.asarray(X)
        dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
        out = np.array(arr, dtype=dtype, copy=True)
        out[change] = values[change]
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write the fitted imputer into folder ``path``: every network's weights, the scaler and
        the kNN part's reference rows in ``imputer.safetensors``, the parameters (a model given
        as an estimator by its class and parameters), curves and histories in ``config.json``
        (never pickled; :meth:`load` or :func:`geoae.load` read it back and fill as the saved
        imputer did)."""
        from .._persistence import IMPUTER_FORMAT, jsonable_params, write_folder
        from .._version import __version__

        check_is_fitted(self, "networks_")
        tensors = {f"net{i}.{k}": v.detach().cpu().contiguous()
                   for i, net in enumerate(self.networks_) for k, v in net.state_dict().items()}
        tensors["scaler.offset"] = torch.from_numpy(np.ascontiguousarray(self.scaler_offset_,
                                                                         dtype=np.float64))
        if hasattr(self, "std_scale_"):
            tensors["std.scale"] = torch.from_numpy(np.ascontiguousarray(self.std_scale_,
                                                                         dtype=np.float64))
        tensors["scaler.scale"] = torch.from_numpy(np.ascontiguousarray(self.scaler_scale_,
                                                                        dtype=np.float64))
        if self.knn_ is not None:
            tensors["knn.rows"] = torch.from_numpy(np.ascontiguousarray(self.knn_._fit_X,
                                                                        dtype=np.float64))
        params = self.get_params(deep=False)
        m = params.pop("model")
        if isinstance(m, BaseAutoEncoder):
            mp = jsonable_params(m.get_params())
            mp["device"] = str(mp["device"])
            model = {"class": type(m).__name__, "params": mp}
        else:
            model = m
        params = jsonable_params(params)
        names = getattr(self, "feature_names_in_", None)
        config = {
            "format": IMPUTER_FORMAT, "format_version": 1, "geoae_version": __version__,
            "class": "Imputer", "params": params, "model": model,
            "fitted": {"curves": [str(c) for c in self.curves_],
                       "n_features_in": int(self.n_features_in_),
                       "feature_names_in": None if names is None else [str(n) for n in names],
                       "variational": bool(self.variational_), "seed": int(self._seed),
                       "n_networks": len(self.networks_),
                       "physical_ranges": {str(j): [float(lo), float(hi)]
                                           for j, (lo, hi) in self.physical_ranges_.items()}},
            "histories": self.histories_,
            "output": getattr(self, "_sklearn_output_config", {}).get("transform", "default"),
        }
        write_folder(path, "imputer.safetensors", tensors, config)
        return Path(path)

    @classmethod
    def load(cls, path) -> Imputer:
        """Read a folder written by :meth:`save` (hash-checked, never unpickled)."""
        from .._persistence import IMPUTER_FORMAT, build_and_load, read_folder
        from ..models import ESTIMATORS

        path = Path(path)

        def fail(what: str) -> ConfigError:
            return ConfigError(f"imputer folder {path}: {what}")

        cfg, tensors = read_folder(path, "imputer.safetensors", IMPUTER_FORMAT, "imputer", fail)
        try:
            model = cfg["model"]
            if isinstance(model, dict):
                mp = dict(model["params"])
                mp["hidden"] = tuple(mp["hidden"])
                model = ESTIMATORS[model["class"]](**mp)
            imp = cls(model=model, **dict(cfg["params"]))
            imp._check_params()
            net_cfg, variational, _, _ = imp._config()
            fit = cfg["fitted"]
            imp.curves_ = [str(c) for c in fit["curves"]]
            imp.n_features_in_ = int(fit["n_features_in"])
            if fit.get("feature_names_in") is not None:
                imp.feature_names_in_ = np.asarray(fit["feature_names_in"], dtype=object)
            imp.variational_ = bool(fit["variational"])
            imp._seed = int(fit["seed"])
            imp.physical_ranges_ = {int(j): (float(b[0]), float(b[1]))
                                    for j, b in fit["physical_ranges"].items()}
            imp.scaler_offset_ = tensors["scaler.offset"].double().numpy()
            imp.scaler_scale_ = tensors["scaler.scale"].double().numpy()
            if "std.scale" in tensors:  # folders saved before the calibration have none
                imp.std_scale_ = tensors["std.scale"].double().numpy()
            d, width = len(imp.curves_), 2 * int(imp.context) + 1
            imp.networks_ = []
            args = (2 * width * d, d, tuple(net_cfg["hidden"]), int(net_cfg["latent_dim"]),
                    net_cfg["activation"], imp.variational_, bool(imp.skip))
            for i in range(int(fit["n_networks"])):
                net = build_and_load(lambda: _MaskedNet(*args),
                                     {k[len(f"net{i}."):]: v for k, v in tensors.items()
                                      if k.startswith(f"net{i}.")})
                imp.networks_.append(net.eval())
            imp.network_ = imp.networks_[0]
            imp.histories_ = list(cfg.get("histories") or [{}])
            imp.history_ = imp.histories_[0]
            imp.set_output(transform=cfg.get("output") or "default")
            imp.knn_ = None
            if "knn.rows" in tensors:
                imp.knn_ = KNNImputer(n_neighbors=int(imp.n_neighbors),
                                      keep_empty_features=True).fit(tensors["knn.rows"].numpy())
        except ConfigError as exc:
            raise fail(str(exc)) from None
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
            raise fail(f"config and weights do not fit together ({exc})") from None
        return imp

    @says_once
    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``; see :meth:`transform`."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names: the input columns, pass-through ones included. A given
        ``input_features`` is checked against the fitted input (its count, and its names when
        fitted on a DataFrame), as scikit-learn's one-to-one transformers check it."""
        check_is_fitted(self, "network_")
        if input_features is not None:
            from sklearn.utils.validation import _check_feature_names_in

            return np.asarray(_check_feature_names_in(self, input_features), dtype=object)
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return np.asarray(names, dtype=object)
        return np.asarray(self.curves_, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
