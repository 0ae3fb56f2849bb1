"""Backbones: shapes for any size, activations, pure torch."""

from __future__ import annotations

import pytest
import torch

from geoae.nn import (
    Conv1dDecoder,
    Conv1dEncoder,
    Conv2dDecoder,
    Conv2dEncoder,
    DenseDecoder,
    DenseEncoder,
    Gaussian,
)


@pytest.mark.parametrize("length", [1, 2, 7, 97, 128, 333])
def test_conv1d_round_trips_any_length(length):
    enc, dec = Conv1dEncoder(3, (length,), 4), Conv1dDecoder(4, 3, (length,))
    x = torch.randn(2, 3, length)
    z = enc(x)
    assert z.shape == (2, 4)
    assert dec(z).shape == x.shape


@pytest.mark.parametrize("hw", [(33, 45), (1, 9), (64, 64), (17, 2)])
def test_conv2d_round_trips_any_size(hw):
    enc, dec = Conv2dEncoder(2, hw, 5, hidden=(4, 8, 8)), Conv2dDecoder(5, 2, hw, hidden=(4, 8, 8))
    x = torch.randn(3, 2, *hw)
    assert dec(enc(x)).shape == x.shape


def test_dense_shapes_and_activations():
    enc = DenseEncoder(10, 3, hidden=(16, 8), activation="tanh")
    dec = DenseDecoder(3, 10, hidden=(16, 8), output_activation="sigmoid")
    out = dec(enc(torch.randn(5, 10)))
    assert out.shape == (5, 10)
    assert torch.all((out > 0) & (out < 1))
    linear = DenseEncoder(10, 3, hidden=(), activation="linear")
    assert len(linear.body) == 0
    with pytest.raises(ValueError, match="activation='nope'"):
        DenseEncoder(10, 3, activation="nope")


def test_gaussian_head_splits_and_clamps():
    head = Gaussian(2)
    mu, logvar = head(torch.tensor([[1.0, 2.0, -100.0, 100.0]]))
    assert mu.tolist() == [[1.0, 2.0]]
    assert logvar.tolist() == [[head.logvar_min, head.logvar_max]]
