"""Applications built on the estimators: anomaly detection and imputation of logs and tables."""

from .anomaly import AnomalyDetector
from .imputation import Imputer

__all__ = ["AnomalyDetector", "Imputer"]
