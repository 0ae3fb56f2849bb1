"""Seismic attributes from auto-encoder codes: :func:`seismic_latent_attributes`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._atomic import atomic_path
from ..errors import ConfigError, DataError
from ..preprocessing import make_windows, quiet_null_markers, window_starts
from .denoising import live_traces

__all__ = ["LatentAttributes", "arrange_survey", "seismic_latent_attributes", "write_latent_attributes"]


@dataclass
class LatentAttributes:
    """Latent codes of a SEG-Y file arranged like the survey.

    Attributes
    ----------
    values : ndarray of float32
        ``(n_inlines, n_crosslines, [n_windows,] latent_dim)`` for a structured post-stack
        survey (missing inline/crossline positions are NaN, as is the code of a trace or
        window with no finite sample), else
        ``(n_traces, [n_windows,] latent_dim)`` in file order. The window axis is present only
        for per-window codes.
    inlines, crosslines : ndarray of int or None
        Sorted line numbers of the first two axes (structured surveys), else None.
    times : ndarray of float or None
        Time (or depth) of each window centre, in the file's sample units (ms); None for
        per-trace codes.
    positions : DataFrame or None
        When the values are in file order (a 2-D line, pre-stack gathers): each trace's
        ``INLINE``, ``CROSSLINE``, ``CDP``, ``OFFSET``, ``CDP_X`` and ``CDP_Y``
        (:func:`geoae.workflows.segy_positions`), so that the codes can be put on a map; None
        for a structured survey, whose first two axes are its positions.
    """

    values: np.ndarray
    inlines: np.ndarray | None
    crosslines: np.ndarray | None
    times: np.ndarray | None
    positions: pd.DataFrame | None = None

    @property
    def structured(self) -> bool:
        """True when the first two axes are inline and crossline."""
        return self.inlines is not None


def _codes(model, traces: np.ndarray, window: int | None, stride: int | None) -> np.ndarray:
    """``(n, ns)`` traces -> ``(n, latent)`` or ``(n, n_windows, latent)`` codes (-999 and
    -9999 are amplitudes here, not null markers)."""
    shape = tuple(model.input_shape_)
    conv = len(shape) == 2
    length = shape[-1] if conv else shape[0]
    ns = traces.shape[1]
    if window is None and length == ns:
        X = traces[:, None, :] if conv else traces
        with quiet_null_markers():
            codes = np.array(model.transform(X), dtype=np.float32)  # whatever set_output says
        codes[~live_traces(traces)] = np.nan  # a dead trace (padding, all zero) has no code
        return codes
    w = length
    if window is not None and window != w:
        raise ConfigError(f"window={window} but the model takes {w}-sample inputs")
    s = stride or max(1, w // 2)
    win = make_windows(traces, w, s)  # (n_win, n_traces, w)
    n_win = win.shape[0]
    flat = win.transpose(1, 0, 2).reshape(-1, w)
    with quiet_null_markers():
        codes = np.array(model.transform(flat[:, None, :] if conv else flat), dtype=np.float32)
    codes[~live_traces(flat)] = np.nan  # an all-zero window (a dead trace, a mute) has no code
    return codes.reshape(traces.shape[0], n_win, -1)


def seismic_latent_attributes(model, segy, *, window: int | None = None, stride: int | None = None,
                              chunk_traces: int = 4096, iline: int = 189,
                              xline: int = 193) -> LatentAttributes:
    """Per-trace or per-window latent codes of a SEG-Y volume, arranged like the survey.

    Parameters
    ----------
    model : fitted geoae estimator
        Trained on traces or trace windows: ``backbone="conv1d"`` with input ``(1, length)``
        or dense with ``length`` features (e.g. ``AutoEncoder(backbone="conv1d").fit(
        traces[:, None, :])``). When ``length`` equals the traces' sample count each trace gets
        one code; when shorter, windows of ``length`` samples every ``stride`` samples
        (:func:`geoae.preprocessing.make_windows`) get one code each.
    segy : str, path-like or SegyData
        A SEG-Y path (read chunk by chunk with :func:`geoae.io.iter_segy`) or a file already read.
    window : int, optional
        Must equal the model's input length when given (a check).
    stride : int, optional
        Step between windows, samples (default half the window).
    chunk_traces : int, default=4096
        Traces per chunk when reading a path.
    iline, xline : int, default=189, 193
        Trace-header bytes of the inline and crossline numbers when reading a path (see
        :func:`geoae.io.read_segy`; a :class:`~geoae.io.segy.SegyData` was read with its own).

    Returns
    -------
    LatentAttributes
        ``values`` of shape ``(n_inlines, n_crosslines, [n_windows,] latent_dim)`` when the
        trace headers (bytes ``iline``/``xline``) hold each inline/crossline pair at most once on
        a grid with more than one inline or crossline, else ``(n_traces, [n_windows,]
        latent_dim)``.
    """
    from ..io import iter_segy
    from ..io.segy import SegyData
    from ..workflows import segy_positions

    check_is_fitted(model)
    for name, value in (("window", window), ("stride", stride)):
        if value is not None and not (isinstance(value, (int, np.integer))
                                      and not isinstance(value, bool) and value >= 1):
            raise ConfigError(f"{name}={value!r} is not valid: a positive integer (samples), or "
                              "None for the default")
    parts, where = [], []
    samples = None
    if isinstance(segy, SegyData):
        parts.append(_codes(model, np.asarray(segy.traces, np.float32), window, stride))
        where.append(segy_positions(segy.headers))
        samples = segy.samples
        ns = segy.n_samples
    elif isinstance(segy, (str, os.PathLike)):
        ns = None
        for chunk in iter_segy(segy, chunk_traces, iline=iline, xline=xline):
            ns = chunk.traces.shape[1]
            parts.append(_codes(model, chunk.traces, window, stride))
            where.append(segy_positions(chunk.headers))
    else:
        raise DataError(f"segy must be a path or a SegyData, got {type(segy).__name__}")
    codes = np.concatenate(parts)
    pos = pd.concat(where, ignore_index=True)
    il, xl = pos["INLINE"].to_numpy(), pos["CROSSLINE"].to_numpy()
    times = None
    if codes.ndim == 3:
        w = model.input_shape_[-1]
        starts = window_starts(ns, w, stride or max(1, w // 2))
        centre = starts + (w - 1) / 2.0
        if samples is None:
            samples = _sample_axis(segy, ns)
        times = np.interp(centre, np.arange(ns), samples)
    values, u_il, u_xl = arrange_survey(codes, il, xl)
    return LatentAttributes(values, u_il, u_xl, times, pos if u_il is None else None)


def arrange_survey(values: np.ndarray, inlines, crosslines):
    """Per-trace values arranged like the survey.

    Parameters
    ----------
    values : ndarray of shape (n_traces, ...)
        One entry per trace, in file order.
    inlines, crosslines : array-like of int, shape (n_traces,)
        Each trace's inline and crossline numbers (from the trace headers).

    Returns
    -------
    (values, inlines, crosslines)
        When every inline/crossline pair occurs at most once on a grid with more than one inline or
        crossline, and the grid has at most 4 cells per trace: ``values`` of shape ``(n_inlines,
        n_crosslines, ...)`` (NaN at positions with no trace; integer line numbers on a regular step
        span every line from the first to the last, so that a line with no trace is a row of NaN)
        and the sorted line numbers of the two axes; otherwise the input unchanged and ``None,
        None`` (e.g. a 2-D line without inline numbers, pre-stack gathers, or a 2-D line whose
        "inline" and "crossline" both grow along it: a grid of that would be almost all empty, and
        its size would grow with the square of the line's length)."""
    values = np.asarray(values)
    il, xl = np.asarray(inlines), np.asarray(crosslines)
    u_il, i_il = _line_axis(il)
    u_xl, i_xl = _line_axis(xl)
    pairs = i_il.astype(np.int64) * len(u_xl) + i_xl
    sparse = len(u_il) * len(u_xl) > 4 * len(values)
    if (len(u_il) > 1 or len(u_xl) > 1) and not sparse and len(np.unique(pairs)) == len(pairs):
        cube = np.full((len(u_il), len(u_xl), *values.shape[1:]), np.nan,
                       dtype=np.result_type(values.dtype, np.float32))
        cube[i_il, i_xl] = values
        return cube, u_il, u_xl
    return values, None, None


def _line_axis(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line numbers of one grid axis and each trace's index on it. Integer line numbers on
    a regular step (the gcd of the gaps between them) span every line from the first to the
    last, so that a line with no trace at all is a row of NaN and not left out (a map would
    join its neighbours as if adjacent); at most twice as many lines as are present."""
    u, inverse = np.unique(numbers, return_inverse=True)
    if len(u) > 2 and u.dtype.kind in "iu":
        step = int(np.gcd.reduce(np.diff(u).astype(np.int64)))
        full = np.arange(u[0], u[-1] + step, step, dtype=u.dtype)
        if step > 0 and len(full) > len(u) and len(full) <= 2 * len(u):
            return full, ((u - u[0]) // step)[inverse]
    return u, inverse


def _sample_axis(path, ns: int) -> np.ndarray:
    """Time (depth) of each sample of a SEG-Y file, without reading its traces."""
    from ..io.segy import _layout, _open

    layout = _layout(Path(path))
    with _open(Path(path), layout, structured=False) as f:
        return np.asarray(f.samples, dtype=np.float64)[:ns]


def write_latent_attributes(path: str | os.PathLike, attributes: LatentAttributes) -> Path:
    """Write attributes to a NumPy ``.npz`` file atomically (temporary file, then rename).

    The archive holds ``values`` and, when known, ``inlines``, ``crosslines`` (the first two axes)
    and ``times`` (window centres, ms); values in file order come with each trace's ``inline``,
    ``crossline``, ``cdp``, ``offset``, ``cdp_x`` and ``cdp_y``. Read it back with
    ``numpy.load(path)``.

    Returns
    -------
    Path
    """
    path = Path(path)
    arrays = {"values": attributes.values}
    for name in ("inlines", "crosslines", "times"):
        v = getattr(attributes, name)
        if v is not None:
            arrays[name] = np.asarray(v)
    if attributes.positions is not None:
        arrays.update({str(c).lower(): attributes.positions[c].to_numpy()
                       for c in attributes.positions.columns})
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return path
