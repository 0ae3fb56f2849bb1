"""Data input/output: LAS well logs, SEG-Y seismic, CSV/Parquet tables, multi-well folders.

Every reader raises :class:`geoae.errors.DataError` naming the file (never a raw lasio, segyio,
pandas, OS or Unicode error), and every writer writes atomically.

Names are imported lazily (PEP 562), so ``import geoae.io.aliases`` (used by
:mod:`geoae.preprocessing`) does not import lasio or segyio.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "read_las": "las",
    "write_las": "las",
    "read_segy": "segy",
    "iter_segy": "segy",
    "write_segy": "segy",
    "SegyData": "segy",
    "SegyChunk": "segy",
    "update_segy": "segy",
    "SegyUpdater": "segy",
    "read_table": "tables",
    "iter_table": "tables",
    "read_wells": "wells",
    "sniff": "_files",
    "canonical_name": "aliases",
    "is_resistivity": "aliases",
    "merge_aliases": "aliases",
    "normalise_unit": "aliases",
    "convert_units": "units",
    "can_convert": "units",
    "DEFAULT_ALIASES": "aliases",
    "RESISTIVITY_LIKE": "aliases",
}

__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        module = importlib.import_module(f"{__name__}.{_NAMES[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
