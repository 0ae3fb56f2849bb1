"""Many wells in one tidy table: :func:`read_wells`."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ._files import sniff, unique_names
from .aliases import (
    DEPTH_NAMES,
    WELL_NAMES,
    alias_priority,
    column_key,
    depth_unit_of_name,
    merge_aliases,
    non_curve_kind,
    normalise_unit,
)
from .las import COMMON_NULLS, read_las
from .tables import numeric_depth, read_table
from .units import can_convert
from .units import convert_units as _convert

LAS_SUFFIXES = (".las",)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _is_folder(paths_or_folder) -> bool:
    if not isinstance(paths_or_folder, (str, os.PathLike)):
        return False
    try:
        return Path(paths_or_folder).is_dir()
    except (OSError, ValueError):
        return False


def folder_files(folder: Path, suffixes: Iterable[str], what: str) -> list[Path]:
    """The files of ``folder`` whose names end in one of ``suffixes``, sorted; hidden files
    are not wells (macOS's ``._`` copies, a killed run's temporary files), nor are folders.
    None is a DataError saying ``what`` was looked for."""
    suffixes = tuple(s.lower() for s in suffixes)
    try:
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in suffixes
                       and not f.name.startswith(".") and f.is_file())
    except OSError as exc:
        raise DataError(f"{folder}: cannot list the folder ({exc.strerror or exc})") from exc
    if not files:
        raise DataError(f"{folder}: no {what} file in this folder")
    return files


def _collect(paths_or_folder: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    if isinstance(paths_or_folder, (str, os.PathLike)):
        p = Path(paths_or_folder)
        try:
            is_dir = p.is_dir()
        except (OSError, ValueError):  # a name too long, a NUL byte...: the reader says why
            is_dir = False
        if is_dir:
            return folder_files(p, (*LAS_SUFFIXES, *TABLE_SUFFIXES), ".las, .csv or .parquet")
        return [p]
    files = [Path(p) for p in paths_or_folder]
    if not files:
        raise DataError("read_wells: no file given; pass a folder or a list of LAS/CSV paths")
    return files


def harmonise_columns(
    columns: Sequence[str], table: Mapping[str, Sequence[str]], source: str = ""
) -> dict[str, str]:
    """Map raw curve names of one file to canonical names, one raw curve per canonical name.

    Parameters
    ----------
    columns : sequence of str
        Raw curve names of one file.
    table : dict
        Merged alias table (:func:`geoae.io.aliases.merge_aliases`).
    source : str
        File name used in the warning.

    Returns
    -------
    dict
        ``{raw: new name}``: the highest-priority raw curve of each canonical name gets the
        canonical name; the others keep their raw (upper-case) names, with a warning.
    """
    best: dict[str, tuple[int, int, str]] = {}
    for pos, col in enumerate(columns):
        canonical, rank = alias_priority(str(col), table)
        cur = best.get(canonical)
        if cur is None or (rank, pos) < cur[:2]:
            best[canonical] = (rank, pos, str(col))
    mapping: dict[str, str] = {}
    for col in columns:
        canonical, _ = alias_priority(str(col), table)
        if best[canonical][2] == str(col):
            mapping[str(col)] = canonical
        else:
            mapping[str(col)] = str(col).upper()
            warnings.warn(
                f"{source}: curves {best[canonical][2]!r} and {col!r} both map to {canonical!r}; "
                f"keeping {best[canonical][2]!r} as {canonical!r} and {col!r} under its own name",
                stacklevel=3,
            )
    # a raw name kept must not clash with a canonical name given to another curve
    taken = {best[c][2]: c for c in best}
    used = set(taken.values())
    for k, v in mapping.items():
        if k not in taken:
            new, n = v, 2
            while new in used:
                new, n = f"{v}_{n}", n + 1
            mapping[k] = new
            used.add(new)
    return mapping


def _rename_column(raw: pd.DataFrame, old: str | None, new: str) -> pd.DataFrame:
    """Rename column ``old`` to ``new``; another column already called ``new`` becomes ``new_CURVE``."""
    clash = [c for c in raw.columns if c == new and c != old]
    names = {c: f"{new}_CURVE" for c in clash}
    if old is not None:
        names[old] = new
    out = raw.rename(columns=names)
    out.columns = unique_names(out.columns, sep="_", first=2)
    return out


class RowOrderWarning(UserWarning):
    """:func:`read_wells` sorted a well's rows by depth or dropped its repeated depths;
    ``path`` is the file."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class UnitConversionWarning(UserWarning):
    """:func:`read_wells` converted curves (or depths) of some wells to the unit of the other
    wells; ``conversions`` is ``{well: {curve: (from_unit, to_unit)}}`` (``"DEPTH"`` for the
    depth), as in ``df.attrs["unit_conversions"]``."""

    def __init__(self, message: str, conversions: dict[str, dict[str, tuple[str, str]]]) -> None:
        super().__init__(message)
        self.conversions = conversions


class UnitConflictWarning(UserWarning):
    """:func:`read_wells` found curves whose units differ between wells with no known conversion
    between them; ``conflicts`` is ``{curve: {well: unit}}``, as in
    ``df.attrs["unit_conflicts"]``."""

    def __init__(self, message: str, conflicts: dict[str, dict[str, str]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


def _conflict_message(conflicts: Mapping[str, Mapping[str, str]]) -> str:
    return ("curve units differ between wells: "
            + "; ".join(f"{c}: {sorted(set(w.values()))}" for c, w in list(conflicts.items())[:8])
            + " (see df.attrs['unit_conflicts']); convert before mixing wells")


def _majority_unit(per_well: Mapping[str, str]) -> str:
    """The unit most wells give (compared through :func:`normalise_unit`), spelled as the first
    well giving it spells it; a tie goes to the unit given first."""
    groups: dict[str, list[str]] = {}
    for well, unit in per_well.items():
        groups.setdefault(normalise_unit(unit), []).append(well)
    best = max(groups.values(), key=len)  # the first of the largest groups
    return per_well[best[0]]


def _unit_plan(per_well: Mapping[str, str], target: str = ""
               ) -> tuple[str, dict[str, tuple[str, str]], dict[str, str]]:
    """``(target, {well: (unit, target)}, {well: unit})`` for one curve given in ``per_well``
    units (``{well: unit}``, empty units left out): the target (``target``, else the unit of
    most wells, :func:`_majority_unit`), the wells whose unit differs and converts to it
    (:func:`geoae.io.units.can_convert`), and those whose unit differs and does not. Shared by
    :func:`read_wells`, :class:`geoae.streaming.LasRows` and the CLI's model inputs."""
    given = {w: u for w, u in per_well.items() if u}
    if not given:
        return target, {}, {}
    target = target or _majority_unit(given)
    convert: dict[str, tuple[str, str]] = {}
    stuck: dict[str, str] = {}
    for well, unit in given.items():
        if normalise_unit(unit) == normalise_unit(target):
            continue
        if can_convert(unit, target):
            convert[well] = (unit, target)
        else:
            stuck[well] = unit
    return target, convert, stuck


def _plan_conversions(unit_seen: Mapping[str, Mapping[str, str]], depth_units: Mapping[str, str],
                      parts: Mapping[str, pd.DataFrame]
                      ) -> tuple[dict[str, str], str, dict[str, dict[str, tuple[str, str]]]]:
    """``(target unit per curve, target depth unit, {well: {curve: (from, to)}})``: every curve
    (and the depth) of a well whose unit differs from the majority's and converts to it
    (:func:`_unit_plan`; a curve that is not numeric is left alone)."""
    plan: dict[str, dict[str, tuple[str, str]]] = {}
    depth_target, depths, _ = _unit_plan(depth_units)
    for well, pair in depths.items():
        plan.setdefault(well, {})["DEPTH"] = pair
    targets: dict[str, str] = {}
    for curve, per_well in unit_seen.items():
        targets[curve], convert, _ = _unit_plan(per_well)
        for well, pair in convert.items():
            col = parts[well][curve] if curve in parts[well].columns else None
            if col is None or not pd.api.types.is_numeric_dtype(col) \
                    or pd.api.types.is_bool_dtype(col):
                continue
            plan.setdefault(well, {})[curve] = pair
    return targets, depth_target, plan


def first_row_per_depth(df: pd.DataFrame) -> tuple[pd.DataFrame, bool, int]:
    """``(frame, sorted, dropped)``: one well's rows (finite depths) sorted by depth (stable)
    when they are not in order, and the first row of a repeated depth kept; whether they were
    sorted and how many rows were dropped. ``df`` itself when its depths already increase."""
    depth = df["DEPTH"].to_numpy(dtype=np.float64)
    if len(depth) < 2 or (np.diff(depth) > 0).all():
        return df, False, 0
    moved = not (np.diff(depth) >= 0).all()
    if moved:
        df = df.sort_values("DEPTH", kind="stable")
    dup = df["DEPTH"].duplicated(keep="first")
    return df.loc[~dup.to_numpy()], moved, int(dup.sum())


def _apply_conversions(part: pd.DataFrame, conversions: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """``part`` with each of its columns in ``conversions`` converted ``(from, to)``."""
    part = part.copy()
    for col, (unit, to) in conversions.items():
        values = pd.to_numeric(part[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        part[col] = _convert(values, unit, to)
    return part


def _conversion_message(plan: Mapping[str, Mapping[str, tuple[str, str]]]) -> str:
    """One line naming every conversion: ``NPHI % -> v/v (wells B, C); DEPTH FT -> M (well B)``."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for well, convs in plan.items():
        for curve, (unit, to) in convs.items():
            groups.setdefault((curve, unit, to), []).append(well)
    items = []
    for (curve, unit, to), wells in groups.items():
        shown = ", ".join(wells[:8]) + (f" and {len(wells) - 8} more" if len(wells) > 8 else "")
        items.append(f"{curve} {unit} -> {to} ({'wells' if len(wells) > 1 else 'well'} {shown})")
    return ("converted to the unit of most wells (by the unit labels): " + "; ".join(items)
            + " (see df.attrs['unit_conversions']; read_wells(..., convert_units=False) keeps "
            "each file's units)")


def units_by_well(units: dict[str, str], shown: int = 4) -> str:
    """``{well: unit}`` as ``"A: M, B: FT"`` when every well has its own unit, else grouped by
    unit (spellings of one unit together, ``M`` and ``m``): ``"m (wells A, B), ft (well C)"``,
    at most ``shown`` wells named per unit."""
    groups: dict[str, list[str]] = {}
    for w, u in units.items():
        if u:
            groups.setdefault(normalise_unit(u) or u, []).append(str(w))
    if all(len(ws) == 1 for ws in groups.values()):
        return ", ".join(f"{w}: {u}" for w, u in list(units.items())[:8] if u)
    parts = []
    for unit, ws in groups.items():
        named = ", ".join(ws[:shown]) + (f" and {len(ws) - shown} more" if len(ws) > shown else "")
        parts.append(f"{unit} ({'wells' if len(ws) > 1 else 'well'} {named})")
    return ", ".join(parts)


def _clean_depth(df: pd.DataFrame, source: str, keep_rows: bool = False,
                 path: str = "") -> pd.DataFrame:
    depth = df["DEPTH"].to_numpy(dtype=np.float64)
    keep = np.isfinite(depth)
    if not keep.all():
        warnings.warn(f"{source}: dropped {int((~keep).sum())} row(s) without a depth", stacklevel=3)
        df = df.loc[keep]
        depth = depth[keep]
    if not keep_rows:
        df, moved, dropped = first_row_per_depth(df)
        if moved:
            warnings.warn(RowOrderWarning(f"{source}: depth is not increasing; rows sorted by "
                                          "depth", path), stacklevel=3)
        if dropped:
            warnings.warn(RowOrderWarning(f"{source}: {dropped} duplicate depth(s) dropped "
                                          "(the first row of each kept)", path), stacklevel=3)
    return df.reset_index(drop=True)


def _sniff_table(path: Path, folder: bool) -> tuple[bool, pd.DataFrame | None, str | None]:
    """``(is_las, table, skip_reason)`` of a file without a ``.las`` suffix.

    LAS content is LAS, whatever the suffix (and its errors are errors). In a folder, a ``.txt``
    file that is not a table (notes) and a table without any depth-like column (tops, a list of
    wells) are not wells: a reason to skip them is returned. Everything else that fails raises:
    a named file, a ``.csv``/``.tsv``/``.parquet`` file that does not parse, a table whose depth
    column has another name (``Depth (m)``); a well is never dropped for a fixable reason.
    """
    notes = folder and path.suffix.lower() == ".txt"
    try:
        if sniff(path) == "las":
            return True, None, None
        raw = read_table(path)
    except DataError as exc:
        if notes:
            return False, None, str(exc).removeprefix(f"{path}: ")
        raise
    if any(column_key(c) in DEPTH_NAMES for c in raw.columns):
        return False, raw, None
    why = f"no depth column (one of {', '.join(DEPTH_NAMES)}); rename the depth column"
    if folder and not any(non_curve_kind(c) == "depth" for c in raw.columns):
        return False, None, why
    raise DataError(f"{path}: {why}")


def read_wells(
    paths_or_folder: str | os.PathLike | Iterable[str | os.PathLike],
    aliases: Mapping[str, str | Sequence[str]] | None = None,
    *,
    well_column: str | None = None,
    keep_rows: bool = False,
    convert_units: bool = True,
) -> pd.DataFrame:
    """Read many LAS/CSV/Parquet well files into one tidy DataFrame with harmonised curve names.

    Parameters
    ----------
    paths_or_folder : path, or iterable of paths
        A folder (every ``.las``, ``.csv``, ``.tsv``, ``.txt``, ``.parquet`` in it, sorted by
        name), one file, or a list of files. A table may hold several wells (a well column); a
        LAS file is one well.
    aliases : dict, optional
        Alias overrides merged over :data:`geoae.io.aliases.DEFAULT_ALIASES`
        (``{canonical: [mnemonics]}`` or ``{mnemonic: canonical}``).
    well_column : str, optional
        Well-name column of tables (default: the first of ``WELL``, ``WELL_NAME``, ``UWI``... found,
        else the file name).
    keep_rows : bool, default False
        Keep every row of each well in its file's order, duplicate depths included (nothing
        sorted or dropped, but rows without a depth), so that a result can be laid beside the
        file row by row; the ``geoae`` scoring commands read LAS files this way.
    convert_units : bool, default True
        Put each curve, and the depth, in one unit across wells: the unit of most wells that
        give one (compared through :func:`geoae.io.aliases.normalise_unit`, so ``g/cc`` and
        ``G/C3`` agree; a tie goes to the unit of the first well that gives one), each other
        well's values converted to it when :mod:`geoae.io.units` knows the conversion (m/ft,
        us/ft and us/m, g/cm3 and kg/m3, % and v/v, m/s and ft/s, in/cm/mm, degC and degF). The
        depths are converted before the rows are sorted and repeated depths looked for. One
        :class:`UnitConversionWarning` names every conversion (curve, from -> to, wells). The
        conversion goes by the unit labels only: a ``v/v`` porosity whose values reach 45 (a
        percentage under a wrong label) is still converted as a fraction; check such a curve
        (``df.attrs["well_units"]`` gives each file's label) and fix its label first. An empty
        unit is not compared with anything. ``False`` keeps every file's values and depths in
        the file's own units (warning where they differ), as before.

    Returns
    -------
    DataFrame, shape (n_rows, 2 + n_curves)
        Columns ``WELL`` (str: the LAS ``WELL`` header, else the file stem), ``DEPTH`` (float, in
        ``attrs["depth_unit"]``) and one column per canonical curve (``GR``, ``RHOB``, ``NPHI``,
        ``DT``, ``DTS``, ``PE``, ``RT``, ...; unknown curves keep their upper-case names), NaN where
        a well lacks a curve. Rows sorted by depth within each well, duplicate depths dropped
        (first kept), each with a warning naming the file (unless ``keep_rows``); rows without a
        depth are dropped, with a warning. ``df.attrs`` holds:

        - ``units``: ``{curve: unit}``, the unit of the curve's values (with ``convert_units``
          the majority's; without, the first file's that gives one);
        - ``unit_conversions``: ``{well: {curve: (from_unit, to_unit)}}`` (``"DEPTH"`` for the
          depth), every conversion made, units spelled as in the files (``{}`` without
          ``convert_units``);
        - ``unit_conflicts``: ``{curve: {well: unit}}`` where wells still disagree (no known
          conversion, or ``convert_units=False``), each well's unit as its values are now, with a
          warning that says to convert them before mixing wells;
        - ``well_units`` (``{well: {curve: unit}}``) and ``depth_units`` (``{well: unit}``): each
          file's own units, before any conversion;
        - ``depth_unit``: the unit of the ``DEPTH`` column (``""`` when no file gives one, or
          when the wells still disagree, with a warning);
        - ``sources`` (``{well: path}``) and ``renamed`` (``{well: {raw: canonical}}``).

    Raises
    ------
    DataError
        No file, or any file that cannot be read (the message names it). In a folder, a
        ``.txt`` file that is neither LAS nor a table (e.g. a stray ``notes.txt``) and a table
        without any depth-like column (e.g. ``tops.csv``) are skipped with a warning naming
        them. A LAS file that cannot be read, a ``.csv``/``.tsv``/``.parquet`` file that does
        not parse and a table whose depth column has another name (``Depth (m)``) are still
        errors (a well is never dropped for a fixable reason), and so is a folder with no
        readable well at all.
    """
    table = merge_aliases(aliases)
    frames: list[pd.DataFrame] = []
    pending: list[tuple[str, pd.DataFrame, str, str]] = []  # (well, rows, label, path)
    units: dict[str, str] = {}
    unit_seen: dict[str, dict[str, str]] = {}
    depth_units: dict[str, str] = {}
    sources: dict[str, str] = {}
    renamed: dict[str, dict[str, str]] = {}
    order: list[str] = []
    files = _collect(paths_or_folder)
    folder = _is_folder(paths_or_folder)
    skipped: list[str] = []
    for path in files:
        source = str(path)
        is_las = path.suffix.lower() in LAS_SUFFIXES or path.suffix.lower() not in TABLE_SUFFIXES
        if not is_las:
            is_las, raw, reason = _sniff_table(path, folder)
            if reason is not None:
                warnings.warn(f"{path}: skipped: neither a LAS file nor a well table ({reason}); "
                              "if it holds a well, fix it, else move it out of the folder",
                              UserWarning, stacklevel=2)
                skipped.append(f"{path.name}: {reason}")
                continue
        if is_las:
            las = read_las(path)
            well = las.attrs.get("well_name") or path.stem
            if well in sources:
                warnings.warn(
                    f"{source}: well {well!r} was already read from {sources[well]}; "
                    f"naming this one {well + ' (' + path.name + ')'!r}",
                    stacklevel=2,
                )
                well = f"{well} ({path.name})"
            file_units = dict(las.attrs.get("units", {}))
            depth_unit = las.attrs.get("index_unit", "")
            raw = _rename_column(_rename_column(las.reset_index(drop=True), None, "DEPTH"), None, "WELL")
            raw.insert(0, "DEPTH", las.index.to_numpy(dtype=np.float64))
            raw.insert(0, "WELL", well)
        else:
            wcol = well_column or next((c for c in raw.columns if column_key(c) in WELL_NAMES), None)
            if wcol is not None:
                match = [c for c in raw.columns if column_key(c) == column_key(wcol)]
                if not match:
                    raise DataError(
                        f"{path}: well column {wcol!r} not found; columns are {list(raw.columns)[:20]}"
                    )
                raw = _rename_column(raw, match[0], "WELL")
                # a row without a well name belongs to the file's well (else groupby drops it)
                raw["WELL"] = raw["WELL"].where(raw["WELL"].notna(), path.stem).astype(str)
            else:
                raw = _rename_column(raw, None, "WELL")
                raw.insert(0, "WELL", path.stem)
            dcol = next((c for c in raw.columns if column_key(c) in DEPTH_NAMES and c != "WELL"), None)
            if dcol is None:
                raise DataError(
                    f"{path}: no depth column (one of {', '.join(DEPTH_NAMES)}); rename the depth column"
                )
            raw = _rename_column(raw, dcol, "DEPTH")
            raw["DEPTH"] = numeric_depth(raw["DEPTH"], path, str(dcol))
            file_units, depth_unit = {}, depth_unit_of_name(dcol)  # DEPTH_FT: in feet
        curves = [c for c in raw.columns if c not in ("WELL", "DEPTH")]
        mapping = harmonise_columns(curves, table, source)
        for old, new in list(mapping.items()):
            if new in ("WELL", "DEPTH"):
                mapping[old] = f"{new}_CURVE"
        raw = raw.rename(columns=mapping)
        raw.columns = unique_names(raw.columns, sep="_", first=2)
        for col in raw.columns:
            if col not in ("WELL", "DEPTH") and not pd.api.types.is_numeric_dtype(raw[col]):
                num = pd.to_numeric(raw[col], errors="coerce")
                real = num.notna() & ~num.isin(COMMON_NULLS)
                if real.sum() >= (raw[col].notna() & num.isna()).sum():
                    # a numeric curve with a few stray tokens: they and the null markers are missing
                    raw[col] = num.mask(num.isin(COMMON_NULLS))
                # else a text column (formation, zone, lithology name) is kept as text
        clash = [w for w in pd.unique(raw["WELL"]) if str(w) in sources]
        if clash:  # a well already read from another file: kept apart, as for LAS files
            warnings.warn(f"{source}: well(s) {[str(w) for w in clash]} were already read from "
                          f"{sorted({sources[str(w)] for w in clash})}; naming these "
                          f"'<well> ({path.name})'", stacklevel=2)
            raw["WELL"] = raw["WELL"].where(~raw["WELL"].isin(clash),
                                            raw["WELL"].astype(str) + f" ({path.name})")
        for well, part in raw.groupby("WELL", sort=False):
            # cleaned (sorted, repeated depths dropped) once its depths are in the common unit
            pending.append((str(well), part, f"{source} (well {well})", source))
            sources[str(well)] = source
            depth_units[str(well)] = depth_unit
            renamed[str(well)] = {k: v for k, v in mapping.items() if k.upper() != v}
            for old, new in mapping.items():
                unit = file_units.get(old)
                if unit:
                    units.setdefault(new, unit)
                    unit_seen.setdefault(new, {})[str(well)] = unit
        for c in raw.columns:
            if c not in order and c not in ("WELL", "DEPTH"):
                order.append(c)
    canon_first = [c for c in table if c in order] + [c for c in order if c not in table]
    if not pending and skipped:
        raise DataError(f"{paths_or_folder}: no readable well in this folder (skipped "
                        f"{'; '.join(skipped)}); it needs LAS files or tables with a depth column")
    if not pending:  # pragma: no cover - every file read gives at least one well
        raise DataError(f"{', '.join(map(str, files))}: no rows to read")
    plan: dict[str, dict[str, tuple[str, str]]] = {}
    depth_unit = next((u for u in depth_units.values() if u), "")
    if convert_units:
        targets, depth_unit, plan = _plan_conversions(
            unit_seen, depth_units, {w: part for w, part, _, _ in pending})
        units = {c: targets[c] for c in units}
    for well, part, label, path in pending:
        if well in plan:  # depths converted before sorting and the repeated-depth check
            part = _apply_conversions(part, plan[well])
        frames.append(_clean_depth(part, label, keep_rows, path))
    out = pd.concat(frames, ignore_index=True, sort=False)
    out = out.reindex(columns=["WELL", "DEPTH", *canon_first])
    if plan:
        warnings.warn(UnitConversionWarning(_conversion_message(plan), plan), stacklevel=2)
    # the unit each well's values are in now
    now = {c: {w: plan.get(w, {}).get(c, (u, u))[1] for w, u in per_well.items()}
           for c, per_well in unit_seen.items()}
    now_depth = {w: plan.get(w, {}).get("DEPTH", (u, u))[1] for w, u in depth_units.items()}
    conflicts = {
        c: wells for c, wells in now.items() if len({normalise_unit(u) for u in wells.values()}) > 1
    }
    if conflicts:
        warnings.warn(UnitConflictWarning(_conflict_message(conflicts), conflicts), stacklevel=2)
    kinds = {normalise_unit(u) for u in now_depth.values() if u}
    if len(kinds) > 1:
        depth_unit = ""
        warnings.warn("depth units differ between wells: " + units_by_well(now_depth)
                      + " (see df.attrs['depth_units']); convert the depths before comparing "
                      "wells or reading depth intervals", stacklevel=2)
    well_units: dict[str, dict[str, str]] = {}
    for c, per_well in unit_seen.items():
        for w, u in per_well.items():
            well_units.setdefault(w, {})[c] = u
    out.attrs = {
        "units": units,
        "well_units": well_units,
        "unit_conflicts": conflicts,
        "unit_conversions": plan,
        "depth_units": depth_units,
        "depth_unit": depth_unit,
        "sources": sources,
        "renamed": renamed,
    }
    return out


#: The ``attrs`` of a :func:`read_wells` frame that hold one entry per well.
PER_WELL_ATTRS = ("well_units", "unit_conversions", "depth_units", "sources", "renamed")


def attrs_of_well(attrs: dict, well: str | None) -> dict:
    """A :func:`read_wells` frame's ``attrs`` with the per-well entries of ``well`` alone: what
    one well's output needs. pandas deep-copies ``attrs`` into every frame derived from one, so
    a frame per well carrying every well's entries made writing a folder's outputs take time
    growing with the square of its wells."""
    out = dict(attrs)
    for key in PER_WELL_ATTRS:
        if isinstance(out.get(key), dict):
            out[key] = {well: out[key][well]} if well in out[key] else {}
    if isinstance(out.get("unit_conflicts"), dict):
        out["unit_conflicts"] = {c: {w: u for w, u in per.items() if w == well}
                                 for c, per in out["unit_conflicts"].items()}
    return out


__all__ = ["read_wells", "harmonise_columns", "RowOrderWarning", "UnitConflictWarning",
           "UnitConversionWarning"]
