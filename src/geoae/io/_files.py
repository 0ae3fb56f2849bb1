"""What the readers share: checks (an existing, regular, readable file; unique names), the
``read_csv`` options that read numbers exactly, and :func:`sniff`, which tells a path's format
by its content."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pandas as pd

from ..errors import DataError

#: ``read_csv`` options that read back exactly the numbers a writer printed with ``repr``: the
#: default C parser of pandas < 3.1 rounds a few percent of 17-digit numbers to a neighbouring
#: float (so a LAS or CSV file written and read back would change present values; seen with
#: pandas 3.0.6); pandas 3.1 reads them exactly by default and deprecates the option.
EXACT_FLOATS: dict = ({"float_precision": "round_trip"}
                       if tuple(int(p) for p in pd.__version__.split(".")[:2]) < (3, 1) else {})


def check_file(path: Path, what: str) -> os.stat_result:
    """Return ``os.stat(path)``, or raise DataError naming ``path`` when it is no regular file.

    ``what`` completes "give the path of ..." (e.g. ``"a .las file"``). Odd paths (a name too
    long, an embedded NUL byte, a symlink loop, a permission problem) give a DataError too,
    never an OSError or ValueError.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; check the path") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOTDIR,):
            raise DataError(f"{path}: file not found; check the path") from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DataError(f"{path}: cannot access the file ({reason}); check the path") from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: not a regular file; give the path of {what}")
    return st


def read_file_bytes(path: Path) -> bytes:
    """``path.read_bytes()`` with an OSError turned into a DataError naming the file."""
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc
        raise DataError(f"{path}: cannot read the file ({reason}); check its permissions") from exc


def unique_names(names, sep: str = ".", first: int = 1) -> list[str]:
    """Names made unique by suffixing repeats with ``sep`` and a counter from ``first``, first
    occurrences unchanged: ``sep="."``, ``first=1`` is pandas' ``a``, ``a.1``, ``a.2``;
    ``sep="_"``, ``first=2`` gives ``GR``, ``GR_2``, ``GR_3``."""
    seen: set[str] = set()
    out = []
    for name in map(str, names):
        new, k = name, first
        while new in seen:
            new, k = f"{name}{sep}{k}", k + 1
        seen.add(new)
        out.append(new)
    return out


#: The first bytes of compressed files and archives, and what they are called.
_COMPRESSED = ((b"\x1f\x8b", "gzip-compressed (.gz)"), (b"PK\x03\x04", "zip archive"),
               (b"BZh", "bzip2-compressed (.bz2)"),
               (b"\xfd7zXZ\x00", "xz-compressed (.xz)"),
               (b"\x28\xb5\x2f\xfd", "zstd-compressed (.zst)"), (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
               (b"\xd0\xcf\x11\xe0", "Office document (OLE2)"))


def sniff(path: str | os.PathLike) -> str:
    """Tell what a path holds by its content: ``"las"``, ``"folder"``, ``"segy"``, ``"parquet"``
    or ``"csv"``.

    A LAS file starts (after blank and ``#`` comment lines) with a ``~`` section; a Parquet file
    with the bytes ``PAR1``; a SEG-Y file has a 3200-byte textual header, a 400-byte binary header
    with a known sample-format code and room for at least one trace. Anything else that decodes as
    text is treated as a delimited table.

    Raises
    ------
    DataError
        The path does not exist, or is binary but neither SEG-Y nor Parquet.
    """
    p = Path(path)
    if p.is_dir():
        return "folder"
    if not p.is_file():
        raise DataError(f"{p}: no such file or folder; check the path")
    named_las = p.suffix.lower() == ".las"
    with open(p, "rb") as fh:
        head = fh.read(3600)
        # a LAS file may open with long comment banners: its first ~ section is looked for
        # past them (64 KiB)
        more = fh.read(65536 - 3600) if named_las else b""
    if head[:4] == b"PAR1":
        return "parquet"
    packed = next((name for magic, name in _COMPRESSED if head.startswith(magic)
                   and (magic != b"BZh" or head[4:10] == b"1AY&SY")), None)  # bzip2's block magic
    if (packed == "zip archive" and p.suffix.lower() in (".xlsx", ".xlsm")
            or packed == "Office document (OLE2)" and p.suffix.lower() == ".xls"):
        raise DataError(f"{p}: an Excel workbook; geoae reads CSV and Parquet tables: save the "
                        "sheet as CSV (or read it with pandas.read_excel and give the frame to "
                        "the Python API)")
    if packed is not None:
        raise DataError(f"{p}: a {packed} file; geoae reads LAS, SEG-Y, CSV and Parquet as "
                        f"they are, not compressed: unpack it first and give the file inside")
    text = head + more if named_las else head[:2048]
    text = (text[3:] if text.startswith(b"\xef\xbb\xbf") else text).decode("latin-1")  # a UTF-8 BOM
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("~"):
            return "las"
        break
    if len(head) >= 3600:
        from .segy import SAMPLE_FORMATS  # the formats the SEG-Y reader supports

        fmt_be = int.from_bytes(head[3224:3226], "big")
        fmt_le = int.from_bytes(head[3224:3226], "little")
        if fmt_be in SAMPLE_FORMATS or fmt_le in SAMPLE_FORMATS:
            return "segy"
        if p.suffix.lower() in (".sgy", ".segy", ".seg") and b"\x00" in head[3200:3600]:
            from .segy import unsupported_format  # a SEG-Y layout, in a format not read here

            raise DataError(unsupported_format(p, head[3200:3600]))
    if b"\x00" in head[:2048]:
        from .segy import _seismic_unix

        su = _seismic_unix(p, p.stat().st_size)  # SEG-Y traces without the file headers
        if su is not None:
            raise DataError(su)
        raise DataError(f"{p}: binary file that is neither SEG-Y nor Parquet; geoae reads LAS, "
                        "SEG-Y, CSV and Parquet")
    if p.suffix.lower() in (".sgy", ".segy", ".seg"):  # named SEG-Y, but not read as a table
        raise DataError(f"{p}: not a SEG-Y file (no 3200-byte textual and 400-byte binary header "
                        "with a known sample format); check the file")
    first = next((ln.strip() for ln in text.splitlines()
                  if ln.strip() and not ln.strip().startswith("#")), "")
    if named_las and not any(ch.isalpha() for ch in first):
        # named LAS, no ~ section and no header line of names: a broken LAS file (a table
        # named .las, with its header, is read as the table it is: the content decides)
        raise DataError(f"{p}: not a LAS file (no '~' section such as ~Version, ~Well, ~Curve, "
                        "~ASCII found); give a LAS 1.2/2.0/3.0 well-log file, or rename a "
                        "delimited table .csv")
    return "csv"
