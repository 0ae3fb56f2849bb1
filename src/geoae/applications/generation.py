"""Synthetic well logs drawn from a fitted variational auto-encoder: :func:`sample_wells`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..errors import ConfigError

__all__ = ["sample_wells"]


def sample_wells(vae, n_wells: int = 1, n_samples_per_well: int = 1000, random_state=None, *,
                 depth_start: float = 0.0, step: float = 0.5, noise: bool = True,
                 curves: Sequence[str] | None = None, well_prefix: str = "VAE-") -> pd.DataFrame:
    """Draw synthetic wells from a fitted VAE, in the user's units, as one tidy DataFrame.

    * A ``backbone="dense"`` VAE fitted on rows of curves ``(n_samples, n_curves)`` gives
      independent draws ``x ~ p(x|z), z ~ N(0, I)`` per depth sample: the joint distribution of
      the curves is modelled, their vertical (depth) correlation is not -- consecutive rows are
      independent.
    * A ``backbone="conv1d"`` VAE fitted on depth windows ``(n, n_curves, length)`` gives
      ``ceil(n_samples_per_well / length)`` windows per well, laid end to end (vertical
      structure inside a window, none across the joins) and cut to ``n_samples_per_well``.

    Parameters
    ----------
    vae : VariationalAutoEncoder
        Fitted VAE (dense or conv1d backbone).
    n_wells : int, default=1
    n_samples_per_well : int, default=1000
        Depth samples per well.
    random_state : int, RandomState or None
        Seed of the draws.
    depth_start, step : float
        ``DEPTH`` of the first sample and the sample interval (the units of your data, e.g. ft).
    noise : bool, default=True
        Add the VAE's learned observation noise (the samples then spread like the data);
        ``False`` returns decoder means (smoother, under-dispersed).
    curves : sequence of str, optional
        Curve names; default the names the VAE was fitted with (``feature_names_in_``) or
        ``"channel i"``.
    well_prefix : str, default="VAE-"
        Wells are named ``f"{well_prefix}{i:02d}"`` from 1.

    Returns
    -------
    pandas.DataFrame, shape (n_wells * n_samples_per_well, 2 + n_curves)
        Columns ``WELL`` (str), ``DEPTH`` (float) and one column per curve, in the units the VAE
        was fitted in. When the VAE was fitted on a DataFrame, ``attrs["units"]`` holds its
        curves' units and ``attrs["log10_curves"]`` the curves it saw as log10 (from
        :func:`geoae.preprocessing.log10_curves`), so that
        :func:`~geoae.preprocessing.inverse_log10_curves` gives them back in ohm.m.
    """
    check_is_fitted(vae)
    if not hasattr(vae, "sample"):
        raise ConfigError(f"sample_wells needs a VariationalAutoEncoder, got {type(vae).__name__}")
    for name, v in (("n_wells", n_wells), ("n_samples_per_well", n_samples_per_well)):
        if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1):
            raise ConfigError(f"{name}={v!r} is not valid: a positive integer")
    rng = check_random_state(random_state)
    shape = tuple(vae.input_shape_)
    n_curves = shape[0]
    if curves is None:
        curves = vae._feature_names()
    curves = [str(c) for c in curves]
    if len(curves) != n_curves:
        raise ConfigError(f"curves has {len(curves)} names but the VAE models {n_curves} curves")
    if len(shape) == 1:
        x = vae.sample(n_wells * n_samples_per_well, random_state=rng, noise=noise)
        values = x.reshape(n_wells, n_samples_per_well, n_curves)
    elif len(shape) == 2:
        length = shape[1]
        per_well = -(-n_samples_per_well // length)
        x = vae.sample(n_wells * per_well, random_state=rng, noise=noise)  # (n, C, L)
        x = x.reshape(n_wells, per_well, n_curves, length).transpose(0, 1, 3, 2)
        values = x.reshape(n_wells, per_well * length, n_curves)[:, :n_samples_per_well]
    else:
        raise ConfigError(f"sample_wells needs a dense or conv1d VAE, got input shape {shape}")
    depth = depth_start + step * np.arange(n_samples_per_well)
    frame = pd.DataFrame(values.reshape(-1, n_curves), columns=curves)
    frame.insert(0, "DEPTH", np.tile(depth, n_wells))
    frame.insert(0, "WELL", np.repeat([f"{well_prefix}{i + 1:02d}" for i in range(n_wells)],
                                      n_samples_per_well))
    # what the training frame said of its curves: units, and which were modelled as log10 (so
    # that inverse_log10_curves gives ohm.m back)
    units = getattr(vae, "units_", None) or {}
    frame.attrs["units"] = {c: units[c] for c in curves if c in units}
    logs = [c for c in getattr(vae, "log10_curves_", None) or [] if c in curves]
    if logs:
        frame.attrs["log10_curves"] = logs
    return frame
