"""Load: the CLI scores a table of millions of rows and a SEG-Y larger than 2 GB with peak memory
bounded by the chunk size, not by the file (issue #6).

Each command runs in its own process under ``/usr/bin/time -v`` (peak resident set size =
"Maximum resident set size"; wall time). Everything is generated in a scratch folder (deleted at
the end unless ``--keep``):

* **Tables**: CSV files of 8 columns (WELL, DEPTH, six curves) of ``--rows`` rows (default
  500,000 and 5,000,000); a dense AutoEncoder trained by ``geoae train`` on a 20,000-row table
  scores them with ``geoae reconstruct MODEL big.csv --out rec.csv`` (chunks of 100,000 rows,
  the default) -- and, as the reference, the smallest table once more with
  ``--chunk-rows`` larger than the table (whole table in memory).
* **SEG-Y**: files of ``--segy-gb`` GB (default 0.25 and 2.2; 1,000 samples per trace, IBM
  float) are denoised by ``geoae denoise MODEL big.sgy --out den.sgy`` with a small saved
  Denoiser (supervised, no neighbours, so that the run measures I/O and memory rather than
  network cost), chunks of 1,024 traces (the default); and ``geoae train big.sgy --epochs 1``
  fits a dense AutoEncoder on the traces streamed by ``SegyTraces`` (chunks of 1,024 traces,
  shuffling buffer of 10,000 traces, validation capped at 4 million values).

If peak memory is bounded by the chunk, it stays about the same across file sizes while the
files grow ten-fold. Run: ``python benchmarks/bench_load.py`` (about 15 minutes on 2 cores and
12 GB of scratch disk; ``--rows 500000 --segy-gb 0.25`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CURVES = ["GR", "RHOB", "NPHI", "DT", "PE", "ILD"]
N_SAMPLES = 1000


def write_table(path: Path, n_rows: int, seed: int = 0, block: int = 500_000) -> None:
    rng = np.random.default_rng(seed)
    first = True
    for start in range(0, n_rows, block):
        m = min(block, n_rows - start)
        phi = rng.uniform(0.02, 0.35, m)
        vsh = rng.uniform(0, 1, m)
        df = pd.DataFrame({
            "WELL": np.char.add("W", (np.arange(start, start + m) // 10_000).astype(str)),
            "DEPTH": 1000 + 0.1524 * (np.arange(start, start + m) % 10_000),
            "GR": 20 + 130 * vsh + rng.normal(0, 5, m),
            "RHOB": 2.65 - 1.65 * phi + rng.normal(0, 0.02, m),
            "NPHI": phi + 0.25 * vsh + rng.normal(0, 0.01, m),
            "DT": 55 + 150 * phi + 20 * vsh + rng.normal(0, 2, m),
            "PE": 2 + 2 * vsh + rng.normal(0, 0.2, m),
            "ILD": 10 ** (1.5 - 3 * phi + rng.normal(0, 0.1, m)),
        })
        df.to_csv(path, mode="w" if first else "a", header=first, index=False, float_format="%.5g")
        first = False


def write_segy(path: Path, gigabytes: float, seed: int = 0, block: int = 8192) -> int:
    import segyio

    n_traces = int(gigabytes * 1e9 // (240 + 4 * N_SAMPLES))
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 1, np.arange(N_SAMPLES) * 2.0, n_traces
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) * 0.002
    wavelet = (1 - 2 * (np.pi * 25 * (t - 0.1)) ** 2) * np.exp(-((np.pi * 25 * (t - 0.1)) ** 2))
    with segyio.create(str(path), spec) as f:
        f.bin.update(hdt=2000, hns=N_SAMPLES, format=1)
        for start in range(0, n_traces, block):
            m = min(block, n_traces - start)
            refl = rng.normal(0, 1, (m, N_SAMPLES)) * (rng.random((m, N_SAMPLES)) < 0.02)
            spec_w = np.fft.rfft(wavelet)
            data = np.fft.irfft(np.fft.rfft(refl, axis=1) * spec_w, n=N_SAMPLES, axis=1)
            data = (data + rng.normal(0, 0.3, data.shape)).astype(np.float32)
            f.trace.raw[start:start + m] = data
            for i in range(start, start + m):
                f.header[i] = {segyio.su.tracl: i + 1, segyio.su.cdp: i + 1}
    return n_traces


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` under /usr/bin/time -v; return (wall seconds, peak RSS in MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall, rss_kb / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[500_000, 5_000_000])
    p.add_argument("--segy-gb", type=float, nargs="+", default=[0.25, 2.2])
    p.add_argument("--scratch", default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--parts", nargs="+", default=["tables", "denoise", "train", "encode"],
                   choices=["tables", "denoise", "train", "encode"],
                   help="tables: geoae reconstruct; denoise: geoae denoise of the SEG-Y files; "
                        "train: geoae train streaming the SEG-Y files (1 epoch); encode: geoae "
                        "encode of the SEG-Y files into a per-trace CSV and an .npz (after train, "
                        "or a model trained on the first file)")
    args = p.parse_args()
    work = Path(args.scratch or tempfile.mkdtemp(prefix="geoae-load-"))
    work.mkdir(parents=True, exist_ok=True)
    geoae = [sys.executable, "-m", "geoae"]
    env_note = f"{os.cpu_count()} cores"
    rows_out = []
    try:
        small = work / "train.csv"
        write_table(small, 20_000, seed=1)
        subprocess.run([*geoae, "train", str(small), "--curves", ",".join(CURVES), "--latent", "3",
                        "--epochs", "3", "--out", str(work / "ae"), "--quiet", "--force"], check=True)
        for n in (args.rows if "tables" in args.parts else []):
            path = work / f"table_{n}.csv"
            write_table(path, n)
            size = path.stat().st_size / 1e6
            wall, rss = timed([*geoae, "reconstruct", str(work / "ae"), str(path), "--out",
                               str(work / "rec.csv"), "--force", "--quiet"])
            rows_out.append(("reconstruct, chunks of 100,000 rows", f"{n:,} rows", f"{size:,.0f} MB",
                             wall, rss))
            print(rows_out[-1], flush=True)
            if n == min(args.rows):
                wall, rss = timed([*geoae, "reconstruct", str(work / "ae"), str(path), "--out",
                                   str(work / "rec.csv"), "--force", "--quiet", "--chunk-rows",
                                   str(10 * n)])
                rows_out.append(("reconstruct, whole table (reference)", f"{n:,} rows",
                                 f"{size:,.0f} MB", wall, rss))
                print(rows_out[-1], flush=True)
            path.unlink()
            (work / "rec.csv").unlink()

        from geoae.applications import Denoiser

        rng = np.random.default_rng(2)
        clean = np.cumsum(rng.normal(size=(256, N_SAMPLES)), axis=1).astype(np.float32)
        noisy = clean + rng.normal(0, 1, clean.shape).astype(np.float32)
        Denoiser(window=128, stride=128, neighbours=0, hidden=(8, 16), latent_dim=16, epochs=1,
                 random_state=0, device="cpu").fit(noisy, clean).save(work / "den")
        for gb in (args.segy_gb if {"denoise", "train", "encode"} & set(args.parts) else []):
            path = work / f"survey_{gb}.sgy"
            n_traces = write_segy(path, gb)
            size = path.stat().st_size / 1e9
            if "denoise" in args.parts:
                wall, rss = timed([*geoae, "denoise", str(work / "den"), str(path), "--out",
                                   str(work / "den.sgy"), "--force", "--quiet"])
                rows_out.append(("denoise SEG-Y, chunks of 1,024 traces", f"{n_traces:,} traces",
                                 f"{size:.2f} GB", wall, rss))
                print(rows_out[-1], flush=True)
                (work / "den.sgy").unlink()
            if "train" in args.parts:
                wall, rss = timed([*geoae, "train", str(path), "--latent", "8", "--epochs", "1",
                                   "--out", str(work / "trace_ae"), "--force", "--quiet"])
                rows_out.append(("train on SEG-Y traces, streamed (1 epoch, buffer 10,000)",
                                 f"{n_traces:,} traces", f"{size:.2f} GB", wall, rss))
                print(rows_out[-1], flush=True)
            if "encode" in args.parts:
                if not (work / "trace_ae" / "model.safetensors").is_file():
                    subprocess.run([*geoae, "train", str(path), "--latent", "8", "--epochs", "1",
                                    "--out", str(work / "trace_ae"), "--force", "--quiet"],
                                   check=True)
                for out, what in (("codes.csv", "a row per trace with its position"),
                                  ("codes.npz", "the codes of every trace in memory")):
                    wall, rss = timed([*geoae, "encode", str(work / "trace_ae"), str(path),
                                       "--out", str(work / out), "--force", "--quiet"])
                    rows_out.append((f"encode SEG-Y traces to {out} ({what})",
                                     f"{n_traces:,} traces", f"{size:.2f} GB", wall, rss))
                    print(rows_out[-1], flush=True)
                    (work / out).unlink()
            path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nPeak memory of each CLI run ({env_note}; /usr/bin/time -v, max RSS)\n")
    print("| command | input | file size | wall (s) | peak RSS (MiB) |")
    print("|---|---|---|---|---|")
    for name, n, size, wall, rss in rows_out:
        print(f"| {name} | {n} | {size} | {wall:.0f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
