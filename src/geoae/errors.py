"""Exceptions raised by geoae.

Every error a user can cause derives from :class:`GeoAEError`. The subclasses also derive from
the built-in exception a Python or scikit-learn user would catch (``ValueError`` for bad data and
bad parameters), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class GeoAEError(Exception):
    """Base class of every error geoae raises on purpose."""


class DataError(GeoAEError, ValueError):
    """Bad input data: a file, array, column or curve that cannot be used as given."""


class ConfigError(GeoAEError, ValueError):
    """A bad parameter, or a model folder whose configuration is invalid."""


class TrainingError(GeoAEError, RuntimeError):
    """Training could not go on (for example the loss became NaN or infinite)."""


__all__ = ["GeoAEError", "DataError", "ConfigError", "TrainingError"]
