"""Data input/output: LAS well logs, SEG-Y seismic, CSV/Parquet tables, multi-well folders.

Every reader raises :class:`geoae.errors.DataError` naming the file (never a raw lasio, segyio,
pandas, OS or Unicode error), and every writer writes atomically.
"""

from __future__ import annotations

from .aliases import DEFAULT_ALIASES, RESISTIVITY_LIKE, canonical_name, is_resistivity, merge_aliases
from .las import read_las, write_las
from .segy import SegyChunk, SegyData, iter_segy, read_segy, write_segy
from .tables import read_table
from .wells import read_wells

__all__ = [
    "read_las",
    "write_las",
    "read_segy",
    "iter_segy",
    "write_segy",
    "SegyData",
    "SegyChunk",
    "read_table",
    "read_wells",
    "canonical_name",
    "is_resistivity",
    "merge_aliases",
    "DEFAULT_ALIASES",
    "RESISTIVITY_LIKE",
]
