r"""Loss terms and corruptions of every auto-encoder family, as pure functions of tensors.

Notation: ``x`` is a batch of targets of shape ``(n, ...)``, ``x_hat`` the reconstruction,
``m`` a boolean mask of the same shape (True = observed; missing values are excluded from every
term that compares with the target), ``h`` a batch of codes ``(n, k)``.
Nothing here knows about NumPy, files or estimators.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "reconstruction_loss",
    "gaussian_nll",
    "gaussian_kl",
    "reparameterize",
    "l1_sparsity",
    "kl_sparsity",
    "contractive_penalty",
    "gaussian_noise",
    "masking_noise",
    "salt_and_pepper",
]

_EPS = 1e-7


def _per_sample(values: torch.Tensor, mask: torch.Tensor | None, reduction: str) -> torch.Tensor:
    """Reduce an elementwise loss with a mask ("mean", "sum" or "none" per sample)."""
    flat = values.flatten(1)
    if mask is None:
        per_sample_sum = flat.sum(1)
        count = torch.full_like(per_sample_sum, flat.shape[1])
    else:
        m = mask.flatten(1)
        per_sample_sum = torch.where(m, flat, torch.zeros_like(flat)).sum(1)
        count = m.sum(1).to(flat.dtype)
    if reduction == "mean":
        return per_sample_sum.sum() / count.sum().clamp_min(1.0)
    if reduction == "sum":
        # per-sample sum rescaled to the full number of entries (a sample with half its values
        # missing weighs as much as a complete one), then averaged over the batch
        full = flat.shape[1]
        return (per_sample_sum * full / count.clamp_min(1.0)).mean()
    if reduction == "none":
        return per_sample_sum / count.clamp_min(1.0)
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reconstruction_loss(
    x_hat: torch.Tensor,
    x: torch.Tensor,
    mask: torch.Tensor | None = None,
    kind: str = "mse",
    reduction: str = "mean",
    logits: bool = False,
) -> torch.Tensor:
    r"""Masked reconstruction loss.

    .. math::
        \text{mse}: \ell_{ij} = (\hat x_{ij} - x_{ij})^2, \qquad
        \text{bce}: \ell_{ij} = -[x_{ij}\log\hat x_{ij} + (1-x_{ij})\log(1-\hat x_{ij})]

    and ``reduction="mean"`` gives :math:`\sum_{ij} m_{ij}\ell_{ij} / \sum_{ij} m_{ij}` (the mean
    over observed entries); ``"none"`` the per-sample mean over observed entries, shape ``(n,)``;
    ``"sum"`` the per-sample sum rescaled by ``d / \sum_j m_{ij}`` and averaged over samples.
    Entries where ``mask`` is False never enter the value or its gradient, whatever they hold
    (NaN, inf or a huge number).

    With ``kind="bce"``, ``x_hat`` holds probabilities, clamped to ``[1e-7, 1 - 1e-7]``; with
    ``logits=True`` it holds the logits :math:`l` (:math:`\hat x = \sigma(l)`) and the loss is
    computed from them (``softplus(l) - x l``), which stays finite and keeps its gradient for a
    saturated output (a probability of exactly 1 in bfloat16 or float16, or a confident wrong
    one in any precision). Both are computed in float32 at least, under mixed precision too.
    """
    if logits and kind != "bce":
        raise ValueError(f"logits=True applies to kind='bce', not {kind!r}")
    if mask is None and reduction == "mean" and kind == "mse":
        return nn.functional.mse_loss(x_hat, x)  # fused fast path, same value
    if mask is not None:
        x = torch.where(mask, x, torch.zeros_like(x))
        fill = 0.0 if logits or kind != "bce" else 0.5
        x_hat_c = torch.where(mask, x_hat, torch.full_like(x_hat, fill))
    else:
        x_hat_c = x_hat
    if kind == "mse":
        values = (x_hat_c - x) ** 2
    elif kind == "bce" and logits:
        dtype = torch.promote_types(x_hat_c.dtype, torch.float32)
        values = nn.functional.binary_cross_entropy_with_logits(
            x_hat_c.to(dtype), x.to(dtype), reduction="none")
    elif kind == "bce":
        # 1 - 1e-7 is 1 in bfloat16 and float16: clamp (and take logs) in float32 at least
        dtype = torch.promote_types(x_hat_c.dtype, torch.float32)
        p = x_hat_c.to(dtype).clamp(_EPS, 1 - _EPS)
        x = x.to(dtype)
        values = -(x * torch.log(p) + (1 - x) * torch.log1p(-p))
    else:
        raise ValueError(f"kind must be 'mse' or 'bce', got {kind!r}")
    return _per_sample(values, mask, reduction)


def gaussian_nll(
    x_hat: torch.Tensor,
    x: torch.Tensor,
    logvar: torch.Tensor,
    mask: torch.Tensor | None = None,
    reduction: str = "sum",
) -> torch.Tensor:
    r"""Negative log-likelihood of ``x`` under :math:`\mathcal N(\hat x, \sigma^2)`.

    .. math::
        -\log p(x\mid\hat x) = \tfrac12\left[\frac{(x-\hat x)^2}{\sigma^2} + \log\sigma^2
        + \log 2\pi\right]

    per entry, with ``logvar`` = :math:`\log\sigma^2` broadcast against ``x`` (the VAE learns one
    per feature). Masked and reduced as in :func:`reconstruction_loss` (default: per-sample sum).
    """
    if mask is not None:
        x = torch.where(mask, x, torch.zeros_like(x))
        x_hat = torch.where(mask, x_hat, torch.zeros_like(x_hat))
    values = 0.5 * ((x - x_hat) ** 2 * torch.exp(-logvar) + logvar + math.log(2 * math.pi))
    return _per_sample(values, mask, reduction)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Closed-form :math:`KL(\mathcal N(\mu, \sigma^2 I)\,\|\,\mathcal N(0, I))` per sample.

    .. math::
        KL = \tfrac12 \sum_{j=1}^{k} \left(\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1\right),
        \qquad \sigma_j^2 = e^{\text{logvar}_j}

    Returns a tensor of shape ``(n,)``.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(-1)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Draw :math:`z = \mu + \sigma \odot \varepsilon`, :math:`\varepsilon\sim\mathcal N(0, I)`,
    :math:`\sigma = e^{\text{logvar}/2}`; differentiable in ``mu`` and ``logvar``."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def l1_sparsity(h: torch.Tensor) -> torch.Tensor:
    r"""L1 activity penalty :math:`\frac1n\sum_i\sum_j |h_{ij}|` (mean over the batch)."""
    return h.abs().sum(-1).mean()


def kl_sparsity(h: torch.Tensor, rho: float) -> torch.Tensor:
    r"""KL sparsity penalty of a layer of activations in (0, 1) against a target rate ``rho``.

    .. math::
        \hat\rho_j = \frac1n\sum_i h_{ij}, \qquad
        \sum_j \rho\log\frac{\rho}{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}

    ``rho_hat`` is clamped to ``[1e-7, 1 - 1e-7]`` to keep the logarithms finite (in float32 at
    least: that bound is 1 in bfloat16 and float16).
    """
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho (sparsity_target) must be in (0, 1), got {rho}")
    rho_hat = h.to(torch.promote_types(h.dtype, torch.float32)).mean(0).clamp(_EPS, 1 - _EPS)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def _single_sigmoid_layer(encoder: nn.Module) -> nn.Linear | None:
    """The Linear layer of an encoder that is exactly ``sigmoid(W x + b)``, else None (only a
    dense encoder: a convolutional one flattens its input first)."""
    from .nn.dense import DenseEncoder

    if type(encoder) is not DenseEncoder:
        return None
    body = getattr(encoder, "body", None)
    out = getattr(encoder, "out", None)
    act = getattr(encoder, "latent_activation", None)
    if (isinstance(body, nn.Sequential) and len(body) == 0 and isinstance(out, nn.Linear)
            and isinstance(act, nn.Sigmoid)):
        return out
    return None


def contractive_penalty(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    r"""Squared Frobenius norm of the encoder Jacobian, averaged over the batch.

    .. math::
        \Omega(x) = \frac1n\sum_i \left\| \frac{\partial h(x_i)}{\partial x_i} \right\|_F^2

    For a single sigmoid layer :math:`h = \sigma(Wx + b)` the closed form
    :math:`\sum_j (h_j(1-h_j))^2 \sum_l W_{jl}^2` is used; otherwise the exact Jacobian is built
    by automatic differentiation, one backward pass per code unit (``create_graph=True`` so that
    the penalty itself can be differentiated). Samples must not interact inside the encoder (no
    batch normalisation), which holds for every geoae backbone.
    """
    layer = _single_sigmoid_layer(encoder)
    if layer is not None:
        h = torch.sigmoid(layer(x))
        w2 = layer.weight.pow(2).sum(1)  # (k,)
        return ((h * (1 - h)).pow(2) * w2).sum(1).mean()
    x = x.detach().requires_grad_(True)
    h = encoder(x)
    total = x.new_zeros(())
    for j in range(h.shape[1]):
        (g,) = torch.autograd.grad(h[:, j].sum(), x, create_graph=True)
        total = total + g.pow(2).flatten(1).sum(1).mean()
    return total


def gaussian_noise(
    x: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Additive Gaussian corruption :math:`\tilde x = x + \varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0, \text{std}^2)`."""
    return x + std * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def masking_noise(
    x: torch.Tensor, rate: float, generator: torch.Generator | None = None,
    fill: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    r"""Masking corruption: each entry is set to ``fill`` with probability ``rate``.

    :math:`\tilde x_{ij} = \text{fill}_j` if :math:`u_{ij} < \text{rate}`, else
    :math:`x_{ij}`, :math:`u\sim U(0,1)`. ``fill`` is a number or a tensor broadcast against
    ``x`` (one value per feature); the estimators pass the training mean in scaled units (0
    with the standard scaler), the same value a missing entry gets at the network input.
    """
    u = torch.rand(x.shape, generator=generator, device=x.device)
    return torch.where(u < rate, torch.as_tensor(fill, dtype=x.dtype, device=x.device), x)


def salt_and_pepper(
    x: torch.Tensor,
    rate: float,
    low: torch.Tensor | float = 0.0,
    high: torch.Tensor | float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Salt-and-pepper corruption: a fraction ``rate`` of entries is replaced, half by ``low``
    (pepper) and half by ``high`` (salt), chosen at random; ``low``/``high`` may be per-feature
    tensors broadcast against ``x`` (e.g. each feature's minimum and maximum)."""
    u = torch.rand(x.shape, generator=generator, device=x.device)
    coin = torch.rand(x.shape, generator=generator, device=x.device) < 0.5
    low_t = torch.as_tensor(low, dtype=x.dtype, device=x.device).expand_as(x)
    high_t = torch.as_tensor(high, dtype=x.dtype, device=x.device).expand_as(x)
    noisy = torch.where(coin, high_t, low_t)
    return torch.where(u < rate, noisy, x)
