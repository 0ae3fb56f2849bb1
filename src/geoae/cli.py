"""The ``geoae`` command line (typer). One small function per subcommand; the work is done in
:mod:`geoae.workflows` and :mod:`geoae.demo`.

Exit codes: 0 success; 2 user error (``error: ...`` on one line, no traceback); 1 unexpected
failure (a short message and the path of a log with the traceback); 130 Ctrl-C (SIGINT),
143 SIGTERM (a batch scheduler ending the job) and 129 SIGHUP (the terminal closed): one line,
no half-written file (every output is written to a temporary file and renamed only when
complete; the files of ``impute`` into a folder and of ``detect`` are taken back as a set, the
demo keeps what its finished stages wrote), and a training checkpoint written so far is kept
for ``--resume``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ._atomic import STOP_SIGNALS

app = typer.Typer(
    name="geoae",
    help="Auto-encoders for geoscience data: train, encode, detect, impute, denoise, generate, "
         "features.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from ._version import __version__

        typer.echo(f"geoae {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Auto-encoders for geoscience data: train, encode, detect, impute, denoise, generate,
    features."""


JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or tables.")]
#: ``--out`` of the commands that score every row (``encode``, ``reconstruct``).
ScoredOutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="CSV, Parquet or LAS output, as its name ends (.las: one well; a LAS "
    "input's headers and curves kept). A SEG-Y input: .csv/.parquet (a row per trace with "
    "inline, crossline and CDP x/y), .npz (an inline x crossline grid; file order with each "
    "trace's position when the headers make no grid) or .npy (file order).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
IlineOpt = Annotated[int, typer.Option(
    "--iline-byte", help="SEG-Y input: trace-header byte of the inline numbers (SEG-Y rev 1: 189; "
                         "older files often 9, 17 or 21).")]
XlineOpt = Annotated[int, typer.Option(
    "--xline-byte", help="SEG-Y input: trace-header byte of the crossline numbers (SEG-Y rev 1: "
                         "193; older files often 21 or 13).")]
ChunkRowsOpt = Annotated[int, typer.Option("--chunk-rows", help="Rows per chunk when streaming a CSV or "
                                          "Parquet table (memory bound).")]


def _finite(value):
    """``value`` with every non-finite float (NaN, inf) replaced by None, recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _another_rank(command: str) -> bool:
    """Under torchrun (``WORLD_SIZE`` > 1), the commands that train nothing run in rank 0 alone:
    every rank did the same work and wrote the same output, and one could fail with "exists"
    when another had written it first. True in the other ranks, which then stop (exit 0);
    rank 0 warns that the work is not shared."""
    if not _main_process():
        return True
    with contextlib.suppress(ValueError):
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            warnings.warn(f"geoae {command} does not share its work between torchrun's "
                          "processes: rank 0 does it alone (run it without torchrun)",
                          UserWarning, stacklevel=2)
    return False


def _report(summary: dict[str, Any], as_json: bool, quiet: bool, title: str) -> None:
    from .distributed import is_main_process

    if not is_main_process():  # under torchrun, rank 0 alone reports
        return
    if as_json:  # NaN/inf are not JSON: null
        typer.echo(json.dumps(_finite(summary), indent=2, default=str, allow_nan=False))
        return
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for k, v in summary.items():
        table.add_row(str(k), json.dumps(v, default=str) if isinstance(v, (list, dict)) else str(v))
    Console().print(table)


@contextlib.contextmanager
def _options_named(**options: str) -> Iterator[None]:
    """Errors of the estimators' checks (``latent_dim=0 is not valid: ...``) name the Python
    parameter; in the command line they name the option the user typed (``--latent 0 is not
    valid: ...``). ``options`` maps each parameter to its option."""
    from .errors import ConfigError

    try:
        yield
    except ConfigError as exc:
        msg = str(exc)
        for param, option in options.items():
            if msg.startswith(f"{param}="):
                # what the option cannot take is not offered (None, 'auto': Python values)
                rest = msg[len(param) + 1:].replace("None or a ", "a ").replace(" or 'auto'", "")
                raise ConfigError(f"{option} {rest}") from None
        raise


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="LAS file, folder of LAS files, CSV or Parquet table, or "
                                              "a SEG-Y file (traces streamed).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.")],
    model: Annotated[str, typer.Option(help="ae, dae, vae, sparse or contractive.")] = "ae",
    curves: Annotated[str | None, typer.Option(help="Comma-separated curves, e.g. GR,RHOB,NPHI "
                                                      "(default: every numeric curve but positions, depths, "
                                                      "drilling parameters and labels such as X_LOC, "
                                                      "TVDSS, BS, ROP, FACIES).")] = None,
    latent: Annotated[int | None, typer.Option(help="Latent dimension (default 4; with --model ae, "
                                                    "at most the number of curves - 1, so that "
                                                    "the code is a bottleneck).")] = None,
    backbone: Annotated[str, typer.Option(help="dense, or conv1d for SEG-Y traces (conv1d on "
                                                "log windows and conv2d on patches: Python "
                                                "API).")] = "dense",
    epochs: Annotated[int, typer.Option(help="Maximum epochs (early stopping may end sooner).")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from OUT's checkpoint after a "
                                                          "crash (same data and options).")] = False,
    grad_clip: Annotated[float | None, typer.Option(help="Clip the gradient norm to this value.")] = None,
    checkpoint_every: Annotated[int, typer.Option(help="Write the checkpoint for --resume every N "
                                                       "epochs (1 for long epochs on big "
                                                       "volumes).")] = 10,
    batch_size: Annotated[int | None, typer.Option(help="Rows per training step, per process under "
                                                        "torchrun (default: 256 on CPU, up to 1024 "
                                                        "on GPU).")] = None,
    precision: Annotated[str, typer.Option(help="auto (mixed precision on CUDA), 32, bf16 or 16.")] = "auto",
    compile: Annotated[bool, typer.Option("--compile", help="Compile the training step "
                                                            "(torch.compile).")] = False,
    beta: Annotated[float | None, typer.Option(help="VAE only: weight of the KL term (default 1; "
                                                    "with --prior gmm, 0.5 gave samples closer to "
                                                    "held-out logs in the benchmarks).")] = None,
    prior: Annotated[str | None, typer.Option(help="VAE only: what `geoae generate` samples, "
                                                   "standard (N(0, I), the default) or gmm (a "
                                                   "mixture fitted to the codes).")] = None,
    log10: Annotated[bool, typer.Option("--log10/--no-log10", help="Model resistivity curves (RT, "
                                                                   "ILD, LLD, RDEP, MSFL, ...) as "
                                                                   "log10; the other commands give "
                                                                   "them back in ohm.m.")] = True,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train an auto-encoder on well-log curves and save it (checkpoints in OUT every 10 epochs,
    or --checkpoint-every N).

    Example: geoae train wells/ --model vae --curves GR,RHOB,NPHI,DT --latent 4 --out model/

    For synthetic logs: geoae train wells/ --model vae --prior gmm --beta 0.5 --out model/, then
    geoae generate model/ -n 1000 --out samples.csv

    On several GPUs or machines: torchrun --nproc_per_node=4 -m geoae train wells/ --out model/
    """
    from . import workflows

    with _options_named(latent_dim="--latent", epochs="--epochs", backbone="--backbone",
                        random_state="--seed", grad_clip="--grad-clip", batch_size="--batch-size",
                        checkpoint_every="--checkpoint-every",
                        precision="--precision", compile="--compile", beta="--beta",
                        prior="--prior"):
        summary = workflows.train(data, out, model=model, curves=workflows.parse_curves(curves),
                                  latent=latent, backbone=backbone, epochs=epochs,
                                  random_state=seed, verbose=not (quiet or as_json), force=force,
                                  resume=resume, grad_clip=grad_clip,
                                  checkpoint_every=checkpoint_every, precision=precision,
                                  compile=compile, log10=log10,
                                  **({"batch_size": batch_size} if batch_size is not None else {}),
                                  **({"beta": beta} if beta is not None else {}),
                                  **({"prior": prior} if prior is not None else {}))
    _report(summary, as_json, quiet, "trained")


@app.command()
def encode(
    model: Annotated[Path, typer.Argument(help="Model folder from `geoae train`.")],
    data: Annotated[Path, typer.Argument(help="LAS file, folder or table with the model's curves, or "
                                              "a SEG-Y file for a model trained on its traces.")],
    out: ScoredOutOpt,
    chunk_rows: ChunkRowsOpt = 100_000,
    iline_byte: IlineOpt = 189,
    xline_byte: XlineOpt = 193,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write the latent code of every depth sample (WELL and DEPTH kept).

    One output row per input row, in the input's order (a LAS file's repeated depths included).

    Example: geoae encode model/ well.las --out codes.csv

    Seismic attributes: geoae encode trace_model/ survey.sgy --out codes.csv
    (a survey whose inline/crossline numbers are not in bytes 189/193: add
    --iline-byte 9 --xline-byte 21, or wherever the file keeps them)
    """
    if _another_rank("encode"):
        return
    from . import workflows

    _report(workflows.encode(model, data, out, force=force, chunk_rows=chunk_rows,
                             iline=iline_byte, xline=xline_byte), as_json, quiet, "encoded")


@app.command()
def reconstruct(
    model: Annotated[Path, typer.Argument(help="Model folder from `geoae train`.")],
    data: Annotated[Path, typer.Argument(help="LAS file, folder or table with the model's curves, or "
                                              "a SEG-Y file for a model trained on its traces.")],
    out: ScoredOutOpt,
    chunk_rows: ChunkRowsOpt = 100_000,
    iline_byte: IlineOpt = 189,
    xline_byte: XlineOpt = 193,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write each curve's reconstruction (<CURVE>_RECON) and the per-sample error.

    One output row per input row, in the input's order (a LAS file's repeated depths included).

    Example: geoae reconstruct model/ well.las --out recon.csv
    """
    if _another_rank("reconstruct"):
        return
    from . import workflows

    _report(workflows.reconstruct(model, data, out, force=force, chunk_rows=chunk_rows,
                                  iline=iline_byte, xline=xline_byte), as_json, quiet,
            "reconstructed")


@app.command()
def detect(
    model: Annotated[Path, typer.Argument(help="Model folder from `geoae train`.")],
    data: Annotated[Path, typer.Argument(help="LAS file, folder or table with the model's curves.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV, Parquet or LAS output, as its name "
                                                         "ends (.las: one well; a LAS input's "
                                                         "headers and curves kept); an "
                                                         "_intervals.csv is written beside it.")],
    contamination: Annotated[float, typer.Option(help="Expected share of anomalous samples.")] = 0.01,
    plot: Annotated[bool, typer.Option("--plot", help="Also write log-track PNGs: for --out "
                                                      "scores.csv, scores.png for one well, "
                                                      "scores_<well>.png per well for several "
                                                      "(past 20 wells, the 20 most flagged).")] = False,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Score every sample by reconstruction error, flag anomalies and list flagged intervals.

    Each row of DATA, in its order, gets ANOMALY_SCORE, FLAG and every curve's share of the
    error (which log is bad).
    An impossible reading (a zero or negative resistivity, or a value outside its curve's
    physical range in the file's unit, e.g. DT 1 us/ft) is flagged and named in the INVALID
    column (a 0/1 curve in a LAS output; the curve is named in the intervals file).

    Example: geoae detect model/ well.las --out scores.csv --contamination 0.01 --plot
    """
    if _another_rank("detect"):
        return
    from . import workflows

    summary = workflows.detect(model, data, out, contamination=contamination, plot=plot, force=force)
    _report(summary, as_json, quiet, "detected")


@app.command()
def impute(
    data: Annotated[Path, typer.Argument(help="LAS file, folder of well files, CSV or Parquet table.")],
    curve: Annotated[str, typer.Option(help="Curve to fill, e.g. PE.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file, in the format its name "
                                                         "ends with (.las, .csv, .tsv or "
                                                         ".parquet), or folder (when DATA is a "
                                                         "folder).")],
    curves: Annotated[str | None, typer.Option(help="Curves to learn from (default: all numeric "
                                                      "but positions, depths, drilling parameters "
                                                      "and labels).")] = None,
    model: Annotated[str, typer.Option(help="dae, or vae for an uncertainty (<CURVE>_IMPUTED_STD).")] = "dae",
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs (default: the imputer's).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    log10: Annotated[bool, typer.Option("--log10/--no-log10", help="Model resistivity curves as "
                                                                   "log10 (filled values in "
                                                                   "ohm.m).")] = True,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Fill the gaps of one curve from the others; adds <CURVE>_IMPUTED next to the original.

    LAS in gives LAS out with every header kept; a folder gives a folder; CSV gives CSV (or
    LAS, for one well, when --out ends in .las).

    Example: geoae impute wells/ --curve PE --out wells_imputed/
    """
    from . import workflows

    summary = workflows.impute(data, curve, out, curves=workflows.parse_curves(curves), model=model,
                               epochs=epochs, random_state=seed, verbose=not (quiet or as_json),
                               force=force, log10=log10)
    _report(summary, as_json, quiet, "imputed")


@app.command()
def denoise(
    inputs: Annotated[list[Path], typer.Argument(
        help="[MODEL] INPUT.sgy: the SEG-Y file to denoise, after the folder of a denoiser kept "
             "by an earlier run's --save-model (else one is trained on INPUT).",
        metavar="[MODEL] INPUT")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output SEG-Y (headers copied byte for byte).")],
    chunk: Annotated[int, typer.Option(help="Traces per chunk (memory bound).")] = 1024,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs of the self-supervised fit "
                                                    "(default 60, with early stopping).")] = None,
    train_traces: Annotated[int, typer.Option(help="Traces used to fit the denoiser.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    save_model: Annotated[Path | None, typer.Option(
        help="Keep the denoiser trained on INPUT in this folder, to denoise other files of the "
             "survey with it: geoae denoise FOLDER other.sgy --out ...")] = None,
    iline_byte: IlineOpt = 189,
    xline_byte: XlineOpt = 193,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Suppress random noise in a SEG-Y file, chunk by chunk; every header is kept.

    Without a model, a convolutional denoiser is first fitted on the input's own noisy traces
    (self-supervised, Noisier2Noise).

    Example: geoae denoise line.sgy --out line_denoised.sgy --save-model den
             geoae denoise den line2.sgy --out line2_denoised.sgy
    """
    if len(inputs) == 2 and _another_rank("denoise with a saved denoiser"):
        return
    from . import workflows

    summary = workflows.denoise(list(inputs), out, chunk_traces=chunk, epochs=epochs,
                                max_train_traces=train_traces, random_state=seed,
                                verbose=not (quiet or as_json), force=force,
                                save_model=save_model, iline=iline_byte, xline=xline_byte)
    _report(summary, as_json, quiet, "denoised")


@app.command()
def features(
    inputs: Annotated[list[Path], typer.Argument(
        help="[MODEL] DATA: the wells (LAS file, folder of well files, CSV or Parquet table), "
             "after the folder of a context encoder kept by an earlier run's --save-model "
             "(else one is trained on DATA, without labels).",
        metavar="[MODEL] DATA")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV, Parquet or LAS output, as its "
                                                         "name ends (.las: one well; a LAS "
                                                         "input's headers and curves kept).")],
    curves: Annotated[str | None, typer.Option(help="Curves to encode (default: all numeric but "
                                                      "positions, depths, drilling parameters "
                                                      "and labels).")] = None,
    context: Annotated[int | None, typer.Option(help="Samples above and below each row in its "
                                                     "window (training; default 8).")] = None,
    latent: Annotated[int | None, typer.Option(help="Numbers per code, CONTEXT_0, ... "
                                                    "(training; default 1).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs (default 150).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    log10: Annotated[bool | None, typer.Option("--log10/--no-log10", help="Model resistivity "
                                                                          "curves as log10 "
                                                                          "(training; default "
                                                                          "on).")] = None,
    save_model: Annotated[Path | None, typer.Option(
        help="Keep the context encoder trained on DATA in this folder, to give other wells "
             "the same codes: geoae features FOLDER other_wells/ --out ...")] = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write each row's context code: what its depth neighbours add to its own readings.

    A ContextEncoder (an auto-encoder of +-CONTEXT-sample windows whose decoder is given the
    window's centre row) is pre-trained on every row of DATA without labels; its CONTEXT_*
    columns, beside the logs, are features for a facies classifier. Every input row is kept,
    in its order.

    Example: geoae features wells/ --out features.csv --save-model ctx
             geoae features ctx new_well.las --out new_well_features.las
    """
    if len(inputs) == 2 and _another_rank("features with a saved encoder"):
        return
    from . import workflows

    with _options_named(latent_dim="--latent", epochs="--epochs", context="--context"):
        summary = workflows.features(list(inputs), out, curves=workflows.parse_curves(curves),
                                     context=context, latent=latent, epochs=epochs,
                                     random_state=seed, verbose=not (quiet or as_json),
                                     force=force, log10=log10, save_model=save_model)
    _report(summary, as_json, quiet, "features")


@app.command()
def generate(
    model: Annotated[Path, typer.Argument(help="Folder of a VAE from `geoae train --model vae`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV or Parquet output.")],
    n: Annotated[int, typer.Option("-n", help="Number of samples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Sample synthetic multi-curve log values from a VAE, in the curves' units.

    Example: geoae generate model/ -n 1000 --out samples.csv
    """
    if _another_rank("generate"):
        return
    from . import workflows

    with _options_named(n="-n", random_state="--seed"):
        summary = workflows.generate(model, n, out, random_state=seed, force=force)
    _report(summary, as_json, quiet, "generated")


@app.command()
def info(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    as_json: JsonOpt = False,
) -> None:
    """Show a model's parameters, curves and training-history summary.

    Example: geoae info model/
    """
    from . import workflows

    _report(workflows.info(model), as_json, False, f"model {model}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report and outputs.")] = Path(
        "geoae-demo"),
    fast: Annotated[bool, typer.Option("--fast", help="Smaller data, fewer epochs (about half a "
                                                      "minute; the full demo 1-2 minutes).")] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace the files of an earlier demo "
                                                        "in OUT.")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the whole story on built-in data and write OUT/report.html.

    Imputes PE in a Kansas well, flags tool faults on synthetic wells, maps the latent space
    beside PCA, samples logs from a VAE and denoises a synthetic seismic section; prints every
    metric against its baseline. The files of an earlier demo in OUT are replaced only with
    --force.

    Example: geoae demo --out geoae-demo --fast
    """
    from .demo import run_demo

    verbose = not (quiet or as_json)
    result = run_demo(out, fast=fast, seed=seed, force=force,
                      log=(lambda m: typer.echo(f"  {m}")) if verbose else None)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"geoae demo ({result['seconds']:.0f} s) - report: {result['report']}")
    for col in ("task", "metric", "geoae", "baseline", "baseline", "better?"):
        table.add_column(col)
    for m in result["metrics"]:
        table.add_row(m["task"], m["metric"], f"{m['geoae']:.4g}", f"{m['baseline']:.4g}",
                      m["baseline_name"], "yes" if m["met"] else "no")
    Console(width=160).print(table)


def _write_error_log(text: str) -> Path:
    """Write ``text`` to a new file of its own in the temporary folder and return its path: a
    fixed name there could be another user's file (unwritable) or a planted link, and two
    failures would overwrite each other's details. The file is readable by its owner only."""
    fd, name = tempfile.mkstemp(prefix="geoae-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return Path(name)


#: The signals that end a command cleanly: Ctrl-C (SIGINT), SIGTERM (a batch scheduler ending
#: the job) and, where the platform has them, SIGHUP (the terminal or SSH session closed) and
#: SIGBREAK (Windows: Ctrl-Break, or the console window closed).
_END_SIGNALS = tuple(getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name))

class Terminated(BaseException):
    """SIGINT (Ctrl-C), SIGTERM or SIGHUP received. Raised in the main thread, so that every ``finally`` and
    context manager runs (temporary outputs are removed) where the default action would kill
    the process on the spot; not an ``Exception``, so that no ``except Exception`` swallows it.
    ``signum`` is the signal's number."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While active (main thread only), SIGINT, SIGTERM and SIGHUP raise :class:`Terminated`
    (Ctrl-C too: click would otherwise end it silently with exit code 130); a second
    one is ignored so that it cannot cut the cleanup short (SIGKILL still ends the process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        for sig in _END_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise Terminated(signum)

    saved = {sig: signal.signal(sig, handler) for sig in _END_SIGNALS}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


def _has_checkpoint(args: list[str]) -> bool:
    """Whether the ``--out`` folder of a ``geoae train`` command line holds a checkpoint."""
    from .training import CHECKPOINT_FILE

    out = None
    for i, a in enumerate(args):
        if a in ("--out", "-o") and i + 1 < len(args):
            out = args[i + 1]
        elif a.startswith("--out="):
            out = a.split("=", 1)[1]
    try:
        return out is not None and (Path(out) / CHECKPOINT_FILE).is_file()
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geoae`` command; returns the exit code.

    Usage errors (unknown option, missing argument, a value of the wrong type) are one line,
    ``error: ... See 'geoae CMD --help'.``, with exit code 2; with ``--json``, every failure
    also prints ``{"error": "...", "exit_code": N}`` on stdout;
    Ctrl-C, SIGTERM and SIGHUP end with one line and exit code 130, 143 and 129, all after every
    output in progress has been discarded (outputs are written to temporary files and renamed
    only when complete; a training checkpoint already written stays, for ``geoae train
    --resume``).
    """
    from .errors import GeoAEError

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        if _main_process():  # under torchrun, rank 0 alone speaks: one line, not one per rank
            typer.echo(f"warning: {' '.join(str(message).split())}", err=True)

    # click's exceptions, from typer's own copy of click (typer >= 0.25) or from click
    base = typer.BadParameter.__mro__
    usage_error = next(c for c in base if c.__name__ == "UsageError")
    click_error = next(c for c in base if c.__name__ == "ClickException")
    no_args = getattr(sys.modules[usage_error.__module__], "NoArgsIsHelpError", ())

    args = sys.argv[1:] if argv is None else [str(a) for a in argv]
    as_json = "--json" in args[:args.index("--")] if "--" in args else "--json" in args

    def fail(line: str, code: int) -> int:
        """Say ``line`` on stderr; with ``--json``, also ``{"error": ..., "exit_code": ...}``
        on stdout, so that a script reading stdout gets JSON whatever happened."""
        typer.echo(line, err=True)
        if as_json:
            typer.echo(json.dumps({"error": line.split(": ", 1)[-1], "exit_code": code}))
        return code

    saved, warnings.showwarning = warnings.showwarning, one_line_warning
    # a character the output's encoding lacks (a Polish well name in a table printed to a
    # Windows pipe, cp1252) is escaped, not a UnicodeEncodeError after the work is done
    strict = getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure")
    if strict:
        with contextlib.suppress(ValueError, OSError):
            sys.stdout.reconfigure(errors="backslashreplace")
    try:
        with _sigterm_raises():
            # not standalone: click's usage errors come here, to be said on one line
            code = app(args=argv, prog_name="geoae", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except no_args as exc:  # `geoae` alone: its help, exit 2
        exc.show()
        return exc.exit_code
    except usage_error as exc:  # unknown option, missing argument, bad value
        if not _main_process():
            return exc.exit_code
        path = exc.ctx.command_path if exc.ctx is not None else "geoae"
        said = " ".join(exc.format_message().split())
        said = said if said.endswith("?") else said.rstrip(".") + "."
        return fail(f"error: {said} See '{path} --help'.", exc.exit_code)
    except click_error as exc:
        return fail(f"error: {' '.join(exc.format_message().split())}", exc.exit_code)
    except typer.Abort:
        return fail("geoae: aborted; no file was left half-written", 1)
    except Terminated as exc:
        if not _main_process():  # under torchrun, rank 0 speaks (the others are ended with it)
            return 128 + exc.signum
        command = next((a for a in args if not a.startswith("-")), "")
        hint = ("; the last checkpoint in the model folder is kept: rerun with --resume to "
                "continue" if command == "train" and _has_checkpoint(args) else "")
        name = signal.Signals(exc.signum).name
        what = "interrupted (Ctrl-C)" if name == "SIGINT" else f"terminated ({name})"
        # every file is written whole or not at all; impute into a folder and detect take back
        # their set (_atomic.output_set); the demo keeps its finished stages' files
        return fail(f"geoae: {what}; no file was left half-written{hint}", 128 + exc.signum)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except GeoAEError as exc:
        # under torchrun every rank meets the same bad input: rank 0 says it once; an error of
        # one rank alone (its own copy of the data, say) is said by that rank
        own = getattr(exc, "rank_only", None)
        if _main_process() or own is not None:
            where = f"[rank {own}] " if own is not None and not _main_process() else ""
            return fail(f"error: {where}{' '.join(str(exc).split())}", 2)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence of the CLI
        said = _environment_error(exc)
        if said is not None:  # the machine, not geoae: exit 2 with one line, as bad input
            return fail(f"error: {said}", 2) if _main_process() else 2
        try:
            where = f"; details in {_write_error_log(traceback.format_exc())}"
        except OSError:
            where = ""
        said = " ".join(str(exc).split())  # one line, whatever the exception's text holds
        return fail(f"geoae: unexpected error ({type(exc).__name__}: {said}){where}. "
                    "Please report it.", 1)
    finally:
        warnings.showwarning = saved
        if strict:
            with contextlib.suppress(ValueError, OSError):
                sys.stdout.reconfigure(errors="strict")


def _environment_error(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of geoae (a full disk, a quota, a
    read-only file system), else None; the exception's causes are looked through (a library
    may wrap the OSError, or only quote its text, as safetensors does)."""
    import errno

    known = {errno.ENOSPC: "no space left on the device", errno.EROFS: "read-only file system"}
    if hasattr(errno, "EDQUOT"):
        known[errno.EDQUOT] = "disk quota exceeded"
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in known:
            where = f" writing {e.filename}" if getattr(e, "filename", None) else ""
            return (f"{known[e.errno]}{where}; free some space (or write elsewhere) and rerun: "
                    "no file was left half-written")
        text = str(e)
        if isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and any(
                k in text for k in ("can't allocate memory", "not enough memory", "out of memory"))):
            asked = re.search(r"allocate (\d+)( bytes)?\b", text)
            first = (f"{int(asked.group(1)) / 2**30:,.1f} GiB asked for" if asked
                     else " ".join(text.split())[:160])
            return ("out of memory" + (f" ({first})" if first else "") + "; an option may ask "
                    "for more than this machine holds (--latent, --context, -n, --batch-size, "
                    "--chunk-rows): lower it and rerun; no file was left half-written")
        if "No space left on device" in text:
            return ("no space left on the device; free some space (or write elsewhere) and "
                    "rerun: no file was left half-written")
        if (os.environ.get("WORLD_SIZE", "1") not in ("", "0", "1") and isinstance(e, RuntimeError)
                and any(k in text for k in ("Timed out", "timed out", "Connection closed by peer",
                                            "Connection reset by peer"))):
            first = " ".join(text.split())[:160]
            return ("another process of this torchrun job stopped answering (stalled, killed "
                    f"or out of memory): {first}; see that process's log (the wait is "
                    "GEOAE_DIST_TIMEOUT seconds, 1800 by default)")
        e = e.__cause__ or e.__context__
    return None


def _main_process() -> bool:
    """Whether this process speaks (rank 0 under torchrun). Without importing torch: a signal
    can arrive while ``import torch`` is half done, and importing it again then fails."""
    dist = sys.modules.get("geoae.distributed")
    if dist is not None and hasattr(dist, "is_main_process"):
        try:
            return bool(dist.is_main_process())
        except Exception:  # noqa: BLE001 - a half-initialised torch: fall back on RANK
            pass
    try:  # as geoae.preprocessing.rank_zero_by_env, without importing anything
        return int(os.environ.get("WORLD_SIZE", "1")) <= 1 or int(os.environ.get("RANK", "0")) == 0
    except ValueError:
        return True


def _entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    _entry()
