"""Denoising of seismic traces and log curves: :class:`Denoiser` and :func:`denoise_segy`.

The network is a small fully convolutional 1-D U-Net (no dense bottleneck, so no detail is lost
to a fixed-size code) with residual learning: it predicts the noise of the central trace (or of
every curve) and subtracts it from the input. Series are cut into overlapping windows with
:func:`geoae.preprocessing.make_windows`, denoised window by window and rebuilt with a Hann-tapered
:func:`geoae.preprocessing.overlap_add` (samples near a window edge, where the convolutions see
zero padding, weigh less).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .. import objectives as obj
from .._atomic import atomic_path, same_file
from .._persistence import DENOISER_FORMAT
from .._validation import check as _check
from .._validation import check_random_state_param
from .._validation import is_int as _is_int
from .._validation import is_real as _is_real
from ..errors import ConfigError, DataError
from ..preprocessing import SCALERS, fit_affine_scaler, make_windows, overlap_add, window_starts
from ..training import fit_module, resolve_device, seeded

__all__ = ["Denoiser", "denoise_segy", "segy_line_starts", "UNet1d"]

LAYOUTS = ("traces", "curves")
_INFER_BATCH = 1024


# --------------------------------------------------------------------------- network
def _block(a: int, b: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(a, b, k, padding=k // 2), nn.LeakyReLU(0.1),
                         nn.Conv1d(b, b, k, padding=k // 2), nn.LeakyReLU(0.1))


class UNet1d(nn.Module):
    """Fully convolutional 1-D U-Net with a residual (noise-predicting) output.

    ``(n, in_channels, length) -> (n, out_channels, length)``, ``length`` divisible by
    ``2 ** len(hidden)``. The output is ``x[:, center] - r(x)`` where ``r`` is the U-Net (the
    predicted noise) and ``center`` selects the ``out_channels`` input channels being denoised.

    Parameters
    ----------
    in_channels, out_channels : int
    hidden : tuple of int
        Channels of each encoder level (each level halves the length with average pooling).
    latent_dim : int
        Channels of the bottleneck (the code is a ``(latent_dim, length / 2**len(hidden))`` map).
    kernel_size : int
        Odd convolution kernel length, samples.
    center : slice
        Input channels that the output denoises (``slice(k, k + 1)`` for the central trace of
        ``2k + 1`` neighbours, ``slice(0, C)`` for curves).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden=(32, 64), latent_dim: int = 64,
                 kernel_size: int = 5, center: slice | None = None) -> None:
        super().__init__()
        self.center = center if center is not None else slice(0, out_channels)
        chans = [in_channels, *hidden]
        self.down = nn.ModuleList(_block(a, b, kernel_size) for a, b in zip(chans[:-1], chans[1:],
                                                                            strict=True))
        self.pool = nn.AvgPool1d(2)
        self.mid = _block(chans[-1], latent_dim, kernel_size)
        ups, blocks = [], []
        prev = latent_dim
        for h in reversed(hidden):
            ups.append(nn.ConvTranspose1d(prev, h, 2, stride=2))
            blocks.append(_block(2 * h, h, kernel_size))
            prev = h
        self.up = nn.ModuleList(ups)
        self.up_blocks = nn.ModuleList(blocks)
        self.out = nn.Conv1d(prev, out_channels, 1)

    def noise(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted noise ``r(x)``, shape ``(n, out_channels, length)``."""
        skips = []
        h = x
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.mid(h)
        for up, block, skip in zip(self.up, self.up_blocks, reversed(skips), strict=True):
            h = block(torch.cat([up(h), skip], dim=1))
        return self.out(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.center] - self.noise(x)


# --------------------------------------------------------------------------- estimator
_ID_COLUMNS = ("WELL", "DEPTH")


def _is_frame(X) -> bool:
    return isinstance(X, pd.DataFrame)


def _well_rows(X) -> list[tuple[object, np.ndarray]]:
    """``[(well, row positions)]`` in order of first appearance; one ``(None, all rows)``
    without a ``WELL`` column."""
    from ..preprocessing import well_rows

    return well_rows(len(X), X["WELL"].to_numpy() if "WELL" in X.columns else None)


def _stack(series: list[np.ndarray]) -> np.ndarray:
    """Series of ``(channels, length_i)`` as one ``(n, channels, max length)`` array, the short
    ones padded with NaN (missing samples: left out of the loss)."""
    if len(series) == 1:
        return series[0]
    length = max(s.shape[1] for s in series)
    out = np.full((len(series), series[0].shape[0], length), np.nan)
    for i, s in enumerate(series):
        out[i, :, :s.shape[1]] = s
    return out


#: Exact zeros in a run of at least this many samples are a mute, a dead trace or padding.
ZERO_RUN = 3


def zero_runs(traces: np.ndarray, min_run: int = ZERO_RUN) -> np.ndarray:
    """Samples of ``traces (n, length)`` that are exactly zero in a run of at least ``min_run``
    consecutive zeros (a mute, a dead trace, zero padding), as a bool array of the same shape."""
    zero = np.asarray(traces) == 0
    if min_run <= 1 or zero.shape[-1] < min_run:
        return zero if min_run <= 1 else np.zeros_like(zero)
    k = min_run
    starts = zero[..., :zero.shape[-1] - k + 1].copy()
    for j in range(1, k):
        starts &= zero[..., j:zero.shape[-1] - k + 1 + j]
    out = np.zeros_like(zero)
    for j in range(k):
        out[..., j:zero.shape[-1] - k + 1 + j] |= starts
    return out


def _taper(window: int) -> np.ndarray:
    """Strictly positive Hann taper of length ``window``."""
    return np.hanning(window + 2)[1:-1]


def _neighbour_index(n: int, k: int, line_starts: np.ndarray | None) -> np.ndarray:
    """``(n, 2k + 1)`` indices of each trace's neighbours from ``-k`` to ``+k``, within its line
    (lines begin at trace 0 and where ``line_starts`` is True), mirrored at each line's ends."""
    cuts = [0] if line_starts is None else [0, *(np.flatnonzero(line_starts[1:]) + 1)]
    bounds = [*cuts, n]
    idx = np.empty((n, 2 * k + 1), dtype=np.int64)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        m = b - a
        mode = "reflect" if m > k else ("symmetric" if m > 1 else "edge")
        local = np.pad(np.arange(m), k, mode=mode)
        for j in range(2 * k + 1):
            idx[a:b, j] = a + local[j:j + m]
    return idx


def segy_line_starts(headers) -> np.ndarray:
    """True where a trace starts a new line of a 3-D post-stack survey in file order.

    Within a line one of the inline/crossline numbers stays fixed and the other moves; a new
    line starts where both change, right after a step where only one changed (an inline-sorted
    file moves to the next inline and back to its first crossline). Files whose inline and
    crossline headers both change at every trace (a 2-D line numbered by CDP in both, or
    unfilled or junk headers), or stay constant, form one line; pre-stack gathers are not split.
    The rule looks at three consecutive traces only, so a file read in chunks (with the trace
    before each chunk) gets the same flags as a whole file.

    Parameters
    ----------
    headers : DataFrame (or mapping of arrays) with ``inline`` and ``crossline`` columns
        (:data:`geoae.io.segy.HEADER_FIELDS`)

    Returns
    -------
    ndarray of bool, shape (n_traces,)
    """
    il = np.asarray(headers["inline"]).astype(np.int64)
    xl = np.asarray(headers["crossline"]).astype(np.int64)
    starts = np.zeros(len(il), dtype=bool)
    d_il, d_xl = np.diff(il) != 0, np.diff(xl) != 0
    both = d_il & d_xl  # step i-1 -> i
    one = d_il ^ d_xl  # a step within a line
    starts[2:] = both[1:] & one[:-1]
    return starts


class Denoiser(TransformerMixin, BaseEstimator):
    """Convolutional denoising auto-encoder over sliding windows of traces or log curves.

    Training pairs are windows of ``window`` samples cut every ``train_stride`` samples; at
    prediction the windows are cut every ``stride`` samples and merged back by Hann-weighted
    overlap-add, so :meth:`transform` returns an array of the input's shape in the input's
    units. A scaler (``scaler``) is fitted inside: one affine map for all traces
    (``layout="traces"``), one per curve (``layout="curves"``).

    Two training modes:

    * **supervised** -- ``fit(noisy, clean)``: minimise ``|| f(noisy) - clean ||^2``.
    * **self-supervised** -- ``fit(noisy)``: *Noisier2Noise* (Moran et al., CVPR 2020). A second,
      synthetic white Gaussian noise ``m`` of the same level as the data's own noise is added,
      ``z = y + m``, and the network learns ``f(z) ~ E[y | z]`` (the noisy data are the target).
      Since ``n`` and ``m`` are exchangeable, ``E[x | z] = 2 E[y | z] - z``, which is what
      :meth:`transform` returns, averaged over ``n_draws`` draws of ``m``. The noise level is
      ``noise_level`` (scaled units) or, when ``"auto"``, the robust estimate
      ``MAD(diff(y)) / (0.6745 sqrt(2))`` per channel (white noise assumed; a band-limited
      signal adds a little to it).

    Parameters
    ----------
    window : int, default=128
        Window length, samples; a multiple of ``2 ** len(hidden)``. Series shorter than it are
        mirror-padded.
    stride : int, default=32
        Step between prediction windows, samples (``1 <= stride <= window``).
    layout : {"traces", "curves"}, default="traces"
        ``"traces"``: a 2-D input is ``(n_traces, n_samples)``, traces of one quantity (a
        seismic section or gather); ``"curves"``: a 2-D input is ``(channels, length)``, the
        curves of one well denoised jointly, and a 3-D input ``(n_wells, channels, length)``.
        A 1-D input ``(n_samples,)`` is one trace / one curve in both.
    neighbours : int, default=2
        ``layout="traces"`` only: traces on each side fed to the network with each trace (as
        extra input channels), so that it can use lateral coherence of the signal; section edges
        are mirrored. 0 denoises every trace on its own.
    latent_dim : int, default=64
        Channels of the U-Net bottleneck.
    hidden : tuple of int, default=(32, 64)
        Channels of the encoder levels.
    kernel_size : int, default=3
        Odd convolution length, samples.
    noise_level : "auto" or float, default="auto"
        Self-supervised mode only: standard deviation of the added noise ``m``, in scaled units.
    n_draws : int, default=4
        Self-supervised mode only: draws of ``m`` averaged in :meth:`transform`.
    train_stride : int or None, default=None
        Step between training windows (default ``window // 8``).
    scaler : {"standard", "robust", "minmax", None}, default="standard"
    epochs, batch_size, learning_rate, weight_decay, validation_fraction, patience
        Optimisation (AdamW, early stopping on a random share of the training windows).
    device : str, default="auto"
        Training device; the fitted network is kept on the CPU for prediction.
    random_state : int, RandomState or None
        Seeds the weights, the shuffling, the added noise and the draws of :meth:`transform`.
    verbose : bool, default=False

    Attributes
    ----------
    model_ : UNet1d
    history_ : dict of lists
    n_channels_ : int
        Channels per series (1 for ``layout="traces"``).
    noise_level_ : ndarray of shape (n_channels_,) or None
        Added-noise standard deviation, scaled units (self-supervised fits), else None.
    supervised_ : bool
    scaler_offset_, scaler_scale_ : ndarray of shape (n_channels_,)
    sample_interval_ms_ : float or None
        The sample interval of the traces it was fitted on, when known: ``fit`` takes arrays and
        sets None; ``geoae denoise`` records the SEG-Y file's before ``--save-model``, and warns
        when the folder is used on traces sampled otherwise. Kept by :meth:`save`.
    """

    def __init__(self, window=128, stride=32, *, layout="traces", neighbours=2, latent_dim=64,
                 hidden=(32, 64), kernel_size=3, noise_level="auto", n_draws=4, train_stride=None,
                 scaler="standard", epochs=60, batch_size=64, learning_rate=2e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=False):
        self.window = window
        self.stride = stride
        self.layout = layout
        self.neighbours = neighbours
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.kernel_size = kernel_size
        self.noise_level = noise_level
        self.n_draws = n_draws
        self.train_stride = train_stride
        self.scaler = scaler
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_random_state_param(self.random_state)
        _check(isinstance(self.hidden, (tuple, list)) and all(_is_int(h) and h >= 1 for h in self.hidden),
               "hidden", self.hidden, "a tuple of positive integers such as (32, 64)")
        levels = 2 ** len(self.hidden)
        _check(_is_int(self.window) and self.window >= levels and self.window % levels == 0, "window",
               self.window, f"a positive multiple of 2**len(hidden) = {levels}")
        _check(_is_int(self.stride) and 1 <= self.stride <= self.window, "stride", self.stride,
               "an integer in [1, window]")
        _check(self.train_stride is None or (_is_int(self.train_stride) and 1 <= self.train_stride
                                             <= self.window), "train_stride", self.train_stride,
               "None or an integer in [1, window]")
        _check(self.layout in LAYOUTS, "layout", self.layout, f"one of {list(LAYOUTS)}")
        _check(_is_int(self.neighbours) and self.neighbours >= 0, "neighbours", self.neighbours,
               "an integer >= 0")
        _check(_is_int(self.latent_dim) and self.latent_dim >= 1, "latent_dim", self.latent_dim,
               "a positive integer")
        _check(_is_int(self.kernel_size) and self.kernel_size >= 1 and self.kernel_size % 2 == 1,
               "kernel_size", self.kernel_size, "an odd positive integer")
        _check(self.noise_level == "auto" or (isinstance(self.noise_level, (int, float))
                                              and not isinstance(self.noise_level, bool)
                                              and np.isfinite(self.noise_level)
                                              and self.noise_level > 0),
               "noise_level", self.noise_level, "'auto' or a positive number (scaled units)")
        for name in ("n_draws", "epochs", "batch_size", "patience"):
            v = getattr(self, name)
            _check(_is_int(v) and v >= 1, name, v, "a positive integer")
        _check(self.scaler in SCALERS, "scaler", self.scaler, f"one of {list(SCALERS)}")
        _check(isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0,
               "learning_rate", self.learning_rate, "a positive number")
        _check(isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0,
               "weight_decay", self.weight_decay, "a number >= 0")
        _check(isinstance(self.validation_fraction, (int, float)) and 0 <= self.validation_fraction < 1,
               "validation_fraction", self.validation_fraction, "a number in [0, 1)")

    # ------------------------------------------------------------------ data layout
    def _as_series(self, X, name: str, framed: bool = False) -> tuple[np.ndarray, tuple[int, ...]]:
        """Return ``(n_series, channels, length)`` float64 (NaN = missing) and the input shape;
        ``framed``: X comes from a DataFrame, so its orientation is known (a well may be shorter
        than its number of curves)."""
        if hasattr(X, "tocsr") or hasattr(X, "todense"):  # scipy.sparse
            raise DataError(f"{name} is a sparse matrix; give a dense array of traces "
                            "(e.g. X.toarray())")
        if np.iscomplexobj(X):
            raise DataError(f"{name} holds complex numbers; give real amplitudes (e.g. the real "
                            "part, or the envelope np.abs(X))")
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must be a numeric array ({exc})") from exc
        shape = arr.shape
        if arr.ndim == 1:
            arr = arr[None, None, :]
        elif arr.ndim == 2:
            arr = arr[:, None, :] if self.layout == "traces" else arr[None]
        elif arr.ndim == 3 and self.layout == "curves":
            pass
        else:
            want = ("(n_samples,) or (n_traces, n_samples)" if self.layout == "traces"
                    else "(length,), (channels, length) or (n_wells, channels, length)")
            raise DataError(f"{name} has shape {shape}; layout={self.layout!r} needs {want}")
        if arr.size == 0:
            raise DataError(f"{name} is empty (shape {shape})")
        n_series, channels, length = arr.shape
        if self.layout == "curves" and channels > length and not framed:
            raise DataError(f"{name} has shape {shape}: {channels} curves of {length} samples each; "
                            "layout='curves' takes (channels, length). Pass a depth x curves table "
                            "transposed (X.T), or as a DataFrame")
        # a depth x curves table read as traces: a handful of "samples" (its curves) per trace
        if self.layout == "traces" and length <= min(16, self.window // 2) and n_series > 10 * length:
            warnings.warn(f"{name} has {n_series} traces of {length} samples, shorter than "
                          f"window={self.window} (each is mirror-padded). If its rows are depth "
                          "samples of well-log curves, use layout='curves' with a DataFrame or "
                          "the curves as rows (X.T)", UserWarning, stacklevel=3)
        arr = arr.copy()
        arr[np.isinf(arr)] = np.nan
        return arr, shape

    def _windows(self, S: np.ndarray, stride: int,
                 line_starts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """Scaled series ``(n, C, L)`` -> input windows ``(n * n_win, C_in, window)``, the target
        slice of each window (``(n * n_win, C_out, window)``) and the (padded) length."""
        n, c, length = S.shape
        w = self.window
        if length < w:  # mirror-pad short series to one window
            S = np.pad(S, ((0, 0), (0, 0), (0, w - length)), mode="symmetric" if length > 1 else "edge")
            length = w
        if self.layout == "traces" and self.neighbours > 0:
            idx = _neighbour_index(n, self.neighbours, line_starts)
            S_in = S[:, 0][idx]  # (n, 2k+1, L)
        else:
            S_in = S
        c_in = S_in.shape[1]
        win = make_windows(S_in.reshape(n * c_in, length), w, stride)  # (n_win, n*c_in, w)
        n_win = win.shape[0]
        win = win.reshape(n_win, n, c_in, w).transpose(1, 0, 2, 3).reshape(n * n_win, c_in, w)
        return win, S, length

    def _center(self) -> slice:
        if self.layout == "traces" and self.neighbours > 0:
            return slice(self.neighbours, self.neighbours + 1)
        return slice(0, self.n_channels_)

    def _scale(self, S: np.ndarray) -> np.ndarray:
        return (S - self.scaler_offset_[None, :, None]) / self.scaler_scale_[None, :, None]

    # ------------------------------------------------------------------ fit
    def _frame_curves(self, X, name: str) -> list:
        """The curve columns of a well-log DataFrame (numeric, not WELL or DEPTH)."""
        if self.layout != "curves":
            raise DataError(f"{name} is a DataFrame, read as a table of well logs (rows = depth "
                            "samples, columns = curves): use layout='curves'. For seismic traces "
                            "pass an array of shape (n_traces, n_samples)")
        from ..io.aliases import non_curve_kind

        numeric = [c for c in X.columns if c not in _ID_COLUMNS
                   and pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
        # positions, depth-like columns, drilling parameters and labels are not logs to denoise
        left = [c for c in numeric if non_curve_kind(c) is not None]
        curves = [c for c in numeric if c not in left]
        if left:
            warnings.warn(f"{name}: column(s) {[str(c) for c in left]} are positions, depths, "
                          "drilling parameters or labels, not logs: they are not denoised (select "
                          "the curves to denoise them anyway under other names)", UserWarning,
                          stacklevel=4)
        if not curves:
            raise DataError(f"{name} has no numeric curve column besides {list(_ID_COLUMNS)}")
        return curves

    def _frame_wells(self, X, curves: list, name: str) -> list[np.ndarray]:
        """One ``(channels, length)`` array per well of a well-log DataFrame (one series without
        a ``WELL`` column), in row order; rows must be in depth order within each well."""
        rows = _well_rows(X)
        out = []
        # once for the whole frame: a selection per well copied the frame's columns (and attrs)
        values = X[curves].to_numpy(dtype=np.float64, na_value=np.nan)
        depth = (pd.to_numeric(X["DEPTH"], errors="coerce").to_numpy(np.float64)
                 if "DEPTH" in X.columns else None)
        for well, idx in rows:
            if depth is not None:
                d = depth[idx]
                d = d[np.isfinite(d)]
                if d.size > 1 and not (np.all(np.diff(d) > 0) or np.all(np.diff(d) < 0)):
                    where = f" of well {well!r}" if well is not None else ""
                    raise DataError(f"{name}: the rows{where} are not in depth order (DEPTH goes "
                                    "back or repeats); sort by WELL and DEPTH first (the "
                                    "Denoiser slides its windows along the rows)")
            out.append(values[idx].T)
        return out

    def _transform_frame(self, X, first_index: int):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            raise DataError("X is a DataFrame but the Denoiser was fitted on an array; pass an "
                            "array shaped as in fit, or fit on a DataFrame")
        names = list(names)
        missing = [c for c in names if c not in X.columns]
        if missing:
            raise DataError(f"X has no curve(s) {missing}; the Denoiser was fitted on {names}")
        out = X.copy()
        cols = [out.columns.get_loc(c) for c in names]
        for i, ((_, idx), series) in enumerate(zip(_well_rows(X), self._frame_wells(X, names, "X"),
                                                   strict=True)):
            rec = self._transform_array(series, first_index + i, framed=True)
            for j, c in enumerate(cols):
                if not pd.api.types.is_float_dtype(out.iloc[:, c]):
                    out[names[j]] = out[names[j]].astype(np.float64)
                out.iloc[idx, c] = rec[j]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing samples are masked out of the loss and kept
        return tags

    def fit(self, noisy, clean=None):
        """Fit on noisy data, with clean targets (supervised) or without (Noisier2Noise).

        Parameters
        ----------
        noisy : array-like or DataFrame
            ``(n_samples,)``, ``(n_traces, n_samples)`` (``layout="traces"``) or
            ``(channels, length)`` / ``(n_wells, channels, length)`` (``layout="curves"``), in the
            data's units; NaN marks a missing sample (left out of the loss). A DataFrame
            (``layout="curves"`` only) is a table of well logs: rows are depth samples in depth
            order, its numeric columns are the curves (not ``WELL``, ``DEPTH``, nor positions,
            depth-like columns, drilling parameters or labels such as ``DEPTH_MD``, ``X_LOC``,
            ``BS``, ``FACIES``: :func:`geoae.io.aliases.non_curve_kind`, with a warning), and a
            ``WELL`` column makes each well its own series.
        clean : array-like of the same shape, optional
            Noise-free targets; when omitted the fit is self-supervised.

        Returns
        -------
        self
        """
        from .. import distributed as _dist

        self._check_params()
        _dist.init_from_env()  # under torchrun: trained with DDP
        if _is_frame(noisy):
            self.feature_names_in_ = np.asarray(self._frame_curves(noisy, "noisy"), dtype=object)
            if clean is not None:
                if not _is_frame(clean) or not clean.index.equals(noisy.index):
                    raise DataError("clean must be a DataFrame with noisy's index and curves when "
                                    "noisy is a DataFrame")
                missing = [c for c in self.feature_names_in_ if c not in clean.columns]
                if missing:
                    raise DataError(f"clean has no curve(s) {missing} of noisy")
                clean = _stack(self._frame_wells(clean, list(self.feature_names_in_), "clean"))
            noisy = _stack(self._frame_wells(noisy, list(self.feature_names_in_), "noisy"))
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        framed = hasattr(self, "feature_names_in_")
        S, shape = self._as_series(noisy, "noisy", framed)
        self.layout_shape_ndim_ = len(shape)
        self.n_channels_ = S.shape[1]
        self.supervised_ = clean is not None
        if clean is not None:
            T, tshape = self._as_series(clean, "clean", framed)
            if tshape != shape:
                labels = ""
                if np.ndim(clean) == 1 and np.ndim(noisy) == 2 and len(clean) == len(noisy):
                    # a Pipeline hands its y (class labels) to every step's fit
                    labels = ("; it looks like one label per trace: in a Pipeline before a "
                              "supervised estimator the Pipeline's y reaches Denoiser.fit as "
                              "clean, so fit the Denoiser first and put it in the Pipeline as "
                              "sklearn.frozen.FrozenEstimator(denoiser)")
                raise DataError(f"clean has shape {tshape} but noisy has {shape}; pass pairs of "
                                f"equal shape{labels}")
        flat = np.moveaxis(S, 1, -1).reshape(-1, self.n_channels_)
        if not np.isfinite(flat).any(axis=0).all():
            raise DataError("a channel of noisy is entirely missing (NaN); drop it before fitting")
        self.scaler_offset_, self.scaler_scale_ = fit_affine_scaler(flat, self.scaler)
        from ..preprocessing import outlier_dominated

        found = outlier_dominated(flat, self.scaler_scale_, self.scaler)
        if found:  # one corrupt sample (1e30) would squeeze every trace to nothing
            warnings.warn(f"the {self.scaler} amplitude scale is {found[0][1]:.3g} times the spread "
                          "of the middle half of the samples: a few extreme samples (corrupt "
                          "values?) set it, and every trace comes back distorted; remove them "
                          "first", UserWarning, stacklevel=2)
        self.sample_interval_ms_ = None  # arrays carry no time axis (geoae denoise records it)
        Sz = self._scale(S)
        stride = self.train_stride or max(1, self.window // 8)
        obs = np.isfinite(Sz)
        win, _, _ = self._windows(np.where(obs, Sz, 0.0), stride)
        center = self._center()
        if clean is not None:
            Tz = self._scale(T)
            tobs = np.isfinite(Tz)
            target, _, _ = self._windows(np.where(tobs, Tz, 0.0), stride)
            tmask, _, _ = self._windows(tobs.astype(np.float64), stride)
            target, tmask = target[:, center], tmask[:, center] > 0.5
            self.noise_level_ = None
        else:
            target = win[:, center]
            tmask, _, _ = self._windows(obs.astype(np.float64), stride)
            tmask = tmask[:, center] > 0.5
            if self.noise_level == "auto":
                d = np.diff(Sz, axis=-1)
                lev = []
                for ch in range(self.n_channels_):
                    v = d[:, ch][np.isfinite(d[:, ch])]
                    mad = np.median(np.abs(v - np.median(v))) if v.size else 0.0
                    lev.append(max(mad / 0.6745 / np.sqrt(2.0), 1e-3))
                self.noise_level_ = np.asarray(lev)
            else:
                self.noise_level_ = np.full(self.n_channels_, float(self.noise_level))
        c_in = win.shape[1]
        X = torch.from_numpy(np.concatenate([win, target], axis=1).astype(np.float32))
        mask = None if tmask.all() else torch.from_numpy(tmask)

        rng = check_random_state(self.random_state)
        # rank 0's seeds on every rank under torchrun: the same split everywhere
        seed = _dist.broadcast_int(int(rng.randint(0, 2**31 - 1)))
        self.transform_seed_ = _dist.broadcast_int(int(rng.randint(0, 2**31 - 1)))
        device = resolve_device(self.device)
        n = X.shape[0]
        n_val = int(round(self.validation_fraction * n)) if n >= 10 else 0
        perm = np.random.default_rng(seed).permutation(n)
        val_idx, train_idx = perm[:n_val], perm[n_val:]
        sigma = None
        if self.noise_level_ is not None:
            lev = self.noise_level_ if self.n_channels_ == c_in else np.full(c_in, self.noise_level_[0])
            sigma = torch.tensor(lev, dtype=torch.float32, device=device).reshape(1, -1, 1)

        def objective(net, xb, mb):
            inp, tgt = xb[:, :c_in], xb[:, c_in:]
            if sigma is not None:
                inp = inp + sigma * torch.randn_like(inp)
            out = net(inp)
            rec = obj.reconstruction_loss(out, tgt, mb)
            return rec, {"reconstruction": rec}

        def take(t, idx):
            return None if t is None else t[torch.from_numpy(idx)].to(device)

        with seeded(seed, device):
            net = UNet1d(c_in, target.shape[1], tuple(self.hidden), self.latent_dim,
                         self.kernel_size, center).to(device)
            self.history_ = fit_module(
                net, objective, take(X, train_idx), take(mask, train_idx),
                X_val=take(X, val_idx) if n_val else None,
                mask_val=take(mask, val_idx) if n_val else None,
                epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                weight_decay=self.weight_decay, patience=self.patience, verbose=self.verbose,
                desc="Denoiser",
            )
        self.model_ = net.cpu().eval()
        return self

    # ------------------------------------------------------------------ transform
    @torch.no_grad()
    def _net_windows(self, win: np.ndarray) -> torch.Tensor:
        net = self.model_
        Xt = torch.from_numpy(win.astype(np.float32))
        return torch.cat([net(Xt[i:i + _INFER_BATCH]) for i in range(0, Xt.shape[0], _INFER_BATCH)])

    def _series_noise(self, n: int, c: int, length: int, draw: int, first_index: int) -> np.ndarray:
        """The added noise ``m`` (unit variance) of draw ``draw`` for series ``first_index ..
        first_index + n - 1``: each series' noise comes from its own seed (the model's
        ``transform_seed_``, the series' index and the draw), so a series gets the same noise
        however a survey is split into chunks."""
        out = np.empty((n, c, length))
        for i in range(n):
            rng = np.random.default_rng([self.transform_seed_, first_index + i, draw])
            out[i] = rng.standard_normal((c, length))
        return out

    def _predict(self, Sz: np.ndarray, first_index: int,
                 line_starts: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Denoised windows ``(n * n_win, C_out, window)`` of the filled, scaled series ``Sz``."""
        if self.supervised_:
            win, _, plen = self._windows(Sz, self.stride, line_starts)
            return self._net_windows(win).double().numpy(), plen
        # Noisier2Noise: z = y + m, E[x | z] = 2 E[y | z] - z, averaged over n_draws draws of m;
        # m is added to the series (before the neighbour traces are stacked), so that a trace
        # carries the same noise as centre and as neighbour, and in every chunk
        n, c, length = Sz.shape
        sigma = np.asarray(self.noise_level_, dtype=np.float64).reshape(1, -1, 1)
        if sigma.shape[1] != c:
            sigma = np.full((1, c, 1), float(sigma.ravel()[0]))
        center = self._center()
        acc, plen = None, None
        for d in range(self.n_draws):
            Z = Sz + sigma * self._series_noise(n, c, length, d, first_index)
            win, _, plen = self._windows(Z, self.stride, line_starts)
            est = 2.0 * self._net_windows(win).double() - torch.from_numpy(win[:, center])
            acc = est if acc is None else acc + est
        return (acc / self.n_draws).numpy(), plen

    def transform(self, X, *, first_index: int = 0, line_starts=None) -> np.ndarray | pd.DataFrame:
        """Denoise ``X``; returns an array of ``X``'s shape, in ``X``'s units.

        Parameters
        ----------
        X : array-like or DataFrame
            Shaped as in :meth:`fit` (any number of traces / wells and any length; series
            shorter than ``window`` are mirror-padded). NaN samples stay NaN; with
            ``layout="traces"``, exact zeros in runs of at least 3 samples (mutes, dead traces,
            zero padding) stay zero. A model fitted on
            a DataFrame denoises a DataFrame holding its curves (matched by name) and returns a
            copy with them denoised, every other column and the index as they were.
        first_index : int, default=0
            Self-supervised models only: the index of ``X``'s first trace (or well) in a larger
            survey. The Noisier2Noise draws are seeded per trace index, so denoising a survey in
            pieces (as :func:`denoise_segy` does) gives the same result as in one piece.
        line_starts : array-like of bool, shape (n_traces,), optional
            ``layout="traces"``: True where a trace starts a new line (e.g. a new inline of a
            3-D survey in file order; see :func:`segy_line_starts`). Neighbour traces are then
            taken within each line only, mirrored at its ends, as at the ends of the array;
            by default the traces form one line.

        Returns
        -------
        ndarray of float64, same shape as ``X`` (a DataFrame for a DataFrame)
        """
        check_is_fitted(self)
        if _is_frame(X):
            return self._transform_frame(X, int(first_index))
        return self._transform_array(X, int(first_index), line_starts)

    def _transform_array(self, X, first_index: int, line_starts=None, framed: bool = False):
        S, shape = self._as_series(X, "X", framed)
        if S.shape[1] != self.n_channels_:
            raise DataError(f"X has {S.shape[1]} channel(s) but the Denoiser was fitted on "
                            f"{self.n_channels_}")
        n, _, length = S.shape
        Sz = self._scale(S)
        obs = np.isfinite(Sz)
        starts = None
        if line_starts is not None:
            starts = np.asarray(line_starts, dtype=bool)
            if starts.shape != (n,):
                raise DataError(f"line_starts has shape {starts.shape}; expected ({n},), one flag "
                                "per trace")
        out, plen = self._predict(np.where(obs, Sz, 0.0), int(first_index), starts)  # (n*n_win, C_out, w)
        n_win = len(window_starts(plen, self.window, self.stride))
        c_out = out.shape[1]
        taper = _taper(self.window)
        out = out.reshape(n, n_win, c_out, self.window).transpose(1, 0, 2, 3)
        out = out.reshape(n_win, n * c_out, self.window) * taper
        num = overlap_add(out, plen, self.stride)  # (n * c_out, plen)
        den = overlap_add(np.broadcast_to(taper, (n_win, 1, self.window)), plen, self.stride)
        rec = (num / den).reshape(n, c_out, plen)[:, :, :length]
        rec = rec * self.scaler_scale_[None, :, None] + self.scaler_offset_[None, :, None]
        rec[~obs] = np.nan
        if self.layout == "traces":  # mutes, dead traces and zero padding stay zero
            rec[:, 0][zero_runs(S[:, 0])] = 0.0
        return rec.reshape(shape)

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X, y).transform(X)``; ``y`` is the clean target (or None)."""
        return self.fit(X, y, **fit_params).transform(X)


# --------------------------------------------------------------------------- SEG-Y
    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into folder ``path`` (atomically)."""
        from .._persistence import jsonable_params, write_folder
        from .._version import __version__

        check_is_fitted(self, "model_")
        path = Path(path)
        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model_.state_dict().items()}
        tensors["scaler.offset"] = torch.from_numpy(np.ascontiguousarray(self.scaler_offset_))
        tensors["scaler.scale"] = torch.from_numpy(np.ascontiguousarray(self.scaler_scale_))
        if self.noise_level_ is not None:
            tensors["noise_level"] = torch.from_numpy(np.ascontiguousarray(self.noise_level_,
                                                                           dtype=np.float64))
        params = jsonable_params(self.get_params())  # NumPy integers as numbers, tuples as lists
        params["device"] = str(params["device"])
        config = {
            "format": DENOISER_FORMAT, "format_version": 1, "geoae_version": __version__,
            "class": "Denoiser", "params": params,
            "fitted": {"layout_shape_ndim": int(self.layout_shape_ndim_),
                       "n_channels": int(self.n_channels_), "supervised": bool(self.supervised_),
                       "transform_seed": int(self.transform_seed_),
                       "sample_interval_ms": _interval(getattr(self, "sample_interval_ms_", None)),
                       "in_channels": int(self.model_.down[0][0].weight.shape[1]),
                       "out_channels": int(self.model_.out.weight.shape[0]),
                       "feature_names": ([str(c) for c in self.feature_names_in_]
                                         if hasattr(self, "feature_names_in_") else None)},
            "history": self.history_,
        }
        write_folder(path, "model.safetensors", tensors, config)
        return path

    @classmethod
    def load(cls, path) -> Denoiser:
        """Load a folder written by :meth:`save`; never unpickles; checks hash, keys and shapes."""
        from .._persistence import build_and_load, read_folder

        path = Path(path)

        def fail(what: str) -> ConfigError:
            return ConfigError(f"denoiser folder {path}: {what}")

        cfg, tensors = read_folder(path, "model.safetensors", DENOISER_FORMAT, "denoiser", fail)
        try:
            params = dict(cfg["params"])
            params["hidden"] = tuple(params["hidden"])
            model = cls(**params)
            model._check_params()
            fit = cfg["fitted"]
            model.layout_shape_ndim_ = int(fit["layout_shape_ndim"])
            model.n_channels_ = int(fit["n_channels"])
            model.supervised_ = bool(fit["supervised"])
            model.transform_seed_ = int(fit["transform_seed"])
            model.sample_interval_ms_ = _interval(fit.get("sample_interval_ms"))
            if fit.get("feature_names") is not None:
                model.feature_names_in_ = np.asarray([str(c) for c in fit["feature_names"]],
                                                     dtype=object)
            shape = (int(fit["in_channels"]), int(fit["out_channels"]), tuple(model.hidden),
                     model.latent_dim, model.kernel_size, model._center())
            state = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
            net = build_and_load(lambda: UNet1d(*shape), state)
            model.model_ = net.eval()
            model.scaler_offset_ = tensors["scaler.offset"].double().numpy()
            model.scaler_scale_ = tensors["scaler.scale"].double().numpy()
            model.noise_level_ = (tensors["noise_level"].double().numpy() if "noise_level" in tensors
                                  else None)
            model.history_ = cfg.get("history") or {}
        except ConfigError as exc:
            raise fail(f"invalid parameter: {exc}") from None
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
            raise fail(f"config and weights do not fit together ({exc})") from None
        return model


def _interval(value) -> float | None:
    """A recorded sample interval (ms): a positive finite number, else None."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = float(value)
        return value if np.isfinite(value) and value > 0 else None
    return None


def denoise_segy(model: Denoiser, in_path: str | os.PathLike, out_path: str | os.PathLike,
                 chunk_traces: int = 1024, *, input_gain: float = 1.0, iline: int = 189,
                 xline: int = 193) -> Path:
    """Denoise a whole SEG-Y file chunk by chunk, keeping every header byte.

    The input is read with :func:`geoae.io.iter_segy` (``chunk_traces`` traces at a time, plus
    ``model.neighbours`` halo traces on each side so that every trace sees the same neighbours
    as in an in-memory :meth:`Denoiser.transform` of the whole file with
    ``line_starts=segy_line_starts(headers)``: in a 3-D survey a trace's neighbours are taken
    within its own inline (or crossline, as the file is sorted), not from the next line). The
    output is a byte copy of the input whose trace samples are overwritten in place (segyio
    ``r+``, in the file's own sample format) and renamed into place when complete
    (:func:`geoae._atomic.atomic_path`), so the textual, binary and all trace headers are
    byte-identical to the input's.

    Samples that are NaN or infinite in the input are written back as they were (the denoised
    traces keep them missing), with one warning counting them. In a file of integer samples,
    denoised values that overshoot the format's range (an output peak a little above the
    input's, which sat at the format's limit) are clipped to it, with one warning counting them.

    Parameters
    ----------
    model : Denoiser
        Fitted with ``layout="traces"``.
    in_path, out_path : str or path-like
        Input SEG-Y and output file (must differ).
    chunk_traces : int, default=1024
        Traces per chunk; memory is about ``chunk_traces * n_samples * (2 * neighbours + 1)``
        windows' worth.
    input_gain : float, default=1.0
        The samples are multiplied by it before the model and the denoised ones divided by it
        after: to bring a file recorded at another amplitude level to the level the model was
        trained on (see :func:`amplitude_ratio`).
    iline, xline : int, default=189, 193
        Trace-header bytes of the inline and crossline numbers, which tell where each line of
        a 3-D survey starts (see :func:`geoae.io.read_segy`).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    DataError
        Unreadable input, ``out_path`` equal to ``in_path``, or a non-finite output where the
        input was finite.
    ConfigError
        The model was not fitted with ``layout="traces"``.
    """
    import shutil

    from ..io import iter_segy
    from ..io.segy import _layout, _open, _to_sample_format

    check_is_fitted(model)
    if model.layout != "traces":
        raise ConfigError("denoise_segy needs a Denoiser fitted with layout='traces'")
    in_path, out_path = Path(in_path), Path(out_path)
    if same_file(in_path, out_path):
        raise DataError(f"{out_path}: refusing to overwrite the input SEG-Y file; write to another path")
    if not (_is_real(input_gain) and input_gain > 0):
        raise ConfigError(f"input_gain={input_gain!r} is not valid: a positive number")
    gain = float(input_gain)
    counts = {"missing": 0, "clipped": 0, "steps": 0, "jumps": 0, "traces": 0}
    inlines: set[int] = set()
    crosslines: set[int] = set()
    layout = _layout(in_path)
    halo = model.neighbours if model.layout == "traces" else 0
    chunks = iter_segy(in_path, max(int(chunk_traces), halo, 1), iline=iline, xline=xline)
    with atomic_path(out_path) as tmp:
        shutil.copyfile(in_path, tmp)
        with _open(tmp, layout, mode="r+", structured=False) as f:
            prev_tail = np.empty((0, layout.n_samples), dtype=np.float32)
            prev_il = np.empty((0, 2), dtype=np.int64)  # positions of the halo + 1 trace before
            last = np.empty((0, 2), dtype=np.int64)  # the previous chunk's last position
            pending = None  # (start, traces, positions) of the chunk waiting for its trailing halo

            def flush(start, traces, before, after, pos):
                block = np.concatenate([before, traces, after]) if halo else traces
                # neighbours within each line of a 3-D survey: the same flags as for the whole
                # file (pos starts one trace before the block, when there is one)
                extra = len(pos) - len(block)
                starts = segy_line_starts({"inline": pos[:, 0], "crossline": pos[:, 1]})[extra:]
                scaled = block * gain if gain != 1.0 else block
                out = np.asarray(model.transform(scaled, first_index=start - len(before), line_starts=starts))
                out = out[len(before):len(before) + len(traces)]
                if gain != 1.0:
                    out = out / gain
                missing = ~np.isfinite(traces)
                bad = ~np.isfinite(out) & ~missing
                if bad.any():
                    row = start + int(np.flatnonzero(bad.any(axis=1))[0])
                    raise DataError(f"{in_path}: the denoised trace {row} is not finite where "
                                    "the input is")
                if missing.any():
                    counts["missing"] += int(missing.sum())
                    out = np.where(missing, traces, out)
                out, clipped = _to_sample_format(out.astype(np.float32), layout.sample_format,
                                                 out_path, start, clip=True)
                counts["clipped"] += clipped
                for i in range(len(out)):
                    f.trace[start + i] = out[i]

            for chunk in chunks:
                here = chunk.headers[["inline", "crossline"]].to_numpy(dtype=np.int64)
                inlines.update(np.unique(here[:, 0]).tolist())
                crosslines.update(np.unique(here[:, 1]).tolist())
                # steps in file order where both inline and crossline change (a sorted survey:
                # only where a line ends)
                seq = np.concatenate([last, here])
                last = here[-1:]
                counts["jumps"] += int(((np.diff(seq[:, 0]) != 0) & (np.diff(seq[:, 1]) != 0)).sum())
                counts["steps"] += len(seq) - 1
                counts["traces"] += len(here)
                if pending is not None:
                    p_start, p_traces, p_pos = pending
                    after = chunk.traces[:halo] if halo else chunk.traces[:0]
                    pos = np.concatenate([prev_il, p_pos, here[:len(after)]])
                    flush(p_start, p_traces, prev_tail, after, pos)
                    if halo:
                        prev_tail = np.concatenate([prev_tail, p_traces])[-halo:]
                    prev_il = np.concatenate([prev_il, p_pos])[-(halo + 1):]
                pending = (chunk.start, chunk.traces, here)
            if pending is not None:
                flush(pending[0], pending[1], prev_tail, np.empty((0, layout.n_samples), np.float32),
                      np.concatenate([prev_il, pending[2]]))
    grid = (min(len(inlines), len(crosslines)) > 1
            and len(inlines) * len(crosslines) <= 4 * counts["traces"])  # a 3-D survey's grid
    if halo and grid and counts["jumps"] > 0.5 * counts["steps"]:
        warnings.warn(f"{in_path}: the traces are not sorted by inline or crossline (both change "
                      f"at {counts['jumps']} of {counts['steps']} steps in file order, for "
                      f"{len(inlines)} inlines and {len(crosslines)} crosslines): a trace's "
                      "neighbours in the file, which the denoiser uses, are not its neighbours in "
                      "the survey. Sort the file by inline and crossline for the best result",
                      UserWarning, stacklevel=2)
    if counts["missing"]:
        warnings.warn(f"{in_path}: {counts['missing']} sample(s) are NaN or infinite; they are "
                      f"written to {out_path} as they were (missing, not denoised)", UserWarning,
                      stacklevel=2)
    if counts["clipped"]:
        warnings.warn(f"{out_path}: {counts['clipped']} denoised sample(s) beyond the range of "
                      f"the file's integer samples (format {layout.sample_format}) were clipped "
                      "to it", UserWarning, stacklevel=2)
    return out_path


def live_traces(traces: np.ndarray) -> np.ndarray:
    """Which traces of ``(n, n_samples)`` are live: not dead (all zero, or all missing)."""
    traces = np.asarray(traces)
    return np.isfinite(traces).any(axis=1) & (np.nan_to_num(traces) != 0).any(axis=1)


def trace_level(traces: np.ndarray) -> float:
    """The amplitude level of seismic traces: the standard deviation of their finite samples,
    dead (all-zero or all-missing) traces left out; NaN when every trace is dead."""
    traces = np.asarray(traces, dtype=np.float64)
    live = traces[live_traces(traces)]
    values = live[np.isfinite(live)]
    return float(np.std(values)) if values.size else float("nan")


def amplitude_ratio(model, traces: np.ndarray) -> float:
    """How many times the amplitude level of ``traces`` (:func:`trace_level`) is that of the
    data ``model`` (a Denoiser, or an auto-encoder fitted on traces) was trained on (its
    scaler's spread: the standard deviation for ``scaler="standard"``; with a scale per time
    sample, the median over samples of each one's spread here to its scale, samples without
    spread left out); NaN when it cannot be told. ``1 / ratio`` is the
    ``input_gain`` of :func:`denoise_segy` that brings the traces to the model's level."""
    check_is_fitted(model)
    scale = np.asarray(model.scaler_scale_, dtype=np.float64).ravel()
    traces = np.asarray(traces, dtype=np.float64)
    if scale.size > 1 and traces.ndim == 2 and traces.shape[1] == scale.size:
        # a scale per time sample (a dense model of whole traces): compare sample by sample,
        # the median of the ratios, leaving out samples without spread here (a mute, a water
        # column: their scale was set to 1 in training, not measured)
        live = traces[live_traces(traces)]
        if len(live) < 2 or model.scaler != "standard":
            return float("nan")
        with np.errstate(invalid="ignore"):
            spread = np.nanstd(live, axis=0)
        ok = np.isfinite(spread) & (spread > 0) & (scale > 0)
        return float(np.median(spread[ok] / scale[ok])) if ok.any() else float("nan")
    trained = float(scale[0]) if scale.size else float("nan")
    level = trace_level(traces)
    if not (np.isfinite(level) and level > 0 and trained > 0) or model.scaler != "standard":
        return float("nan")
    return level / trained
