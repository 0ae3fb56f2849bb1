"""Distributed training under torchrun: 2 CPU processes with the gloo backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

import geoae
from geoae.datasets import make_synthetic_wells

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="this torch build has no torch.distributed")
SCRIPT = Path(__file__).parent / "scripts" / "ddp_fit.py"


def torchrun(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _single_process_relative_mse(name: str) -> float:
    rng = np.random.default_rng(0)  # the worker's data
    latent = rng.normal(size=(1203, 2))
    X = latent @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(1203, 6))
    cls = geoae.AutoEncoder if name == "ae" else geoae.VAE
    est = cls(latent_dim=2, hidden=(16,), epochs=40, batch_size=128, patience=10, learning_rate=3e-3,
              validation_fraction=0.2, random_state=0, device="cpu").fit(X)
    return float(((est.reconstruct(X) - X) ** 2).mean() / X.var(0).mean())


def test_two_gloo_ranks_end_with_identical_weights_and_one_loadable_model(tmp_path):
    from geoae.datasets import make_synthetic_seismic
    from test_streaming import write_segy_file

    traces = make_synthetic_seismic(n_traces=610, n_samples=32, random_state=0).noisy
    sgy = write_segy_file(tmp_path / "survey.sgy", np.asarray(traces, dtype=np.float32))
    torchrun(SCRIPT, tmp_path, sgy)
    n0 = load_file(tmp_path / "noseed_rank0.safetensors")
    n1 = load_file(tmp_path / "noseed_rank1.safetensors")
    assert all(torch.equal(n0[k], n1[k]) for k in n0)  # random_state=None: rank 0's seed everywhere
    # DDP resume: each rank's noise stream continues from the checkpoint, so an interrupted
    # and resumed run equals the uninterrupted one bitwise, on both ranks
    d = {(tag, r): load_file(tmp_path / f"dae_{tag}_rank{r}.safetensors")
         for tag in ("straight", "resumed") for r in (0, 1)}
    for k in d["straight", 0]:
        assert all(torch.equal(d["straight", 0][k], v[k]) for v in d.values()), k
    # streamed SEG-Y, uneven shards (7 and 6 chunks): the ranks stop together each epoch
    s0 = load_file(tmp_path / "segy_rank0.safetensors")
    s1 = load_file(tmp_path / "segy_rank1.safetensors")
    assert all(torch.equal(s0[k], s1[k]) for k in s0)
    h = [json.loads((tmp_path / f"segy_rank{r}.json").read_text())["history"] for r in (0, 1)]
    assert h[0] == h[1] and len(h[0]["loss"]) == 3
    for name in ("ae", "vae"):
        w0 = load_file(tmp_path / f"{name}_rank0.safetensors")
        w1 = load_file(tmp_path / f"{name}_rank1.safetensors")
        assert w0.keys() == w1.keys()
        for k in w0:
            assert torch.equal(w0[k], w1[k]), k  # bitwise: gradients averaged, same updates
        info = [json.loads((tmp_path / f"{name}_rank{r}.json").read_text()) for r in (0, 1)]
        assert info[0]["world"] == info[1]["world"] == 2
        # losses reduced across ranks: the same history (and early stopping) on both
        assert info[0]["history"] == info[1]["history"]
        h = info[0]["history"]
        assert h["val_loss"][h["best_epoch"][0]] < h["val_loss"][0] or h["best_epoch"][0] == 0
        # rank 0 alone wrote the model folder; it loads and equals the ranks' weights
        model = geoae.load(tmp_path / name)
        for k, v in model.model_.state_dict().items():
            assert torch.equal(v, w0[k]), k
        assert (tmp_path / name / "checkpoint.safetensors").is_file()
        # the distributed fit learns as well as one process with the same global batch (2 x 64)
        single = _single_process_relative_mse(name)
        assert info[0]["relative_mse"] < max(1.5 * single, 0.05), (name, info[0], single)


def test_geoae_train_under_torchrun_writes_one_model(tmp_path):
    obs = make_synthetic_wells(n_wells=2, n_samples=300, random_state=0).observed
    data = tmp_path / "wells.csv"
    obs[["WELL", "DEPTH", "GR", "RHOB", "NPHI"]].assign(FACIES=1).to_csv(data, index=False)
    proc = torchrun("-m", "geoae", "train", data, "--latent", 2,
                    "--epochs", 3, "--out", tmp_path / "model", "--json")
    summaries = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1  # rank 0 alone reports
    # and warns: FACIES left out of the default curves, said once (it was once per process)
    assert proc.stderr.count("left out of the default curves") == 1, proc.stderr
    model = geoae.load(tmp_path / "model")
    assert list(model.feature_names_in_) == ["GR", "RHOB", "NPHI"]
    rec = model.reconstruct(obs[["GR", "RHOB", "NPHI"]].dropna())
    assert isinstance(rec, pd.DataFrame) and np.isfinite(rec.to_numpy()).all()


def test_impute_and_reconstruct_under_torchrun_write_their_output_once(tmp_path):
    """impute trains under DDP on every rank and rank 0 alone writes (every rank wrote the same
    file); reconstruct trains nothing and runs in rank 0 alone (every rank did the whole work,
    and one could fail with "exists" when another had written the output first)."""
    from geoae.cli import main

    obs = make_synthetic_wells(n_wells=2, n_samples=300, random_state=0, faults=False).observed
    obs.loc[obs.index[40:80], "PE"] = np.nan
    data = tmp_path / "wells.csv"
    obs[["WELL", "DEPTH", "GR", "RHOB", "NPHI", "PE"]].to_csv(data, index=False)
    filled = tmp_path / "filled.csv"
    proc = torchrun("-m", "geoae", "impute", data, "--curve", "PE", "--out", filled,
                    "--epochs", 2, "--json")
    assert sum(line.startswith("{") for line in proc.stdout.splitlines()) == 1
    out = pd.read_csv(filled)
    assert len(out) == len(obs) and out["PE_IMPUTED"].notna().all()
    assert main(["train", str(data), "--curves", "GR,RHOB,NPHI", "--epochs", "2", "--out",
                 str(tmp_path / "model"), "--quiet"]) == 0
    recon = tmp_path / "recon.csv"
    proc = torchrun("-m", "geoae", "reconstruct", tmp_path / "model", data, "--out", recon,
                    "--json")
    assert sum(line.startswith("{") for line in proc.stdout.splitlines()) == 1
    assert proc.stderr.count("rank 0 does it alone") == 1, proc.stderr
    assert len(pd.read_csv(recon)) == len(obs)


def test_a_bad_input_under_torchrun_is_said_once_without_a_resume_hint(tmp_path):
    """Every rank meets the same bad --curves: the error was printed once per rank, and a rank
    ended by torchrun said "the last checkpoint ... rerun with --resume" (nothing was trained)."""
    obs = make_synthetic_wells(n_wells=2, n_samples=100, random_state=0).observed
    data = tmp_path / "wells.csv"
    obs[["WELL", "DEPTH", "GR", "RHOB"]].to_csv(data, index=False)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "geoae", "train", str(data), "--curves", "GR,NOPE", "--epochs", "1", "--out",
           str(tmp_path / "m"), "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode != 0  # (torchrun's own code, 1, with its report of the failure)
    assert proc.stderr.count("error: curve(s) ['NOPE'] not found") == 1, proc.stderr
    assert "--resume" not in proc.stderr and not (tmp_path / "m").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_nodes(script: Path, tmp_path: Path, timeout: float = 180) -> None:
    """Run ``script`` as ``torchrun --nnodes=2 --nproc_per_node=1`` on this machine, node ``r`` in
    its own folder ``tmp_path / f"node{r}"``, and assert that both nodes exit cleanly."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    port = _free_port()
    procs, logs = [], []
    for node in (0, 1):
        (tmp_path / f"node{node}").mkdir()
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node_rank={node}",
               "--nproc_per_node=1", "--master_addr=127.0.0.1", f"--master_port={port}", script]
        logs.append(tmp_path / f"node{node}.log")
        with open(logs[-1], "w") as log:  # files, not pipes: neither process can block on output
            procs.append(subprocess.Popen(cmd, cwd=tmp_path / f"node{node}", env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    try:
        for p in procs:
            p.wait(timeout=timeout)  # the workers give up after 60 s in a collective
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()  # torchrun passes SIGTERM on to its workers
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log.read_text()[-3000:]


def test_two_nodes_without_a_shared_filesystem_resume_from_rank_0s_checkpoint(tmp_path):
    """``torchrun --nnodes=2``, one process per node, each node in its own folder: every process
    is local rank 0, rank 1 never sees rank 0's checkpoint on disk, and the interrupted and
    resumed fit must still equal the uninterrupted one on both ranks (before rank 0 broadcast
    the checkpoint, rank 1 restarted from scratch and the two ranks hung)."""
    run_two_nodes(Path(__file__).parent / "scripts" / "ddp_nodes.py", tmp_path)
    info = [json.loads((tmp_path / f"node{r}" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(i["world"], i["local_rank"], i["node"]) for i in info] == [(2, 0, 0), (2, 0, 1)]
    assert info[0]["history"] == info[1]["history"]
    w = {(tag, r): load_file(tmp_path / f"node{r}" / f"{tag}_rank{r}.safetensors")
         for tag in ("straight", "resumed") for r in (0, 1)}
    for k in w["straight", 0]:
        assert all(torch.equal(w["straight", 0][k], v[k]) for v in w.values()), k
    # rank 0 alone wrote: the model folder is on node 0's disk only
    assert not (tmp_path / "node1" / "model").exists()
    model = geoae.load(tmp_path / "node0" / "model")
    for k, v in model.model_.state_dict().items():
        assert torch.equal(v, w["resumed", 0][k]), k


def test_more_processes_than_gpus_train_on_the_cpu_or_say_why(monkeypatch):
    """torchrun with 2 processes on a 1-GPU machine (seen on a GPU test machine): "auto" must
    pick the CPU on every process (the same backend everywhere), and an explicit CUDA request
    must fail with a clear message instead of CUDA's "invalid device ordinal"."""
    from geoae import ConfigError
    from geoae import distributed as gdist
    from geoae.training import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert gdist.gpu_per_local_rank() and resolve_device("auto").type == "cuda"
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert not gdist.gpu_per_local_rank()
    assert resolve_device("auto").type == "cpu"
    monkeypatch.setattr(gdist, "is_distributed", lambda: True)
    with pytest.raises(ConfigError, match="nproc_per_node=1"):
        gdist.local_device(torch.device("cuda"))
    assert gdist.local_device(torch.device("cpu")).type == "cpu"


def _two_nodes_cli(tmp_path: Path, args: list[str], timeout: float = 150) -> list[tuple[int, str]]:
    """``torchrun --nnodes=2 --nproc_per_node=1 -m geoae ARGS``, node ``r`` in ``tmp_path /
    f"node{r}"`` (made by the caller, each with its own copy of the data); ``(exit code, log)``
    of each node. A node still running after ``timeout`` is a failure: the hang being tested."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    port = _free_port()
    procs, logs = [], []
    for node in (0, 1):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node_rank={node}",
               "--nproc_per_node=1", "--master_addr=127.0.0.1", f"--master_port={port}",
               "-m", "geoae", *map(str, args)]
        logs.append(tmp_path / f"node{node}.log")
        with open(logs[-1], "w") as log:
            procs.append(subprocess.Popen(cmd, cwd=tmp_path / f"node{node}", env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    hung = False
    try:
        for p in procs:
            p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        hung = True
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert not hung, "a node was still waiting: " + " | ".join(log.read_text()[-1500:] for log in logs)
    return [(p.returncode, log.read_text()) for p, log in zip(procs, logs, strict=True)]


@pytest.mark.parametrize("fault", ["bad file", "missing file", "scaled copy"])
def test_one_nodes_bad_copy_of_the_data_stops_both_nodes_with_a_message(tmp_path, fault):
    """Two machines, each with its own copy of a folder of wells: an unreadable file in node 1's
    copy ended node 1 silently (its error was left to rank 0 to print) while node 0 waited 30
    minutes for it; a copy lacking one well made the ranks take different numbers of steps and
    wait for each other until the timeout (an audit)."""
    from geoae.io import write_las

    obs = make_synthetic_wells(n_wells=3, n_samples=150, random_state=0).observed
    for node in (0, 1):
        wells = tmp_path / f"node{node}" / "wells"
        wells.mkdir(parents=True)
        for name, well in obs.groupby("WELL"):
            if fault == "missing file" and node == 1 and name == obs.WELL.iloc[-1]:
                continue
            if fault == "scaled copy" and node == 1:  # GR of another calibration: it scales alike
                well = well.assign(GR=well["GR"] * 1.01)
            write_las(well[["DEPTH", "GR", "RHOB", "NPHI"]], wells / f"{name}.las")
    if fault == "bad file":
        (tmp_path / "node1" / "wells" / "zz.las").write_text("not a LAS file\n")
    (rc0, log0), (rc1, log1) = _two_nodes_cli(
        tmp_path, ["train", "wells", "--curves", "GR,RHOB,NPHI", "--epochs", "2", "--out", "m", "-q"])
    assert rc0 != 0 and rc1 != 0
    assert not (tmp_path / "node0" / "m" / "model.safetensors").exists()
    if fault == "bad file":
        assert "error: process(es) of rank [1] failed to read wells" in log0, log0[-2000:]
        assert "error: [rank 1] wells/zz.las: not a LAS file" in log1, log1[-2000:]
    else:
        assert "error: the processes of this torchrun job hold different training data" in log0, \
            log0[-2000:]


def test_torchrun_trains_a_small_segy(tmp_path):
    """A SEG-Y of fewer traces than 2 processes x 1024 (one chunk) could not be trained under
    torchrun from the command line ('1 chunks for 2 processes'; geoae train has no chunk
    option): it is cut into smaller chunks now."""
    from geoae.datasets import make_synthetic_seismic
    from test_streaming import write_segy_file

    traces = make_synthetic_seismic(n_traces=200, n_samples=32, random_state=0).noisy
    sgy = write_segy_file(tmp_path / "line.sgy", np.asarray(traces, dtype=np.float32))
    proc = torchrun("-m", "geoae", "train", sgy, "--epochs", "2", "--out", tmp_path / "m", "-q")
    assert geoae.load(tmp_path / "m").input_shape_ == (32,), proc.stderr[-2000:]


def test_denoiser_and_imputer_share_rank_0s_seed(tmp_path):
    """With random_state=None each rank drew its own seed, so its own train/validation split:
    the ranks trained on different rows (and, once the ranks' data were compared, the fit
    stopped with 'different training data'; a review)."""
    torchrun(Path(__file__).parent / "scripts" / "ddp_apps.py", tmp_path)
    info = [json.loads((tmp_path / f"apps_rank{r}.json").read_text()) for r in (0, 1)]
    assert info[0]["world"] == 2 and info[0] == info[1]


def test_the_data_checksum_sees_order_and_is_blockwise():
    from geoae.training import _checksum

    X = torch.from_numpy(np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32))
    X[5, 1] = float("nan")
    mask = torch.isfinite(X)
    whole = _checksum(X, mask)
    assert np.isfinite(whole)
    assert abs(_checksum(X, mask, rows=7) - whole) < 1e-9 * abs(whole)
    assert abs(_checksum(X.flip(0), mask.flip(0)) - whole) > 1e-6 * abs(whole)
