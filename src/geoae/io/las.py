"""LAS well-log files: :func:`read_las` (through lasio) and :func:`write_las`.

Reading accepts LAS 1.2 and 2.0 (wrapped or not, space- or comma-delimited) and the log data of
LAS 3.0 files where lasio reads it. Writing always produces an unwrapped, space-delimited LAS 2.0
file; every header section of the source (LAS 3.0 parameter/definition sections included) is
written back as a header section, so a read -> write -> read round trip keeps the headers.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import math
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._atomic import atomic_path, same_file
from ..errors import DataError
from ._files import EXACT_FLOATS, check_file, read_file_bytes
from .aliases import COMMON_NULLS, DEPTH_NAMES, WELL_NAMES, normalise_unit, unit_or_none

#: Encodings tried in order when decoding a LAS file (latin-1 never fails).
ENCODINGS: tuple[str, ...] = ("utf-8", "cp1252", "latin-1")

_STANDARD = ("Version", "Well", "Curves", "Parameter", "Other")
_RESET_ON_WRITE = ("VERS", "WRAP", "DLM")


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\r" in text and "\n" not in text:  # classic Mac OS line ends (CR alone)
            text = text.replace("\r", "\n")
        return text.lstrip("\ufeff"), enc
    raise DataError(f"{path}: cannot decode the file as {', '.join(ENCODINGS)}")  # pragma: no cover


_DATA_TITLE = re.compile(r"^\s*~A", re.IGNORECASE)

#: Most header items read from one LAS section, and bound on the sum over sections of the squared
#: item counts: lasio checks each new item against all the items before it (time quadratic in the
#: section length; 1000 items take about a second), so a small file with a huge ~Curve or
#: ~Parameter section would otherwise keep the reader busy for minutes. Real files have < 100.
MAX_SECTION_ITEMS = 1000
_MAX_HEADER_COST = 2 * MAX_SECTION_ITEMS**2


def _check_header_size(text: str, path: Path) -> None:
    """Raise DataError when a header section has more items than lasio parses in bounded time."""
    counts: dict[str, int] = {}
    title = None
    for ln in text.splitlines():
        stripped = ln.strip()
        if stripped.startswith("~"):
            name = stripped[1:].split("|")[0].strip()
            data = name[:1].upper() == "A" or name.upper().endswith("_DATA") or name[:1].upper() == "O"
            title = None if data else stripped[:40]
            if title is not None:
                counts.setdefault(title, 0)
        elif title is not None and stripped and not stripped.startswith("#"):
            counts[title] += 1
    if not counts:
        return
    worst = max(counts, key=counts.__getitem__)
    cost = sum(n * n for n in counts.values())
    if counts[worst] > MAX_SECTION_ITEMS or cost > _MAX_HEADER_COST:
        raise DataError(
            f"{path}: LAS header section {worst!r} has {counts[worst]} items "
            f"({sum(counts.values())} in all header sections; geoae reads at most {MAX_SECTION_ITEMS} "
            "per section); lasio would take minutes to parse it; remove the unused header items"
        )


def _las3_log_only(text: str) -> str:
    """A LAS 3.0 file's text as lasio reads it right: the log data section (``~Log_Data``, any
    case, indexed ``[1]`` too) titled ``~ASCII``, the log definition spelled ``~Log_Definition``,
    and the other data sets' data sections (``~Tops_Data``, ``~Core_Data``, ...) left out.

    lasio 0.32 does not read ``~Log_Data`` when it is comma-delimited (every number became a row
    of its own), drops the last log row when another data set's data follows, and reads a
    ``~LOG_DEFINITION`` in other letter cases as curves ``UNKNOWN:n``. geoae reads the logs only;
    the other data sets' parameter and definition sections stay in the header (and their data
    sections are listed in ``attrs["other_data_sections"]``, from the original text). Files
    without a log data section of that name are returned unchanged."""
    # one search of the whole text (a regex per line took a third of reading a 400-row file)
    if not re.search(r"^[^\S\r\n]*~LOG_DATA\b", text, re.IGNORECASE | re.MULTILINE):
        return text
    lines = text.splitlines(keepends=True)
    out, data, where = [], [], None
    for ln in lines:
        stripped = ln.strip()
        if stripped.startswith("~"):
            name = re.sub(r"\[\d+\]$", "", stripped[1:].split("|")[0].strip()).upper()
            end = ln[len(ln.rstrip("\r\n")):] or "\n"
            if name == "LOG_DATA":
                where, ln = data, "~ASCII" + end
            elif name.endswith("_DATA"):
                where = None  # another data set's data: not read
            else:
                where = out
                if name == "LOG_DEFINITION":
                    ln = "~Log_Definition" + end
        elif where is None and not out and not data:
            where = out  # text before the first section
        if where is not None:
            where.append(ln)
    if out and not out[-1].endswith(("\n", "\r")):
        out[-1] += "\n"
    return "".join(out + data)  # the log data last, where LAS 2.0 readers expect it


def _curve_count(lines: list[str]) -> int | None:
    """Number of curves defined for the log data, in the section lasio takes for them: the
    last one titled ``~C...`` without ``_`` (LAS 2: ``~C``, ``~Curve Information``; not
    ``~Core_Definition``) or holding ``~Log_Definition`` (LAS 3). None without one."""
    count, inside, found = 0, False, None
    for ln in lines:
        stripped = ln.strip()
        if stripped.startswith("~"):
            if inside:
                found = count
            inside = ((stripped[1:2].upper() == "C" and "_" not in stripped)
                      or "~LOG_DEFINITION" in stripped.upper())
            count = 0
        elif inside and stripped and not stripped.startswith("#"):
            count += 1
    if inside:
        found = count
    return found or None


def _wrapped(lines: list[str]) -> bool:
    """Whether the ~Version section says ``WRAP. YES``."""
    return any(re.match(r"^\s*WRAP\s*\.\s*YES\b", ln, re.IGNORECASE) for ln in lines)


def _fix_comma_data(text: str, path: Path | str = "") -> str:
    """Turn a comma-delimited ~A section into a space-delimited one (lasio misreads some).

    The Wellington KGS 1-32 files say ``VERS 2.0`` with no ``DLM`` line (or ``DLM COMMA`` in LAS
    3.0), yet their data lines are comma-separated; lasio then fails or reads one value per row.
    An empty field (``1000.5,,2.46``) is a missing value (``nan``), not a shift of the next
    ones; a field holding a space (``1000,0 50,1``: decimal commas) is a :class:`DataError`.
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if _DATA_TITLE.match(ln)), None)
    if start is None:
        return text
    first = next((ln for ln in lines[start + 1 :] if ln.strip() and not ln.lstrip().startswith("#")), "")
    if "," not in re.sub(r'"[^"]*"', "", first):  # a comma inside a quoted text value is text
        return text
    # a delimiter at the end of a line adds an empty last field, to drop. In wrapped data a
    # line-final delimiter only continues the depth step: dropped on every line. Unwrapped, an
    # empty last field that is a missing value (1000.0,45.2, for three curves) is kept: a line
    # with more fields than curves ends with a delimiter (without a ~C section: when every
    # line ends so)
    wrapped = _wrapped(lines[:start])
    n_curves = None if wrapped else _curve_count(lines)
    every = wrapped or (not n_curves and all(
        ln.rstrip().endswith(",") for ln in lines[start + 1:]
        if ln.strip() and not ln.lstrip().startswith(("#", "~"))))
    out = []
    in_data = False
    for i, ln in enumerate(lines):
        stripped = ln.lstrip()
        if stripped.startswith("~"):
            in_data = i == start
        elif in_data and not stripped.startswith("#") and stripped.strip():
            body = ln.rstrip("\r\n")
            raw = next(csv.reader([body], skipinitialspace=True))  # quote-aware
            # a quoted text value keeps its spaces (and commas) inside quotes
            fields = [f'"{f.strip()}"' if " " in f.strip() and f'"{f}"' in body else f.strip()
                      for f in raw]
            if fields and fields[-1] == "" and (len(fields) > n_curves if n_curves else every):
                fields = fields[:-1]  # the line ends with the delimiter
            if any(len(f.split()) > 1 and not f.startswith('"') for f in fields):
                raise DataError(f"{path}: data line {i + 1} mixes commas and spaces "
                                f"({ln.strip()[:60]!r}): decimal commas? Give the LAS file with "
                                "decimal points and one delimiter")
            end = ln[len(ln.rstrip("\r\n")):]
            ln = " ".join(f if f else "nan" for f in fields) + end
        elif re.match(r"^\s*DLM\s*\.", ln, re.IGNORECASE):
            ln = re.sub(r"COMMA", "SPACE", ln, flags=re.IGNORECASE)
        out.append(ln)
    return "".join(out)


@contextlib.contextmanager
def _quiet_lasio() -> Iterator[list[str]]:
    """Collect lasio's log records and Python warnings instead of printing them."""
    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - trivial
            records.append(record.getMessage())

    logger = logging.getLogger("lasio")
    handler = _Collect(level=logging.WARNING)
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield records
        records.extend(str(w.message) for w in caught)
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def _fast_frame(text: str, las: Any) -> pd.DataFrame | None:
    """Parse a plain numeric, unwrapped ~A section with pandas' C parser (lasio's is slow).

    Returns None (the caller then lets lasio read the data) for anything unusual: wrapped
    files, text values, a column count that differs from the ~Curve section.
    """
    if str(las.version.get("WRAP", "NO").value if "WRAP" in las.version else "NO").upper() == "YES":
        return None
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _DATA_TITLE.match(ln)]
    if len(starts) != 1 or len(las.curves) < 2:
        return None
    body = lines[starts[0] + 1 :]
    end = next((i for i, ln in enumerate(body) if ln.lstrip().startswith("~")), len(body))
    try:
        data = pd.read_csv(
            io.StringIO("\n".join(body[:end])), sep=r"\s+", header=None, comment="#", engine="c",
            **EXACT_FLOATS,
        )
    except Exception:
        return None
    if data.shape[1] != len(las.curves) or data.shape[0] == 0:
        return None
    if data.isna().to_numpy().any():  # short lines (a truncated file?) or text: lasio decides
        return None
    if not all(pd.api.types.is_float_dtype(t) or pd.api.types.is_integer_dtype(t) for t in data.dtypes):
        return None
    keys = [c.mnemonic for c in las.curves]
    data = data.astype(np.float64)
    data.columns = keys
    return data.set_index(keys[0])


def _open_lasfile(
    path: str | os.PathLike, fast: bool = False
) -> tuple[Any, str, list[str], pd.DataFrame | None]:
    """Read ``path`` with lasio; return ``(LASFile, encoding, lasio messages, fast frame)``.

    With ``fast=True`` lasio reads only the headers and the data is parsed by
    :func:`_fast_frame` when it can (else lasio reads the data too and the frame is None).

    Raises DataError (never a lasio/OS/Unicode error) naming the file.
    """
    import lasio

    path = Path(path)
    check_file(path, "a .las file")
    raw = read_file_bytes(path)
    text, encoding = _decode(raw, path)
    if not any(ln.lstrip().startswith("~") for ln in text.splitlines()):
        raise DataError(
            f"{path}: not a LAS file (no '~' section such as ~Version, ~Well, ~Curve, ~ASCII found); "
            "give a LAS 1.2/2.0/3.0 well-log file"
        )
    if not any(_DATA_TITLE.match(ln) for ln in text.splitlines()) and not re.search(
        r"^\s*~\w*_?Data", text, re.IGNORECASE | re.MULTILINE
    ):
        raise DataError(
            f"{path}: LAS file has no data section (~ASCII/~A); the file is incomplete or truncated"
        )
    _check_header_size(text, path)
    original = text
    text = _fix_comma_data(_las3_log_only(text), path)
    try:
        with _quiet_lasio() as messages:
            las = None
            frame = None
            if fast:
                try:
                    header_only = lasio.read(io.StringIO(text), ignore_data=True)
                except Exception:  # noqa: BLE001 - lasio 0.32 fails on LAS 3.0 ~Log_Definition
                    header_only = None  # headers alone: the full read below handles them
                frame = None if header_only is None else _fast_frame(text, header_only)
                if frame is not None:
                    las = header_only
            if las is None:
                las = lasio.read(io.StringIO(text), ignore_header_errors=False)
    except Exception as exc:
        msg = str(exc).strip().splitlines()
        detail = msg[-1] if msg else type(exc).__name__
        line = re.search(r"line (\d+)", str(exc))
        where = f" (near line {line.group(1)})" if line else ""
        hint = (
            "the data section has a different number of values than curves: the file may be "
            "truncated or wrapped incorrectly"
            if "reshape" in str(exc).lower()
            else "check that it is a valid LAS file"
        )
        raise DataError(f"{path}: lasio cannot read this LAS file{where}: {detail}; {hint}") from exc
    las.geoae_raw_items = _raw_header_items(text)
    # LAS 3.0 data sections besides the log data (tops, tests, ...): lasio skips them (and
    # _las3_log_only left them out), so they are found in the file's own text
    las.geoae_other_data = [m.group(1) + "_Data" + (m.group(2) or "") for m in re.finditer(
        r"^~(\w+?)_Data(\[\d+\])?", original, re.IGNORECASE | re.MULTILINE)
        if not m.group(1).lower().startswith("log")]
    return las, encoding, messages, frame


#: lasio's names of the LAS 2.0 item sections, by the first letter of their ``~`` title.
_ITEM_SECTIONS = {"V": "Version", "W": "Well", "C": "Curves", "P": "Parameter"}


def _raw_header_items(text: str) -> dict[str, list[tuple[str, str]]]:
    """``{section: [(mnemonic, value text), ...]}`` of the LAS 2.0 item sections as written in
    the file, parsed line by line as lasio parses them (comments and blank lines skipped), so
    that they align with lasio's items. lasio upper-cases mnemonics and turns values into
    numbers (``LIC . 007`` becomes 7); :func:`_header_from_lasfile` puts back what that loses."""
    from lasio.reader import SectionParser, read_header_line

    out: dict[str, list[tuple[str, str]]] = {}
    name = parser = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("~"):
            words = line[1:].split()
            word = words[0] if words else ""
            if word[:1].upper() == "A" and "_" not in word:  # the log data: the header is read
                break
            name = _ITEM_SECTIONS.get(word[:1].upper()) if word and "_" not in word else None
            if name is not None and name in out:  # a repeated section: lasio merges; skip it
                out[name] = None  # type: ignore[assignment]
                name = None
            if name is not None:
                parser = SectionParser(line)
                out[name] = []
            continue
        if name is None or not line or line.startswith("#") or out.get(name) is None:
            continue
        try:
            values = read_header_line(line, section_name=parser.section_name2)
        except Exception:  # lasio says it when it reads the file
            out[name] = None  # type: ignore[assignment]
            name = None
            continue
        out[name].append((str(values["name"]), str(values["value"]).strip()))
    return {k: v for k, v in out.items() if v is not None}


def _item_dict(item: Any) -> dict[str, Any]:
    value = item.value
    if isinstance(value, np.generic):
        value = value.item()
    return {
        "mnemonic": item.original_mnemonic,
        "key": item.mnemonic,
        "unit": item.unit or "",
        "value": value,
        "descr": item.descr or "",
    }


class LasHeader(dict):
    """The header sections of a LAS file (``{section: items or text}``), shared, not deep-copied.

    pandas deep-copies ``DataFrame.attrs`` on most operations; a LAS 3.0 header can hold
    thousands of items, so this dict returns itself from ``deepcopy``. Treat it as read-only.
    """

    def __deepcopy__(self, memo: dict) -> LasHeader:
        return self

    def __copy__(self) -> LasHeader:
        return self


def _header_from_lasfile(las: Any) -> LasHeader:
    """Plain (JSON-like) copy of every header section of a lasio LASFile, in file order.

    Where the file's own text is known (``las.geoae_raw_items``), a mnemonic keeps its case
    (``x_loc``; the ``key`` stays lasio's upper case) and a value written with leading zeros
    (``LIC . 007``, a licence or permit number) stays that text instead of lasio's number."""
    sections = LasHeader()
    raw = getattr(las, "geoae_raw_items", {})
    for name, section in las.sections.items():
        if isinstance(section, str):
            sections[name] = section
            continue
        items = [_item_dict(it) for it in section]
        given = raw.get(name)
        if given is not None and len(given) == len(items) and all(
                m.upper() == str(it["mnemonic"]).upper() for (m, _), it in zip(given, items, strict=True)):
            for (mnemonic, text), it in zip(given, items, strict=True):
                it["mnemonic"] = mnemonic
                value = it["value"]
                if (isinstance(value, (int, float)) and not isinstance(value, bool)
                        and _LEADING_ZERO.match(text)):
                    it["value"] = text
        sections[name] = items
    return sections


#: A number written with a leading zero (``007``, ``-0123``), which a number would lose.
_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def _to_number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _las_header_value(sections: Mapping[str, Any], section: str, mnemonic: str) -> Any:
    for it in sections.get(section, []) if not isinstance(sections.get(section), str) else []:
        if it["mnemonic"].upper() == mnemonic:
            return it["value"]
    return None


def _signature(index: np.ndarray) -> str:
    """Short fingerprint of a depth index (to know whether a frame still has a file's depths)."""
    arr = np.ascontiguousarray(np.asarray(index, dtype=np.float64))
    return f"{len(arr)}:{hashlib.sha1(arr.tobytes()).hexdigest()}"


def read_las(path: str | os.PathLike, null_values: tuple[float, ...] | None = COMMON_NULLS) -> pd.DataFrame:
    """Read a LAS well-log file into a DataFrame indexed by depth.

    Parameters
    ----------
    path : str or path-like
        A LAS 1.2 / 2.0 file (wrapped or not, space- or comma-delimited) or a LAS 3.0 file whose
        log data lasio can read. Text is decoded as UTF-8, falling back to cp1252 then latin-1.
    null_values : tuple of float or None
        Values turned into NaN besides the file's own ``NULL`` (default :data:`COMMON_NULLS`:
        -999.25, -999, -9999, -9999.25, -99999). ``None`` or ``()`` keeps only the file's NULL.
        Only in the curves: a depth is missing when it is the file's NULL (-999 m can be a
        TVDSS depth), or one of these when the file declares none.

    Returns
    -------
    DataFrame, shape (n_depths, n_curves)
        One column per curve (the index curve excluded), in the file's units; missing values are
        NaN. The index is the depth (or time) curve: its name is the file's index mnemonic
        (``DEPT`` usually) and its unit is in ``df.attrs["index_unit"]``. Rows whose index is
        missing are dropped. Duplicate mnemonics get lasio's ``:1``, ``:2`` suffixes.
        ``df.attrs`` holds ``source``, ``encoding``, ``version``, ``well_name``, ``uwi``,
        ``well`` (``{mnemonic: value}`` of ~Well: COMP, FLD, LOC, ...), ``units`` and
        ``descriptions`` (``{curve: str}``), ``null_value``, ``n_missing`` (``{curve: count}``
        of NaN after null handling), ``messages`` (lasio's warnings) and ``las_header`` (every original
        section, used by :func:`write_las` to write the headers back).

    Raises
    ------
    DataError
        Missing file, not a LAS file, no data section, truncated data, no curves or no rows;
        the message names the file.
    """
    path = Path(path)
    las, encoding, messages, fast_df = _open_lasfile(path, fast=True)
    try:
        df = las.df() if fast_df is None else fast_df
    except Exception as exc:
        raise DataError(
            f"{path}: lasio read the header but not the data ({exc}); check the ~A section"
        ) from exc
    if len(las.curves) == 0:
        raise DataError(f"{path}: LAS file declares no curves (empty ~Curve section); nothing to read")
    if df.shape[1] == 0:
        raise DataError(
            f"{path}: LAS file has only the index curve {las.curves[0].mnemonic!r} and no log curve; "
            "nothing to read"
        )
    if df.shape[0] == 0:
        raise DataError(
            f"{path}: LAS file has no data rows (empty or unreadable ~A section; lasio says: "
            f"{'; '.join(messages[:2]) or 'nothing'}); check that the file is complete"
        )
    header = _header_from_lasfile(las)
    null = _to_number(_las_header_value(header, "Well", "NULL"))
    extra = tuple(null_values or ())
    markers = (*extra, *((null,) if null is not None else ()))
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s):
            s = s.mask(s.astype(str).str.strip().str.lower().isin(("", "nan", "none")))
            converted = pd.to_numeric(s, errors="coerce")
            lost = int(s.notna().sum() - converted.notna().sum())
            real = int((converted.notna() & ~converted.isin(markers)).sum())
            if lost and real < lost:
                # mostly text (a lithology or zone name; nulls aside): kept as text, the nulls
                # missing
                df[col] = s.mask(converted.isin(markers))
                continue
            if lost:  # a numeric curve with a few tokens such as N/A, -, ***
                tokens = sorted({str(t) for t in s[converted.isna() & s.notna()]})[:3]
                warnings.warn(f"{path}: curve {col!r} has {lost} non-numeric value(s) (e.g. "
                              f"{', '.join(map(repr, tokens))}); they are read as missing",
                              stacklevel=2)
            s = converted
        values = s.to_numpy(dtype=np.float64, copy=True)
        bad = ~np.isfinite(values) & ~np.isnan(values)
        for v in markers:
            bad |= values == v
        values[bad] = np.nan
        df[col] = values
    index = pd.to_numeric(pd.Series(df.index), errors="coerce").to_numpy(dtype=np.float64)
    bad_index = ~np.isfinite(index)
    # a depth equal to the file's NULL is missing; another marker (-999) can be a depth (TVDSS)
    for v in (null,) if null is not None else extra:
        bad_index |= index == v
    if bad_index.any():
        warnings.warn(
            f"{path}: dropped {int(bad_index.sum())} row(s) whose depth is missing or null",
            stacklevel=2,
        )
        df = df.loc[~bad_index]
        index = index[~bad_index]
        if df.shape[0] == 0:
            raise DataError(
                f"{path}: no data row of the LAS file has a valid depth (every index value is "
                "missing, null or not a number); check the ~A section and the NULL value"
            )
    index_curve = las.curves[0]
    df.index = pd.Index(index, name=index_curve.mnemonic)
    curves = header.get("Curves", [])
    well = {it["mnemonic"]: it["value"] for it in header.get("Well", []) if isinstance(it, dict)}
    df.attrs = {
        "source": str(path),
        "encoding": encoding,
        "version": str(_las_header_value(header, "Version", "VERS")),
        "well_name": str(well.get("WELL", "") or "").strip(),
        "uwi": str(well.get("UWI", "") or "").strip(),
        "well": well,
        "index_name": index_curve.mnemonic,
        "index_unit": unit_or_none(index_curve.unit),
        "units": {c["key"]: unit_or_none(c["unit"]) for c in curves[1:]},
        "descriptions": {c["key"]: c["descr"] for c in curves[1:]},
        "null_value": null,
        "n_missing": {str(c): int(df[c].isna().sum()) for c in df.columns},
        # rows dropped for a null depth: the header's STRT/STOP/STEP no longer describe these
        # depths, so the signature matches no frame and write_las recomputes them
        "index_signature": _signature(index) + (":rows dropped" if bad_index.any() else ""),
        "messages": list(messages),
        "las_header": header,
        # LAS 3.0 data sections besides the log data: write_las cannot keep them
        "other_data_sections": list(getattr(las, "geoae_other_data", [])),
    }
    return df


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _fmt_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _one_line(text: str) -> str:
    """``text`` on one line: a line break inside a header value (a well name from a quoted CSV
    field, say) would end the item there and could start a section (``~A``)."""
    return " ".join(str(text).splitlines())


def _format_items(items: list[dict[str, Any]]) -> list[str]:
    rows = [
        (
            _one_line(it["mnemonic"]),
            _one_line(it.get("unit") or ""),
            _one_line(_fmt_value(it.get("value"))),
            _one_line(it.get("descr") or ""),
        )
        for it in items
    ]
    if not rows:
        return []
    wm = max(len(r[0]) for r in rows)
    wu = max(len(r[1]) for r in rows)
    wv = max(len(r[2]) for r in rows)
    out = []
    for m, u, v, d in rows:
        # a space in the unit would end it early: LAS units have none
        u = u.replace(" ", "_")
        out.append(f" {m:<{wm}} .{u:<{wu}} {v:>{wv}} : {d}".rstrip())
    return out


def _depth_step(index: np.ndarray) -> float:
    if len(index) < 2:
        return 0.0
    d = np.diff(index)
    if np.allclose(d, d[0], rtol=1e-6, atol=1e-9):
        return float(d[0])
    return 0.0


def _prepare_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Return (frame indexed by depth, well name from a WELL column if any), attrs dropped."""
    well_name = None
    df = df.copy(deep=False)
    df.attrs = {}
    dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if dup:
        raise DataError(f"write_las: column name(s) {dup} appear more than once (a LAS file names "
                        "each curve once); rename or drop the copies")
    if isinstance(df.index, pd.MultiIndex):
        # e.g. one group of a (WELL, DEPTH)-indexed frame: its WELL level names the well
        levels = [str(n).upper() if n is not None else "" for n in df.index.names]
        wlevel = next((i for i, n in enumerate(levels) if n in WELL_NAMES), None)
        if df.index.nlevels != 2 or wlevel is None:
            raise DataError(f"write_las: the frame's index has levels {list(df.index.names)}; "
                            "index it by depth alone (e.g. df.droplevel('WELL') or "
                            "df.reset_index().set_index('DEPTH'))")
        names = df.index.get_level_values(wlevel).dropna().unique()
        if len(names) > 1:
            raise DataError(f"write_las: the frame holds {len(names)} wells in its index level "
                            f"{df.index.names[wlevel]!r}; write one well per file "
                            "(for well, logs in df.groupby(level='WELL'): ...)")
        well_name = str(names[0]) if len(names) else None
        df = df.droplevel(wlevel)
    kind = df.index.dtype.kind if not isinstance(df.index.dtype, pd.CategoricalDtype) else "O"
    if kind in "mMb" or isinstance(df.index, pd.PeriodIndex):  # times or flags read as numbers
        raise DataError(f"write_las: the frame's index ({df.index.dtype}) is not a depth; index "
                        "the frame by depth (df.set_index('DEPTH')) or give it a DEPTH column "
                        "and a default index")
    wcol = next((c for c in df.columns if str(c).upper() in WELL_NAMES and not _is_num(df[c])), None)
    if wcol is not None:
        names = df[wcol].dropna().unique()
        if len(names) > 1:
            raise DataError(
                f"write_las: the frame holds {len(names)} wells in column {wcol!r}; "
                "write one well per file (df[df.WELL == name])"
            )
        if well_name is not None and len(names) and str(names[0]) != well_name:
            raise DataError(f"write_las: the index names well {well_name!r} and column {wcol!r} "
                            f"names {str(names[0])!r}; keep one")
        well_name = str(names[0]) if len(names) else well_name
        df = df.drop(columns=[wcol])
    if isinstance(df.index, pd.RangeIndex):
        dcol = next((c for c in df.columns if str(c).upper() in DEPTH_NAMES), None)
        if dcol is None:
            raise DataError(
                "write_las: the frame has no depth index and no depth column "
                f"(one of {DEPTH_NAMES}); set the depth as the index"
            )
        df = df.set_index(dcol)
    name = df.index.name
    if name is not None and name in df.columns:  # e.g. set_index("DEPTH", drop=False)
        same = np.array_equal(pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float),
                              pd.to_numeric(pd.Series(df.index), errors="coerce").to_numpy(
                                  dtype=float), equal_nan=True)
        if not same:
            raise DataError(f"write_las: the frame has a column {name!r} besides its depth index "
                            f"of that name, with other values; rename or drop the column")
        df = df.drop(columns=[name])
    return df, well_name


def _format_column(values: np.ndarray, fmt: str | None, null_text: str) -> list[str]:
    """Numbers as text, right-aligned; NaN as the NULL value. ``fmt=None``: shortest exact repr
    (of a float32 column, the float32 value's: ``0.1``, not ``0.10000000149011612``)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        num = arr.astype(np.float64)
        text = (arr.astype(str) if fmt is None and arr.dtype == np.float32
                else num.astype(str) if fmt is None else np.char.mod(fmt, num))
        text = np.where(np.isnan(num), null_text, text)
    else:
        # an empty text is missing (nothing written would shift the next columns); a text with
        # a space (any white space), a comma or a quote is quoted (one value, in a space- or a
        # comma-delimited reader; lasio reads ' as a quote too); a double quote inside (9 5/8"
        # casing) would end the quotes: it is written as ''; line breaks as spaces
        text = np.array(
            [
                null_text
                if v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip()
                else (f'"{t}"' if any(ch in ",'" or ch.isspace() for ch in t) else t)
                for v in arr
                for t in [" ".join(str(v).replace('"', "''").splitlines())]
            ]
            or [""],
            dtype=str,
        )[: len(arr)]
    text = text.astype(str)
    width = int(np.char.str_len(text).max()) if len(text) else 0
    return np.char.rjust(text, width).tolist()


def _is_num(s: pd.Series) -> bool:
    """True when a Series holds numbers (bool excluded)."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def write_las(
    df: pd.DataFrame,
    path: str | os.PathLike,
    template: str | os.PathLike | None = None,
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    *,
    fmt: str | None = None,
) -> Path:
    """Write curves to a LAS 2.0 file, keeping the headers of a source file.

    Parameters
    ----------
    df : DataFrame, shape (n_depths, n_curves)
        Curves indexed by depth (as returned by :func:`read_las`), or with a depth column
        (``DEPTH``/``DEPT``/``MD``) and a default index; a single-well ``WELL`` column becomes the
        WELL header when there is no template. NaN is written as the header's NULL (-999.25 by
        default). Values in the curves' own units.
    path : str or path-like
        Output file; written atomically (a temporary file renamed into place).
    template : str or path-like, optional
        The source LAS file: every header section (~Version, ~Well, ~Parameter, ~Other and any
        LAS 3.0 section) and every curve is kept in order; curves of ``df`` with a template name
        replace the template data, template curves missing from ``df`` keep their data (aligned on
        depth, NaN where ``df`` has depths the template lacks); new curves (e.g. ``PE_IMPUTED``,
        ``ANOMALY_SCORE``) are appended. Without a template, the header kept in
        ``df.attrs["las_header"]`` by :func:`read_las` is used when present.
    units, descriptions : dict, optional
        ``{curve: unit}`` and ``{curve: description}`` for new curves (they also override the
        template's); otherwise taken from ``df.attrs["units"]`` / ``["descriptions"]``. One
        well of a :func:`geoae.io.read_wells` frame (its ``WELL`` column) is labelled with that
        well's own units (``attrs["well_units"]``, ``attrs["depth_units"]``), or, for a curve or
        depth that ``read_wells`` converted (``attrs["unit_conversions"]``), with the unit its
        values are now in (also over a template's unit).
    fmt : str, optional
        printf format of the numbers (e.g. ``"%.4f"``). Default: the shortest text that reads
        back as the same float64, so a round trip is exact.

    Returns
    -------
    Path
        The written file. The output is always unwrapped, space-delimited LAS 2.0 (``VERS``,
        ``WRAP`` and ``DLM`` are reset accordingly); STRT/STOP/STEP are kept when the depths
        equal the template's and recomputed otherwise (STEP 0 for irregular sampling).

    Raises
    ------
    DataError
        ``path`` is the template (inputs are never overwritten), an unreadable template, a frame
        without depth or with several wells, or a template with one well of a ``read_wells``
        frame whose depths were converted to another unit than the template's (its curves
        could not be laid on those depths; convert the depths back first).
    """
    path = Path(path)
    units = dict(units or {})
    descriptions = dict(descriptions or {})
    if template is not None:
        tpath = Path(template)
        if same_file(path, tpath):
            raise DataError(f"{path}: refusing to overwrite the template/input file; write to another path")
    frame, well_from_column = _prepare_frame(df)
    index = pd.to_numeric(pd.Series(frame.index), errors="coerce").to_numpy(dtype=np.float64)
    if len(index) == 0:
        raise DataError(f"{path}: nothing to write (the frame has no rows)")
    if not np.isfinite(index).all():
        raise DataError(f"{path}: the depth index has missing values; drop those rows first")

    template_data: pd.DataFrame | None = None
    source_signature = df.attrs.get("index_signature")
    if template is not None:
        own = bool(df.attrs.get("source")) and "las_header" in df.attrs
        own = own and Path(df.attrs["source"]).resolve() == Path(template).resolve()
        template_keys = [it["key"] for it in df.attrs["las_header"].get("Curves", [])[1:]] if own else []
        if own and all(k in frame.columns for k in template_keys):
            header = df.attrs["las_header"]  # read from the template, with all its curves: no re-read
        else:
            template_data = read_las(template)
            header = template_data.attrs["las_header"]
            source_signature = template_data.attrs["index_signature"]
    else:
        header = df.attrs.get("las_header")
    # the LAS 3.0 data sections of the header's source (the template, or the file the frame
    # was read from) cannot be written
    lost = (template_data.attrs if template_data is not None else df.attrs).get(
        "other_data_sections", []) if header else []
    if lost:
        warnings.warn(f"{path}: the source's LAS 3.0 data sections {lost} are not written "
                      "(geoae writes LAS 2.0: the header and the log data); their "
                      "definitions stay in the header", UserWarning, stacklevel=2)
    attrs_units = dict(df.attrs.get("units", {}))
    attrs_descr = dict(df.attrs.get("descriptions", {}))
    index_unit = df.attrs.get("index_unit", "")
    per_well = df.attrs.get("well_units") or {}
    depth_units = df.attrs.get("depth_units") or {}
    converted = (df.attrs.get("unit_conversions") or {}).get(well_from_column) or {}
    if well_from_column is not None and (well_from_column in per_well
                                         or well_from_column in depth_units):
        # one well of a read_wells frame: its own units, not the first file's; a curve no well
        # gave a unit for (added or converted by the user) keeps the frame's; a curve (or the
        # depth) read_wells converted is in the unit it was converted to
        from_wells = {c for units_of in per_well.values() for c in units_of}
        attrs_units = {c: u for c, u in attrs_units.items() if c not in from_wells}
        attrs_units.update(per_well.get(well_from_column, {}))
        attrs_units.update({c: to for c, (_, to) in converted.items() if c != "DEPTH"})
        index_unit = depth_units.get(well_from_column, index_unit) or index_unit
        if "DEPTH" in converted:
            was, index_unit = converted["DEPTH"]
            tunit = str((template_data.attrs if template_data is not None else df.attrs).get(
                "index_unit", "")) if template is not None else index_unit
            if normalise_unit(tunit) != normalise_unit(index_unit):
                raise DataError(
                    f"{path}: the depths of well {well_from_column!r} were converted from {was} "
                    f"to {index_unit} by read_wells, and the template {template} is in "
                    f"{tunit or 'another unit'}; write without a template, read the wells "
                    "with convert_units=False, or convert the DEPTH column back "
                    "(geoae.io.units.convert_units) and then remove this well's entry from "
                    "df.attrs['unit_conversions'] (the units written follow the attrs)")
        # a template's curve whose values read_wells converted is written in their unit
        units = {**{c: to for c, (_, to) in converted.items() if c in frame.columns}, **units}

    if header:
        sections = {k: (v if isinstance(v, str) else [dict(it) for it in v]) for k, v in header.items()}
    else:
        index_name = str(frame.index.name or df.attrs.get("index_name") or "DEPT")
        sections = {
            "Version": [],
            "Well": [
                {"mnemonic": m, "key": m, "unit": index_unit, "value": None, "descr": d}
                for m, d in (("STRT", "START DEPTH"), ("STOP", "STOP DEPTH"), ("STEP", "STEP"))
            ]
            + [
                {"mnemonic": "NULL", "key": "NULL", "unit": "", "value": -999.25, "descr": "NULL VALUE"},
                {
                    "mnemonic": "WELL",
                    "key": "WELL",
                    "unit": "",
                    "value": well_from_column or df.attrs.get("well_name", ""),
                    "descr": "WELL",
                },
            ],
            "Curves": [
                {
                    "mnemonic": index_name,
                    "key": index_name,
                    "unit": index_unit,
                    "value": "",
                    "descr": "DEPTH",
                }
            ],
            "Parameter": [],
            "Other": "",
        }
    # ~Version: always LAS 2.0, unwrapped, space-delimited
    version_items = [
        it for it in sections.get("Version", []) if it["mnemonic"].upper() not in _RESET_ON_WRITE
    ]
    sections["Version"] = [
        {
            "mnemonic": "VERS",
            "key": "VERS",
            "unit": "",
            "value": "2.0",
            "descr": "CWLS LOG ASCII STANDARD - VERSION 2.0",
        },
        {"mnemonic": "WRAP", "key": "WRAP", "unit": "", "value": "NO", "descr": "ONE LINE PER DEPTH STEP"},
        *version_items,
    ]
    null = _to_number(_las_header_value(sections, "Well", "NULL"))
    if null is None or (index == null).any():
        # the usual -999.25, unless a depth is that number (a TVDSS depth above sea level):
        # a reader would drop that row
        free = next((v for v in (-999.25, -9999.25, -99999.25, -999999.25, -9999999.25)
                     if not (index == v).any()), None)
        if free is None:
            raise DataError(f"{path}: the depths include every usual NULL value (-999.25, "
                            "-9999.25, ...); give the frame a header with another NULL")
        if null is None:
            sections.setdefault("Well", []).append(
                {"mnemonic": "NULL", "key": "NULL", "unit": "", "value": free, "descr": "NULL VALUE"})
        else:
            if header:  # (a frame without a header gets another NULL without a word)
                warnings.warn(f"{path}: a depth equals the header's NULL value {null:g}; NULL is "
                              f"written as {free:g} instead, so that no reader drops that row",
                              UserWarning, stacklevel=2)
            for it in sections.get("Well", []):
                if it["mnemonic"].upper() == "NULL":
                    it["value"] = free
        null = free

    # the columns to write, in order: template curves (index first), then new ones
    curve_items = list(sections.get("Curves", []))
    if not curve_items:
        raise DataError(f"{path}: the header has no ~Curve section; cannot write")
    index_item = curve_items[0]
    body = curve_items[1:]
    known = {it["key"] for it in body}
    columns: dict[str, np.ndarray | pd.Series] = {}
    out_items = [index_item]
    for it in body:
        key = it["key"]
        if key in frame.columns:
            columns[key] = frame[key]
        elif template_data is not None and key in template_data.columns:
            src = template_data[key]
            if len(src.index) == len(index) and np.array_equal(src.index.to_numpy(dtype=np.float64), index):
                columns[key] = pd.Series(src.to_numpy(), index=frame.index)
            else:
                src = src[~src.index.duplicated(keep="first")]
                columns[key] = pd.Series(src.reindex(index).to_numpy(), index=frame.index)
        else:
            continue  # a curve of the stored header that the frame dropped
        out_items.append(it)
    renamed: dict[str, str] = {}
    taken = {str(it["mnemonic"]).upper() for it in out_items}
    for col in frame.columns:
        if col in known:
            continue
        name = str(col)
        # "." ends a LAS mnemonic and ":" starts its description: "GR.1" (pandas' second GR)
        # would be read back as GR with unit "1", "RHOB:2" as RHOB
        mnemonic = re.sub(r"[.:]", "_", name.strip()) or "CURVE"
        if mnemonic != name:
            if mnemonic.upper() in taken:
                raise DataError(f"{path}: column {name!r} cannot be a LAS mnemonic ('.' and ':' "
                                f"are LAS delimiters) and {mnemonic!r} is taken; rename it first")
            renamed[name] = mnemonic
        taken.add(mnemonic.upper())
        out_items.append({"mnemonic": mnemonic, "key": name, "unit": "", "value": "", "descr": ""})
        columns[name] = frame[col]
    if renamed:
        warnings.warn(f"{path}: column(s) written under LAS mnemonics without '.' or ':' "
                      f"(LAS delimiters): {renamed}", UserWarning, stacklevel=2)
    for it in out_items:
        k = it["key"]
        if k in units or (k not in known and k in attrs_units):
            it["unit"] = units.get(k, attrs_units.get(k, ""))
        if k in descriptions or (k not in known and k in attrs_descr):
            it["descr"] = descriptions.get(k, attrs_descr.get(k, ""))
    # a curve the frame holds as log10 (preprocessing.log10_curves, sample_wells of a model fitted
    # on log10 resistivities) is labelled so, not with the linear unit its attrs still carry
    logged = ({str(c) for c in df.attrs.get("log10_curves", []) or []} - set(units)) & {
        str(c) for c in frame.columns}  # a template's own curve keeps its unit
    relabelled = {}
    for it in out_items:
        if it["key"] in logged:
            unit = str(it["unit"] or "").strip()
            if not unit.lower().startswith("log"):
                it["unit"] = relabelled[it["key"]] = f"log10({unit})" if unit else "log10"
    if relabelled:
        warnings.warn(f"{path}: {sorted(relabelled)} hold log10 values (df.attrs['log10_curves']) "
                      f"and are written with the units {relabelled}; to write them in ohm.m, "
                      "write geoae.preprocessing.inverse_log10_curves(df) instead",
                      UserWarning, stacklevel=2)
    sections["Curves"] = out_items

    steps = np.diff(np.asarray(index, dtype=np.float64))
    if len(steps) and (steps > 0).any() and (steps < 0).any():
        turns = int((np.diff(np.sign(steps[steps != 0])) != 0).sum())
        warnings.warn(f"{path}: the depths go up and down ({turns} change(s) of direction, from "
                      f"{float(index[0]):g}); LAS readers expect depths in order: sort the rows by "
                      "depth before writing (the rows are written as given)", UserWarning,
                      stacklevel=2)
    # STRT / STOP / STEP: keep the template's when the depths are the template's
    same_depths = bool(header) and source_signature == _signature(index)
    if not same_depths:
        new = {"STRT": float(index[0]), "STOP": float(index[-1]), "STEP": _depth_step(index)}
        well_items = sections.setdefault("Well", [])
        for m, v in new.items():
            for it in well_items:
                if it["mnemonic"].upper() == m:
                    it["value"] = v
                    break
            else:
                well_items.insert(
                    0, {"mnemonic": m, "key": m, "unit": index_item.get("unit", ""), "value": v, "descr": m}
                )

    null_text = _fmt_value(null)
    text_columns = [_format_column(index, fmt, null_text)]
    for name, values in columns.items():
        values = np.asarray(values)
        if values.dtype.kind not in "biuf" and any('"' in str(v) for v in values):
            warnings.warn(f"{path}: curve {name!r} has text holding a double quote (such as "
                          "9 5/8\"), which LAS data cannot hold inside a value: written as ''",
                          UserWarning, stacklevel=2)
        text_columns.append(_format_column(values, fmt, null_text))
    lines: list[str] = []
    order = ["Version", "Well", "Curves", "Parameter"] + [k for k in sections if k not in _STANDARD]
    for name in order:
        if name == "Parameter":
            title = "~Parameter Information"
        elif name == "Curves":
            title = "~Curve Information"
        elif name == "Version":
            title = "~Version Information"
        elif name == "Well":
            title = "~Well Information"
        else:
            title = f"~{name}"
        sec = sections.get(name, [])
        if isinstance(sec, str):
            lines.append(title)
            lines.extend(sec.splitlines())
            continue
        lines.append(title)
        lines.extend(_format_items(sec))
    other = sections.get("Other", "")
    if other:
        lines.append("~Other")
        # a line of free text starting with "~" would start a section
        lines.extend(f" {ln}" if ln.lstrip().startswith("~") else ln
                     for ln in (other if isinstance(other, list) else str(other).splitlines()))
    lines.append("~ASCII")
    text = "\n".join(lines) + "\n"
    body_text = "".join(" " + " ".join(row) + "\n" for row in zip(*text_columns, strict=True))
    # a source in a single-byte encoding (cp1252, latin-1: what most Windows logging software
    # writes) is written back in it: readers that guess (lasio without chardet, Techlog and
    # Petrel on Windows) read UTF-8 accents as two characters each. UTF-8 otherwise, or when a
    # character has no place in the source's encoding.
    source = template_data.attrs if template_data is not None else df.attrs
    encoding = source.get("encoding") if source.get("encoding") in ("cp1252", "latin-1") else "utf-8"
    try:
        data = (text + body_text).encode(encoding)
    except UnicodeEncodeError:
        data = (text + body_text).encode("utf-8")
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot write the LAS file ({exc}); check the folder exists and is writable"
        ) from exc
    return path


__all__ = ["read_las", "write_las", "COMMON_NULLS", "ENCODINGS"]
