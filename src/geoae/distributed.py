"""Distributed training helpers: geoae under ``torchrun`` with PyTorch's own engine.

``torchrun --nproc_per_node=N`` (and ``--nnodes=M`` for several machines) starts N processes with
the environment variables ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT``. Every geoae ``fit`` then:

* joins the process group (:func:`init_from_env`: NCCL on CUDA, gloo on CPU) unless the caller
  already did,
* wraps the network in :class:`torch.nn.parallel.DistributedDataParallel` (gradients averaged
  across ranks at every step),
* trains each rank on its own share of every epoch's shuffled rows (as
  :class:`torch.utils.data.DistributedSampler` does: the same permutation on every rank, rank
  ``r`` takes rows ``r, r + N, r + 2N, ...``, padded so that all ranks take the same number of
  steps) and validates each rank on its share of the validation rows,
* sums losses across ranks (so the history, the NaN guard and early stopping are identical on
  every rank),
* writes checkpoints, model files and progress output on rank 0 only.

Outside torchrun nothing changes: a single process trains as before.
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = ["init_from_env", "is_distributed", "rank", "world_size", "is_main_process", "barrier",
           "local_device", "gpu_per_local_rank", "broadcast_int", "broadcast_bytes",
           "all_ranks_have"]


def _env_world() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


#: Environment variable: seconds a process waits for the others in a collective call before
#: the job fails (default 1800); a stalled or dead process then ends the job with one line.
TIMEOUT_VARIABLE = "GEOAE_DIST_TIMEOUT"


def group_timeout() -> float:
    """The process group's timeout in seconds: ``GEOAE_DIST_TIMEOUT``, else 1800."""
    from .errors import ConfigError

    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return 1800.0
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value < float("inf")):
        raise ConfigError(f"{TIMEOUT_VARIABLE}={raw!r} is not valid: a positive number of seconds")
    return value


def init_from_env(timeout_s: float | None = None) -> bool:
    """Join the process group described by torchrun's environment variables, once.

    Returns True when this process is part of a group of more than one process. Without
    ``WORLD_SIZE > 1`` in the environment (a plain ``python`` run) it does nothing. The
    group's timeout is ``timeout_s``, else :func:`group_timeout` (``GEOAE_DIST_TIMEOUT``).
    """
    if not dist.is_available():
        return False
    if dist.is_initialized():
        return dist.get_world_size() > 1
    if _env_world() <= 1:
        return False
    if gpu_per_local_rank() and dist.is_nccl_available():
        # NCCL for CUDA tensors, gloo for CPU ones (a device="cpu" fit on a GPU machine)
        backend = "cpu:gloo,cuda:nccl"
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    else:  # no GPU, or more processes on this machine than GPUs: CPU training
        backend = "gloo"
    timeout_s = group_timeout() if timeout_s is None else timeout_s
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    _agree_on_gpus()
    return dist.get_world_size() > 1


#: Whether every process of the job has a GPU of its own (decided once, by all ranks together,
#: when geoae joins the process group); None before that, or when the caller made the group.
_JOB_GPUS: bool | None = None


def _agree_on_gpus() -> None:
    """One MIN all-reduce over the ranks (a CPU tensor: gloo, in either backend geoae starts):
    machines with different GPU counts or ``--nproc_per_node`` then take the same device under
    ``device="auto"`` instead of training on CUDA on one machine and on the CPU on another."""
    global _JOB_GPUS
    flag = torch.tensor([int(gpu_per_local_rank())])
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    _JOB_GPUS = bool(flag.item())
    if torch.cuda.is_available() and not _JOB_GPUS and dist.get_rank() == 0:
        import warnings

        warnings.warn("torchrun started more processes than there are GPUs on at least one "
                      "machine: device='auto' trains on the CPU on every rank; start at most "
                      "one process per GPU (--nproc_per_node) to train on the GPUs",
                      RuntimeWarning, stacklevel=3)


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's global rank (0 outside an initialised process group of several)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """Rank 0 (or a single process): the one that writes files and prints. Before the group is
    initialised, torchrun's ``RANK`` variable decides (so that rank 1 never prints), when
    ``WORLD_SIZE`` says there are several processes: a stray ``RANK`` left in the environment
    of a single process (a job script's) is ignored, else that process would write nothing."""
    if is_distributed():
        return dist.get_rank() == 0
    from .preprocessing import rank_zero_by_env

    return rank_zero_by_env()


def broadcast_int(value: int) -> int:
    """Rank 0's ``value`` on every rank (``value`` itself outside distributed runs)."""
    if not is_distributed():
        return value
    box = [int(value)]
    dist.broadcast_object_list(box, src=0)
    return int(box[0])


def broadcast_bytes(data: bytes | None) -> bytes | None:
    """Rank 0's ``data`` (bytes or None) on every rank (``data`` itself outside distributed runs).

    An object broadcast, so that it works with any backend (gloo, NCCL alone, or both); only
    bytes or None travel between the job's own ranks, never a model file."""
    if not is_distributed():
        return data
    box = [data if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def all_ranks_have(flag: bool, device: torch.device) -> bool:
    """True when ``flag`` holds on every rank (one small all-reduce)."""
    t = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def on_every_rank(work, what: str):
    """``work()`` on every rank, and its result, when it succeeds everywhere. When it raises on
    some ranks (a bad file in one machine's copy of the data, say), every rank stops: a failing
    rank raises its own error (marked ``rank_only`` so that the command line prints it there too),
    the others a :class:`~geoae.errors.DataError` naming the failing ranks, instead of waiting
    in the next collective call until the group's timeout. Outside distributed runs:
    ``work()``."""
    if not is_distributed():
        return work()
    from .errors import DataError

    error: BaseException | None = None
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - re-raised below, after the vote
        error = exc
    # a CPU tensor in either backend geoae starts (gloo, or "cpu:gloo,cuda:nccl"); a CUDA one
    # in a caller's NCCL-only group
    device = (torch.device("cuda", torch.cuda.current_device())
              if dist.get_backend() == "nccl" else torch.device("cpu"))
    failed = torch.zeros(world_size(), device=device)
    if error is not None:
        failed[rank()] = 1
    dist.all_reduce(failed)
    bad = [int(r) for r in torch.nonzero(failed).flatten()]
    if error is not None:
        if len(bad) < world_size():  # its own failure: it prints it (rank 0 speaks for all)
            error.rank_only = rank()
        raise error
    if bad:
        raise DataError(f"process(es) of rank {bad} failed {what} (their own error is printed "
                        "by them, on their machine); every process stops. Under torchrun on "
                        "several machines each needs the same copy of the data")
    return result


def check_same_data(n: int, checksum: float, device: torch.device) -> None:
    """A :class:`~geoae.errors.DataError` on every rank when the ranks were given different
    in-memory training data (``n`` rows, and ``checksum`` a sum over the data), which would
    have them take different numbers of steps and wait for each other until the timeout."""
    if not is_distributed():
        return
    from .errors import DataError

    t = torch.tensor([float(n), float(checksum)], dtype=torch.float64, device=device)
    hi, lo = t.clone(), t.clone()
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    rows = (int(lo[0].item()), int(hi[0].item()))
    spread = float(hi[1].item() - lo[1].item())
    scale = max(abs(float(hi[1].item())), abs(float(lo[1].item())), 1.0)
    if rows[0] != rows[1] or spread > 1e-6 * scale:
        detail = (f"from {rows[0]} to {rows[1]} rows" if rows[0] != rows[1]
                  else f"{rows[0]} rows each, with different values")
        raise DataError(f"the processes of this torchrun job hold different training data "
                        f"({detail}); each must be given the same data (on several machines: "
                        "the same copy of the files), and geoae shares it out")


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def gpu_per_local_rank() -> bool:
    """True when CUDA is available with at least one GPU for each of torchrun's processes on
    this machine (``LOCAL_WORLD_SIZE``; 1 outside torchrun). The same answer on every process of
    a machine, so that they agree on the backend; once geoae has joined the process group, the
    answer of the whole job (every machine's, see ``_agree_on_gpus``)."""
    if _JOB_GPUS is not None and is_distributed():
        return _JOB_GPUS
    if not torch.cuda.is_available():
        return False
    try:
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    except ValueError:
        local_world = 1
    return local_world <= torch.cuda.device_count()


def local_device(device: torch.device) -> torch.device:
    """Under torchrun on CUDA, each process uses the GPU of its ``LOCAL_RANK``.

    Raises
    ------
    ConfigError
        CUDA was asked for, but torchrun started more processes on this machine than it has GPUs.
    """
    if device.type == "cuda" and device.index is None and is_distributed():
        if not gpu_per_local_rank():
            from .errors import ConfigError

            raise ConfigError(
                f"device='cuda' under torchrun with {os.environ.get('LOCAL_WORLD_SIZE')} processes "
                f"on this machine, which has {torch.cuda.device_count()} GPU(s): start at most "
                f"--nproc_per_node={torch.cuda.device_count()} or train with device='cpu'")
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device
