"""The one curve-mnemonic alias table of geoae.

Well-log vendors name the same measurement differently (``DTC``, ``AC`` and ``DT`` are all the
compressional slowness). :data:`DEFAULT_ALIASES` maps each *canonical* name to the raw mnemonics
that mean it, **in priority order**: when one file holds two of them (``RT`` and ``RT90``), the one
listed first wins and the other keeps its raw name.

A user table is merged over the defaults (see :func:`merge_aliases`): either
``{canonical: [mnemonic, ...]}`` (replaces that canonical's list, in the user's order) or
``{mnemonic: canonical}`` (one mnemonic, put first in the canonical's list).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

#: Canonical curve name -> raw mnemonics (upper case), first = highest priority.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "GR": ("GR", "GRC", "GR_EDTC", "GRD", "GAMMA", "GAM", "GAMN", "SGR", "GRTO"),
    "RHOB": ("RHOB", "RHOZ", "DEN", "ZDEN", "DENS", "RHO8", "DENB", "HDEN"),
    "NPHI": ("NPHI", "TNPH", "NEU", "NPOR", "CNC", "CNL", "NPHIL", "APLC", "NPHI_LIM", "NPHI_LS"),
    "DT": ("DT", "DTC", "DTCO", "AC", "DT4P", "DTP", "SONIC", "DTCOMP"),
    "DTS": ("DTS", "DTSM", "DTSH", "DT4S", "ACS", "DTSHEAR"),
    "PE": ("PE", "PEF", "PEFZ", "PDPE", "PEDF", "PEF8"),
    "RT": (
        "RT",
        "RDEP",
        "ILD",
        "LLD",
        "RD",
        "RILD",
        "RLLD",
        "RT90",
        "AT90",
        "AHT90",
        "AO90",
        "AF90",
        "AHO90",
        "AHF90",
        "IDPH",
        "HDRS",
        "RES_DEEP",
    ),
    "RMED": ("RMED", "ILM", "RILM", "LLM", "RT30", "AT30", "AHT30", "AO30", "AF30", "AHO30",
             "AHF30", "IMPH", "HMRS", "RES_MED"),
    "RS": ("RSHA", "SFLU", "SFL", "SFLA", "LLS", "RT10", "AT10", "AHT10", "AO10", "AF10",
           "AHO10", "AHF10", "RES_SHAL"),
    "RXO": ("RXO", "RXOZ", "MSFL", "MLL", "RMIC", "RXO8"),
    "CALI": ("CALI", "CAL", "CALX", "HCAL", "C1", "CAL1", "CAL2", "CALS"),
    "SP": ("SP", "SPBR", "SSP"),
    "BS": ("BS", "BIT", "BITSIZE"),
    "DRHO": ("DRHO", "HDRA", "ZCOR", "DCOR"),
}

#: Canonical names of resistivity-like curves (log-normally distributed: take log10 first).
RESISTIVITY_LIKE: frozenset[str] = frozenset({"RT", "RMED", "RS", "RXO"})

#: Values treated as missing in every LAS file besides the file's own NULL, and in tables read by
#: :func:`geoae.io.read_table` (common vendor null markers); the estimators warn when their input
#: holds them (:func:`geoae.preprocessing.warn_null_markers`).
COMMON_NULLS: tuple[float, ...] = (-999.25, -999.0, -9999.0, -9999.25, -99999.0)

#: Column names recognised as measured depth in tables (first found wins).
DEPTH_NAMES: tuple[str, ...] = ("DEPTH", "DEPT", "MD", "DEPTH_MD", "TDEP", "DEPTH_M", "DEPTH_FT")

#: Column names recognised as a well identifier in tables.
WELL_NAMES: tuple[str, ...] = ("WELL", "WELL_NAME", "WELLNAME", "UWI", "WELL_ID")


#: Columns that are not measurements of the rock, so not curves to model unless asked for (see
#: :func:`non_curve_kind`): positions, depths, drilling and logging parameters, labels. Each kind:
#: whole names (compared without underscores), leading parts (the first piece between underscores:
#: ``TVD_SS``, ``DEPTH (m)``; not ``RES_MD``, a resistivity) and, for labels, the word roots that end
#: the name (``LITHOFACIES``, ``FORCE_2020_LITHOFACIES_CONFIDENCE``; not ``FLUSHED_ZONE_RES`` or
#: ``FORMATION_PRESSURE``, which are measurements). ``LAT``, ``LONG`` and ``Z`` are not positions on
#: their own: they are also the lateral and long-normal resistivities of old electric logs and
#: impedance.
NON_CURVE_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "position": {
        "names": ("X", "Y", "XLOC", "YLOC", "ZLOC", "XCOORD", "YCOORD", "ZCOORD", "XPOS", "YPOS",
                  "ZPOS", "UTMX", "UTMY", "UTME", "UTMN"),
        "parts": ("EAST", "NORTH", "EASTING", "NORTHING", "LATITUDE", "LONGITUDE"),
        "roots": (),
    },
    "depth": {
        "names": DEPTH_NAMES,
        "parts": ("DEPTH", "DEPT", "MD", "TDEP", "TVD", "TVDSS", "TVDKB", "TVDRKB", "TVDML",
                  "TVDBML", "TVDMSL", "TVT", "TST", "TWT"),
        "roots": (),
    },
    "drilling": {
        # how the hole was drilled or logged, not the rock: bit size, rate of penetration, weight
        # on bit, rotary speed, torque, standpipe pressure, hook load, mud flow, weight and ECD,
        # mud resistivity and temperature, cable tension and speed, elapsed time
        "names": ("BS", "BIT", "BITSIZE", "ROP", "ROPA", "ROP5", "ROPAVG", "WOB", "SWOB", "RPM",
                  "SRPM", "TORQUE", "TORQ", "STOR", "SPP", "HKLD", "HKLA", "HOOKLOAD", "FLOWIN",
                  "FLOWOUT", "MFI", "MFO", "MUDWEIGHT", "MUDWT", "MW", "MWIN", "MWOUT", "ECD",
                  "RMUD", "MRES", "MTEM", "TENS", "TEN", "TENSION", "HTEN", "CS", "CSPD", "LSPD",
                  "SPEED", "ETIM"),
        "parts": ("ROP", "WOB", "RPM", "BIT", "HOOKLOAD", "TENSION"),
        "roots": (),
    },
    "label": {
        "names": (),
        "parts": ("LITH", "LITHO", "FM", "CLASS", "GROUP", "TARGET"),
        "roots": ("FACIES", "LITHOLOGY", "LABEL", "CONFIDENCE", "FORMATION", "ZONE"),
    },
}

#: Last name parts that qualify a label named before them (``LITH_CODE``, ``FACIES_PRED``).
_LABEL_QUALIFIERS = frozenset({"CODE", "ID", "NAME", "NO", "NUM", "NUMBER", "FLAG", "PRED",
                               "PREDICTED", "INTERP", "TOP", "BASE"})

#: Name parts that, beside an X, Y or Z part, make a coordinate (``X_LOC``, ``UTM_X``, ``Surface X``).
_COORDINATE_PARTS = frozenset({"LOC", "LOCATION", "COORD", "COORDINATE", "POS", "POSITION", "UTM",
                               "SURF", "SURFACE", "BH", "BOTTOM", "WELLHEAD"})


def non_curve_kind(name) -> str | None:
    """What a column is when it is not a measured curve, else None.

    ``"position"``: coordinates (``X_LOC``, ``Y``, ``UTM_X``, ``Easting``, ``Latitude``);
    ``"depth"``: depth-like columns (``DEPTH_MD``, ``MD``, ``TVD``, ``TVDSS``, ``TWT``);
    ``"drilling"``: drilling and logging parameters, which describe how the hole was drilled
    or logged and not the rock (``BS``, ``ROP``, ``WOB``, ``MUDWEIGHT``, ``ECD``, ``RMUD``,
    ``TENS``); ``"label"``: interpretations (``Facies``, ``FORCE_2020_LITHOFACIES_LITHOLOGY``,
    ``FORCE_2020_LITHOFACIES_CONFIDENCE``, ``Zone``, ``Formation``). The name is compared
    through :func:`column_key` (case, spaces and hyphens do not matter; a unit in brackets,
    ``"TVDSS (m)"``, is dropped first) with :data:`NON_CURVE_NAMES`.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    {"position", "depth", "drilling", "label"} or None

    Examples
    --------
    >>> non_curve_kind("x_loc"), non_curve_kind("TVDSS"), non_curve_kind("Facies")
    ('position', 'depth', 'label')
    >>> non_curve_kind("BS"), non_curve_kind("ROP_AVG"), non_curve_kind("MUD_WEIGHT")
    ('drilling', 'drilling', 'drilling')
    >>> non_curve_kind("RDEP") is None and non_curve_kind("DCAL") is None
    True
    """
    key = column_key(re.sub(r"[\(\[].*?[\)\]]", "", str(name)))
    parts = [p for p in re.split(r"[^A-Z0-9]+", key) if p]
    if not parts:
        return None
    for kind, table in NON_CURVE_NAMES.items():
        if key.replace("_", "") in {n.replace("_", "") for n in table["names"]}:
            return kind
        if kind == "label":
            # the name ends with a label word (or a label word and a qualifier: LITH_CODE)
            tail = parts[-2] if len(parts) > 1 and parts[-1] in _LABEL_QUALIFIERS else parts[-1]
            if tail in table["parts"] or any(tail.endswith(r) for r in table["roots"]):
                return kind
        elif parts[0] in table["parts"] or (len(parts) > 1 and kind == "position"
                                            and parts[-1] in table["parts"]):
            return kind
    if any(p in ("X", "Y", "Z") for p in parts) and any(p in _COORDINATE_PARTS for p in parts):
        return "position"
    return None


#: Spellings of the same unit, mapped to one form (compared upper-case, spaces removed).
#: Resistivity spellings are matched by :data:`_OHM_M` instead (there are too many to list).
UNIT_SYNONYMS: dict[str, str] = {
    "GAPI": "API",
    "API": "API",
    "GAPI_UNITS": "API",
    "G/C3": "G/CM3",
    "G/CC": "G/CM3",
    "G/CM3": "G/CM3",
    "GM/CC": "G/CM3",
    "K/M3": "KG/M3",
    "US/F": "US/FT",
    "US/FT": "US/FT",
    "USEC/FT": "US/FT",
    "US/M": "US/M",
    "V/V": "V/V",
    "M3/M3": "V/V",
    "DEC": "V/V",
    "FRAC": "V/V",
    "PU": "%",
    "LPU": "%",
    "%": "%",
    "B/E": "B/E",
    "BARN/E": "B/E",
    "IN": "IN",
    "INCH": "IN",
    "INCHES": "IN",
    ".1IN": ".1IN",  # tenths of an inch: the depth unit of old Canadian (CWLS) LAS files
    "0.1IN": ".1IN",
    "MV": "MV",
    "M": "M",
    "METER": "M",
    "METERS": "M",
    "METRE": "M",
    "METRES": "M",
    "F": "FT",
    "FT": "FT",
    "FEET": "FT",
    "FOOT": "FT",
    "CM": "CM",
    "MM": "MM",
    # slowness, density, porosity, velocity and temperature spellings (see geoae.io.units)
    "USEC/F": "US/FT",
    "\u039cS/FT": "US/FT",  # µs/ft (the micro sign is Greek mu after NFKC, upper-cased)
    "\u039cS/F": "US/FT",
    "USEC/M": "US/M",
    "\u039cS/M": "US/M",
    "\u039cSEC/FT": "US/FT",  # µsec/ft
    "\u039cSEC/F": "US/FT",
    "\u039cSEC/M": "US/M",
    "MICROSECONDS/FOOT": "US/FT",
    "MICROSECONDS/FT": "US/FT",
    "MICROSECONDS/METER": "US/M",
    "MICROSECONDS/METRE": "US/M",
    "P.U": "%",  # lasio reads "p.u." as "p.u"
    "P.U.": "%",
    "G/CM^3": "G/CM3",
    "GM/CM3": "G/CM3",
    "GR/CC": "G/CM3",
    "KG/M^3": "KG/M3",
    "PERCENT": "%",
    "PCT": "%",
    "SSPU": "%",
    "LSPU": "%",
    "DECIMAL": "V/V",
    "FRACTION": "V/V",
    "FT3/FT3": "V/V",
    "CFCF": "V/V",
    "M/SEC": "M/S",
    "KM/SEC": "KM/S",
    "FT/SEC": "FT/S",
    "F/S": "FT/S",
    "FPS": "FT/S",
    "DEGC": "DEGC",
    "DEG_C": "DEGC",
    "DEG.C": "DEGC",
    "\u00b0C": "DEGC",
    "CELSIUS": "DEGC",
    "DEGF": "DEGF",
    "DEG_F": "DEGF",
    "DEG.F": "DEGF",
    "\u00b0F": "DEGF",
    "FAHRENHEIT": "DEGF",
}


#: The spellings of ohm.m found in LAS files (upper case, spaces removed): OHMM, OHM.M, OHM-M,
#: OHM_M, OHM/M, OHM*M, OHMS/M, OHM.METER, OHM, OHMS, with the sign (Ω·M, ΩM). Anchored at both
#: ends, so that conductivities (MMHO/M, MS/M) and other units containing OHM do not match.
_OHM_M = re.compile(r"(?:OHMS?|\u03a9)(?:[-_./*\u00b7\u22c5\u2022\u00d7]?(?:M|METERS?|METRES?))?")


def normalise_unit(unit: str | None) -> str:
    """One spelling per unit, for comparisons.

    ``"gAPI"`` -> ``"API"``, ``"g/cc"`` -> ``"G/CM3"``, and every spelling of the ohm-metre
    (``"OHMM"``, ``"ohm.m"``, ``"OHM-M"``, ``"OHM/M"``, ``"OHMS/M"``, ``"ohm*m"``, ``"Ω·m"``,
    ``"OHM"``) -> ``"OHM.M"``. Conductivities (``"mS/m"``, ``"MMHO/M"``) stay themselves.

    Parameters
    ----------
    unit : str or None
        A unit as written in a file (any case, spaces ignored).

    Returns
    -------
    str
        The unit in one upper-case spelling; an unknown unit comes back upper-cased, without spaces.
    """
    key = unicodedata.normalize("NFKC", str(unit or "")).strip().upper().replace(" ", "")
    if _OHM_M.fullmatch(key):
        return "OHM.M"
    return UNIT_SYNONYMS.get(key, key)


#: The depth unit a depth column's name states (``DEPTH_FT``, ``DEPTH_M``).
_DEPTH_NAME_UNITS = {"DEPTH_M": "m", "DEPTH_FT": "ft"}


def depth_unit_of_name(name) -> str:
    """The unit a depth column's name states (``"DEPTH_FT"`` -> ``"ft"``, ``"Depth m"`` ->
    ``"m"``), else ``""``."""
    return _DEPTH_NAME_UNITS.get(column_key(name), "")


def unit_or_none(unit) -> str:
    """A curve's unit as read, ``""`` for a placeholder meaning none (``_``, ``__``: some
    exporters, Petrel's among them, write it where a curve has no unit)."""
    text = str(unit or "").strip()
    return "" if set(text) <= {"_"} else text


def column_key(name) -> str:
    """A table column name as compared with :data:`WELL_NAMES` and :data:`DEPTH_NAMES`: upper
    case, spaces and hyphens as underscores (``"Well Name"`` -> ``WELL_NAME``)."""
    return str(name).strip().upper().replace(" ", "_").replace("-", "_")


def _norm(mnemonic: str) -> str:
    """Upper-case a mnemonic and drop lasio's duplicate suffix (``SFLU:2`` -> ``SFLU``)."""
    return re.sub(r":\d+$", "", str(mnemonic).strip().upper())


def merge_aliases(aliases: Mapping[str, str | Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Return the default table with ``aliases`` merged over it.

    Parameters
    ----------
    aliases : dict or None
        ``{canonical: [mnemonic, ...]}`` replaces a canonical's list (a new canonical name is
        added); ``{mnemonic: canonical}`` puts one mnemonic first in that canonical's list (and
        removes it from any other list).

    Returns
    -------
    dict
        Canonical name -> tuple of upper-case mnemonics in priority order.
    """
    table = {k: tuple(v) for k, v in DEFAULT_ALIASES.items()}
    for key, value in (aliases or {}).items():
        key = _norm(key)
        if isinstance(value, str):
            canonical = _norm(value)
            for k in table:
                table[k] = tuple(m for m in table[k] if m != key)
            table[canonical] = (key, *(m for m in table.get(canonical, ()) if m != key))
        else:
            mnemonics = tuple(_norm(m) for m in value)
            for k in table:
                if k != key:
                    table[k] = tuple(m for m in table[k] if m not in mnemonics)
            table[key] = mnemonics
    return table


def _lookup(table: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for canonical, mnemonics in table.items():
        out.setdefault(canonical, (canonical, -1))
        for rank, m in enumerate(mnemonics):
            out.setdefault(m, (canonical, rank))
    return out


def canonical_name(mnemonic: str, aliases: Mapping[str, str | Sequence[str]] | None = None) -> str:
    """Canonical curve name of a raw mnemonic (``"DTC"`` -> ``"DT"``, ``"ild"`` -> ``"RT"``).

    Parameters
    ----------
    mnemonic : str
        Raw curve mnemonic, any case; a lasio duplicate suffix (``":2"``) is ignored.
    aliases : dict or None
        User table merged over :data:`DEFAULT_ALIASES` (see :func:`merge_aliases`).

    Returns
    -------
    str
        The canonical name, or the upper-case mnemonic itself when it is not in the table.
    """
    name = _norm(mnemonic)
    return _lookup(merge_aliases(aliases)).get(name, (name, 0))[0]


def alias_priority(mnemonic: str, table: Mapping[str, Sequence[str]]) -> tuple[str, int]:
    """``(canonical, rank)`` of ``mnemonic`` in a merged ``table``; a lower rank wins.

    Parameters
    ----------
    mnemonic : str
        Raw curve name (any case).
    table : dict
        Merged alias table from :func:`merge_aliases`.

    Returns
    -------
    canonical : str
        Canonical name (the upper-case mnemonic itself when unknown).
    rank : int
        Position in the canonical's list (0 = first choice; -1 for the canonical name itself
        when it is not listed).
    """
    name = _norm(mnemonic)
    return _lookup(table).get(name, (name, 0))


def is_resistivity(name: str, aliases: Mapping[str, str | Sequence[str]] | None = None) -> bool:
    """True when ``name`` (raw or canonical) is a resistivity-like curve (RT, RMED, RS, RXO)."""
    return canonical_name(name, aliases) in RESISTIVITY_LIKE


__all__ = [
    "DEFAULT_ALIASES",
    "RESISTIVITY_LIKE",
    "DEPTH_NAMES",
    "WELL_NAMES",
    "merge_aliases",
    "canonical_name",
    "alias_priority",
    "is_resistivity",
    "normalise_unit",
    "column_key",
    "depth_unit_of_name",
    "non_curve_kind",
    "NON_CURVE_NAMES",
    "UNIT_SYNONYMS",
]
