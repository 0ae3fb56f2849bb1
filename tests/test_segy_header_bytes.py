"""SEG-Y files that keep their inline/crossline numbers outside bytes 189/193.

SEG-Y rev 1 puts them at 189 and 193, but many files (older processing, some exports) keep them
elsewhere, e.g. the field record (9) and the CDP (21). ``read_segy``, ``iter_segy``, the
seismic attributes, ``denoise_segy`` and the ``encode``/``reconstruct``/``denoise`` commands
take the bytes; a survey written both ways must then give the same geometry and results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clirun import run
from geoae.errors import ConfigError

segyio = pytest.importorskip("segyio")

N_IL, N_XL, NS = 4, 12, 64


def write_survey(path, traces, ils, xls, where=(189, 193)):
    """An inline-sorted 3-D survey with its line numbers in the trace-header bytes ``where``
    (the other pair of places left 0)."""
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 5, list(range(traces.shape[1])), len(traces)
    with segyio.create(str(path), spec) as f:
        for i, (il, xl) in enumerate(zip(ils, xls, strict=True)):
            header = {segyio.su.ns: traces.shape[1], segyio.su.dt: 2000}
            header[where[0]] = int(il)
            header[where[1]] = int(xl)
            f.header[i] = header
            f.trace[i] = traces[i].astype(np.float32)
        f.bin.update(hdt=2000, hns=traces.shape[1], format=5)
    return path


@pytest.fixture(scope="module")
def surveys(tmp_path_factory):
    from geoae.datasets import make_synthetic_seismic

    d = tmp_path_factory.mktemp("bytes")
    vol = np.concatenate([make_synthetic_seismic(n_traces=N_XL, n_samples=NS, snr_db=3.0,
                                                 random_state=10 + i).noisy for i in range(N_IL)])
    ils = np.repeat(np.arange(300, 300 + N_IL), N_XL)
    xls = np.tile(np.arange(1, 1 + N_XL), N_IL)
    return {
        "standard": write_survey(d / "standard.sgy", vol, ils, xls),
        "old": write_survey(d / "old.sgy", vol, ils, xls, where=(9, 21)),
        "vol": vol, "ils": ils, "xls": xls,
    }


def test_read_segy_takes_the_bytes(surveys):
    from geoae.io import iter_segy, read_segy

    std = read_segy(surveys["standard"])
    plain = read_segy(surveys["old"])  # bytes 189/193 hold zeros: no geometry found there
    assert not plain.is_structured and (plain.headers["inline"] == 0).all()
    old = read_segy(surveys["old"], iline=9, xline=21)
    assert old.is_structured and old.shape == (N_IL, N_XL) == std.shape
    assert (old.iline_byte, old.xline_byte) == (9, 21)
    np.testing.assert_array_equal(old.headers["inline"], surveys["ils"])
    np.testing.assert_array_equal(old.headers["crossline"], surveys["xls"])
    np.testing.assert_array_equal(old.inlines, std.inlines)
    np.testing.assert_array_equal(old.cube(), std.cube())
    # the named columns still read their own bytes
    np.testing.assert_array_equal(old.headers["field_record"], surveys["ils"])
    np.testing.assert_array_equal(old.headers["cdp"], surveys["xls"])
    chunks = list(iter_segy(surveys["old"], chunk_traces=5, iline=9, xline=21))
    np.testing.assert_array_equal(np.concatenate([c.headers["inline"] for c in chunks]),
                                  surveys["ils"])
    np.testing.assert_array_equal(np.concatenate([c.headers["crossline"] for c in chunks]),
                                  surveys["xls"])


@pytest.mark.parametrize("bad", [190, 0, 241, True, 9.0, "9"])
def test_a_byte_that_starts_no_field_is_refused(surveys, bad):
    from geoae.io import iter_segy, read_segy

    with pytest.raises(ConfigError, match=r"iline=.* not the first byte of a trace-header field"):
        read_segy(surveys["old"], iline=bad)
    with pytest.raises(ConfigError, match=r"xline=.* e\.g\. 189 / 193"):
        iter_segy(surveys["old"], xline=bad)


def test_write_segy_of_a_cube_reads_the_template_with_the_bytes(surveys, tmp_path):
    from geoae.io import read_segy, write_segy

    old = read_segy(surveys["old"], iline=9, xline=21)
    out = write_segy(old.cube() * 2, tmp_path / "twice.sgy", surveys["old"], iline=9, xline=21)
    np.testing.assert_array_equal(read_segy(out).traces, old.traces * 2)


def test_seismic_attributes_on_the_grid(surveys):
    from geoae import AutoEncoder
    from geoae.applications import seismic_latent_attributes

    model = AutoEncoder(latent_dim=2, hidden=(16,), epochs=2, random_state=0, device="cpu",
                        verbose=False).fit(surveys["vol"])
    want = seismic_latent_attributes(model, surveys["standard"])
    assert want.structured and want.values.shape == (N_IL, N_XL, 2)
    got = seismic_latent_attributes(model, surveys["old"], iline=9, xline=21, chunk_traces=7)
    np.testing.assert_array_equal(got.inlines, want.inlines)
    np.testing.assert_array_equal(got.crosslines, want.crosslines)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-6, atol=1e-6)
    # without the bytes the traces are all at inline 0 / crossline 0: no grid, file order
    flat = seismic_latent_attributes(model, surveys["old"])
    assert not flat.structured and flat.values.shape == (N_IL * N_XL, 2)


def test_denoise_keeps_neighbours_within_the_lines_the_bytes_name(surveys, tmp_path):
    """A trace's neighbours stay within its inline: only with the right bytes does the file
    with its numbers in 9/21 denoise as the standard one does."""
    from geoae.applications import Denoiser, denoise_segy
    from geoae.io import read_segy

    model = Denoiser(window=32, stride=8, neighbours=1, epochs=1, n_draws=1, hidden=(4, 8),
                     latent_dim=8, device="cpu", random_state=0).fit(surveys["vol"])
    std = read_segy(denoise_segy(model, surveys["standard"], tmp_path / "std.sgy",
                                 chunk_traces=5)).traces
    right = read_segy(denoise_segy(model, surveys["old"], tmp_path / "right.sgy", chunk_traces=5,
                                   iline=9, xline=21)).traces
    wrong = read_segy(denoise_segy(model, surveys["old"], tmp_path / "wrong.sgy",
                                   chunk_traces=5)).traces
    np.testing.assert_allclose(right, std, rtol=1e-5, atol=1e-6)
    # without the bytes, the last trace of a line takes the next line's first as its neighbour
    # (and that one the last of the line before): those traces, and only those, change
    ends = np.arange(N_XL - 1, N_IL * N_XL - 1, N_XL)
    edges = np.sort(np.concatenate([ends, ends + 1]))
    inner = np.setdiff1d(np.arange(N_IL * N_XL), edges)
    np.testing.assert_allclose(wrong[inner], std[inner], rtol=1e-5, atol=1e-6)
    assert (np.abs(wrong[edges] - std[edges]).max(axis=1) > 1e-4).all()


def test_the_cli_takes_the_bytes(capsys, surveys, tmp_path):
    m = tmp_path / "m"
    code, _, err = run(capsys, "train", surveys["old"], "--out", m, "--epochs", 1, "--latent", 2)
    assert code == 0, err
    code, out, err = run(capsys, "encode", m, surveys["old"], "--out", tmp_path / "grid.npz",
                         "--iline-byte", 9, "--xline-byte", 21, "--json")
    assert code == 0, err
    with np.load(tmp_path / "grid.npz") as z:
        assert z["values"].shape == (N_IL, N_XL, 2)
        np.testing.assert_array_equal(z["inlines"], np.arange(300, 300 + N_IL))
    # the same file without the options: no grid, and the warning says where it looked
    code, _, err = run(capsys, "encode", m, surveys["old"], "--out", tmp_path / "flat.npz")
    assert code == 0, err
    assert "bytes 189 and 193" in err and "--iline-byte" in err
    code, _, err = run(capsys, "reconstruct", m, surveys["old"], "--out", tmp_path / "err.csv",
                       "--iline-byte", 9, "--xline-byte", 21)
    assert code == 0, err
    import pandas as pd

    table = pd.read_csv(tmp_path / "err.csv")
    np.testing.assert_array_equal(table["INLINE"], surveys["ils"])
    np.testing.assert_array_equal(table["CROSSLINE"], surveys["xls"])
    code, out, err = run(capsys, "denoise", surveys["old"], "--out", tmp_path / "d.sgy",
                         "--epochs", 1, "--iline-byte", 9, "--xline-byte", 21, "--json")
    assert code == 0, err
    assert json.loads(out)["out"] == str(tmp_path / "d.sgy")
    # the same traces in the standard layout denoise alike (the same training, the same lines)
    code, _, err = run(capsys, "denoise", surveys["standard"], "--out", tmp_path / "s.sgy",
                       "--epochs", 1)
    assert code == 0, err
    from geoae.io import read_segy

    np.testing.assert_allclose(read_segy(tmp_path / "d.sgy").traces,
                               read_segy(tmp_path / "s.sgy").traces, rtol=1e-5, atol=1e-6)
    # a byte where no field starts: one line naming the option, nothing written
    for cmd in (["encode", m, surveys["old"], "--out", tmp_path / "x.csv"],
                ["denoise", surveys["old"], "--out", tmp_path / "x.sgy"]):
        code, _, err = run(capsys, *cmd, "--iline-byte", 190)
        assert code != 0
        assert err.strip().count("\n") == 0 and "--iline-byte 190 is not the first byte" in err, err
        assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.sgy").exists()
