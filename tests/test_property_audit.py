"""Property-based audit: edge cases hypothesis found in the numeric and data-handling core,
pinned as explicit, seeded examples (each runs in well under a second).

Each test states the invariant that was searched and the smallest case that broke it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from geoae.errors import DataError
from geoae.io import read_las, read_table, write_las
from geoae.io.tables import iter_table
from geoae.preprocessing import fit_affine_scaler


# ---------------------------------------------------------------------------------- scalers
@pytest.mark.parametrize("method", ["standard", "robust", "minmax"])
@pytest.mark.parametrize("exponent", [-14, -15, -16])
def test_a_curve_of_tiny_values_keeps_its_own_scale_with_every_scaler(method, exponent):
    """Invariant: a non-constant curve is scaled to a spread of order 1 whatever its magnitude.
    scikit-learn's RobustScaler and MinMaxScaler set any scale below 10 * eps (2.2e-15) to 1,
    so a permeability in m2 of 0.1-1 mD (1e-16 .. 1e-15) was taken for a constant: the model
    saw it as ~0 everywhere (an AutoEncoder(scaler='robust') rebuilt it as +-0.2)."""
    rng = np.random.default_rng(1)
    perm = 10 ** rng.normal(exponent, 0.3, 300)
    X = np.c_[perm, rng.normal(size=300)]
    offset, scale = fit_affine_scaler(X, method)
    z = (perm - offset[0]) / scale[0]
    assert scale[0] < 1e-12, (method, scale[0])
    assert 0.1 < z.max() - z.min() < 1e3


def test_the_standard_scale_of_a_curve_reaching_the_largest_float_is_finite():
    """Invariant: offset and scale are finite and the scale positive for finite data. A value
    within ~1e-13 of DBL_MAX made np.log2 round to 1024: the power-of-two factor overflowed to
    inf, the offset became NaN and AutoEncoder.fit reconstructed that whole curve as NaN."""
    X = np.c_[np.r_[np.linspace(0.0, 1.0, 9), np.finfo(np.float64).max], np.arange(10.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        offset, scale = fit_affine_scaler(X, "standard")
    assert np.isfinite(offset).all() and np.isfinite(scale).all() and (scale > 0).all()


# ---------------------------------------------------------------------------------- tables
@pytest.mark.parametrize("text, columns", [
    ("GR\n45.2\n46.1\n", ["GR"]),                            # one curve: sniffed 'R'
    ("DEPTH\n1000.5\n1001.0\n", ["DEPTH"]),                  # sniffed 'T'
    ("GR|RHOB\n45.2|2.45\n46.1|2.47\n", ["GR", "RHOB"]),     # sniffed 'R', not '|'
    ("DEPTH;Temp, degC;GR\n1000.0;55.1;45.2\n1000.5;55.2;46.1\n",
     ["DEPTH", "Temp, degC", "GR"]),                         # sniffed ',' from the names
])
def test_read_table_sniffs_the_delimiter_the_rows_use(tmp_path, text, columns):
    """Invariant: read_table(df.to_csv(sep=s)) gives df's columns and numbers back. The
    delimiter was sniffed from the header line alone with csv.Sniffer's default (any
    character), so a header without a delimiter or with few names split at a letter, and a
    ';' table whose names hold a comma split at ','. No error: all-NaN columns are numeric."""
    p = tmp_path / "t.csv"
    p.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_table(p)
    assert list(df.columns) == columns
    assert all(pd.api.types.is_float_dtype(df[c]) for c in columns)
    assert df.notna().all().all()


def test_iter_table_reads_decimal_commas_as_read_table_does(tmp_path):
    """Invariant: pd.concat(iter_table(p, chunk_rows=k)) equals read_table(p) for any k. The
    decimal-comma decision (two qualifying columns, or the depth) was taken per chunk: a chunk
    where GR is not logged yet kept RHOB as text, and `geoae encode --chunk-rows` stopped with
    "curve(s) ['RHOB'] ... are not numeric" on a table `geoae train` had read."""
    rows = ["DEPTH\tGR\tRHOB"]
    rows += [f"{1000 + i}\t\t2,{40 + i}" for i in range(3)]
    rows += [f"{1003 + i}\t4{i},5\t2,{50 + i}" for i in range(3)]
    p = tmp_path / "t.txt"
    p.write_text("\n".join(rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = read_table(p)
        parts = pd.concat(list(iter_table(p, chunk_rows=3)))
    assert pd.api.types.is_float_dtype(whole["RHOB"])
    for c in whole.columns:
        assert pd.api.types.is_numeric_dtype(parts[c]), (c, parts[c].tolist())
        np.testing.assert_array_equal(parts[c].to_numpy(float), whole[c].to_numpy(float))


# ---------------------------------------------------------------------------------- LAS
_COMMA_LAS = """~Version
 VERS . 2.0 : CWLS LOG ASCII STANDARD - VERSION 2.0
 WRAP . NO  : ONE LINE PER DEPTH STEP
 DLM  . COMMA : DELIMITER
~Well
 NULL . -999.25 : NULL VALUE
~Curve
 DEPT .M     : DEPTH
 GR   .API   : GAMMA RAY
 RHOB .G/CM3 : BULK DENSITY
~ASCII
1000.0,45.2,
1000.5,46.1,
1001.0,47.0,
1001.5,48.2,2.47
1002.0,49.0,2.48
1002.5,50.1,2.49
"""


def test_a_comma_las_whose_first_row_ends_in_an_empty_field_keeps_its_rows(tmp_path):
    """Invariant: an empty field of a comma-delimited LAS row is a missing value (as
    _fix_comma_data's docstring says). An empty *last* field on the first data row was taken
    for a delimiter ending every line: it was dropped wherever empty, and the values shifted
    into other rows without a word (depth 46.1, RHOB 1000.5 at depth 1000.0)."""
    p = tmp_path / "c.las"
    p.write_text(_COMMA_LAS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_las(p)
    assert df.index.tolist() == [1000.0, 1000.5, 1001.0, 1001.5, 1002.0, 1002.5]
    assert df["GR"].tolist() == [45.2, 46.1, 47.0, 48.2, 49.0, 50.1]
    assert df["RHOB"].isna().tolist() == [True, True, True, False, False, False]


def test_read_las_keeps_a_depth_equal_to_a_null_marker_other_than_the_files(tmp_path):
    """Invariant: write_las(df) then read_las gives df's depths back. read_las dropped every
    row whose depth equals one of COMMON_NULLS (-999 m in a TVDSS log), although the file's
    NULL is -999.25; read_table keeps such depths on purpose ('-999 m can be a depth')."""
    d = np.arange(-1002.0, -996.0)
    df = pd.DataFrame({"GR": 50.0 + np.arange(6)}, index=pd.Index(d, name="TVDSS"))
    write_las(df, tmp_path / "t.las")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_las(tmp_path / "t.las")
    assert back.index.tolist() == d.tolist()


def test_write_las_does_not_silently_write_a_depth_equal_to_its_null(tmp_path):
    """Invariant: a written depth reads back. A depth equal to the NULL written (-999.25, in a
    0.25 m TVDSS log) was written as is and dropped on reading; write_las picks a NULL no
    depth uses (and says so when the frame's header had one)."""
    d = np.arange(-1000.0, -998.0, 0.25)
    df = pd.DataFrame({"GR": np.r_[np.nan, np.arange(1.0, len(d))]},
                      index=pd.Index(d, name="TVDSS"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a frame without a header: no word about its NULL
        write_las(df, tmp_path / "t.las")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_las(tmp_path / "t.las", null_values=None)
    assert back.index.tolist() == d.tolist()
    assert back.attrs["null_value"] == -9999.25
    np.testing.assert_array_equal(back["GR"].to_numpy(), df["GR"].to_numpy())  # NaN kept
    # a frame read from a LAS file carries its header (NULL -999.25): written with another
    back.iloc[0, 0] = np.nan
    back.attrs["las_header"] = read_las(tmp_path / "t.las").attrs["las_header"]
    for item in back.attrs["las_header"].get("Well", []):
        if item.get("mnemonic", "").upper() == "NULL":
            item["value"] = -999.25
    with pytest.warns(UserWarning, match="NULL is written as -9999.25"):
        write_las(back, tmp_path / "u.las")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = read_las(tmp_path / "u.las", null_values=None)
    assert again.index.tolist() == d.tolist() and np.isnan(again["GR"].iloc[0])


def test_write_las_text_value_with_a_double_quote_reads_back(tmp_path):
    """Invariant: read_las(write_las(df)) keeps a text curve's values. A value with a space is
    quoted as f'"{v}"' without escaping an inner quote ('9 5/8" casing'): the file written
    could not be read ("Cannot reshape ~A data size (7,) into 3 columns")."""
    df = pd.DataFrame({"GR": [45.0, 50.0], "REMARK": ['9 5/8" casing', "open hole"]},
                      index=pd.Index([1000.0, 1000.5], name="DEPT"))
    with pytest.warns(UserWarning, match="curve 'REMARK' has text holding a double quote"):
        write_las(df, tmp_path / "q.las")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_las(tmp_path / "q.las")
    assert back["GR"].tolist() == [45.0, 50.0]
    assert back["REMARK"].tolist() == ["9 5/8'' casing", "open hole"]
    # without a space too: lasio reads ' as a quote in an unquoted value (12'' and it's failed)
    vals = ['12"', "it's", 'a"b', "x,y", "'q'", "plain"]
    df = pd.DataFrame({"GR": np.arange(6.0), "REMARK": vals},
                      index=pd.Index(1000.0 + np.arange(6), name="DEPT"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_las(df, tmp_path / "r.las")
        back = read_las(tmp_path / "r.las")
    assert back["REMARK"].tolist() == [v.replace('"', "''") for v in vals]


_HEAD = """~VERSION INFORMATION
 VERS.                  2.0 : CWLS LOG ASCII STANDARD
 WRAP.                  {wrap} : wrap
~WELL INFORMATION
 NULL.              -999.25 :
~CURVE INFORMATION
 DEPT.M                     : depth
 GR  .API                   : gamma
 RHOB.G/CC                  : density
~A
"""


@pytest.mark.parametrize("wrap, data, gr, rhob", [
    # every line ends with the delimiter, unwrapped and wrapped (a line never has 4 fields)
    ("NO", "1000.0,45.2,2.31,\n1000.5,46.1,2.32,\n", [45.2, 46.1], [2.31, 2.32]),
    ("YES", "1000.0,\n45.2,2.31,\n1000.5,\n46.1,2.32,\n", [45.2, 46.1], [2.31, 2.32]),
    # wrapped, a line-final delimiter continuing the step (not on a step's last line)
    ("YES", "1000.0,\n45.2,2.31\n1000.5,\n46.1,2.32\n", [45.2, 46.1], [2.31, 2.32]),
    # an empty last field that is a missing value, on the first line or another
    ("NO", "1000.0,45.2,\n1000.5,46.1,2.32\n", [45.2, 46.1], [np.nan, 2.32]),
    ("NO", "1000.0,45.2,2.31\n1000.5,46.1,\n", [45.2, 46.1], [2.31, np.nan]),
])
def test_comma_las_trailing_delimiters_and_empty_last_fields(tmp_path, wrap, data, gr, rhob):
    p = tmp_path / "c.las"
    p.write_text(_HEAD.format(wrap=wrap) + data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_las(p)
    assert df.index.tolist() == [1000.0, 1000.5] and list(df.columns) == ["GR", "RHOB"]
    np.testing.assert_array_equal(df["GR"], gr)
    np.testing.assert_array_equal(df["RHOB"], rhob)


def test_a_las3_file_counts_the_log_curves_not_the_core_definitions(tmp_path):
    """LAS 3: ~Core_Definition (2 items) comes before ~Log_Definition (3 curves); counting the
    first section starting with C took the core's, which added an empty curve to every row
    ending with a delimiter, or refused a row whose last value was missing."""
    text = """~Version
VERS. 3.0 : CWLS LOG ASCII STANDARD - VERSION 3.0
WRAP. NO : One line per depth step
DLM . COMMA : delimiter
~Well
NULL. -999.25 :
~Core_Definition
CORT.M : top
CORB.M : bottom
~Core_Data
1000.0,1000.5
~Log_Definition
DEPT.M : depth
GR .API : gamma
RHOB.G/CC : density
~Log_Data
1000.0,45.2,2.31,
1000.5,46.1,
"""
    p = tmp_path / "c3.las"
    p.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_las(p)
    assert list(df.columns) == ["GR", "RHOB"]
    np.testing.assert_array_equal(df["RHOB"], [2.31, np.nan])


def test_a_density_with_three_decimals_is_read_with_the_files_decimal_comma(tmp_path):
    """In a tab file whose depth and GR use decimal commas, RHOB 2,413 is 2.413 (it was taken
    for a possible thousands separator and left as text, so train found no RHOB); alone, such
    a column is still left as text (1,234 may be 1234)."""
    p = tmp_path / "t.txt"
    p.write_text("DEPTH\tGR\tRHOB\n1000,5\t45,5\t2,413\n1001,0\t47,25\t2,405\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_table(p)
    assert df["RHOB"].tolist() == [2.413, 2.405] and df["DEPTH"].tolist() == [1000.5, 1001.0]
    # a depth of d,ddd stays text (and refused where a depth is needed): 1,234 m or 1.234 m?
    d = tmp_path / "d.csv"
    d.write_text('DEPTH,GR,RHOB\n"1,234","45,5","2,41"\n"1,235","46,5","2,42"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = read_table(d)
    assert got["GR"].tolist() == [45.5, 46.5]
    assert not pd.api.types.is_numeric_dtype(got["DEPTH"])
    q = tmp_path / "u.txt"
    q.write_text("DEPTH\tCOUNT\n1000.5\t1,234\n1001.0\t2,405\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not pd.api.types.is_numeric_dtype(read_table(q)["COUNT"])


def test_a_one_column_file_without_a_header_is_refused_not_short_of_its_first_value(tmp_path):
    """A headerless one-column trace (a seismogram export) gave its first sample as the
    column's name and lost it without a word; two or more columns were already refused."""
    p = tmp_path / "one.csv"
    p.write_text("-12.8168\n3.87886\n-19.9721\n")
    with pytest.raises(DataError, match="first line holds numbers"):
        read_table(p)
    q = tmp_path / "named.csv"
    q.write_text("GR\n45.2\n46.1\n")
    assert read_table(q)["GR"].tolist() == [45.2, 46.1]


def test_the_curve_count_is_that_of_the_section_lasio_reads_as_curves(tmp_path):
    """A ~Constants section (4 items) before ~Curve (3 curves): the first section starting
    with C gave the count, and rows ending with a delimiter got an empty UNKNOWN curve."""
    text = _HEAD.format(wrap="NO").replace("~CURVE INFORMATION", "~Constants\n A.  1 :\n B.  2 :"
                                           "\n C.  3 :\n D.  4 :\n~CURVE INFORMATION")
    p = tmp_path / "k.las"
    p.write_text(text + "1000.0,45.2,2.31,\n1000.5,46.1,2.32,\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_las(p)
    assert list(df.columns) == ["GR", "RHOB"] and df["RHOB"].tolist() == [2.31, 2.32]


def test_a_space_aligned_table_is_split_at_runs_of_spaces(tmp_path):
    """A text export with columns aligned by runs of spaces was split at each space: empty
    Unnamed columns, and GR and RHOB read as all missing, without a word. A table with a blank
    cell (fields that do not line up) is left as it was read before."""
    p = tmp_path / "aligned.txt"
    p.write_text("DEPTH     GR      RHOB\n  1000.0  45.2    2.31\n  1000.5  146.1   2.32\n")
    df = read_table(p)
    assert list(df.columns) == ["DEPTH", "GR", "RHOB"]
    assert df["GR"].tolist() == [45.2, 146.1] and df["RHOB"].tolist() == [2.31, 2.32]
    parts = pd.concat(list(iter_table(p, chunk_rows=1)))
    assert parts["GR"].tolist() == [45.2, 146.1]
    q = tmp_path / "single.txt"  # one space between fields: as before
    q.write_text("DEPTH GR RHOB\n1000.0 45.2 2.31\n1000.5 46.1 2.32\n")
    assert read_table(q)["RHOB"].tolist() == [2.31, 2.32]


def test_a_one_column_table_with_a_comma_in_its_values_is_not_split_at_a_letter(tmp_path):
    """RHOB / 2307,218: the header holds no delimiter and the data a comma, so the multi-line
    sniff failed and the header alone split 'RHOB' at 'R' (columns 'Unnamed: 0', 'HOB', and
    the values as text). Now the column is one field, and the error says what to check."""
    p = tmp_path / "one_dc.csv"
    p.write_text("RHOB\n2307,218\n2310,5\n")
    with pytest.raises(DataError, match=r"no numeric column \(columns: \['RHOB'\]\).*decimal"):
        read_table(p)
