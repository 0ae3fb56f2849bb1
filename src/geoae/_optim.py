"""AdamW over one flat buffer: the update of all of a network's parameters in one kernel call.

geoae's networks are small (a few thousand to a few million weights in a dozen tensors), and at
the batch sizes used on a CPU a training step lasts about a millisecond. PyTorch's
``AdamW(fused=True)`` spends about 0.2 ms of that in Python around its kernel (grouping the
tensors by device and dtype, step counters per tensor, profiler hooks), and the kernel itself
loops over the tensors. :class:`FlatAdamW` makes the module's parameters views into one
contiguous tensor, and their gradients views into one contiguous gradient, so that a step is one
``torch._fused_adamw_`` call on one tensor (the kernel ``AdamW(fused=True)`` itself calls) and
``zero_grad`` is one ``zero_()``. The arithmetic is the same element by element, so the weights
after training equal those of ``torch.optim.AdamW`` (``tests/test_training.py`` checks it for
every model family).

Semantics that differ from ``torch.optim.AdamW`` and why they do not matter here:

* every trainable parameter is updated at every step, also one that received no gradient (it
  sees a zero gradient, where AdamW would skip it). :func:`geoae.training.fit_module` trains
  networks whose parameters all enter the loss;
* the views hold while nobody replaces ``p.data``; a ``p.grad`` set to None or replaced is
  copied into the buffer by ``step`` (a None one as zeros) and re-attached as a view by
  ``step`` and ``zero_grad``, and :meth:`release` gives every parameter its own
  storage again at the end of training (so that saving, copying or moving the module works as
  usual).

Checkpoints store the per-parameter state in ``torch.optim.AdamW``'s layout (``state_dict`` /
``load_state_dict`` split and join the flat buffers), so a checkpoint resumes with either
optimizer.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _fused_available(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether ``torch._fused_adamw_`` runs for tensors of this device and dtype (a probe call)."""
    fused = getattr(torch, "_fused_adamw_", None)
    if fused is None:
        return False
    try:
        z = torch.zeros(2, device=device, dtype=dtype)
        fused([z], [z.clone()], [z.clone()], [z.clone()], [], [torch.zeros((), device=device)],
              lr=1e-3, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False,
              maximize=False)
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


class FlatAdamW:
    """AdamW (decoupled weight decay) whose state and parameters live in one flat buffer.

    Use :meth:`create`, which returns None where the parameters cannot share one buffer (mixed
    devices or dtypes, no trainable parameter, no fused kernel for the device); the caller then
    uses ``torch.optim.AdamW``.

    The object follows the parts of the ``torch.optim.Optimizer`` interface that training code
    and ``torch.amp.GradScaler`` use: ``param_groups`` (one group holding the flat parameter,
    whose ``.grad`` is the flat gradient), ``step``, ``zero_grad``, ``state_dict`` and
    ``load_state_dict``.
    """

    def __init__(self, params: list[nn.Parameter], lr: float, weight_decay: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self._params = params
        self._sizes = [p.numel() for p in params]
        with torch.no_grad():
            data = torch.cat([p.detach().reshape(-1) for p in params])
        self.flat = nn.Parameter(data)
        self.flat.grad = torch.zeros_like(data)
        self._data = self.flat.detach()
        self._grad_views: list[torch.Tensor] = []
        offset = 0
        for p, n in zip(params, self._sizes, strict=True):
            p.data = data[offset:offset + n].view_as(p)
            view = self.flat.grad[offset:offset + n].view_as(p)
            p.grad = view
            self._grad_views.append(view)
            offset += n
        self.param_groups = [{"params": [self.flat], "lr": lr, "betas": betas, "eps": eps,
                              "weight_decay": weight_decay}]
        self._exp_avg = torch.zeros_like(data)
        self._exp_avg_sq = torch.zeros_like(data)
        self._step = torch.zeros((), dtype=torch.float32, device=data.device)
        self._released = False

    @classmethod
    def create(cls, module: nn.Module, lr: float, weight_decay: float) -> FlatAdamW | None:
        params = [p for p in module.parameters() if p.requires_grad]
        if not params or any(p.device != params[0].device or p.dtype != params[0].dtype
                             or not p.dtype.is_floating_point for p in params):
            return None
        if len({id(p) for p in params}) != len(params):  # module.parameters() deduplicates; be safe
            return None
        if not _fused_available(params[0].device, params[0].dtype):
            return None
        return cls(params, lr, weight_decay)

    def _attach_grads(self, keep_values: bool) -> None:
        """Make every ``p.grad`` its view into the flat gradient again where someone set it to
        None or replaced it; with ``keep_values`` the replacement's values go into the view (a
        None one as zeros)."""
        for p, view in zip(self._params, self._grad_views, strict=True):
            if p.grad is not view:
                if keep_values and p.grad is not None:
                    view.copy_(p.grad)
                elif keep_values:
                    view.zero_()
                p.grad = view

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zero the flat gradient (``set_to_none`` is accepted and ignored: the gradients are
        views into the flat buffer and stay allocated)."""
        self.flat.grad.zero_()
        self._attach_grads(keep_values=False)

    def step(self, closure=None):
        if closure is not None:
            raise ValueError("FlatAdamW.step takes no closure")
        self._attach_grads(keep_values=True)  # a gradient replaced after zero_grad counts
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        self._step.add_(1)
        torch._fused_adamw_([self._data], [self.flat.grad], [self._exp_avg], [self._exp_avg_sq],
                            [], [self._step], lr=group["lr"], beta1=beta1, beta2=beta2,
                            weight_decay=group["weight_decay"], eps=group["eps"], amsgrad=False,
                            maximize=False)

    def release(self) -> None:
        """Give every parameter its own storage and drop the gradient views (end of training)."""
        if self._released:
            return
        with torch.no_grad():
            for p in self._params:
                p.data = p.data.clone()
                p.grad = None
        self._released = True

    # -- checkpoints, in torch.optim.AdamW's per-parameter layout ---------------------------
    def _split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        parts = torch.split(flat, self._sizes)
        return [part.view_as(p) for part, p in zip(parts, self._params, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """The state in ``torch.optim.AdamW``'s layout: one entry per parameter (its ``step``,
        ``exp_avg`` and ``exp_avg_sq``) and one parameter group with AdamW's keys."""
        group = self.param_groups[0]
        saved_group = {"lr": group["lr"], "betas": tuple(group["betas"]), "eps": group["eps"],
                       "weight_decay": group["weight_decay"], "amsgrad": False, "maximize": False,
                       "foreach": None, "capturable": False, "differentiable": False,
                       "fused": True, "decoupled_weight_decay": True,
                       "params": list(range(len(self._params)))}
        state: dict[int, dict[str, torch.Tensor]] = {}
        if float(self._step) > 0:
            for i, (m, v) in enumerate(zip(self._split(self._exp_avg), self._split(self._exp_avg_sq),
                                           strict=True)):
                state[i] = {"step": self._step.clone(), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
        return {"state": state, "param_groups": [saved_group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self._params):
            raise ValueError(f"the optimizer state holds {sum(len(g['params']) for g in groups)} "
                             f"parameter(s) in {len(groups)} group(s); this network has "
                             f"{len(self._params)}")
        group = self.param_groups[0]
        for key in ("lr", "eps", "weight_decay"):
            group[key] = float(groups[0][key])
        group["betas"] = tuple(float(b) for b in groups[0]["betas"])
        state = state_dict["state"]
        if not state:
            self._step.zero_()
            self._exp_avg.zero_()
            self._exp_avg_sq.zero_()
            return
        ids = groups[0]["params"]
        # torch's AdamW has no entry for a parameter that never received a gradient: its
        # moments are zero and it took no step
        held = [pid for pid in ids if pid in state]
        with torch.no_grad():
            for name, target in (("exp_avg", self._exp_avg), ("exp_avg_sq", self._exp_avg_sq)):
                parts = []
                for pid, p in zip(ids, self._params, strict=True):
                    if pid not in state:
                        parts.append(torch.zeros(p.numel(), dtype=target.dtype, device=target.device))
                        continue
                    value = torch.as_tensor(state[pid][name])
                    if value.shape != p.shape:
                        raise ValueError(f"the optimizer state of parameter {pid} has shape "
                                         f"{tuple(value.shape)}, the network's {tuple(p.shape)}")
                    parts.append(value.reshape(-1).to(target))
                torch.cat(parts, out=target)
            steps = {float(torch.as_tensor(state[pid]["step"])) for pid in held}
            if len(steps) != 1:
                raise ValueError(f"the optimizer state's parameters have taken different numbers "
                                 f"of steps ({sorted(steps)})")
            self._step.fill_(steps.pop())
