"""Small parameter checks shared by the estimators: each failure is a ConfigError naming the
parameter, its value and what is expected."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import ConfigError


def check(cond: bool, name: str, value: Any, expected: str) -> None:
    """Raise ``ConfigError("name=value is not valid: expected")`` unless ``cond``."""
    if not cond:
        raise ConfigError(f"{name}={value!r} is not valid: {expected}")


def is_int(v: Any) -> bool:
    """An integer (Python or NumPy), not a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def is_real(v: Any) -> bool:
    """A finite real number (Python or NumPy), not a bool."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def check_random_state_param(value: Any, name: str = "random_state") -> None:
    """Raise ConfigError unless ``value`` is None, an integer numpy can seed with (0 to
    2**32 - 1) or a numpy RandomState (numpy's own error came out as a bare ValueError)."""
    check(value is None or (is_int(value) and 0 <= value <= 2**32 - 1)
          or isinstance(value, np.random.RandomState), name, value,
          "None, an integer in [0, 2**32 - 1] or a numpy RandomState")
