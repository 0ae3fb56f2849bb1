"""Tables of well logs or features: :func:`read_table` for CSV and Parquet files."""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ._files import EXACT_FLOATS, check_file, unique_names
from .las import COMMON_NULLS

_PARQUET = (".parquet", ".pq", ".parq")


#: Limits on the first line of a CSV table, checked before pandas parses it: pandas renames
#: repeated column names in time quadratic in their number (40 000 repeats take a minute) and its
#: python parser spends about 0.3 ms per column, so a small file whose first line holds 10**5
#: fields (or whose sniffed delimiter is a letter) would keep the reader busy for minutes.
MAX_DUPLICATE_NAMES = 1000
MAX_COLUMNS = 10_000
_HEADER_BYTES = 16 * 1024 * 1024
#: The delimiter is sniffed from this many characters of the first lines: :class:`csv.Sniffer`
#: takes time quadratic in the text's length on some inputs (a 300 kB line of ``,"a`` runs for
#: minutes).
_SNIFF_BYTES = 4096


def _first_line(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.readline(_HEADER_BYTES)
    except OSError as exc:
        reason = exc.strerror or exc
        raise DataError(f"{path}: cannot read the file ({reason}); check its permissions") from exc


#: The delimiters a table's rows are tried with, in csv.Sniffer's order of preference.
_DELIMITERS = ",\t; |"


def _sniff_delimiter(first: bytes, path: Path, encoding: str) -> str:
    """The delimiter of a text table, sniffed from its header and first data lines (a bounded
    prefix of each): one of ``, ; tab | space`` that splits every line alike. The header alone
    (what :func:`pandas.read_csv` with ``sep=None`` looks at) let :class:`csv.Sniffer` take any
    character: a one-curve table split at a letter of its name, ``GR|RHOB`` at ``R``, and a
    ``;`` table whose names hold a comma split at the comma. A table none of them splits is one
    column. Other delimiters (``:``) are sniffed from the header as before."""
    lines: list[str] = []
    try:
        with open(path, encoding=encoding or "utf-8", errors="ignore", newline="") as fh:
            left = _SNIFF_BYTES  # in all: the sniffer's time grows with the square of it
            for _ in range(21):
                line = fh.readline(left)
                cut = len(line) >= left and not line.endswith(("\n", "\r"))
                if not line or (lines and cut):
                    break  # (a line cut short would count its fields wrong)
                lines.append(line.rstrip("\r\n"))
                left -= len(line)
                if left <= 0:
                    break
    except (OSError, LookupError):
        lines = []
    lines = [ln for ln in lines if ln.strip()]
    if len(lines) > 1:
        try:
            return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
        except csv.Error:
            if not any(d in lines[0] for d in _DELIMITERS + ":"):
                # one column (a name without a delimiter): a delimiter no line holds, so that a
                # value such as 2307,218 stays one field (split, pandas made 2307 the index)
                return next((d for d in "\t;|," if not any(d in ln for ln in lines)), ",")
    text = first[:_SNIFF_BYTES].decode(encoding if encoding else "utf-8", errors="ignore")
    try:
        return csv.Sniffer().sniff(text).delimiter
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read the table (Error: {exc}); give a CSV or Parquet file") from None


def _check_header_row(first: bytes, path: Path, seps: list[str]) -> None:
    """Raise DataError when the first line of a text table has too many (repeated) fields."""
    for sep in dict.fromkeys([*seps, ",", ";", "\t", "|", " "]):
        fields = [f.strip() for f in first.strip(b"\r\n").split(sep.encode("utf-8", "replace"))]
        names = [f for f in fields if f]  # empty names become unique "Unnamed: k" columns
        repeats = len(names) - len(set(names))
        if len(fields) > MAX_COLUMNS or repeats > MAX_DUPLICATE_NAMES:
            raise DataError(
                f"{path}: the first line has {len(fields)} fields ({repeats} repeated names) when split "
                f"at {sep!r}; geoae reads tables of at most {MAX_COLUMNS} columns and "
                f"{MAX_DUPLICATE_NAMES} repeated column names (a table without a header row? pass "
                "header=None)"
            )


def _memory_bytes() -> int:
    """Physical memory of this machine (a large default where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 64 * 1024**3


def _parquet_file(path: Path):
    """Open a Parquet file's footer and check what it declares before any data is read.

    A small file can declare huge row groups or millions of columns (a "metadata bomb"): the
    declared uncompressed size of the largest row group must fit in half of this machine's memory
    and the columns must be at most :data:`MAX_COLUMNS`.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise DataError(
            f"{path}: reading Parquet needs pyarrow; install it with `pip install pyarrow` "
            "(or pip install 'geoae[parquet]'), or save the table as CSV"
        ) from exc
    try:
        pf = pq.ParquetFile(path)
        meta = pf.metadata
        n_cols, n_groups = meta.num_columns, meta.num_row_groups
        if n_cols > MAX_COLUMNS:
            raise DataError(f"{path}: the Parquet file declares {n_cols} columns; geoae reads tables "
                            f"of at most {MAX_COLUMNS} columns")
        sizes = [meta.row_group(i).total_byte_size for i in range(min(n_groups, 100_000))]
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot read the table: bad Parquet metadata ({type(exc).__name__}: {exc}); "
                        "the file is damaged or not Parquet") from None
    limit = _memory_bytes() // 2
    if n_groups > 100_000 or max(sizes, default=0) > limit:
        raise DataError(f"{path}: the Parquet file declares row groups of up to "
                        f"{max(sizes, default=0) / 1e9:.3g} GB uncompressed ({n_groups} groups), more "
                        f"than half this machine's memory ({limit * 2 / 1e9:.3g} GB); rewrite it with "
                        "smaller row groups (or it is damaged)")
    return pf, sum(sizes)


#: Column-name starts of depths and elevations, never read as null markers.
_DEPTH_LIKE = ("DEPTH", "DEPT", "TVD", "MD", "Z_LOC", "ELEV", "KB", "TWT")


def _nulls_to_nan(df: pd.DataFrame, null_values) -> dict[str, int]:
    """In place: numeric values equal to one of ``null_values`` become NaN; counts per column."""
    counts: dict[str, int] = {}
    nulls = np.asarray(tuple(null_values or ()), dtype=np.float64)
    if not nulls.size:
        return counts
    from .aliases import DEPTH_NAMES, column_key

    for c in df.columns:
        if c == "WELL" or not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        key = column_key(c)
        if key in DEPTH_NAMES or key.startswith(_DEPTH_LIKE):  # -999 m can be a depth (TVDSS)
            continue
        hit = np.isin(df[c].to_numpy(), nulls)
        if hit.any():
            counts[str(c)] = int(hit.sum())
            df[c] = df[c].astype(np.float64).mask(hit)
    return counts


def _warn_nulls(path: Path, counts: dict[str, int], null_values) -> None:
    if counts:
        cols = ", ".join(f"{c} ({n})" for c, n in list(counts.items())[:8])
        markers = ", ".join(dict.fromkeys(f"{v:g}" for v in null_values))
        warnings.warn(f"{path}: values equal to a null marker ({markers}) are read as missing in "
                      f"{cols}; read_table(path, null_values=()) keeps them",
                      UserWarning, stacklevel=3)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _tidy(df: pd.DataFrame, path: Path, well_column: str | None,
          header_given: bool = False, decimal_columns: list[str] | None = None) -> pd.DataFrame:
    # a first line of decimal numbers is data, not names (a file without a header line); plain
    # integer names (0, 1, 2 from an unnamed array) are names
    names = [str(c).strip() for c in df.columns]
    if (not header_given and names and all(_is_number(c) for c in names)
            and any(any(ch in c for ch in ".eE") for c in names)):
        raise DataError(f"{path}: the first line holds numbers ({', '.join(names[:3])}), not "
                        "column names: add a header line with the curve names (or read it with "
                        "read_table(path, header=None, names=[...]))")
    # stripping can merge two names: made unique again as pandas does (a, a.1, ...)
    df.columns = unique_names(names)
    if well_column is not None:
        match = [c for c in df.columns if c.upper() == str(well_column).upper()]
        if not match:
            raise DataError(
                f"{path}: well column {well_column!r} not found; columns are {list(df.columns)[:20]}"
            )
        df = df.rename(columns={match[0]: "WELL"})
        df["WELL"] = df["WELL"].astype(str)
    _read_decimal_commas(df, path, decimal_columns)
    numeric = [c for c in df.columns if c != "WELL" and pd.api.types.is_numeric_dtype(df[c])]
    if not numeric:
        raise DataError(
            f"{path}: the table has no numeric column (columns: {list(df.columns)[:20]}); "
            "check the delimiter and the decimal separator"
        )
    df.attrs["source"] = str(path)
    return df


def _csv_options(path: Path, kwargs: dict) -> dict:
    """``read_csv`` options for a text table: the delimiter sniffed from a bounded prefix, and
    the header row checked (see :data:`MAX_COLUMNS`)."""
    kwargs = dict(kwargs)
    sep = kwargs.pop("sep", None)
    if sep is None and path.suffix.lower() == ".tsv":
        sep = "\t"
    first = _first_line(path)
    if sep is None and not {"skiprows", "comment"} & set(kwargs):
        # sniffed here from a bounded prefix, then given to pandas' python parser as sep=None
        # would (pandas would sniff the whole first line)
        sniffed = _sniff_delimiter(first, path, kwargs.get("encoding"))
    else:
        sniffed = sep
    if "names" not in kwargs and kwargs.get("header", "infer") is not None:
        one_char = isinstance(sniffed, str) and len(sniffed) == 1
        _check_header_row(first, path, [sniffed] if one_char else [])
    if sep is None:
        # a one-character sniffed delimiter (the usual case, a space included) goes to the fast
        # C parser, which also reads numbers exactly (EXACT_FLOATS)
        one_char = isinstance(sniffed, str) and len(sniffed) == 1 and sniffed not in "\"'"
        kwargs.setdefault("engine", "c" if one_char and not _python_only(kwargs) else "python")
        if sniffed == " " and _space_aligned(path, kwargs.get("encoding")):
            sniffed = r"\s+"  # columns aligned with runs of spaces (a text export)
        kwargs.update(sep=sniffed)
    else:
        kwargs.update(sep=sep)
    if (kwargs.get("sep") == ";" and "decimal" not in kwargs
            and _decimal_commas(path, encoding=kwargs.get("encoding"))):
        # a spreadsheet's export in a European locale: ';' between fields, ',' in numbers
        # ("77,45"); read as text, every such curve was dropped without a word
        warnings.warn(f"{path}: ';'-separated with decimal commas (numbers such as 77,45): read "
                      "with ',' as the decimal separator", UserWarning, stacklevel=4)
        kwargs["decimal"] = ","
    if _c_parser(kwargs):
        kwargs = {**EXACT_FLOATS, **kwargs}  # a caller's float_precision wins
    if not {"names", "header", "skiprows", "comment", "skipfooter"} & set(kwargs):
        _warn_if_cut_off(path, first, kwargs.get("sep"), kwargs.get("encoding"))
    return kwargs


def _space_aligned(path: Path, encoding: str | None) -> bool:
    """Whether a space-delimited table's first lines are aligned with runs of spaces
    (``DEPTH   GR    RHOB``) and every line has as many fields as the header when split at any
    run: read with ``\\s+``. Split at each single space, such a table gave empty ``Unnamed``
    columns and its curves all missing. With a blank cell in some line (a fixed-width table
    with gaps) the fields do not line up, and it is left as it was."""
    try:
        with open(path, encoding=encoding or "utf-8", errors="ignore", newline="") as fh:
            lines = [fh.readline(_SNIFF_BYTES) for _ in range(21)]
    except (OSError, LookupError):
        return False
    lines = [ln.strip("\r\n") for ln in lines if ln.strip()]
    if len(lines) < 2 or not any("  " in ln.strip() for ln in lines):
        return False
    counts = {len(ln.split()) for ln in lines}
    return len(counts) == 1 and counts.pop() > 1


def _wide(encoding) -> bool:
    """Whether ``encoding`` spends more than one byte on ASCII (UTF-16/32): line ends and
    separators are then not single bytes."""
    import codecs

    try:
        return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    except (LookupError, TypeError):
        return False


def _warn_if_cut_off(path: Path, first: bytes, sep, encoding=None) -> None:
    """Warn when a text table ends in a row with fewer fields than its header and no line end:
    a file cut off mid-row (a copy or download that stopped), whose last row pandas fills with
    missing values and whose last number may be cut short (87.9 read as 8)."""
    if not (isinstance(sep, str) and len(sep) == 1) or sep.isspace():
        return  # a space-aligned table's runs of spaces are not fields to count
    if encoding and _wide(encoding):
        return  # a UTF-16 file ends in b"\n\x00": its bytes are not read here
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except OSError:
        return  # the reader says why
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    enc = encoding or "utf-8"
    try:
        last = tail.splitlines()[-1].decode(enc, errors="ignore")
        head = first.decode(enc, errors="ignore").rstrip("\r\n")
    except LookupError:  # an unknown encoding: pandas says so
        return
    if not last.strip() or last == head:
        return
    n_head = len(next(csv.reader([head], delimiter=sep)))
    n_last = len(next(csv.reader([last], delimiter=sep)))
    if n_last < n_head:
        warnings.warn(f"{path}: the last row has {n_last} of the header's {n_head} fields and the "
                      f"file does not end with a line break ({last[:60]!r}): the file looks cut "
                      "off mid-row (an interrupted copy?); its missing fields are read as missing "
                      "and its last value may be cut short. Check the file, or drop that row",
                      UserWarning, stacklevel=5)


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


def _decimal_commas(path: Path, lines: int = 50, encoding: str | None = None) -> bool:
    """Whether the first data lines of a ';'-separated table (in ``encoding``, default UTF-8)
    hold numbers with a decimal comma (some field is ``12,5``, and no field is a number with a
    decimal point)."""
    try:
        with open(path, encoding=encoding or "utf-8", errors="ignore", newline="") as fh:
            head = [fh.readline(_HEADER_BYTES) for _ in range(lines + 1)][1:]
    except (OSError, LookupError):
        return False
    fields = [f.strip().strip('"') for ln in head
              for f in ln.rstrip("\r\n").split(";")]
    commas = sum(bool(_DECIMAL_COMMA.match(f)) for f in fields)
    points = sum("." in f and bool(_NUMBER.match(f)) for f in fields)
    return commas > 0 and points == 0


_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_THOUSANDS = re.compile(r"^\s*[-+]?\d{1,3},\d{3}\s*$")


def _comma_stats(df: pd.DataFrame, full: bool = False) -> dict[str, tuple[bool, bool, bool]]:
    """For each text column that may hold numbers with a decimal comma (not a well name or a
    label): (some value is ``12,5``; every value is such a number or an integer; every comma
    value may as well be a thousands separator, ``d,ddd``). Without ``full``, only the columns
    with a comma number (the others cost one match each, not three)."""
    from .aliases import WELL_NAMES, column_key, non_curve_kind

    stats = {}
    for c in df.columns:
        if c == "WELL" or column_key(c) in WELL_NAMES or pd.api.types.is_numeric_dtype(df[c]):
            continue
        if non_curve_kind(c) == "label":
            continue
        values = df[c].dropna().astype(str)
        values = values[values.str.strip() != ""]
        if values.empty:
            continue
        comma = values.str.match(_DECIMAL_COMMA)
        if not full and not comma.any():
            continue
        ok = bool((comma | values.str.match(_INTEGER)).all())
        stats[c] = (bool(comma.any()), ok, bool(values[comma].str.match(_THOUSANDS).all()))
    return stats


def _comma_columns(stats: dict[str, tuple[bool, bool, bool]]) -> list[str]:
    """The columns to read with a decimal comma. A decimal comma is a property of the file, so
    a column is converted when it is the depth or when at least two columns qualify (one odd
    column of ``"1,5"`` is more likely an identifier than a measurement); a column whose every
    comma value may be a thousands separator (``2,413``) qualifies only beside those."""
    from .aliases import DEPTH_NAMES, column_key

    found = [c for c, (comma, ok, thousands) in stats.items() if comma and ok and not thousands]
    depth = [c for c in found if column_key(c) in DEPTH_NAMES]
    use = found if len(found) >= 2 else depth
    if use:  # then d,ddd is a decimal comma too (a density 2,413), not a thousands separator,
        # except in the depth, which stays refused (1,234 m or 1.234 m?)
        use += [c for c, (comma, ok, thousands) in stats.items()
                if comma and ok and thousands and column_key(c) not in DEPTH_NAMES]
    return use


def _read_decimal_commas(df: pd.DataFrame, path: Path, use: list[str] | None = None) -> None:
    """In place: text columns whose every value is a number written with a decimal comma
    (``"1000,5"``, quoted in a ','-separated export) become numbers, with a warning: those of
    :func:`_comma_columns` (never a label such as a zone or facies, a well name, or a column
    whose every comma value may hold a thousands separator), or ``use``, the file's columns
    decided beforehand (:func:`iter_table`: the same for every chunk)."""
    if use is None:
        use = _comma_columns(_comma_stats(df))
    else:
        use = [c for c in use if c in df.columns and not pd.api.types.is_numeric_dtype(df[c])]
    for c in use:
        text = df[c].astype("string").str.strip().replace("", pd.NA)
        df[c] = pd.to_numeric(text.str.replace(",", ".", regex=False)).astype(np.float64)
    if use:
        warnings.warn(f"{path}: column(s) {', '.join(map(str, use[:8]))} hold numbers with a "
                      "decimal comma (such as 1000,5): read with ',' as the decimal separator",
                      UserWarning, stacklevel=4)


def _file_comma_columns(path: Path, options: dict, chunk_rows: int,
                        well_column: str | None) -> list[str]:
    """:func:`_comma_columns` over the whole of a text table, read as text chunk by chunk (for
    :func:`iter_table`: a chunk where one of two decimal-comma curves is not logged yet would
    otherwise keep the other as text)."""
    stats: dict[str, tuple[bool, bool, bool]] = {}
    row = 0
    chunks = pd.read_csv(path, chunksize=chunk_rows, **{**options, "dtype": str})
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - damage further on, found by this first pass
            raise DataError(f"{path}: cannot read the table near row {row} ({type(exc).__name__}: "
                            f"{str(exc)[:300]}); give a CSV or Parquet file") from None
        row += len(chunk)
        chunk.columns = unique_names([str(c).strip() for c in chunk.columns])
        if well_column is not None:
            chunk = chunk.rename(columns={c: "WELL" for c in chunk.columns
                                          if c.upper() == str(well_column).upper()})
        for c, (comma, ok, thousands) in _comma_stats(chunk, full=True).items():
            was = stats.get(c, (False, True, True))
            # (thousands is True for a chunk without comma values: all of none)
            stats[c] = (was[0] or comma, was[1] and ok, was[2] and thousands)
    return _comma_columns(stats)


def numeric_depth(values: pd.Series, path, name: str) -> pd.Series:
    """A table's depth column as numbers: as it is when numeric; text is converted, entries
    that are not numbers becoming missing with a warning that counts them (a ``-`` or
    ``#VALUE!`` in a spreadsheet export). Refused when no entry is a number, or when every
    one that has a comma may hold a thousands separator (``1,234``: 1234 or 1.234?)."""
    if pd.api.types.is_numeric_dtype(values):
        return values
    text = values.astype("string").str.strip()
    given = text.notna() & (text != "")
    number = pd.to_numeric(text.where(given), errors="coerce")
    bad = given & number.isna()
    if bad.any():
        shown = text[bad]
        if shown.str.match(_THOUSANDS).all():
            raise DataError(f"{path}: the depth column {name} holds {shown.iloc[0]!r}: a "
                            "thousands separator or a decimal comma? Write the depths without "
                            "either")
        if not number.notna().any():
            raise DataError(f"{path}: the depth column {name} holds text (such as "
                            f"{shown.iloc[0]!r}), not numbers: give its depths as numbers")
        warnings.warn(f"{path}: {int(bad.sum())} value(s) of the depth column {name} are not "
                      f"numbers (such as {shown.iloc[0]!r}); those rows have no depth",
                      UserWarning, stacklevel=3)
    return number.astype(np.float64)


def _c_parser(kwargs: dict) -> bool:
    """Whether pandas will read with its C parser (the only one that takes float_precision):
    an explicit ``engine="c"``, or no engine, a separator the C parser handles, and no option
    that makes pandas fall back to its python parser."""
    sep = kwargs.get("sep")
    c_sep = (isinstance(sep, str) and len(sep) == 1) or sep == r"\s+"
    if _python_only(kwargs):
        return False
    return kwargs.get("engine", "c" if c_sep else None) == "c"


def _python_only(kwargs: dict) -> bool:
    """Options that only pandas' python parser takes."""
    return bool(kwargs.get("skipfooter")) or callable(kwargs.get("on_bad_lines"))


def _is_utf8(path: Path, block: int = 16 * 1024 * 1024) -> bool:
    """Whether the whole file decodes as UTF-8 (read in blocks: bounded memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(block):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return True


def iter_table(path: str | os.PathLike, chunk_rows: int = 100_000, well_column: str | None = None,
               null_values: tuple[float, ...] | None = COMMON_NULLS, **kwargs) -> Iterator[pd.DataFrame]:
    """Read a CSV or Parquet table in chunks of at most ``chunk_rows`` rows.

    Memory is bounded by the chunk (and, for Parquet, by one row group) rather than by the file:
    this is how ``geoae encode`` and ``geoae reconstruct`` score tables of millions of rows.
    Each chunk is tidied as :func:`read_table` tidies a whole table (null markers included; one
    warning per file); ``attrs["source"]`` is the path and ``attrs["first_row"]`` the chunk's
    first row number.

    Raises
    ------
    DataError
        As :func:`read_table`, naming the file (also for damage found part-way through).
    """
    path = Path(path)
    check_file(path, "a CSV or Parquet table")
    if not (isinstance(chunk_rows, int) and chunk_rows >= 1):
        raise DataError(f"chunk_rows={chunk_rows!r} is not valid: a positive number of rows")
    row = 0
    try:
        if path.suffix.lower() in _PARQUET:
            pf, _ = _parquet_file(path)
            batches = (b.to_pandas() for b in pf.iter_batches(batch_size=chunk_rows, **kwargs))
        else:
            options = _csv_options(path, kwargs)
            if "encoding" not in options and not _is_utf8(path):
                options.update(encoding="latin-1")  # as read_table's fallback does
            batches = pd.read_csv(path, chunksize=chunk_rows, **options)
        warned = False
        commas: list[str] | None = None  # the file's decimal-comma columns, once one is seen
        for df in batches:
            use = commas
            if use is None and path.suffix.lower() not in _PARQUET:
                if _comma_stats(df):  # a curve's comma number (not a label's 1,5)
                    commas = use = _file_comma_columns(path, options, chunk_rows, well_column)
                else:
                    use = []  # none in this chunk: nothing to convert (no second look)
            df = _tidy(df, path, well_column, "header" in kwargs or "names" in kwargs,
                       decimal_columns=use)
            counts = _nulls_to_nan(df, null_values)
            if counts and not warned:
                _warn_nulls(path, counts, null_values)
                warned = True
            df.index = pd.RangeIndex(row, row + len(df))
            df.attrs["first_row"] = row
            row += len(df)
            yield df
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the table is not UTF-8 text near row {row} ({exc.reason}); "
                        "save it as UTF-8, or read it with read_table(encoding=...)") from None
    except Exception as exc:
        raise DataError(f"{path}: cannot read the table near row {row} ({type(exc).__name__}: "
                        f"{str(exc)[:300]}); give a CSV or Parquet file") from None


def read_table(path: str | os.PathLike, well_column: str | None = None,
               null_values: tuple[float, ...] | None = COMMON_NULLS, **kwargs) -> pd.DataFrame:
    """Read a CSV (any delimiter pandas sniffs) or Parquet table.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.txt``/``.tsv`` (read with pandas, delimiter sniffed) or ``.parquet``/``.pq``
        (needs pyarrow: ``pip install geoae[parquet]``).
    well_column : str, optional
        Column holding the well name; it is renamed to ``WELL`` (case-insensitive match).
    null_values : tuple of float or None, default :data:`geoae.io.las.COMMON_NULLS`
        Numeric values read as missing (NaN), as in LAS files (-999.25, -9999, ...), with a
        warning naming the columns; ``()`` or None keeps them.
    **kwargs
        Passed to :func:`pandas.read_csv` / :func:`pandas.read_parquet`.

    Returns
    -------
    DataFrame, shape (n_rows, n_columns)
        The table as stored, null markers as NaN; ``df.attrs["source"]`` is the path.

    Raises
    ------
    DataError
        Missing or unreadable file, pyarrow missing for Parquet, ``well_column`` not found, or a
        table with no numeric column; the message names the file.
    """
    path = Path(path)
    check_file(path, "a CSV or Parquet table")
    options: dict = {}
    try:
        if path.suffix.lower() in _PARQUET:
            _parquet_file(path)
            df = pd.read_parquet(path, **kwargs)
        else:
            options = _csv_options(path, kwargs)
            df = pd.read_csv(path, **options)
    except DataError:
        raise
    except UnicodeDecodeError:
        try:
            options.update(encoding="latin-1")  # as iter_table does, same parser
            df = pd.read_csv(path, **options)
        except Exception as exc:
            raise DataError(f"{path}: cannot read the table ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read the table ({type(exc).__name__}: {exc}); give a CSV or Parquet file"
        ) from exc
    df = _tidy(df, path, well_column, "header" in kwargs or "names" in kwargs)
    _warn_nulls(path, _nulls_to_nan(df, null_values), null_values)
    return df


__all__ = ["iter_table", "read_table"]
