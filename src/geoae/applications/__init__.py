"""Applications built on the estimators: anomaly detection and imputation of logs and tables."""

from .anomaly import AnomalyDetector
from .imputation import Imputer

__all__ = ["AnomalyDetector", "Imputer"]

# denoising, feature extraction, generation, seismic attributes, disentanglement (issue #4)
from .denoising import Denoiser, UNet1d, denoise_segy  # noqa: E402
from .disentanglement import mutual_information_gap  # noqa: E402
from .features import EncoderFeatures, encoder_features, latent_map, stack_context  # noqa: E402
from .generation import sample_wells  # noqa: E402
from .seismic import LatentAttributes, seismic_latent_attributes, write_latent_attributes  # noqa: E402

__all__ += [
    "Denoiser",
    "UNet1d",
    "denoise_segy",
    "mutual_information_gap",
    "EncoderFeatures",
    "encoder_features",
    "latent_map",
    "stack_context",
    "sample_wells",
    "LatentAttributes",
    "seismic_latent_attributes",
    "write_latent_attributes",
]
