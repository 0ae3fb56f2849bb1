"""float32 in, float32 out (scikit-learn's preserves_dtype): the network computes in float32,
and a float64 copy of a 5-million-row reconstruction is 600 MB more than it needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoae import VAE, AutoEncoder


@pytest.mark.filterwarnings("ignore:.*latent code collapsed")  # random data: nothing to code
def test_float32_input_gives_float32_outputs_with_the_float64_values():
    X = np.random.default_rng(0).normal(size=(300, 4))
    X[5, 1] = np.nan
    for est in (AutoEncoder(latent_dim=2, epochs=2, random_state=0),
                VAE(latent_dim=2, epochs=2, random_state=0)):
        est.fit(X)
        x32 = X.astype(np.float32)
        for name in ("transform", "reconstruct", "reconstruction_error"):
            a, b = getattr(est, name)(X), getattr(est, name)(x32)
            assert a.dtype == np.float64 and b.dtype == np.float32, name
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=name)
        Z = est.transform(X)
        assert est.inverse_transform(Z.astype(np.float32)).dtype == np.float32
        assert est.inverse_transform(Z).dtype == np.float64
        frame = pd.DataFrame(x32, columns=list("abcd"))
        est.fit(frame)
        assert est.reconstruct(frame).dtypes.eq(np.float32).all()
    assert "float32" in AutoEncoder().__sklearn_tags__().transformer_tags.preserves_dtype
