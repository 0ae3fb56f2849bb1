"""Tables of well logs or features: :func:`read_table` for CSV and Parquet files."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ._files import check_file

_PARQUET = (".parquet", ".pq", ".parq")


def _unique(names: list[str]) -> list[str]:
    """Make column names unique as pandas does (``a``, ``a.1``, ...): stripping can merge two."""
    seen: set[str] = set()
    out = []
    for name in names:
        new, k = name, 1
        while new in seen:
            new, k = f"{name}.{k}", k + 1
        seen.add(new)
        out.append(new)
    return out


def read_table(path: str | os.PathLike, well_column: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV (any delimiter pandas sniffs) or Parquet table.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.txt``/``.tsv`` (read with pandas, delimiter sniffed) or ``.parquet``/``.pq``
        (needs pyarrow: ``pip install geoae[parquet]``).
    well_column : str, optional
        Column holding the well name; it is renamed to ``WELL`` (case-insensitive match).
    **kwargs
        Passed to :func:`pandas.read_csv` / :func:`pandas.read_parquet`.

    Returns
    -------
    DataFrame, shape (n_rows, n_columns)
        The table as stored; ``df.attrs["source"]`` is the path.

    Raises
    ------
    DataError
        Missing or unreadable file, pyarrow missing for Parquet, ``well_column`` not found, or a
        table with no numeric column; the message names the file.
    """
    path = Path(path)
    check_file(path, "a CSV or Parquet table")
    suffix = path.suffix.lower()
    try:
        if suffix in _PARQUET:
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise DataError(
                    f"{path}: reading Parquet needs pyarrow; install it with `pip install pyarrow` "
                    "(or geoae[parquet]), or save the table as CSV"
                ) from exc
            df = pd.read_parquet(path, **kwargs)
        else:
            sep = kwargs.pop("sep", None)
            if sep is None and suffix == ".tsv":
                sep = "\t"
            if sep is None:
                df = pd.read_csv(path, sep=None, engine="python", **kwargs)
            else:
                df = pd.read_csv(path, sep=sep, **kwargs)
    except DataError:
        raise
    except UnicodeDecodeError:
        try:
            df = pd.read_csv(path, sep=None, engine="python", encoding="latin-1", **kwargs)
        except Exception as exc:
            raise DataError(f"{path}: cannot read the table ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read the table ({type(exc).__name__}: {exc}); give a CSV or Parquet file"
        ) from exc
    df.columns = _unique([str(c).strip() for c in df.columns])
    if well_column is not None:
        match = [c for c in df.columns if c.upper() == str(well_column).upper()]
        if not match:
            raise DataError(
                f"{path}: well column {well_column!r} not found; columns are {list(df.columns)[:20]}"
            )
        df = df.rename(columns={match[0]: "WELL"})
        df["WELL"] = df["WELL"].astype(str)
    numeric = [c for c in df.columns if c != "WELL" and pd.api.types.is_numeric_dtype(df[c])]
    if not numeric:
        raise DataError(
            f"{path}: the table has no numeric column (columns: {list(df.columns)[:20]}); "
            "check the delimiter and the decimal separator"
        )
    df.attrs["source"] = str(path)
    return df


__all__ = ["read_table"]
