"""Helpers shared by the backbones: activation lookup and exact transposed-convolution sizes."""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "linear": nn.Identity,
    "identity": nn.Identity,
}

OUTPUT_ACTIVATIONS = ("linear", "sigmoid")


def make_activation(name: str | None) -> nn.Module:
    """Return a fresh activation module for ``name`` (``None`` means linear)."""
    if name is None:
        return nn.Identity()
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"activation={name!r} is not known; use one of {sorted(ACTIVATIONS)}"
        ) from None


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution: floor((L + 2p - k) / s) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def transposed_output_padding(target: int, size: int, kernel: int, stride: int, padding: int) -> int:
    """The ``output_padding`` that makes a transposed convolution return exactly ``target``.

    A transposed convolution maps ``size`` to ``(size - 1) * s - 2p + k + output_padding``; the
    needed ``output_padding`` is always in ``[0, s - 1]`` when ``size`` came from ``target`` by the
    matching forward convolution.
    """
    return target - ((size - 1) * stride - 2 * padding + kernel)
