"""SEG-Y reading, chunked reading and writing with every header byte kept."""

from __future__ import annotations

import shutil
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import segyio

from geoae.errors import DataError
from geoae.io import SegyData, iter_segy, read_segy, sniff, update_segy, write_segy

SAMPLES = [
    "1x1.sgy",
    "Format1msb.sgy",
    "Format5msb.sgy",
    "long.sgy",
    "small-ps.sgy",
    "small.sgy",
    "viking_small.segy",
]


def _header_blocks(path: Path) -> tuple[bytes, bytes, list[bytes], int]:
    """Raw textual header, binary header, each 240-byte trace header, and the trace size."""
    raw = path.read_bytes()
    ns = struct.unpack(">H", raw[3220:3222])[0]
    fmt = struct.unpack(">h", raw[3224:3226])[0]
    bps = {1: 4, 2: 4, 3: 2, 5: 4, 8: 1}[fmt]
    size = 240 + ns * bps
    traces = [raw[3600 + k * size : 3600 + k * size + 240] for k in range((len(raw) - 3600) // size)]
    return raw[:3200], raw[3200:3600], traces, size


def _assert_headers_identical(a: Path, b: Path) -> None:
    ta, ba, tra, sa = _header_blocks(a)
    tb, bb, trb, sb = _header_blocks(b)
    assert ta == tb, "textual header changed"
    assert ba == bb, "binary header changed"
    assert sa == sb and len(tra) == len(trb)
    for k, (x, y) in enumerate(zip(tra, trb, strict=True)):
        assert x == y, f"trace header {k} changed"
    assert a.stat().st_size == b.stat().st_size


@pytest.mark.parametrize("name", SAMPLES)
def test_round_trip_real_files(shared_data, name, tmp_path):
    src = shared_data / "segy-samples" / name
    data = read_segy(src)
    assert isinstance(data, SegyData)
    assert data.traces.dtype == np.float32
    assert data.traces.shape == (data.n_traces, data.n_samples) == (len(data.headers), len(data.samples))
    with segyio.open(src, ignore_geometry=True) as f:
        np.testing.assert_array_equal(data.traces, f.trace.raw[:])
    out = tmp_path / "out.sgy"
    write_segy(data.traces, out, template=src)
    _assert_headers_identical(src, out)
    assert src.read_bytes() == out.read_bytes()  # same samples in, same bytes out (IBM too)
    back = read_segy(out)
    np.testing.assert_array_equal(back.traces, data.traces)


def test_new_samples_written_headers_kept(shared_data, tmp_path):
    src = shared_data / "segy-samples" / "viking_small.segy"
    data = read_segy(src)
    new = (data.traces * 0.5 + 1.0).astype(np.float32)
    out = tmp_path / "half.segy"
    write_segy(new, out, src)
    _assert_headers_identical(src, out)
    back = read_segy(out)
    # IBM float has 24-bit mantissa with hex exponent: equal to float32 within a few ulps
    np.testing.assert_allclose(back.traces, new, rtol=1e-6, atol=1e-6)
    assert back.text_header == data.text_header and back.binary_header == data.binary_header


def test_structured_geometry(shared_data):
    d = read_segy(shared_data / "segy-samples" / "Format5msb.sgy")
    assert d.is_structured and d.shape == (23, 18)
    assert d.inlines[0] == 111 and d.inlines[-1] == 133
    assert d.crosslines[0] == 875 and d.crosslines[-1] == 892
    assert d.dt == 4.0 and d.sample_format == 5
    assert d.cube().shape == (23, 18, 75)
    assert set(d.headers["inline"]) == set(d.inlines)
    ibm = read_segy(shared_data / "segy-samples" / "Format1msb.sgy")
    np.testing.assert_allclose(ibm.traces, d.traces, rtol=1e-6, atol=1e-6)


def test_prestack_and_unstructured(shared_data):
    ps = read_segy(shared_data / "segy-samples" / "small-ps.sgy")
    assert ps.is_structured and list(ps.offsets) == [1, 2]
    with pytest.raises(DataError, match="pre-stack"):
        ps.cube()
    v = read_segy(shared_data / "segy-samples" / "viking_small.segy")
    assert not v.is_structured and v.shape is None and v.traces.shape == (480, 600)
    assert v.dt == 4.0
    with pytest.raises(DataError, match="unstructured"):
        v.cube()
    long = read_segy(shared_data / "segy-samples" / "long.sgy")
    assert long.traces.shape == (3, 60000) and long.dt == 1.0


def test_iter_segy_matches_read_and_holds_one_chunk(shared_data):
    src = shared_data / "segy-samples" / "viking_small.segy"
    full = read_segy(src)
    chunks = []
    peaks = []
    it = iter_segy(src, chunk_traces=50)
    tracemalloc.start()
    try:
        while True:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            try:
                chunk = next(it)
            except StopIteration:
                break
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
            chunks.append((chunk.start, chunk.stop))
            assert chunk.traces.dtype == np.float32
            assert chunk.traces.shape == (chunk.stop - chunk.start, 600)
            np.testing.assert_array_equal(chunk.traces, full.traces[chunk.start : chunk.stop])
            assert list(chunk.headers.index) == list(range(chunk.start, chunk.stop))
            del chunk
    finally:
        tracemalloc.stop()
    assert chunks == [(i, min(i + 50, 480)) for i in range(0, 480, 50)]
    whole = full.traces.nbytes  # 1.15 MB; one chunk is 120 kB
    assert max(peaks) < 0.3 * whole, (peaks, whole)


def test_iter_segy_uses_raw_slices(shared_data, monkeypatch):
    """Each chunk is one f.trace.raw[a:b] slice, never the whole file."""
    import segyio.trace

    calls = []
    original = segyio.trace.RawTrace.__getitem__

    def spy(self, index):
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(segyio.trace.RawTrace, "__getitem__", spy)
    list(iter_segy(shared_data / "segy-samples" / "small.sgy", chunk_traces=10))
    assert calls == [slice(0, 10), slice(10, 20), slice(20, 25)]


# ------------------------------------------------------------------ files written by the tests


@pytest.fixture
def cube_file(tmp_path) -> Path:
    data = np.random.default_rng(0).normal(size=(4, 3, 20)).astype(np.float32)
    p = tmp_path / "cube.sgy"
    segyio.tools.from_array(str(p), data, format=5, dt=2000)
    return p


def test_written_cube_round_trip(cube_file, tmp_path):
    d = read_segy(cube_file)
    assert d.is_structured and d.shape == (4, 3) and d.dt == 2.0
    out = tmp_path / "out.sgy"
    write_segy(d.cube() * 2, out, template=cube_file)  # a cube is accepted
    _assert_headers_identical(cube_file, out)
    np.testing.assert_array_equal(read_segy(out).traces, d.traces * 2)


def test_created_unstructured_file(tmp_path):
    spec = segyio.spec()
    spec.format = 1
    spec.samples = list(range(30))
    spec.tracecount = 7
    p = tmp_path / "shots.sgy"
    rng = np.random.default_rng(1)
    with segyio.create(str(p), spec) as f:
        for i in range(7):
            f.header[i] = {segyio.su.offset: 100 * i, segyio.su.cdp: 10 + i, segyio.su.sx: 5 * i}
            f.trace[i] = rng.normal(size=30).astype(np.float32)
    d = read_segy(p)
    assert d.traces.shape == (7, 30)
    assert list(d.headers["offset"]) == [100 * i for i in range(7)]
    assert list(d.headers["source_x"]) == [5 * i for i in range(7)]
    out = tmp_path / "out.sgy"
    write_segy(d.traces[::-1].copy(), out, p)
    _assert_headers_identical(p, out)
    np.testing.assert_array_equal(read_segy(out).traces, d.traces[::-1])


# ------------------------------------------------------------------ errors


def test_shape_mismatch(cube_file, tmp_path):
    with pytest.raises(DataError, match=r"shape \(12, 19\).*12 traces x 20 samples"):
        write_segy(np.zeros((12, 19), np.float32), tmp_path / "o.sgy", cube_file)
    with pytest.raises(DataError, match="cube of shape"):
        write_segy(np.zeros((3, 4, 20), np.float32), tmp_path / "o.sgy", cube_file)
    assert not (tmp_path / "o.sgy").exists()


def test_refuse_overwrite_and_nan(cube_file):
    before = cube_file.read_bytes()
    with pytest.raises(DataError, match="refusing to overwrite"):
        write_segy(np.zeros((12, 20), np.float32), cube_file, cube_file)
    bad = np.zeros((12, 20), np.float32)
    bad[5, 3] = np.nan
    with pytest.raises(DataError, match="NaN/inf.*trace 5"):
        write_segy(bad, cube_file.with_name("x.sgy"), cube_file)
    assert cube_file.read_bytes() == before


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nothere.sgy: file not found"):
        read_segy(tmp_path / "nothere.sgy")


def test_broken_file(shared_data):
    with pytest.raises(DataError, match=r"broken\.sgy: trace data .* not a whole number .*trace 3 "):
        read_segy(shared_data / "segy-samples" / "quirky" / "broken.sgy")


def test_headers_only_file(shared_data):
    with pytest.raises(DataError, match=r"text\.sgy: SEG-Y file has headers but no traces"):
        read_segy(shared_data / "segy-samples" / "quirky" / "text.sgy")
    with pytest.raises(DataError, match=r"text\.sgy"):
        iter_segy(shared_data / "segy-samples" / "quirky" / "text.sgy")


def test_truncated_file(cube_file, tmp_path):
    p = tmp_path / "cut.sgy"
    p.write_bytes(cube_file.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"cut\.sgy: .*truncated"):
        read_segy(p)
    with pytest.raises(DataError, match=r"cut\.sgy"):
        iter_segy(p)


def test_small_file_claiming_huge_traces(cube_file, tmp_path):
    raw = bytearray(cube_file.read_bytes())
    raw[3220:3222] = struct.pack(">H", 65000)  # 65000 samples per trace in a 4 kB file
    p = tmp_path / "huge.sgy"
    p.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"huge\.sgy: the headers claim 65000 samples per trace"):
        read_segy(p)


def test_zero_samples_in_the_binary_header_is_refused_everywhere(cube_file, tmp_path):
    """segyio trusts the binary header: with 0 there, iter_segy yielded traces of 0 samples and
    write_segy 'succeeded' without writing a sample. Now every reader refuses with the fix."""
    raw = bytearray(cube_file.read_bytes())
    raw[3220:3222] = struct.pack(">H", 0)
    p = tmp_path / "hns0.sgy"
    p.write_bytes(bytes(raw))
    for call in (lambda: read_segy(p), lambda: next(iter(iter_segy(p, 5))),
                 lambda: write_segy(np.zeros((12, 20)), tmp_path / "o.sgy", p)):
        with pytest.raises(DataError, match=r"hns0\.sgy: the binary header gives 0 samples.*first "
                                            r"trace header gives 20"):
            call()
    assert not (tmp_path / "o.sgy").exists()
    raw[3220:3222] = struct.pack(">H", 4)  # disagrees with the trace headers' 20: a warning
    q = tmp_path / "hns4.sgy"
    q.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="binary header gives 4 samples per trace but the first "
                                         "trace header gives 20"):
        read_segy(q)


def test_integer_sample_formats_are_rounded_and_range_checked(tmp_path):
    """Into an int16 template segyio wrote 40000 as -25536 and truncated 2.9 to 2, with only a
    'narrowing' warning; now values are rounded and out-of-range ones refused."""
    p = tmp_path / "i16.sgy"
    segyio.tools.from_array(str(p), np.zeros((2, 3, 4), dtype=np.int16), format=3)
    ok = np.array([[1.0, 2.9, -2.9, 1.5]] * 6)
    write_segy(ok, tmp_path / "ok.sgy", p)
    np.testing.assert_array_equal(read_segy(tmp_path / "ok.sgy").traces, np.rint(ok))
    bad = ok.copy()
    bad[4, 0] = 40000.0
    with pytest.raises(DataError, match=r"2-byte signed integer samples \(format 3: -32768 to "
                                        r"32767; first at trace 4\)"):
        write_segy(bad, tmp_path / "bad.sgy", p)
    assert not (tmp_path / "bad.sgy").exists()
    with pytest.raises(DataError, match="first at trace 5"), update_segy(tmp_path / "u.sgy", p) as up:
        up.write(1, bad[:5])


def test_unsupported_format(cube_file, tmp_path):
    raw = bytearray(cube_file.read_bytes())
    raw[3224:3226] = struct.pack(">h", 4)  # fixed point with gain: not supported
    p = tmp_path / "fmt4.sgy"
    p.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"fmt4\.sgy: unsupported SEG-Y sample format code 4"):
        read_segy(p)


def test_not_segy(tmp_path):
    p = tmp_path / "tiny.sgy"
    p.write_bytes(b"hello")
    with pytest.raises(DataError, match=r"tiny\.sgy: 5 bytes is shorter than the 3600-byte"):
        read_segy(p)


def _su_file(path: Path, endian: str, n_traces: int = 6, ns: int = 50) -> np.ndarray:
    """Write a Seismic Unix file (IEEE-float traces, no 3600-byte headers); return the traces."""
    traces = np.arange(n_traces * ns, dtype=np.float32).reshape(n_traces, ns)
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount, spec.endian = 5, np.arange(ns) * 2.0, n_traces, endian
    segy = path.with_suffix(".sgy")
    with segyio.create(segy, spec) as f:
        for i in range(n_traces):
            f.header[i] = {segyio.su.ns: ns, segyio.su.dt: 2000, segyio.su.tracl: i + 1}
        f.trace = traces
    path.write_bytes(segy.read_bytes()[3600:])
    return traces


@pytest.mark.parametrize("endian", ["big", "little"])
def test_seismic_unix_file_is_named(tmp_path, endian):
    """An SU file gave "unsupported SEG-Y sample format code <garbage>" with no hint."""
    su = tmp_path / "line.su"
    _su_file(su, endian)
    want = (rf"line\.su: this looks like a Seismic Unix \(SU\) file, not SEG-Y.*50 samples per "
            rf"trace \(dt 2000 us\).*6 whole trace\(s\) of {endian}-endian.*segyio\.su\.open\(path, "
            rf"ignore_geometry=True, endian='{endian}'\).*segywrite")
    with pytest.raises(DataError, match=want):
        read_segy(su)
    with pytest.raises(DataError, match="Seismic Unix"):
        iter_segy(su)
    # sniff, which every CLI command calls first, says so too (a review found it answering
    # "binary file that is neither SEG-Y nor Parquet"): geoae denoise/train line.su
    from geoae.cli import main

    with pytest.raises(DataError, match=r"line\.su: this looks like a Seismic Unix"):
        sniff(su)
    assert main(["denoise", str(su), "--out", str(tmp_path / "d.sgy")]) == 2
    one = tmp_path / "one.su"  # a single trace: shorter than the 3600-byte SEG-Y headers
    _su_file(one, endian, n_traces=1)
    with pytest.raises(DataError, match=r"one\.su: this looks like a Seismic Unix.*1 whole trace\(s\)"):
        read_segy(one)


def test_seismic_unix_hint_needs_whole_traces_and_no_text(tmp_path, cube_file):
    su = tmp_path / "cut.su"
    _su_file(su, "big", n_traces=30)
    su.write_bytes(su.read_bytes()[:-4])  # truncated: not whole traces, no SU claim
    with pytest.raises(DataError, match=r"cut\.su: unsupported SEG-Y sample format code") as err:
        read_segy(su)
    assert "Seismic Unix" not in str(err.value)
    raw = bytearray(cube_file.read_bytes())  # SEG-Y with a textual header and a bad format code
    raw[3224:3226] = struct.pack(">h", 4)
    (tmp_path / "fmt4.sgy").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="sample format code 4") as err:
        read_segy(tmp_path / "fmt4.sgy")
    assert "Seismic Unix" not in str(err.value)


def test_real_seismic_unix_gather_and_the_documented_conversion(shared_data, tmp_path):
    """The SeismicLab GOM gather (SU, big-endian) is named as SU; the data guide's segyio
    conversion then reads as SEG-Y with the same traces."""
    su = shared_data / "seismiclab-gom-gather" / "gom_cdp_nmo.su"
    with pytest.raises(DataError, match=r"Seismic Unix.*1751 samples per trace \(dt 4000 us\).*"
                       r"92 whole trace\(s\) of big-endian"):
        read_segy(su)
    out = tmp_path / "gom.sgy"
    with segyio.su.open(su, ignore_geometry=True, endian="big") as src:  # docs/user-guide/data.md
        want = src.trace.raw[:]
        spec = segyio.spec()
        spec.format, spec.samples, spec.tracecount = 5, src.samples, src.tracecount
        with segyio.create(out, spec) as dst:
            dst.header = src.header
            dst.trace = src.trace
            dst.bin.update(hns=len(src.samples), hdt=src.header[0][segyio.TraceField.TRACE_SAMPLE_INTERVAL])
    data = read_segy(out)
    assert data.traces.shape == (92, 1751) and data.dt == 4.0
    np.testing.assert_array_equal(data.traces, want)


def test_bad_chunk_size(cube_file):
    with pytest.raises(DataError, match="chunk_traces must be >= 1"):
        iter_segy(cube_file, chunk_traces=0)


def test_template_copy_not_modified(shared_data, tmp_path):
    src = tmp_path / "small.sgy"
    shutil.copyfile(shared_data / "segy-samples" / "small.sgy", src)
    before = src.read_bytes()
    write_segy(np.ones((25, 50), np.float32), tmp_path / "ones.sgy", src)
    assert src.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp." in p.name]


def test_update_segy_streams_chunks(shared_data, tmp_path):
    src = shared_data / "segy-samples" / "viking_small.segy"
    out = tmp_path / "streamed.segy"
    with update_segy(out, src) as w:
        assert (w.n_traces, w.n_samples) == (480, 600)
        for chunk in iter_segy(src, chunk_traces=100):
            w.write(chunk.start, -chunk.traces)
    _assert_headers_identical(src, out)
    np.testing.assert_array_equal(read_segy(out).traces, -read_segy(src).traces)
    with pytest.raises(DataError, match="outside 0-479"):
        with update_segy(tmp_path / "bad.segy", src) as w:
            w.write(470, np.zeros((20, 600), np.float32))
    assert not (tmp_path / "bad.segy").exists()
    with pytest.raises(DataError, match="refusing to overwrite"):
        with update_segy(src, src):
            pass


def test_no_sample_interval_is_warned_about(tmp_path):
    p = tmp_path / "nodt.sgy"
    segyio.tools.from_array2D(str(p), np.zeros((3, 10), np.float32), dt=0)
    with pytest.warns(UserWarning, match=r"nodt\.sgy: no sample interval.*4 ms is assumed"):
        assert read_segy(p).dt == 4.0
    q = tmp_path / "dt2.sgy"
    segyio.tools.from_array2D(str(q), np.zeros((3, 10), np.float32), dt=2000)
    assert read_segy(q).dt == 2.0
