"""Found by a statistician's audit (seventeenth session): VAE.elbo's per-row value called a
bound, the imputer's band too wide (its test is in test_imputation.py)."""

from __future__ import annotations

import numpy as np
import pytest

from geoae import VAE
from geoae.errors import ConfigError


def test_elbo_is_a_monte_carlo_estimate_whose_draws_can_be_raised():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 3))
    vae = VAE(latent_dim=2, hidden=(8,), epochs=20, random_state=0).fit(X)
    one = vae.elbo(X)
    np.testing.assert_array_equal(one, vae.elbo(X, n_draws=1))  # the default is unchanged
    # the estimate's own noise per row: two seeds differ by about sqrt(2) sd of one draw;
    # with 400 draws each, about 20x less
    spread1 = np.std(one - vae.elbo(X, random_state=1))
    spread400 = np.std(vae.elbo(X, n_draws=400) - vae.elbo(X, random_state=1, n_draws=400))
    assert spread1 > 8 * spread400 > 0
    # a one-draw value is not a bound on its row: about half the rows exceed a precise ELBO
    precise = vae.elbo(X, random_state=2, n_draws=400)
    assert 0.3 < np.mean(one > precise) < 0.8
    assert abs(one.mean() - precise.mean()) < 3 * spread1 / np.sqrt(len(X))
    with pytest.raises(ConfigError, match="n_draws=0 is not valid"):
        vae.elbo(X, n_draws=0)
