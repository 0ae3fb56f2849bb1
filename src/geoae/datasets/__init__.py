"""Built-in datasets: real Kansas well logs and physics-based synthetic logs and seismic.

- :func:`load_kansas_facies` — real well logs with core facies (Council Grove, Kansas;
  Apache-2.0, shipped with the package; see its docstring for the licence and citations).
- :func:`make_synthetic_wells` — synthetic logs from a petrophysical earth model, with noise,
  labelled tool faults and the true lithology, porosity, water saturation and shale volume.
- :func:`make_synthetic_seismic` — convolutional-model seismic section (dipping layers, faults,
  Ricker wavelet) with noise at an exact SNR.
- :func:`ricker` — zero-phase Ricker wavelet.

This sub-package needs only NumPy and pandas (SciPy for band-limited seismic noise); it does not
import PyTorch.
"""

from .kansas import facies_names, load_kansas_facies
from .synthetic import (
    FAULT_TYPES,
    LITHOLOGIES,
    LOG_CURVES,
    SyntheticSeismic,
    SyntheticWells,
    make_synthetic_seismic,
    make_synthetic_wells,
    ricker,
    signal_to_noise_db,
)

__all__ = [
    "load_kansas_facies",
    "facies_names",
    "make_synthetic_wells",
    "make_synthetic_seismic",
    "ricker",
    "signal_to_noise_db",
    "SyntheticWells",
    "SyntheticSeismic",
    "LITHOLOGIES",
    "LOG_CURVES",
    "FAULT_TYPES",
]
