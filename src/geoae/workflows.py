"""The work behind the ``geoae`` command line: recognise files, select curves, run, write.

Each function takes paths and plain options and returns a small summary dict, so the CLI stays a
thin layer (parse, call, print) and the same steps can be scripted from Python.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_path, file_keys, same_file
from ._validation import check, is_int
from .errors import ConfigError, DataError
from .io._files import sniff
from .preprocessing import empty_samples

MODEL_NAMES = {
    "ae": "AutoEncoder",
    "dae": "DenoisingAutoEncoder",
    "vae": "VariationalAutoEncoder",
    "sparse": "SparseAutoEncoder",
    "contractive": "ContractiveAutoEncoder",
}
ID_COLUMNS = ("WELL", "DEPTH")


@dataclass
class Table:
    """Tabular well data: the frame, the curve columns, and where it came from."""

    frame: pd.DataFrame
    kind: str
    path: Path
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def curves(self) -> list[str]:
        return [c for c in self.frame.columns if c not in ID_COLUMNS
                and pd.api.types.is_numeric_dtype(self.frame[c])]

    @property
    def units(self) -> dict[str, str]:
        """``{curve: unit}`` of the frame's values (LAS files, in the unit of most wells for a
        folder: see :func:`geoae.io.read_wells`; empty for a table)."""
        return self.attrs.get("units") or self.frame.attrs.get("units") or {}


def _id_renames(frame: pd.DataFrame, keep=()) -> dict[str, str]:
    """``{column: "WELL" or "DEPTH"}`` for a table's well-name and depth columns spelled
    otherwise ("Well Name", "Depth", "MD", ...), so that they are not taken for curves, whole
    wells make the validation split and outputs keep them; columns in ``keep`` (a model's
    curves) are left alone."""
    from .io.aliases import DEPTH_NAMES, WELL_NAMES, column_key

    out: dict[str, str] = {}
    for target, names in (("WELL", WELL_NAMES), ("DEPTH", DEPTH_NAMES)):
        if target in frame.columns:
            continue
        col = next((c for c in frame.columns if c not in keep and c not in out
                    and column_key(c) in names
                    and (target == "WELL" or pd.api.types.is_numeric_dtype(frame[c]))), None)
        if col is not None:
            out[col] = target
    return out


def _ids_to_model(frame: pd.DataFrame, keep=()) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` with its well and depth columns named WELL and DEPTH, and the renames."""
    ren = _id_renames(frame, keep)
    if not ren:
        return frame, ren
    frame = frame.rename(columns=ren)
    if "WELL" in ren.values():
        frame["WELL"] = frame["WELL"].astype(str)
    return frame, ren


def _ids_back(frame: pd.DataFrame, ren: dict[str, str]) -> pd.DataFrame:
    """An output frame with the input's own names for its well and depth columns."""
    return frame.rename(columns={v: k for k, v in ren.items()}) if ren else frame


def read_any_table(path: str | os.PathLike, keep=(), keep_rows: bool = False,
                   convert_units: bool = True) -> Table:
    """Read a LAS file, a folder of well files or a CSV/Parquet table into a :class:`Table`.

    LAS files keep their depth as a ``DEPTH`` column and the well name as ``WELL``; curve names
    are harmonised through the alias table (e.g. ``DTC`` -> ``DT``) for a file as for a folder.
    Their rows are sorted by depth and duplicate depths dropped (with a warning), unless
    ``keep_rows``: then every row stays, in the file's order (what a command whose output lies
    beside its input row by row needs; a table's rows always stay as they are), a table of a
    folder that holds several wells included (:func:`_in_file_order`); only rows without a
    depth are left out of a folder's (with the reader's warning).
    A table's well and depth columns spelled otherwise ("Well Name", "Depth") are named WELL
    and DEPTH (``attrs["renamed_ids"]`` holds the renames; columns in ``keep`` stay as they are).
    """
    from . import io

    p = Path(path)
    kind = sniff(p)
    if kind == "segy":
        raise DataError(f"{p}: this is a SEG-Y file; this command needs well logs or a table "
                        "(use `geoae denoise` for SEG-Y)")
    if kind == "folder":
        if convert_units:
            frame = io.read_wells(p, keep_rows=keep_rows)
        else:  # the caller converts (per well, see _model_input): no advice to convert first
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="(curve|depth) units differ between wells")
                frame = io.read_wells(p, keep_rows=keep_rows, convert_units=False)
            from .io.aliases import normalise_unit

            depths = {w: u for w, u in (frame.attrs.get("depth_units") or {}).items() if u}
            if len({normalise_unit(u) for u in depths.values()}) > 1:
                from .io.wells import units_by_well

                warnings.warn(f"{p}: depth units differ between wells ({units_by_well(depths)}"
                              + "); each well's depths, in the outputs too, stay in its file's unit",
                              UserWarning, stacklevel=2)
        return Table(_in_file_order(frame) if keep_rows else frame, kind, p)
    if kind == "las":
        # through read_wells, so that a single file gets the same curve aliases as a folder
        frame = io.read_wells([p], keep_rows=keep_rows)
        return Table(frame, kind, p, dict(frame.attrs))
    raw = io.read_table(p)
    from .io.aliases import DEPTH_NAMES, column_key, depth_unit_of_name
    from .io.tables import numeric_depth

    # the depth column (DEPTH, else the first spelled as one) as numbers: a '-' or '#VALUE!'
    # among its values made it text, and it failed later as an unexpected error
    dcol = "DEPTH" if "DEPTH" in raw.columns else next(
        (c for c in raw.columns if c not in keep and column_key(c) in DEPTH_NAMES), None)
    if dcol is not None and not pd.api.types.is_numeric_dtype(raw[dcol]):
        raw[dcol] = numeric_depth(raw[dcol], p, str(dcol))
    frame, ren = _ids_to_model(raw, keep)

    unit = next((depth_unit_of_name(c) for c, to in ren.items() if to == "DEPTH"), "")
    if unit:  # DEPTH_FT, DEPTH_M: the plots' depth axis and a LAS output's DEPT say it
        frame.attrs["index_unit"] = frame.attrs["depth_unit"] = unit
    return Table(frame, kind, p, {"renamed_ids": ren})


def _in_file_order(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`~geoae.io.read_wells` frame read with ``keep_rows``, with the rows of each table
    holding several wells back in the file's order (the reader gives such a table's wells one
    after the other). Only those tables are read again, to learn their row order."""
    from .io import read_table

    sources = frame.attrs.get("sources", {})
    wells_of: dict[str, list[str]] = {}
    for well, source in sources.items():
        wells_of.setdefault(source, []).append(well)
    order = None
    for source, wells in wells_of.items():
        if len(wells) < 2:  # one well (every LAS file): its rows are in the file's order
            continue
        with warnings.catch_warnings():  # said when the folder was read
            warnings.simplefilter("ignore")
            raw = read_table(source)
        pos = _source_rows(raw, source, frame)
        at = np.flatnonzero(frame["WELL"].isin(wells).to_numpy())
        mine = pos[pos >= 0]  # the reader's rows of this file, in the file's order
        if not np.array_equal(mine, at):
            order = np.arange(len(frame)) if order is None else order
            order[at] = mine
    if order is None:
        return frame
    out = frame.iloc[order].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def default_curves(table: Table) -> tuple[list[str], dict[str, str]]:
    """The curves used when none are named: every numeric curve but positions, depth-like
    columns, drilling and logging parameters and interpretations
    (:func:`geoae.io.aliases.non_curve_kind`), and those left out
    (``{column: "position" | "depth" | "drilling" | "label"}``)."""
    from .io.aliases import non_curve_kind

    kinds = {c: non_curve_kind(c) for c in table.curves}
    return [c for c, k in kinds.items() if k is None], {c: k for c, k in kinds.items() if k}


def _left_out(table: Table, use: list[str]) -> list[str]:
    """The columns the default curves left out: not measurements, or (``use`` lacks them) no
    reading at all."""
    kept, kinds = default_curves(table)
    return [*kinds, *(c for c in kept if c not in use)]


def select_curves(table: Table, curves: list[str] | None, fix: str = "") -> list[str]:
    """The curves to use: ``curves`` checked against the table, or (none named) the
    :func:`default_curves`, with a warning that names the columns left out."""
    available = table.curves
    if not curves:
        spoiled = _text_among_numbers(table)
        if spoiled:
            warnings.warn(f"{table.path}: left out of the default curves, as they hold text "
                          f"among their numbers: {'; '.join(spoiled.values())}; correct or "
                          "blank those values (a null marker that is text, such as N/A, "
                          "included) to use them", UserWarning, stacklevel=2)
        use, left = default_curves(table)
        what = ""
        if left:
            groups = {k: [c for c, kk in left.items() if kk == k] for k in dict.fromkeys(left.values())}
            what = "; ".join(f"{', '.join(cols)} ({_KIND_WORDS[k]})" for k, cols in groups.items())
        if not use:
            raise DataError(f"{table.path}: no numeric curves to use"
                            + (f" (left out by default: {what}; name them with --curves to use "
                               "them)" if left else ""))
        if left:
            warnings.warn(f"{table.path}: left out of the default curves, as they are not "
                          f"measurements: {what}; name them with --curves to use them",
                          UserWarning, stacklevel=2)
        # a curve declared in the header with no reading at all (common in real LAS files)
        empty = [c for c in use if not np.isfinite(
            pd.to_numeric(table.frame[c], errors="coerce").to_numpy(dtype=np.float64)).any()]
        if empty and len(empty) < len(use):
            warnings.warn(f"{table.path}: left out of the default curves, as they have no value "
                          f"(all null): {', '.join(map(str, empty))}", UserWarning, stacklevel=2)
            use = [c for c in use if c not in empty]
        return use
    missing = [c for c in curves if c not in table.frame.columns]
    if missing:
        import difflib

        near = {c: difflib.get_close_matches(c.upper(), [str(a).upper() for a in available], 1, 0.6)
                for c in missing}
        by_upper = {str(a).upper(): str(a) for a in available}
        guess = [f"{by_upper[m[0]]} for {c}" for c, m in near.items() if m]
        hint = f" (did you mean {', '.join(guess)}?)" if guess else ""
        raise DataError(f"curve(s) {missing} not found in {table.path}{hint}; available curves: "
                        f"{', '.join(available)}{fix}")
    bad = [c for c in curves if c not in available]
    if bad:
        spoiled = _text_among_numbers(table)
        why = "; ".join(spoiled[c] for c in bad if c in spoiled)
        raise DataError(f"curve(s) {bad} in {table.path} are not numeric"
                        + (f" ({why}): correct or blank those values" if why
                           else "; choose numeric curves"))
    return list(curves)


#: Text that means a missing or non-finite reading, not a spoiled number.
_BLANK_TEXT = ("", "nan", "na", "n/a", "inf", "-inf", "+inf")


def _text_among_numbers(table: Table) -> dict[str, str]:
    """``{column: "RHOB: 1 value such as '1,2' (data row 3)"}`` for the text columns of
    ``table`` whose values are nearly all numbers (at least 9 in 10, and 20 different ones: not
    a code column such as 1, 2, 2a): a curve spoiled by a few entries. Parsed once per distinct
    value; "nan", "NA", "N/A", "inf" count as missing."""
    from .io.aliases import non_curve_kind

    out = {}
    for c in table.frame.columns:
        col = table.frame[c]
        if c in ID_COLUMNS or non_curve_kind(str(c)) is not None \
                or pd.api.types.is_numeric_dtype(col) \
                or not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        text = col.dropna().astype(str).str.strip()
        distinct = pd.Series(text.unique())
        as_number = pd.to_numeric(distinct, errors="coerce")
        blank = distinct.str.lower().isin(_BLANK_TEXT)
        if int(as_number.notna().sum()) < 20:
            continue
        wrong_values = set(distinct[as_number.isna() & ~blank])
        if not wrong_values:
            continue
        given = ~text.str.lower().isin(_BLANK_TEXT)
        wrong = text.isin(wrong_values)
        n_given, n_wrong = int(given.sum()), int(wrong.sum())
        if n_given and n_wrong and n_wrong <= 0.1 * n_given:
            # the first one's position in the column (text holds the non-null rows only)
            first = int(np.flatnonzero(col.notna().to_numpy())[np.flatnonzero(wrong.to_numpy())[0]])
            out[str(c)] = (f"{c}: {n_wrong} value{'s' if n_wrong > 1 else ''} such as "
                           f"{col.iloc[first]!r} (data row {first + 1})")
    return out


_KIND_WORDS = {"position": "positions", "depth": "depths",
               "drilling": "drilling/logging parameters", "label": "labels/interpretations"}


def resolve_curve_names(table: Table, curves: list[str] | None,
                        option: str = "--curves") -> list[str] | None:
    """The columns of ``table`` that the user's ``--curves`` names mean (``option`` is the
    option named in the messages: ``--curve`` for impute's target).

    A name that is not a column is matched without regard to case (LAS mnemonics are
    case-insensitive: ``gr`` is ``GR``), then as a file's own mnemonic that the reader renamed
    through the alias table (``DTC``, ``AC`` -> ``DT``), then through the alias table itself; a
    name matched through an alias is said in one warning. Names that match nothing are returned
    as they are (:func:`select_curves` names them in its error); two names meaning one column
    are a :class:`DataError`.
    """
    if not curves:
        return curves
    from .io.aliases import canonical_name

    columns = [str(c) for c in table.frame.columns]
    renamed = table.frame.attrs.get("renamed") or {}  # {well: {file mnemonic: name read as}}
    out, via = [], []
    for name in curves:
        hit = name if name in columns else None
        if hit is None:
            same = [c for c in columns if c.upper() == name.upper()]
            hit = same[0] if len(same) == 1 else None
        if hit is None:
            read_as = sorted({new for names in renamed.values() for old, new in names.items()
                              if old.upper() == name.upper() and new in columns})
            canon = canonical_name(name)
            hit = (read_as[0] if len(read_as) == 1
                   else canon if not read_as and canon in columns and canon != name else None)
            if hit is not None:
                via.append(f"{name} as {hit}")
        out.append(hit if hit is not None else name)
    twice = sorted({c for c in out if out.count(c) > 1})
    if twice:
        raise DataError(f"{option} names {', '.join(twice)} more than once in {table.path} ("
                        f"{', '.join(curves)}); name each curve once")
    if via:
        warnings.warn(f"{table.path}: {option} {', '.join(via)} (the name its curve is read as "
                      "in geoae, through the alias table)", UserWarning, stacklevel=3)
    return out


def _say_sparse_curves(table: Table, use: list[str]) -> None:
    """Warn, for training on several wells, about the curves of ``use`` that have no reading
    in more than half of them: the model learns such a curve from a few wells only."""
    frame = table.frame
    if "WELL" not in frame.columns or not use:
        return
    readings = _readings_by_well(frame[use], frame["WELL"].to_numpy())
    n = len(readings)
    if n < 3:
        return
    said = []
    for i, c in enumerate(use):
        lacking = [w for w, v in readings.items() if not v[i]]
        if 2 * len(lacking) > n:
            named = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5
                                              else "")
            said.append(f"{c} in {len(lacking)} of {n} wells ({named})")
    if said:
        it = "it" if len(said) == 1 else "them"
        warnings.warn(f"{table.path}: no reading of {'; '.join(said)}: the model learns {it} "
                      f"from the other wells alone (--curves without {it} leaves {it} out)",
                      UserWarning, stacklevel=3)


def parse_curves(text: str | None) -> list[str] | None:
    """``"GR, RHOB,NPHI"`` -> ``["GR", "RHOB", "NPHI"]``; None or empty -> None."""
    if not text:
        return None
    return [c.strip() for c in text.split(",") if c.strip()]


# ---------------------------------------------------------------- outputs
def check_output(out: str | os.PathLike, inputs: list[str | os.PathLike], force: bool) -> Path:
    """Refuse an output equal to an input, or an existing output without ``force``."""
    from ._persistence import folder_kind

    out_p = Path(out)
    for inp in inputs:
        if same_file(out_p, inp):
            what = "the input file" if not Path(inp).is_dir() else (
                "the model folder" if folder_kind(inp) is not None else "the input folder")
            raise DataError(f"--out {out_p} is {what}; choose another --out, a file name "
                            "(geoae never overwrites its inputs)")
        if Path(inp).is_dir() and out_p.resolve().parent == Path(inp).resolve():
            if out_p.is_file():
                raise DataError(f"output {out_p} is a file of the input folder {inp} (e.g. the "
                                "model's weights); choose another --out (geoae never overwrites "
                                "its inputs)")
            if folder_kind(inp) is None:  # a data folder (a model folder's files are not read)
                raise DataError(f"output {out_p} would be written into the input folder {inp}, "
                                "and the next command given that folder would read it as a "
                                "well; choose an --out outside it")
    if out_p.is_dir():
        raise DataError(f"output {out_p} is a folder; give a file name (e.g. {out_p / 'out.csv'})")
    if out_p.exists() and not force:
        raise DataError(f"output {out_p} exists; pass --force to replace it")
    if not out_p.parent.exists():
        raise DataError(f"folder {out_p.parent} of the output does not exist; create it first")
    check_writable(out_p.parent)
    return out_p


def check_writable(folder: str | os.PathLike) -> None:
    """A :class:`DataError` when ``folder`` (or, when it does not exist yet, its nearest existing
    parent) cannot be written to: a read-only filesystem or no permission. Checked before any
    work, so that a long run does not end in an error at its first write."""
    import tempfile

    here = Path(folder).absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    # a file is made and removed: os.access ignores a folder's permissions on Windows (and
    # read-only mounts, ACLs and quotas elsewhere may say yes while a write fails)
    try:
        with tempfile.TemporaryFile(dir=here, prefix=".geoae-write-check."):
            pass
    except OSError:
        raise DataError(f"folder {here} is not writable (read-only or no permission); choose an "
                        "--out you can write to") from None


#: Output names of formats other than a table: a table written there would be mislabelled.
_NOT_TABLES = (".npy", ".npz", ".sgy", ".segy", ".png", ".html")
_TABLE_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet",
                  ".pq": "parquet", ".parq": "parquet", ".las": "las"}


def table_format(out: str | os.PathLike) -> str:
    """How a table output is written, from its name: ``"csv"`` (``.csv``, ``.txt``), ``"tsv"``
    (``.tsv``, tab-separated), ``"parquet"`` (``.parquet``, ``.pq``, ``.parq``) or ``"las"``
    (``.las``). Any other name is a :class:`DataError` (call this before any work): another
    format's (``.npy``, ``.sgy``, ``.png``, ...), an unknown one (``.xlsx``) or none."""
    suffix = Path(out).suffix.lower()
    if suffix in _NOT_TABLES:
        raise DataError(f"--out {out}: this command writes a table, not a {suffix} file; give a "
                        ".csv, .parquet or .las name")
    if suffix in _TABLE_FORMATS:
        if _TABLE_FORMATS[suffix] == "parquet":
            try:  # refused before any work, not after a training of minutes
                import pyarrow  # noqa: F401
            except ImportError:
                raise DataError(f"--out {out}: writing Parquet needs pyarrow: pip install "
                                "'geoae[parquet]', or give a .csv name") from None
        return _TABLE_FORMATS[suffix]
    what = f"geoae does not write {suffix} files" if suffix else "the name has no suffix"
    raise DataError(f"--out {out}: {what}; end the name in one of {', '.join(_TABLE_FORMATS)} "
                    "(the suffix sets the table's format)")


def check_las_output(table: Table, out: str | os.PathLike) -> None:
    """Refuse a ``.las`` ``out`` that cannot hold ``table``'s rows (a LAS file is one well,
    indexed by depth): no depth column, rows without a depth, or several wells. Call it before
    any work; other names pass."""
    if table_format(out) != "las":
        return
    frame, fix = table.frame, "; give --out a .csv or .parquet name"
    if "DEPTH" not in frame.columns:
        raise DataError(f"--out {out}: a LAS file is indexed by depth, and {table.path} has no "
                        f"depth column{fix}")
    missing = int((~np.isfinite(pd.to_numeric(frame["DEPTH"], errors="coerce"))).sum())
    if missing:
        raise DataError(f"--out {out}: {missing} row(s) of {table.path} have no depth, and a LAS "
                        f"file is indexed by depth{fix}")
    wells = pd.unique(frame["WELL"]) if "WELL" in frame.columns else []
    if len(wells) > 1:
        names = ", ".join(map(str, wells[:3])) + (", ..." if len(wells) > 3 else "")
        raise DataError(f"--out {out}: a LAS file holds one well, and {table.path} holds "
                        f"{len(wells)} ({names}){fix}, or give one well at a time")


def write_frame(df: pd.DataFrame, out: str | os.PathLike, *, template=None, units=None,
                descriptions=None) -> Path:
    """Write a table atomically in the format its name asks for (:func:`table_format`): CSV,
    tab-separated, Parquet, or LAS through :func:`geoae.io.write_las` (one well with a
    ``DEPTH`` column, the ``WELL`` column its name; ``template``, ``units`` and
    ``descriptions`` as there)."""
    out = Path(out)
    fmt = table_format(out)
    if fmt == "las":
        from .io import write_las

        return write_las(df, out, template=template, units=units, descriptions=descriptions)
    with atomic_path(out) as tmp:
        if fmt == "parquet":
            try:
                df.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise DataError("writing Parquet needs pyarrow: pip install 'geoae[parquet]', "
                                "or write .csv") from exc
        else:
            df.to_csv(tmp, index=False, sep="\t" if fmt == "tsv" else ",")
    return out


def _write_output(result: pd.DataFrame, out: Path, table: Table, units=None,
                  descriptions=None) -> None:
    """Write a command's ``result`` (one row per row of ``table``, the input) to ``out``.

    As LAS (checked beforehand by :func:`check_las_output`), a LAS input is the template: every
    header and curve of it is kept, and the columns ``result`` adds or changes are appended (or
    replace the template's curve of that name, e.g. ``GR_RECON`` of an earlier run); another
    input gives every column. As a table, the well and depth columns keep the input's own names.
    """
    if table_format(out) != "las":
        write_frame(_ids_back(result, table.attrs.get("renamed_ids", {})), out)
        return
    # a LAS file holds numbers: text columns of a table (a formation name, say) would be
    # written quoted, which lasio reads and a strict LAS 2.0 reader misreads as extra columns
    text = [c for c in result.columns if c not in ("WELL", "DEPTH")
            and not pd.api.types.is_numeric_dtype(result[c])  # bool is written as 0/1
            and not result[c].isna().all()]
    if text:
        warnings.warn(f"--out {out}: text column(s) {text} of {table.path} are not written (a LAS "
                      "curve holds numbers); write a .csv or .parquet to keep them",
                      UserWarning, stacklevel=3)
        result = result.drop(columns=text)
    if table.kind == "las":
        given = table.frame.reset_index(drop=True)
        new = [c for c in result.columns if c != "DEPTH" and not (
            c in given.columns and result[c].reset_index(drop=True).equals(given[c]))]
        described = {**_described(new, _file_names(table)), **(descriptions or {})}
        result, new, described = _keep_their_curves(result, new, described, table, out)
        write_frame(_as_float32(result[["DEPTH", *new]], new), out, template=table.path,
                    units=units, descriptions=described)
    else:
        new = [c for c in result.columns if c not in table.frame.columns]
        write_frame(_as_float32(result, new), out, units=units,
                    descriptions={**_described(new, _file_names(table)), **(descriptions or {})})


def _keep_their_curves(result, new, described, table, out):
    """A curve of the input LAS file that a command's output column would replace, but that
    geoae did not write (a vendor's ``FLAG`` or ``INVALID`` QC curve, say: its description is
    not geoae's), is kept; geoae's column is written as ``<NAME>_GEOAE`` instead, with a
    warning. A curve of an earlier geoae run (``GR_RECON``, ``FLAG``, ... described by geoae)
    is replaced as before."""
    present = set(map(str, table.frame.columns))
    if not any(c in present for c in new):
        return result, new, described
    from .io import read_las

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # read once already, with its warnings
        theirs = read_las(table.path).attrs.get("descriptions", {}) or {}
    clash = [c for c in new if c in present and c in theirs
             and str(theirs.get(c, "")).strip() != str(described.get(c, "")).strip()
             and "geoae" not in str(theirs.get(c, "")).lower()]
    if not clash:
        return result, new, described
    rename = {}
    for c in clash:
        name, n = f"{c}_GEOAE", 1
        # an earlier run's <NAME>_GEOAE (described as geoae's) is replaced, like GR_RECON
        while (name in present and str(theirs.get(name, "")).strip()
               != str(described.get(c, "")).strip()) or (name in result.columns and name not in present):
            n += 1
            name = f"{c}_GEOAE{n}"
        rename[c] = name
    said = ", ".join(f"{c} ({theirs.get(c) or 'no description'!r})" for c in clash)
    warnings.warn(f"--out {out}: {table.path} already has curve(s) {said} that geoae did not write; "
                  f"they are kept, and geoae's are written as {', '.join(rename.values())}",
                  UserWarning, stacklevel=4)
    described = {rename.get(c, c): v for c, v in described.items()}
    result = result.drop(columns=[v for v in rename.values() if v in result.columns])
    new = [c for c in new if c not in rename.values()]
    return result.rename(columns=rename), [rename.get(c, c) for c in new], described


#: LAS curve descriptions of the columns the commands add, by name pattern.
_DESCRIPTIONS = (
    (re.compile(r"LATENT_(\d+)$"), "geoae latent code, dimension {0}"),
    (re.compile(r"(.+)_RECON$"), "{0} rebuilt by the geoae auto-encoder"),
    (re.compile(r"RECON_ERROR$"), "geoae reconstruction error (mean squared, scaled units)"),
    (re.compile(r"ANOMALY_SCORE$"), "geoae anomaly score (mean squared robust z-score)"),
    (re.compile(r"FLAG$"), "geoae anomaly flag (1 = flagged)"),
    (re.compile(r"INVALID$"), "1 where a reading is impossible (its curve is named in _intervals.csv)"),
    (re.compile(r"(.+)_SHARE$"), "share of the anomaly score from {0}"),
    (re.compile(r"CONTEXT_(\d+)$"), "geoae context code (what the neighbours add), dimension {0}"),
)


def _described(columns, source: dict[str, str] | None = None) -> dict[str, str]:
    """``{column: description}`` for the columns of :data:`_DESCRIPTIONS` among ``columns``; a
    curve that the file calls otherwise (``source``: ``{name read as: file mnemonic}``, e.g.
    ``{"DT": "AC"}``) is named both ways ("share of the anomaly score from DT (AC in the
    file)")."""
    source = source or {}
    out = {}
    for c in map(str, columns):
        for pattern, text in _DESCRIPTIONS:
            m = pattern.match(c)
            if m:
                groups = [f"{g} ({source[g]} in the file)" if g in source else g
                          for g in m.groups()]
                out[c] = text.format(*groups)
                break
    return out


def _file_names(table: Table) -> dict[str, str]:
    """``{name read as: the file's mnemonic}`` for the curves the reader renamed through the
    alias table (``AC`` read as ``DT``), where every well of ``table`` agrees."""
    renamed = table.frame.attrs.get("renamed") or {}
    found: dict[str, set[str]] = {}
    for names in renamed.values():
        for old, new in names.items():
            found.setdefault(str(new), set()).add(str(old))
    return {new: next(iter(olds)) for new, olds in found.items() if len(olds) == 1}


def _as_float32(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``frame`` with its float ``columns`` (what a network computed) as float32, the precision
    they were computed in, so that a LAS file gets ``0.1234567`` rather than 17 digits."""
    cols = [c for c in columns if pd.api.types.is_float_dtype(frame[c])]
    return frame.astype({c: np.float32 for c in cols}) if cols else frame


def _load(model_dir):
    """A model folder's estimator, without :func:`geoae.load`'s log10 reminder: the commands
    apply ``transforms.json`` themselves."""
    from ._persistence import load_model

    return load_model(model_dir)


def _log10_for(frame: pd.DataFrame, use: list[str]) -> list[str]:
    """Resistivity-like curves among ``use`` (RT, ILD, LLD, RDEP, MSFL, ...; not ``*_log10``):
    log-normally distributed, so a model sees them as log10."""
    from .preprocessing import _resistivity_columns

    return _resistivity_columns(frame[use], None) if use else []  # no curves: a SEG-Y stream


#: Beside the checkpoint of a ``geoae train`` run in progress (or interrupted): the record
#: (``transforms.json``'s content) of the run the checkpoint belongs to. The folder's own
#: ``transforms.json`` is the saved model's, replaced only with the model; this one goes then.
RUN_TRANSFORMS_FILE = "checkpoint.transforms.json"


def _write_transforms(model_dir: Path, log10: list[str], units: dict[str, str] | None = None,
                      name: str | None = None, dt: float | None = None) -> None:
    """``transforms.json`` (or ``name``): the curves modelled as log10, the unit of each
    curve's values and, for a model of SEG-Y traces, their sample interval (``dt``, ms). Rank 0
    alone writes, atomically."""
    import json

    from . import distributed as _dist
    from ._atomic import atomic_write_text
    from ._persistence import TRANSFORMS_FILE

    if _dist.is_main_process():
        model_dir.mkdir(parents=True, exist_ok=True)
        record = {"log10": list(log10), "units": dict(units or {})}
        if dt is not None:
            record["sample_interval_ms"] = float(dt)
        atomic_write_text(model_dir / (name or TRANSFORMS_FILE), json.dumps(record) + "\n")


def _checkpoint_log10(model_dir: Path) -> list[str]:
    """The log10 curves of the checkpoint in ``model_dir``: its run's record, else (a folder of
    an older geoae, or no run in progress) the model's ``transforms.json``."""
    from ._persistence import read_log10_record

    record = model_dir / RUN_TRANSFORMS_FILE
    if not record.is_file():
        return _read_transforms(model_dir)
    return read_log10_record(record, "start over with --force instead of --resume")


def _record_lost(model_dir: Path) -> bool:
    """Whether the checkpoint in ``model_dir`` has lost its run's record: no
    ``checkpoint.transforms.json``, and the checkpoint is newer than the folder's
    ``transforms.json`` (a finished run writes that one last and drops its run record)."""
    from ._persistence import TRANSFORMS_FILE
    from .training import CHECKPOINT_FILE

    if (model_dir / RUN_TRANSFORMS_FILE).is_file():
        return False
    try:
        ckpt = (model_dir / CHECKPOINT_FILE).stat().st_mtime_ns
        return ckpt > (model_dir / TRANSFORMS_FILE).stat().st_mtime_ns
    except OSError:
        return True


def _model_input(X: pd.DataFrame, table: Table, model_dir, said: set | None = None) -> pd.DataFrame:
    """``X`` (the model's curves, row ``i`` from row ``i`` of ``table.frame``, in the input's
    units) in the units the model in ``model_dir`` was trained on.

    Each well's units are those its values are in now: its file's (``attrs["well_units"]``)
    unless :func:`geoae.io.read_wells` converted it (``attrs["unit_conversions"]``; a frame
    read with ``convert_units=False`` has none, as has a table), else ``table.units``. A curve
    whose unit differs from the one the model recorded is converted where
    :func:`geoae.io.units.convert_units` can (one warning lists the conversions) and used as it
    is, with a warning, where it cannot; for a model that recorded no unit (trained on a table,
    or before geoae recorded units), the wells of a folder that disagree are converted to the
    unit of most wells (a guess, said in the warning). ``X.attrs["unit_conversions"]`` gets
    ``{curve: [(well, input unit, model unit), ...]}`` (well ``""``: every row) so that a
    command can give values back in the input's units (:func:`_unit_rows`). Warnings are given
    once per ``said`` set. The input is not changed."""
    from ._persistence import read_curve_units
    from .io.units import convert_units
    from .io.wells import _unit_plan

    trained = read_curve_units(model_dir)
    frame = table.frame
    well_units = frame.attrs.get("well_units") or {}
    converted = frame.attrs.get("unit_conversions") or {}
    wells = (frame["WELL"].astype(str).to_numpy() if "WELL" in frame.columns and well_units
             else None)
    done: dict[str, list[tuple[str, str, str]]] = {}
    said_items: dict[tuple[str, str, str], list[str]] = {}
    unknown: list[str] = []
    guessed = False
    for c in X.columns:
        if wells is not None:  # the unit each well's values are in now
            per_well = {w: converted.get(w, {}).get(c, ("", well_units.get(w, {}).get(c, "")))[1]
                        for w in pd.unique(wells)}
        else:
            per_well = {"": table.units.get(c, "")}
        # the model's unit; with no record, the unit of most wells
        want, convert, stuck = _unit_plan(per_well, trained.get(c, ""))
        guessed = guessed or (bool(convert) and not trained.get(c))
        for w, (have, _) in convert.items():
            done.setdefault(c, []).append((w, have, want))
            said_items.setdefault((c, have, want), []).append(w)
        unknown += [f"{c} in {have!r}{f' (well {w})' if w else ''} (the model's: {want!r})"
                    for w, have in stuck.items()]
    first = said is None or "units" not in said
    if said is not None and (unknown or done):
        said.add("units")
    if unknown and first:
        warnings.warn(f"{table.path}: units differ from the model's and cannot be converted: "
                      f"{'; '.join(unknown)}; the values are used as they are: check them",
                      UserWarning, stacklevel=3)
    if not done:
        return X
    if first:
        items = []
        for (c, have, want), ws in said_items.items():
            named = [w for w in ws if w]
            where = f" ({'wells' if len(named) > 1 else 'well'} {', '.join(named[:8])})" if named else ""
            items.append(f"{c} {have} -> {want}{where}")
        target = ("the unit of most wells (a guess: the model recorded no units)" if guessed
                  else "the units the model was trained on")
        warnings.warn(f"{table.path}: converted to {target}: " + "; ".join(items)
                      + " (outputs in the curves' units are given back in the input's)",
                      UserWarning, stacklevel=3)
    X = X.copy()
    rows_of = _rows_by_well(wells)
    for c, groups in done.items():
        values = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64, copy=True)
        for w, have, want in groups:
            rows = _unit_rows(rows_of, w, len(X))
            values[rows] = convert_units(values[rows], have, want)
        X[c] = values
    X.attrs["unit_conversions"] = done
    return X


def _rows_by_well(wells: np.ndarray | None) -> dict[str, np.ndarray] | None:
    """``{well: row positions}`` of ``wells`` (one name per row), for :func:`_unit_rows`;
    None without wells."""
    from .preprocessing import well_rows

    return None if wells is None else {str(w): idx for w, idx in well_rows(len(wells), wells)}


def _unit_rows(rows_of: dict[str, np.ndarray] | None, well: str, n: int) -> np.ndarray:
    """The positions of the rows of ``well`` (``""``: every row) in :func:`_rows_by_well`'s
    grouping (None: every row). Grouped once per command: a comparison of every row per well
    and curve took seconds on a folder of 400 wells."""
    if not well or rows_of is None:
        return np.arange(n)
    return rows_of.get(str(well), np.empty(0, dtype=np.int64))


def _read_transforms(model_dir) -> list[str]:
    from ._persistence import read_log10_curves

    return read_log10_curves(model_dir)


def _to_model_units(X: pd.DataFrame, log10: list[str]) -> pd.DataFrame:
    """``X`` with the model's log10 curves transformed (non-positive values become NaN, with a
    warning that names the curve)."""
    from .preprocessing import log10_curves

    cols = [c for c in log10 if c in X.columns]
    return log10_curves(X, cols) if cols else X


def _from_model_units(values: np.ndarray, name: str, log10: list[str]) -> np.ndarray:
    return np.power(10.0, values) if name in log10 else values


# ---------------------------------------------------------------- commands
#: ``geoae train`` warns below this many rows of logs (a tiny sample file, a wrong file).
FEW_ROWS = 50


def train(data, out, *, model: str = "ae", curves=None, latent: int | None = None,
          backbone: str = "dense",
          epochs: int = 200, hidden=None, random_state: int | None = 0, verbose: bool = False,
          force: bool = False, resume: bool = False, grad_clip: float | None = None,
          log10: bool = True, checkpoint_every: int = 10, **params) -> dict[str, Any]:
    """Fit a model on the curves of ``data`` and save it to the folder ``out``.

    Training writes ``out/checkpoint.safetensors`` every ``checkpoint_every`` epochs (with its run's
    ``checkpoint.transforms.json``); ``resume=True`` continues from it after a crash (same data
    and options), ending with the same weights on CPU. A model already in ``out`` (``force``)
    stays as it is until the new one is complete, then its files are replaced; a run that fails
    leaves ``out`` as it found it (a folder it made is removed), but for a checkpoint it wrote.
    With ``log10`` (the default) resistivity-like curves are modelled as log10, as
    petrophysicists do (they are log-normal; a model of raw ohm.m generates negative ones); the
    folder's ``transforms.json`` records them, and the other commands apply it and give curves
    back in their own units. Without ``curves`` the :func:`default_curves` are used: positions,
    depth-like columns, drilling and logging parameters and labels are left out (named in a
    warning and in ``left_out``). ``latent`` defaults to 4; for a plain auto-encoder
    (``model="ae"``) on well curves, to at most one less than the number of curves, so that the
    code is a bottleneck (a code as wide as the input can copy it).
    """
    from . import models
    from ._persistence import TRANSFORMS_FILE
    from .training import CHECKPOINT_FILE

    if model not in MODEL_NAMES:
        raise ConfigError(f"--model {model!r} is not known; use one of {', '.join(MODEL_NAMES)}")
    if resume and force:
        raise ConfigError("--resume continues the run whose checkpoint is in --out, --force "
                          "starts over (replacing the model there when the new one is done): "
                          "give one of them")
    vae_only = [f"--{k}" for k in ("beta", "prior") if k in params]
    if vae_only and model != "vae":
        verb = "apply" if len(vae_only) > 1 else "applies"
        raise ConfigError(f"{' and '.join(vae_only)} {verb} to --model vae only, not --model {model}")
    from . import distributed as _dist

    # under torchrun: join the group before reading anything, so that a rank that fails (a bad
    # file in one machine's copy of the data) stops the others instead of leaving them waiting
    _dist.init_from_env()
    out_p = Path(out)
    cls = models.ESTIMATORS[MODEL_NAMES[model]]
    kwargs = dict(latent_dim=4 if latent is None else latent, backbone=backbone, epochs=epochs,
                  random_state=random_state,
                  verbose=verbose, **params)
    if hidden is not None:
        kwargs["hidden"] = tuple(hidden)

    def check_folder():
        if out_p.exists() and not out_p.is_dir():
            raise DataError(f"--out {out_p} is a file; give a folder name for the model")
        inside = Path(data).resolve()
        if inside == out_p.resolve() or out_p.resolve() == inside.parent:
            raise DataError(f"--out {out_p} holds the input {data}: the model's files would be "
                            "written among (or over) the data; give the model a folder of its own")
        # a folder holding only transforms.json (or the run's checkpoint.transforms.json: a run
        # killed before its first checkpoint) is what a run that failed before training leaves
        if (out_p.exists()
                and any(f.name not in (TRANSFORMS_FILE, RUN_TRANSFORMS_FILE, TRAIN_LOCK_FILE)
                        for f in out_p.iterdir())
                and not (force or resume)):
            from .models import CONFIG_FILE

            # a finished run keeps its last checkpoint but not its run record; a run in progress
            # (or killed) has the record, or (an older geoae) a checkpoint and no model yet
            unfinished = (out_p / RUN_TRANSFORMS_FILE).is_file() or (
                (out_p / CHECKPOINT_FILE).is_file() and not (out_p / CONFIG_FILE).is_file())
            if unfinished:
                raise DataError(f"model folder {out_p} holds the checkpoint of an unfinished run; "
                                "pass --resume to continue it (same data and options), or --force "
                                "to start over")
            raise DataError(f"model folder {out_p} exists and is not empty; pass --force to replace it")
        check_writable(out_p)

    def read():  # no collective call in here: on_every_rank votes after it
        kind = sniff(data)  # a missing or unreadable input is reported before anything else
        if _dist.is_main_process():  # the folder rank 0 alone writes (other machines may lack it)
            check_folder()
        cls(**kwargs)._check_params()  # bad options fail before the folder is touched
        check(is_int(checkpoint_every) and checkpoint_every >= 1, "checkpoint_every",
              checkpoint_every, "a positive number of epochs")  # as fit() would, but now
        if backbone == "conv2d":
            raise ConfigError("--backbone conv2d models 2-D patches (a seismic section or an image "
                              "cut into tiles), which the command line does not make from its "
                              "inputs; use the Python API (backbone='conv2d' on (n, channels, "
                              "height, width) arrays), or --backbone dense (logs, tables, SEG-Y) or "
                              "conv1d (SEG-Y traces)")
        if backbone == "conv1d" and kind != "segy":
            raise ConfigError(f"--backbone conv1d models SEG-Y traces; the well logs or table "
                              f"{data} are modelled depth sample by depth sample: use --backbone "
                              "dense. For windows of logs along depth use the Python API "
                              "(backbone='conv1d' on windows from "
                              "geoae.preprocessing.make_windows, or AnomalyDetector(model, "
                              "window=...))")
        if kind == "segy":  # traces streamed chunk by chunk (memory bounded by the chunk)
            from .streaming import SegyTraces

            if curves:
                raise ConfigError(f"--curves applies to well logs and tables; a SEG-Y file "
                                  f"({data}) is modelled on its traces: leave --curves out")
            traces = SegyTraces(data)
            world = _dist.world_size()
            if world > 1 and len(traces) < 2 * world * traces.chunk_traces:
                # every process needs chunks of its own: about 4 each on a small file
                traces = SegyTraces(data, chunk_traces=max(1, -(-len(traces) // (4 * world))))
            return None, [], traces, []
        table = _read_for_curves(data, curves)
        use = select_curves(table, resolve_curve_names(table, curves))
        left_out = [] if curves else _left_out(table, use)
        if _dist.is_main_process():
            _say_sparse_curves(table, use)
        return table, use, table.frame[[*use, *(["WELL"] if "WELL" in table.frame.columns else [])]], \
            left_out

    table, use, X, left_out = _dist.on_every_rank(read, f"to read {data} (or to check --out {out_p})")
    if latent is None and model == "ae" and use:  # a bottleneck, however few the curves
        width = max(1, min(4, len(use) - 1))
        if resume:  # a checkpoint of a geoae from before this default (4) resumes as it was
            found = _checkpoint_latent(out_p) if _dist.is_main_process() else 0
            width = _dist.broadcast_int(found) or width
        kwargs["latent_dim"] = width
    logs = _log10_for(X, use) if log10 else []
    # [] when absent (a folder of an older geoae: raw curves); only a resumed run reads it
    recorded = _dist.on_every_rank(lambda: _checkpoint_log10(out_p) if resume else [],
                                   f"to read the checkpoint record in {out_p}")
    # rank 0's view decides (machines without a shared filesystem see no checkpoint elsewhere)
    if _dist.broadcast_int(int(resume and (out_p / CHECKPOINT_FILE).is_file()
                               and recorded != logs)):
        if _record_lost(out_p):  # its record is gone: say so
            raise ConfigError(
                f"the checkpoint in {out_p} has no {RUN_TRANSFORMS_FILE} beside it (deleted or "
                f"not copied), so geoae cannot tell which curves it took as log10 (the folder's "
                f"model says {recorded}, this run would use {logs}); start over with --force")
        raise ConfigError(f"the checkpoint in {out_p} was trained with log10 curves {recorded}, "
                          f"this run would use {logs}; resume with "
                          f"{'--log10' if recorded else '--no-log10'}, or start over with --force")

    def to_model_units():
        X_model = _to_model_units(X, logs)
        if use:
            _check_observed(table, X[use], X_model[use])
        return X_model

    X = _dist.on_every_rank(to_model_units, f"to read {data}")
    if table is not None and len(X) < FEW_ROWS and _dist.is_main_process():
        warnings.warn(f"{data}: only {len(X)} row(s) to train on; a model learns little from so "
                      "few depth samples (a well's logs hold thousands): check that this is the "
                      "file you meant", UserWarning, stacklevel=2)
    _dist.barrier()  # every rank has checked the folder before rank 0 writes into it
    units = {} if table is None else {c: u for c, u in table.units.items() if c in use and u}
    # The folder's model (config, weights, transforms.json) stays as it is until the new one is
    # complete: training checkpoints into the folder (where --resume finds it), with its run's
    # record beside it, and the finished model replaces the old files at the end. A failed run
    # leaves the folder as it found it, but for a checkpoint it wrote (kept for --resume).
    main = _dist.is_main_process()
    dt = segy_sample_interval(data) if table is None else None
    lock = _TrainLock(out_p) if main else None
    created = not out_p.exists()
    # another geoae train writing this folder is refused, before any change (rank 0 holds the
    # lock; under torchrun its refusal stops every rank instead of leaving them waiting)
    def lock_and_check() -> None:
        if lock is None:
            return
        lock.acquire()
        try:  # again, under the lock: another run may have finished into it since read()
            check_folder()
        except BaseException:
            lock.release()
            raise

    _dist.on_every_rank(lock_and_check, f"to lock the model folder {out_p}")
    undo = _RunUndo(out_p, created) if main else None
    try:
        _write_transforms(out_p, logs, units, name=RUN_TRANSFORMS_FILE)
        est = cls(**kwargs).fit(X, checkpoint_dir=out_p, resume=resume, grad_clip=grad_clip,
                                checkpoint_every=checkpoint_every)
        if main:
            _replace_model(est, out_p, logs, units, dt)
    except BaseException:
        if lock is not None:
            lock.release()
        if undo is not None:
            undo()
        raise
    if lock is not None:
        lock.release()
    h = est.history_
    return {"model": cls.__name__, "latent_dim": int(est.latent_dim), "curves": use,
            "left_out": left_out, "log10_curves": logs,
            "rows": len(X),
            "epochs_run": len(h["loss"]),
            "best_epoch": h["best_epoch"][0] + 1, "train_loss": h["loss"][-1],
            "val_loss": h.get("val_loss", [None])[-1], "out": str(out_p)}


def _check_observed(table: Table, raw: pd.DataFrame, model: pd.DataFrame) -> None:
    """Refuse curves with no value to learn from: all null in ``raw``, or (log10 curves) with
    no positive value; the message names them and the ``--curves`` that leave them out."""
    def seen(frame: pd.DataFrame) -> pd.Series:
        return frame.apply(lambda col: bool(np.isfinite(pd.to_numeric(col, errors="coerce")).any()))

    has_raw, has_model = seen(raw), seen(model)
    if has_model.all():
        return
    null = [c for c in raw.columns if not has_raw[c]]
    nonpos = [c for c in raw.columns if has_raw[c] and not has_model[c]]
    usable = [c for c in raw.columns if has_model[c]]
    why = []
    if null:
        why.append(f"curve(s) {', '.join(null)} have no value (all null)")
    if nonpos:
        why.append(f"curve(s) {', '.join(nonpos)} have no positive value to model as log10 "
                   "(resistivity; or train with --no-log10)")
    fix = (f"leave them out with --curves {','.join(usable)}" if usable else
           "no other curve has a value to learn from")
    raise DataError(f"{table.path}: {'; '.join(why)}; {fix}")


def _checkpoint_latent(out_p: Path) -> int:
    """The code width of the checkpoint in ``out_p`` (its recorded ``latent_dim``, else the
    shape of its encoder's last layer); 0 when there is none or it cannot be read (the resume
    itself then says why)."""
    import json

    from safetensors import safe_open

    from .training import CHECKPOINT_FILE

    path = out_p / CHECKPOINT_FILE
    if not path.is_file():
        return 0
    try:
        with safe_open(str(path), "pt") as fh:
            meta = json.loads((fh.metadata() or {}).get("geoae", "{}"))
            width = (meta.get("params") or {}).get("latent_dim")
            if not (isinstance(width, int) and width >= 1) and "model.encoder.out.weight" in fh.keys():
                width = int(fh.get_slice("model.encoder.out.weight").get_shape()[0])
    except Exception:  # noqa: BLE001 - a damaged checkpoint: the resume reports it
        return 0
    return width if isinstance(width, int) and width >= 1 else 0


#: In a model folder while a ``geoae train`` writes into it: its process and machine.
TRAIN_LOCK_FILE = ".geoae-train.lock"
#: This process, told apart from an earlier one that had the same process number.
_PROCESS_TOKEN = uuid.uuid4().hex


class _TrainLock:
    """A lock file in the model folder for the time a ``geoae train`` writes into it: a second
    run into the same folder is refused instead of both writing (the last to finish winning).
    A lock left by a run that died on this machine (its process is gone) is taken over."""

    def __init__(self, out: Path) -> None:
        self.path, self.held = out / TRAIN_LOCK_FILE, False

    def acquire(self) -> None:
        import json
        import socket
        import time

        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "process": _PROCESS_TOKEN}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except (FileExistsError, PermissionError) as exc:
                if not self.path.exists():  # no permission to write there (not a lock held)
                    raise DataError(f"cannot write into the model folder {self.path.parent} "
                                    f"({exc.strerror or exc}); choose an --out you can write "
                                    "to") from None
                try:
                    other = json.loads(self.path.read_text(encoding="utf-8"))
                    pid, host = int(other["pid"]), str(other["host"])
                except (OSError, ValueError, KeyError, TypeError):
                    other, pid, host = {}, -1, ""
                # its run died (kill -9, out of memory); a lock naming this process number but
                # not this process was left by an earlier one (PID 1 in a container, restarted);
                # another train in this very process (a thread) holds it
                earlier = pid == me["pid"] and other.get("process") != _PROCESS_TOKEN
                if host == me["host"] and pid > 0 and (earlier or not _alive(pid)):
                    self.path.unlink(missing_ok=True)
                    continue
                who = (f"process {pid} on {host}, since {other.get('started', '?')}" if pid > 0
                       else "a run whose lock cannot be read")
                raise DataError(f"model folder {self.path.parent} is being written by another "
                                f"geoae train ({who}); wait for it to finish, or delete "
                                f"{self.path} if no such run is going on") from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(me))
            self.held = True
            return

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (on Windows, where signal 0 would be a
    Ctrl-C sent to it, asked of the Windows API)."""
    if os.name == "nt":
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _alive_windows(pid: int) -> bool:
    """Whether process ``pid`` is running, by the Windows API (a process it cannot open for
    want of rights is taken to be running; any other doubt too)."""
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            # ERROR_INVALID_PARAMETER (87): no such process; anything else (access denied to
            # another user's run, say): taken to be running
            return ctypes.get_last_error() != 87
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except Exception:  # noqa: BLE001 - not Windows after all, or no ctypes: keep the lock
        return True


class _RunUndo:
    """Called when a training run into ``out`` fails: puts back what the run changed in the
    folder, unless the run wrote a checkpoint (kept, with its record, for ``--resume``)."""

    def __init__(self, out: Path, created: bool | None = None) -> None:
        from .training import CHECKPOINT_FILE

        self.out, self.created = out, (not out.exists()) if created is None else created
        self.ckpt, self.record = out / CHECKPOINT_FILE, out / RUN_TRANSFORMS_FILE
        self.ckpt_id = _file_id(self.ckpt)
        self.old_record = self.record.read_bytes() if self.record.is_file() else None

    def __call__(self) -> None:
        import contextlib

        from ._atomic import atomic_write_bytes

        if self.ckpt.is_file() and _file_id(self.ckpt) != self.ckpt_id:
            return  # a checkpoint of this run: --resume continues from it
        with contextlib.suppress(OSError):
            if self.old_record is None:
                self.record.unlink(missing_ok=True)
            elif not self.record.is_file() or self.record.read_bytes() != self.old_record:
                atomic_write_bytes(self.record, self.old_record)
            if self.created:
                self.out.rmdir()  # only when empty: a folder this run made and left nothing in


def _file_id(path: Path) -> tuple[int, int, int] | None:
    """Identity of the file at ``path`` (None when absent): changes when it is rewritten."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _replace_model(est, out: Path, logs: list[str], units: dict[str, str],
                   dt: float | None = None) -> None:
    """Save ``est`` with its ``transforms.json`` into a temporary folder beside ``out``, then
    move the files into ``out`` (replacing the model there), and drop the run's record. The
    moves hold Ctrl-C and SIGTERM (:func:`~geoae._atomic.signals_held`), and the weights go
    first and ``config.json`` (which holds the weights' SHA-256) last: a crash between two
    moves leaves a folder that fails to load, never a silent mix."""
    from ._atomic import _replace, signals_held, temporary_folder_beside
    from ._persistence import TRANSFORMS_FILE
    from .models import CONFIG_FILE, WEIGHTS_FILE

    with temporary_folder_beside(out) as tmp:
        est.save(tmp)
        _write_transforms(tmp, logs, units, dt=dt)
        with signals_held():
            for name in (WEIGHTS_FILE, TRANSFORMS_FILE, CONFIG_FILE):
                _replace(tmp / name, out / name)
    (out / RUN_TRANSFORMS_FILE).unlink(missing_ok=True)


def _read_for_curves(data, curves: list[str] | None) -> Table:
    """:func:`read_any_table` for a command that uses only ``curves`` (all when None): the
    reader's unit warnings about other curves (conflicts, conversions) are left out, the others
    are given as they come."""
    with _unit_warnings_about(curves):
        return read_any_table(data, keep=curves or ())


@contextlib.contextmanager
def _unit_warnings_about(curves: list[str] | None):
    """While active, the reader's unit warnings (conflicts, conversions) are kept only for
    ``curves`` (as named, whatever their case, or as the alias table reads them; all when
    None); every other warning passes as it comes, after the block."""
    from .io.aliases import canonical_name
    from .io.wells import UnitConflictWarning, UnitConversionWarning, _conflict_message

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    wanted = {str(c).upper() for c in curves or ()} | {"DEPTH"}
    wanted |= {canonical_name(str(c)).upper() for c in curves or ()}
    for w in caught:
        msg = w.message
        if curves and isinstance(msg, UnitConflictWarning):
            kept = {c: u for c, u in msg.conflicts.items() if str(c).upper() in wanted}
            if not kept:
                continue
            msg = UnitConflictWarning(_conflict_message(kept), kept)
        elif curves and isinstance(msg, UnitConversionWarning):
            from .io.wells import _conversion_message

            kept = {well: {c: p for c, p in convs.items() if str(c).upper() in wanted}
                    for well, convs in msg.conversions.items()}
            kept = {well: convs for well, convs in kept.items() if convs}
            if not kept:
                continue
            msg = UnitConversionWarning(_conversion_message(kept), kept)
        warnings.warn_explicit(msg, w.category, w.filename, w.lineno)


def _readings_by_well(curves: pd.DataFrame, wells: np.ndarray | None,
                      into: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per well (``""`` without ``wells``), whether each column of ``curves`` has a reading
    there, OR-ed into ``into`` (a streamed table's earlier chunks) when given."""
    into = {} if into is None else into
    curves = _bare(curves)
    read = curves.apply(pd.to_numeric, errors="coerce").notna().to_numpy()
    keys = np.full(len(curves), "") if wells is None else np.asarray(wells).astype(str)
    codes, names = pd.factorize(keys, sort=True)
    has = np.zeros((len(names), read.shape[1]), dtype=bool)
    np.logical_or.at(has, codes, read)  # one pass, whatever the number of wells
    for w, row in zip(names, has, strict=True):
        into[str(w)] = into.get(str(w), np.zeros(curves.shape[1], bool)) | row
    return into


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a shallow copy) without its ``attrs``: pandas deep-copies ``attrs`` into
    every frame or series derived from it, and a folder's hold several dicts with one entry
    per well, so a loop over the wells of a 1000-well folder took minutes (time growing with
    the square of the wells) instead of a second."""
    if not frame.attrs:
        return frame
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _empty_curves(readings: dict[str, np.ndarray], names: list[str]) -> dict[str, list[str]]:
    """``{well: [curves without any reading in that well]}`` from :func:`_readings_by_well`
    over ``names``, for the wells that have some of the curves but not all."""
    return {w: [n for n, r in zip(names, v, strict=True) if not r]
            for w, v in readings.items() if 0 < int((~v).sum()) < len(names)}


def _say_empty_curves(path, empty: dict[str, list[str]], said: set | None = None) -> None:
    """One warning for :func:`_empty_curves` (once per ``said`` set)."""
    if not empty or (said is not None and "absent" in said):
        return
    if said is not None:
        said.add("absent")
    named = {w: cs for w, cs in empty.items() if w}
    if not named:
        what = f"no {', '.join(empty[''])} reading (a curve the model was trained on)"
    else:
        listed = "; ".join(f"{w}: {', '.join(cs)}" for w, cs in list(named.items())[:8])
        more = f" (and {len(named) - 8} more wells)" if len(named) > 8 else ""
        what = (f"well(s) without any reading of a curve the model was trained on ({listed}"
                f"{more})")
    warnings.warn(f"{path}: {what}: their rows are scored from the model's other curves, as "
                  "rows where it is missing; fill it first (geoae impute) to use an estimate of "
                  "it instead", UserWarning, stacklevel=4)


def _model_frame(table: Table, names: list[str], said: set | None = None,
                 whole: bool = True) -> pd.DataFrame:
    """The columns of ``table`` that are the model's curves ``names``, named as the model names
    them. A table's columns do not go through the alias table (a LAS file's do), so a curve the
    table spells otherwise (``rhob``, ``RHOZ``, ``DTC`` for a model's ``RHOB``, ``RHOB``,
    ``DT``) is taken from the one column whose canonical name it is, with a warning (once per
    ``said`` set); two candidates are a :class:`DataError`. A model curve the table lacks
    (but not all of them) is added empty, and one without any reading in a well is said, with
    a warning; ``whole=False`` (a chunk of a streamed table) leaves the per-well check to the
    caller. The checks and messages of :func:`select_curves` follow."""
    from .io.aliases import canonical_name

    frame = table.frame
    found: dict[str, str] = {}
    for name in names:
        if name in frame.columns:
            continue
        hits = [c for c in table.curves if c not in names and canonical_name(str(c)) == name]
        if len(hits) > 1:
            raise DataError(f"{table.path}: the model's curve {name} could be any of columns "
                            f"{', '.join(map(repr, hits))}; pass a table where the one to use is "
                            f"named {name}")
        if hits:
            found[hits[0]] = name
    if found:
        if said is None or "aliases" not in said:
            warnings.warn(f"{table.path}: the model's curves taken from columns named otherwise: "
                          + ", ".join(f"{name} from {col!r}" for col, name in found.items()),
                          UserWarning, stacklevel=3)
        if said is not None:
            said.add("aliases")
        frame = frame.rename(columns=found)
    # a curve never run in a well (a file without PE; in a folder, a well whose PE column is
    # empty) is missing on every row: the model scores such rows from the curves it has, as it
    # does a row with a gap, alike for a file given alone and for the same file in a folder
    absent = [n for n in names if n not in frame.columns]
    # at most half of them: a file with one of five curves is more likely the wrong file
    if absent and 2 * len(absent) <= len(names) and all(
            str(n).upper() not in map(str.upper, map(str, frame.columns)) for n in absent):
        frame = frame.assign(**{n: np.nan for n in absent})
        if said is None or "absent" not in said:
            warnings.warn(f"{table.path}: no {', '.join(absent)} column (a curve the model was "
                          "trained on): its rows are scored from the model's other curves, as "
                          "rows where it is missing; fill it first (geoae impute) to use an "
                          "estimate of it instead", UserWarning, stacklevel=3)
        if said is not None:
            said.add("absent")
    elif whole and not frame.empty:
        present = [n for n in names if n in frame.columns]
        wells = frame["WELL"].to_numpy() if "WELL" in frame.columns else None
        _say_empty_curves(table.path,
                          _empty_curves(_readings_by_well(frame[present], wells), present), said)
    use = select_curves(Table(frame, table.kind, table.path, table.attrs), names,
                        fix="; the model needs every curve it was trained on: fill a missing "
                            "one first (geoae impute), or use a model trained without it "
                            "(geoae train --curves)")
    return frame[use]


def _load_for(model_dir, data):
    est = _load(model_dir)
    table = read_any_table(data, keep=_model_curves(est, model_dir), keep_rows=True,
                           convert_units=False)
    raw = _model_frame(table, _model_curves(est, model_dir))
    X = _model_input(raw, table, model_dir)
    return est, table, _to_model_units(X, _read_transforms(model_dir)), raw


#: Rows per chunk when ``encode``/``reconstruct`` stream a CSV or Parquet table.
CHUNK_ROWS = 100_000


def _model_curves(est, model_dir) -> list[str]:
    names = [str(n) for n in getattr(est, "feature_names_in_", [])] or None
    if names is None:
        shape = tuple(getattr(est, "input_shape_", ()))
        if _recorded_sample_interval(model_dir) is not None:
            samples = f" of {shape[-1]} samples" if shape else ""
            raise ConfigError(f"model {model_dir} was trained on SEG-Y traces{samples}, not on "
                              "named curves: give it a SEG-Y file, or use a model trained on "
                              "well logs (geoae train wells/ --out ...)")
        raise ConfigError(f"model {model_dir} was fitted on an unnamed array; the command line "
                          "needs a model trained on named curves")
    return names


class _ChunkWriter:
    """Append DataFrames to one CSV (or tab-separated) or Parquet file (the temporary file of
    an atomic write)."""

    def __init__(self, tmp: Path, out: Path, ints_as_float: bool = True) -> None:
        self.tmp, self.out, self.fmt = tmp, out, table_format(out)
        self.ints_as_float = ints_as_float
        self.parquet = self.fmt == "parquet"
        self.writer = self.schema = None
        self.first = True

    def write(self, df: pd.DataFrame) -> None:
        if self.parquet:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as exc:
                raise DataError("writing Parquet needs pyarrow: pip install 'geoae[parquet]', "
                                "or write .csv") from exc
            # integers become float64 (a later chunk may hold NaN or fractions in that column)
            if self.ints_as_float:
                df = df.astype({c: np.float64 for c in df.columns
                                if pd.api.types.is_integer_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])})
            try:
                table = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
                raise DataError(
                    f"{self.out}: a column changes type between chunks of the input ({str(exc)[:200]}); "
                    "write CSV, or pass a --chunk-rows larger than the table") from None
            if self.writer is None:
                self.schema = table.schema
                self.writer = pq.ParquetWriter(self.tmp, self.schema)
            self.writer.write_table(table)
        else:
            df.to_csv(self.tmp, mode="w" if self.first else "a", header=self.first, index=False,
                      sep="\t" if self.fmt == "tsv" else ",")
        self.first = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _stream(model_dir, data, out, force: bool, chunk_rows: int, work, segy_what: str,
            units=None, segy_stats: dict | None = None, segy_bytes: tuple[int, int] = (189, 193)):
    """Run ``work(est, chunk_frame, curve_frame) -> DataFrame`` over ``data`` and write the results.

    A CSV or Parquet table is read and written ``chunk_rows`` rows at a time (memory bounded by
    the chunk, not the file); LAS files and folders are read whole, every row in its file's
    order (duplicate depths included), so the output lies row by row beside the input; a SEG-Y
    file is scored per trace (``segy_what``: ``"latent"`` or ``"error"``; see :func:`_score_segy`,
    which fills ``segy_stats``; ``segy_bytes`` are the trace-header bytes of its inline and
    crossline numbers).
    An ``out`` ending in ``.las`` is one LAS file (see :func:`_write_output`; ``units(table)``
    gives the units of the new curves), so the input is read whole then. The output is written
    to a temporary file and renamed into place at the end, so an interrupted run leaves nothing.
    Returns ``(rows written, model, input kind)``.
    """
    from . import io

    out_p = check_output(out, [data, model_dir], force)
    if not (is_int(chunk_rows) and chunk_rows >= 1):
        raise ConfigError(f"--chunk-rows {chunk_rows!r} is not valid: a positive number of rows")
    from .io.segy import header_byte

    # checked whatever the input (a typo is a typo), used for SEG-Y only
    segy_bytes = (header_byte(segy_bytes[0], "--iline-byte"),
                  header_byte(segy_bytes[1], "--xline-byte"))
    kind = sniff(data)
    fmt = _segy_out_format(out_p) if kind == "segy" else table_format(out_p)  # checked before work
    est = _load(model_dir)
    if kind == "segy":
        _check_sample_interval(model_dir, data)
        return _score_segy(est, data, out_p, segy_what, segy_stats if segy_stats is not None else {},
                           segy_bytes), est, kind
    names = _model_curves(est, model_dir)
    log10 = _read_transforms(model_dir)
    if fmt == "las":
        table = read_any_table(data, keep=names, keep_rows=True, convert_units=False)
        check_las_output(table, out_p)
        frame = table.frame.reset_index(drop=True)
        whole = Table(frame, table.kind, table.path, table.attrs)
        X = _model_input(_model_frame(whole, names), whole, model_dir)
        _write_output(work(est, frame, _to_model_units(X, log10)), out_p, table,
                      units=units(table) if units else None)
        return len(frame), est, kind
    if kind in ("csv", "parquet"):
        chunks = io.iter_table(data, chunk_rows=chunk_rows)
    else:
        # every row, in file order, each well in its file's units (converted for the model only)
        chunks = iter([read_any_table(data, keep_rows=True, convert_units=False).frame])
    rows = 0
    said: set = set()  # warnings given once, not once per chunk
    chunked = kind in ("csv", "parquet")
    seen: dict[str, np.ndarray] = {}  # chunked: per well, which model curves had a reading
    with atomic_path(out_p) as tmp:
        writer = _ChunkWriter(Path(tmp), out_p)
        try:
            for frame in chunks:
                frame, ren = _ids_to_model(frame, keep=names) if chunked else (frame, {})
                part = Table(frame, kind, Path(data))
                curves_part = _model_frame(part, names, said, whole=not chunked)
                if chunked:  # a well's curve may have readings in a later chunk only
                    _readings_by_well(curves_part, frame["WELL"].to_numpy()
                                      if "WELL" in frame.columns else None, into=seen)
                X = _model_input(curves_part, part, model_dir, said)
                writer.write(_ids_back(work(est, frame.reset_index(drop=True),
                                            _to_model_units(X, log10)), ren))
                rows += len(frame)
            if rows == 0:
                raise DataError(f"{data}: the table has no rows")
        finally:
            writer.close()
    _say_empty_curves(data, _empty_curves(seen, names), said)
    return rows, est, kind


def segy_positions(headers: pd.DataFrame) -> pd.DataFrame:
    """Where each trace lies, for a per-trace table: ``INLINE``, ``CROSSLINE`` (bytes 189, 193),
    ``CDP`` (21, the position along a 2-D line), ``OFFSET`` (37) and ``CDP_X``, ``CDP_Y``
    (181, 185) in the survey's coordinate units, the
    raw integers scaled by the coordinate scalar (bytes 71-72: a positive scalar multiplies, a
    negative one divides, 0 means 1, as SEG-Y rev 1 defines it)."""
    s = headers["scalar_coord"].to_numpy(dtype=np.float64)
    mul = np.where(s > 0, s, 1.0)
    div = np.where(s < 0, -s, 1.0)  # divided, not multiplied by 1/s: 6201972 / 10 is 620197.2

    def scaled(name: str) -> np.ndarray:
        return headers[name].to_numpy(dtype=np.float64) * mul / div

    return pd.DataFrame({
        "INLINE": headers["inline"].to_numpy(dtype=np.int64),
        "CROSSLINE": headers["crossline"].to_numpy(dtype=np.int64),
        "CDP": headers["cdp"].to_numpy(dtype=np.int64),
        "OFFSET": headers["offset"].to_numpy(dtype=np.int64),
        "CDP_X": scaled("cdp_x"),
        "CDP_Y": scaled("cdp_y"),
    })


_SEGY_OUTPUTS = (".npy (file order), .npz (arranged inline x crossline when the headers form a "
                 "grid) or .csv/.tsv/.parquet (a row per trace with its inline, crossline, CDP, "
                 "offset and CDP coordinates)")


def _segy_out_format(out_p: Path) -> str:
    """``"npy"``, ``"npz"`` or a table format for the per-trace output of a SEG-Y input."""
    suffix = out_p.suffix.lower()
    if suffix in (".npy", ".npz"):
        return suffix[1:]
    fmt = _TABLE_FORMATS.get(suffix)
    if fmt is None or fmt == "las":
        raise DataError(f"--out {out_p}: a SEG-Y input is scored per trace into {_SEGY_OUTPUTS}; "
                        "give --out one of these names")
    return fmt


def segy_sample_interval(path) -> float | None:
    """The sample interval of a SEG-Y file in ms (from its sample axis), None if unknown."""
    from .applications.seismic import _sample_axis

    samples = _sample_axis(path, 2)
    return float(samples[1] - samples[0]) if len(samples) > 1 else None


def _recorded_sample_interval(model_dir) -> float | None:
    """The sample interval (ms) of the SEG-Y traces a model was trained on by ``geoae train``,
    from its ``transforms.json``; None when not recorded (not SEG-Y, or an older geoae)."""
    import json

    from ._persistence import TRANSFORMS_FILE

    try:
        record = json.loads((Path(model_dir) / TRANSFORMS_FILE).read_text(encoding="utf-8"))
        dt = record.get("sample_interval_ms")
    except (OSError, ValueError, AttributeError):
        return None
    return float(dt) if isinstance(dt, (int, float)) and not isinstance(dt, bool) else None


def _check_sample_interval(model_dir, data) -> None:
    """Warn when ``data``'s sample interval differs from the one the model's traces had: the
    network would see other frequencies per sample (a 2 ms model on 4 ms traces)."""
    trained = _recorded_sample_interval(model_dir)
    if trained is not None:
        _warn_other_interval(data, segy_sample_interval(data), trained, "the model's were",
                             "a model")


def _warn_other_interval(data, dt: float | None, trained: float | None, whose: str,
                         what: str) -> None:
    """The warning of :func:`_check_sample_interval`: ``data`` sampled every ``dt`` ms, the
    traces ``whose`` (``"the model's were"``, ``"those the denoiser X was trained on"``)
    every ``trained``; ``what`` to train on the survey instead. Nothing when either is
    unknown or they agree."""
    if dt is None or trained is None or np.isclose(dt, trained, rtol=1e-3):
        return
    warnings.warn(f"{data}: its traces are sampled every {dt:g} ms, {whose} every "
                  f"{trained:g} ms; the network sees other frequencies per sample. Resample "
                  f"the traces to that interval, or train {what} on this survey",
                  UserWarning, stacklevel=4)


def _score_segy(est, data, out_p: Path, what: str, stats: dict,
                segy_bytes: tuple[int, int] = (189, 193)) -> int:
    """SEG-Y input: per-trace codes (``what="latent"``) or errors (``"error"``), chunk by chunk,
    into ``out_p`` (see :func:`_segy_out_format`). ``stats`` gets the sum and count of the
    finite values and the number of traces with no value (``sum``, ``n``, ``empty``). Returns
    the number of traces."""
    from .applications.denoising import amplitude_ratio
    from .streaming import score_segy, segy_scores

    fmt = _segy_out_format(out_p)
    sample, _ = _live_traces(data, 1024, 2048, max_chunks=8)
    fits = sample.ndim == 2 and sample.shape[1] == int(np.prod(est.input_shape_))
    ratio = amplitude_ratio(est, sample) if len(sample) and fits else float("nan")
    if np.isfinite(ratio) and not 0.5 <= ratio <= 2.0:
        # not rescaled (as denoise does): amplitude is what an attribute may be about; a gain
        # or unit change is for the user to undo
        warnings.warn(f"{data}: its amplitudes are {ratio:.3g} times those the model was "
                      f"trained on; the {'codes' if what == 'latent' else 'errors'} of traces at "
                      "another level are outside what it learnt. If the difference is a gain or "
                      f"a unit (not geology), scale the traces by {1 / ratio:.3g} first",
                      UserWarning, stacklevel=3)

    def count(vals: np.ndarray) -> None:
        ok = np.isfinite(vals)
        stats["sum"] = stats.get("sum", 0.0) + float(vals[ok].sum())
        stats["n"] = stats.get("n", 0) + int(ok.sum())
        stats["empty"] = stats.get("empty", 0) + int(empty_samples(vals).sum())

    if fmt == "npy":
        score_segy(est, data, out_p, what=what)
        vals = np.load(out_p, mmap_mode="r")
        for i in range(0, len(vals), 65536):
            count(np.asarray(vals[i:i + 65536]))
        return len(vals)
    iline, xline = segy_bytes
    n, chunks = segy_scores(est, data, what, iline=iline, xline=xline)
    names = ([f"LATENT_{i}" for i in range(int(est.latent_dim))] if what == "latent"
             else ["RECON_ERROR"])
    if fmt == "npz":  # the values and positions of every trace in memory: (n_traces, latent)
        parts, where = [], []
        for chunk, vals in chunks:
            count(vals)
            parts.append(vals)
            where.append(segy_positions(chunk.headers))
        from .applications.seismic import LatentAttributes, arrange_survey, write_latent_attributes

        if not parts:  # pragma: no cover - a SEG-Y file without traces is refused when opened
            raise DataError(f"{data}: no traces to score")
        pos = pd.concat(where, ignore_index=True)
        values = np.concatenate(parts)
        grid, u_il, u_xl = arrange_survey(values, pos["INLINE"].to_numpy(), pos["CROSSLINE"].to_numpy())
        if u_il is not None:
            write_latent_attributes(out_p, LatentAttributes(grid, u_il, u_xl, None))
            return n
        warnings.warn(f"{data}: the trace headers do not make an inline x crossline grid (a 2-D "
                      "line, pre-stack gathers, repeated or very sparse positions; inline and "
                      f"crossline read from bytes {iline} and {xline}: --iline-byte and "
                      "--xline-byte read them elsewhere): "
                      f"{out_p.name} holds the values in file order with each trace's inline, "
                      "crossline, cdp, offset, cdp_x and cdp_y", UserWarning, stacklevel=3)
        write_latent_attributes(out_p, LatentAttributes(values, None, None, None, pos))
        return n
    with atomic_path(out_p) as tmp:
        writer = _ChunkWriter(Path(tmp), out_p, ints_as_float=False)  # header integers stay integers
        try:
            for chunk, vals in chunks:
                count(vals)
                frame = segy_positions(chunk.headers)
                frame.insert(0, "TRACE", np.arange(chunk.start, chunk.stop, dtype=np.int64))
                frame[names] = vals.reshape(len(frame), -1)
                writer.write(frame)
        finally:
            writer.close()
    return n


def encode(model_dir, data, out, force: bool = False, chunk_rows: int = CHUNK_ROWS, *,
           iline: int = 189, xline: int = 193) -> dict[str, Any]:
    """Latent codes per row of ``data`` (with WELL/DEPTH kept) written to ``out``; tables are
    streamed ``chunk_rows`` rows at a time. A row with none of the model's curves observed has
    no code: its ``LATENT_*`` cells are empty (NaN), and ``no_data`` counts such rows. For a
    SEG-Y file, ``iline``/``xline`` are the trace-header bytes of the inline and crossline
    numbers (the output's positions and grid)."""
    empty = {"n": 0}

    def work(est, frame, X):
        Z = np.asarray(est.transform(X))  # an array under sklearn.set_config(transform_output="pandas") too
        empty["n"] += int(empty_samples(Z).sum())
        ids = frame[[c for c in ID_COLUMNS if c in frame.columns]]
        codes = pd.DataFrame(Z, columns=[f"LATENT_{i}" for i in range(Z.shape[1])])
        return pd.concat([ids, codes], axis=1)

    stats: dict = {}
    rows, est, kind = _stream(model_dir, data, out, force, chunk_rows, work, "latent",
                              segy_stats=stats, segy_bytes=(iline, xline))
    if kind == "segy":
        empty["n"] = stats.get("empty", 0)
    return {"rows": rows, "latent_dim": int(est.latent_dim), "no_data": empty["n"], "out": str(out)}


def reconstruct(model_dir, data, out, force: bool = False, chunk_rows: int = CHUNK_ROWS, *,
                iline: int = 189, xline: int = 193) -> dict[str, Any]:
    """Reconstructed curves (``<CURVE>_RECON``, in the curves' own units) and per-row error (in
    the model's scaled units, log10 for resistivities) beside the originals; tables are streamed
    ``chunk_rows`` rows at a time. A row with none of the model's curves observed is not
    reconstructed (empty cells), and ``no_data`` counts such rows. A SEG-Y file gets one error
    per trace (``iline``/``xline``: as in :func:`encode`)."""
    total = {"sum": 0.0, "n": 0, "empty": 0}
    log10 = _read_transforms(model_dir)

    def work(est, frame, X):
        rec = est.reconstruct(X)
        err = est.reconstruction_error(X)
        df = frame.copy()
        back = X.attrs.get("unit_conversions", {})  # {curve: [(well, input unit, model unit)]}
        wells = frame["WELL"].astype(str).to_numpy() if back and "WELL" in frame.columns else None
        rows_of = _rows_by_well(wells)
        for c in X.columns:
            values = np.array(_from_model_units(np.asarray(rec[c]), c, log10), dtype=np.float64)
            for well, have, want in back.get(c, []):  # in the input's units, like the curve beside
                from .io.units import convert_units

                rows = _unit_rows(rows_of, well, len(values))
                values[rows] = convert_units(values[rows], want, have)
            df[f"{c}_RECON"] = values
        df["RECON_ERROR"] = err
        ok = np.isfinite(err)
        total["sum"] += float(err[ok].sum())
        total["n"] += int(ok.sum())
        total["empty"] += int(empty_samples(rec).sum())
        return df

    stats: dict = {}
    from ._persistence import read_curve_units

    recorded = read_curve_units(model_dir)  # the unit of a curve the input lacks
    rows, _, kind = _stream(model_dir, data, out, force, chunk_rows, work, "error",
                            units=lambda t: {f"{c}_RECON": u for c, u in
                                             {**recorded, **{k: v for k, v in t.units.items()
                                                             if v}}.items()},
                            segy_stats=stats, segy_bytes=(iline, xline))
    if kind == "segy":
        total.update(stats)
    mean = total["sum"] / total["n"] if total["n"] else float("nan")
    return {"rows": rows, "mean_error": mean, "no_data": total["empty"], "out": str(out)}


def generate(model_dir, n: int, out, random_state: int | None = 0, force: bool = False):
    """Draw ``n`` samples from a saved VAE, in the curves' units."""
    from .models import VariationalAutoEncoder
    from .preprocessing import inverse_log10_curves

    check_output(out, [model_dir], force)
    if table_format(out) == "las":
        raise DataError(f"--out {out}: generated samples have no depth, and a LAS file is indexed "
                        "by depth; give a .csv or .parquet name")
    est = _load(model_dir)
    if not isinstance(est, VariationalAutoEncoder):
        name = type(est).__name__
        raise ConfigError(f"model {model_dir} is {'an' if name[0] in 'AEIOU' else 'a'} {name}; "
                          "`generate` needs a VAE (train one with --model vae)")
    S = est.sample(n, random_state=random_state)
    names = [str(c) for c in getattr(est, "feature_names_in_", range(S.shape[1]))]
    df = pd.DataFrame(S.reshape(n, -1) if S.ndim > 2 else S, columns=names if S.ndim == 2 else None)
    df = inverse_log10_curves(df, [c for c in _read_transforms(model_dir) if c in df.columns])
    write_frame(df, out)
    return {"rows": n, "curves": names, "out": str(out)}


def info(model_dir) -> dict[str, Any]:
    """Parameters, curves and a training-history summary of a saved model."""
    from ._persistence import holds_denoiser, read_config, read_curve_units

    if holds_denoiser(Path(model_dir)):  # from geoae denoise --save-model or Denoiser.save
        from .applications import Denoiser

        den = Denoiser.load(model_dir)  # full validation: hash, keys, shapes
        hist = den.history_ or {}
        loss = hist.get("loss") or []
        return {
            "model": "Denoiser", "mode": "supervised" if den.supervised_ else "self-supervised",
            "params": den.get_params(), "n_channels": int(den.n_channels_),
            "noise_level": (None if den.noise_level_ is None
                            else np.asarray(den.noise_level_).tolist()),
            "trained_level": np.asarray(den.scaler_scale_).tolist(),
            "epochs_run": len(loss), "best_epoch": (hist.get("best_epoch") or [-1])[0] + 1,
            "final_loss": loss[-1] if loss else None,
            "final_val_loss": (hist.get("val_loss") or [None])[-1],
        }
    from ._persistence import CONTEXT_FORMAT, folder_format

    if folder_format(Path(model_dir)) == CONTEXT_FORMAT:  # from geoae features --save-model
        from .applications import ContextEncoder

        ce = ContextEncoder.load(model_dir)  # full validation: hash, keys, shapes
        loss = (ce.history_ or {}).get("loss") or []
        return {
            "model": "ContextEncoder", "params": ce.get_params(),
            "curves": [c for c in ce.input_names_ if c != "DEPTH"],
            "log10_curves": _read_transforms(model_dir), "units": read_curve_units(model_dir),
            "epochs_run": len(loss), "final_loss": loss[-1] if loss else None,
        }
    cfg = read_config(Path(model_dir))
    _load(model_dir)  # full validation: hashes and shapes
    hist = cfg.get("history") or {}
    loss = hist.get("loss") or []
    return {
        "model": cfg["class"], "geoae_version": cfg["geoae_version"], "params": cfg["params"],
        "curves": cfg.get("feature_names_in"), "log10_curves": _read_transforms(model_dir),
        "units": read_curve_units(model_dir),
        "input_shape": cfg["input_shape"],
        "sample_interval_ms": _recorded_sample_interval(model_dir),
        "epochs_run": len(loss), "best_epoch": (hist.get("best_epoch") or [-1])[0] + 1,
        "final_loss": loss[-1] if loss else None,
        "final_val_loss": (hist.get("val_loss") or [None])[-1],
        "loss_terms": sorted(k for k in hist if k not in ("loss", "best_epoch")
                             and not k.startswith("val_")),
    }


def _first_row_per_depth(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Each well's rows of a :func:`~geoae.io.read_wells` frame read with ``keep_rows``, the
    wells one after the other, sorted by depth (stable), the first row of a repeated depth kept:
    the frame ``read_wells`` gives without ``keep_rows`` (its cleaning, done here on the rows
    already read). Returns the frame (``frame`` itself when it is so already) and the wells
    whose rows were reordered or thinned."""
    from .io.wells import first_row_per_depth

    parts: list[pd.DataFrame] = []
    moved: list[str] = []
    for well, part in _bare(frame).groupby("WELL", sort=False):
        part, was_sorted, dropped = first_row_per_depth(part)
        if was_sorted or dropped:
            moved.append(str(well))
        parts.append(part)
    w = frame["WELL"].to_numpy()
    if not parts or (not moved and (w[1:] != w[:-1]).sum() == len(parts) - 1):  # wells in blocks
        return frame, []
    out = pd.concat(parts, ignore_index=True, sort=False)
    out.attrs = dict(frame.attrs)
    return out, moved


def _read_for_impute(data, kind: str, curves: list[str] | None = None) -> tuple[Table, pd.DataFrame]:
    """``(table, train)``: ``data`` read once, every row in its file's order (``table``, what
    the output is laid on: duplicate depths included), and the rows the imputer learns from.

    For LAS files and folders ``train`` is each well's rows sorted by depth, the first row of a
    repeated depth kept (:func:`_first_row_per_depth`), with one warning per file whose rows
    that changes: the output still keeps every row of the file in its order. A single table's
    rows are all learnt from, as they are (``train`` is ``table.frame``).
    """
    with _unit_warnings_about(curves):  # only the curves the run uses (all when None)
        table = read_any_table(data, keep_rows=True)
    if kind not in ("las", "folder"):
        return table, table.frame
    train, moved = _first_row_per_depth(table.frame)
    sources = table.frame.attrs.get("sources", {})
    for source in dict.fromkeys(sources.get(w, str(data)) for w in moved):
        warnings.warn(f"{source}: depths repeat or are out of order: the imputer learns from the "
                      "rows sorted by depth (the first row of a repeated depth); the output keeps "
                      "every row of the file in its order, each with its own measured values",
                      UserWarning, stacklevel=3)
    return table, train


def _every_row(full: pd.DataFrame, train: pd.DataFrame, curve: str, values: dict[str, np.ndarray],
               new_name: str) -> dict[str, np.ndarray]:
    """The imputer's ``values`` (per row of ``train``) for every row of ``full``: a row takes
    those of its well's row at its depth in ``train`` (the first row of a repeated depth), and
    keeps its own measured ``curve`` value (spread 0 there)."""
    if train is full:
        return values
    keys = pd.MultiIndex.from_arrays([train["WELL"].astype(str),
                                      train["DEPTH"].to_numpy(dtype=np.float64)])
    pos = keys.get_indexer(pd.MultiIndex.from_arrays([full["WELL"].astype(str),
                                                       full["DEPTH"].to_numpy(dtype=np.float64)]))
    if (pos < 0).any():  # pragma: no cover - train is full's rows, thinned
        raise DataError("impute: rows of the input were not found among the rows learnt from; "
                        "please report this (a geoae bug)")
    own = pd.to_numeric(full[curve], errors="coerce").to_numpy(dtype=np.float64)
    measured = np.isfinite(own)
    return {c: np.where(measured, own if c == new_name else 0.0, v[pos]) for c, v in values.items()}


def _source_rows(raw: pd.DataFrame, source: str, full: pd.DataFrame) -> np.ndarray:
    """For each row of the table file ``source`` (``raw``, as :func:`geoae.io.read_table` reads
    it), the position of that row in ``full`` (the :func:`~geoae.io.read_wells` frame of its
    folder, read with ``keep_rows``), or -1 for a row the reader left out (no depth).

    Rows are matched on (well, depth, occurrence of that depth in the well), the well and depth
    found as ``read_wells`` finds them, so a table holding several wells, interleaved or not,
    is matched whatever order the reader gives its wells."""
    from .io.aliases import DEPTH_NAMES, WELL_NAMES, column_key

    path = Path(source)
    sources = full.attrs.get("sources", {})
    wcol = next((c for c in raw.columns if column_key(c) in WELL_NAMES), None)
    dcol = next((c for c in raw.columns if c != wcol and column_key(c) in DEPTH_NAMES), None)
    if wcol is None:
        well = pd.Series(path.stem, index=raw.index, dtype=object)
    else:
        well = raw[wcol].where(raw[wcol].notna(), path.stem).astype(str)
    # a well already read from another file was named '<well> (<file name>)'
    well = well.map(lambda w: w if sources.get(w) == source else f"{w} ({path.name})")
    depth = (pd.to_numeric(raw[dcol], errors="coerce").to_numpy(dtype=np.float64)
             if dcol is not None else np.full(len(raw), np.nan))
    mine = [w for w, s in sources.items() if s == source]
    at = np.flatnonzero(full["WELL"].isin(mine).to_numpy())
    ok = np.isfinite(depth)
    left = pd.DataFrame({"W": well.to_numpy()[ok], "D": depth[ok], "R": np.flatnonzero(ok)})
    right = pd.DataFrame({"W": full["WELL"].to_numpy()[at],
                          "D": full["DEPTH"].to_numpy(dtype=np.float64)[at], "F": at})
    for side in (left, right):
        side["K"] = side.groupby(["W", "D"], sort=False).cumcount()
    hit = left.merge(right, on=["W", "D", "K"], how="inner")
    if not (len(hit) == len(left) == len(right)):
        raise DataError(f"{source}: its rows could not be matched to the wells read from it; "
                        "please report this (a geoae bug), and impute this file on its own")
    pos = np.full(len(raw), -1, dtype=np.int64)
    pos[hit["R"].to_numpy()] = hit["F"].to_numpy()
    return pos


def impute(data, curve: str, out, *, curves=None, model: str = "dae", epochs: int | None = None,
           random_state: int | None = 0, verbose: bool = False, force: bool = False,
           log10: bool = True) -> dict[str, Any]:
    """Fill the gaps of ``curve`` (NaN, or wells where it was never run) from the other curves.

    The imputer is trained on ``data`` itself (every well, hiding known values to learn to
    rebuild them). ``<CURVE>_IMPUTED`` holds the measured values where present and the imputed
    ones elsewhere (a depth where none of the other curves was measured is left missing, and
    counted as ``left_missing``); with ``model="vae"`` a ``<CURVE>_IMPUTED_STD`` uncertainty
    is added. With
    ``log10`` (the default) resistivity-like curves are modelled as log10 and the filled values
    given back in ohm.m, with the standard deviation of a filled resistivity in log10 units
    (``<CURVE>_IMPUTED_STD_LOG10``: the spread is not symmetric in ohm.m); measured values
    are copied through unchanged.

    Outputs: a LAS file in -> a LAS file out with every original header and curve kept and the
    new curve(s) appended; a folder in -> a folder out with one file per source file, under its
    name (LAS wells keep their headers; a table keeps its own columns, as
    :func:`geoae.io.read_table` reads them, with the new column(s) added); a table in -> a
    table out with the new column(s). Every output keeps every row of its input, in its order.

    A LAS file or a folder is read once (:func:`_read_for_impute`); the imputer learns from
    each well's rows sorted by depth, the first row of a repeated depth, and a row at a
    repeated depth keeps its own measured value, else takes its depth's imputed one; a table
    row without a depth (which the reader leaves out) is kept as it is, not imputed. A single
    table's rows are all learnt from, as they are. ``rows``, ``filled`` and ``left_missing``
    in the summary count the rows written.
    """
    from .applications import Imputer
    from .io import write_las

    kind = sniff(data)
    out_p = Path(out)
    if kind == "folder":
        if out_p.resolve() == Path(data).resolve():
            raise DataError(f"output folder {out_p} is the input folder; choose another --out "
                            "(geoae never overwrites its inputs)")
        if out_p.exists() and not out_p.is_dir():
            raise DataError(f"output {out_p} is a file, but a folder of wells gives a folder of "
                            "wells; give a folder name for --out")
    else:
        check_output(out_p, [data], force)
        fmt = table_format(out_p)
    if model not in ("dae", "vae"):
        raise ConfigError(f"--model {model!r} is not known for impute; use 'dae' or 'vae'")
    if epochs is not None and not (is_int(epochs) and epochs >= 1):
        raise ConfigError(f"--epochs {epochs!r} is not valid: a positive number of epochs")
    # with --curves the run uses those and the target: other curves' unit warnings are noise
    table, train = _read_for_impute(data, kind, [curve, *curves] if curves else None)
    if kind != "folder":
        check_las_output(table, out_p)
    renamed = table.frame.attrs.get("renamed", {})  # {well: {raw mnemonic: canonical name}}
    if curve not in table.curves:  # `pe`, or the file's own PEF read as PE (with a warning)
        curve = resolve_curve_names(table, [curve], option="--curve")[0]
    if curve not in table.curves:
        alias = sorted({new for names in renamed.values() for old, new in names.items()
                        if old.upper() == curve.upper()})
        what = ("is the depth or well column, not a curve" if curve in ID_COLUMNS
                else "is not numeric" if curve in table.frame.columns
                else f"not found (it was read as {alias[0]}: give --curve {alias[0]})" if alias
                else "not found")
        raise DataError(f"curve {curve!r} {what} in {table.path}; available curves: "
                        f"{', '.join(table.curves)}")
    if not np.isfinite(pd.to_numeric(table.frame[curve], errors="coerce")
                       .to_numpy(dtype=np.float64)).any():
        raise DataError(f"curve {curve!r} has no measured value anywhere in {table.path}; at least "
                        "some wells must have it to learn from")
    curves = resolve_curve_names(table, curves)
    use = select_curves(table, curves)
    if not curves:  # an earlier run's output (PE_IMPUTED, its spread) is the target, filled
        earlier = [c for c in use if str(c).upper().startswith(f"{curve.upper()}_IMPUTED")]
        if earlier:
            warnings.warn(f"{table.path}: {', '.join(earlier)} (an earlier impute's output) left "
                          f"out of the curves that {curve} is learnt from, and replaced in the "
                          "output", UserWarning, stacklevel=2)
            use = [c for c in use if c not in earlier]
    if curve not in use:
        use = [*use, curve]
    if use == [curve]:
        raise DataError(f"{table.path}: no curve but {curve} to learn it from (impute fills a "
                        "curve's gaps from the other curves of the same depths); give wells "
                        "with other curves" + ("" if curves else ", or name them with --curves"))
    ids = [c for c in ID_COLUMNS if c in train.columns]
    frame = train[[*ids, *use]]
    if frame[curve].notna().sum() == 0:
        raise DataError(f"curve {curve!r} has no measured value anywhere in {table.path}; at least "
                        "some wells must have it to learn from")
    from .applications.imputation import DEFAULT_NETWORK
    from .models import VAE, AutoEncoder

    base = VAE if model == "vae" else AutoEncoder
    params = dict(DEFAULT_NETWORK, verbose=verbose)  # the imputer's own (benchmarked) network
    if epochs is not None:
        params["epochs"] = epochs
    logs = _log10_for(frame, use) if log10 else []
    modelled = _to_model_units(frame, logs)
    # impossible readings (a PE of 297 b/e, a negative sonic) are not learnt from, nor filled
    # from; they stay in the output as measured
    _, impossible = _impossible_readings(frame[use], logs, units={"": dict(table.units)},
                                         source=str(table.path),
                                         kept="they are learnt from as they are")
    if impossible.to_numpy().any():
        counts = impossible.sum()
        modelled = modelled.copy()  # (frame itself when no curve is log10: it stays as read)
        modelled[use] = modelled[use].mask(impossible)
        warnings.warn(f"{table.path}: readings outside their curve's physical range left out of "
                      "what the imputer learns and fills from ("
                      + ", ".join(f"{c}: {int(n)}" for c, n in counts.items() if n)
                      + "); they stay in the output as measured", UserWarning, stacklevel=2)
    # the impossible readings are screened here, per well and in each file's unit
    imp = Imputer(model=base(**params), physical_range=False, random_state=random_state).fit(modelled)
    if model == "vae":
        filled, std = imp.transform(modelled, return_std=True)
    else:
        filled, std = imp.transform(modelled), None
    new_name = f"{curve}_IMPUTED"
    std_name = f"{new_name}_STD_LOG10" if curve in logs else f"{new_name}_STD"
    measured = frame[curve].to_numpy()
    fill = _from_model_units(filled[curve].to_numpy(), curve, logs)
    limits = _physical_range(curve, table.units.get(curve, ""))
    if limits is not None:
        with np.errstate(invalid="ignore"):
            n_out = int(((measured < limits[0]) | (measured > limits[1])).sum())
        if _unit_suspect(n_out, int(np.isfinite(measured).sum())):
            limits = None  # the curve's unit is suspect (said above): its range says nothing
    if limits is not None:  # a network can extrapolate past what the rock allows
        with np.errstate(invalid="ignore"):  # counted where a fill is used: the gaps
            outside = int((((fill < limits[0]) | (fill > limits[1])) & np.isnan(measured)).sum())
        if outside:
            fill = np.clip(fill, *limits)
            warnings.warn(f"{table.path}: {outside} {curve} fill(s) outside {curve}'s physical "
                          f"range {limits[0]:.4g} to {limits[1]:.4g} set to its nearer end",
                          UserWarning, stacklevel=2)
    # a depth where no other curve was measured has nothing to impute from: left missing
    blind = frame[[c for c in use if c != curve]].isna().all(axis=1).to_numpy() if len(use) > 1 \
        else np.zeros(len(frame), dtype=bool)
    gaps = np.isnan(measured) & ~blind
    values = {new_name: np.where(gaps, fill, measured)}  # measured values bit for bit
    if std is not None:  # a log10 curve's spread stays in log10 units (it is not symmetric in ohm.m)
        values[std_name] = np.where(gaps, std[curve].to_numpy(),
                                    np.where(np.isnan(measured), np.nan, 0.0))
    # every row of the input, in its order: a row the imputer did not learn from (a repeated
    # depth) takes its depth's values, and keeps its own measured value
    every = _every_row(table.frame, train, curve, values, new_name)
    own_all = pd.to_numeric(table.frame[curve], errors="coerce").to_numpy(dtype=np.float64)
    new_cols = list(values)
    unit = table.units.get(curve, "")
    units = {c: unit for c in new_cols}
    if std_name in units and curve in logs:
        units[std_name] = f"log10({unit})" if unit else "log10"
    desc = {new_name: f"{curve} with gaps imputed by geoae ({model} masked auto-encoder)",
            std_name: f"standard deviation of the imputed {curve}"
            + (" in log10 units" if curve in logs else "")}
    count = {"rows": 0, "filled": 0, "left_missing": 0}

    conversions = table.frame.attrs.get("unit_conversions") or {}
    well_units = table.frame.attrs.get("well_units") or {}
    # once: a column taken from the frame copies its attrs (one entry per well of a folder)
    depth_all = table.frame["DEPTH"].to_numpy(dtype=np.float64) if "DEPTH" in table.frame else None
    well_all = table.frame["WELL"].to_numpy() if "WELL" in table.frame else None

    def tally(own: np.ndarray, new: np.ndarray) -> None:  # over the rows written
        gap = np.isnan(own)
        count["rows"] += len(own)
        count["filled"] += int((gap & ~np.isnan(new)).sum())
        count["left_missing"] += int((gap & np.isnan(new)).sum())

    def with_new(rows: pd.DataFrame) -> pd.DataFrame:  # every row of the input, new columns added
        result = rows.copy()
        for c in new_cols:
            result[c] = every[c]
        tally(own_all, every[new_name])
        return result

    def las_out(at: np.ndarray, path: Path, template) -> None:
        """Rows ``at`` of one LAS well to a LAS file with its source file as the template, in
        the file's own units (a folder's wells were read in the unit of most wells: the depths
        and the new curves of a converted well go back to the file's units, its measured values
        are the file's own)."""
        depth = depth_all[at]
        curves_df = pd.DataFrame({c: every[c][at] for c in new_cols},
                                 index=pd.Index(depth, name="DEPTH"))
        well = str(well_all[at[0]]) if well_all is not None and len(at) else None
        back = conversions.get(well, {}) if well is not None else {}
        tally(own_all[at], every[new_name][at])
        if back:
            from .io import read_las
            from .io.units import convert_units

            src = read_las(template)  # the file's own depths and measured values
            file_depth = src.index.to_numpy(dtype=np.float64)
            # the file's depths as read_wells gave them (the same conversion, the same floats)
            key = convert_units(file_depth, *back["DEPTH"]) if "DEPTH" in back else file_depth
            full = curves_df[~curves_df.index.duplicated(keep="first")].reindex(key)
            full.index = pd.Index(file_depth, name="DEPTH")
            if curve in back:  # the imputed values (and their spread) in the file's unit
                was, now = back[curve]
                full[new_name] = convert_units(full[new_name].to_numpy(), now, was)
                if std_name in full.columns and curve not in logs:  # a log10 spread is unitless
                    full[std_name] = convert_units(full[std_name].to_numpy(), now, was,
                                                   interval=True)
            own = next((old for old, new in renamed.get(well, {}).items() if new == curve), curve)
            if own in src.columns:  # each row keeps its own measured value
                m = pd.to_numeric(src[own], errors="coerce").to_numpy(dtype=np.float64)
                full[new_name] = np.where(np.isfinite(m), m, full[new_name].to_numpy())
                if std_name in full.columns:
                    full[std_name] = np.where(np.isfinite(m), 0.0, full[std_name].to_numpy())
            curves_df = full
        else:
            from .io.wells import attrs_of_well

            curves_df.attrs = attrs_of_well(table.frame.attrs, well)
        # the file's own unit of the curve, else the frame's
        own_unit = well_units.get(well, {}).get(curve) if well is not None else None
        file_units = dict(units)
        if own_unit:
            file_units[new_name] = own_unit
            if std_name in file_units:
                file_units[std_name] = f"log10({own_unit})" if curve in logs else own_unit
        write_las(curves_df, path, template=template, units=file_units, descriptions=desc)

    from . import distributed as _dist

    written: list[str] = []
    if not _dist.is_main_process():  # under torchrun, every rank trained; rank 0 alone writes
        return {"curve": curve, "inputs": use, "model": model, "out": written}
    if kind == "las" and fmt == "las":
        las_out(np.arange(len(table.frame)), out_p, data)
        written.append(str(out_p))
    elif kind == "folder":
        made = not out_p.exists()
        out_p.mkdir(parents=True, exist_ok=True)
        sources = table.frame.attrs.get("sources", {})  # {well: file}, in reading order
        # one output per source file, under its name: a table keeps its own columns and rows
        files = list(dict.fromkeys(sources.values()))
        dest_of = {s: out_p / Path(s).name for s in files}
        inputs = file_keys([Path(s) for s in files])
        for dest in dest_of.values():  # all checked before anything is written
            hit = next((inputs[k] for k in file_keys([dest]) if k in inputs), None)
            if hit is not None:  # e.g. a symbolic link in the output folder to an input
                raise DataError(f"output {dest} is the input file {hit}; choose another --out "
                                "(geoae never overwrites its inputs)")
            if dest.exists() and not force:
                raise DataError(f"output {dest} exists; pass --force to replace it")
        rows_of = _rows_by_well(well_all)  # one grouping, not one per file
        from ._atomic import output_set

        try:  # the files as one set: a failure on one takes back those written before it
            with output_set() as claim:
                for source, dest in dest_of.items():
                    wells = [w for w, s in sources.items() if s == source]
                    at = np.sort(np.concatenate([rows_of.get(w, np.empty(0, np.int64))
                                                 for w in wells] or [np.empty(0, np.int64)]))
                    src = Path(source)
                    if src.suffix.lower() == ".las" or sniff(src) == "las":
                        las_out(at, claim(dest), src)
                    else:
                        write_frame(_table_source_out(src, source, table.frame, wells, curve,
                                                      new_name, every, own_all, renamed, tally),
                                    claim(dest))
                    written.append(str(dest))
        except BaseException:
            if made:
                with contextlib.suppress(OSError):
                    out_p.rmdir()  # only when empty: the folder this run made
            raise
    else:  # a LAS file in and a table out (its rows harmonised as read), or a table in
        _write_output(with_new(table.frame), out_p, table, units=units, descriptions=desc)
        written.append(str(out_p))
    return {"curve": curve, "inputs": use, "log10_curves": logs, "filled": count["filled"],
            "left_missing": count["left_missing"],
            "rows": count["rows"], "model": model, "out": written}


def _table_source_out(src: Path, source: str, full: pd.DataFrame, wells: list[str], curve: str,
                      new_name: str, every: dict[str, np.ndarray], own_all: np.ndarray,
                      renamed: dict[str, dict[str, str]], tally) -> pd.DataFrame:
    """The output of one table file of a folder given to :func:`impute`: the file as
    :func:`geoae.io.read_table` reads it (its own column names, every row in its order) with the
    new columns; a row the reader left out (no depth) keeps its measured value and is not
    imputed."""
    from .io import read_table

    with warnings.catch_warnings():  # said when the folder was read
        warnings.simplefilter("ignore")
        raw = read_table(src)
    pos = _source_rows(raw, source, full)
    got = pos >= 0
    ren = renamed.get(wells[0], {}) if wells else {}
    own_col = next((old for old, new in ren.items() if new == curve), None) or next(
        (c for c in raw.columns if str(c).upper() == curve and str(c) not in ren), None)
    own = np.full(len(raw), np.nan)
    own[got] = own_all[pos[got]]
    if not got.all():
        if own_col is not None:
            own[~got] = pd.to_numeric(raw.loc[~got, own_col], errors="coerce").to_numpy(
                dtype=np.float64)
        warnings.warn(f"{source}: {int((~got).sum())} row(s) without a depth are in the output as "
                      "they are: nothing is imputed there", UserWarning, stacklevel=3)
    out = raw.copy()
    for c, v in every.items():
        col = np.where(np.isfinite(own), own if c == new_name else 0.0, np.nan)
        col[got] = v[pos[got]]
        out[c] = col
    tally(own, out[new_name].to_numpy(dtype=np.float64))
    return out


def denoise(inputs: list, out, *, chunk_traces: int = 1024, epochs: int | None = None,
            max_train_traces: int = 2000, random_state: int | None = 0, verbose: bool = False,
            force: bool = False, save_model=None, iline: int = 189,
            xline: int = 193) -> dict[str, Any]:
    """Denoise a SEG-Y file chunk by chunk into ``out``, keeping every header byte.

    ``inputs`` is ``[INPUT]`` or ``[MODEL, INPUT]`` (a folder written by ``Denoiser.save``, or
    by an earlier run with ``save_model``). Without a model, a :class:`Denoiser` is fitted
    self-supervised (Noisier2Noise) on up to ``max_train_traces`` consecutive traces of the
    input itself, read through :func:`geoae.io.iter_segy` (never the whole file), and
    ``save_model`` (a folder) keeps it, to denoise other files of the survey the same way.
    ``iline``/``xline`` are the trace-header bytes of the inline and crossline numbers, which
    tell where each line of a 3-D survey starts (a trace's neighbours stay within its line).
    """
    if len(inputs) not in (1, 2):
        raise ConfigError("give the input SEG-Y file (and optionally a model folder before it)")
    for name, value in (("--chunk", chunk_traces), ("--train-traces", max_train_traces)):
        if not (is_int(value) and value >= 1):
            raise ConfigError(f"{name} {value!r} is not valid: a positive number of traces")
    from .io.segy import header_byte

    segy_bytes = (header_byte(iline, "--iline-byte"), header_byte(xline, "--xline-byte"))
    inp = Path(inputs[-1])
    if sniff(inp) != "segy":
        raise DataError(f"{inp}: not a SEG-Y file; `geoae denoise` reads SEG-Y")
    out_p = check_output(out, [inp], force)
    if out_p.suffix.lower() not in {".sgy", ".segy", ".seg"}:
        what = f"a {out_p.suffix.lower()} file" if out_p.suffix else "a file without a suffix"
        raise DataError(f"--out {out_p}: `geoae denoise` writes SEG-Y, not {what}; give a .sgy "
                        "or .segy name")
    if save_model is not None:
        _check_save_model(save_model, inputs[0] if len(inputs) == 2 else None, "denoiser",
                          out_p, inp, force)
    sample, dead = _live_traces(inp, min(chunk_traces, max_train_traces), max_train_traces)
    with warnings.catch_warnings():
        # the API's hint about depth x curves tables read as traces does not apply to a SEG-Y
        warnings.filterwarnings("ignore", message=r".* traces of \d+ samples, shorter than window")
        return _denoise_file(inputs, inp, out_p, sample, dead, chunk_traces, epochs,
                             random_state, verbose, save_model, segy_bytes)


def _denoise_file(inputs, inp, out_p, sample, dead, chunk_traces, epochs, random_state, verbose,
                  save_model, segy_bytes=(189, 193)):
    """The work of :func:`denoise` once its inputs are checked: ``sample`` (the live traces
    read from the start of ``inp``) trains a Denoiser, or checks the level of a given one."""
    from .applications.denoising import Denoiser, denoise_segy

    save_p = Path(save_model) if save_model is not None else None
    given = Denoiser.load(inputs[0]) if len(inputs) == 2 else None
    window = (given or Denoiser()).window
    if sample.ndim == 2 and 0 < sample.shape[1] < window:
        warnings.warn(f"{inp}: traces of {sample.shape[1]} samples are shorter than the "
                      f"denoiser's window of {window} samples; each is mirror-padded to it",
                      UserWarning, stacklevel=3)
    dt = segy_sample_interval(inp)
    if len(inputs) == 2:
        from .applications.denoising import amplitude_ratio

        model = given
        _warn_other_interval(inp, dt, getattr(model, "sample_interval_ms_", None),
                             f"those the denoiser {inputs[0]} was trained on",
                             "a denoiser (without the folder)")
        ratio = amplitude_ratio(model, sample) if len(sample) else float("nan")
        gain = 1.0
        if np.isfinite(ratio) and not 0.5 <= ratio <= 2.0:  # another recording or processing level
            gain = 1.0 / ratio
            warnings.warn(f"{inp}: its amplitudes are {ratio:.3g} times those the denoiser "
                          f"{inputs[0]} was trained on; they are scaled by {gain:.3g} for the "
                          "denoiser and back after (the output keeps the input's level)",
                          UserWarning, stacklevel=2)
        denoise_segy(model, inp, out_p, chunk_traces=chunk_traces, input_gain=gain,
                     iline=segy_bytes[0], xline=segy_bytes[1])
        return {"input": str(inp), "out": str(out_p), "model": str(inputs[0]),
                "mode": "supervised" if model.supervised_ else "self-supervised",
                "input_gain": gain}
    if not len(sample):
        raise DataError(f"{inp}: every trace read is dead (all zero or missing); nothing to learn "
                        "the noise from")
    if dead:
        warnings.warn(f"{inp}: {dead} dead trace(s) (all zero or missing) skipped when picking "
                      "the training traces", UserWarning, stacklevel=2)
    params: dict[str, Any] = {"random_state": random_state, "verbose": verbose}
    if epochs is not None:
        params["epochs"] = epochs
    model = Denoiser(**params).fit(sample)
    model.sample_interval_ms_ = dt  # kept by --save-model, checked when the folder is reused
    from . import distributed as _dist

    if _dist.is_main_process():  # under torchrun, every rank trained; rank 0 alone writes
        denoise_segy(model, inp, out_p, chunk_traces=chunk_traces, iline=segy_bytes[0],
                     xline=segy_bytes[1])
    summary = {"input": str(inp), "out": str(out_p), "trained_on_traces": int(sample.shape[0]),
               "noise_level": np.asarray(model.noise_level_).tolist(), "mode": "self-supervised"}
    if save_model is not None:
        summary["model"] = str(model.save(save_p))
    return summary


def _live_traces(path, chunk_traces: int, limit: int,
                 max_chunks: int | None = None) -> tuple[np.ndarray, int]:
    """Up to ``limit`` live traces from the start of a SEG-Y file, in file order, and the number
    of dead ones (all zero or all missing: padding at a survey's edge) passed over on the way;
    at most ``max_chunks`` chunks are read (all, if None)."""
    from .applications.denoising import live_traces
    from .io import iter_segy

    parts, n, dead = [], 0, 0
    for chunk in iter_segy(path, chunk_traces=chunk_traces):
        t = chunk.traces
        live = live_traces(t)
        dead += int((~live).sum())
        parts.append(t[live])
        n += int(live.sum())
        if n >= limit or (max_chunks is not None and len(parts) >= max_chunks):
            break
    if not parts:
        return np.empty((0, 0), dtype=np.float32), dead
    return np.concatenate(parts)[:limit], dead


def _impossible_readings(frame: pd.DataFrame, log10: list[str], units=None, wells=None,
                         source="", kept: str = "they are not marked INVALID"
                         ) -> tuple[np.ndarray, pd.DataFrame]:
    """Impossible readings of ``frame`` (the model's curves in the file's own units).

    A reading is impossible if it is zero or negative on a curve in ``log10`` (a resistivity the
    model sees as log10), or outside its curve's physical range
    (:data:`geoae.preprocessing.PHYSICAL_RANGES`, matched by canonical name, the range converted
    to the curve's unit: DT in us/m, NPHI in %, RHOB in kg/m3...). ``units`` is
    ``{well: {curve: unit}}`` (well ``""``: every row; ``wells`` names each row's well). A curve
    with no unit (or ``_``) is taken to be in the range's unit; one in a unit that cannot be
    converted is not range-checked (a warning names it). Where more than 20 % (and more than 10)
    of a well's readings of a curve are out of range, the unit is more likely wrong than the
    tool: they are not marked, and a warning says so (``kept``: what the command does with them).
    ``source`` names the data in warnings.

    Returns
    -------
    names : ndarray of str, shape (n_rows,)
        Per row, the curves (comma-separated; "" for none) with an impossible reading.
    mask : DataFrame of bool, frame's shape
        Which entries are impossible.
    """
    from .io.aliases import canonical_name
    from .preprocessing import PHYSICAL_RANGES

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    units = units if units else {"": {}}
    rows_of = _rows_by_well(wells)
    for c in frame.columns:
        values = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
        hit = np.zeros(len(frame), dtype=bool)
        if c in log10:
            hit |= values <= 0
        key = canonical_name(str(c))
        if key in PHYSICAL_RANGES:
            lo0, hi0, range_unit = PHYSICAL_RANGES[key]
            for w, well_units in units.items():
                rows = _unit_rows(rows_of, w, len(frame))
                unit = str(well_units.get(c) or "").strip()
                where = f"{source}{f' (well {w})' if w else ''}"
                limits = _physical_range(c, unit)
                if limits is None:
                    warnings.warn(f"{where}: {c} is in {unit!r}, which cannot be converted to "
                                  f"{range_unit} (its physical range {lo0:g} to {hi0:g} "
                                  f"{range_unit}): its readings are not checked for impossible "
                                  "values; give the curve in a known unit to have them checked",
                                  UserWarning, stacklevel=3)
                    continue
                lo, hi = limits
                shown = unit if unit and unit != "_" else f"{range_unit} (no unit given)"
                v = values[rows]
                with np.errstate(invalid="ignore"):
                    out = (v < lo) | (v > hi)
                n_out, n_seen = int(out.sum()), int(np.isfinite(v).sum())
                if _unit_suspect(n_out, n_seen):
                    warnings.warn(f"{where}: {n_out} of {n_seen} {c} readings "
                                  f"({100 * n_out / n_seen:.0f} %) are outside its physical range "
                                  f"{lo:.4g} to {hi:.4g} {shown}: too many for bad readings, so the "
                                  f"unit is probably wrong; {kept}. Check "
                                  f"{c}'s unit in the file (a LAS file's ~Curve section) or "
                                  "convert the curve", UserWarning, stacklevel=3)
                    continue
                hit[rows[out]] = True
        mask[c] = hit
    bad = np.full(len(frame), "", dtype=object)
    for c in frame.columns:
        hit = mask[c].to_numpy()
        bad[hit] = [f"{b},{c}" if b else c for b in bad[hit]]
    return bad, mask


def _unit_suspect(n_out: int, n_seen: int) -> bool:
    """Whether ``n_out`` of ``n_seen`` readings outside their curve's physical range are too
    many to be bad readings (more than 10 and a fifth): the curve's unit is then suspect."""
    return n_out > max(10, 0.2 * n_seen)


def _physical_range(curve: str, unit: str) -> tuple[float, float] | None:
    """``(low, high)`` of ``curve``'s physical range (:data:`geoae.preprocessing.PHYSICAL_RANGES`,
    by canonical name) in ``unit`` (none or ``_``: the range's own unit); None when the curve
    has no range or its unit cannot be converted."""
    from .io.aliases import canonical_name
    from .preprocessing import PHYSICAL_RANGES, range_in_unit

    key = canonical_name(str(curve))
    if key not in PHYSICAL_RANGES:
        return None
    unit = str(unit or "").strip()
    return range_in_unit(*PHYSICAL_RANGES[key], unit)


def _name_invalid_intervals(intervals: pd.DataFrame, depth, wells, invalid: np.ndarray) -> None:
    """In place: an interval holding impossible readings gets the most frequent such curve as
    its main curve (the network never saw the value, so the error shares cannot name it)."""
    bad = np.flatnonzero(invalid != "")
    if not len(bad) or intervals.empty:
        return
    # each impossible reading's interval, by a binary search of the tops within its well
    well_of = np.asarray(wells)[bad] if wells is not None else np.zeros(len(bad), dtype=object)
    groups = (intervals.groupby("WELL", sort=False).groups if wells is not None
              else {0: intervals.index})
    found: dict[int, list[str]] = {}
    for w, idx in groups.items():
        rows = intervals.loc[idx].sort_values("top")
        mine = bad[well_of == w]
        if not len(mine):
            continue
        pos = np.searchsorted(rows["top"].to_numpy(), depth[mine], side="right") - 1
        for r, p in zip(mine, pos, strict=True):
            if p >= 0 and depth[r] <= rows["base"].iloc[p]:
                found.setdefault(rows.index[p], []).extend(invalid[r].split(","))
    for i, names in found.items():
        intervals.at[i, "main_curve"] = pd.Series(names).value_counts().index[0]


def _check_save_model(save_model, given, noun: str, out_p: Path, data: Path,
                      force: bool) -> Path:
    """The ``--save-model`` folder of a command that trains a ``noun`` (``"denoiser"``,
    ``"context encoder"``) on ``data``, checked before any work: refused with a model folder
    ``given`` (nothing is trained then), a file, a non-empty folder without ``force``, a
    missing or unwritable parent, or the output, the input or a folder inside the input."""
    if given is not None:
        raise ConfigError(f"--save-model {save_model}: the {noun} {given} is given, not "
                          f"trained; --save-model keeps one trained on {data}")
    save_p = Path(save_model)
    if save_p.exists() and not save_p.is_dir():
        raise DataError(f"--save-model {save_p} is a file; give a folder name")
    if save_p.is_dir() and any(save_p.iterdir()) and not force:
        raise DataError(f"--save-model {save_p} exists and is not empty; pass --force to "
                        f"replace the {noun} in it")
    if not save_p.parent.exists():
        raise DataError(f"folder {save_p.parent} of --save-model does not exist; create it "
                        "first")
    check_writable(save_p.parent)
    _check_model_folder(save_p, out_p, data)
    return save_p


def _check_model_folder(save_p: Path, out_p: Path, data: Path) -> None:
    """Refuse a ``--save-model`` folder that is the output file, the input, or inside an input
    folder (the model's files would be written among the data)."""
    where = save_p.resolve()
    if where == out_p.resolve():
        what = "--out"
    elif where == data.resolve():
        what = "the input"
    elif data.is_dir() and data.resolve() in where.parents:
        what = "inside the input folder"
    else:
        return
    raise DataError(f"--save-model {save_p} is {what}; give the model a folder of its own")


def features(inputs: list, out, *, curves=None, context: int | None = None,
             latent: int | None = None, epochs: int | None = None, random_state: int | None = 0,
             verbose: bool = False, force: bool = False, log10: bool | None = None,
             save_model=None) -> dict[str, Any]:
    """Context codes of every row of a table of wells, as classifier features.

    ``inputs`` is ``[DATA]`` or ``[MODEL, DATA]``. Without a model, a
    :class:`~geoae.applications.ContextEncoder` is fitted on the curves of every row of DATA
    (no labels: the wells to classify may be among them), and ``save_model`` (a folder) keeps
    it with the curves' log10 and units record, to give other wells the same codes. Rows are
    taken in depth order within each well (sorted when a ``DEPTH`` column is there); the output
    is every input row, in the input's order, with ``CONTEXT_0``, ``CONTEXT_1``, ... appended.
    ``context`` (default 8), ``latent`` (1), ``epochs`` (150) and ``log10`` (True) apply to
    training; with a given encoder they are refused (it keeps its own).
    """
    from .applications.features import ContextEncoder
    from .io._files import sniff as _sniff

    if len(inputs) not in (1, 2):
        raise ConfigError("give the wells (LAS file, folder or table), and optionally a "
                          "context-encoder folder before them")
    data = Path(inputs[-1])
    given = Path(inputs[0]) if len(inputs) == 2 else None
    if given is not None and given.is_file():
        raise ConfigError(f"features takes [MODEL] DATA, and {given} is a file, not the folder of "
                          "a context encoder; to give the wells of two files the same codes, "
                          "run geoae features on one with --save-model FOLDER, then geoae "
                          "features FOLDER on the other")
    kind = _sniff(data)
    if kind == "segy":
        raise DataError(f"{data}: this is a SEG-Y file; `geoae features` reads well logs or a "
                        "table (for per-trace codes of a SEG-Y file use `geoae encode`)")
    out_p = check_output(out, [data, *([given] if given else [])], force)
    table_format(out_p)  # a name the command can write, checked before any work
    save_p = (None if save_model is None else
              _check_save_model(save_model, given, "context encoder", out_p, data, force))
    if given is not None:
        if curves:
            raise ConfigError(f"--curves: the context encoder {given} uses the curves it was "
                              "trained on; leave --curves out")
        set_ = [name for name, v in (("--context", context), ("--latent", latent),
                                     ("--epochs", epochs), ("--log10/--no-log10", log10))
                if v is not None]
        if set_:
            raise ConfigError(f"{', '.join(set_)}: the context encoder {given} is given, not "
                              "trained; it keeps its own (leave them out)")
        ce = ContextEncoder.load(given)
        names = [c for c in ce.input_names_ if c != "DEPTH"]
        logs = _read_transforms(given)
        table = read_any_table(data, keep=names, keep_rows=True, convert_units=False)
        check_las_output(table, out_p)
        X = _to_model_units(_model_input(_model_frame(table, names), table, given), logs)
        use, left_out = names, []
    else:
        context = 8 if context is None else context
        latent = 1 if latent is None else latent
        log10 = True if log10 is None else log10
        for name, value, low in (("--context", context, 1), ("--latent", latent, 1)):
            if not (is_int(value) and value >= low):
                raise ConfigError(f"{name} {value!r} is not valid: a positive integer")
        params: dict[str, Any] = {"context": context, "latent_dim": latent, "passthrough": False,
                                  "random_state": random_state, "verbose": verbose}
        if epochs is not None:
            params["epochs"] = epochs
        ContextEncoder(**params)._check_params()  # bad options fail before reading
        with _unit_warnings_about(curves):  # only the curves the run uses (all when None)
            table = read_any_table(data, keep=curves or (), keep_rows=True)
        check_las_output(table, out_p)
        use = select_curves(table, resolve_curve_names(table, curves))
        left_out = [] if curves else _left_out(table, use)
        logs = _log10_for(table.frame, use) if log10 else []
        X = _to_model_units(table.frame[use], logs)
        _check_observed(table, table.frame[use], X)
        model_units = {c: u for c, u in table.units.items() if c in use and u}  # as trained
        if table.frame.attrs.get("unit_conversions"):
            # trained in one unit per curve, written in each file's own (depths in feet stay
            # in feet, as encode/detect and a given encoder write them): the same rows, unconverted
            own = read_any_table(data, keep=curves or (), keep_rows=True, convert_units=False)
            if len(own.frame) == len(table.frame):
                table = own
    frame = table.frame.reset_index(drop=True)
    X = X.reset_index(drop=True)
    from .preprocessing import check_well_labels, shared_depths

    if "WELL" in frame.columns:
        check_well_labels(frame["WELL"].to_numpy(), str(data))
    depth = pd.to_numeric(frame["DEPTH"], errors="coerce") if "DEPTH" in frame.columns else None
    if "WELL" not in frame.columns and depth is not None:
        repeated = shared_depths(depth)
        if repeated:
            raise DataError(f"{data}: {repeated} of its {len(frame)} rows share a depth with "
                            "another, and it has no WELL column: several wells in one table? "
                            "Add a WELL column (rows are ordered by depth within each well)")
    # depth order within each well (a folder's rows are in file order; a table may be in any)
    keys = [c for c in ("WELL", "DEPTH") if c in frame.columns]
    order = (np.lexsort([depth.to_numpy() if k == "DEPTH" else frame[k].astype(str).to_numpy()
                         for k in reversed(keys)])
             if keys else np.arange(len(frame)))
    ids = frame.loc[order, ["WELL"]].reset_index(drop=True) if "WELL" in frame.columns else None
    Xs = X.loc[order].reset_index(drop=True)
    Xw = pd.concat([ids, Xs], axis=1) if ids is not None else Xs
    if depth is not None:  # as the index (not a curve): a gap in the log ends the context
        Xw.index = pd.Index(depth.to_numpy()[order], name="DEPTH")
    if given is None:
        ce = ContextEncoder(**params).fit(Xw)
    codes = np.empty((len(frame), int(ce.latent_dim)))
    codes[order] = ce.transform(Xw)
    names_out = [f"CONTEXT_{i}" for i in range(codes.shape[1])]
    result = frame.copy()
    for i, name in enumerate(names_out):
        result[name] = codes[:, i]
    if save_p is not None:  # first: a failed output write then still leaves the encoder
        ce.save(save_p)
        _write_transforms(save_p, logs, model_units)
    from . import distributed as _dist

    if _dist.is_main_process():  # under torchrun, rank 0 alone writes (as the encoder's save)
        _write_output(result, out_p, table)
    summary: dict[str, Any] = {"rows": len(frame), "curves": list(use), "left_out": left_out,
                               "log10_curves": list(logs), "latent_dim": int(ce.latent_dim),
                               "context": int(ce.context),
                               "no_data": int(np.isnan(codes).all(axis=1).sum()),
                               "out": str(out_p)}
    if given is not None:
        summary["model"] = str(given)
    else:
        summary["train_loss"] = float(ce.history_["loss"][-1])
        if save_p is not None:
            summary["model"] = str(save_p)
    return summary


def detect(model_dir, data, out, *, contamination: float = 0.01, plot: bool = False,
           force: bool = False) -> dict[str, Any]:
    """Score every depth sample of ``data`` with a trained auto-encoder and flag anomalies.

    The model from ``geoae train`` is used as it is (``AnomalyDetector(prefit=True)``); the robust
    per-curve error normalisation (per number of other curves observed, so that a well's
    sections with fewer curves score on the same scale) and the threshold (the
    ``contamination`` share of ``data``) are fitted on ``data``. Writes a table, one row per
    row of ``data`` in its order (a LAS file's duplicate depths included), with
    ``ANOMALY_SCORE`` (higher = more anomalous), ``FLAG`` and each curve's share of the error
    (``<CURVE>_SHARE``), an ``*_intervals.csv`` beside it (top, base, peak score, main curve per
    flagged interval) and, with ``plot``, a PNG of the log tracks of each well: ``<out
    stem>.png`` for one well, ``<out stem>_<well>.png`` per well for several (the well's name
    with any run of characters other than letters, digits, ``.``, ``-`` and ``_`` replaced by
    ``_``); past ``MAX_DETECT_PLOTS`` (20) wells, the wells with the most flagged samples, with
    a warning saying how many were left out.

    An impossible reading cannot enter the model (it becomes missing there), so such a sample
    is flagged whatever its score, and an interval holding such samples names that curve as its
    main curve: a zero or negative reading of a curve the model sees as log10 (a resistivity),
    or a reading outside its curve's physical range
    (:data:`geoae.preprocessing.PHYSICAL_RANGES`, converted to the file's unit of the curve;
    e.g. DT 1 us/ft, GR -50 API; see ``_impossible_readings`` for curves without a unit and
    suspected unit errors). In a table output the ``INVALID`` column names the curve(s)
    (comma-separated; empty for none); in a LAS output, which holds numbers only, ``INVALID``
    is a 0/1 curve (1: an impossible reading) and the curves are named in the intervals file.

    A sample with none of the model's curves observed is not scored: its ``ANOMALY_SCORE`` and
    shares are empty (NaN), it is not flagged (unless ``INVALID``), it is left out of the
    threshold's quantile, and ``no_data`` counts such samples.
    """
    import re

    from .applications import AnomalyDetector

    if not 0 < contamination <= 0.5:
        raise ConfigError(f"--contamination {contamination} is not valid: a share in (0, 0.5]")
    out_p = check_output(out, [data, model_dir], force)
    if sniff(data) == "segy":
        raise DataError(f"{data}: detect flags depth samples of well logs; for a SEG-Y file, "
                        f"`geoae reconstruct {model_dir} {data} --out trace_errors.csv` writes each "
                        "trace's reconstruction error beside its inline, crossline and "
                        "coordinates (the highest errors are the most anomalous traces)")
    table_format(out_p)  # a .png (the name --plot gives the figure), .npy...: refused
    iv_path = out_p.with_name(out_p.stem + "_intervals.csv")
    check_output(iv_path, [data, model_dir], force)  # the PNGs: once the wells are known
    est, table, X, raw = _load_for(model_dir, data)  # raw: the model's curves as given
    check_las_output(table, out_p)
    frame = table.frame.reset_index(drop=True)
    ids = [c for c in ID_COLUMNS if c in frame.columns]
    wells = frame["WELL"].to_numpy() if "WELL" in frame else None
    raw = raw.reset_index(drop=True)
    well_units = frame.attrs.get("well_units") or {}
    units = ({str(w): well_units.get(str(w), {}) for w in pd.unique(wells)}
             if wells is not None and well_units else {"": table.units})
    invalid, impossible = _impossible_readings(
        raw, [c for c in _read_transforms(model_dir) if c in X.columns], units,
        None if wells is None else wells.astype(str), source=str(table.path))
    # an impossible reading never enters the model (a non-positive log10 one is NaN there already)
    X = X.reset_index(drop=True).mask(impossible[list(X.columns)].to_numpy())
    Xf = pd.concat([frame[ids], X], axis=1)  # curves in model units
    # impossible readings are marked here (INVALID), per well and in each file's unit
    det = AnomalyDetector(model=est, prefit=True, contamination=contamination,
                          physical_range=False)
    # one reconstruction of the data for the threshold, the scores and the shares (fit,
    # score_samples, predict, explain and intervals each made their own: 4-6 passes)
    z2, aligned = det._fit(Xf)
    score = -det._score_of(z2)
    share_all = det._share_of(z2, Xf, aligned)  # a frame: Xf is one
    with np.errstate(invalid="ignore"):  # predict's rule: score_samples - offset_ < 0
        flags = (-score - det.offset_ < 0) | (invalid != "")
    depth = frame["DEPTH"].to_numpy() if "DEPTH" in frame else np.arange(len(frame), dtype=float)

    plots: list[tuple[Path, str, np.ndarray, str]] = []  # (png, title, rows, depth unit)
    depth_units = table.frame.attrs.get("depth_units") or table.attrs.get("depth_units") or {}
    if plot:  # which wells, under which names: checked before anything is written
        from .preprocessing import well_rows

        groups = well_rows(len(frame), wells)
        several = len(groups) > 1
        if len(groups) > MAX_DETECT_PLOTS:
            most = sorted(range(len(groups)), key=lambda i: -int(flags[groups[i][1]].sum()))
            keep = sorted(most[:MAX_DETECT_PLOTS])  # the most flagged, in the data's order
            warnings.warn(f"{table.path}: {len(groups)} wells; --plot draws the "
                          f"{MAX_DETECT_PLOTS} with the most flagged samples and leaves out "
                          f"{len(groups) - MAX_DETECT_PLOTS}; to plot another, run detect on its "
                          "file alone", UserWarning, stacklevel=2)
            groups = [groups[i] for i in keep]
        used: set[str] = set()
        for w, rows in groups:
            if not several:
                png = out_p.with_suffix(".png")
            else:
                # letters of any script kept (the docs say letters): \w is Unicode-aware
                safe = re.sub(r"[^\w.-]+", "_", str(w)).strip("._") or "well"
                name, n = safe, 1
                while name.lower() in used:  # two wells named alike on the disk ("A/1", "A_1")
                    n += 1
                    name = f"{safe}_{n}"
                used.add(name.lower())
                png = out_p.with_name(f"{out_p.stem}_{name}.png")
            check_output(png, [data, model_dir], force)
            rows = rows[np.argsort(depth[rows], kind="stable")]  # the tracks go down the hole
            plots.append((png, f"{w if w is not None else table.path.name}: anomaly score", rows,
                          depth_units.get(str(w), "") if w is not None and depth_units
                          else table.frame.attrs.get("depth_unit", "")))

    share = share_all
    result = frame.copy()
    result["ANOMALY_SCORE"] = score
    result["FLAG"] = flags
    las_out = table_format(out_p) == "las"
    # a LAS file holds numbers: INVALID there is a 0/1 curve (the names are in the intervals)
    result["INVALID"] = (invalid != "").astype(np.int64) if las_out else invalid
    for c in X.columns:
        result[f"{c}_SHARE"] = np.asarray(share[c])
    intervals = det.intervals(depth, flags, scores=-score, wells=wells, share=share)
    _name_invalid_intervals(intervals, depth, wells, invalid)
    files = [str(out_p), str(iv_path)]
    from ._atomic import atomic_write_bytes, output_set

    with output_set() as claim:  # the table, its intervals and the figures as one set
        _write_output(result, claim(out_p), table)  # (LAS curve descriptions: _DESCRIPTIONS)
        write_frame(intervals, claim(iv_path))
        if plots:
            from .plotting import figure_to_png_bytes, log_tracks

            for png, title, rows, unit in plots:
                fig = log_tracks(depth[rows], raw.loc[rows, list(X.columns)],
                                 anomaly_score=score[rows], flagged_intervals=flags[rows],
                                 threshold=float(det.threshold_), title=title,
                                 depth_label=f"Depth ({unit})" if unit else "Depth")
                atomic_write_bytes(claim(png), figure_to_png_bytes(fig))
                files.append(str(png))
    return {"rows": len(result), "flagged": int(flags.sum()), "invalid": int((invalid != "").sum()),
            "no_data": int(np.isnan(score).sum()), "intervals": len(intervals),
            "threshold": float(det.threshold_), "out": files}


#: Most wells ``detect --plot`` draws (one PNG each); past it, those with the most flags.
MAX_DETECT_PLOTS = 20
