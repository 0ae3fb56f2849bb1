"""Applications built on the estimators: anomaly detection, imputation, denoising, feature
extraction, generation, seismic attributes and a disentanglement metric."""

from .anomaly import AnomalyDetector
from .denoising import Denoiser, UNet1d, denoise_segy, segy_line_starts
from .disentanglement import mutual_information_gap
from .features import ContextEncoder, EncoderFeatures, encoder_features, latent_map, stack_context
from .generation import sample_wells
from .imputation import Imputer
from .seismic import LatentAttributes, seismic_latent_attributes, write_latent_attributes

__all__ = [
    "AnomalyDetector",
    "Imputer",
    "Denoiser",
    "UNet1d",
    "denoise_segy",
    "segy_line_starts",
    "mutual_information_gap",
    "EncoderFeatures",
    "ContextEncoder",
    "encoder_features",
    "latent_map",
    "stack_context",
    "sample_wells",
    "LatentAttributes",
    "seismic_latent_attributes",
    "write_latent_attributes",
]
