"""Convolutional encoder/decoder shared by the 1-D and 2-D backbones.

Each encoder layer is ``Conv(k, stride=2, padding=k//2) + activation``; a final ``Linear`` maps the
flattened feature map to the code. The decoder mirrors it with transposed convolutions whose
``output_padding`` is computed per layer so that the output has exactly the input's spatial size,
whatever it is (odd lengths such as 97 or 33 x 45 included).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._common import OUTPUT_ACTIVATIONS, conv_out_size, make_activation, transposed_output_padding

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_TCONV = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}


def _sizes(shape: Sequence[int], n_layers: int, kernel: int, stride: int) -> list[tuple[int, ...]]:
    sizes = [tuple(shape)]
    for _ in range(n_layers):
        sizes.append(tuple(conv_out_size(s, kernel, stride, kernel // 2) for s in sizes[-1]))
    return sizes


class ConvEncoder(nn.Module):
    """Strided convolutions then a linear layer: ``(n, C, *spatial) -> (n, out_features)``."""

    ndim: int = 1

    def __init__(
        self,
        in_channels: int,
        spatial: Sequence[int],
        out_features: int,
        hidden: Sequence[int] = (16, 32),
        activation: str = "relu",
        latent_activation: str | None = None,
        kernel_size: int = 5,
        stride: int = 2,
    ) -> None:
        super().__init__()
        if len(spatial) != self.ndim:
            raise ValueError(f"{type(self).__name__} needs {self.ndim} spatial size(s), got {spatial}")
        conv = _CONV[self.ndim]
        channels = [in_channels, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(channels[:-1], channels[1:], strict=True):
            layers += [conv(a, b, kernel_size, stride=stride, padding=kernel_size // 2),
                       make_activation(activation)]
        self.body = nn.Sequential(*layers)
        last = _sizes(spatial, len(hidden), kernel_size, stride)[-1]
        self.out = nn.Linear(channels[-1] * math.prod(last), out_features)
        self.latent_activation = make_activation(latent_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.latent_activation(self.out(self.body(x).flatten(1)))


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: ``(n, latent_dim) -> (n, C, *spatial)`` with exact sizes."""

    ndim: int = 1

    def __init__(
        self,
        latent_dim: int,
        out_channels: int,
        spatial: Sequence[int],
        hidden: Sequence[int] = (16, 32),
        activation: str = "relu",
        output_activation: str = "linear",
        kernel_size: int = 5,
        stride: int = 2,
    ) -> None:
        super().__init__()
        if len(spatial) != self.ndim:
            raise ValueError(f"{type(self).__name__} needs {self.ndim} spatial size(s), got {spatial}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output_activation must be one of {OUTPUT_ACTIVATIONS}")
        hidden = tuple(hidden)
        sizes = _sizes(spatial, len(hidden), kernel_size, stride)
        self._start = ((hidden[-1] if hidden else out_channels), *sizes[-1])
        self.inp = nn.Sequential(nn.Linear(latent_dim, math.prod(self._start)),
                                 make_activation(activation) if hidden else nn.Identity())
        tconv = _TCONV[self.ndim]
        layers: list[nn.Module] = []
        pad = kernel_size // 2
        for i in range(len(hidden) - 1, -1, -1):
            c_in, c_out = hidden[i], hidden[max(i - 1, 0)]
            out_pad = tuple(
                transposed_output_padding(t, s, kernel_size, stride, pad)
                for t, s in zip(sizes[i], sizes[i + 1], strict=True)
            )
            layers += [tconv(c_in, c_out, kernel_size, stride=stride, padding=pad,
                             output_padding=out_pad), make_activation(activation)]
        if hidden:
            layers.append(_CONV[self.ndim](hidden[0], out_channels, kernel_size, padding=pad))
        self.body = nn.Sequential(*layers)
        self.output_activation = make_activation(output_activation)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """The output before ``output_activation`` (see :meth:`DenseDecoder.logits`)."""
        return self.body(self.inp(z).view(z.shape[0], *self._start))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.output_activation(self.logits(z))
