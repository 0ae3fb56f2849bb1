"""geoae.io.units: exact conversions between well-log units, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from geoae.errors import ConfigError
from geoae.io.aliases import normalise_unit
from geoae.io.units import UNIT_TABLE, can_convert, convert_units, unit_quantity

# (value, from, to, expected): each expected value worked out by hand from the definitions
# 1 ft = 0.3048 m, 1 in = 2.54 cm, 1 g/cm3 = 1000 kg/m3, 1 % = 0.01, degF = degC * 9/5 + 32
HAND = [
    (1000.0, "ft", "m", 304.8),
    (304.8, "m", "ft", 1000.0),
    (3280.0, "F", "meters", 999.744),
    (100.0, "us/ft", "us/m", 328.0839895013123),  # 100 / 0.3048
    (328.0839895013123, "us/m", "us/ft", 100.0),
    (57.0, "usec/ft", "US/M", 187.00787401574803),  # 57 / 0.3048
    (2.65, "g/cm3", "kg/m3", 2650.0),
    (2650.0, "kg/m3", "g/cc", 2.65),
    (1.95, "G/C3", "KG/M3", 1950.0),
    (25.0, "%", "v/v", 0.25),
    (0.25, "v/v", "%", 25.0),
    (33.0, "pu", "dec", 0.33),
    (0.12, "frac", "LPU", 12.0),
    (0.3, "m3/m3", "percent", 30.0),
    (3000.0, "m/s", "ft/s", 9842.519685039370),  # 3000 / 0.3048
    (10000.0, "ft/s", "m/s", 3048.0),
    (2.5, "km/s", "m/s", 2500.0),
    (8.5, "in", "cm", 21.59),
    (8.5, "in", "mm", 215.9),
    (215.9, "mm", "in", 8.5),
    (21.59, "cm", "mm", 215.9),
    (12.25, "inch", "m", 0.31115),
    (100.0, "degC", "degF", 212.0),
    (212.0, "degF", "degC", 100.0),
    (32.0, "DEGF", "DEGC", 0.0),
    (-40.0, "degC", "degF", -40.0),
    (37.0, "\u00b0C", "\u00b0F", 98.6),
]


@pytest.mark.parametrize(("value", "unit", "to", "expected"), HAND)
def test_convert_units_matches_the_hand_computation(value, unit, to, expected):
    got = convert_units(value, unit, to)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-14, abs=1e-12)


def test_round_numbers_come_out_round():
    """One multiplication and one division by integers: no 0.30479999... for 1 ft."""
    assert convert_units(1000.0, "ft", "m") == 304.8
    assert convert_units(304.8, "m", "ft") == 1000.0
    assert convert_units(2.65, "g/cm3", "kg/m3") == 2650.0
    assert convert_units(25.0, "%", "v/v") == 0.25
    assert convert_units(100.0, "degC", "degF") == 212.0
    assert convert_units(8.5, "in", "mm") == 215.9


@pytest.mark.parametrize("quantity", sorted({q for q, _, _ in UNIT_TABLE.values()}))
def test_round_trip_is_the_identity(quantity):
    units = [u for u, (q, _, _) in UNIT_TABLE.items() if q == quantity]
    x = np.random.default_rng(0).uniform(-500.0, 5000.0, size=1000)
    for a in units:
        for b in units:
            back = convert_units(convert_units(x, a, b), b, a)
            np.testing.assert_allclose(back, x, rtol=1e-14, atol=1e-11, err_msg=f"{a} -> {b}")
            assert np.array_equal(convert_units(x, a, a), x)


def test_arrays_keep_their_shape_and_nan_stays_nan():
    x = np.array([[1000.0, np.nan], [0.0, -1.0]])
    y = convert_units(x, "ft", "m")
    assert y.shape == (2, 2) and y.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))
    assert y[0, 0] == 304.8 and y[1, 0] == 0.0
    np.testing.assert_array_equal(convert_units([20.0, np.nan], "%", "v/v"), [0.2, np.nan])
    before = x.copy()
    convert_units(x, "m", "ft")
    np.testing.assert_array_equal(x, before)  # the input is not changed in place


def test_spellings_of_one_unit_are_the_identity():
    x = np.array([1.5, 2.5])
    for a, b in (("g/cc", "G/C3"), ("OHMM", "ohm.m"), ("F", "feet"), ("gAPI", "API")):
        assert can_convert(a, b)
        np.testing.assert_array_equal(convert_units(x, a, b), x)


def test_an_interval_of_temperature_has_no_offset():
    assert convert_units(10.0, "degC", "degF", interval=True) == 18.0  # a spread, not a reading
    assert convert_units(10.0, "degC", "degF") == 50.0
    assert convert_units(0.5, "ft", "m", interval=True) == convert_units(0.5, "ft", "m")


def test_the_labels_are_trusted_not_the_values():
    """A v/v NPHI whose values reach 45 (a percentage under a wrong label) is still converted
    as a fraction: nothing is guessed from the values (said in the docstring)."""
    assert convert_units(45.0, "v/v", "%") == 4500.0
    assert "labels only" in convert_units.__doc__ or "labels are trusted" in convert_units.__doc__


@pytest.mark.parametrize(("unit", "to", "named"), [
    ("%", "g/cc", "'%' is fraction and 'g/cc' is density"),
    ("furlong", "m", "'furlong' is not in"),
    ("m", "cps", "'cps' is not in"),
    ("", "m", "an empty unit"),
])
def test_an_unknown_conversion_is_an_error_naming_the_units(unit, to, named):
    assert not can_convert(unit, to)
    with pytest.raises(ConfigError, match="no known conversion") as info:
        convert_units([1.0], unit, to)
    assert named in str(info.value)


def test_can_convert_and_unit_quantity():
    assert can_convert("ft", "m") and can_convert("in", "mm") and can_convert("degF", "degC")
    assert not can_convert("us/ft", "m/s")  # slowness and velocity: not a linear conversion
    assert not can_convert(None, "m") and not can_convert("", "")
    assert unit_quantity("usec/ft") == "slowness" and unit_quantity("pu") == "fraction"
    assert unit_quantity("ohm.m") is None and unit_quantity(None) is None


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("meters", "M"), ("Metres", "M"), ("meter", "M"), ("feet", "FT"), ("foot", "FT"),
    ("inches", "IN"), ("\u00b5s/ft", "US/FT"), ("\u03bcs/m", "US/M"), ("usec/m", "US/M"),
    ("g/cm^3", "G/CM3"), ("gm/cm3", "G/CM3"), ("kg/m^3", "KG/M3"), ("percent", "%"),
    ("pct", "%"), ("sspu", "%"), ("decimal", "V/V"), ("fraction", "V/V"), ("ft3/ft3", "V/V"),
    ("m/sec", "M/S"), ("ft/sec", "FT/S"), ("km/sec", "KM/S"), ("deg C", "DEGC"),
    ("\u00b0C", "DEGC"), ("\u2103", "DEGC"), ("deg_F", "DEGF"), ("\u00b0F", "DEGF"),
    ("\u00b5sec/ft", "US/FT"), ("\u00b5sec/m", "US/M"), ("microseconds/foot", "US/FT"),
    ("p.u", "%"), ("p.u.", "%"),
])
def test_normalise_unit_knows_the_spellings_the_table_converts(spelling, canonical):
    assert normalise_unit(spelling) == canonical
    assert canonical in UNIT_TABLE


def test_a_bare_f_or_c_is_a_temperature_beside_a_temperature():
    """'F' is feet (a depth unit) on its own, so a temperature curve labelled F in one well and
    DEGC in another was a conflict that no conversion could solve. Beside a temperature it is
    degrees Fahrenheit (and 'C' Celsius); beside a length it stays feet."""
    assert can_convert("F", "degC") and can_convert("degC", "F") and can_convert("C", "degF")
    assert convert_units(212.0, "F", "degC") == 100.0
    assert convert_units(100.0, "degC", "F") == 212.0
    assert convert_units(100.0, "C", "DEGF") == 212.0
    assert convert_units(50.0, "degF", "F") == 50.0
    assert convert_units(1000.0, "F", "m") == 304.8  # a depth in F is still feet
    assert not can_convert("C", "m") and not can_convert("F", "v/v")


def test_read_wells_converts_a_temperature_labelled_f(tmp_path):
    import warnings

    import pandas as pd

    from geoae.io import read_wells, write_las

    for name, unit, temp in (("A", "DEGC", [20.0, 25.0]), ("B", "DEGC", [30.0, 35.0]),
                             ("C", "F", [68.0, 212.0])):
        logs = pd.DataFrame({"TEMP": temp}, index=pd.Index([100.0, 101.0], name="DEPT"))
        logs.attrs.update(well_name=name, index_unit="m")
        write_las(logs, tmp_path / f"{name}.las", units={"TEMP": unit})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    assert df.attrs["unit_conversions"] == {"C": {"TEMP": ("F", "DEGC")}}
    assert df.loc[df.WELL == "C", "TEMP"].tolist() == [20.0, 100.0]
    assert not df.attrs["unit_conflicts"]
    assert not any("units differ" in str(w.message) for w in record)


def test_tenths_of_an_inch_the_depth_unit_of_old_cwls_files(shared_data, tmp_path):
    """'.1IN' (an old Canadian LAS depth unit) was unknown, so such a well could not be put
    beside wells in feet or metres."""
    import numpy as np

    from geoae.io import read_las, read_wells
    from geoae.io.units import convert_units

    np.testing.assert_allclose(convert_units(np.array([120.0, 1.0]), ".1IN", "FT"), [1.0, 1 / 120])
    np.testing.assert_allclose(convert_units(np.array([10000.0]), "0.1in", "m"), [25.4])
    path = shared_data / "las-samples" / "autodepthindex_point_one_inch.las"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    raw = read_las(path)
    assert raw.attrs["index_unit"] == ".1IN" and raw.index[0] == 986904.0
    import pandas as pd

    from geoae.io import write_las

    others = []
    for name in ("A", "B"):  # two wells in metres: the unit of most wells
        one = pd.DataFrame({"URAN": [1.0, 2.0, 3.0]}, index=pd.Index([100.0, 100.5, 101.0],
                                                                     name="DEPT"))
        one.attrs = {"well_name": name, "index_unit": "M"}
        others.append(write_las(one, tmp_path / f"{name}.las", units={"URAN": "PPM"}))
    with pytest.warns(UserWarning, match="depth"):
        frame = read_wells([path, *others])
    well = frame[frame["WELL"] == "AAAAA_2"]
    assert well["DEPTH"].max() == pytest.approx(986904.0 * 0.00254)
