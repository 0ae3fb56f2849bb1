"""Exact conversions between the units of well logs: :func:`convert_units`.

Wells logged by different companies or in different countries give the same curve in different
units: depth in ft or m, slowness in us/ft or us/m, density in g/cm3 or kg/m3, porosity in % or
v/v. :data:`UNIT_TABLE` holds the exact definitions of these units (no third-party units
library), each keyed by the spelling :func:`geoae.io.aliases.normalise_unit` gives it, so every
spelling that it knows (``"g/cc"``, ``"G/C3"``, ``"gm/cc"``; ``"F"``, ``"feet"``; ``"pu"``,
``"LPU"``; ``"dec"``, ``"frac"``, ``"m3/m3"``; ``"usec/ft"``, ``"µs/ft"``...) converts.

Conversions go by the unit *labels* only: a porosity labelled ``v/v`` whose values reach 45 (a
percentage in a mislabelled file) is multiplied by 100 like any other ``v/v`` curve when converted
to ``%``. Check the values of a suspicious curve before converting it, and fix its label first.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import ConfigError
from .aliases import normalise_unit

_FT = Fraction("0.3048")  # the international foot, exactly (1959)

#: Canonical unit (as :func:`geoae.io.aliases.normalise_unit` spells it) ->
#: ``(quantity, factor, zero)``: a value ``x`` in the unit is ``(x - zero) * factor`` in the
#: quantity's base unit (the one with factor 1 and zero 0). Every factor is exact.
UNIT_TABLE: dict[str, tuple[str, Fraction, Fraction]] = {
    # length: depth, caliper, bit size
    "M": ("length", Fraction(1), Fraction(0)),
    "FT": ("length", _FT, Fraction(0)),
    "IN": ("length", _FT / 12, Fraction(0)),
    ".1IN": ("length", _FT / 120, Fraction(0)),  # tenths of an inch (old CWLS LAS depths)
    "CM": ("length", Fraction(1, 100), Fraction(0)),
    "MM": ("length", Fraction(1, 1000), Fraction(0)),
    # slowness (sonic DT, DTS): microseconds per metre
    "US/M": ("slowness", Fraction(1), Fraction(0)),
    "US/FT": ("slowness", 1 / _FT, Fraction(0)),
    # bulk density: kilograms per cubic metre
    "KG/M3": ("density", Fraction(1), Fraction(0)),
    "G/CM3": ("density", Fraction(1000), Fraction(0)),
    # porosity, saturation, shale volume: a fraction (v/v)
    "V/V": ("fraction", Fraction(1), Fraction(0)),
    "%": ("fraction", Fraction(1, 100), Fraction(0)),
    # velocity: metres per second
    "M/S": ("velocity", Fraction(1), Fraction(0)),
    "KM/S": ("velocity", Fraction(1000), Fraction(0)),
    "FT/S": ("velocity", _FT, Fraction(0)),
    # temperature: degrees Celsius (an affine scale: degF = degC * 9/5 + 32)
    "DEGC": ("temperature", Fraction(1), Fraction(0)),
    "DEGF": ("temperature", Fraction(5, 9), Fraction(32)),
}


def unit_quantity(unit: str | None) -> str | None:
    """The quantity a unit measures (``"length"``, ``"slowness"``, ``"density"``,
    ``"fraction"``, ``"velocity"``, ``"temperature"``), or None when :data:`UNIT_TABLE` does not
    know it.

    Parameters
    ----------
    unit : str or None
        A unit in any spelling :func:`geoae.io.aliases.normalise_unit` knows (``"g/cc"``, ``"F"``).

    Returns
    -------
    str or None

    Examples
    --------
    >>> unit_quantity("usec/ft"), unit_quantity("pu"), unit_quantity("ohm.m")
    ('slowness', 'fraction', None)
    """
    entry = UNIT_TABLE.get(normalise_unit(unit))
    return entry[0] if entry else None


#: Bare one-letter labels that mean a temperature when the other unit of a pair is one:
#: ``"F"`` is feet on its own (a depth) but degrees Fahrenheit beside ``"degC"``.
_BARE_TEMPERATURE = {"F": "DEGF", "C": "DEGC"}


def _pair(from_unit: str | None, to_unit: str | None) -> tuple[str, str]:
    """Both units normalised, a bare ``F`` or ``C`` read as a temperature when the other unit
    is one (a temperature curve labelled ``F`` in one well and ``DEGC`` in another)."""
    a, b = normalise_unit(from_unit), normalise_unit(to_unit)

    def temperature(u: str) -> bool:
        return UNIT_TABLE.get(u, ("",))[0] == "temperature"

    bare_a = str(from_unit or "").strip().upper()
    bare_b = str(to_unit or "").strip().upper()
    if bare_a in _BARE_TEMPERATURE and temperature(b):
        a = _BARE_TEMPERATURE[bare_a]
    if bare_b in _BARE_TEMPERATURE and temperature(a):
        b = _BARE_TEMPERATURE[bare_b]
    return a, b


def can_convert(from_unit: str | None, to_unit: str | None) -> bool:
    """True when :func:`convert_units` can convert values from ``from_unit`` to ``to_unit``.

    Two spellings of one unit (``"OHMM"`` and ``"ohm.m"``, ``"g/cc"`` and ``"G/C3"``) convert
    (the values stay as they are); so do two units of one quantity in :data:`UNIT_TABLE`. An empty
    unit converts to nothing. A bare ``"F"`` (or ``"C"``) is feet (or unknown) on its own, but a
    temperature when the other unit is one: ``can_convert("F", "degC")`` is True.

    Parameters
    ----------
    from_unit, to_unit : str or None
        Units in any spelling :func:`geoae.io.aliases.normalise_unit` knows.

    Returns
    -------
    bool

    Examples
    --------
    >>> can_convert("ft", "m"), can_convert("%", "dec"), can_convert("%", "g/cc")
    (True, True, False)
    """
    a, b = _pair(from_unit, to_unit)
    if not a or not b:
        return False
    if a == b:
        return True
    qa, qb = UNIT_TABLE.get(a), UNIT_TABLE.get(b)
    return qa is not None and qb is not None and qa[0] == qb[0]


def convert_units(values, from_unit: str, to_unit: str, *, interval: bool = False):
    """Convert values from one unit to another, exactly, by the units' labels.

    ``y = (x - zero_from) * factor_from / factor_to + zero_to`` with the exact factors of
    :data:`UNIT_TABLE`, applied as one multiplication and one division by integers (for ft -> m:
    ``x * 381 / 1250``), so that round numbers come out round: 1000 ft is 304.8 m, 100 us/ft is
    328.0839... us/m, 2.65 g/cm3 is 2650 kg/m3, 25 % is 0.25 v/v, 100 degC is 212 degF.
    Converting back gives the values again to within one or two units in the last place.

    The labels are trusted: a porosity labelled ``v/v`` whose values reach 45 is a percentage
    under a wrong label, and is still multiplied by 100 when converted to ``%``; nothing is
    guessed from the values.

    Parameters
    ----------
    values : float or array_like, any shape
        Values in ``from_unit``; NaN stays NaN.
    from_unit, to_unit : str
        Units in any spelling :func:`geoae.io.aliases.normalise_unit` knows (``"ft"``, ``"F"``,
        ``"feet"``; ``"g/cc"``, ``"kg/m3"``; ``"%"``, ``"pu"``, ``"v/v"``, ``"dec"``...).
        Two spellings of one unit give the values unchanged.
    interval : bool, default False
        The values are differences, spreads or steps (a standard deviation, a sampling step)
        rather than readings: the zero offset of an affine scale (temperature) is not applied,
        so a spread of 10 degC is 18 degF, not 50 degF. Linear units are not affected.

    Returns
    -------
    float or ndarray of float64, same shape as ``values``
        The values in ``to_unit`` (a new array; a float for a scalar).

    Raises
    ------
    ConfigError
        No known conversion between the two units (another quantity, an unknown or empty unit);
        the message names them.

    Examples
    --------
    >>> convert_units(1000.0, "ft", "m")
    304.8
    >>> convert_units([25.0, float("nan")], "pu", "v/v")
    array([0.25,  nan])
    >>> convert_units(100.0, "degC", "degF")
    212.0
    """
    x = np.array(values, dtype=np.float64)  # a copy
    a, b = _pair(from_unit, to_unit)
    if not can_convert(from_unit, to_unit):
        qa, qb = unit_quantity(from_unit), unit_quantity(to_unit)
        why = (f"{from_unit!r} is {qa} and {to_unit!r} is {qb}" if qa and qb else
               "an empty unit" if not a or not b else
               f"unit {(to_unit if qa else from_unit)!r} is not in geoae.io.units.UNIT_TABLE")
        raise ConfigError(f"convert_units: no known conversion from {from_unit!r} to {to_unit!r} "
                          f"({why}); known units: {', '.join(UNIT_TABLE)} and their spellings")
    if a != b:
        _, fa, za = UNIT_TABLE[a]
        _, fb, zb = UNIT_TABLE[b]
        ratio = fa / fb
        if za and not interval:
            x = x - float(za)
        if ratio.numerator != 1:
            x = x * float(ratio.numerator)
        if ratio.denominator != 1:
            x = x / float(ratio.denominator)
        if zb and not interval:
            x = x + float(zb)
    return float(x) if x.ndim == 0 else x


__all__ = ["UNIT_TABLE", "convert_units", "can_convert", "unit_quantity"]
