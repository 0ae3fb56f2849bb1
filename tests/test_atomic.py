"""Nothing lost: a writer killed with SIGKILL at random moments leaves the destination either
absent (or the previous complete version) or complete and valid, never partial."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from geoae._atomic import atomic_write_bytes

WRITER = """
import sys, numpy as np, pandas as pd
from geoae.io import write_las
kind, dest = sys.argv[1], sys.argv[2]
n = 60000
df = pd.DataFrame({"GR": np.arange(n) * 0.5, "RHOB": np.full(n, 2.5)},
                  index=pd.Index(1000 + np.arange(n) * 0.1524, name="DEPT"))
print("ready", flush=True)
while True:
    if kind == "las":
        write_las(df, dest, units={"GR": "API", "RHOB": "G/C3"})
    else:
        import torch
        from geoae import AutoEncoder
        from geoae.models import _Network
        m = AutoEncoder(latent_dim=2, hidden=(512, 512), epochs=1, random_state=0).fit(
            np.random.default_rng(0).normal(size=(64, 200)))
        while True:
            m.save(dest)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["las", "model"])
def test_sigkill_never_leaves_a_partial_output(kind, tmp_path):
    from geoae import load
    from geoae.io import read_las

    dest = tmp_path / ("out.las" if kind == "las" else "model")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random(0)
    kills = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, str(script), kind, str(dest)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.5, 3.0 if kind == "las" else 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        kills += proc.returncode == -signal.SIGKILL
        if kind == "las":
            if dest.exists():
                df = read_las(dest)  # complete and valid
                assert len(df) == 60000 and df["GR"].iloc[-1] == 59999 * 0.5
        elif (dest / "config.json").exists():
            model = load(dest)  # config and weights consistent (hash checked)
            assert model.n_features_in_ == 200
    assert kills == 6


def test_atomic_write_replaces_in_one_step_and_cleans_up(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")

    class Boom(Exception):
        pass

    from geoae._atomic import atomic_path

    with pytest.raises(Boom):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise Boom
    assert target.read_bytes() == b"old"  # untouched on failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]  # no temporary left
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def test_outputs_have_the_usual_file_mode(tmp_path):
    import os

    atomic_write_bytes(tmp_path / "a.txt", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert (os.stat(tmp_path / "a.txt").st_mode & 0o777) == (0o666 & ~mask)


def test_inputs_are_never_overwritten_by_write_las(tmp_path):
    from geoae.errors import DataError
    from geoae.io import write_las

    df = pd.DataFrame({"GR": np.arange(5.0)}, index=pd.Index(np.arange(5.0), name="DEPT"))
    src = tmp_path / "a.las"
    write_las(df, src)
    before = src.read_bytes()
    with pytest.raises(DataError):
        write_las(df, src, template=src)
    assert src.read_bytes() == before
