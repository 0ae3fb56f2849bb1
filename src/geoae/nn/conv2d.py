"""2-D convolutional backbone for patches and images shaped ``(n, channels, height, width)``."""

from __future__ import annotations

from ._conv import ConvDecoder, ConvEncoder


class Conv2dEncoder(ConvEncoder):
    """``(n, channels, h, w) -> (n, out_features)``; ``spatial=(h, w)``. See ConvEncoder."""

    ndim = 2


class Conv2dDecoder(ConvDecoder):
    """``(n, latent_dim) -> (n, channels, h, w)``, output size equal to the input size."""

    ndim = 2
