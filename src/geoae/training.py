"""The one training loop used by every geoae model (:func:`fit_module`).

In-memory data are moved to the device once and batched by slicing a shuffled index tensor (no
per-sample DataLoader). Randomness (weight initialisation done by the caller, shuffling,
corruption, reparameterisation) comes from the global torch RNG seeded inside
``torch.random.fork_rng``, so a seeded fit is bit-identical on CPU and leaves the caller's RNG
state untouched.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._atomic import atomic_path
from .errors import ConfigError, TrainingError

Objective = Callable[[nn.Module, torch.Tensor, "torch.Tensor | None"],
                     tuple[torch.Tensor, dict[str, torch.Tensor]]]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then CPU; other values are checked and returned.

    Under torchrun, ``"auto"`` picks CUDA only when this machine has a GPU for each of its
    processes (else every process trains on the CPU)."""
    from . import distributed as _dist

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if _dist.gpu_per_local_rank():  # CUDA, and a GPU for each of torchrun's processes
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device='cuda' was asked for but CUDA is not available; use device='auto'")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError("device='mps' was asked for but this machine or torch build has no "
                              "Apple GPU (MPS); use device='auto'")
    return dev


def make_optimizer(module: nn.Module, learning_rate: float, weight_decay: float):
    """AdamW for ``module``'s trainable parameters.

    Where they share one device and dtype and this torch build has the fused AdamW kernel for
    them (CPU and CUDA in torch >= 2.4), a :class:`geoae._optim.FlatAdamW`: the parameters
    become views into one buffer and a step is one kernel call (fits of a small network at
    batch 256 about 1.3x faster than with ``AdamW(fused=True)`` on a 2-core CPU, which itself
    is about 2x faster than the loop over parameters; see docs/benchmarks.md); the caller calls
    its ``release()`` when training ends. Else
    ``torch.optim.AdamW`` with the fused kernel, or the multi-tensor ("foreach") version."""
    from ._optim import FlatAdamW

    flat = FlatAdamW.create(module, learning_rate, weight_decay)
    if flat is not None:
        return flat
    params = [p for p in module.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay, foreach=True)


def auto_batch_size(batch_size, device: torch.device, n_train: int) -> int:
    """``batch_size`` as an int; ``"auto"`` is 256 on CPU and, on an accelerator, larger batches
    (up to 1024) as long as an epoch keeps at least 50 steps."""
    if batch_size != "auto":
        return int(batch_size)
    if device.type == "cpu":
        return 256
    return int(min(1024, max(256, n_train // 50)))


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Run a block with the torch RNG seeded, restoring the caller's RNG state afterwards."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _progress(verbose: bool):
    if not verbose:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    # on standard error: standard output is for results (a summary, JSON) a script reads
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TextColumn("{task.fields[msg]}"),
                    TimeRemainingColumn(), transient=False, console=Console(stderr=True))


class _ObjectiveModule(nn.Module):
    """``forward(xb, mb) = objective(module, xb, mb)``: the training step as one module, so that
    DistributedDataParallel (gradient synchronisation) and ``torch.compile`` see it whole."""

    def __init__(self, module: nn.Module, objective: Objective) -> None:
        super().__init__()
        self.module = module
        self.objective = objective

    def forward(self, xb, mb=None):
        return self.objective(self.module, xb, mb)


PRECISIONS = ("auto", "32", "bf16", "16")


def _amp(precision: str, device: torch.device):
    """(autocast context factory, GradScaler or None) for a precision on a device.

    ``"auto"``: bf16 autocast on CUDA devices that support it, else fp16 with a gradient scaler;
    full float32 elsewhere. ``"bf16"`` / ``"16"`` force the mode (fp16 only on CUDA).
    """
    if precision == "auto":
        if device.type != "cuda":
            return contextlib.nullcontext, None
        precision = "bf16" if torch.cuda.is_bf16_supported() else "16"
    if precision == "32":
        return contextlib.nullcontext, None
    if precision == "16":
        if device.type != "cuda":
            raise ConfigError("precision='16' (float16 mixed precision) needs a CUDA device; use "
                              "'bf16' or '32' on this machine")
        scaler = torch.amp.GradScaler("cuda")
        return (lambda: torch.autocast("cuda", dtype=torch.float16)), scaler
    return (lambda: torch.autocast(device.type, dtype=torch.bfloat16)), None


def _slices(X, mask, batch_size, perm=None):
    """Batches of rows: contiguous slices, or the rows ``perm`` names gathered with
    ``index_select`` (a row copy; 3x faster than advanced indexing ``X[idx]`` on CPU)."""
    n = X.shape[0] if perm is None else perm.shape[0]
    for start in range(0, n, batch_size):
        if perm is None:
            rows = slice(start, start + batch_size)
            yield X[rows], (mask[rows] if mask is not None else None)
        else:
            idx = perm[start:start + batch_size]
            yield X.index_select(0, idx), (mask.index_select(0, idx) if mask is not None else None)


def _epoch(step, batches, optimizer=None, grad_clip=None, params=None,
           autocast=contextlib.nullcontext, scaler=None):
    """One pass over ``batches`` (an iterable of ``(xb, mb)``); trains when ``optimizer`` is
    given. Returns ``(keys, sums, count)``: the batch-size-weighted sums of the loss and of each
    term (a float64 tensor) and the number of rows, for reduction across ranks.

    Per step only one small op records the batch's values (a stack of the detached loss and
    terms); they are weighted and summed once at the end of the epoch.
    """
    keys: list[str] | None = None
    values: list[torch.Tensor] = []
    weights: list[int] = []
    for xb, mb in batches:
        with autocast():
            loss, terms = step(xb, mb)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                if grad_clip is not None:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(params, grad_clip)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(params, grad_clip)
                optimizer.step()
        if keys is None:
            keys = ["loss", *terms]
        values.append(torch.stack([loss.detach().float(), *(t.detach().float() for t in terms.values())]))
        weights.append(xb.shape[0])
    if not values:
        return [], None, 0
    stacked = as_float64(torch.stack(values))
    w = torch.tensor(weights, dtype=torch.float64, device=stacked.device)
    return keys, (stacked * w[:, None]).sum(0), int(sum(weights))


def as_float64(t: torch.Tensor) -> torch.Tensor:
    """``t`` as float64, where it is; on the CPU for an Apple GPU (MPS has no float64)."""
    return (t.cpu() if t.device.type == "mps" else t).double()


def _checksum(X: torch.Tensor, mask: torch.Tensor | None, rows: int = 65536) -> float:
    """A sum over the observed entries of ``X``, each row's absolute values weighted by its
    position (the same rows in another order give another sum), computed ``rows`` rows at a
    time (memory bounded by the block, on ``X``'s device)."""
    total = 0.0
    for start in range(0, X.shape[0], rows):
        block = X[start:start + rows]
        if mask is not None:
            block = torch.where(mask[start:start + rows], block, torch.zeros_like(block))
        per_row = as_float64(torch.nan_to_num(block.reshape(len(block), -1).abs(), posinf=0.0,
                                              neginf=0.0)).sum(1)
        weight = 1.0 + (torch.arange(start, start + len(block), device=per_row.device,
                                     dtype=torch.float64) % 1009) / 1009
        total += float((per_row * weight).sum())
    return total


def _in_step(batches, device):
    """Yield ``batches`` while every rank still has one (one tiny all-reduce per step): all
    ranks take the same number of optimizer steps, so weights and optimizer states stay equal.
    The tail of the longer shards is left for another epoch (the chunk order changes)."""
    from . import distributed as _dist

    it = iter(batches)
    while True:
        batch = next(it, None)
        if not _dist.all_ranks_have(batch is not None, device):
            return
        yield batch


def _reduce(keys, sums, count, device) -> dict[str, float]:
    """Mean loss and terms over all ranks' rows (a sum across ranks in distributed runs).

    A rank that saw no rows (``sums`` None) still takes part, with zeros, so that every rank
    makes the same collective calls."""
    from . import distributed as _dist

    if _dist.is_distributed():
        import torch.distributed as dist

        names: list = [None] * dist.get_world_size()
        dist.all_gather_object(names, list(keys))
        ref = next((k for k in names if k), [])
        if not keys:
            keys, sums = ref, torch.zeros(len(ref), dtype=torch.float64, device=device)
        packed = torch.cat([sums.to(device), torch.tensor([float(count)], dtype=torch.float64,
                                                          device=device)])
        dist.all_reduce(packed)
        sums, count = packed[:-1], packed[-1].item()
    if not keys or count == 0:
        return {}
    return dict(zip(keys, (sums / count).tolist(), strict=True))


CHECKPOINT_FILE = "checkpoint.safetensors"


def _rng_tensors(device: torch.device, distributed: bool) -> dict[str, torch.Tensor]:
    """The RNG states a resumed run needs: ``rng.cpu`` (and ``rng.cuda`` when training on CUDA);
    in a distributed run, every rank's states as ``rng.rank<r>.cpu``/``.cuda``, gathered from all
    ranks (a collective: every rank must call it), plus rank 0's as ``rng.cpu``."""
    own = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        own["cuda"] = torch.cuda.get_rng_state(device)
    if not distributed:
        return {f"rng.{k}": v for k, v in own.items()}
    import torch.distributed as dist

    every: list = [None] * dist.get_world_size()
    dist.all_gather_object(every, {k: v.cpu().numpy() for k, v in own.items()})
    out = {f"rng.{k}": torch.from_numpy(v.copy()) for k, v in every[0].items()}
    for r, states in enumerate(every):
        out.update({f"rng.rank{r}.{k}": torch.from_numpy(v) for k, v in states.items()})
    return out


def save_checkpoint(path: str | os.PathLike, module: nn.Module, optimizer: torch.optim.Optimizer,
                    best_state: dict[str, torch.Tensor], meta: dict[str, Any],
                    rng: dict[str, torch.Tensor] | None = None) -> None:
    """Write a resumable training state atomically as one safetensors file (no pickle).

    Tensors: the module's weights (``model.*``), the best weights so far (``best.*``), the
    optimizer's per-parameter state (``optim.<i>.<name>``) and the RNG states ``rng`` (default:
    the torch CPU RNG state as ``rng.cpu``; :func:`fit_module` adds the CUDA state and, in
    distributed runs, every rank's states). Everything else (epoch, history, early-stopping
    counters, optimizer hyper-parameters, caller's extras) is JSON in the safetensors metadata
    under ``"geoae"``.
    """
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    for k, v in module.state_dict().items():
        tensors[f"model.{k}"] = v.detach().cpu().contiguous().clone()
    for k, v in best_state.items():
        tensors[f"best.{k}"] = v.detach().cpu().contiguous().clone()
    opt = optimizer.state_dict()
    for idx, state in opt["state"].items():
        for name, value in state.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous().clone()
    tensors.update(rng if rng is not None else {"rng.cpu": torch.get_rng_state()})
    meta = dict(meta, param_groups=opt["param_groups"])
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"geoae": json.dumps(meta)})


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`: ``(tensors, meta)``.

    Raises
    ------
    ConfigError
        The file is not a readable geoae checkpoint.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return _parse_checkpoint(path, data)


def _unreadable(path, why) -> ConfigError:
    return ConfigError(f"{path}: not a readable geoae training checkpoint ({why}); delete it to "
                       "train from scratch")


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    """The checkpoint at ``path`` as rank 0 sees it, on every rank (None when rank 0 has none).

    Rank 0 alone writes checkpoints, so on several machines without a shared filesystem only
    its disk holds one: rank 0 reads the file and broadcasts its bytes, and every rank resumes
    from the same state. Outside distributed runs this is :func:`load_checkpoint` of an
    existing file.
    """
    from . import distributed as _dist

    data, failure = None, None
    if _dist.is_main_process() and Path(path).is_file():
        try:
            data = Path(path).read_bytes()
        except OSError as exc:  # every rank must still take part in the broadcast, then fail
            data, failure = b"", exc
    data = _dist.broadcast_bytes(data)
    if failure is not None:
        raise _unreadable(path, failure)
    return None if data is None else _parse_checkpoint(path, data)


def _parse_checkpoint(path, data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``(tensors, meta)`` of a checkpoint file's bytes (safetensors: an 8-byte little-endian
    header length, a JSON header whose ``__metadata__`` holds geoae's, then the tensors)."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_bytes

    try:
        size = int.from_bytes(data[:8], "little")
        meta = json.loads(json.loads(data[8:8 + size])["__metadata__"]["geoae"])
        missing = _CHECKPOINT_KEYS - set(meta) if isinstance(meta, dict) else _CHECKPOINT_KEYS
        if missing:
            raise ValueError(f"no {', '.join(sorted(missing))} in its metadata")
        _check_checkpoint_meta(meta)
        tensors = load_bytes(data)
    except (SafetensorError, KeyError, TypeError, ValueError, UnicodeDecodeError,
            RecursionError) as exc:
        raise _unreadable(path, exc) from None
    return tensors, meta


#: What every checkpoint's metadata holds (see :func:`save_checkpoint` and ``fit_module``).
_CHECKPOINT_KEYS = frozenset({"epoch", "finished", "history", "best", "best_epoch", "stale",
                              "param_groups"})


def _check_checkpoint_meta(meta: dict[str, Any]) -> None:
    """Raise ValueError unless a checkpoint's metadata have the types and ranges geoae writes
    (a damaged or edited file must fail here, not as an AttributeError mid-run or with a
    negative learning rate taken silently)."""
    def count(v, low):
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    def real(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    problems = []
    if not count(meta["epoch"], 0):
        problems.append(f"epoch {meta['epoch']!r}")
    if not isinstance(meta["finished"], bool):
        problems.append(f"finished {meta['finished']!r}")
    if not count(meta["best_epoch"], -1) or not count(meta["stale"], 0):
        problems.append(f"best_epoch/stale {meta['best_epoch']!r}/{meta['stale']!r}")
    if not real(meta["best"]):
        problems.append(f"best {meta['best']!r}")
    history = meta["history"]
    if not (isinstance(history, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(real(x) for x in v)
            for k, v in history.items())):
        problems.append("history")
    groups = meta["param_groups"]
    if not (isinstance(groups, list) and groups and all(
            isinstance(g, dict) and isinstance(g.get("params"), list) and real(g.get("lr"))
            and g["lr"] > 0 and real(g.get("weight_decay", 0)) and g.get("weight_decay", 0) >= 0
            for g in groups)):
        problems.append("param_groups")
    if problems:
        raise ValueError(f"its metadata are not as geoae writes them ({', '.join(problems)})")


def _restore(module, optimizer, tensors, meta):
    module.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best_state = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    own = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    if {k: tuple(v.shape) for k, v in best_state.items()} != own:  # else found after the last epoch
        raise ValueError("its best weights (best.*) do not match the model's parameters")
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.cpu"])
    return best_state


def fit_module(
    module: nn.Module,
    objective: Objective,
    X: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    X_val: torch.Tensor | None = None,
    mask_val: torch.Tensor | None = None,
    epochs: int = 200,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int = 20,
    grad_clip: float | None = None,
    verbose: bool = False,
    grad_in_eval: bool = False,
    desc: str = "training",
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10,
    resume: bool = False,
    checkpoint_meta: dict[str, Any] | None = None,
    callback: Callable[[int, dict[str, list[float]]], None] | None = None,
    precision: str = "32",
    compile: bool | str = False,
    stream_device: torch.device | str | None = None,
    resume_from: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None,
) -> dict[str, list[float]]:
    """Train ``module`` in place with Adam(W) and early stopping; return the per-epoch history.

    Parameters
    ----------
    module : nn.Module
        Already on its device; ``X``, ``mask``, ``X_val``, ``mask_val`` must be on the same one.
    objective : callable
        ``objective(module, xb, mb) -> (loss, terms)`` where ``terms`` maps a term name
        (``"reconstruction"``, ``"kl"``, ``"sparsity"``, ``"contractive"``) to a scalar tensor.
    X, mask : tensors of shape (n, ...)
        Training data (missing entries already filled) and its observed-entry mask, or None.
        For streamed data, ``X`` is a callable ``X(epoch)`` returning an iterable of
        ``(xb, mb)`` batches already on the device (and ``mask`` is None); the validation data
        (``X_val``) must then be given in memory, on ``stream_device``.
    X_val, mask_val : tensors or None
        Validation data; early stopping watches its loss (the training loss when absent).
    patience : int
        Epochs without improvement before stopping; the best weights are restored at the end.
    grad_in_eval : bool
        Keep autograd on while evaluating (needed by the contractive penalty).
    checkpoint : path, optional
        File to write the full training state to every ``checkpoint_every`` epochs and when
        training ends (see :func:`save_checkpoint`).
    resume : bool
        Continue from ``checkpoint`` when it exists: weights, optimizer, RNG, epoch, history and
        early-stopping counters are restored, so a seeded CPU run that is interrupted and resumed
        ends with the same weights as an uninterrupted one.
    checkpoint_meta : dict, optional
        Extra JSON-able facts stored in the checkpoint (the estimator stores its seed).
    callback : callable, optional
        ``callback(epoch, history)`` after every epoch (0-based epoch).
    precision : {"32", "auto", "bf16", "16"}
        Mixed precision of the training steps (see :func:`_amp`): ``"auto"`` uses bf16 (or fp16
        with a gradient scaler) on CUDA and float32 elsewhere.
    compile : bool or str
        Compile the training step with :func:`torch.compile` (a string names the backend, e.g.
        ``"inductor"`` or ``"eager"``).
    stream_device : torch.device or str, optional
        Device of the streamed batches when ``X`` is a callable ``epoch -> batches``.
    resume_from : tuple, optional
        A checkpoint already read with :func:`read_checkpoint`, ``(tensors, meta)``, to resume
        from instead of reading ``checkpoint`` again.

    Returns
    -------
    history : dict of lists
        ``loss`` and each term per epoch; ``val_loss`` and ``val_<term>`` when validating;
        ``best_epoch`` (a one-element list) is the 0-based epoch whose weights were kept.

    Raises
    ------
    TrainingError
        When a loss becomes NaN or infinite; the last good weights are restored first.

    Notes
    -----
    Distributed runs (under ``torchrun``; see :mod:`geoae.distributed`): the step is wrapped in
    DistributedDataParallel, each rank trains on its share of each epoch's permutation and
    validates on its share of ``X_val``, losses are summed across ranks (identical history and
    early stopping everywhere) and only rank 0 writes the checkpoint.
    """
    from . import distributed as _dist

    if precision not in PRECISIONS:
        raise ConfigError(f"precision={precision!r} is not valid; use one of {list(PRECISIONS)}")
    optimizer = make_optimizer(module, learning_rate, weight_decay)
    try:
        history: dict[str, list[float]] = {}
        best = math.inf
        best_state = copy.deepcopy(module.state_dict())
        best_epoch = -1
        stale = 0
        start = 0
        finished = False
        tensors: dict[str, torch.Tensor] = {}
        loaded = resume_from
        if loaded is None and resume and checkpoint is not None:
            loaded = read_checkpoint(checkpoint)
        if loaded is not None:
            tensors, meta = loaded
            try:
                best_state = _restore(module, optimizer, tensors, meta)
            except (RuntimeError, KeyError, ValueError) as exc:
                raise ConfigError(f"{checkpoint}: the checkpoint does not fit this model ({exc}); "
                                  "delete it or train with the parameters it was written with") from None
            history = meta["history"]
            best, best_epoch, stale = meta["best"], meta["best_epoch"], meta["stale"]
            start, finished = meta["epoch"], meta["finished"]
            # the saved model says it was fitted with `epochs`: a checkpoint whose weights are
            # of another number of epochs (a finished run that ran out of epochs, now asked for
            # more; or more epochs run than now asked) would make that record false, so it is
            # refused (a finished run stopped early would have stopped there with more epochs too)
            ran_out = finished and stale < patience
            if start > epochs or (ran_out and epochs > start):
                what = "a finished training" if finished else "an unfinished training"
                raise ConfigError(
                    f"{checkpoint}: the checkpoint is of {what} that ran {start} epoch(s); "
                    f"resuming it with epochs={epochs} would save a model whose record says "
                    f"{epochs}. Give epochs={start} to use it as it is, or delete the checkpoint "
                    "to train from the start (geoae train: --force, or another --out)")
            if finished and _dist.is_main_process():
                warnings.warn(f"{checkpoint}: the checkpoint is of a finished training ({start} "
                              f"epoch(s), best at {best_epoch + 1}); nothing to resume, its weights are "
                              "used as they are. To train again (e.g. for more epochs), delete the "
                              "checkpoint or give another checkpoint_dir (geoae train: --force, "
                              "or another --out)", UserWarning, stacklevel=3)

        distributed = _dist.is_distributed()
        rank, world = _dist.rank(), _dist.world_size()
        if distributed and not callable(X):
            # every rank must hold the same rows (each trains on its share of one permutation):
            # different copies would have them take different numbers of steps and wait for
            # each other until the group's timeout
            _dist.check_same_data(X.shape[0], _checksum(X, mask), X.device)

        def write_checkpoint(next_epoch: int, done: bool) -> None:
            if checkpoint is None:
                return
            rng = _rng_tensors(device, distributed)  # every rank takes part (a gather when distributed)
            if not _dist.is_main_process():
                return
            meta = dict(checkpoint_meta or {}, epoch=next_epoch, finished=done, history=history,
                        best=best, best_epoch=best_epoch, stale=stale)
            save_checkpoint(checkpoint, module, optimizer, best_state, meta, rng)

        streaming = callable(X)
        if stream_device is not None:
            device = torch.device(stream_device)
        else:
            device = X.device if not streaming else torch.device("cpu")
        n = X.shape[0] if not streaming else 0
        # a validation set with no observed value has a loss of 0 at every epoch: early stopping
        # would keep the first epoch's weights; the training loss is watched instead. Under torchrun
        # every rank takes part in the vote (a rank's validation rows may have no mask at all)
        empty = X_val is None or (mask_val is not None and not bool(mask_val.any()))
        if distributed:
            empty = _dist.all_ranks_have(empty, device)
        if X_val is not None and empty:
            if _dist.is_main_process():
                warnings.warn("the validation samples have no observed value (e.g. a held-out well "
                              "without these curves): early stopping watches the training loss "
                              "instead", UserWarning, stacklevel=3)
            X_val = mask_val = None
        val_seed = (torch.initial_seed() + 1) % 2**63
        fork_devices = [device.index or 0] if device.type == "cuda" else []
        autocast, scaler = _amp(precision, device)
        step_module: nn.Module = _ObjectiveModule(module, objective)
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [device.index] if device.type == "cuda" else None
            step_module = DistributedDataParallel(step_module, device_ids=ids)
            # the same permutation on every rank (own generator), rank-specific corruption noise
            perm_seed = torch.initial_seed()
            torch.manual_seed((torch.initial_seed() + 7919 * rank) % 2**63)
        # a resumed run continues this process's random streams (corruption, latent draws) where
        # the checkpoint left them; the rank's own in a distributed run
        prefix = f"rng.rank{rank}." if distributed else "rng."
        if distributed and f"{prefix}cpu" in tensors:
            torch.set_rng_state(tensors[f"{prefix}cpu"])
        if device.type == "cuda" and f"{prefix}cuda" in tensors:
            torch.cuda.set_rng_state(tensors[f"{prefix}cuda"], device)
        if compile:
            step_module = torch.compile(step_module, **({"backend": compile} if isinstance(compile, str)
                                                        else {}))
        if X_val is not None and distributed and X_val.shape[0] >= world:
            X_val = X_val[rank::world]
            mask_val = mask_val[rank::world] if mask_val is not None else None

        def eval_step(xb, mb):
            return objective(module, xb, mb)

        with _progress(verbose and _dist.is_main_process()) as progress:
            task = progress.add_task(desc, total=epochs, msg="", completed=start) if progress is not None \
                else None
            for epoch in range(start, epochs if not finished else start):
                module.train()
                if streaming:
                    perm = None
                elif distributed:
                    gen = torch.Generator().manual_seed((perm_seed + epoch) % 2**63)
                    perm = torch.randperm(n, generator=gen)
                    padded = perm.repeat(-(-world // n) + 1)[:-(-n // world) * world]
                    perm = padded[rank::world].to(device)
                else:
                    perm = torch.randperm(n, device=device)
                if streaming:
                    batches = X(epoch)
                    if distributed:  # uneven streamed shards: every rank stops when one runs out
                        batches = _in_step(batches, device)
                else:
                    batches = _slices(X, mask, batch_size, perm)
                sums = _epoch(step_module, batches, optimizer, grad_clip, list(module.parameters()),
                              autocast, scaler)
                train = _reduce(*sums, device)
                if not train:
                    raise TrainingError("no training samples reached the training loop this epoch; "
                                        "check the data (all missing? all held out for validation?)")
                record = dict(train)
                if X_val is not None and X_val.shape[0] > 0:
                    module.eval()
                    ctx = torch.enable_grad() if grad_in_eval else torch.no_grad()
                    # the same corruption / latent draws at every epoch, so that early stopping
                    # compares weights, not noise (and the training RNG stream is left untouched)
                    with ctx, torch.random.fork_rng(devices=fork_devices):
                        torch.manual_seed(val_seed)
                        val = _reduce(*_epoch(eval_step, _slices(X_val, mask_val, max(batch_size, 4096)),
                                              autocast=autocast), device)
                    record.update({f"val_{k}": v for k, v in val.items()})
                    monitored = val["loss"]
                else:
                    monitored = train["loss"]
                if not all(math.isfinite(v) for v in record.values()):
                    module.load_state_dict(best_state)
                    raise TrainingError(
                        f"the training loss became NaN or infinite at epoch {epoch + 1}; the weights "
                        f"of epoch {best_epoch + 1} were kept. Try a lower learning_rate (now "
                        f"{learning_rate:g}), gradient clipping, or check the scaling of the inputs"
                    )
                for k, v in record.items():
                    history.setdefault(k, []).append(v)
                if monitored < best - 1e-12:
                    best, best_epoch, stale = monitored, epoch, 0
                    best_state = copy.deepcopy(module.state_dict())
                else:
                    stale += 1
                if task is not None:
                    progress.update(task, advance=1, msg=f"loss {record['loss']:.4g}"
                                    + (f" val {record['val_loss']:.4g}" if "val_loss" in record else ""))
                if callback is not None:
                    callback(epoch, history)
                if stale >= patience:
                    write_checkpoint(epoch + 1, True)
                    break
                if epoch + 1 == epochs:
                    write_checkpoint(epoch + 1, True)
                elif (epoch + 1) % checkpoint_every == 0:
                    write_checkpoint(epoch + 1, False)
        module.load_state_dict(best_state)
        module.eval()
        history["best_epoch"] = [best_epoch]
        return history
    finally:
        if hasattr(optimizer, "release"):  # FlatAdamW: the parameters get their own storage back
            optimizer.release()
