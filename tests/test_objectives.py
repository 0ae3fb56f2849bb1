"""Every loss term checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Normal, kl_divergence

from geoae import objectives as obj
from geoae.nn import Conv1dEncoder, Conv2dEncoder, DenseEncoder


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(64, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(64, 5, generator=g, dtype=torch.float64)
    ours = obj.gaussian_kl(mu, logvar)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    assert ours.shape == (64,)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)


def test_gaussian_kl_matches_monte_carlo():
    mu = torch.tensor([[0.7, -1.2, 0.1]], dtype=torch.float64)
    logvar = torch.tensor([[-0.5, 0.4, -1.5]], dtype=torch.float64)
    q = Normal(mu, torch.exp(0.5 * logvar))
    g = torch.Generator().manual_seed(1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(200_000, 3, generator=g, dtype=torch.float64)
    mc = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean()
    closed = obj.gaussian_kl(mu, logvar)[0]
    assert abs(float(mc) - float(closed)) / float(closed) < 0.02


def test_reparameterize_moments_and_gradients():
    mu = torch.tensor([1.5, -2.0], requires_grad=True)
    logvar = torch.tensor([0.3, -1.0], requires_grad=True)
    g = torch.Generator().manual_seed(2)
    z = obj.reparameterize(mu.expand(200_000, 2), logvar.expand(200_000, 2), generator=g)
    np.testing.assert_allclose(z.mean(0).detach().numpy(), mu.detach().numpy(), rtol=0.02)
    np.testing.assert_allclose(z.std(0).detach().numpy(), torch.exp(logvar / 2).detach().numpy(),
                               rtol=0.02)
    z.pow(2).mean().backward()
    assert mu.grad is not None and torch.all(mu.grad != 0)
    assert logvar.grad is not None and torch.all(logvar.grad != 0)


def _jacobian_frobenius(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    jac = torch.func.vmap(torch.func.jacrev(lambda v: encoder(v.unsqueeze(0))[0]))(x)
    return jac.pow(2).flatten(1).sum(1).mean()


def test_contractive_closed_form_equals_autograd_jacobian():
    torch.manual_seed(0)
    enc = DenseEncoder(6, 4, hidden=(), latent_activation="sigmoid").double()
    assert obj._single_sigmoid_layer(enc) is not None  # the closed-form path is taken
    x = torch.randn(32, 6, dtype=torch.float64)
    torch.testing.assert_close(obj.contractive_penalty(enc, x), _jacobian_frobenius(enc, x),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("shape", [(1, 16), (2, 16), (1, 6, 5)])
def test_contractive_penalty_of_a_conv_encoder_without_hidden_layers(shape):
    """A conv encoder with no hidden layer is sigmoid(W flatten(x) + b) but takes (n, C, L) or
    (n, C, H, W): the dense closed form must not be applied to it (it was 3x too small for one
    channel and crashed for two)."""
    torch.manual_seed(2)
    enc = (Conv1dEncoder if len(shape) == 2 else Conv2dEncoder)(
        shape[0], shape[1:], 3, hidden=(), latent_activation="sigmoid").double()
    assert obj._single_sigmoid_layer(enc) is None
    x = torch.randn(8, *shape, dtype=torch.float64)
    torch.testing.assert_close(obj.contractive_penalty(enc, x), _jacobian_frobenius(enc, x),
                               atol=1e-8, rtol=1e-6)


def test_contractive_autograd_path_for_two_layer_encoder():
    torch.manual_seed(1)
    enc = DenseEncoder(6, 3, hidden=(8,), activation="tanh").double()
    assert obj._single_sigmoid_layer(enc) is None
    x = torch.randn(16, 6, dtype=torch.float64)
    pen = obj.contractive_penalty(enc, x)
    torch.testing.assert_close(pen, _jacobian_frobenius(enc, x), atol=1e-8, rtol=1e-6)
    pen.backward()  # differentiable with respect to the weights
    assert enc.out.weight.grad is not None


def test_kl_sparsity_textbook_formula():
    g = torch.Generator().manual_seed(3)
    h = torch.sigmoid(torch.randn(50, 7, generator=g, dtype=torch.float64))
    rho = 0.05
    rho_hat = h.numpy().mean(0)
    ref = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert float(obj.kl_sparsity(h, rho)) == pytest.approx(ref, rel=1e-12)
    assert float(obj.kl_sparsity(torch.full((4, 3), rho, dtype=torch.float64), rho)) == pytest.approx(0)


def test_l1_sparsity():
    h = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    assert float(obj.l1_sparsity(h)) == pytest.approx((3 + 3) / 2)


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_masked_loss_ignores_values_behind_the_mask(kind):
    g = torch.Generator().manual_seed(4)
    x = torch.rand(20, 5, generator=g)
    x_hat = torch.rand(20, 5, generator=g, requires_grad=True)
    mask = torch.rand(20, 5, generator=g) > 0.3
    with_nan = torch.where(mask, x, torch.full_like(x, float("nan")))
    with_huge = torch.where(mask, x, torch.full_like(x, 1e30))
    for reduction in ("mean", "sum", "none"):
        a = obj.reconstruction_loss(x_hat, with_nan, mask, kind, reduction)
        b = obj.reconstruction_loss(x_hat, with_huge, mask, kind, reduction)
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b)
    # gradient identical too, and zero on masked entries
    (ga,) = torch.autograd.grad(obj.reconstruction_loss(x_hat, with_nan, mask, kind), x_hat)
    (gb,) = torch.autograd.grad(obj.reconstruction_loss(x_hat, with_huge, mask, kind), x_hat)
    torch.testing.assert_close(ga, gb)
    assert torch.all(ga[~mask] == 0)


def test_reconstruction_loss_matches_torch_losses_without_mask():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(10, 4, generator=g)
    p = torch.rand(10, 4, generator=g) * 0.98 + 0.01
    torch.testing.assert_close(obj.reconstruction_loss(p, x), nn.functional.mse_loss(p, x))
    torch.testing.assert_close(obj.reconstruction_loss(p, x, kind="bce"),
                               nn.functional.binary_cross_entropy(p, x))
    # masked mean = mean over the observed entries only
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[:, :2] = True
    torch.testing.assert_close(obj.reconstruction_loss(p, x, mask),
                               nn.functional.mse_loss(p[:, :2], x[:, :2]))


def test_gaussian_nll_matches_torch():
    g = torch.Generator().manual_seed(6)
    x, mu = torch.randn(30, 3, generator=g), torch.randn(30, 3, generator=g)
    logvar = torch.tensor([0.2, -0.4, 1.0])
    ref = -Normal(mu, torch.exp(0.5 * logvar)).log_prob(x).sum(1).mean()
    torch.testing.assert_close(obj.gaussian_nll(mu, x, logvar), ref)


def test_corruptions_have_the_requested_statistics():
    g = torch.Generator().manual_seed(7)
    x = torch.zeros(400, 500)
    noisy = obj.gaussian_noise(x, 0.3, generator=g)
    assert float(noisy.std()) == pytest.approx(0.3, rel=0.01)
    ones = torch.ones(400, 500)
    masked = obj.masking_noise(ones, 0.25, generator=g)
    assert float((masked == 0).float().mean()) == pytest.approx(0.25, abs=0.005)
    sp = obj.salt_and_pepper(ones * 0.5, 0.2, low=-1.0, high=2.0, generator=g)
    assert float((sp == -1.0).float().mean()) == pytest.approx(0.1, abs=0.005)
    assert float((sp == 2.0).float().mean()) == pytest.approx(0.1, abs=0.005)
    assert float((sp == 0.5).float().mean()) == pytest.approx(0.8, abs=0.005)


# ------------------------------------------------------------------ BCE under mixed precision


def _bce_reference(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-[x log s(l) + (1 - x) log(1 - s(l))] in float64 from log-sigmoids (no clamp)."""
    l64, x64 = logits.double(), x.double()
    return -(x64 * nn.functional.logsigmoid(l64) + (1 - x64) * nn.functional.logsigmoid(-l64))


def test_bce_from_logits_matches_the_formula_and_respects_the_mask():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 5, generator=g, dtype=torch.float64) * 4
    x = torch.rand(64, 5, generator=g, dtype=torch.float64)
    x[x > 0.8] = 1.0  # minmax scaling puts every feature's maximum at exactly 1
    mask = torch.rand(64, 5, generator=g) > 0.2
    want = (_bce_reference(logits, x) * mask).sum(1) / mask.sum(1)
    got = obj.reconstruction_loss(logits, x, mask, kind="bce", reduction="none", logits=True)
    torch.testing.assert_close(got, want)
    # and the probability form gives the same where nothing saturates
    prob = obj.reconstruction_loss(torch.sigmoid(logits), x, mask, kind="bce", reduction="none")
    torch.testing.assert_close(prob, want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="logits=True"):
        obj.reconstruction_loss(logits, x, kind="mse", logits=True)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_bce_stays_finite_and_keeps_its_gradient_in_half_precision(dtype):
    """1 - 1e-7 is 1 in bfloat16 and float16: a saturated sigmoid output (p = 1 exactly) made
    the clamped loss NaN (target 1: 0 * log 0) or inf, so a BCE model trained under the CUDA
    default precision (bf16 autocast) stopped with 'the training loss became NaN'."""
    logits = torch.tensor([[3.0, 9.0, 9.0, 20.0, -20.0]], dtype=dtype, requires_grad=True)
    x = torch.tensor([[1.0, 1.0, 0.9, 0.0, 1.0]], dtype=dtype)
    want = _bce_reference(logits.detach(), x).mean()
    p = torch.sigmoid(logits.detach())
    assert p[0, 1] == 1.0  # the saturation this test is about
    prob = obj.reconstruction_loss(p, x, kind="bce")
    assert torch.isfinite(prob)
    loss = obj.reconstruction_loss(logits, x, kind="bce", logits=True)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss.double(), want, rtol=1e-3, atol=1e-3)
    loss.backward()
    # d/dl = (sigmoid(l) - x) / 5: about +1/5 for the confident wrong outputs (the clamped
    # probability form gave 0 there, so they could never recover)
    grad = logits.grad.double()[0]
    assert grad[3] == pytest.approx(0.2, abs=1e-3) and grad[4] == pytest.approx(-0.2, abs=1e-3)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_kl_sparsity_stays_finite_in_half_precision(dtype):
    h = torch.sigmoid(torch.full((32, 4), 9.0)).to(dtype)  # every unit saturated: mean 1 in bf16
    want = obj.kl_sparsity(torch.sigmoid(torch.full((32, 4), 9.0, dtype=torch.float64)), 0.05)
    got = obj.kl_sparsity(h, 0.05)
    assert torch.isfinite(got)
    # the rounded input's own value (rho_hat at the float32 clamp where h rounded to 1)
    assert float(got) == pytest.approx(float(obj.kl_sparsity(h.float(), 0.05)), rel=1e-6)
    assert float(got) >= float(want)
