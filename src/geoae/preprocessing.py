"""Preprocessing: scalers, missing-value masks, per-well splits, log10 curves, physical ranges, windows.

Scalers reduce to an affine map ``z = (x - offset) / scale`` per feature (per channel for
convolutional inputs), fitted by scikit-learn's scalers, which ignore NaN. Storing only
``offset`` and ``scale`` lets a model folder hold the scaler as two plain arrays.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from .errors import ConfigError, DataError

SCALERS = ("standard", "robust", "minmax", None)


def fit_affine_scaler(X: np.ndarray, method: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Fit a scaler on ``X (n, features)`` (NaN and infinite values ignored) and return
    ``(offset, scale)``.

    ``method`` is ``"standard"`` (mean, standard deviation), ``"robust"`` (median, inter-quartile
    range), ``"minmax"`` (to [0, 1]) or ``None`` (identity). Constant or near-constant features get
    ``scale = 1`` instead of a division by zero.
    """
    n_features = X.shape[1]
    if method is None:
        return np.zeros(n_features), np.ones(n_features)
    if np.isinf(X).any():  # missing, like NaN (an infinite value would make the offset infinite)
        X = np.where(np.isinf(X), np.nan, X)
    factor = np.ones(n_features)
    if method == "standard":
        # a curve of huge values (above ~1e154) would overflow when squared, one of tiny
        # values (below ~1e-154) underflow to 0: its statistics are taken on the values
        # divided by a power of two (exact), then scaled back
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
            big = np.nanmax(np.abs(X), axis=0, initial=0.0) if X.shape[0] else np.zeros(n_features)
        odd = (big > 1e150) | ((big < 1e-150) & (big > 0))
        if odd.any():
            # 2**(e-1) <= big < 2**e: frexp, as log2 of the largest float rounds up to 1024
            factor[odd] = np.ldexp(1.0, np.frexp(big[odd])[1] - 1)
            X = X / factor
        if np.isnan(X).any():
            s = StandardScaler().fit(X)  # NaN-aware
            offset, scale = s.mean_, s.scale_
        else:  # the same statistics (ddof=0), without the NaN bookkeeping: ~4x faster
            offset, scale = X.mean(axis=0), X.std(axis=0)
    elif method in ("robust", "minmax"):
        # as RobustScaler (median, inter-quartile range) and MinMaxScaler, NaN-aware; computed
        # here because scikit-learn sets a spread below 10 * eps (2.2e-15) to 1, taking a
        # permeability in m2 (1e-16 .. 1e-15) for a constant; the rule below is relative
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
            if method == "robust":  # (the centre by nanmedian, as scikit-learn's: the same bits)
                offset = np.nanmedian(X, axis=0)
                q25, q75 = np.nanpercentile(X, [25, 75], axis=0)
                scale = q75 - q25
            else:
                offset = np.nanmin(X, axis=0)
                scale = np.nanmax(X, axis=0) - offset
    else:
        raise ConfigError(f"scaler={method!r} is not known; use one of {SCALERS}")
    offset = np.asarray(offset, dtype=np.float64).copy()
    scale = np.asarray(scale, dtype=np.float64).copy()
    # constant (or constant to rounding, relative to the values' size): no division by ~0; a
    # curve of tiny values (a permeability in m2, ~1e-14) keeps its own small scale
    tiny = ~np.isfinite(scale) | (scale <= 1e-12 * np.abs(offset)) | (scale == 0)
    scale[tiny] = 1.0
    return offset * factor, scale * factor


def outlier_dominated(X: np.ndarray, scale: np.ndarray, method: str | None,
                      max_rows: int = 100_000) -> list[tuple[int, float]]:
    """The features of ``X (n, features)`` whose ``"standard"`` or ``"minmax"`` ``scale`` is
    set by a few extreme values: over 1,000 (standard) or 10,000 (minmax) times the spread of
    the middle half of the values (inter-quartile range / 1.349, a standard deviation's worth
    for normal data). ``[(feature index, ratio)]``; checked on at most ``max_rows`` rows
    spread evenly through ``X``."""
    if method not in ("standard", "minmax") or X.shape[0] < 8:
        return []
    rows = X[:: max(1, X.shape[0] // max_rows)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: checked elsewhere
        q1, q3 = np.nanpercentile(np.where(np.isfinite(rows), rows, np.nan), [25, 75], axis=0)
        spread = (q3 - q1) / 1.349
        ratio = np.asarray(scale, dtype=np.float64) / spread
    limit = 1e3 if method == "standard" else 1e4
    return [(int(j), float(r)) for j, r in enumerate(ratio)
            if np.isfinite(r) and spread[j] > 0 and r > limit]


def missing_mask(X: np.ndarray) -> np.ndarray:
    """Boolean mask of observed (finite) entries."""
    return np.isfinite(X)


def empty_samples(X: np.ndarray) -> np.ndarray:
    """Samples with no observed (finite) value at all, shape ``(n_samples,)`` of bool.

    A sample is a row of ``(n_samples, n_features)`` data or a whole window / trace / patch of
    ``(n_samples, channels, ...)`` data: it is empty when every one of its entries is NaN or
    infinite (e.g. the top of a well where every curve reads the null value -999.25).
    """
    X = np.asarray(X)
    if X.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return ~np.isfinite(X.reshape(X.shape[0], -1)).any(axis=1)


def split_by_well(
    wells: np.ndarray, validation_fraction: float, random_state: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices so that no well is in both the training and validation sets.

    Whole wells are drawn at random into the validation set until it holds about
    ``validation_fraction`` of the rows; a well that would take it past twice that share is
    passed over, so one long well cannot take most of the data. When that leaves less than half
    the target (every well is long, or only a sliver of a well fits), one whole well is held
    out instead, drawn at random among those within 4x the target share (else among the
    smallest, within 1.5x of the smallest). At least one well stays in training.

    Returns
    -------
    train_idx, val_idx : ndarray of int
    """
    wells = np.asarray(wells)
    try:
        names, inverse, counts = np.unique(wells, return_inverse=True, return_counts=True)
    except TypeError:  # labels numpy cannot sort together (1 and "B-2"): compared as text
        names, inverse, counts = np.unique(wells.astype(str), return_inverse=True,
                                           return_counts=True)
    if len(names) < 2 or validation_fraction <= 0:
        return np.arange(len(wells)), np.array([], dtype=np.int64)
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(names))
    target = validation_fraction * len(wells)
    chosen: list[int] = []
    total = 0
    for k in order:
        if total >= target or len(chosen) == len(names) - 1:
            break
        if total + counts[k] <= 2 * target:
            chosen.append(k)
            total += counts[k]
    if total < target / 2:  # nothing (or only a sliver) fits: one whole well, at random
        # among those within 4x the target share, else among the smallest
        fits = [k for k in order if counts[k] <= 4 * target]
        chosen = fits[:1] or [next(k for k in order if counts[k] <= 1.5 * counts.min())]
    is_val = np.isin(inverse, chosen)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def validation_split(n: int, wells: np.ndarray | None, validation_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train_idx, val_idx)`` of ``n`` rows for early stopping: whole wells
    (:func:`split_by_well`) when ``wells`` names two or more; otherwise (no well labels, or one
    well: a single LAS file) rows at random, ``validation_fraction`` of them (none below 10
    rows), both sorted."""
    if wells is not None and len(pd.unique(np.asarray(wells))) >= 2:
        return split_by_well(wells, validation_fraction, seed)
    n_val = int(round(validation_fraction * n)) if n >= 10 else 0
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


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


#: The data warnings already said in the public call in progress (None outside one).
_SAID: contextvars.ContextVar[set | None] = contextvars.ContextVar("geoae_said", default=None)


def says_once(func):
    """Decorate a public method that validates its input more than once (``score``,
    ``fit_transform``, ``fit_predict`` ...): within one call, each :func:`warn_once` message
    is said once."""

    @functools.wraps(func)
    def once(*args, **kwargs):
        if _SAID.get() is not None:
            return func(*args, **kwargs)
        token = _SAID.set(set())
        try:
            return func(*args, **kwargs)
        finally:
            _SAID.reset(token)

    return once


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside geoae and scikit-learn (whose output
    wrappers call geoae's methods): the user's line, however deep the call went."""
    import os
    import sys

    import sklearn

    inside = tuple(os.path.dirname(f) + os.sep for f in (__file__, sklearn.__file__))
    frame, level = sys._getframe(2), 2  # the frame that called warn_once's caller
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


def warn_once(message: str, category=UserWarning) -> None:
    """``warnings.warn``, pointing at the user's line (not inside geoae: the depth varies with
    the public method, :func:`says_once` adding a frame), unless the public call in progress
    said it already."""
    said = _SAID.get()
    if said is not None:
        if message in said:
            return
        said.add(message)
    warnings.warn(message, category, stacklevel=_caller_level())


#: The start of :func:`warn_null_markers`' message, for filters of callers that say it themselves.
NULL_MARKER_WARNING = r"\S+ holds \d+ value\(s\) equal to the null marker"


@contextlib.contextmanager
def quiet_null_markers():
    """A block in which :func:`warn_null_markers` says nothing: an inner model would say it
    again under other names (``feature 3`` for the caller's ``PE``), or -999 is an amplitude
    (SEG-Y traces)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NULL_MARKER_WARNING)
        yield


def rank_zero_by_env() -> bool:
    """Whether torchrun's environment makes this process rank 0 (or a single process): ``RANK``
    counts only when ``WORLD_SIZE`` says there are several (a stray ``RANK`` left in a job
    script's environment does not silence a single process)."""
    import os

    try:
        return int(os.environ.get("WORLD_SIZE", "1")) <= 1 or int(os.environ.get("RANK", "0")) == 0
    except ValueError:
        return True


def warn_null_markers(X, names: Sequence[str] | None = None, what: str = "X",
                      rows: int = 65536) -> None:
    """Warn when ``X`` holds values equal to a common null marker (-999.25, -9999, ...,
    :data:`geoae.io.aliases.COMMON_NULLS`): a frame built by hand or read with ``pd.read_csv``
    keeps them as numbers, and a model would learn them as readings (an Imputer then fills
    impossible values). The readers of geoae turn them into NaN; here they are only reported,
    naming each column (feature/channel) and its count. Checked ``rows`` rows at a time."""
    from .io.aliases import COMMON_NULLS

    if not rank_zero_by_env():  # under torchrun, rank 0 alone speaks
        return
    X = np.asarray(X)
    if X.dtype.kind not in "fiu" or X.ndim < 2 or X.shape[0] == 0:
        return
    axes = (0, *range(2, X.ndim))
    counts = np.zeros(X.shape[1], dtype=np.int64)
    seen: set[float] = set()
    for start in range(0, X.shape[0], rows):
        block = X[start:start + rows]
        hits = np.isin(block, COMMON_NULLS)
        if hits.any():
            counts += hits.sum(axis=axes)
            seen.update(float(v) for v in np.unique(block[hits]))
    if not counts.any():
        return
    label = (lambda i: str(names[i])) if names is not None else (lambda i: f"column {i}")
    hit = np.flatnonzero(counts)
    found = ", ".join(f"{label(i)} ({int(counts[i])})" for i in hit[:8])
    if len(hit) > 8:
        found += f" and {len(hit) - 8} more columns"
    markers = sorted(seen, reverse=True)
    # in an array of many columns (seismic traces, say) such values are more likely genuine
    genuine = ("" if names is not None and X.shape[1] < 32 else
               "; if they are genuine values (a seismic amplitude of -999, say), ignore this or "
               "call inside geoae.preprocessing.quiet_null_markers()")
    warn_once(
        f"{what} holds {int(counts.sum())} value(s) equal to the null marker(s) {markers} in "
        f"{found}; they are used as readings. If they mean 'not measured', make them NaN first "
        f"(X.replace({markers}, np.nan)) or read the file with geoae.io.read_table / read_las, "
        f"which do{genuine}", UserWarning)


def check_curve_columns(X: pd.DataFrame, skip: Sequence[str] = (), what: str = "X",
                        hint: str = "") -> list:
    """The columns of ``X`` that hold curves (all but ``skip``), after checking that none is
    named twice and that all are numeric (or boolean); raise DataError naming the columns and
    the fix otherwise."""
    cols = [c for c in X.columns if c not in skip]
    dup = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
    if dup:
        raise DataError(f"column name(s) {dup} appear more than once in {what}; rename or drop "
                        "the copies (e.g. X.loc[:, ~X.columns.duplicated()])")
    bad = [str(c) for c in cols
           if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    if bad:
        raise DataError(
            f"column(s) {bad} of {what} are not numeric; select the numeric curves "
            f"(e.g. X[['GR', 'RHOB']]){hint}, convert numbers stored as text with "
            f"pd.to_numeric(X[col], errors='coerce'), or encode categories first")
    return cols


def well_and_depth(X) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The ``WELL`` labels and ``DEPTH`` of a DataFrame's rows, each from its column or, when
    there is none, from an index level of that name (a ``(WELL, DEPTH)`` MultiIndex, or the
    depth index of a LAS frame); ``(None, None)`` for an array. Depths are float64 (NaN where
    missing)."""
    if not isinstance(X, pd.DataFrame):
        return None, None

    def get(name: str):
        if name in X.columns:
            return X[name].to_numpy()
        if name in list(X.index.names):
            return X.index.get_level_values(name).to_numpy()
        return None

    wells, depth = get("WELL"), get("DEPTH")
    if depth is None and X.index.nlevels == 1 and X.index.name is not None:
        # a LAS frame (read_las) is indexed by the file's own index mnemonic: DEPT, MD, TVD...
        from .io.aliases import DEPTH_NAMES, column_key

        name = str(X.index.name)
        if column_key(name) in DEPTH_NAMES or name == X.attrs.get("index_name"):
            depth = X.index.to_numpy()
    if depth is not None:
        depth = pd.to_numeric(pd.Series(depth), errors="coerce").to_numpy(dtype=np.float64,
                                                                          na_value=np.nan)
    return wells, depth


def depth_step(depth: np.ndarray) -> float:
    """The sample step of a depth series: the median of its positive finite steps between
    consecutive samples (repeated depths, e.g. two passes merged, do not make it 0); 0 when
    there is none."""
    steps = np.abs(np.diff(np.asarray(depth, dtype=np.float64)))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(np.median(steps)) if steps.size else 0.0


#: A gap for depth windows (context stacking, the conv1d detector's windows, stuck-tool runs):
#: a step longer than this many sample steps. Holes of up to 4 missing samples (a dropped row, a
#: spliced sample) are bridged, as the window still holds its neighbours; longer gaps end it.
WINDOW_GAP_STEPS = 5.0


def depth_segments(depth: np.ndarray, max_step: float = 1.5) -> np.ndarray:
    """Segment number of each sample of one well's depths, **in depth order**: a new segment
    starts after every gap in the log, a step longer than ``max_step`` sample steps
    (:func:`depth_step`), or a missing depth. Neighbours (the Imputer's context, 1.5: any
    missing sample) and windows (:data:`WINDOW_GAP_STEPS`) are never taken across a segment
    boundary. Shape ``(n,)``, int64, from 0."""
    depth = np.asarray(depth, dtype=np.float64)
    segment = np.zeros(len(depth), dtype=np.int64)
    if len(depth) > 1:
        steps = np.abs(np.diff(depth))
        step = depth_step(depth)
        with np.errstate(invalid="ignore"):
            gap = ~np.isfinite(steps) | ((steps > max_step * step) if step > 0 else False)
        segment[1:] = np.cumsum(gap)
    return segment


def shared_depths(depth) -> int:
    """The number of rows that share their depth with another, when more than 10 rows and a
    tenth of them do (a sign of several wells in one table without WELL labels); else 0."""
    repeated = int(pd.Series(depth).duplicated(keep=False).sum())
    return repeated if repeated > max(10, 0.1 * len(depth)) else 0


def well_rows(n: int, wells=None, depth: np.ndarray | None = None) -> list[tuple[object, np.ndarray]]:
    """``[(well, row positions)]`` of ``n`` rows, the wells in order of first appearance and
    each well's rows in depth order when ``depth`` is given (stable; missing depths last), else
    in row order; one ``(None, all rows)`` without ``wells``. A missing label (NaN, None) is a
    well of its own, as :func:`pandas.factorize` makes it (it dropped those rows where each
    place compared labels with ``==``). O(n log n) whatever the number of wells."""
    if wells is None:
        groups = [(None, np.arange(n))]
    else:
        codes, labels = pd.factorize(np.asarray(wells, dtype=object), use_na_sentinel=False)
        order = np.argsort(codes, kind="stable")
        parts = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if n else []
        groups = list(zip(labels, parts, strict=True))
    if depth is not None:
        depth = np.asarray(depth, dtype=np.float64)
        groups = [(w, idx[np.argsort(depth[idx], kind="stable")]) for w, idx in groups]
    return groups


def warn_if_wells_mixed(depth: np.ndarray | None, wells) -> None:
    """Warn when rows without WELL labels repeat their depths often (:func:`shared_depths`):
    several wells in one table, whose depth context would mix them."""
    if depth is None or wells is not None or len(depth) == 0:
        return
    repeated = shared_depths(depth)
    if repeated:
        warn_once(f"{repeated} of the {len(depth)} rows share a depth with another and X has no "
                  "WELL column: several wells in one table? Their depth context mixes them; add a "
                  "WELL column (rows are ordered by depth within each well). One well whose "
                  "depths were logged twice (passes merged) mixes its passes: keep one")


def check_well_labels(wells, what: str = "X") -> None:
    """Raise DataError when a WELL column has missing labels."""
    if wells is not None and pd.isna(wells).any():
        drop = "leave wells= out" if what == "wells=" else "drop the WELL column"
        raise DataError(f"{what} has {int(pd.isna(wells).sum())} row(s) without a WELL label; "
                        "fill them (rows are grouped by well for neighbours, depth order "
                        f"and the validation split) or {drop}")


# --------------------------------------------------------------------------------------------
# DataFrame helpers for well logs: log10 of resistivities, physical ranges, per-well split
# --------------------------------------------------------------------------------------------
# Curve names are matched through the one alias table, geoae.io.aliases (a plain module with no
# I/O dependency; imported lazily so that importing this module stays light).


#: Units of a resistivity, as :func:`geoae.io.aliases.normalise_unit` spells them (it maps
#: OHMM, OHM.M, OHM-M, OHM/M, OHMS/M, ohm*m, Ω·m, OHM ... to OHM.M).
_RESISTIVITY_UNITS = frozenset({"OHM.M"})


def _resistivity_columns(df: pd.DataFrame, aliases: Mapping | None) -> list[str]:
    """Numeric columns that are resistivities: by name (the alias table: ILD, LLD, RDEP, ...)
    or by unit (``df.attrs["units"]`` in ohm.m: AT90, AF60, RLA5, HLLD and other tool
    mnemonics outside the alias table). Curves named ``*_log10`` are not."""
    from .io.aliases import is_resistivity, normalise_unit

    units = df.attrs.get("units", {}) or {}
    return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
            and not str(c).upper().endswith("_LOG10")
            and (is_resistivity(str(c), aliases)
                 or normalise_unit(str(units.get(c, ""))) in _RESISTIVITY_UNITS)]


def log10_curves(
    df: pd.DataFrame, curves: Sequence[str] | None = None, aliases: Mapping | None = None
) -> pd.DataFrame:
    """Take log10 of resistivity-like curves (log-normally distributed), in a copy.

    Parameters
    ----------
    df : DataFrame, shape (n_samples, n_curves)
        Well logs; resistivities in ohm.m (any positive unit).
    curves : sequence of str, optional
        Columns to transform. Default: every numeric column whose canonical name
        (:func:`geoae.io.canonical_name`) is resistivity-like (RT, RMED, RS, RXO: ILD, RDEP, LLD,
        RMED, RSHA, MSFL, ...) or whose unit in ``df.attrs["units"]`` is ohm.m (AT90, AF60,
        HLLD, ...); not ``*_log10`` columns.
    aliases : dict, optional
        Alias overrides (see :func:`geoae.io.aliases.merge_aliases`).

    Returns
    -------
    DataFrame, shape (n_samples, n_curves)
        A copy with ``log10`` of those columns (units: log10(ohm.m)); non-positive values become
        NaN with a warning naming the curve and the count. ``attrs["log10_curves"]`` lists the
        transformed columns (used by :func:`inverse_log10_curves`); a column it already lists
        is left as it is, with a warning (the function applied twice).

    Raises
    ------
    DataError
        A named curve is missing or not numeric.
    """
    out = df.copy()
    names = _resistivity_columns(df, aliases) if curves is None else list(curves)
    done = list(df.attrs.get("log10_curves") or [])
    again = [c for c in names if c in done]
    if again:  # e.g. a notebook cell run twice: log10 of log10 would be given back as ohm.m
        warnings.warn(f"log10_curves: {again} already hold log10 values (the frame's "
                      "attrs['log10_curves'] lists them) and are left as they are", stacklevel=2)
        names = [c for c in names if c not in done]
    for c in names:
        if c not in out.columns:
            raise DataError(f"log10_curves: curve {c!r} not in the frame (columns: {list(out.columns)[:20]})")
        if not pd.api.types.is_numeric_dtype(out[c]):
            raise DataError(f"log10_curves: curve {c!r} is not numeric (dtype {out[c].dtype})")
        values = out[c].to_numpy(dtype=np.float64, copy=True)
        bad = values <= 0
        if bad.any():
            warnings.warn(
                f"log10_curves: {int(bad.sum())} non-positive value(s) of {c!r} set to NaN before log10",
                stacklevel=2,
            )
            values[bad] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            out[c] = np.log10(values)
    out.attrs["log10_curves"] = done + names
    return out


def inverse_log10_curves(df: pd.DataFrame, curves: Sequence[str] | None = None) -> pd.DataFrame:
    """Undo :func:`log10_curves`: ``10 ** x`` on the given columns, in a copy.

    Parameters
    ----------
    df : DataFrame, shape (n_samples, n_curves)
        Frame with log10 curves.
    curves : sequence of str, optional
        Columns to transform back; default ``df.attrs["log10_curves"]``.

    Returns
    -------
    DataFrame, shape (n_samples, n_curves)
        Copy with the curves back in linear units; ``attrs["log10_curves"]`` updated.

    Raises
    ------
    DataError
        No curve given and none recorded in ``attrs``, or a named curve is missing.
    """
    names = list(df.attrs.get("log10_curves") or []) if curves is None else list(curves)
    if curves is None and not names:
        raise DataError(
            "inverse_log10_curves: the frame records no log10 curves (attrs['log10_curves']); "
            "pass curves=[...]"
        )
    out = df.copy()
    for c in names:
        if c not in out.columns:
            raise DataError(f"inverse_log10_curves: curve {c!r} not in the frame")
        out[c] = np.power(10.0, out[c].to_numpy(dtype=np.float64))
    out.attrs["log10_curves"] = [c for c in df.attrs.get("log10_curves") or [] if c not in names]
    return out


PHYSICAL_RANGES: dict[str, tuple[float, float, str]] = {
    "GR": (0.0, 1000.0, "API"),
    "RHOB": (1.0, 3.2, "G/CM3"),
    "NPHI": (-0.15, 1.0, "V/V"),
    "DT": (40.0, 240.0, "US/FT"),
    "DTS": (60.0, 700.0, "US/FT"),
    "PE": (0.0, 10.0, "B/E"),
    "CALI": (2.0, 30.0, "IN"),
    "BS": (2.0, 30.0, "IN"),
    "RT": (0.01, 100000.0, "OHM.M"),
    "RMED": (0.01, 100000.0, "OHM.M"),
    "RS": (0.01, 100000.0, "OHM.M"),
    "RXO": (0.01, 100000.0, "OHM.M"),
    "DRHO": (-1.0, 1.0, "G/CM3"),
}
"""Plausible physical range of each canonical curve, ``{name: (low, high, unit)}``: a reading
outside it is impossible (a tool fault, a null marker, a wrong unit). The range is converted
to a file's unit of the curve where that unit is known (``range_in_unit``); other mnemonics
reach it through the alias table (``DTC`` -> ``DT``)."""

def range_in_unit(lo: float, hi: float, range_unit: str | None,
                  unit: str | None) -> tuple[float, float] | None:
    """The range ``lo`` to ``hi`` given in ``range_unit``, in ``unit`` (through
    :func:`geoae.io.units.convert_units`; as given when either unit is empty or they are the
    same unit; a placeholder such as ``_`` is no unit); None when there is no conversion
    between them."""
    from .io.aliases import normalise_unit, unit_or_none
    from .io.units import can_convert, convert_units

    range_unit, unit = unit_or_none(range_unit), unit_or_none(unit)
    if not range_unit or not unit or normalise_unit(unit) == normalise_unit(range_unit):
        return float(lo), float(hi)
    if not can_convert(range_unit, unit):
        return None
    a, b = convert_units(np.array([lo, hi], dtype=np.float64), range_unit, unit)
    return float(min(a, b)), float(max(a, b))


def clip_to_physical_range(
    df: pd.DataFrame,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, str]] | None = None,
    mode: str = "nan",
    units: Mapping[str, str] | None = None,
    aliases: Mapping | None = None,
    return_counts: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, int]]:
    """Set values outside each curve's physical range to NaN (or clip them), in a copy.

    Parameters
    ----------
    df : DataFrame, shape (n_samples, n_curves)
        Well logs; columns matched to :data:`PHYSICAL_RANGES` by canonical name (``DTC`` -> DT).
    ranges : dict, optional
        ``{canonical: (low, high)}`` or ``(low, high, unit)`` merged over :data:`PHYSICAL_RANGES`.
    mode : {"nan", "clip"}
        ``"nan"`` replaces out-of-range values by NaN; ``"clip"`` moves them to the bound.
    units : dict, optional
        ``{column: unit}`` of the data (default ``df.attrs["units"]``). A range is converted
        when the data unit differs (NPHI in %, RHOB in kg/m3, DT in us/m, CALI in mm); a curve
        whose unit cannot be converted is skipped with a warning.
        Curves listed in ``df.attrs["log10_curves"]`` (:func:`log10_curves`) are checked
        against the log10 of their range, so the two functions can be applied in either order.
    aliases : dict, optional
        Alias overrides (see :func:`geoae.io.aliases.merge_aliases`).
    return_counts : bool
        Also return the counts.

    Returns
    -------
    DataFrame, shape (n_samples, n_curves)
        Copy with the out-of-range values handled; ``attrs["out_of_range"]`` is
        ``{column: count}`` for every checked column.
    counts : dict, optional
        The same counts, when ``return_counts=True``.

    Raises
    ------
    ConfigError
        Unknown ``mode``.
    """
    from .io.aliases import canonical_name

    if mode not in ("nan", "clip"):
        raise ConfigError(f"mode={mode!r} is not known; use 'nan' or 'clip'")
    table: dict[str, tuple[float, float, str | None]] = {k: v for k, v in PHYSICAL_RANGES.items()}
    for k, v in (ranges or {}).items():
        table[canonical_name(k, aliases)] = (float(v[0]), float(v[1]), v[2] if len(v) > 2 else None)
    units = dict(df.attrs.get("units", {}) if units is None else units)
    logs = set(df.attrs.get("log10_curves") or [])
    out = df.copy()
    counts: dict[str, int] = {}
    for col in df.columns:
        key = canonical_name(str(col), aliases)
        if key not in table or not pd.api.types.is_numeric_dtype(df[col]):
            continue
        lo, hi, range_unit = table[key]
        data_unit = units.get(col)
        limits = range_in_unit(lo, hi, range_unit, data_unit)
        if limits is None:
            warnings.warn(
                f"clip_to_physical_range: {col!r} is in {data_unit!r}, the range of {key} is in "
                f"{range_unit!r}; curve skipped (pass ranges={{{key!r}: (low, high)}})",
                stacklevel=2,
            )
            continue
        lo, hi = limits
        if col in logs:  # a log10 curve (log10_curves): the range in log10 units
            if lo <= 0:
                continue
            lo, hi = float(np.log10(lo)), float(np.log10(hi))
        values = out[col].to_numpy(dtype=np.float64, copy=True)
        with np.errstate(invalid="ignore"):
            bad = (values < lo) | (values > hi)
        counts[str(col)] = int(bad.sum())
        if mode == "nan":
            values[bad] = np.nan
        else:
            values = np.clip(values, lo, hi)
        out[col] = values
    out.attrs["out_of_range"] = counts
    return (out, counts) if return_counts else out


def recorded_physical_ranges(names, values: np.ndarray, attrs: Mapping | None, owner: str,
                             stacklevel: int = 2) -> dict[int, tuple[float, float]]:
    """The physical ranges to screen ``values (n, len(names))`` with, by column index.

    A curve gets its :data:`PHYSICAL_RANGES` entry (by canonical name) converted to its unit in
    ``attrs["units"]`` (as :func:`geoae.io.read_wells` records it), in log10 when it is in
    ``attrs["log10_curves"]``. A curve without a recorded unit gets none (a hand-made frame's
    RT may hold log10 values, its NPHI percent), nor does one whose unit cannot be converted or
    one with more than 20 % (and more than 10) of its readings out of range: its unit is more
    likely other than recorded, which a warning (from ``owner``) says.
    """
    from .io.aliases import canonical_name, unit_or_none

    attrs = attrs or {}
    units = attrs.get("units") if isinstance(attrs.get("units"), Mapping) else {}
    logs = set(attrs.get("log10_curves") or [])
    out, odd = {}, []
    for j, name in enumerate(names):
        key = canonical_name(str(name))
        unit = unit_or_none(units.get(name))  # "_" is no unit, as the LAS reader reads it
        if key not in PHYSICAL_RANGES or not unit:
            continue
        limits = range_in_unit(*PHYSICAL_RANGES[key], unit)
        if limits is None:
            continue
        lo, hi = limits
        if name in logs:
            if lo <= 0:
                continue
            lo, hi = float(np.log10(lo)), float(np.log10(hi))
        v = values[:, j][np.isfinite(values[:, j])]
        out_of = int(((v < lo) | (v > hi)).sum())
        if out_of > 10 and out_of > 0.2 * v.size:
            odd.append(f"{name} ({out_of} of {v.size} outside {lo:g} to {hi:g} {unit})")
            continue
        out[j] = (float(lo), float(hi))
    if odd:
        warnings.warn(f"{owner}: {', '.join(odd)}: too many readings out of the physical range for "
                      "a tool fault; the unit is more likely other than recorded, so these curves "
                      "are not screened (correct X.attrs['units'])", UserWarning,
                      stacklevel=stacklevel + 1)
    return out


def outside_ranges(values: np.ndarray, ranges: Mapping[int, tuple[float, float]]) -> np.ndarray:
    """Where ``values (n, n_columns)`` lie outside ``ranges`` (``{column index: (low, high)}``, as
    :func:`recorded_physical_ranges` gives them); False in the other columns and for NaN."""
    bad = np.zeros(values.shape, dtype=bool)
    for j, (lo, hi) in ranges.items():
        with np.errstate(invalid="ignore"):
            bad[:, j] = (values[:, j] < lo) | (values[:, j] > hi)
    return bad


def train_validation_split_wells(
    df: pd.DataFrame,
    validation_fraction: float = 0.2,
    random_state: int | None = None,
    well_column: str = "WELL",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a tidy multi-well frame into training and validation frames by whole wells.

    Depth samples are autocorrelated: a random row split leaks. Whole wells are drawn (see
    :func:`split_by_well`) until the validation frame holds about ``validation_fraction`` of the
    rows; at least one well stays in training.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, n_columns)
        Frame with a well column (as from :func:`geoae.io.read_wells`).
    validation_fraction : float
        Target share of rows in validation, in [0, 1).
    random_state : int, optional
        Seed of the draw.
    well_column : str
        Name of the well column.

    Returns
    -------
    train, validation : DataFrame
        Row subsets of ``df`` (original index kept) with no well in common.

    Raises
    ------
    DataError
        No well column.
    ConfigError
        ``validation_fraction`` outside [0, 1).
    """
    if well_column not in df.columns:
        raise DataError(
            f"train_validation_split_wells: no {well_column!r} column; columns are {list(df.columns)[:20]}"
        )
    if not 0 <= validation_fraction < 1:
        raise ConfigError(f"validation_fraction={validation_fraction} must be in [0, 1)")
    train_idx, val_idx = split_by_well(
        df[well_column].astype(str).to_numpy(), validation_fraction, random_state
    )
    return df.iloc[train_idx], df.iloc[val_idx]


# --------------------------------------------------------------------------------------------
# windows of depth/time series and their inverse (overlap-add)
# --------------------------------------------------------------------------------------------


def window_starts(length: int, window: int, stride: int) -> np.ndarray:
    """Start index of each window: ``0, stride, 2*stride, ...`` plus ``length - window`` for the tail.

    Parameters
    ----------
    length, window, stride : int
        Series length, window length and step, in samples; ``1 <= stride <= window <= length``.

    Returns
    -------
    ndarray of int, shape (n_windows,)

    Raises
    ------
    ConfigError
        ``window`` or ``stride`` out of range.
    DataError
        Series shorter than ``window``.
    """
    window, stride, length = int(window), int(stride), int(length)
    if window < 1 or stride < 1 or stride > window:
        raise ConfigError(
            f"window={window}, stride={stride}: need 1 <= stride <= window so that windows cover every sample"
        )
    if length < window:
        raise DataError(f"series of length {length} is shorter than window={window}; use a smaller window")
    starts = np.arange(0, length - window + 1, stride)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def make_windows(x: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Cut a series into overlapping windows that cover it all (the last one aligned to the end).

    Parameters
    ----------
    x : ndarray, shape (length,) or (channels, length)
        Depth/time series (NaN allowed: it is carried into the windows).
    window : int
        Window length in samples.
    stride : int
        Step between window starts, ``1 <= stride <= window``.

    Returns
    -------
    ndarray, shape (n_windows, channels, window)
        ``channels = 1`` for a 1-D input. Starts are :func:`window_starts`; the tail window starts
        at ``length - window`` when ``stride`` does not divide ``length - window``.
    """
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise DataError(f"make_windows: expected shape (length,) or (channels, length), got {arr.shape}")
    starts = window_starts(arr.shape[1], window, stride)
    view = np.lib.stride_tricks.sliding_window_view(arr, int(window), axis=1)  # (C, L-w+1, w)
    return np.ascontiguousarray(view[:, starts, :].transpose(1, 0, 2))


def overlap_add(windows: np.ndarray, length: int, stride: int) -> np.ndarray:
    """Rebuild a series from :func:`make_windows` output by overlap-add averaging.

    Each sample is the mean of the window values that cover it, so the inverse is exact for any
    series when the windows are unchanged, and exact on a constant signal.

    Parameters
    ----------
    windows : ndarray, shape (n_windows, channels, window) or (n_windows, window)
        Windows in the order of :func:`window_starts` (``(n_windows, window)`` means one channel).
    length : int
        Length of the original series.
    stride : int
        The stride used to make the windows.

    Returns
    -------
    ndarray of float64, shape (channels, length), or (length,) for 2-D ``windows``.

    Raises
    ------
    DataError
        The number of windows does not match ``length``, ``window`` and ``stride``.
    """
    w = np.asarray(windows, dtype=np.float64)
    squeeze = w.ndim == 2
    if squeeze:
        w = w[:, None, :]
    if w.ndim != 3:
        raise DataError(
            f"overlap_add: expected windows of shape (n, channels, window), got {np.shape(windows)}"
        )
    n, channels, window = w.shape
    starts = window_starts(length, window, stride)
    if len(starts) != n:
        raise DataError(
            f"overlap_add: {n} windows given but length={length}, window={window}, stride={stride} "
            f"make {len(starts)}; pass the stride and length used in make_windows"
        )
    total = np.zeros((channels, int(length)))
    count = np.zeros(int(length))
    for k, s in enumerate(starts):
        total[:, s : s + window] += w[k]
        count[s : s + window] += 1.0
    out = total / count
    return out[0] if squeeze else out
