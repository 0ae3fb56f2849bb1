"""LAS reading and writing: real files (shared data) and files written here."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoae.errors import DataError
from geoae.io import read_las, write_las

SMALL = [
    "las-samples/sample.las",
    "las-samples/sample_2.0.las",
    "las-samples/sample_2.0_wrapped.las",
    "las-samples/sample_null.las",
    "las-samples/null_policy_-999.25.las",
    "las-samples/sparse_curves.las",
    "las-samples/encodings_cp1252.las",
    "las-samples/6038187_v1.2.las",
    "las-samples/autodepthindex_point_one_inch.las",
    "las-samples/quirky/excess_curves.las",
    "las-samples/quirky/missing_vers.las",
    "las-samples/quirky/mnemonic_duplicate.las",
    "las-samples/quirky/sample_str_in_data.las",
    "welly-las-wells/24034.LAS",
]
LARGE = [
    "welly-las-wells/F03-02.las",
    "welly-las-wells/P-135_out.LAS",
    "welly-las-wells/Wellington_KGS-1-32-wDST2_LASv2.las",
    "welly-las-wells/Wellington_KGS-1-32-wDST2_LASv3.las",
    "force2020-wells/25_8-7.las",
    "force2020-wells/31_2-7.las",
    "force2020-wells/31_2-9.las",
    "force2020-wells/31_6-8.las",
    "force2020-wells/32_2-1.las",
]
# Files lasio cannot give log data from, with the reason (the reader must say so clearly).
UNREADABLE = {
    "las-samples/sample_3.0.las": "the LAS 3.0 standard example has header sections only, no ~ASCII data",
    "las-samples/quirky/missing_a_section.las": "only the index curve and an empty ~ASCII section",
}

_CACHE: dict[str, pd.DataFrame] = {}


def _read(shared: Path, rel: str) -> pd.DataFrame:
    if rel not in _CACHE:
        _CACHE[rel] = read_las(shared / rel)
    return _CACHE[rel].copy()


def _sections_without_version(df: pd.DataFrame) -> dict:
    """Header sections as compared after a round trip (~Version is rewritten as LAS 2.0)."""
    out = {}
    for name, sec in df.attrs["las_header"].items():
        if name == "Version":
            continue
        if isinstance(sec, str):
            out[name] = sec.strip()
        else:
            out[name] = [(it["mnemonic"], it["unit"], it["value"], it["descr"]) for it in sec]
    return out


def _assert_same_data(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.index.name == b.index.name
    np.testing.assert_array_equal(a.index.to_numpy(), b.index.to_numpy())
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=c)
            np.testing.assert_array_equal(x, y, err_msg=c)  # written with %.15g: exact
        else:
            assert [str(v) for v in x] == [str(v) for v in y], c


def _assert_same_header(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert _sections_without_version(a) == _sections_without_version(b)
    for key in ("well_name", "uwi", "well", "units", "descriptions", "index_name", "index_unit"):
        assert a.attrs[key] == b.attrs[key], key


@pytest.mark.parametrize("rel", SMALL + LARGE)
def test_round_trip_with_template(shared_data, rel, tmp_path):
    src = shared_data / rel
    df = _read(shared_data, rel)
    out = tmp_path / "out.las"
    assert write_las(df, out, template=src) == out
    back = read_las(out)
    _assert_same_data(df, back)
    _assert_same_header(df, back)
    assert back.attrs["version"] == "2.0"
    assert not list(tmp_path.glob(".*tmp*")), "temporary file left behind"


@pytest.mark.parametrize("rel", SMALL + ["welly-las-wells/P-135_out.LAS"])
def test_round_trip_without_template_uses_stored_header(shared_data, rel, tmp_path):
    df = _read(shared_data, rel)
    out = tmp_path / "out.las"
    write_las(df, out)
    back = read_las(out)
    _assert_same_data(df, back)
    _assert_same_header(df, back)


@pytest.mark.parametrize("rel", sorted(UNREADABLE))
def test_files_without_log_data_give_clear_error(shared_data, rel):
    # lasio reads these headers but finds no log data to return: a clear DataError, not a crash
    with pytest.raises(DataError, match=Path(rel).name):
        read_las(shared_data / rel)


def test_headers_kept_on_real_well(shared_data):
    df = _read(shared_data, "las-samples/6038187_v1.2.las")
    assert df.attrs["well_name"] == "Scorpio E1"
    assert df.index.name == "DEPT" and df.attrs["index_unit"] == "M"
    assert {"CALI", "DFAR", "DNEAR", "GAMN", "NEUT", "PR", "SP", "COND"} <= set(df.columns)
    assert df.attrs["units"]["GAMN"] and df.attrs["null_value"] == -99999.0
    assert (df.to_numpy() != -99999.0).all()


def test_wrong_null_declaration_and_decreasing_depth(shared_data):
    df = _read(shared_data, "welly-las-wells/F03-02.las")
    assert df.attrs["null_value"] == -999.25
    assert not (df.to_numpy() == -9999.0).any(), "-9999 markers must become NaN"
    assert df["NPHI"].isna().mean() > 0.5
    assert df.index[0] > df.index[-1]  # read_las keeps the file's order
    assert df.attrs["units"]["RHOB"] == "G/C3"


def test_comma_delimited_v2_matches_v3(shared_data, tmp_path):
    v2 = _read(shared_data, "welly-las-wells/Wellington_KGS-1-32-wDST2_LASv2.las")
    v3 = _read(shared_data, "welly-las-wells/Wellington_KGS-1-32-wDST2_LASv3.las")
    assert v2.shape == (9341, 37)
    _assert_same_data(v2, v3)
    assert "Tops_Definition" in v3.attrs["las_header"]
    # the LAS 3.0 data sections (formation tops, drill-stem tests) cannot be written back as
    # LAS 2.0: they are listed, and writing with this template says so (they were dropped
    # silently)
    assert v3.attrs["other_data_sections"][:3] == ["IQ_Brine_Data", "Tops_Data", "Test_Data[1]"]
    assert v2.attrs["other_data_sections"] == []
    src = shared_data / "welly-las-wells/Wellington_KGS-1-32-wDST2_LASv3.las"
    with pytest.warns(UserWarning, match=r"LAS 3.0 data sections \['IQ_Brine_Data', 'Tops_Data'"):
        write_las(v3.iloc[:, :2], tmp_path / "v3.las", template=src)
    with pytest.warns(UserWarning, match=r"LAS 3.0 data sections"):  # its own header, no template
        write_las(v3, tmp_path / "v3b.las")


def test_wrapped_file(shared_data):
    df = _read(shared_data, "welly-las-wells/P-135_out.LAS")
    assert df.shape == (4951, 22)
    assert df.attrs["well_name"] == "Eastrock Lauren #1"
    assert df["DT"].notna().mean() > 0.85


def test_cp1252_header(shared_data):
    df = _read(shared_data, "las-samples/encodings_cp1252.las")
    assert df.attrs["encoding"] == "cp1252"
    assert df.shape == (3, 7)


def test_duplicate_mnemonics_survive_round_trip(shared_data, tmp_path):
    df = _read(shared_data, "las-samples/quirky/mnemonic_duplicate.las")
    assert ["SFLU:1", "SFLU:2"] == [c for c in df.columns if c.startswith("SFLU")]


# ------------------------------------------------------------------ files written by the tests

LAS12 = """~VERSION INFORMATION
 VERS.                  1.2:   CWLS LOG ASCII STANDARD -VERSION 1.2
 WRAP.                  NO:   ONE LINE PER DEPTH STEP
~WELL INFORMATION BLOCK
 STRT.M        1000.0:
 STOP.M        1001.0:
 STEP.M        0.25:
 NULL.           -999.2500:
 COMP.             COMPANY:   TEST OIL
 WELL.                WELL:   TEST WELL #1
 FLD .               FIELD:   NOWHERE
 LOC .            LOCATION:   12-34 \u00b0N
 UWI .      UNIQUE WELL ID:   100000000000W500
~CURVE INFORMATION
 DEPT.M                      :  1  DEPTH
 DTC .US/F                   :  2  SONIC
 ZDEN.G/C3                   :  3  DENSITY
 ILD .OHMM                   :  4  DEEP RESISTIVITY
~PARAMETER INFORMATION
 BHT .DEGC   35.5:   BOTTOM HOLE TEMPERATURE
~Other
Written by a geoae test.
~A  DEPTH     DT       RHOB     ILD
1000.00   100.5   2.45   10.0
1000.25   -999.25 2.50   -9999
1000.50   101.5   -999.2500   12.5
1000.75   102.0   2.55   0.5
1001.00   99.0   -9999.0   13.25
"""


@pytest.fixture
def las12(tmp_path) -> Path:
    p = tmp_path / "test.las"
    p.write_text(LAS12, encoding="utf-8")
    return p


def test_written_file_nulls_and_header(las12):
    df = read_las(las12)
    assert df.shape == (5, 3)
    assert df.index.name == "DEPT" and df.attrs["index_unit"] == "M"
    expected_nan = {"DTC": [1], "ZDEN": [2, 4], "ILD": [1]}
    for c, rows in expected_nan.items():
        assert list(np.flatnonzero(df[c].isna())) == rows, c
    assert df.attrs["well_name"] == "TEST WELL #1"
    assert df.attrs["uwi"] == "100000000000W500"
    assert df.attrs["well"]["COMP"] == "TEST OIL"
    assert df.attrs["well"]["LOC"] == "12-34 \u00b0N"
    assert df.attrs["units"] == {"DTC": "US/F", "ZDEN": "G/C3", "ILD": "OHMM"}
    assert df.attrs["descriptions"]["ZDEN"] == "3  DENSITY"
    assert df.attrs["n_missing"] == {"DTC": 1, "ZDEN": 2, "ILD": 1}


def test_null_values_option_keeps_other_markers(las12):
    df = read_las(las12, null_values=())
    assert (df["ILD"] == -9999.0).sum() == 1  # only the file's NULL (-999.25) is missing
    assert df["ZDEN"].isna().sum() == 1


def test_new_curves_appended_with_units_and_template_kept(las12, tmp_path):
    df = read_las(las12)
    df["PE_IMPUTED"] = [3.1, 3.2, np.nan, 3.4, 3.5]
    df["ANOMALY_SCORE"] = np.linspace(0, 1, 5)
    sub = df[["ILD", "PE_IMPUTED", "ANOMALY_SCORE"]]  # template curves DTC/ZDEN not in the frame
    out = tmp_path / "out.las"
    write_las(
        sub,
        out,
        template=las12,
        units={"PE_IMPUTED": "B/E", "ANOMALY_SCORE": ""},
        descriptions={"PE_IMPUTED": "PE imputed by geoae", "ANOMALY_SCORE": "reconstruction error"},
    )
    back = read_las(out)
    assert list(back.columns) == ["DTC", "ZDEN", "ILD", "PE_IMPUTED", "ANOMALY_SCORE"]
    _assert_same_data(df[["DTC", "ZDEN", "ILD", "PE_IMPUTED", "ANOMALY_SCORE"]], back)
    assert back.attrs["units"]["PE_IMPUTED"] == "B/E"
    assert back.attrs["descriptions"]["PE_IMPUTED"] == "PE imputed by geoae"
    assert back.attrs["descriptions"]["ANOMALY_SCORE"] == "reconstruction error"
    assert back.attrs["units"]["ZDEN"] == "G/C3"
    assert back.attrs["well"] == df.attrs["well"]
    assert back.attrs["las_header"]["Parameter"] == df.attrs["las_header"]["Parameter"]
    assert back.attrs["las_header"]["Other"].strip() == "Written by a geoae test."


def test_changed_depths_update_start_stop(las12, tmp_path):
    df = read_las(las12).iloc[1:4]
    out = tmp_path / "cut.las"
    write_las(df, out, template=las12)
    back = read_las(out)
    assert back.attrs["well"]["STRT"] == 1000.25 and back.attrs["well"]["STOP"] == 1000.75
    assert back.attrs["well"]["STEP"] == 0.25
    _assert_same_data(df, back)


def test_write_plain_frame_without_header(tmp_path):
    df = pd.DataFrame({"DEPTH": [10.0, 10.5, 11.0], "GR": [50.0, np.nan, 70.0], "WELL": ["A", "A", "A"]})
    out = tmp_path / "plain.las"
    write_las(df, out, units={"GR": "API"})
    back = read_las(out)
    assert back.index.name == "DEPTH"
    np.testing.assert_array_equal(back["GR"].to_numpy(), [50.0, np.nan, 70.0])
    assert back.attrs["well_name"] == "A"
    assert back.attrs["units"]["GR"] == "API"


def test_text_curves_round_trip_with_empty_values_and_commas(tmp_path):
    """An empty text value was written as nothing (the row lost a column: lasio could not read
    the file), a text holding a comma in the first row made the reader take the file for
    comma-delimited, and a text curve's nulls were read back as the text '-999.25'."""
    df = pd.DataFrame({"DEPTH": [1.0, 2.0, 2.0, 3.0], "FLAG": [True, False, True, False],
                       "INVALID": ["RT,ILD", "RT", "", None], "ZONE": ["Sand, shaly", "a b", "c", ""]})
    write_las(df, tmp_path / "text.las")
    back = read_las(tmp_path / "text.las")
    np.testing.assert_array_equal(back.index, [1.0, 2.0, 2.0, 3.0])
    np.testing.assert_array_equal(back["FLAG"], [1.0, 0.0, 1.0, 0.0])
    assert back["INVALID"].tolist()[:2] == ["RT,ILD", "RT"] and back["INVALID"].iloc[2:].isna().all()
    assert back["ZONE"].tolist()[:3] == ["Sand, shaly", "a b", "c"] and pd.isna(back["ZONE"].iloc[3])


def test_refuse_to_overwrite_template(las12):
    before = las12.read_bytes()
    with pytest.raises(DataError, match="refusing to overwrite") as err:
        write_las(read_las(las12), las12, template=las12)
    assert "test.las" in str(err.value)
    assert las12.read_bytes() == before


def test_write_into_missing_folder_is_data_error(las12, tmp_path):
    with pytest.raises(DataError, match="nope"):
        write_las(read_las(las12), tmp_path / "nope" / "out.las")


def test_several_wells_refused(tmp_path):
    df = pd.DataFrame({"DEPTH": [1.0, 2.0], "GR": [1.0, 2.0], "WELL": ["A", "B"]})
    with pytest.raises(DataError, match="2 wells"):
        write_las(df, tmp_path / "x.las")


# ------------------------------------------------------------------ errors


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="missing.las: file not found"):
        read_las(tmp_path / "missing.las")


def test_not_a_las_file(shared_data):
    with pytest.raises(DataError, match=r"not_a_las_file\.las: not a LAS file"):
        read_las(shared_data / "las-samples/quirky/not_a_las_file.las")


def test_binary_garbage(tmp_path):
    p = tmp_path / "garbage.las"
    p.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataError, match="garbage.las"):
        read_las(p)


def test_truncated_in_data(las12, tmp_path):
    text = LAS12[: LAS12.index("102.0") + 3]  # cut in the middle of a data line
    p = tmp_path / "truncated.las"
    p.write_text(text)
    with pytest.raises(DataError, match="truncated.las.*truncated"):
        read_las(p)


def test_truncated_in_header(tmp_path):
    p = tmp_path / "cut_header.las"
    p.write_text(LAS12[: LAS12.index("~CURVE")])
    with pytest.raises(DataError, match="cut_header.las: LAS file has no data section"):
        read_las(p)


def test_no_curves(tmp_path):
    text = LAS12.replace(LAS12[LAS12.index("~CURVE") : LAS12.index("~PARAMETER")], "~CURVE INFORMATION\n")
    p = tmp_path / "nocurves.las"
    p.write_text(text[: text.index("~A")] + "~A\n")
    with pytest.raises(DataError, match="nocurves.las"):
        read_las(p)


def test_only_depth_curve(shared_data):
    with pytest.raises(DataError, match="missing_a_section.las: LAS file has only the index curve"):
        read_las(shared_data / "las-samples/quirky/missing_a_section.las")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="not a regular file"):
        read_las(tmp_path)


def test_no_lasio_messages_printed(las12, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_las(las12)
    assert capsys.readouterr().err == ""


TEXT_TOKENS = """~Version Information
 VERS.   2.0 : CWLS LOG ASCII STANDARD - VERSION 2.0
 WRAP.   NO  : ONE LINE PER DEPTH STEP
~Well Information
 STRT .M  1000.0 : START DEPTH
 STOP .M  1002.0 : STOP DEPTH
 STEP .M  0.5 : STEP
 NULL .    -999.25 : NULL VALUE
 WELL .    TXT 1 : WELL
~Curve Information
 DEPT .M : DEPTH
 GR   .GAPI : GAMMA
 RHOB .G/CC : DENSITY
 ZONE .     : ZONE NAME
~ASCII
1000.0 50.1 2.45 A
1000.5 -999.25 2.46 A
1001.0 N/A -999.25 B
1001.5 53.0 2.50 B
1002.0 -999.25 2.51 B
"""


def test_a_text_token_in_a_numeric_curve_keeps_its_nulls(tmp_path):
    """One 'N/A' in GR used to turn off the null handling of the whole curve (-999.25 stayed a
    reading); now the token is read as missing, with a warning, and the nulls as NaN. A text
    curve (ZONE) stays text."""
    p = tmp_path / "tokens.las"
    p.write_text(TEXT_TOKENS)
    with pytest.warns(UserWarning, match="'GR' has 1 non-numeric value.*'N/A'"):
        df = read_las(p)
    np.testing.assert_array_equal(df["GR"].to_numpy(), [50.1, np.nan, np.nan, 53.0, np.nan])
    np.testing.assert_array_equal(df["RHOB"].to_numpy(), [2.45, 2.46, np.nan, 2.50, 2.51])
    assert list(df["ZONE"]) == ["A", "A", "B", "B", "B"]
    # a text curve mostly null with a few names stays text (the nulls are not numbers to count)
    mostly_null = TEXT_TOKENS.replace(" A\n", " -999.25\n").replace("1002.0 -999.25 2.51 B",
                                                                      "1002.0 -999.25 2.51 SAND")
    (tmp_path / "lith.las").write_text(mostly_null)
    with pytest.warns(UserWarning):
        lith = read_las(tmp_path / "lith.las")["ZONE"]
    assert lith.iloc[-1] == "SAND" and lith.iloc[2] == "B"


def test_comma_delimited_empty_fields_are_missing_and_decimal_commas_refused(tmp_path):
    """'1000.5,,2.46' used to shift 2.46 into GR and the next depth into RHOB, silently."""
    head = TEXT_TOKENS[: TEXT_TOKENS.index(" ZONE")] + "~ASCII\n"
    p = tmp_path / "empty.las"
    p.write_text(head + "1000.0,50.1,2.45\n1000.5,,2.46\n1001.0,,2.47\n1001.5,53.0,\n")
    df = read_las(p)
    assert df.index.tolist() == [1000.0, 1000.5, 1001.0, 1001.5]
    np.testing.assert_array_equal(df["GR"], [50.1, np.nan, np.nan, 53.0])
    np.testing.assert_array_equal(df["RHOB"], [2.45, 2.46, 2.47, np.nan])
    q = tmp_path / "trailing.las"  # a delimiter at the end of every line is not a column
    q.write_text(head + "1000.0,50.1,2.45,\n1000.5,51.0,2.46,\n")
    assert read_las(q)["RHOB"].tolist() == [2.45, 2.46]
    quoted = TEXT_TOKENS.replace("1000.0 50.1 2.45 A", '1000.0,50.1,2.45,"Sand, very shaly"')
    quoted = quoted.replace("1000.5 -999.25 2.46 A", "1000.5,-999.25,2.46,Shale")
    quoted = quoted[: quoted.index("1001.0 N/A")]
    (tmp_path / "quoted.las").write_text(quoted)  # a quoted text value holding a comma and a space
    assert read_las(tmp_path / "quoted.las")["ZONE"].tolist() == ["Sand, very shaly", "Shale"]
    d = tmp_path / "decimal.las"
    d.write_text(head + "1000,0 50,1 2,45\n1000,5 51,0 2,46\n")
    with pytest.raises(DataError, match=r"decimal\.las: data line \d+ mixes commas and spaces"):
        read_las(d)


def test_write_las_column_names_with_las_delimiters(tmp_path):
    """'.' ends a LAS mnemonic and ':' starts its description: a table column 'GR.1' (pandas'
    name for a second GR) came back as a duplicate GR ('GR:1', 'GR:2') and 'RHOB:2' as RHOB.
    Such columns are written as 'GR_1' and 'RHOB_2', with a warning naming them."""
    df = pd.DataFrame({"GR": [1.0, 2.0], "GR.1": [3.0, 4.0], "RHOB:2": [2.0, 2.1]},
                      index=pd.Index([100.0, 100.5], name="DEPT"))
    with pytest.warns(UserWarning, match=r"'GR\.1': 'GR_1', 'RHOB:2': 'RHOB_2'"):
        write_las(df, tmp_path / "x.las", units={"GR.1": "gAPI"})
    back = read_las(tmp_path / "x.las")
    assert back.columns.tolist() == ["GR", "GR_1", "RHOB_2"]
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert back.attrs["units"].get("GR_1") == "gAPI"
    clash = df.assign(GR_1=[5.0, 6.0])
    with pytest.raises(DataError, match=r"column 'GR\.1' cannot be a LAS mnemonic.*'GR_1' is taken"):
        write_las(clash[["GR", "GR_1", "GR.1"]], tmp_path / "y.las")
    assert not (tmp_path / "y.las").exists()


def test_a_float32_column_is_written_in_its_own_shortest_form(tmp_path):
    """A network's float32 output is written as 0.1, not as its float64 expansion
    0.10000000149011612; float64 columns keep their shortest exact form."""


    df = pd.DataFrame({"DEPT": [100.0, 100.5, 101.0],
                       "GR_RECON": np.array([0.1, 1 / 3, np.nan], dtype=np.float32),
                       "GR": [0.1, 1 / 3, 2.345]}).set_index("DEPT")
    out = write_las(df, tmp_path / "w.las")
    data = out.read_text().split("~A")[1].splitlines()[1:]
    assert data[0].split() == ["100.0", "0.1", "0.1"]
    assert data[1].split() == ["100.5", "0.33333334", "0.3333333333333333"]
    assert data[2].split()[1] == "-999.25"
    back = read_las(out)
    np.testing.assert_array_equal(back["GR_RECON"].to_numpy(np.float32)[:2], df["GR_RECON"][:2])
    np.testing.assert_array_equal(back["GR"], df["GR"])


_LEADING_ZEROS_LAS = """~VERSION INFORMATION
 VERS.                 2.0 :   CWLS LOG ASCII STANDARD -VERSION 2.0
 WRAP.                  NO :   ONE LINE PER DEPTH STEP
~WELL INFORMATION
 STRT.M          100.0000 : START DEPTH
 STOP.M          101.0000 : STOP DEPTH
 STEP.M            0.5000 : STEP
 NULL.           -999.25  : NULL VALUE
 WELL.       TEST-1       : WELL
 LIC .       007          : LICENCE NUMBER
 x_loc.M     560160.5     : X LOCATION
~PARAMETER INFORMATION
 X   .       0560160      : a parameter
 BHT .DEGC   85.5         : BOTTOM HOLE TEMPERATURE
~CURVE INFORMATION
 DEPT.M                   : DEPTH
 gr  .GAPI                : GAMMA RAY
~A
100.0 50.0
100.5 60.0
101.0 70.0
"""


def test_header_values_with_leading_zeros_and_mnemonic_case_survive_a_round_trip(tmp_path):
    """lasio reads ``LIC . 007`` as the number 7 and upper-cases ``x_loc``; a file geoae writes
    from it keeps ``007``, ``0560160`` and ``x_loc`` as the source had them, while numbers stay
    numbers and curve names are still read upper-case."""
    src = tmp_path / "w.las"
    src.write_text(_LEADING_ZEROS_LAS)
    df = read_las(src)
    well = {it["key"]: it for it in df.attrs["las_header"]["Well"]}
    assert well["LIC"]["value"] == "007" and well["X_LOC"]["mnemonic"] == "x_loc"
    assert well["STRT"]["value"] == 100.0 and well["X_LOC"]["value"] == 560160.5
    params = {it["key"]: it["value"] for it in df.attrs["las_header"]["Parameter"]}
    assert params == {"X": "0560160", "BHT": 85.5}
    df["GR_RECON"] = df["GR"] + 1
    out = write_las(df[["GR_RECON"]], tmp_path / "out.las", template=src)
    lines = [ln.split() for ln in out.read_text().splitlines()]
    assert ["LIC", ".", "007", ":", "LICENCE", "NUMBER"] in lines
    assert ["X", ".", "0560160", ":", "a", "parameter"] in lines
    assert any(ln[:1] == ["x_loc"] for ln in lines) and any(ln[:1] == ["gr"] for ln in lines)
    back = read_las(out)
    assert back.columns.tolist() == ["GR", "GR_RECON"]
    assert {it["key"]: it["value"] for it in back.attrs["las_header"]["Well"]}["LIC"] == "007"


def test_an_underscore_unit_is_no_unit(tmp_path):
    """FORCE 2020 wells write '_' where a curve has no unit: it is no unit, not the unit '_'."""
    text = _LEADING_ZEROS_LAS.replace(" gr  .GAPI", " gr  ._")
    src = tmp_path / "u.las"
    src.write_text(text)
    df = read_las(src)
    assert df.attrs["units"] == {"GR": ""} and df.attrs["index_unit"] == "M"
