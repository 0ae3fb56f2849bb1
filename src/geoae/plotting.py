"""Figures for well logs, seismic sections, latent spaces, VAE samples and training histories.

Every function takes plain NumPy arrays / pandas DataFrames and returns a
:class:`matplotlib.figure.Figure`. Figures are built without :mod:`matplotlib.pyplot`, so no global
state is touched, nothing is shown, and the module works headless (saving goes through the Agg
canvas); a Figure is freed as soon as it is no longer referenced. Save one with ``fig.savefig(...)``
or turn it into PNG bytes with :func:`figure_to_png_bytes`. This module does not import PyTorch.

Conventions (geoscience):

- depth and two-way time increase **downward**;
- resistivity curves (RT, ILD, LLD, RES, RDEP, ...) are drawn on a logarithmic scale unless they
  are already in log10 units (e.g. ``ILD_log10``);
- on a density-neutron crossplot the bulk-density axis increases downward;
- seismic panels share one symmetric colour scale, so "before", "after" and their difference can be
  compared by eye.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

__all__ = [
    "log_tracks",
    "seismic_sections",
    "latent_map",
    "crossplot_samples",
    "training_curves",
    "figure_to_png_bytes",
    "is_resistivity_curve",
    "flagged_to_intervals",
]

ORIGINAL_COLOR = "black"
RECONSTRUCTED_COLOR = "tab:blue"
IMPUTED_COLOR = "tab:orange"
ANOMALY_COLOR = "tab:red"

_NON_CURVE_COLUMNS = {"WELL", "DEPTH", "DEPT", "MD", "TVD", "TVDSS"}
_RESISTIVITY = re.compile(
    r"^(RT|ILD|ILM|IMPH|IDPH|LLD|LLS|RES|RDEP|RMED|RSHA|RD|RS|RXO|MSFL|SFL|AT[1-9]0|HDRS|HMRS|M2R)",
)
_ALREADY_LOG = re.compile(r"(LOG|LG10|L10)")
_NEUTRON = ("NPHI", "TNPH", "NPOR", "PHIN", "PHIND", "CNPOR", "NPHI_LS")
_DENSITY = ("RHOB", "RHOZ", "ZDEN", "DEN", "RHO8", "DENB")


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _plain_text(func):
    """Draw with every text taken literally: well and curve names come from the user's files,
    and matplotlib would read a ``$...$`` in them as mathematics (a name such as
    ``Lease $5 #2$`` is drawn in italics, and an unbalanced one stops the figure with a parse
    error)."""

    @functools.wraps(func)
    def plain(*args, **kwargs):
        with rc_context({"text.parse_math": False}):
            return func(*args, **kwargs)

    return plain


def _plain_log_ticks(axis) -> None:
    """Plain tick labels (``0.5``, ``2``, ``1000``) on a log ``axis``: the default formatter
    writes mathtext (``$\\mathdefault{10^{0}}$``), which :func:`_plain_text` shows literally."""
    axis.set_major_formatter(LogFormatter())
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False))  # on a narrow range, as usual


def figure_to_png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes (Agg, white background).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default=100
        Resolution in dots per inch.

    Returns
    -------
    bytes
        A complete PNG file (starts with ``b"\\x89PNG\\r\\n\\x1a\\n"``).
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def is_resistivity_curve(name: str) -> bool:
    """Whether a curve mnemonic looks like a resistivity in ohm.m (drawn on a log scale).

    Matches names starting with a common resistivity mnemonic (``RT``, ``ILD``, ``ILM``, ``LLD``,
    ``LLS``, ``RES``, ``RDEP``, ``RMED``, ``RXO``, ``MSFL``, ``SFL``, ``AT10``..``AT90``, ...),
    case-insensitive, and rejects names that say they are already logarithmic (``ILD_log10``,
    ``LOG_RT``, ``RT_LG10``).
    """
    up = str(name).upper().strip()
    if _ALREADY_LOG.search(up):
        return False
    return bool(_RESISTIVITY.match(up))


def flagged_to_intervals(depth, flagged) -> list[tuple[float, float]]:
    """Turn a per-sample boolean flag into ``(top, base)`` depth intervals.

    Parameters
    ----------
    depth : array-like of shape (n,)
        Depth of each sample, in recording order (increasing or decreasing).
    flagged : array-like of bool, shape (n,)
        True where a sample is flagged.

    Returns
    -------
    list of (float, float)
        One interval per run of consecutive flagged samples, extended by half a sample step on
        each side so that a single flagged sample gets a visible band.
    """
    depth = np.asarray(depth, dtype=float)
    flagged = np.asarray(flagged, dtype=bool)
    if flagged.shape != depth.shape:
        raise ValueError(f"flags have shape {flagged.shape}, depth has shape {depth.shape}")
    if not flagged.any():
        return []
    half = 0.5 * _depth_step(depth)
    padded = np.concatenate([[False], flagged, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    # min/max: a log recorded upward (decreasing depth) gets the same bands
    return [(float(np.nanmin(depth[s:e + 1]) - half), float(np.nanmax(depth[s:e + 1]) + half))
            for s, e in zip(starts, ends, strict=False)]


def _depth_step(depth: np.ndarray) -> float:
    """The sample step of the finite depths (:func:`geoae.preprocessing.depth_step`), 1 when
    there is none: the half-height of a flagged sample's band."""
    from .preprocessing import depth_step

    depth = np.asarray(depth, dtype=np.float64)
    return depth_step(depth[np.isfinite(depth)]) or 1.0


def _curve_frame(curves) -> pd.DataFrame:
    if isinstance(curves, pd.Series):
        curves = curves.to_frame()
    if not isinstance(curves, pd.DataFrame):
        arr = np.asarray(curves, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        curves = pd.DataFrame(arr, columns=[f"curve_{i}" for i in range(arr.shape[1])])
    keep = [
        c for c in curves.columns
        if str(c).upper() not in _NON_CURVE_COLUMNS and pd.api.types.is_numeric_dtype(curves[c])
        and not pd.api.types.is_bool_dtype(curves[c])
    ]
    if not keep:
        raise ValueError("curves has no numeric curve column (WELL, DEPTH and non-numeric ones are ignored)")
    return curves[keep].reset_index(drop=True).astype(float)


def _aligned(obj, columns: Sequence, n: int, what: str) -> pd.DataFrame | None:
    """``obj`` (DataFrame or array (n, k)) as a float DataFrame with ``columns`` (absent ones NaN)."""
    if obj is None:
        return None
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        if len(obj) != n:
            raise ValueError(f"{what} has {len(obj)} rows, curves have {n}")
        out = pd.DataFrame(index=range(n))
        for c in columns:
            out[c] = obj[c].to_numpy(dtype=float) if c in obj.columns else np.nan
        return out
    arr = np.asarray(obj, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape != (n, len(columns)):
        raise ValueError(f"{what} has shape {arr.shape}, expected {(n, len(columns))} like curves")
    return pd.DataFrame(arr, columns=list(columns))


def _dilate(mask: np.ndarray) -> np.ndarray:
    """Grow a boolean mask by one sample each side (so an imputed segment joins the log)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def _is_categorical(labels: np.ndarray, max_classes: int = 20) -> bool:
    if labels.dtype.kind in "OUSb" or isinstance(labels.dtype, pd.CategoricalDtype):
        return True
    finite = labels[np.isfinite(labels.astype(float))]
    if finite.size == 0:
        return True
    integral = np.all(np.equal(np.mod(finite, 1), 0))
    return bool(integral and np.unique(finite).size <= max_classes)


def _category_colors(n: int) -> list:
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _stable_colors(codes: Sequence, names) -> dict:
    """Colour per class that does not depend on which classes happen to be present.

    By position in ``names`` when it is a mapping (e.g. all facies), by value for small
    non-negative integer codes, otherwise by order of appearance in ``codes``.
    """
    if isinstance(names, Mapping) and all(c in names for c in codes):
        keys = list(names)
        palette = _category_colors(len(keys))
        return {c: palette[keys.index(c)] for c in codes}
    try:
        ints = [int(c) for c in codes]
        if all(float(c) == i for c, i in zip(codes, ints, strict=True)) and ints and 0 <= min(ints) \
                and max(ints) < 20:
            palette = _category_colors(max(ints) + 1)
            return {c: palette[i] for c, i in zip(codes, ints, strict=True)}
    except (TypeError, ValueError):
        pass
    return dict(zip(codes, _category_colors(len(codes)), strict=False))


def _label_name(value, label_names) -> str:
    if label_names is None:
        return str(value)
    if isinstance(label_names, Mapping):
        return str(label_names.get(value, value))
    try:
        return str(label_names[int(value)])
    except (IndexError, TypeError, ValueError):
        return str(value)


def _unique_labels(labels: np.ndarray) -> list:
    valid = pd.Series(labels).dropna()
    return list(pd.unique(valid.sort_values(kind="stable"))) if valid.size else []


# ----------------------------------------------------------------------------------------------
# log tracks
# ----------------------------------------------------------------------------------------------
@_plain_text
def log_tracks(
    depth,
    curves: pd.DataFrame,
    reconstructed=None,
    imputed=None,
    imputed_std=None,
    anomaly_score=None,
    flagged_intervals=None,
    threshold: float | None = None,
    title: str | None = None,
    log_scale_curves: Iterable[str] | None = None,
    facies=None,
    *,
    units: Mapping[str, str] | None = None,
    imputed_mask=None,
    facies_names: Mapping | Sequence | None = None,
    facies_colors: Mapping | Sequence | None = None,
    depth_label: str = "Depth",
    track_width: float = 1.7,
    height: float = 9.0,
    labelled_intervals=None,
) -> Figure:
    """Well-log tracks along depth: original, reconstruction, imputation with uncertainty, anomalies.

    One track per curve (shared depth axis, depth increasing downward), then an optional facies
    track and an optional anomaly-score track. Flagged intervals are shaded across every track.
    Meant for one well (depth sorted); plot several wells as several figures.

    Parameters
    ----------
    depth : array-like of shape (n,)
        Depth of each sample (any unit; say which with ``depth_label``, e.g. ``"Depth (ft)"``).
    curves : pandas.DataFrame of shape (n, k)
        Observed logs, NaN where missing; drawn in black. ``WELL``/``DEPTH`` and non-numeric
        columns are ignored, so a tidy well frame can be passed as is.
    reconstructed : DataFrame or ndarray of shape (n, k), optional
        Auto-encoder reconstruction in the same units; a DataFrame is matched by column name
        (curves it lacks are skipped). Drawn dashed in blue.
    imputed : DataFrame or ndarray of shape (n, k), optional
        Imputed values; drawn in orange only where ``imputed_mask`` is True (default: where
        ``curves`` is NaN), joined to the log one sample each side.
    imputed_std : DataFrame or ndarray of shape (n, k), optional
        Standard deviation of the imputed values (same units); a ±2σ band is filled around them.
    anomaly_score : array-like of shape (n,), optional
        Per-sample anomaly score (e.g. reconstruction error); adds a last track.
    flagged_intervals : list of (top, base) or bool array of shape (n,), optional
        Depth intervals to shade (red) across all tracks: the depths of the first and last
        flagged samples (as :meth:`AnomalyDetector.intervals` gives them), shaded from half a
        sample step above to half a step below, and at least 0.4 % of the depth range tall, so
        a one-sample interval shows on a long track. When None
        and both ``anomaly_score`` and ``threshold`` are given, the runs of
        ``anomaly_score > threshold`` are shaded.
    threshold : float, optional
        Anomaly threshold, drawn as a vertical dashed line on the score track.
    title : str, optional
        Figure title.
    log_scale_curves : iterable of str, optional
        Curves drawn on a log10 x axis. Default: the columns for which
        :func:`is_resistivity_curve` is True (RT, ILD, LLD, RES, ... but not ``ILD_log10``).
        Pass ``()`` for none.
    facies : array-like of shape (n,), optional
        Facies / lithology code per sample; adds a coloured facies track with a legend.
    units : mapping of str to str, optional
        Unit per curve name, shown in the track header, e.g. ``{"GR": "API", "RT": "ohm.m"}``.
    imputed_mask : DataFrame or bool ndarray of shape (n, k), optional
        Where values were imputed. Default: ``curves.isna()``.
    facies_names : mapping or sequence, optional
        Display name per facies code (e.g. :func:`geoae.datasets.facies_names`).
    facies_colors : mapping or sequence, optional
        Colour per facies code (mapping) or per sorted unique code (sequence). Default: a fixed
        colour per code (by its position in ``facies_names`` when that is a mapping, else by
        value for small integer codes), the same in every figure.
    depth_label : str, default="Depth"
        Label of the depth axis.
    labelled_intervals : list of (top, base) or bool array of shape (n,), optional
        Known events to compare the flags with (e.g. labelled tool faults, a QC log of bad
        hole): drawn as black bars along the right edge of the anomaly-score track (of the last
        track without one), in the same units and with the same minimum height as
        ``flagged_intervals``.
    track_width, height : float
        Width of one track and height of the figure, inches.

    Returns
    -------
    matplotlib.figure.Figure
        Axes in order: one per curve, then facies (if given), then anomaly score (if given).
    """
    frame = _curve_frame(curves)
    names = list(frame.columns)
    n = len(frame)
    depth = np.asarray(depth, dtype=float).reshape(-1)
    if depth.shape != (n,):
        raise ValueError(f"depth has shape {depth.shape}, curves have {n} rows")
    rec = _aligned(reconstructed, names, n, "reconstructed")
    imp = _aligned(imputed, names, n, "imputed")
    std = _aligned(imputed_std, names, n, "imputed_std")
    if imputed_mask is None:
        imask = frame.isna().to_numpy()
    else:
        m = _aligned(imputed_mask, names, n, "imputed_mask")
        imask = m.fillna(0).to_numpy().astype(bool)
    score = None
    if anomaly_score is not None:
        score = np.asarray(anomaly_score, dtype=float).reshape(-1)
        if score.shape != (n,):
            raise ValueError(f"anomaly_score has shape {score.shape}, expected ({n},)")
    fac = None
    if facies is not None:
        fac = np.asarray(facies).reshape(-1)
        if fac.shape != (n,):
            raise ValueError(f"facies has shape {fac.shape}, expected ({n},)")
    if log_scale_curves is None:
        log_set = {c for c in names if is_resistivity_curve(c)}
    else:
        log_set = {str(c) for c in log_scale_curves}
    units = dict(units or {})

    if flagged_intervals is None and score is not None and threshold is not None:
        flagged_intervals = np.nan_to_num(score, nan=-np.inf) > threshold
    intervals = _shade_spans(depth, flagged_intervals, "flagged_intervals")
    labelled = _shade_spans(depth, labelled_intervals, "labelled_intervals")

    ratios = [1.0] * len(names) + ([0.35] if fac is not None else []) + ([1.0] if score is not None else [])
    n_tracks = len(ratios)
    extra = 1.5 if fac is not None else 0.0  # room for the facies legend
    fig = Figure(figsize=(max(4.0, track_width * sum(ratios) + 1.0 + extra), height), layout="constrained")
    axes = np.atleast_1d(
        fig.subplots(1, n_tracks, sharey=True, squeeze=False, gridspec_kw={"width_ratios": ratios})[0]
    )

    handles: dict[str, object] = {"original": Line2D([], [], color=ORIGINAL_COLOR, lw=1.0, label="original")}
    for ax, name in zip(axes, names, strict=False):
        values = frame[name].to_numpy()
        is_log = name in log_set
        ax.plot(values, depth, color=ORIGINAL_COLOR, lw=0.8)
        if rec is not None and np.isfinite(rec[name].to_numpy()).any():
            ax.plot(rec[name].to_numpy(), depth, color=RECONSTRUCTED_COLOR, lw=0.9, ls="--")
            handles["reconstructed"] = Line2D([], [], color=RECONSTRUCTED_COLOR, ls="--",
                                              label="reconstructed")
        if imp is not None:
            col = list(names).index(name)
            mask = imask[:, col] & np.isfinite(imp[name].to_numpy())
            if mask.any():
                joined = _dilate(mask)
                # where the neighbour is observed, join the imputed segment to the observed value
                line = np.where(mask, imp[name].to_numpy(), values)
                line = np.where(joined, line, np.nan)
                if std is not None and np.isfinite(std[name].to_numpy()[mask]).any():
                    s = np.where(mask, std[name].to_numpy(), 0.0)
                    lo = line - 2.0 * s
                    hi = line + 2.0 * s
                    if is_log:
                        positive = line[joined & (line > 0)]
                        floor = float(np.min(positive)) * 1e-2 if positive.size else 1e-3
                        lo = np.maximum(lo, floor)
                    ax.fill_betweenx(depth, lo, hi, where=joined & np.isfinite(lo) & np.isfinite(hi),
                                     color=IMPUTED_COLOR, alpha=0.3, lw=0, gid="imputed-band")
                    handles["band"] = Patch(color=IMPUTED_COLOR, alpha=0.3, label="imputed ±2σ")
                ax.plot(line, depth, color=IMPUTED_COLOR, lw=1.2)
                handles["imputed"] = Line2D([], [], color=IMPUTED_COLOR, lw=1.2, label="imputed")
        if is_log:
            ax.set_xscale("log")
            _plain_log_ticks(ax.xaxis)
        unit = units.get(name)
        ax.set_xlabel(f"{name}\n[{unit}]" if unit else str(name), fontsize=9)
        _track_style(ax)

    k = len(names)
    if fac is not None:
        ax = axes[k]
        _facies_track(ax, depth, fac, facies_names, facies_colors)
        k += 1
    if score is not None:
        ax = axes[k]
        ax.plot(score, depth, color=ANOMALY_COLOR, lw=0.8)
        handles["score"] = Line2D([], [], color=ANOMALY_COLOR, lw=0.8, label="anomaly score")
        if threshold is not None:
            ax.axvline(threshold, color="0.2", ls="--", lw=1.0)
            ax.fill_betweenx(depth, threshold, score, where=np.nan_to_num(score, nan=-np.inf) > threshold,
                             color=ANOMALY_COLOR, alpha=0.5, lw=0)
            handles["threshold"] = Line2D([], [], color="0.2", ls="--", label=f"threshold = {threshold:.3g}")
        ax.set_xlabel("Anomaly\nscore", fontsize=9)
        _track_style(ax)

    if intervals:
        # one collection per track (not one patch per interval): x spans the track, y is depth
        verts = [[(0.0, top), (1.0, top), (1.0, base), (0.0, base)] for top, base in intervals]
        for ax in axes:
            ax.add_collection(
                PolyCollection(verts, transform=blended_transform_factory(ax.transAxes, ax.transData),
                               facecolor=ANOMALY_COLOR, alpha=0.15, linewidths=0, zorder=0,
                               gid="flagged-interval"),
                autolim=False,
            )
    if intervals:
        handles["flagged"] = Patch(color=ANOMALY_COLOR, alpha=0.15, label="flagged interval")
    if labelled:
        verts = [[(0.9, top), (1.0, top), (1.0, base), (0.9, base)] for top, base in labelled]
        ax = axes[-1]
        ax.add_collection(
            PolyCollection(verts, transform=blended_transform_factory(ax.transAxes, ax.transData),
                           facecolor="black", linewidths=0, zorder=3, gid="labelled-interval"),
            autolim=False,
        )
        handles["labelled"] = Patch(color="black", label="labelled event")

    finite = depth[np.isfinite(depth)]
    if finite.size:
        half = 0.5 * _depth_step(finite)
        axes[0].set_ylim(finite.max() + half, finite.min() - half)  # depth increases downward
    axes[0].set_ylabel(depth_label)
    if title:
        fig.suptitle(title)
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncol=min(len(handles), 6),
               fontsize=8, frameon=False)
    return fig


def _shade_spans(depth: np.ndarray, spans, name: str) -> list[tuple[float, float]]:
    """(top, base) depth spans to shade for ``spans``: a bool array of shape (n,) (its runs)
    or (top, base) pairs of sample depths (half a sample step added each side); each at least
    0.4 % of the depth range tall, so that a one-sample span shows on a long track."""
    if spans is None:
        return []
    arr = np.asarray(spans)
    if arr.dtype == bool:
        if arr.shape != depth.shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {depth.shape} (one flag per "
                             "depth sample) or a list of (top, base) depths")
        out = flagged_to_intervals(depth, arr)
    else:  # sample depths (as AnomalyDetector.intervals gives): half a sample around each
        half = 0.5 * _depth_step(depth)
        out = [(min(float(a), float(b)) - half, max(float(a), float(b)) + half) for a, b in spans]
    finite = depth[np.isfinite(depth)]
    if out and finite.size:
        least = 0.004 * float(finite.max() - finite.min())
        out = [(0.5 * (a + b) - 0.5 * least, 0.5 * (a + b) + 0.5 * least) if b - a < least else (a, b)
               for a, b in out]
    return out


def _track_style(ax) -> None:
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", which="both", labelsize=7)
    ax.grid(True, which="major", color="0.85", lw=0.5)


def _facies_track(ax, depth, fac, facies_names, facies_colors) -> None:
    codes = _unique_labels(fac)
    if facies_colors is None:
        colors = _stable_colors(codes, facies_names)
    elif isinstance(facies_colors, Mapping):
        colors = {c: facies_colors.get(c, "0.7") for c in codes}
    else:
        colors = dict(zip(codes, list(facies_colors), strict=False))
    half = 0.5 * _depth_step(depth)
    series = pd.Series(fac)
    valid = series.notna().to_numpy()
    change = np.ones(len(fac), dtype=bool)
    change[1:] = (series.to_numpy()[1:] != series.to_numpy()[:-1]) | (valid[1:] != valid[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:] - 1, len(fac) - 1)
    tops, heights, cols = [], [], []
    for s, e in zip(starts, ends, strict=False):
        if not valid[s]:
            continue
        top, base = np.nanmin(depth[s:e + 1]) - half, np.nanmax(depth[s:e + 1]) + half
        tops.append(top)
        heights.append(base - top)
        cols.append(colors.get(fac[s], "0.7"))
    if tops:
        ax.barh(tops, width=1.0, height=heights, left=0.0, align="edge", color=cols, lw=0)
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    ax.set_xlabel("Facies", fontsize=9)
    ax.xaxis.set_label_position("top")
    legend = [Patch(color=colors[c], label=_label_name(c, facies_names)) for c in codes]
    if legend:
        ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False,
                  borderaxespad=0.0)


# ----------------------------------------------------------------------------------------------
# seismic
# ----------------------------------------------------------------------------------------------
@_plain_text
def seismic_sections(
    before,
    after,
    dt: float | None = None,
    title: str | None = None,
    *,
    cmap: str = "seismic",
    percentile: float = 98.0,
    clip: float | None = None,
    time_unit: str = "ms",
    t0: float = 0.0,
    labels: Sequence[str] = ("Before", "After", "Difference (before − after)"),
    colorbar: bool = True,
) -> Figure:
    """Seismic section before and after processing (e.g. denoising), and their difference.

    Parameters
    ----------
    before, after : array-like of shape (n_traces, n_samples)
        Amplitudes, one row per trace (the layout of :func:`geoae.datasets.make_synthetic_seismic`
        and of SEG-Y trace arrays). Drawn with traces along x and time increasing downward.
    dt : float, optional
        Sample interval in **seconds** (:attr:`geoae.io.SegyData.dt` is in milliseconds: pass
        ``seis.dt / 1000``; a ``dt`` of 0.1 or more is warned about). When None the vertical
        axis is the sample index.
    title : str, optional
        Figure title.
    cmap : str, default="seismic"
        Colormap; ``"gray"``/``"Greys"`` give the classic variable-density look.
    percentile : float, default=98
        The colour limits are ``±percentile(|before|)``, the same for all three panels.
    clip : float, optional
        Explicit colour limit (overrides ``percentile``).
    time_unit : {"ms", "s"}, default="ms"
        Unit of the vertical axis when ``dt`` is given.
    t0 : float, default=0
        Time of the first sample, seconds.
    labels : three str
        Panel titles.
    colorbar : bool, default=True
        Add one shared colorbar (an extra axes).

    Returns
    -------
    matplotlib.figure.Figure
        Three image axes (before, after, difference) sharing x and y, plus the colorbar axes.
    """
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.ndim != 2:
        raise ValueError(f"before must be 2-D (n_traces, n_samples), got shape {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"before has shape {b.shape} but after has shape {a.shape}")
    if time_unit not in ("ms", "s"):
        raise ValueError(f"time_unit must be 'ms' or 's', got {time_unit!r}")
    if clip is None:
        finite = np.abs(b[np.isfinite(b)])
        clip = float(np.percentile(finite, percentile)) if finite.size else 1.0
    clip = float(clip) if clip and np.isfinite(clip) and clip > 0 else 1.0
    n_traces, n_samples = b.shape
    if dt is None:
        y0, step, ylabel = 0.0, 1.0, "Sample"
    else:
        if float(dt) >= 0.1:  # no seismic is sampled every 100 ms: a dt in milliseconds
            warnings.warn(f"seismic_sections: dt={dt:g} s looks like milliseconds (SegyData.dt is "
                          "in ms); pass dt=seis.dt / 1000", UserWarning, stacklevel=2)
        factor = 1000.0 if time_unit == "ms" else 1.0
        y0, step, ylabel = t0 * factor, float(dt) * factor, f"Time ({time_unit})"
    extent = (-0.5, n_traces - 0.5, y0 + (n_samples - 0.5) * step, y0 - 0.5 * step)

    fig = Figure(figsize=(12.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    im = None
    for ax, data, label in zip(axes, (b, a, b - a), labels, strict=False):
        im = ax.imshow(data.T, cmap=cmap, vmin=-clip, vmax=clip, aspect="auto", extent=extent,
                       origin="upper", interpolation="nearest")
        ax.set_title(label)
        ax.set_xlabel("Trace")
    axes[0].set_ylabel(ylabel)
    axes[0].set_ylim(extent[2], extent[3])  # time increases downward
    if colorbar and im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.8, label="Amplitude")
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------------------------
# latent space
# ----------------------------------------------------------------------------------------------
@_plain_text
def latent_map(
    ae_2d,
    pca_2d,
    labels=None,
    label_names: Mapping | Sequence | None = None,
    *,
    titles: Sequence[str] = ("Auto-encoder latent space", "PCA"),
    title: str | None = None,
    label_title: str = "Label",
    max_points: int | None = 20000,
    random_state: int = 0,
    colors: Mapping | Sequence | None = None,
) -> Figure:
    """Two scatter maps side by side: the auto-encoder's latent codes and the PCA projection.

    Parameters
    ----------
    ae_2d, pca_2d : array-like of shape (n, >=2)
        Latent codes (first two dimensions are used) and PCA scores of the same n samples.
    labels : array-like of shape (n,), optional
        Colour of each point. Strings, booleans and integers with at most 20 distinct values are
        treated as classes (discrete colours and a legend); other numbers get a colormap and a
        colorbar. Missing labels are grey.
    label_names : mapping or sequence, optional
        Display name per class value, e.g. :func:`geoae.datasets.facies_names`.
    titles : two str
        Panel titles.
    title : str, optional
        Figure title.
    label_title : str, default="Label"
        Title of the legend / colorbar.
    max_points : int or None, default=20000
        Draw at most this many points (the same random subset on both panels).
    random_state : int, default=0
        Seed of that subset.
    colors : mapping or sequence, optional
        Colour per class (mapping; a class it does not name is grey) or per sorted class
        (sequence, at least one colour per class; one colour as a string colours them all).

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (AE, PCA), plus a colorbar axes when the labels are continuous.
    """
    z = np.asarray(ae_2d, dtype=float)
    p = np.asarray(pca_2d, dtype=float)
    for name, arr in (("ae_2d", z), ("pca_2d", p)):
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise ValueError(f"{name} must have shape (n, >=2), got {arr.shape}")
    if z.shape[0] != p.shape[0]:
        raise ValueError(f"ae_2d has {z.shape[0]} rows but pca_2d has {p.shape[0]}")
    n = z.shape[0]
    lab = None
    if labels is not None:
        lab = np.asarray(labels)
        if lab.shape != (n,):
            raise ValueError(f"labels has shape {lab.shape}, expected ({n},)")
    idx = np.arange(n)
    if max_points is not None and n > max_points:
        idx = np.sort(np.random.default_rng(random_state).choice(n, size=max_points, replace=False))

    fig = Figure(figsize=(11.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    axis_names = (("z1", "z2"), ("PC1", "PC2"))
    size = 6 if idx.size > 2000 else 14
    categorical = lab is not None and _is_categorical(lab)
    mappable = None
    legend_handles = []
    if categorical:
        classes = _unique_labels(lab)
        if isinstance(colors, Mapping):
            cmap = {c: colors.get(c, "0.5") for c in classes}
        elif colors is not None:
            given = [colors] if isinstance(colors, str) else list(colors)
            if len(given) == 1:
                given = given * len(classes)
            if len(given) < len(classes):
                raise ValueError(f"colors has {len(given)} colours for {len(classes)} classes "
                                 f"({', '.join(map(str, classes))}); give one per class, or a "
                                 "mapping {class: colour}")
            cmap = dict(zip(classes, given, strict=False))
        else:
            cmap = _stable_colors(classes, label_names)
        legend_handles = [
            Line2D([], [], ls="", marker="o", color=cmap[c], label=_label_name(c, label_names))
            for c in classes
        ]
    for ax, data, names, ttl in zip(axes, (z, p), axis_names, titles, strict=False):
        x, y = data[idx, 0], data[idx, 1]
        if lab is None:
            ax.scatter(x, y, s=size, color="tab:blue", alpha=0.6, lw=0, rasterized=True)
        elif categorical:
            sub = pd.Series(lab[idx])
            missing = sub.isna().to_numpy()
            if missing.any():
                ax.scatter(x[missing], y[missing], s=size, color="0.7", alpha=0.5, lw=0, rasterized=True)
            for c in cmap:
                sel = (sub == c).to_numpy() & ~missing
                ax.scatter(x[sel], y[sel], s=size, color=cmap[c], alpha=0.7, lw=0, rasterized=True)
        else:
            vals = lab[idx].astype(float)
            mappable = ax.scatter(x, y, c=vals, s=size, cmap="viridis", alpha=0.8, lw=0, rasterized=True,
                                  plotnonfinite=True)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_title(ttl)
        ax.grid(True, color="0.9", lw=0.5)
    if legend_handles:
        axes[1].legend(handles=legend_handles, title=label_title, loc="upper left",
                       bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False, borderaxespad=0.0)
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes), label=label_title, shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------------------------
# VAE samples
# ----------------------------------------------------------------------------------------------
def _pick_column(preferred: Sequence[str], real: pd.DataFrame, samples: pd.DataFrame,
                 exclude=()) -> str | None:
    common = {str(c).upper(): c for c in real.columns if c in samples.columns and c not in exclude}
    for name in preferred:
        if name.upper() in common:
            return common[name.upper()]
    return None


@_plain_text
def crossplot_samples(
    real: pd.DataFrame,
    samples: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    *,
    marginals: bool = True,
    invert_y: bool | None = None,
    max_points: int | None = 5000,
    random_state: int = 0,
    labels: Sequence[str] = ("real", "VAE samples"),
    units: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Crossplot of generated samples (e.g. from a VAE) over real data, with marginal histograms.

    Parameters
    ----------
    real, samples : pandas.DataFrame
        Real rows and generated rows, with the ``x`` and ``y`` columns in the same units.
    x, y : str, optional
        Columns to plot. Defaults: a density-neutron plot (x the first of ``NPHI, TNPH, NPOR,
        PHIN, PHIND, ...``; y the first of ``RHOB, RHOZ, ZDEN, DEN, ...``) when both frames have
        them, otherwise the first numeric columns the two frames share (``WELL``/``DEPTH``
        excluded). With the Kansas data pass them explicitly, e.g. ``x="PHIND", y="PE"``.
    marginals : bool, default=True
        Add histograms of x (top) and y (right) comparing the two distributions.
    invert_y : bool, optional
        Draw y increasing downward. Default: True when y is a bulk density (petrophysical
        convention for density-neutron crossplots).
    max_points : int or None, default=5000
        Draw at most this many points of each frame (random subset; the histograms use all rows).
    random_state : int, default=0
        Seed of the subsets.
    labels : two str
        Legend names of ``real`` and ``samples``.
    units : mapping of str to str, optional
        Unit per column, appended to the axis labels.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The crossplot axes first, then the x and y marginal axes when ``marginals``.
    """
    if not isinstance(real, pd.DataFrame) or not isinstance(samples, pd.DataFrame):
        raise TypeError("real and samples must be pandas DataFrames with named columns")
    numeric_common = [
        c for c in real.columns
        if c in samples.columns and str(c).upper() not in _NON_CURVE_COLUMNS
        and pd.api.types.is_numeric_dtype(real[c]) and pd.api.types.is_numeric_dtype(samples[c])
    ]
    if x is None:
        x = _pick_column(_NEUTRON, real, samples)
    if y is None:
        y = _pick_column(_DENSITY, real, samples, exclude=(x,))
    rest = [c for c in numeric_common if c not in (x, y)]
    if x is None:
        x = rest.pop(0) if rest else None
    if y is None:
        y = rest.pop(0) if rest else None
    if x is None or y is None:
        raise ValueError(f"need two numeric columns shared by real and samples; shared: {numeric_common}")
    for col in (x, y):
        for what, frame in (("real", real), ("samples", samples)):
            if col not in frame.columns:
                raise ValueError(f"column {col!r} not in {what}; available: {list(frame.columns)}")
    if invert_y is None:
        invert_y = str(y).upper() in _DENSITY
    units = dict(units or {})
    rng = np.random.default_rng(random_state)

    def pts(frame):
        sub = frame[[x, y]].astype(float).dropna().to_numpy()
        if max_points is not None and len(sub) > max_points:
            sub = sub[np.sort(rng.choice(len(sub), size=max_points, replace=False))]
        return sub

    r, s = pts(real), pts(samples)
    fig = Figure(figsize=(7.0, 6.5) if marginals else (6.0, 5.5), layout="constrained")
    if marginals:
        gs = fig.add_gridspec(2, 2, width_ratios=(4, 1), height_ratios=(1, 4))
        ax = fig.add_subplot(gs[1, 0])
        axx = fig.add_subplot(gs[0, 0], sharex=ax)
        axy = fig.add_subplot(gs[1, 1], sharey=ax)
    else:
        ax = fig.add_subplot(1, 1, 1)
        axx = axy = None
    colors = ("0.35", "tab:orange")
    # the real points on top: there are usually fewer of them than samples, which would hide them
    ax.scatter(r[:, 0], r[:, 1], s=6, color=colors[0], alpha=0.5, lw=0, label=labels[0],
               rasterized=True, zorder=3)
    ax.scatter(s[:, 0], s[:, 1], s=6, color=colors[1], alpha=0.3, lw=0, label=labels[1],
               rasterized=True, zorder=2)
    ax.set_xlabel(f"{x} ({units[x]})" if x in units else str(x))
    ax.set_ylabel(f"{y} ({units[y]})" if y in units else str(y))
    ax.grid(True, color="0.9", lw=0.5)
    ax.legend(loc="best", markerscale=3, fontsize=8)
    if invert_y:
        ax.invert_yaxis()
    if marginals:
        for col, axm, orient in ((x, axx, "vertical"), (y, axy, "horizontal")):
            rv = real[col].astype(float).dropna().to_numpy()
            sv = samples[col].astype(float).dropna().to_numpy()
            both = np.concatenate([rv, sv])
            both = both[np.isfinite(both)]
            if both.size == 0:
                continue
            lo, hi = np.percentile(both, [0.5, 99.5])
            bins = np.linspace(lo, hi, 41) if hi > lo else 10
            for vals, c in ((rv, colors[0]), (sv, colors[1])):
                if vals.size:
                    axm.hist(vals, bins=bins, density=True, histtype="step", color=c, lw=1.2,
                             orientation=orient)
            axm.tick_params(labelsize=7)
        axx.tick_params(axis="x", labelbottom=False)
        axy.tick_params(axis="y", labelleft=False)
        axx.set_ylabel("probability density", fontsize=8)
        axy.set_xlabel("probability density", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------------------------
# training history
# ----------------------------------------------------------------------------------------------
_TERM_ORDER = ("reconstruction", "kl", "sparsity", "contractive")


@_plain_text
def training_curves(history: Mapping[str, Sequence[float]], *, title: str | None = None,
                    log_y: bool | None = None, ncols: int = 3) -> Figure:
    """Per-epoch training (and validation) loss and each loss term in its own small panel.

    Parameters
    ----------
    history : mapping of str to sequence of float
        As stored in an estimator's ``history_``: ``loss`` (or ``train_loss``) and each term
        (``reconstruction``, ``kl``, ``sparsity``, ``contractive``, ...) per epoch; ``val_<name>``
        for the validation values; ``best_epoch`` (0-based, one-element list) marks the kept
        weights with a dotted line.
    title : str, optional
        Figure title.
    log_y : bool, optional
        Logarithmic y axes. Default: per panel, when every plotted value is positive.
    ncols : int, default=3
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel: the total loss first, then each term (known terms in the order above,
        then any other key).
    """
    hist = {str(k): v for k, v in dict(history).items()}
    if "loss" not in hist and "train_loss" in hist:
        hist["loss"] = hist.pop("train_loss")
    best = hist.pop("best_epoch", None)
    best_epoch = None
    if best is not None:
        b = np.atleast_1d(np.asarray(best, dtype=float))
        best_epoch = int(b[-1]) if b.size and np.isfinite(b[-1]) and b[-1] >= 0 else None
    names = [k for k in hist if not k.startswith("val_")]
    # validation-only keys still get a panel
    names += [k[4:] for k in hist if k.startswith("val_") and k[4:] not in hist]
    names = [k for k in dict.fromkeys(names) if np.size(hist.get(k, hist.get(f"val_{k}", []))) > 0]
    ordered = [k for k in ("loss", *_TERM_ORDER) if k in names] + [
        k for k in names if k not in ("loss", *_TERM_ORDER)
    ]
    if not ordered:
        raise ValueError("history has no per-epoch values to plot")
    ncols = max(1, min(ncols, len(ordered)))
    nrows = int(np.ceil(len(ordered) / ncols))
    fig = Figure(figsize=(3.6 * ncols, 2.8 * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    flat = list(grid.ravel())
    for ax in flat[len(ordered):]:
        fig.delaxes(ax)
    for ax, name in zip(flat, ordered, strict=False):
        plotted = []
        for key, label, style in ((name, "train", "-"), (f"val_{name}", "validation", "--")):
            if key in hist and np.size(hist[key]) > 0:
                vals = np.asarray(hist[key], dtype=float).reshape(-1)
                epochs = np.arange(1, vals.size + 1)
                ax.plot(epochs, vals, ls=style, lw=1.2, label=label, marker="." if vals.size < 30 else None)
                plotted.append(vals[np.isfinite(vals)])
        values = np.concatenate(plotted) if plotted else np.array([])
        use_log = log_y if log_y is not None else bool(values.size and np.all(values > 0))
        if use_log and values.size and np.all(values > 0):
            ax.set_yscale("log")
            _plain_log_ticks(ax.yaxis)
        if best_epoch is not None:
            ax.axvline(best_epoch + 1, color="0.4", ls=":", lw=1.0, label="best epoch")
        ax.set_title("total loss" if name == "loss" else name, fontsize=10)
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, color="0.9", lw=0.5)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig
