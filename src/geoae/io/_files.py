"""Checks shared by the readers: the input is an existing, regular, readable file."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import DataError


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
