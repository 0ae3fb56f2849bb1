"""geoae: auto-encoders for geoscience data (well logs, seismic traces, tables).

The public names: the five estimators, :func:`load`, and ``__version__``.
"""

from ._version import __version__
from .errors import ConfigError, DataError, GeoAEError, TrainingError
from .models import (
    VAE,
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
    load,
)

__all__ = [
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VariationalAutoEncoder",
    "VAE",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "load",
    "GeoAEError",
    "DataError",
    "ConfigError",
    "TrainingError",
    "__version__",
]
