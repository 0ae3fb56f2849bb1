"""Pure PyTorch building blocks: backbones and the VAE's Gaussian head (no NumPy, no I/O)."""

from .conv1d import Conv1dDecoder, Conv1dEncoder
from .conv2d import Conv2dDecoder, Conv2dEncoder
from .dense import DenseDecoder, DenseEncoder
from .heads import Gaussian

__all__ = [
    "DenseEncoder", "DenseDecoder", "Conv1dEncoder", "Conv1dDecoder",
    "Conv2dEncoder", "Conv2dDecoder", "Gaussian",
]
