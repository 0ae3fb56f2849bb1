"""Tables (CSV/Parquet), the alias table and the multi-well reader."""

from __future__ import annotations

import builtins
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoae.errors import DataError
from geoae.io import canonical_name, iter_table, read_table, read_wells, write_las
from geoae.io.aliases import (
    RESISTIVITY_LIKE,
    is_resistivity,
    merge_aliases,
    non_curve_kind,
    normalise_unit,
)
from geoae.io.units import convert_units
from geoae.io.wells import UnitConflictWarning, UnitConversionWarning

# ------------------------------------------------------------------ aliases


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("DTC", "DT"),
        ("AC", "DT"),
        ("dt", "DT"),
        ("DTSM", "DTS"),
        ("PEF", "PE"),
        ("ILD", "RT"),
        ("RDEP", "RT"),
        ("LLD", "RT"),
        ("RT", "RT"),
        ("DEN", "RHOB"),
        ("ZDEN", "RHOB"),
        ("NEU", "NPHI"),
        ("TNPH", "NPHI"),
        ("NPHI_LIM", "NPHI"),  # limestone-matrix neutron (e.g. the P-135 well's only one)
        ("NPHI_SAN", "NPHI_SAN"),  # another matrix: not taken for NPHI
        ("CAL", "CALI"),
        ("GRC", "GR"),
        ("SP", "SP"),
        ("SFLU:2", "RS"),
        ("FOO", "FOO"),
    ],
)
def test_canonical_name(raw, canonical):
    assert canonical_name(raw) == canonical


def test_user_aliases_override_defaults():
    assert canonical_name("XRES", {"RT": ["XRES", "ILD"]}) == "RT"
    assert canonical_name("RDEP", {"RT": ["XRES", "ILD"]}) == "RDEP"  # list replaced
    assert canonical_name("AC", {"AC": "ACOUSTIC"}) == "ACOUSTIC"
    assert canonical_name("DTC", {"AC": "ACOUSTIC"}) == "DT"
    assert merge_aliases({"GR": "GR"})["GR"][0] == "GR"


def test_resistivity_set():
    assert {"RT", "RMED", "RS", "RXO"} == set(RESISTIVITY_LIKE)
    assert is_resistivity("ILD") and is_resistivity("RMED") and is_resistivity("MSFL")
    assert not is_resistivity("GR") and not is_resistivity("DRHO")


def test_normalise_unit():
    assert normalise_unit("gAPI") == normalise_unit("GAPI") == normalise_unit("api") == "API"
    assert normalise_unit("g/cc") == normalise_unit("G/C3") == "G/CM3"


@pytest.mark.parametrize("unit", ["OHM/M", "OHMM", "ohmm", "OHM.M", "ohm.m", "OHM-M", "OHM_M",
                                  "OHMS/M", "ohm*m", "Ohm m", "ohm.meter", "Ohm-metre", "OHM",
                                  "OHMS", "Ω·m", "Ωm", "\u2126.m", "Ω⋅m"])
def test_normalise_unit_ohm_metre_spellings(unit):
    """Every spelling of the ohm-metre found in LAS files is one unit (OHM/M was left as is)."""
    assert normalise_unit(unit) == "OHM.M"


@pytest.mark.parametrize("unit", ["MMHO/M", "mmhos/m", "mS/m", "MHO/M", "S/M", "KOHM.M", "OHM/FT",
                                  "US/M", "NS/M"])
def test_normalise_unit_conductivities_are_not_ohm_metre(unit):
    assert normalise_unit(unit) != "OHM.M"


@pytest.mark.parametrize("kind,names", [
    ("position", ["X_LOC", "y_loc", "Z_LOC", "X", "Y", "Easting", "NORTHING (m)", "Latitude",
                  "Longitude", "UTM_X", "UTMY", "Surface X", "SURFACE_EASTING"]),
    ("depth", ["DEPTH_MD", "MD", "TVD", "TVDSS", "tvd_ss", "TVDRKB", "Depth (m)", "DEPT", "TWT"]),
    ("label", ["FORCE_2020_LITHOFACIES_LITHOLOGY", "FORCE_2020_LITHOFACIES_CONFIDENCE", "Facies",
               "Lithology", "label", "Zone", "Formation", "LITH_CODE", "GROUP", "FM",
               "LITHOFACIES", "FACIES_PRED", "FORMATION_TOP"]),
    # drilling and logging parameters (the FORCE 2020 wells hold BS, ROP, ROPA and MUDWEIGHT)
    ("drilling", ["BS", "BIT_SIZE", "ROP", "ROPA", "ROP_AVG", "MUDWEIGHT", "Mud Weight", "WOB",
                  "RPM", "TORQUE", "SPP", "HKLD", "ECD", "RMUD", "MTEM", "TENS", "Tension",
                  "LSPD", "ETIM"]),
    (None, ["GR", "RHOB", "NPHI", "DT", "DTS", "PE", "RT", "RDEP", "RMED", "RS", "RXO", "CALI",
            "SP", "DRHO", "SGR", "DCAL", "ILD_log10", "DeltaPHI", "PHIND", "VSH", "XRD", "ZDEN",
            "DEN", "RMIC", "MSFL", "TEMP", "SPBR", "TNPH", "THOR", "RHOZ", "HCAL",
            "DTCO", "PEFZ", "BVW", "SW", "PHIE",
            # measurements whose names hold a label or depth word (found by a review: they were
            # dropped from the default curves), and old E-log / impedance mnemonics
            "FLUSHED_ZONE_RES", "TRANSITION_ZONE_RES", "FORMATION_PRESSURE", "FORMATION_FACTOR",
            "RES_MD", "ILD_MD", "GR_MD", "RHOB_MD", "FM_PRESS", "LAT", "LONG", "LON", "Z"]),
])
def test_non_curve_kind(kind, names):
    """Positions, depth-like columns and interpretations are told from measured curves by name
    (the FORCE 2020 wells hold X_LOC, Y_LOC, Z_LOC, DEPTH_MD and two label columns)."""
    assert {n: non_curve_kind(n) for n in names} == dict.fromkeys(names, kind)


# ------------------------------------------------------------------ tables


def test_read_csv_with_well_column(tmp_path):
    p = tmp_path / "logs.csv"
    p.write_text("well_name;depth;GR;RHOB\nA;100;50.5;2.3\nA;100.5;60;2.4\nB;10;70;2.5\n")
    df = read_table(p, well_column="WELL_NAME")  # delimiter sniffed, well column case-insensitive
    assert list(df.columns) == ["WELL", "depth", "GR", "RHOB"]
    assert df["GR"].tolist() == [50.5, 60.0, 70.0]
    assert df.attrs["source"] == str(p)


def test_read_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "logs.parquet"
    pd.DataFrame({"W": ["a", "b"], "GR": [1.0, 2.0]}).to_parquet(p)
    df = read_table(p, well_column="W")
    assert df["WELL"].tolist() == ["a", "b"]


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    p = tmp_path / "logs.parquet"
    p.write_bytes(b"PAR1")
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("no pyarrow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(DataError, match=r"logs\.parquet: reading Parquet needs pyarrow"):
        read_table(p)


def test_table_errors(tmp_path):
    with pytest.raises(DataError, match=r"absent\.csv: file not found"):
        read_table(tmp_path / "absent.csv")
    p = tmp_path / "words.csv"
    p.write_text("name,zone\na,b\nc,d\n")
    with pytest.raises(DataError, match=r"words\.csv: the table has no numeric column"):
        read_table(p)
    q = tmp_path / "nums.csv"
    q.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match=r"nums\.csv: well column 'WELL' not found"):
        read_table(q, well_column="WELL")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read the table"):
        read_table(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv"):
        read_table(empty)


def test_latin1_csv(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("zone,GR\nK\xf8ge,1.5\n".encode("latin-1"))
    assert read_table(p)["GR"].tolist() == [1.5]


# ------------------------------------------------------------------ read_wells


def _write_well(path: Path, well: str, depth, curves: dict[str, tuple[str, list[float]]],
                depth_unit: str = "") -> None:
    df = pd.DataFrame({k: v for k, (_, v) in curves.items()}, index=pd.Index(depth, name="DEPT"))
    df.attrs["well_name"] = well
    df.attrs["index_unit"] = depth_unit
    write_las(df, path, units={k: u for k, (u, _) in curves.items()})


def test_read_wells_harmonises_and_cleans(tmp_path):
    _write_well(
        tmp_path / "a.las",
        "WELL A",
        [100.0, 100.5, 101.0],
        {"DTC": ("us/ft", [90.0, 91.0, 92.0]), "ILD": ("ohmm", [1.0, 2.0, 3.0]), "PEF": ("b/e", [3, 3, 3])},
    )
    # non-monotonic with a duplicate depth, and two resistivities mapping to RT
    _write_well(
        tmp_path / "b.las",
        "WELL B",
        [10.0, 9.5, 10.0, 11.0],
        {
            "AC": ("us/ft", [80.0, 81.0, 82.0, 83.0]),
            "RT90": ("ohmm", [5.0, 6.0, 7.0, 8.0]),
            "RDEP": ("ohmm", [1.0, 1.0, 1.0, 1.0]),
        },
    )
    pd.DataFrame({"WELL": ["C", "C"], "MD": [5.0, 6.0], "GR": [40.0, 50.0], "DEN": [2.3, 2.4]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    messages = [str(w.message) for w in caught]
    assert any("b.las" in m and "'RDEP' and 'RT90' both map to 'RT'" in m for m in messages), messages
    assert any("b.las" in m and "sorted by depth" in m for m in messages), messages
    assert any("b.las" in m and "1 duplicate depth(s) dropped" in m for m in messages), messages
    assert list(df.columns[:2]) == ["WELL", "DEPTH"]
    assert {"GR", "RHOB", "DT", "PE", "RT", "RT90"} <= set(df.columns)
    b = df[df.WELL == "WELL B"]
    assert b["DEPTH"].tolist() == [9.5, 10.0, 11.0]
    assert b["DT"].tolist() == [81.0, 80.0, 83.0]  # first row of depth 10 kept
    assert b["RT"].tolist() == [1.0, 1.0, 1.0] and b["RT90"].tolist() == [6.0, 5.0, 8.0]
    a = df[df.WELL == "WELL A"]
    assert a["RT"].tolist() == [1.0, 2.0, 3.0] and a["RHOB"].isna().all()
    c = df[df.WELL == "C"]
    assert c["RHOB"].tolist() == [2.3, 2.4] and c["DEPTH"].tolist() == [5.0, 6.0]
    assert df.attrs["units"]["DT"] == "us/ft" and df.attrs["units"]["RT"] == "ohmm"
    assert df.attrs["sources"]["WELL B"].endswith("b.las")
    assert df.attrs["renamed"]["WELL A"] == {"DTC": "DT", "ILD": "RT", "PEF": "PE"}
    # keep_rows: every row of each file in its order, aliases harmonised the same way
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = read_wells(tmp_path, keep_rows=True)
    assert not any("sorted" in str(w.message) or "dropped" in str(w.message) for w in caught)
    b = kept[kept.WELL == "WELL B"]
    assert b["DEPTH"].tolist() == [10.0, 9.5, 10.0, 11.0] and b["DT"].tolist() == [80.0, 81.0, 82.0, 83.0]
    assert list(kept.columns) == list(df.columns)


def test_read_wells_table_with_a_spaced_well_column_and_text_columns(tmp_path):
    """The Kansas export's 'Well Name' column was not recognised: 10 wells became one, sorted by
    depth across wells, and 73 % of the rows were dropped as duplicate depths; its text column
    Formation became an all-NaN curve."""
    pd.DataFrame({"Facies": [1, 2, 3, 1, 2], "Formation": ["A1 SH", "A1 SH", "A1 LM", "B", "B"],
                  "Well Name": ["W1", "W1", "W1", "W2", "W2"],
                  "Depth": [100.0, 100.5, 101.0, 100.0, 100.5],
                  "GR": [50.0, 60.0, "N/A", 70.0, 80.0]}).to_csv(tmp_path / "k.csv", index=False)
    df = read_wells(tmp_path / "k.csv")
    assert df.groupby("WELL").size().to_dict() == {"W1": 3, "W2": 2}
    assert df["FORMATION"].tolist() == ["A1 SH", "A1 SH", "A1 LM", "B", "B"]  # text kept
    np.testing.assert_array_equal(df["GR"], [50.0, 60.0, np.nan, 70.0, 80.0])


def test_read_wells_user_aliases(tmp_path):
    _write_well(tmp_path / "a.las", "A", [1.0, 2.0], {"XRES": ("ohmm", [1.0, 2.0])})
    df = read_wells([tmp_path / "a.las"], aliases={"XRES": "RT"})
    assert "RT" in df.columns and "XRES" not in df.columns


def test_read_wells_errors(tmp_path):
    with pytest.raises(DataError, match="no .las, .csv or .parquet file"):
        read_wells(tmp_path)
    (tmp_path / "x.csv").write_text("WELL,GR\nA,1\n")
    with pytest.warns(UserWarning, match=r"x\.csv: skipped"), \
            pytest.raises(DataError, match=r"no readable well in this folder.*x\.csv: no depth column"):
        read_wells(tmp_path)
    with pytest.raises(DataError, match=r"x\.csv: no depth column"):  # a file named: an error
        read_wells([tmp_path / "x.csv"])
    with pytest.raises(DataError, match=r"gone\.las: file not found"):
        read_wells([tmp_path / "gone.las"])


NOTES = "Notes about these wells\nLogged in 1985 by ACME, reprocessed 2003.\nRHOB bad below 1004 m.\n"


def test_a_stray_file_in_a_well_folder_is_skipped_with_one_warning(tmp_path):
    """A notes.txt beside the LAS files was read as a table and aborted the whole read (no depth
    column). A file that is neither LAS nor a well table is skipped now, with one warning that
    names it; the wells read are exactly those read without it."""
    _write_well(tmp_path / "a.las", "A", [100.0, 100.5], {"GR": ("gAPI", [50.0, 60.0])})
    pd.DataFrame({"WELL": ["C", "C"], "MD": [5.0, 6.0], "GR": [40.0, 45.0]}).to_csv(
        tmp_path / "c.csv", index=False)
    expected = read_wells([tmp_path / "a.las", tmp_path / "c.csv"])
    (tmp_path / "notes.txt").write_text(NOTES)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "tops.csv").write_text("WELL,FORMATION,TOP\nA,Draupne,100.2\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 3, messages
    for name in ("notes.txt", "empty.txt", "tops.csv"):
        assert sum(name in m and "skipped" in m for m in messages) == 1, (name, messages)
    assert any("tops.csv" in m and "no depth column" in m for m in messages)
    pd.testing.assert_frame_equal(df, expected)
    assert set(df.attrs["sources"].values()) == {str(tmp_path / "a.las"), str(tmp_path / "c.csv")}
    # a file named explicitly is still an error
    with pytest.raises(DataError, match=r"notes\.txt: no depth column"):
        read_wells([tmp_path / "a.las", tmp_path / "notes.txt"])


def test_a_well_table_that_cannot_be_read_in_a_folder_is_still_an_error(tmp_path):
    """Only notes (.txt that is no table) and tables without anything depth-like are skipped:
    a well CSV with a malformed line, or whose depth column is spelled "Depth (m)", stops the
    read naming it (a review found both dropped with a warning, and train went on without them)."""
    _write_well(tmp_path / "a.las", "A", [100.0, 100.5], {"GR": ("gAPI", [50.0, 60.0])})
    (tmp_path / "b.csv").write_text("WELL,DEPTH,GR,RHOB\nB,1,2,3\nB,2,3,4,5,6\n")
    with pytest.raises(DataError, match=r"b\.csv"):
        read_wells(tmp_path)
    (tmp_path / "b.csv").unlink()
    (tmp_path / "c.csv").write_text("WELL,Depth (m),GR\nC,1,2\nC,2,3\n")
    with pytest.raises(DataError, match=r"c\.csv: no depth column.*rename the depth column"):
        read_wells(tmp_path)


def test_a_broken_las_file_in_a_folder_is_still_an_error(tmp_path):
    """Skipping stray files must never drop a well: a LAS file that cannot be read (whatever its
    extension) stops the read, naming it."""
    _write_well(tmp_path / "a.las", "A", [100.0, 100.5], {"GR": ("gAPI", [50.0, 60.0])})
    (tmp_path / "notes.txt").write_text(NOTES)
    text = (tmp_path / "a.las").read_text()
    broken = text[: len(text) // 2].replace("~A", "~X")  # cut short, no data section
    (tmp_path / "b.las").write_text(broken)
    with pytest.raises(DataError, match=r"b\.las"):
        read_wells(tmp_path)
    (tmp_path / "b.las").rename(tmp_path / "b.txt")
    with pytest.raises(DataError, match=r"b\.txt"):  # LAS content in a .txt is LAS
        read_wells(tmp_path)
    (tmp_path / "b.txt").unlink()
    (tmp_path / "a.las").unlink()
    with pytest.warns(UserWarning, match=r"notes\.txt: skipped"), \
            pytest.raises(DataError, match=r"no readable well in this folder \(skipped notes\.txt"):
        read_wells(tmp_path)


def test_read_wells_force2020(shared_data):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        df = read_wells(shared_data / "force2020-wells")
    assert df["WELL"].nunique() == 5
    assert {"GR", "RHOB", "NPHI", "DT", "PE", "RT", "RMED", "RS", "CALI", "SP"} <= set(df.columns)
    assert "DTC" not in df.columns and "PEF" not in df.columns and "RDEP" not in df.columns
    assert df[df.WELL == "31/6-8"]["PE"].isna().all()  # no PEF curve in that well
    assert df.attrs["units"]["RHOB"] == "g/cm3"
    for _, part in df.groupby("WELL"):
        assert np.all(np.diff(part["DEPTH"].to_numpy()) > 0)
    assert not (df.drop(columns="WELL").to_numpy() == -999.25).any()


def test_read_wells_welly_units_and_duplicates(shared_data):
    files = [
        shared_data / "welly-las-wells" / "F03-02.las",
        shared_data / "force2020-wells" / "32_2-1.las",
        shared_data / "welly-las-wells" / "24034.LAS",
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(files, convert_units=False)
    messages = " | ".join(str(w.message) for w in caught)
    assert "F03-02.las" in messages and "sorted by depth" in messages
    assert "'ILD' and 'LLD' both map to 'RT'" in messages
    assert df.attrs["unit_conflicts"]["NPHI"] == {"F/3-2": "LPU", "32/2-1": "m3/m3"}
    assert "NPHI: ['LPU', 'm3/m3']" in messages
    assert "depth units differ between wells" in messages  # ROSSOW is in feet
    assert "GR" not in df.attrs["unit_conflicts"]  # GAPI vs gAPI is the same unit
    assert set(df["WELL"]) == {"F/3-2", "32/2-1", "ROSSOW"}
    assert df.attrs["unit_conversions"] == {} and df.attrs["depth_unit"] == ""

    # by default: the NPHI of 32/2-1 (m3/m3) in the first well's LPU, ROSSOW's depths in metres
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        conv = read_wells(files)
    messages = [str(w.message) for w in caught if issubclass(w.category, UnitConversionWarning)]
    assert len(messages) == 1 and "units differ" not in " | ".join(str(w.message) for w in caught)
    assert "NPHI m3/m3 -> LPU (well 32/2-1)" in messages[0]
    assert "DEPTH F -> M (well ROSSOW)" in messages[0]
    assert conv.attrs["unit_conversions"] == {"32/2-1": {"NPHI": ("m3/m3", "LPU")},
                                              "ROSSOW": {"DEPTH": ("F", "M")}}
    assert conv.attrs["unit_conflicts"] == {} and conv.attrs["depth_unit"] == "M"
    assert conv.attrs["units"]["NPHI"] == "LPU"
    assert conv.attrs["well_units"]["32/2-1"]["NPHI"] == "m3/m3"  # the file's own, as read
    for well, factor in (("32/2-1", 100.0), ("F/3-2", 1.0)):
        np.testing.assert_allclose(conv.loc[conv.WELL == well, "NPHI"].to_numpy(),
                                   df.loc[df.WELL == well, "NPHI"].to_numpy() * factor,
                                   rtol=1e-14)
    np.testing.assert_allclose(conv.loc[conv.WELL == "ROSSOW", "DEPTH"].to_numpy(),
                               df.loc[df.WELL == "ROSSOW", "DEPTH"].to_numpy() * 0.3048, rtol=1e-14)
    same = df.columns.drop(["NPHI", "DEPTH"])
    pd.testing.assert_frame_equal(conv[same], df[same])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_iter_table_chunks_add_up_to_read_table(tmp_path, suffix):
    from geoae.io import iter_table

    df = pd.DataFrame({"well": np.repeat(["A", "B"], 50), "DEPTH": np.arange(100.0),
                       "GR": np.linspace(0, 150, 100)})
    path = tmp_path / f"t{suffix}"
    df.to_parquet(path, row_group_size=30) if suffix == ".parquet" else df.to_csv(path, index=False)
    chunks = list(iter_table(path, chunk_rows=40, well_column="well"))
    assert [len(c) for c in chunks] == [40, 40, 20] if suffix == ".csv" else sum(map(len, chunks)) == 100
    assert max(len(c) for c in chunks) <= 40
    assert [c.attrs["first_row"] for c in chunks] == list(np.cumsum([0] + [len(c) for c in chunks[:-1]]))
    whole = read_table(path, well_column="well")
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_index_type=False)
    with pytest.raises(DataError, match="chunk_rows"):
        next(iter_table(path, chunk_rows=0))


def test_parquet_metadata_is_checked_before_reading(tmp_path, monkeypatch):
    """A Parquet footer declaring more than the machine can hold is refused before any data is
    decoded (the guard against metadata bombs), as is one declaring too many columns."""
    from geoae.io import iter_table, tables

    path = tmp_path / "big.parquet"
    rng = np.random.default_rng(0)
    pd.DataFrame({"GR": rng.random(10_000), "RHOB": rng.random(10_000)}).to_parquet(path)
    monkeypatch.setattr(tables, "_memory_bytes", lambda: 2 * 50_000)  # "machine" of 100 kB
    with pytest.raises(DataError, match=r"big\.parquet: the Parquet file declares row groups"):
        read_table(path)
    with pytest.raises(DataError, match="row groups"):
        next(iter_table(path))
    monkeypatch.undo()
    monkeypatch.setattr(tables, "MAX_COLUMNS", 1)
    with pytest.raises(DataError, match="declares 2 columns"):
        read_table(path)


def test_iter_table_reads_latin1_like_read_table(tmp_path):
    from geoae.io import iter_table

    path = tmp_path / "latin.csv"
    path.write_bytes("WELL,DEPTH,GR\nSéville,1.0,50\nSéville,2.0,60\n".encode("latin-1"))
    whole = read_table(path)
    chunks = pd.concat(list(iter_table(path, chunk_rows=1)))
    pd.testing.assert_frame_equal(chunks, whole, check_index_type=False)
    assert chunks["WELL"].iloc[0] == "Séville"


def test_sniff_tells_each_format_by_content_not_by_extension(tmp_path):
    import segyio

    from geoae.io import sniff

    las = tmp_path / "well.dat"
    las.write_text("# a comment\n\n~Version\nVERS. 2.0 :\n")
    table = tmp_path / "table.las"  # a misleading extension: the content decides
    table.write_text("DEPTH,GR\n1,2\n")
    parquet = tmp_path / "t.bin"
    pd.DataFrame({"a": [1.0]}).to_parquet(parquet)
    segy = tmp_path / "s.txt"
    segyio.tools.from_array2D(str(segy), np.zeros((3, 10), np.float32), dt=2000)
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\x00\x01" * 100)
    assert [sniff(p) for p in (las, table, parquet, segy, tmp_path)] == [
        "las", "csv", "parquet", "segy", "folder"]
    with pytest.raises(DataError, match="blob.csv: binary file that is neither SEG-Y nor Parquet"):
        sniff(binary)
    with pytest.raises(DataError, match="missing.las: no such file or folder"):
        sniff(tmp_path / "missing.las")
    # text named as SEG-Y is not taken for a table (train said "no numeric column"; an audit)
    fake = tmp_path / "notsegy.sgy"
    fake.write_text("hello,world\n1,2\n")
    with pytest.raises(DataError, match="notsegy.sgy: not a SEG-Y file"):
        sniff(fake)
    # every format the SEG-Y reader supports, either byte order (a little-endian format-6 file
    # was taken for a CSV), and a LAS file behind a UTF-8 byte-order mark
    from geoae.io import read_segy
    from geoae.io.segy import SAMPLE_FORMATS

    raw = bytearray(segy.read_bytes())
    for fmt in SAMPLE_FORMATS:
        for order in ("big", "little"):
            raw[3224:3226] = fmt.to_bytes(2, order)
            other = tmp_path / f"f{fmt}{order}.bin"
            other.write_bytes(bytes(raw))
            assert sniff(other) == "segy", (fmt, order)
    bom = tmp_path / "bom.las"
    bom.write_bytes(b"\xef\xbb\xbf" + las.read_bytes())
    assert sniff(bom) == "las"
    assert read_segy(segy).traces.shape == (3, 10)


def test_numbers_read_back_exactly_from_csv_and_las(tmp_path):
    """17-digit numbers written with repr (pandas' to_csv, write_las) must read back as the
    same floats: pandas 3.0's default C parser misread 17 % of such values by one unit in the
    last place (seen on a GPU test machine), which changed "unchanged" present values."""
    from geoae.io import read_las
    from geoae.io.tables import iter_table

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(30, 10, size=(2000, 3)), columns=["GR", "RHOB", "NPHI"])
    df.insert(0, "DEPTH", 1000 + 0.5 * np.arange(len(df)))
    df.to_csv(tmp_path / "t.csv", index=False)
    back = read_table(tmp_path / "t.csv")
    np.testing.assert_array_equal(back[["GR", "RHOB", "NPHI"]].to_numpy(), df[["GR", "RHOB", "NPHI"]])
    chunks = pd.concat(iter_table(tmp_path / "t.csv", chunk_rows=700))
    np.testing.assert_array_equal(chunks[["GR", "RHOB", "NPHI"]].to_numpy(),
                                  df[["GR", "RHOB", "NPHI"]])
    write_las(df.set_index("DEPTH"), tmp_path / "t.las")
    las = read_las(tmp_path / "t.las")
    np.testing.assert_array_equal(las[["GR", "RHOB", "NPHI"]].to_numpy(), df[["GR", "RHOB", "NPHI"]])


def test_exact_float_option_reaches_the_c_parser_only(tmp_path, monkeypatch):
    """What pandas < 3.1 gets (checked here whatever pandas is installed): the round-trip float
    parser for every read on the C parser (sniffed commas, tabs and spaces, ``\\s+``), never for
    one that pandas runs on its python parser (which would raise), and never over the caller's
    own choice."""
    import geoae.io.tables as gt

    monkeypatch.setattr(gt, "EXACT_FLOATS", {"float_precision": "round_trip"})
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(30, 10, size=(50, 3)), columns=["GR", "RHOB", "NPHI"])
    paths = {}
    for name, sep in (("comma.csv", ","), ("tab.tsv", "\t"), ("space.txt", " ")):
        paths[name] = tmp_path / name
        df.to_csv(paths[name], sep=sep, index=False)
    fp = "float_precision"
    for name in paths:
        assert gt._csv_options(paths[name], {}).get(fp) == "round_trip", name
    p = paths["space.txt"]
    assert gt._csv_options(p, {})["engine"] == "c"
    assert gt._csv_options(p, {"sep": r"\s+"}).get(fp) == "round_trip"
    for kwargs in ({"engine": "python"}, {"engine": "pyarrow"}, {"skipfooter": 1},
                   {"on_bad_lines": lambda line: None}, {"sep": r"\s*,\s*"}):
        assert fp not in gt._csv_options(paths["comma.csv"], dict(kwargs)), kwargs
    assert gt._csv_options(paths["comma.csv"], {fp: "high"})[fp] == "high"
    # and the reads themselves work with the option (pandas 3.1 only warns that it is deprecated)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ZONE,GR\nCaf\xe9,1.5\nB,2.25\n".encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path, kwargs in ((paths["space.txt"], {}), (paths["comma.csv"], {"skipfooter": 1}),
                             (latin, {})):
            back = read_table(path, **kwargs)
            assert len(back) == (49 if kwargs else len(back)) and back["GR"].notna().all()
        assert list(read_table(latin)["GR"]) == [1.5, 2.25]
        np.testing.assert_array_equal(read_table(paths["space.txt"])[["GR", "RHOB", "NPHI"]], df)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_read_null_markers_as_missing(tmp_path, suffix):
    """-999.25 and the other LAS null markers in a CSV or Parquet export were read as readings
    (the CLI imputed nothing and trained on -999.25)."""
    df = pd.DataFrame({"WELL": ["A"] * 4, "DEPTH": [1.0, 1.5, 2.0, 2.5],
                       "GR": [50.0, -999.25, 60.0, 70.0], "PE": [-9999.0, 3.1, -999.25, 2.9],
                       "N": [1, 2, 3, 4]})
    path = tmp_path / f"w{suffix}"
    df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path)
    with pytest.warns(UserWarning, match=r"null marker.*GR \(1\), PE \(2\)"):
        got = read_table(path)
    np.testing.assert_array_equal(got["GR"], [50.0, np.nan, 60.0, 70.0])
    np.testing.assert_array_equal(got["PE"], [np.nan, 3.1, np.nan, 2.9])
    assert got["N"].tolist() == [1, 2, 3, 4]
    with pytest.warns(UserWarning, match="null marker"):
        chunks = list(iter_table(path, chunk_rows=3))
    pd.testing.assert_frame_equal(pd.concat(chunks), got)
    kept = read_table(path, null_values=())
    assert kept["GR"].iloc[1] == -999.25
    # a depth column is never nulled (-999 m TVDSS is a depth); a curve with a stray token is
    # still cleaned of nulls by read_wells (review)
    deep = pd.DataFrame({"WELL": ["A"] * 3, "DEPTH": [10.0, 11.0, 12.0],
                         "TVDSS": [-1000.0, -999.0, -998.0],
                         "GR": ["50", "***", "-999.25"]})
    deep.to_csv(tmp_path / "deep.csv", index=False)
    assert read_table(tmp_path / "deep.csv")["TVDSS"].tolist() == [-1000.0, -999.0, -998.0]
    wells = read_wells(tmp_path / "deep.csv")
    assert wells["GR"].isna().tolist() == [False, True, True]


def test_a_table_without_a_header_line_is_refused(tmp_path):
    """A headerless file was read with its first data row as the column names, and geoae
    train trained on curves called '100.0', '0.6300' and '302.1900'."""
    p = tmp_path / "noheader.csv"
    p.write_text("100.0,  0.6300,  302.1900\n200.0,  0.5000,  284.6200\n")
    with pytest.raises(DataError, match=r"noheader\.csv: the first line holds numbers"):
        read_table(p)
    with pytest.raises(DataError, match="first line holds numbers"):
        next(iter_table(p))
    named = read_table(p, header=None, names=["DEPTH", "NPHI", "DT"])  # the way to read it
    assert named["DT"].tolist() == [302.19, 284.62]
    pd.DataFrame(np.ones((2, 3))).to_csv(tmp_path / "unnamed.csv", index=False)  # names 0, 1, 2
    assert list(read_table(tmp_path / "unnamed.csv").columns) == ["0", "1", "2"]


def test_a_table_well_named_like_a_las_well_is_kept_apart(tmp_path):
    """A CSV well with the name of a LAS well in the same folder was merged into it silently
    (depths interleaved, and impute wrote only one of the two files)."""
    _write_well(tmp_path / "a.las", "W1", [100.0, 100.5], {"GR": ("gAPI", [50.0, 60.0])})
    pd.DataFrame({"WELL": ["W1", "W1"], "DEPTH": [100.0, 100.5], "GR": [70.0, 80.0]}).to_csv(
        tmp_path / "b.csv", index=False)
    with pytest.warns(UserWarning, match=r"b\.csv: well\(s\) \['W1'\] were already read"):
        df = read_wells(tmp_path)
    assert df.groupby("WELL")["GR"].apply(list).to_dict() == {"W1": [50.0, 60.0],
                                                             "W1 (b.csv)": [70.0, 80.0]}
    assert df.attrs["sources"]["W1 (b.csv)"].endswith("b.csv")


def test_writing_one_well_of_a_read_wells_frame_uses_its_own_units(tmp_path):
    """A well's NPHI in % was labelled m3/m3 (the first file's unit) and its depth unit blank."""
    _write_well(tmp_path / "a.las", "A", [100.0, 100.5], {"NPHI": ("m3/m3", [0.2, 0.25])})
    _write_well(tmp_path / "b.las", "B", [200.0, 200.5], {"NPHI": ("%", [20.0, 25.0])})
    with pytest.warns(UserWarning, match="units differ"):
        df = read_wells(tmp_path, convert_units=False)
    assert df.attrs["well_units"] == {"A": {"NPHI": "m3/m3"}, "B": {"NPHI": "%"}}
    b = df[df.WELL == "B"].dropna(axis=1, how="all").set_index("DEPTH").assign(VSH=[0.1, 0.2])
    b.attrs["units"] = {**b.attrs["units"], "VSH": "v/v"}  # a curve the user added keeps its unit
    write_las(b, tmp_path / "b2.las")
    from geoae.io import read_las

    back = read_las(tmp_path / "b2.las")
    assert back.attrs["units"]["NPHI"] == "%" and back["NPHI"].tolist() == [20.0, 25.0]
    assert back.attrs["units"]["VSH"] == "v/v"
    assert back.attrs["index_unit"] == df.attrs["depth_units"]["B"]


def _two_wells_in_other_units(folder: Path) -> None:
    """Well A in metres, NPHI in v/v, DT in us/ft; well B in feet, NPHI in %, DT in us/m."""
    _write_well(folder / "a.las", "A", [1000.0, 1000.5, 1001.0],
                {"NPHI": ("v/v", [0.2, 0.25, np.nan]), "DT": ("us/ft", [100.0, 90.0, 80.0])}, "M")
    _write_well(folder / "b.las", "B", [3280.0, 3281.0, 3282.0],
                {"NPHI": ("%", [20.0, 25.0, np.nan]), "DT": ("us/m", [300.0, 330.0, 360.0])}, "FT")


def test_read_wells_converts_each_curve_and_the_depth_to_one_unit(tmp_path):
    """Wells in other units were only warned about ('convert before mixing wells'): a model
    then learnt NPHI 0.2 and NPHI 20 as the same rock. Each curve and the depth now come in one
    unit (here the first well's, a tie), converted exactly, with one warning naming them."""
    _two_wells_in_other_units(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    assert len(caught) == 1 and caught[0].category is UnitConversionWarning, \
        [str(w.message) for w in caught]
    message = str(caught[0].message)
    for what in ("DEPTH FT -> M (well B)", "NPHI % -> v/v (well B)", "DT us/m -> us/ft (well B)"):
        assert what in message, message
    conversions = {"B": {"DEPTH": ("FT", "M"), "NPHI": ("%", "v/v"), "DT": ("us/m", "us/ft")}}
    assert df.attrs["unit_conversions"] == conversions == caught[0].message.conversions
    b = df[df.WELL == "B"]
    # by hand: 3280 ft * 0.3048 = 999.744 m; 20 % = 0.2 v/v; 300 us/m * 0.3048 = 91.44 us/ft
    assert b["DEPTH"].tolist() == [999.744, 1000.0488, 1000.3536]
    np.testing.assert_array_equal(b["NPHI"], [0.2, 0.25, np.nan])
    np.testing.assert_allclose(b["DT"], [91.44, 100.584, 109.728], rtol=1e-14)
    a = df[df.WELL == "A"]
    assert a["DEPTH"].tolist() == [1000.0, 1000.5, 1001.0] and a["DT"].tolist() == [100.0, 90.0, 80.0]
    np.testing.assert_array_equal(a["NPHI"], [0.2, 0.25, np.nan])
    assert df.attrs["units"] == {"NPHI": "v/v", "DT": "us/ft"}
    assert df.attrs["unit_conflicts"] == {}
    assert df.attrs["well_units"] == {"A": {"NPHI": "v/v", "DT": "us/ft"},
                                      "B": {"NPHI": "%", "DT": "us/m"}}  # each file's own
    assert df.attrs["depth_units"] == {"A": "M", "B": "FT"} and df.attrs["depth_unit"] == "M"


def test_read_wells_convert_units_false_keeps_each_files_units(tmp_path):
    _two_wells_in_other_units(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path, convert_units=False)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and not any(w.category is UnitConversionWarning for w in caught)
    assert messages[0].startswith("curve units differ between wells: NPHI: ['%', 'v/v']; "
                                  "DT: ['us/ft', 'us/m']") and "convert before mixing" in messages[0]
    assert messages[1].startswith("depth units differ between wells: A: M, B: FT")
    b = df[df.WELL == "B"]
    assert b["DEPTH"].tolist() == [3280.0, 3281.0, 3282.0] and b["DT"].tolist() == [300.0, 330.0, 360.0]
    np.testing.assert_array_equal(b["NPHI"], [20.0, 25.0, np.nan])
    assert df.attrs["unit_conflicts"] == {"NPHI": {"A": "v/v", "B": "%"},
                                          "DT": {"A": "us/ft", "B": "us/m"}}
    assert df.attrs["unit_conversions"] == {} and df.attrs["units"] == {"NPHI": "v/v", "DT": "us/ft"}
    assert df.attrs["depth_unit"] == ""


def test_read_wells_converts_to_the_unit_of_most_wells(tmp_path):
    """Not the first file's unit: two wells in v/v (spelled v/v and dec) outvote one in %."""
    _write_well(tmp_path / "a.las", "A", [1.0, 2.0], {"NPHI": ("%", [30.0, 12.5])}, "M")
    _write_well(tmp_path / "b.las", "B", [1.0, 2.0], {"NPHI": ("v/v", [0.1, 0.2])}, "F")
    _write_well(tmp_path / "c.las", "C", [1.0, 2.0], {"NPHI": ("dec", [0.3, 0.4])}, "FT")
    with pytest.warns(UnitConversionWarning) as record:
        df = read_wells(tmp_path)
    assert len(record) == 1
    assert "NPHI % -> v/v (well A)" in str(record[0].message)
    assert "DEPTH M -> F (well A)" in str(record[0].message)
    assert df.attrs["units"]["NPHI"] == "v/v" and df.attrs["depth_unit"] == "F"
    assert df.loc[df.WELL == "A", "NPHI"].tolist() == [0.3, 0.125]
    # 1 m and 2 m in feet: 1 / 0.3048 and 2 / 0.3048
    np.testing.assert_allclose(df.loc[df.WELL == "A", "DEPTH"], [3.280839895013123,
                                                                 6.561679790026246], rtol=1e-15)
    assert df.loc[df.WELL == "C", "NPHI"].tolist() == [0.3, 0.4]  # dec is v/v: left as it is


def test_read_wells_still_warns_about_units_it_cannot_convert(tmp_path):
    """GR in gAPI and in cps has no conversion: today's warning and unit_conflicts, values as
    they are; NPHI beside it is converted; an empty unit is no conflict."""
    _write_well(tmp_path / "a.las", "A", [1.0, 2.0],
                {"GR": ("gAPI", [50.0, 60.0]), "NPHI": ("v/v", [0.2, 0.3])}, "M")
    _write_well(tmp_path / "b.las", "B", [1.0, 2.0],
                {"GR": ("cps", [500.0, 600.0]), "NPHI": ("%", [20.0, 30.0])}, "M")
    _write_well(tmp_path / "c.las", "C", [1.0, 2.0], {"NPHI": ("", [40.0, 50.0])}, "")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    assert [w.category for w in caught] == [UnitConversionWarning, UnitConflictWarning]
    assert caught[1].message.conflicts == {"GR": {"A": "gAPI", "B": "cps"}}
    assert "NPHI % -> v/v (well B)" in str(caught[0].message)
    assert "GR" not in str(caught[0].message) and "well C" not in str(caught[0].message)
    assert str(caught[1].message).startswith("curve units differ between wells: GR: ['cps', "
                                             "'gAPI'] (see df.attrs['unit_conflicts'])")
    assert df.attrs["unit_conflicts"] == {"GR": {"A": "gAPI", "B": "cps"}}
    assert df.attrs["unit_conversions"] == {"B": {"NPHI": ("%", "v/v")}}
    assert df.loc[df.WELL == "B", "GR"].tolist() == [500.0, 600.0]
    assert df.loc[df.WELL == "B", "NPHI"].tolist() == [0.2, 0.3]
    assert df.loc[df.WELL == "C", "NPHI"].tolist() == [40.0, 50.0]  # no unit: not converted


def test_depths_are_converted_before_sorting_and_the_repeated_depth_check(tmp_path):
    """Two depths in feet one float apart are one depth in metres: converting after the
    repeated-depth check would leave two rows at one depth (a well's depths must increase)."""
    x = 1000.0
    while convert_units(x, "ft", "m") != convert_units(np.nextafter(x, 2000.0), "ft", "m"):
        x = float(np.nextafter(x, 2000.0))
    y = float(np.nextafter(x, 2000.0))
    _write_well(tmp_path / "a.las", "A", [300.0, 300.5], {"GR": ("gAPI", [1.0, 2.0])}, "M")
    _write_well(tmp_path / "b.las", "B", [1001.0, y, x], {"GR": ("gAPI", [3.0, 4.0, 5.0])}, "FT")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_wells(tmp_path)
    messages = " | ".join(str(w.message) for w in caught)
    assert "rows sorted by depth" in messages and "1 duplicate depth(s) dropped" in messages
    b = df[df.WELL == "B"]
    assert np.all(np.diff(b["DEPTH"].to_numpy()) > 0) and len(b) == 2
    assert b["DEPTH"].tolist() == [convert_units(y, "ft", "m"), convert_units(1001.0, "ft", "m")]
    assert b["GR"].tolist() == [4.0, 3.0]  # sorted, the first row of the repeated depth kept
    # keep_rows: every row in the file's order, its depth converted
    with pytest.warns(UnitConversionWarning):
        kept = read_wells(tmp_path, keep_rows=True)
    np.testing.assert_array_equal(kept.loc[kept.WELL == "B", "DEPTH"],
                                  convert_units([1001.0, y, x], "ft", "m"))
    assert kept.loc[kept.WELL == "B", "GR"].tolist() == [3.0, 4.0, 5.0]


def test_write_las_labels_a_converted_well_with_the_unit_of_its_values(tmp_path):
    """A converted well written on its own: its curves and depth in the units they were
    converted to (not the file's own, which well_units still records)."""
    from geoae.io import read_las

    wells, out = tmp_path / "wells", tmp_path / "out"
    wells.mkdir()
    out.mkdir()
    _two_wells_in_other_units(wells)
    with pytest.warns(UnitConversionWarning):
        df = read_wells(wells)
    b = df[df.WELL == "B"]
    write_las(b, out / "b.las")
    back = read_las(out / "b.las")
    assert back.attrs["index_unit"] == "M" and back.index.tolist() == b["DEPTH"].tolist()
    assert back.attrs["units"]["NPHI"] == "v/v" and back.attrs["units"]["DT"] == "us/ft"
    np.testing.assert_array_equal(back["NPHI"], b["NPHI"])
    # its source file as the template: its depths in feet cannot hold the converted ones
    with pytest.raises(DataError, match="converted from FT to M by read_wells, and the "
                                        r"template .*b\.las is in FT"):
        write_las(b, out / "b_tpl.las", template=wells / "b.las")
    # a curve converted, the depths not: the template's curve takes the values and their unit
    _write_well(wells / "b.las", "B", [1000.0, 1000.5, 1001.0],
                {"NPHI": ("%", [20.0, 25.0, np.nan]), "DT": ("us/m", [300.0, 330.0, 360.0])}, "M")
    with pytest.warns(UnitConversionWarning):
        df = read_wells(wells)
    write_las(df[df.WELL == "B"][["WELL", "DEPTH", "NPHI"]], out / "b_tpl.las",
              template=wells / "b.las")
    back = read_las(out / "b_tpl.las")
    assert back.attrs["units"]["NPHI"] == "v/v" and back.attrs["units"]["DT"] == "us/m"
    np.testing.assert_array_equal(back["NPHI"], [0.2, 0.25, np.nan])
    assert back["DT"].tolist() == [300.0, 330.0, 360.0]  # the template's own curve, as it was


def test_depth_units_differing_between_wells_are_warned_about(tmp_path):
    for name, unit in (("a", "M"), ("b", "FT"), ("c", "meters")):
        df = pd.DataFrame({"GR": [1.0, 2.0]}, index=pd.Index([10.0, 10.5], name="DEPT"))
        df.attrs.update(well_name=name, index_unit=unit)
        write_las(df, tmp_path / f"{name}.las")
    with pytest.warns(UserWarning,
                      match=r"depth units differ between wells: M \(wells a, c\), FT \(well b\)"):
        read_wells(tmp_path, convert_units=False)
    # by default the feet of b become metres, the unit of most wells (a and c: M and meters)
    with pytest.warns(UnitConversionWarning, match=r"DEPTH FT -> M \(well b\)"):
        df = read_wells(tmp_path)
    assert df.loc[df.WELL == "b", "DEPTH"].tolist() == [3.048, 3.2004]  # 10 ft, 10.5 ft
    assert df.attrs["depth_unit"] == "M" and df.attrs["depth_units"]["b"] == "FT"
    (tmp_path / "b.las").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # m and meters are the same unit
        read_wells(tmp_path)


def test_the_depth_unit_warning_groups_the_spellings_of_one_unit():
    """'M' and 'm' are one unit: the warning groups wells by unit instead of listing M beside m
    as if they differed (seen on a real folder: "F/3-2: M, Eastrock Lauren #1: m")."""
    from geoae.io.wells import units_by_well

    assert units_by_well({"A": "M", "B": "FT"}) == "A: M, B: FT"
    text = units_by_well({"F/3-2": "M", "Lauren #1": "m", "C": "ft", "D": "m", "E": "M", "G": "m"})
    assert text == "M (wells F/3-2, Lauren #1, D, E and 1 more), FT (well C)"


def test_array_induction_mnemonics_of_every_resolution_are_aliased():
    """AIT curves come as AT (1 ft), AO (1 ft), AF (4 ft), AH?.. (hole-corrected) at 10/30/90
    in; a P-135 well's AF90 was not read as RT while AT90 was."""
    from geoae.io.aliases import canonical_name

    for prefix in ("AT", "AO", "AF", "AHT", "AHO", "AHF"):
        assert (canonical_name(f"{prefix}90"), canonical_name(f"{prefix}30"),
                canonical_name(f"{prefix}10")) == ("RT", "RMED", "RS"), prefix


def test_quoted_decimal_commas_in_a_comma_table(tmp_path, capsys):
    """A depth audit: quoted decimal-comma numbers ("1000,5") in a ','-separated export left
    DEPTH as text, and `geoae detect` ended in an unexpected ValueError. They are read as
    numbers now; a depth that may hold a thousands separator, or text, is refused by name."""
    from clirun import run

    rows = ["WELL,DEPTH,GR,RHOB,NPHI"] + [
        f'A,"{1000 + i * 0.5:.1f}",{40 + i % 60}.5,{2.2 + (i % 40) / 100:.3f},"0,{10 + i % 20}"'
        .replace('.0"', '"').replace('.5"', ',5"') for i in range(200)]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match=r"column\(s\) DEPTH, NPHI hold numbers with a decimal comma"):
        got = read_table(path)
    np.testing.assert_array_equal(got["DEPTH"].to_numpy(), 1000 + 0.5 * np.arange(200))
    np.testing.assert_allclose(got["NPHI"].to_numpy(), [0.10 + (i % 20) / 100 for i in range(200)])
    assert got["DEPTH"].dtype == np.float64
    model, out = tmp_path / "m", tmp_path / "scores.csv"
    assert run(capsys, "train", path, "--epochs", 1, "--out", model, "-q")[0] == 0
    assert run(capsys, "detect", model, path, "--out", out, "-q")[0] == 0
    np.testing.assert_array_equal(pd.read_csv(out)["DEPTH"].to_numpy(), got["DEPTH"].to_numpy())
    # "1,234": a thousands separator or a decimal comma? not guessed; text depths refused
    # where the depth is taken (read_wells, the commands), not by read_table
    for depths, match in ((['"1,234"', '"1,235"'], "thousands separator or a decimal comma"),
                          (["top", "base"], "holds text")):
        bad = tmp_path / "bad.csv"
        bad.write_text("DEPTH,GR,RHOB,NPHI\n" + "".join(
            f"{d},{g},2.3,0.2\n" for d, g in zip(depths, (50, 60), strict=True)))
        assert not pd.api.types.is_numeric_dtype(read_table(bad)["DEPTH"])
        with pytest.raises(DataError, match=f"bad.csv: the depth column DEPTH.*{match}"):
            read_wells([bad])
        code, _, err = run(capsys, "detect", model, bad, "--out", tmp_path / "e.csv")
        assert code == 2 and "the depth column DEPTH" in err
    # a thousands-looking curve is left as text (not guessed), the table still reads
    ok = tmp_path / "ok.csv"
    ok.write_text('DEPTH,GR,CODE\n1000,50,"1,234"\n1001,60,"2,345"\n')
    assert read_table(ok)["CODE"].tolist() == ["1,234", "2,345"]


def test_depth_with_stray_text_and_identifier_columns(tmp_path):
    """A review of the decimal-comma reading: a depth with one '-' (read before, that row
    without a depth) was refused, an unused MD column of text refused the file, and one column
    of identifiers such as "1,5" (a zone, a plug number) became numbers."""
    from geoae.workflows import read_any_table

    dash = tmp_path / "dash.csv"
    dash.write_text("WELL,DEPTH,GR,RHOB\nA,1000.0,50,2.3\nA,1000.5,51,2.4\nA,-,55,2.35\n"
                    "A,1001.5,56,2.36\n")
    with pytest.warns(UserWarning, match=r"1 value\(s\) of the depth column DEPTH are not numbers "
                                         r"\(such as '-'\)"):
        frame = read_wells([dash])
    assert frame["DEPTH"].tolist() == [1000.0, 1000.5, 1001.5]
    with pytest.warns(UserWarning, match="not numbers"):
        table = read_any_table(dash)
    assert table.frame["DEPTH"].dtype == np.float64 and table.frame["DEPTH"].isna().sum() == 1
    md = tmp_path / "md.csv"
    md.write_text("WELL,DEPTH,GR,MD\nA,1000,50,\nA,1001,51,n/a\nA,1002,52,x\n")
    assert read_wells([md])["DEPTH"].tolist() == [1000.0, 1001.0, 1002.0]
    ids = tmp_path / "ids.csv"
    ids.write_text('DEPTH,GR,ZONE,PLUG\n1000,50,"1,5","2,1"\n1001,60,"2,5","3"\n')
    got = read_table(ids)
    assert got["ZONE"].tolist() == ["1,5", "2,5"] and got["PLUG"].tolist() == ["2,1", "3"]
    two = tmp_path / "two.csv"
    two.write_text('DEPTH,GR,PE\n1000,"50,5","3,1"\n1001,"60,25","3"\n')
    with pytest.warns(UserWarning, match=r"GR, PE hold numbers with a decimal comma"):
        got = read_table(two)
    assert got["GR"].tolist() == [50.5, 60.25] and got["PE"].tolist() == [3.1, 3.0]


def test_semicolon_table_with_decimal_commas_reads_as_numbers(tmp_path):
    """A European spreadsheet export (';' between fields, ',' as the decimal mark) was read
    with every curve as text, and `geoae train` trained on the one integer column left."""
    from geoae.io import iter_table

    frame = pd.DataFrame({"WELL": ["A", "A", "B"], "DEPTH": [1000.5, 1001.0, 1001.5],
                          "GR": [77.45, 78.26, 79.05], "PE": [4.6, 4.1, 3.6], "NM_M": [1, 1, 2]})
    path = tmp_path / "eu.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    with pytest.warns(UserWarning, match="decimal comma"):
        got = read_table(path)
    pd.testing.assert_frame_equal(got[frame.columns].reset_index(drop=True), frame,
                                  check_dtype=False)
    with pytest.warns(UserWarning, match="decimal comma"):
        chunks = list(iter_table(path, chunk_rows=2))
    np.testing.assert_allclose(pd.concat(chunks)["GR"].to_numpy(), frame["GR"].to_numpy())
    # a ';' table with decimal points is read as before, without the warning
    plain = tmp_path / "points.csv"
    frame.to_csv(plain, sep=";", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(read_table(plain)["GR"], frame["GR"])
