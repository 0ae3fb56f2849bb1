"""Fully connected encoder and decoder for tabular samples of shape ``(n, features)``."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._common import OUTPUT_ACTIVATIONS, make_activation


def _mlp(sizes: Sequence[int], activation: str) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), make_activation(activation)]
    return layers


class DenseEncoder(nn.Module):
    """Multi-layer perceptron from ``in_features`` to ``out_features``.

    ``x (n, in_features) -> Linear+act per entry of hidden -> Linear -> latent_activation``.

    Parameters
    ----------
    in_features : int
        Number of input features.
    out_features : int
        Size of the code (``2 * latent_dim`` when followed by a Gaussian head).
    hidden : sequence of int
        Widths of the hidden layers, outermost first; empty for a single linear layer.
    activation : str
        Activation after every hidden layer (``"relu"``, ``"tanh"``, ``"linear"``, ...).
    latent_activation : str or None
        Activation applied to the code (``None`` = linear; ``"sigmoid"`` for KL sparsity).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: Sequence[int] = (64, 32),
        activation: str = "relu",
        latent_activation: str | None = None,
    ) -> None:
        super().__init__()
        sizes = [in_features, *hidden]
        self.body = nn.Sequential(*_mlp(sizes, activation))
        self.out = nn.Linear(sizes[-1], out_features)
        self.latent_activation = make_activation(latent_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.latent_activation(self.out(self.body(x)))


class DenseDecoder(nn.Module):
    """Mirror of :class:`DenseEncoder`: ``(n, latent_dim) -> (n, out_features)``.

    ``hidden`` is given in the encoder's order and traversed in reverse. ``output_activation`` is
    ``"linear"`` (real-valued data, MSE) or ``"sigmoid"`` (data in [0, 1], BCE).
    """

    def __init__(
        self,
        latent_dim: int,
        out_features: int,
        hidden: Sequence[int] = (64, 32),
        activation: str = "relu",
        output_activation: str = "linear",
    ) -> None:
        super().__init__()
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output_activation must be one of {OUTPUT_ACTIVATIONS}")
        sizes = [latent_dim, *reversed(tuple(hidden))]
        self.body = nn.Sequential(*_mlp(sizes, activation))
        self.out = nn.Linear(sizes[-1], out_features)
        self.output_activation = make_activation(output_activation)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """The output before ``output_activation`` (for a sigmoid output, the logits: a
        Bernoulli loss computed from them stays finite and keeps its gradient)."""
        return self.out(self.body(z))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.output_activation(self.logits(z))
