"""The Gaussian head of the variational auto-encoder."""

from __future__ import annotations

import torch
from torch import nn


class Gaussian(nn.Module):
    """Split an encoder output of size ``2 * latent_dim`` into ``(mu, logvar)``.

    ``logvar`` is clamped to ``[logvar_min, logvar_max]`` so that ``exp(logvar)`` can neither
    underflow to zero nor overflow early in training. The encoder's last linear layer supplies the
    two affine maps, so this head has no parameters of its own.
    """

    def __init__(self, latent_dim: int, logvar_min: float = -12.0, logvar_max: float = 8.0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.logvar_min = logvar_min
        self.logvar_max = logvar_max

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = h.split(self.latent_dim, dim=-1)
        return mu, logvar.clamp(self.logvar_min, self.logvar_max)
