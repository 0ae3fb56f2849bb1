"""1-D convolutional backbone for log windows and traces shaped ``(n, channels, length)``."""

from __future__ import annotations

from ._conv import ConvDecoder, ConvEncoder


class Conv1dEncoder(ConvEncoder):
    """``(n, channels, length) -> (n, out_features)``; ``spatial=(length,)``. See ConvEncoder."""

    ndim = 1


class Conv1dDecoder(ConvDecoder):
    """``(n, latent_dim) -> (n, channels, length)``, output length equal to the input length."""

    ndim = 1
