"""The commands on a folder of many LAS wells: does the time grow with the wells, not their square?

A data engineer's audit (seventeenth session) found per-well loops whose cost grew with the
square of the wells of a folder: pandas deep-copies a frame's ``attrs`` into every frame or
series derived from it, and a folder's ``attrs`` hold one entry per well; a check of every
output against every input; ``geoae detect`` reconstructing the data 4-6 times.

This script writes ``--wells`` LAS files of ``--rows`` samples each (GR, RHOB, NPHI, DT and a PE
missing in a seventh of the wells and 20 % of the rest), trains a model on them, then times
``geoae train --epochs 1``, ``geoae detect`` and ``geoae impute --curve PE --epochs 1`` on the
folder, each in its own process. With ``--compare SRC`` (the ``src`` folder of another geoae
checkout, e.g. made with ``git worktree add /tmp/old <commit>``) every command also runs with
that code, alternated with this one, so that the two compare on the same machine state.

Run: ``python benchmarks/bench_many_wells.py --wells 1000 --rows 400 [--compare /tmp/old/src]
[--only impute]`` (about 4 minutes for this code on 2 cores, 12 with the comparison).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def write_folder(folder: Path, wells: int, rows: int) -> None:
    from geoae.io import write_las

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    units = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v", "DT": "us/ft", "PE": "b/e"}
    for i in range(wells):
        frame = pd.DataFrame({
            "GR": rng.uniform(20, 120, rows), "RHOB": rng.uniform(2.0, 2.7, rows),
            "NPHI": rng.uniform(0.05, 0.4, rows), "DT": rng.uniform(60, 120, rows),
            "PE": rng.uniform(2, 5, rows)}, index=pd.Index(1000 + 0.5 * np.arange(rows),
                                                             name="DEPTH"))
        frame.loc[rng.random(rows) < 0.2, "PE"] = np.nan
        if i % 7 == 0:
            frame["PE"] = np.nan
        frame.attrs["well_name"] = f"W{i:04d}"
        write_las(frame, folder / f"W{i:04d}.las", units=units)


def timed(src: Path, args: list[str], cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(src))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "geoae", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{src}: geoae {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wells", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--compare", type=Path, default=None,
                        help="the src folder of another geoae checkout, timed alternately")
    parser.add_argument("--only", choices=("train", "detect", "impute"), action="append",
                        help="time only this command (repeatable)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "wells"
        start = time.perf_counter()
        write_folder(folder, opts.wells, opts.rows)
        print(f"{opts.wells} wells x {opts.rows} rows written in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        timed(SRC, ["train", "wells", "--epochs", "1", "--out", "model", "-q"], work)
        commands = {
            "train --epochs 1": ["train", "wells", "--epochs", "1", "--out", "m2", "--force", "-q"],
            "detect": ["detect", "model", "wells", "--out", "scores.csv", "--force", "-q"],
            "impute --curve PE --epochs 1": ["impute", "wells", "--curve", "PE", "--epochs", "1",
                                             "--out", "filled", "--force", "-q"],
        }
        if opts.only:
            commands = {k: v for k, v in commands.items() if k.split()[0] in opts.only}
        sources = [("this", SRC)] + ([("compared", opts.compare)] if opts.compare else [])
        print("| command | " + " | ".join(f"{name} (s)" for name, _ in sources)
              + (" | compared / this |" if opts.compare else " |"))
        print("|---" * (len(sources) + 1 + bool(opts.compare)) + "|")
        for label, args in commands.items():
            took = {name: timed(src, args, work) for name, src in sources}
            ratio = f" | {took['compared'] / took['this']:.1f}x" if opts.compare else ""
            print(f"| `geoae {label}` | " + " | ".join(f"{took[n]:.1f}" for n, _ in sources)
                  + ratio + " |", flush=True)


if __name__ == "__main__":
    main()
