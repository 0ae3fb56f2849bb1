"""Defects a static-typing audit (mypy, triaged by hand) led to: a config.json whose "format"
is not a string crashed loading with a TypeError (the CLI's exit 1, "please report it"); a
latent map given fewer colours than classes raised a bare KeyError; a UTF-16 table was said
to be cut off; NumPy integers were refused by the streaming datasets."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from clirun import run
from geoae import ConfigError


@pytest.mark.parametrize("fmt", [["geoae-model"], {"a": 1}])
def test_a_config_whose_format_is_not_a_string_is_refused_with_the_usual_error(capsys, tmp_path,
                                                                             fmt):
    import geoae

    (tmp_path / "config.json").write_text(json.dumps({"format": fmt, "format_version": 1,
                                                      "class": "AutoEncoder"}))
    with pytest.raises(ConfigError, match="'format' must be a str"):
        geoae.load(tmp_path)
    code, _, err = run(capsys, "info", tmp_path)
    assert code == 2 and "'format' must be a str" in err and "unexpected" not in err


def test_latent_map_needs_a_colour_per_class_and_takes_one_colour_as_a_string():
    from matplotlib.colors import to_rgba

    from geoae.plotting import latent_map

    rng = np.random.default_rng(0)
    z, p = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    labels = np.repeat([1, 2, 3], 10)
    with pytest.raises(ValueError, match="2 colours for 3 classes"):
        latent_map(z, p, labels, colors=["red", "blue"])
    fig = latent_map(z, p, labels, colors="red")  # one colour for all (it was split in letters)
    faces = [tuple(c.get_facecolor()[0]) for c in fig.axes[0].collections if len(c.get_offsets())]
    assert faces and all(f[:3] == to_rgba("red")[:3] for f in faces)
    fig = latent_map(z, p, labels, colors=["red", "green", "blue"])
    faces = [tuple(c.get_facecolor()[0][:3]) for c in fig.axes[0].collections]
    assert faces == [to_rgba(c)[:3] for c in ("red", "green", "blue")]


def test_a_utf16_table_is_not_said_to_be_cut_off_and_its_decimal_commas_are_seen(tmp_path):
    from geoae.io import read_table

    df = pd.DataFrame({"DEPTH": np.arange(5.0), "GR": np.arange(5.0) * 10, "RHOB": 2.3})
    p = tmp_path / "t.csv"
    df.to_csv(p, index=False, sep=";", encoding="utf-16")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cut-off warning would fail here
        got = read_table(p, encoding="utf-16")
    assert np.array_equal(got[["DEPTH", "GR", "RHOB"]].to_numpy(), df.to_numpy())
    # a cut-off UTF-8 file still is (the check itself is kept)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"DEPTH;GR;RHOB\n1;2;3\n2;3")
    with pytest.warns(UserWarning, match="cut off"):
        read_table(cut)
    # a UTF-16 table with decimal commas: found by the first lines' check, with its warning
    q = tmp_path / "c.csv"
    with open(q, "w", encoding="utf-16", newline="") as fh:
        fh.write("DEPTH;GR;RHOB\n1000,5;77,45;2,31\n1001,0;80,10;2,35\n")
    with pytest.warns(UserWarning, match="decimal commas"):
        got = read_table(q, encoding="utf-16")
    assert got["GR"].tolist() == [77.45, 80.10]


def test_streaming_datasets_take_numpy_integers(tmp_path):
    import segyio

    from geoae.streaming import SegyTraces

    data = np.random.default_rng(0).normal(size=(20, 16)).astype(np.float32)
    path = tmp_path / "a.sgy"
    segyio.tools.from_array2D(str(path), data, dt=2000)
    ds = SegyTraces(path, chunk_traces=np.int64(8), buffer_size=np.int64(5), shuffle=False)
    got = np.stack(list(ds))
    assert np.allclose(got, data, atol=1e-6)
    with pytest.raises(ConfigError, match="chunk_traces"):
        SegyTraces(path, chunk_traces=True)
