"""geoae: auto-encoders for geoscience data (well logs, seismic traces, tables).

The public names: the five estimators, the applications, :func:`load`, the errors and
``__version__``. Heavy modules (torch) are imported on first use, so ``import geoae`` and
``geoae.io`` / ``geoae.datasets`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import ConfigError, DataError, GeoAEError, TrainingError

_LAZY = {
    "AutoEncoder": "models",
    "DenoisingAutoEncoder": "models",
    "VariationalAutoEncoder": "models",
    "VAE": "models",
    "SparseAutoEncoder": "models",
    "ContractiveAutoEncoder": "models",
    "load": "models",
    "AnomalyDetector": "applications",
    "Imputer": "applications",
    "Denoiser": "applications",
}

__all__ = [
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VariationalAutoEncoder",
    "VAE",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "load",
    "AnomalyDetector",
    "Imputer",
    "Denoiser",
    "GeoAEError",
    "DataError",
    "ConfigError",
    "TrainingError",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from .applications import AnomalyDetector, Denoiser, Imputer
    from .models import (
        VAE,
        AutoEncoder,
        ContractiveAutoEncoder,
        DenoisingAutoEncoder,
        SparseAutoEncoder,
        VariationalAutoEncoder,
        load,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geoae' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
