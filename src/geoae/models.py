"""The scikit-learn estimators: one shared base and five auto-encoder families.

Every estimator takes inputs in the user's units (a scaler is fitted inside), masks missing
values (NaN, and +/-inf with a warning) out of every loss term that compares with the target,
trains with :func:`geoae.training.fit_module` and saves to a folder holding ``config.json`` and
``model.safetensors`` (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from safetensors.torch import save as st_save
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from torch import nn

from . import distributed as _dist
from . import objectives as obj
from ._atomic import atomic_write_bytes, atomic_write_text
from ._validation import check as _check
from ._validation import check_random_state_param
from ._validation import is_int as _is_int
from ._validation import is_real as _is_real
from ._version import __version__
from .errors import ConfigError, DataError
from .nn import (
    Conv1dDecoder,
    Conv1dEncoder,
    Conv2dDecoder,
    Conv2dEncoder,
    DenseDecoder,
    DenseEncoder,
    Gaussian,
)
from .nn._common import ACTIVATIONS
from .preprocessing import (
    SCALERS,
    check_curve_columns,
    check_not_all_missing,
    check_well_labels,
    empty_samples,
    fit_affine_scaler,
    says_once,
    validation_split,
    warn_null_markers,
    warn_once,
)
from .training import (
    CHECKPOINT_FILE,
    PRECISIONS,
    auto_batch_size,
    fit_module,
    read_checkpoint,
    resolve_device,
    seeded,
)

if TYPE_CHECKING:  # what load() may return (the applications import this module)
    from .applications import AnomalyDetector, ContextEncoder, Denoiser, EncoderFeatures, Imputer

__all__ = [
    "BaseAutoEncoder",
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VariationalAutoEncoder",
    "VAE",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "load",
]

BACKBONES = {"dense": 2, "conv1d": 3, "conv2d": 4}
_SHAPES = {
    "dense": "(n_samples, n_features)",
    "conv1d": "(n_samples, channels, length)",
    "conv2d": "(n_samples, channels, height, width)",
}
WELL_COLUMN = "WELL"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
#: Version of the saved model folder. 2 (2026-11-30) adds the ``scaler.fill`` tensor; version
#: 1 folders still load (missing entries then enter at 0 in scaled units, as they did). 3 adds
#: the optional ``units`` / ``log10_curves`` keys; a folder without them is still written as 2,
#: so that a geoae reading up to 2 loads it (and says "upgrade geoae" for one with them).
FORMAT_VERSION = 3
_INFER_BATCH = 8192


@torch.no_grad()
def start_noise_at_data_spread(obs_logvar: torch.Tensor | None, Z: torch.Tensor,
                               mask: torch.Tensor | None) -> None:
    """Start a VAE's observation noise (``obs_logvar``, log variance per feature or channel, in
    scaled units) at the variance of the scaled training data ``Z`` (present entries only).

    Starting at 0 meant unit variance whatever the scaler: right for ``scaler="standard"``, but
    with ``"minmax"`` (a spread of about 0.2) or ``None`` (the curves' own units) the noise was
    off by a factor of tens, and an optimiser step moves a log variance by about the learning
    rate, so a normal fit never got there: samples of a minmax VAE spread 9 times the data's.
    A standard-scaled VAE is unchanged (its data variance is 1)."""
    if obs_logvar is None or not torch.is_tensor(Z):
        return
    dims = [0, *range(2, Z.ndim)]
    w = torch.ones_like(Z) if mask is None else mask.to(Z.dtype)
    n = w.sum(dims)
    mean = (Z * w).sum(dims) / n.clamp_min(1)
    shape = (1, -1) + (1,) * (Z.ndim - 2)
    var = (((Z - mean.view(shape)) ** 2) * w).sum(dims) / (n - 1).clamp_min(1)
    start = torch.log(var.clamp_min(1e-6))
    obs_logvar.copy_(torch.where(n > 1, start, torch.zeros_like(start)).view_as(obs_logvar))


def _fingerprint(X: np.ndarray, wells=None, n: int | None = None) -> str:
    """SHA-256 of the training data as given (values, their order, the well labels; ``n`` the
    row count of a stream whose reservoir ``X`` is): what a resumed fit checks it is given
    again. About 0.2 s per 100 MB."""
    h = hashlib.sha256()
    h.update(repr((X.shape, str(X.dtype), n)).encode())
    h.update(np.ascontiguousarray(X).tobytes())
    if wells is not None:
        h.update("\x1f".join(map(str, wells)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class _Network(nn.Module):
    """Encoder + decoder (+ Gaussian head and learned observation noise for the VAE)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int,
                 variational: bool = False, noise_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.head = Gaussian(latent_dim) if variational else None
        # log sigma^2 of the Gaussian likelihood p(x|z), one per feature/channel (VAE with MSE)
        self.obs_logvar = nn.Parameter(torch.zeros(noise_shape)) if noise_shape else None

    def encode(self, x: torch.Tensor):
        h = self.encoder(x)
        return self.head(h) if self.head is not None else h

    def code(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic code: the latent mean for the VAE."""
        h = self.encode(x)
        return h[0] if self.head is not None else h

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def reconstruction_loss(self, z: torch.Tensor, x: torch.Tensor, mask, kind: str,
                            reduction: str = "mean") -> torch.Tensor:
        """The loss of decoding ``z`` against ``x``; a Bernoulli (``"bce"``) one from the
        decoder's logits (finite, with a gradient, when the sigmoid saturates; every geoae
        decoder has ``logits``)."""
        if kind == "bce":
            return obj.reconstruction_loss(self.decoder.logits(z), x, mask, kind="bce",
                                           reduction=reduction, logits=True)
        return obj.reconstruction_loss(self.decode(z), x, mask, kind=kind, reduction=reduction)


class BaseAutoEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared base of the five auto-encoders (not used directly).

    Parameters
    ----------
    latent_dim : int, default=8
        Size of the code (bottleneck).
    hidden : tuple of int, default=(64, 32)
        Hidden layer widths (dense) or channel counts (conv backbones), outermost first.
    backbone : {"dense", "conv1d", "conv2d"}, default="dense"
        Network family; inputs are ``(n, features)``, ``(n, channels, length)`` or
        ``(n, channels, height, width)``.
    activation : str, default="relu"
        Hidden activation (relu, leaky_relu, elu, selu, gelu, tanh, sigmoid, softplus, linear).
    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss; ``"bce"`` needs inputs in [0, 1] after scaling (``scaler="minmax"``)
        and gives the decoder a sigmoid output.
    scaler : {"standard", "robust", "minmax", None}, default="standard"
        Per-feature (per-channel) scaling fitted inside the estimator. None: the network sees
        the values as given, so give it data already on a scale of about 1 (a network starts
        near 0 and an optimiser step moves a weight by about the learning rate: curves in their
        own units, GR about 65 API, take far more epochs to fit).
    epochs, batch_size, learning_rate, weight_decay
        Optimisation by AdamW. ``batch_size="auto"`` is 256 on CPU and up to 1024 on a GPU (as
        long as an epoch keeps at least 50 steps); under torchrun it is per process.
    validation_fraction : float, default=0.1
        Held-out share for early stopping; whole wells are held out when X has a ``WELL`` column
        with two wells or more (otherwise rows at random, as without it).
    patience : int, default=20
        Epochs without validation improvement before stopping (best weights are restored).
    device : str, default="auto"
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int or None
        Seed for weights, shuffling, corruption and sampling: equal seeds give bit-identical
        fits on CPU with the same number of torch threads (``torch.set_num_threads``) and the
        same torch build. Convolutional backbones (and the ``Imputer``/``Denoiser`` networks)
        may differ in the last bits between thread counts: their kernels split sums by thread
        (about 1e-7 relative after a few epochs).
    verbose : bool, default=False
        Show a progress bar.
    precision : {"auto", "32", "bf16", "16"}, default="auto"
        Training precision: ``"auto"`` is automatic mixed precision on CUDA (bf16 where the GPU
        supports it, else fp16 with a gradient scaler) and float32 elsewhere; ``"32"`` is always
        float32. Inference runs in float32.
    compile : bool or str, default=False
        Compile the training step with :func:`torch.compile` (a string names the backend).

    Attributes
    ----------
    model_ : torch.nn.Module
    history_ : dict of lists
        Per-epoch ``loss``, ``val_loss`` and every loss term (``reconstruction``, ``kl``,
        ``sparsity``, ``contractive``), plus ``best_epoch``.
    n_features_in_ : int
        Features (dense) or channels (conv).
    feature_names_in_ : ndarray of str
        Column names when fitted on a DataFrame.
    input_shape_ : tuple of int
        Shape of one sample.
    scaler_offset_, scaler_scale_ : ndarray of shape (n_features_in_,)
        The affine scaling ``z = (x - offset) / scale`` (in the user's units).
    scaler_fill_ : ndarray of shape (n_features_in_,)
        The training mean of each feature in scaled units: the value a missing entry (and a
        masked one, for ``DenoisingAutoEncoder(noise="masking")``) takes at the network input.

    Notes
    -----
    Distributed training: run the same script or ``geoae train`` under ``torchrun
    --nproc_per_node=N`` (see :mod:`geoae.distributed`); each process trains on its share of the
    rows, gradients are averaged by DistributedDataParallel, and only rank 0 writes files.
    """

    _variational = False

    def __init__(self, *, latent_dim=8, hidden=(64, 32), backbone="dense", activation="relu",
                 loss="mse", scaler="standard", epochs=200, batch_size="auto", learning_rate=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, patience=20, device="auto",
                 random_state=None, verbose=False, precision="auto",
                 compile=False):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.backbone = backbone
        self.activation = activation
        self.loss = loss
        self.scaler = scaler
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.precision = precision
        self.compile = compile

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        """Raise ConfigError naming the first invalid parameter."""
        _check(_is_int(self.latent_dim) and self.latent_dim >= 1, "latent_dim", self.latent_dim,
               "a positive integer (the size of the code)")
        _check(isinstance(self.hidden, (tuple, list))
               and all(_is_int(h) and h >= 1 for h in self.hidden), "hidden", self.hidden,
               "a tuple of positive integers, e.g. (64, 32), or () for no hidden layer")
        _check(self.backbone in BACKBONES, "backbone", self.backbone, f"one of {list(BACKBONES)}")
        _check(self.activation in ACTIVATIONS, "activation", self.activation,
               f"one of {sorted(ACTIVATIONS)}")
        _check(self.loss in ("mse", "bce"), "loss", self.loss, "'mse' or 'bce'")
        _check(self.scaler in SCALERS, "scaler", self.scaler, f"one of {list(SCALERS)}")
        _check(self.precision in PRECISIONS, "precision", self.precision, f"one of {list(PRECISIONS)}")
        _check(isinstance(self.compile, (bool, str)), "compile", self.compile,
               "True, False or the name of a torch.compile backend")
        for name in ("epochs", "patience"):
            v = getattr(self, name)
            _check(_is_int(v) and v >= 1, name, v, "a positive integer")
        auto = isinstance(self.batch_size, str) and self.batch_size == "auto"
        _check(auto or (_is_int(self.batch_size) and self.batch_size >= 1), "batch_size",
               self.batch_size, "a positive integer or 'auto'")
        _check(_is_real(self.learning_rate) and self.learning_rate > 0, "learning_rate",
               self.learning_rate, "a positive number such as 1e-3")
        _check(_is_real(self.weight_decay) and self.weight_decay >= 0, "weight_decay",
               self.weight_decay, "a number >= 0")
        _check(_is_real(self.validation_fraction) and 0 <= self.validation_fraction < 1,
               "validation_fraction", self.validation_fraction, "a number in [0, 1)")
        _check(isinstance(self.device, (str, torch.device)), "device", self.device,
               "'auto', 'cpu', 'cuda' or 'mps'")
        check_random_state_param(self.random_state)
        self._check_own_params()

    def _check_own_params(self) -> None:
        """Subclasses check their own parameters here."""

    # ------------------------------------------------------------------ inputs
    def _validate(self, X, reset: bool, inf_to_nan: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Return X as a float array (missing = NaN) and the WELL labels if X had that column."""
        wells = None
        if reset:
            for name in ("log10_curves_", "units_"):
                if hasattr(self, name):
                    delattr(self, name)
        if isinstance(X, pd.DataFrame):
            check_curve_columns(X, skip=(WELL_COLUMN,))
            if WELL_COLUMN in X.columns:
                wells = X[WELL_COLUMN].to_numpy()
                if reset:
                    check_well_labels(wells)
                X = X.drop(columns=[WELL_COLUMN])
            if reset:  # what the frame says of its curves, for outputs in the user's terms
                cols = [str(c) for c in X.columns]
                attrs = X.attrs or {}
                self.log10_curves_ = [str(c) for c in attrs.get("log10_curves") or [] if str(c) in cols]
                units = attrs.get("units") if isinstance(attrs.get("units"), dict) else {}
                self.units_ = {c: str(units[c]) for c in cols if units.get(c)}
                self._check_resistivity(X)
                from .io.aliases import non_curve_kind

                odd = [str(c) for c in X.columns if non_curve_kind(c) in ("depth", "position", "label")]
                if odd and _dist.is_main_process():
                    warnings.warn(f"X's column(s) {odd} are depths, positions or labels, not "
                                  "measurements, and are used as features (only WELL is set "
                                  f"aside): drop them (X.drop(columns={odd})) unless the model "
                                  "should learn them", UserWarning, stacklevel=3)
        try:
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                              ensure_all_finite=False, allow_nd=True)
        except ValueError as exc:  # scikit-learn's text is kept (its estimator checks match it)
            text = str(exc)
            if text.startswith("Expected 2D array, got 1D array instead"):
                # without the array itself, which scikit-learn prints in full
                raise DataError(f"Expected 2D array, got 1D array instead: X has shape "
                                f"{np.shape(X)}. Reshape your data: X.reshape(-1, 1) if it holds "
                                "one curve, X.reshape(1, -1) if it is one sample") from None
            if reset or "feature names should match" not in text:
                raise
            names = [str(c) for c in getattr(self, "feature_names_in_", [])]
            raise DataError(f"{str(exc).rstrip()}\nPass the curves the model was fitted on, in "
                            f"that order: X[{names}]") from None
        want = BACKBONES.get(self.backbone, 2)
        if X.ndim != want:
            raise DataError(
                f"X has shape {X.shape} ({X.ndim} dimensions) but backbone={self.backbone!r} "
                f"needs {_SHAPES[self.backbone]}; reshape X or choose another backbone"
            )
        if not reset and tuple(X.shape[1:]) != tuple(self.input_shape_):
            raise DataError(
                f"X has samples of shape {tuple(X.shape[1:])} but the model was fitted on "
                f"{tuple(self.input_shape_)}; pass data shaped like the training data"
            )
        if _dist.is_main_process():
            warn_null_markers(X, self._feature_names())
        if not inf_to_nan:  # the caller converts and handles infinities chunk by chunk
            return X, wells
        X = np.asarray(X, dtype=np.float64)  # no copy: X is only read from here on
        inf = np.isinf(X)
        if inf.any():
            warn_once(f"X holds {int(inf.sum())} infinite value(s); they are treated as missing",
                      RuntimeWarning)
            X = np.where(inf, np.nan, X)  # a new array; the caller's is never modified
        return X, wells

    def _check_resistivity(self, X: pd.DataFrame) -> None:
        """Subclasses warn here about curves they model badly as given (the VAE: linear
        resistivities)."""

    def _feature_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        prefix = "feature" if self.backbone == "dense" else "channel"
        return [f"{prefix} {i}" for i in range(self.n_features_in_)]

    def _bshape(self) -> tuple[int, ...]:
        """Shape that broadcasts per-feature/per-channel arrays against a batch."""
        return (1, -1) + (1,) * (len(self.input_shape_) - 1)

    def _scale(self, X: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Scale to model units; return the filled tensor and the observed mask (None if full)."""
        Z = X - self.scaler_offset_.reshape(self._bshape())  # a new float64 array
        Z /= self.scaler_scale_.reshape(self._bshape())
        observed = np.isfinite(Z)
        with np.errstate(invalid="ignore"):
            huge = observed & (np.abs(Z) > np.finfo(np.float32).max)
        if huge.any():  # no float32 holds it: missing, as an infinite reading is
            from .preprocessing import warn_once

            warn_once("X holds values too large for the model's float32 once scaled (above "
                      f"{np.finfo(np.float32).max:.3g} scale units); they are treated as missing",
                      RuntimeWarning)
            observed &= ~huge
        if observed.all():
            return torch.from_numpy(Z.astype(np.float32)), None
        # a missing entry enters the network at the feature's training mean (masked out of the
        # loss), whatever the scaler: 0 with the standard scaler, not the minimum with minmax
        Z = np.where(observed, Z, self._fill().reshape(self._bshape()))
        return torch.from_numpy(Z.astype(np.float32)), torch.from_numpy(observed)

    def _fill(self) -> np.ndarray:
        """Per-feature training mean in scaled units (zeros for models saved before it)."""
        fill = getattr(self, "scaler_fill_", None)
        return np.zeros(len(self.scaler_offset_)) if fill is None else fill

    def _unscale(self, Z: np.ndarray) -> np.ndarray:
        return Z * self.scaler_scale_.reshape(self._bshape()) + self.scaler_offset_.reshape(
            self._bshape())

    # ------------------------------------------------------------------ network
    def _latent_activation(self) -> str | None:
        return None

    def _build_network(self) -> _Network:
        shape = tuple(self.input_shape_)
        out = self.latent_dim * (2 if self._variational else 1)
        out_act = "sigmoid" if self.loss == "bce" else "linear"
        common = dict(hidden=tuple(self.hidden), activation=self.activation)
        if self.backbone == "dense":
            enc = DenseEncoder(shape[0], out, latent_activation=self._latent_activation(), **common)
            dec = DenseDecoder(self.latent_dim, shape[0], output_activation=out_act, **common)
        else:
            Enc, Dec = ((Conv1dEncoder, Conv1dDecoder) if self.backbone == "conv1d"
                        else (Conv2dEncoder, Conv2dDecoder))
            enc = Enc(shape[0], shape[1:], out, latent_activation=self._latent_activation(),
                      **common)
            dec = Dec(self.latent_dim, shape[0], shape[1:], output_activation=out_act, **common)
        noise_shape = None
        if self._variational and self.loss == "mse":
            noise_shape = (shape[0],) + (1,) * (len(shape) - 1)
        return _Network(enc, dec, self.latent_dim, self._variational, noise_shape)

    def _terms(self, net: _Network, xb: torch.Tensor, mb: torch.Tensor | None,
               x_in: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss of one batch: reconstruction of ``xb`` from ``x_in`` (default ``xb``)."""
        rec = net.reconstruction_loss(net.encode(xb if x_in is None else x_in), xb, mb, self.loss)
        return rec, {"reconstruction": rec}

    def _objective(self, X: torch.Tensor, mask: torch.Tensor | None):
        """Return the batch objective; subclasses may use X (training data) for statistics."""
        return self._terms

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, checkpoint_dir=None, checkpoint_every: int = 10,
            resume: bool = False, grad_clip: float | None = None, wells=None):
        """Fit the auto-encoder on X (NaN = missing). ``y`` is ignored. Returns self.

        Parameters
        ----------
        X : array-like or DataFrame
            ``(n_samples, n_features)`` for the dense backbone, ``(n, channels, length)`` or
            ``(n, channels, height, width)`` for the convolutional ones. A ``WELL`` column of a
            DataFrame is not a feature: it makes the validation split hold out whole wells.
            A sample with no observed value at all (every entry NaN: e.g. the top rows of a
            well where every curve is null, or an empty window) carries no information and is
            left out of the fit (scaler, training, validation and, for the VAE, the fitted
            prior).
        checkpoint_dir : path, optional
            Folder (usually the model folder) where ``checkpoint.safetensors`` is written every
            ``checkpoint_every`` epochs and at the end of training.
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir`` after a crash or interruption; with
            the same data and parameters the result equals an uninterrupted fit (on CPU).
        grad_clip : float, optional
            Clip the global gradient norm to this value at every step (stabilises training on
            data with outliers).
        wells : array-like of shape (n_samples,), optional
            The well of each sample of an array ``X``, as a ``WELL`` column of a DataFrame
            gives it: the validation split holds out whole wells.
        """
        self._check_params()
        _dist.init_from_env()  # under torchrun: join the process group (see geoae.distributed)
        _check(_is_int(checkpoint_every) and checkpoint_every >= 1, "checkpoint_every",
               checkpoint_every, "a positive number of epochs")
        _check(grad_clip is None or (_is_real(grad_clip) and grad_clip > 0), "grad_clip", grad_clip,
               "None or a positive gradient norm")
        if not isinstance(X, (np.ndarray, pd.DataFrame, list, tuple)):
            from .streaming import as_dataset

            ds = as_dataset(X)
            if ds is not None:
                if wells is not None:
                    raise ConfigError("wells= applies to arrays; a streamed dataset is split "
                                      "by its own chunks (leave wells= out)")
                return self._fit_stream(ds, checkpoint_dir, checkpoint_every, resume, grad_clip)
        ckpt, loaded = self._checkpoint(checkpoint_dir, resume)
        meta = loaded[1] if loaded is not None else None
        X, column = self._validate(X, reset=True)
        wells = self._fit_wells(column, wells, X.shape[0])
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        n_samples = int(X.shape[0])
        fingerprint = _fingerprint(X, wells) if ckpt is not None else ""
        keep = ~empty_samples(X)
        if not keep.all():  # nothing observed: no information, only a bias (KL, penalties)
            X = X[keep]
            wells = wells[keep] if wells is not None else None
        Z, mask = self._fit_scaler(X)
        seed = self._seed(meta)
        identity = self._identity(ckpt, meta, n_samples, fingerprint, grad_clip)
        n = Z.shape[0]
        train_idx, val_idx = validation_split(n, wells, self.validation_fraction, seed)
        device = _dist.local_device(resolve_device(self.device))
        if _dist.is_distributed():  # the values as read: a copy in other units scales alike
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                raw = float(np.nansum(np.where(np.isfinite(X), X, np.nan), dtype=np.float64))
            _dist.check_same_data(n_samples, raw, device)
        Z = Z.to(device)
        mask = mask.to(device) if mask is not None else None

        def take(t, idx):
            if t is None or len(idx) == 0:
                return None
            if len(idx) == t.shape[0]:  # every row, in order: no copy
                return t
            return t[torch.as_tensor(idx, device=device)]

        Z_train, mask_train = take(Z, train_idx), take(mask, train_idx)
        self._train(seed, device, (Z_train, mask_train), Z_train, mask_train, take(Z, val_idx),
                    take(mask, val_idx), len(train_idx), grad_clip, ckpt, checkpoint_every, loaded,
                    identity)
        held = list(pd.unique(wells[val_idx])) if wells is not None and len(val_idx) else None
        warn_if_first_epoch_best(self.history_, type(self).__name__, held, len(val_idx) / max(n, 1))
        self._after_fit(Z.cpu(), seed)
        return self

    # the steps fit() and _fit_stream() share ------------------------------------------------
    @staticmethod
    def _checkpoint(checkpoint_dir, resume: bool) -> tuple[Path | None, tuple | None]:
        """The checkpoint file (None without ``checkpoint_dir``) and, when resuming from an
        existing one, its ``(tensors, meta)`` (rank 0's, read once, on every rank)."""
        if checkpoint_dir is None:
            if resume:
                raise ConfigError("resume=True needs checkpoint_dir, the folder holding the checkpoint")
            return None, None
        if _dist.is_main_process():  # the only writer
            Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        ckpt = Path(checkpoint_dir) / CHECKPOINT_FILE
        loaded = read_checkpoint(ckpt) if resume else None  # rank 0's, on every rank
        if loaded is not None and "seed" not in loaded[1]:
            raise ConfigError(f"{ckpt} was not written by a geoae estimator's fit; delete it to "
                              "start over")
        return ckpt, loaded

    def _seed(self, meta: dict | None) -> int:
        """The fit's seed: the resumed checkpoint's, else drawn from ``random_state`` (rank 0's
        on every rank under torchrun)."""
        rng = check_random_state(self.random_state)
        seed = _dist.broadcast_int(int(rng.randint(0, 2**31 - 1)))
        return int(meta["seed"]) if meta is not None else seed

    #: Parameters a resumed fit may change: how long and where it runs, not what it learns.
    _RESUME_FREE = frozenset({"epochs", "patience", "verbose", "device", "precision", "compile"})

    def _identity(self, ckpt, meta: dict | None, n_samples: int, fingerprint: str = "",
                  grad_clip=None) -> dict:
        """What a checkpoint records about the data and model; a resumed one must match: the
        class, input shape and rows, the curves (names and order), a fingerprint of the data
        (``fingerprint``) and the parameters that shape what is learnt (all but
        :attr:`_RESUME_FREE`), with ``grad_clip``. A checkpoint of an older geoae, without
        some of these, is compared on those it has."""
        from ._persistence import jsonable_params

        names = getattr(self, "feature_names_in_", None)
        params = {k: v for k, v in jsonable_params(self.get_params()).items()
                  if k not in self._RESUME_FREE}
        params["grad_clip"] = None if grad_clip is None else float(grad_clip)
        identity = {"class": type(self).__name__, "input_shape": list(self.input_shape_),
                    "n_samples": n_samples,
                    "features": None if names is None else [str(c) for c in names],
                    "data_sha256": fingerprint or None,
                    "params": json.loads(json.dumps(params, default=str))}
        if meta is None:
            return identity
        differ = [k for k in identity if k in meta and meta[k] != identity[k]]
        if differ:
            fix = "; resume with the same data and options, or delete it to start over"
            k = differ[0]
            if k == "params":
                was, now = meta["params"] or {}, identity["params"]
                changed = ", ".join(f"{n} {was.get(n)!r} -> {now.get(n)!r}"
                                    for n in sorted(set(was) | set(now)) if was.get(n) != now.get(n))
                raise ConfigError(f"{ckpt} was written with other options ({changed}){fix}")
            if k == "features":
                raise ConfigError(f"{ckpt} was written for the curves {meta['features']}, this "
                                  f"fit has {identity['features']} (names and order must "
                                  f"match){fix}")
            if k == "data_sha256":
                raise ConfigError(f"{ckpt} was written for other data (same shape, other "
                                  f"values: another file, or a changed one){fix}")
            words = {"class": "model", "input_shape": "sample shape", "n_samples": "rows"}
            changed = "; ".join(f"{words[k]} {meta.get(k)!r} then, {identity[k]!r} now"
                                for k in differ if k in words)
            raise ConfigError(f"{ckpt} was written for other data or another model "
                              f"({changed}){fix}")
        return identity

    @staticmethod
    def _fit_wells(column, wells, n: int):
        """The well labels of ``fit``: the ``WELL`` column's, or the ``wells`` argument's."""
        if wells is None:
            return column
        if column is not None:
            raise ConfigError("wells= is given and X has a WELL column: give the wells once")
        wells = np.asarray(wells)
        if wells.ndim != 1 or len(wells) != n:
            raise ConfigError(f"wells= has shape {wells.shape}; it needs one label per sample "
                              f"of X ({n})")
        check_well_labels(wells, what="wells=")
        return wells

    #: Whether the family's loss keeps a code as wide as the input from copying it (noise,
    #: a penalty or the KL term); a plain auto-encoder's does not.
    _REGULARISED_CODE = True

    def _warn_no_bottleneck(self) -> None:
        """Warn when a plain auto-encoder's code is not smaller than its input (``input_shape_``)."""
        n_in = int(np.prod(self.input_shape_))
        if not self._REGULARISED_CODE and self.latent_dim >= n_in and _dist.is_main_process():
            warnings.warn(
                f"the latent dimension ({self.latent_dim}) is not smaller than the {n_in} input "
                f"value{'s' if n_in > 1 else ''} per sample: a plain auto-encoder can then learn "
                "to copy its input, and its reconstruction error says little (anomalies, "
                "imputation); use a smaller latent dimension, or a denoising, sparse, "
                "contractive or variational model, whose loss keeps a wide code from copying",
                UserWarning, stacklevel=4)

    def _warn_outliers(self, values: np.ndarray) -> None:
        """Warn when a few extreme readings set a feature's scale (``values``: channels last)."""
        from .preprocessing import outlier_dominated

        found = outlier_dominated(values, self.scaler_scale_, self.scaler)
        if not found or not _dist.is_main_process():
            return
        names = self._feature_names()
        said = ", ".join(f"{names[j] if j < len(names) else j} ({r:.3g} times)" for j, r in found[:8])
        warnings.warn(
            f"the {self.scaler} scale of {said} is set by a few extreme readings: it is that "
            "many times the spread of the middle half of the values, so every other value is "
            "squeezed to nearly one number and comes back as such; remove the extreme "
            "readings first (geoae.preprocessing.clip_to_physical_range; or a null marker read "
            "as a number: declare it)", UserWarning, stacklevel=4)

    def _fit_scaler(self, X: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Fit the per-feature scaler on X (``input_shape_`` set) and return X scaled + mask."""
        check_not_all_missing(X, self._feature_names())
        self._warn_no_bottleneck()
        channels_last = np.moveaxis(X, 1, -1).reshape(-1, X.shape[1])
        self.scaler_offset_, self.scaler_scale_ = fit_affine_scaler(channels_last, self.scaler)
        self._warn_outliers(channels_last)
        if self.scaler == "standard":  # the offset is the mean
            self.scaler_fill_ = np.zeros(len(self.scaler_offset_))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # checked above: none all-NaN
                mean = np.nanmean(channels_last, axis=0)
            self.scaler_fill_ = (mean - self.scaler_offset_) / self.scaler_scale_
        Z, mask = self._scale(X)
        if self.loss == "bce":
            self._check_unit_interval(Z, mask)
        return Z, mask

    def _train(self, seed, device, stats, X, mask, X_val, mask_val, n_train, grad_clip, ckpt,
               checkpoint_every, loaded, identity, stream_device=None) -> None:
        """Build the network and run :func:`fit_module`; ``stats`` (scaled data and mask) feeds
        the objective's statistics, ``X`` is the training tensor or the streamed-batch callable,
        ``loaded`` the checkpoint to resume from (None: train from scratch)."""
        with seeded(seed, device):
            net = self._build_network().to(device)
            start_noise_at_data_spread(net.obs_logvar, *stats)
            history = fit_module(
                net, self._objective(*stats), X, mask, X_val=X_val, mask_val=mask_val,
                epochs=self.epochs,
                batch_size=self._batch_size(device, n_train // _dist.world_size()),
                learning_rate=self.learning_rate, weight_decay=self.weight_decay,
                patience=self.patience, verbose=self.verbose, grad_clip=grad_clip,
                grad_in_eval=isinstance(self, ContractiveAutoEncoder), desc=type(self).__name__,
                checkpoint=ckpt, checkpoint_every=checkpoint_every, resume=loaded is not None,
                resume_from=loaded,
                checkpoint_meta=dict(identity, seed=seed), precision=self.precision,
                compile=self.compile, stream_device=stream_device,
            )
        self.model_ = net.cpu().eval()
        self.history_ = history

    def _after_fit(self, Z: torch.Tensor, seed: int) -> None:
        """Hook for fitted statistics computed from the trained network (scaled data Z)."""

    def _batch_size(self, device: torch.device, n_train: int) -> int:
        return auto_batch_size(self.batch_size, device, n_train)

    def _fit_stream(self, ds, checkpoint_dir, checkpoint_every, resume, grad_clip):
        """``fit`` on a :class:`geoae.streaming.StreamingDataset`: memory bounded by the chunks,
        the shuffling buffer and the (capped) validation set, not by the data.

        One pass in file order fits the scaler on a uniform reservoir sample of the training
        samples and keeps the validation samples (a fixed hash of each sample's index, see
        :func:`geoae.streaming.is_validation`); every epoch then streams the training samples.
        """
        import copy

        from .streaming import collect, index_batches, is_validation

        ds = copy.copy(ds)  # the user's dataset keeps its epoch and item form
        shape = tuple(int(s) for s in ds.sample_shape)
        if self.backbone == "conv1d" and len(shape) == 1:
            shape = (1, *shape)  # a trace is a one-channel series
        want = BACKBONES.get(self.backbone, 2)
        if len(shape) + 1 != want:
            raise DataError(f"streamed samples have shape {ds.sample_shape} but backbone="
                            f"{self.backbone!r} needs {_SHAPES[self.backbone]}")
        if len(ds._chunks()) < _dist.world_size():
            raise ConfigError(f"the streamed data have {len(ds._chunks())} chunks for "
                              f"{_dist.world_size()} processes; every process needs one: use "
                              "smaller chunks (e.g. chunk_traces) or fewer processes")
        ckpt, loaded = self._checkpoint(checkpoint_dir, resume)
        meta = loaded[1] if loaded is not None else None
        seed = self._seed(meta)  # before the scaler pass: a resumed fit gets the same reservoir
        reservoir, val, n_train, n_val = collect(ds, self.validation_fraction, seed)
        reservoir, val = reservoir.reshape(-1, *shape), val.reshape(-1, *shape)
        if np.isinf(reservoir).any() or np.isinf(val).any():  # as fit() does (and batches() below)
            if _dist.is_main_process():
                warnings.warn("the streamed data hold infinite value(s); they are treated as "
                              "missing", UserWarning, stacklevel=2)
            reservoir = np.where(np.isinf(reservoir), np.nan, reservoir)
            val = np.where(np.isinf(val), np.nan, val)
        # samples with no observed value are left out, as in fit (no information, only a bias)
        n_empty = int(empty_samples(reservoir).sum()) + int(empty_samples(val).sum())
        if n_empty and _dist.is_main_process():
            warnings.warn(f"{n_empty} of the {len(reservoir) + len(val)} streamed samples read "
                          "to fit the scaler have no observed value (SEG-Y: dead, all-zero "
                          "traces); such samples are left out of training", UserWarning,
                          stacklevel=2)
        held = len(val)  # the held-out samples kept for early stopping (a sample of them, if many)
        reservoir, val = reservoir[~empty_samples(reservoir)], val[~empty_samples(val)]
        if n_empty and len(reservoir) == 0 and len(val) == 0:
            raise DataError("every streamed sample read has no observed value (SEG-Y: every "
                            "trace is dead, all zero); nothing to train on")
        if held and len(val) == 0:
            warnings.warn(f"every one of the {held} held-out validation samples kept for early "
                          "stopping is empty (no observed value): early stopping follows the "
                          "training loss instead", stacklevel=2)
        self.input_shape_ = shape
        self.n_features_in_ = shape[0]
        for name in ("feature_names_in_", "log10_curves_", "units_"):  # of an earlier fit
            if hasattr(self, name):
                delattr(self, name)
        if getattr(ds, "curves", None) is not None and len(shape) == 1:
            self.feature_names_in_ = np.asarray(ds.curves, dtype=object)
        Zr, mr = self._fit_scaler(reservoir)
        device = _dist.local_device(resolve_device(self.device))
        Zv, mv = self._scale(val) if len(val) else (None, None)
        Zv = Zv.to(device) if Zv is not None else None
        mv = mv.to(device) if mv is not None else None
        fraction = self.validation_fraction
        batch_size = self._batch_size(device, n_train // _dist.world_size())  # as _train uses

        def batches(epoch):
            ds.set_epoch(epoch)
            for idx, xb in index_batches(ds, batch_size):
                keep = ~is_validation(idx, fraction) & ~empty_samples(xb)
                if not keep.any():
                    continue
                x = xb[keep].reshape(-1, *shape)
                x = np.where(np.isinf(x), np.nan, x)
                Z, m = self._scale(x)
                if device.type == "cuda":  # pinned host memory: asynchronous copies
                    Z, m = Z.pin_memory(), (m.pin_memory() if m is not None else None)
                yield (Z.to(device, non_blocking=True),
                       m.to(device, non_blocking=True) if m is not None else None)

        # every rank streamed the same reservoir from the same files: the same fingerprint (for
        # a checkpoint to record, as fit() does) and the same sum (compared across ranks)
        reservoir = np.asarray(reservoir)
        fingerprint = (_fingerprint(reservoir, None, n_train + n_val) if ckpt is not None
                       else "")
        if _dist.is_distributed():
            _dist.check_same_data(int(n_train + n_val), float(np.nansum(reservoir)), device)
        identity = self._identity(ckpt, meta, int(n_train + n_val), fingerprint, grad_clip)
        stats = (Zr.to(device), mr.to(device) if mr is not None else None)
        self._train(seed, device, stats, batches, None, Zv, mv, n_train, grad_clip, ckpt,
                    checkpoint_every, loaded, identity, stream_device=device)
        self._after_fit(Zr, seed)
        return self

    def _check_unit_interval(self, Z: torch.Tensor, mask: torch.Tensor | None) -> None:
        obs = Z if mask is None else torch.where(mask, Z, torch.full_like(Z, 0.5))
        dims = [0, *range(2, Z.ndim)]
        lo, hi = obs.amin(dim=dims), obs.amax(dim=dims)
        bad = [i for i in range(len(lo)) if lo[i] < -1e-6 or hi[i] > 1 + 1e-6]
        if bad:
            i = bad[0]
            raise ConfigError(
                f"loss='bce' needs inputs in [0, 1] after scaling, but {self._feature_names()[i]!r} "
                f"spans [{float(lo[i]):.3g}, {float(hi[i]):.3g}] with scaler={self.scaler!r}; "
                "use scaler='minmax' or loss='mse'"
            )

    # ------------------------------------------------------------------ inference
    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    def get_feature_names_out(self, input_features=None):
        """Names of the code's columns, ``<class name lower-case>0 .. k-1`` (e.g.
        ``autoencoder0``); raises NotFittedError before ``fit``."""
        check_is_fitted(self, "model_")
        return super().get_feature_names_out(input_features)

    def _device(self) -> torch.device:
        return next(self.model_.parameters()).device

    @torch.no_grad()
    def _batched(self, fn, *tensors: torch.Tensor) -> torch.Tensor:
        self.model_.eval()
        dev = self._device()
        outs = [fn(*(t[i:i + _INFER_BATCH].to(dev) for t in tensors)).cpu()
                for i in range(0, tensors[0].shape[0], _INFER_BATCH)]
        return torch.cat(outs) if outs else torch.empty(0)

    def _rowwise(self, X, fn) -> np.ndarray:
        """Validate X, then run ``fn(X_chunk, Z_chunk, mask_chunk) -> ndarray`` over chunks of
        ``_INFER_BATCH`` rows, filling one output array: the memory used besides the input and
        the output is bounded by the chunk, not by the number of rows. The output of a sample
        with no observed value is NaN (float outputs): the network would only see the training
        means there, and its code or reconstruction would be made up."""
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False, inf_to_nan=False)
        n = X.shape[0]
        # float32 in, float32 out (the network computes in float32; half the output's memory)
        single = X.dtype == np.float32
        out = None
        warned = False
        self.model_.eval()
        with torch.no_grad():
            for i in range(0, n, _INFER_BATCH):
                xc = X[i:i + _INFER_BATCH]
                inf = np.isinf(xc)
                if inf.any():
                    if not warned:
                        warn_once("X holds infinite value(s); they are treated as missing",
                                  RuntimeWarning)
                        warned = True
                    xc = np.where(inf, np.nan, xc)
                Z, mask = self._scale(xc)
                res = fn(xc, Z, mask)
                if out is None:
                    out = np.empty((n, *res.shape[1:]), dtype=np.float32
                                   if single and res.dtype.kind == "f" else res.dtype)
                out[i:i + len(res)] = res
                if mask is not None:
                    out[i:i + len(res)][empty_samples(xc)] = np.nan
        if out is None:  # no rows: the shape of an empty result
            Z, mask = self._scale(X)
            out = fn(X, Z, mask)
            if single and out.dtype.kind == "f":
                out = out.astype(np.float32)
        return out

    def _net(self, fn, *tensors: torch.Tensor) -> torch.Tensor:
        dev = self._device()
        return fn(*(t.to(dev) for t in tensors)).cpu()

    def _recon(self, z: torch.Tensor) -> torch.Tensor:
        return self.model_.decode(self.model_.code(z))

    def _logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output before its sigmoid (``loss="bce"``), for the deterministic code."""
        return self.model_.decoder.logits(self.model_.code(z))

    def transform(self, X):
        """Latent codes, shape ``(n_samples, latent_dim)`` (the VAE returns the mean).

        A sample with no observed value (every entry NaN) gets a row of NaN: it has no code.
        """
        return self._rowwise(X, lambda x, Z, m: self._net(self.model_.code, Z).double().numpy())

    def inverse_transform(self, Z):
        """Decode latent codes ``(n, latent_dim)`` into reconstructions in the user's units.

        A row of NaN (the code :meth:`transform` gives a sample with no observed value) decodes
        to a sample of NaN; a code with only some entries NaN is an error.
        """
        check_is_fitted(self)
        single = np.asarray(Z).dtype == np.float32 if not hasattr(Z, "dtypes") else all(
            d == np.float32 for d in Z.dtypes)
        Z = check_array(Z, dtype=np.float64, ensure_all_finite="allow-nan")
        if Z.shape[1] != self.latent_dim:
            raise DataError(f"Z has {Z.shape[1]} columns but latent_dim={self.latent_dim}")
        nan = np.isnan(Z)
        blank = nan.all(axis=1)
        partial = np.flatnonzero(nan.any(axis=1) & ~blank)
        if len(partial):
            raise DataError(f"Z row(s) {partial[:5].tolist()} have NaN in some but not all "
                            "entries; a code is complete, or all NaN for a sample with no "
                            "observed value")
        if blank.any():
            Z = np.where(blank[:, None], 0.0, Z)
        out = self._unscale(self._batched(self.model_.decode,
                                          torch.from_numpy(Z.astype(np.float32))).double().numpy())
        out[blank] = np.nan
        return out.astype(np.float32) if single else out

    def reconstruct(self, X):
        """``inverse_transform(transform(X))``; a DataFrame in gives a DataFrame out (same index
        and column labels, a WELL column left out), in the user's units, with
        ``attrs["units"]`` and ``attrs["log10_curves"]`` of the curves as the model was fitted
        on them (so that :func:`geoae.preprocessing.inverse_log10_curves` and
        :func:`geoae.io.write_las` label them). A sample with no observed value is all NaN."""
        rec = self._rowwise(X, lambda x, Z, m: self._unscale(self._net(self._recon, Z).double().numpy()))
        if isinstance(X, pd.DataFrame) and rec.ndim == 2:
            out = pd.DataFrame(rec, index=X.index, columns=[c for c in X.columns if c != WELL_COLUMN])
            units = getattr(self, "units_", None) or {}
            logs = getattr(self, "log10_curves_", None) or []
            if units:
                out.attrs["units"] = dict(units)
            if logs:
                out.attrs["log10_curves"] = list(logs)
            return out
        return rec

    def reconstruction_error(self, X, per_feature: bool = False) -> np.ndarray:
        """Reconstruction error in scaled units, ignoring missing values.

        Returns ``(n_samples,)`` (mean over observed entries; NaN for a sample with none), or
        with ``per_feature=True`` ``(n_samples, n_features)`` (conv: per channel, averaged over
        positions; NaN where nothing was observed). Computed in chunks of rows: memory besides
        the input and the output is bounded by the chunk.

        With ``loss="bce"`` the error is the binary cross-entropy less the target's own entropy,
        ``z log(z/p) + (1-z) log((1-z)/(1-p))`` (the Bernoulli KL divergence, or half the
        deviance): 0 for a perfect reconstruction whatever the value, so that mid-range values
        do not score higher than values at the bounds only for being mid-range. It differs
        from the training loss by a constant of the data, so it has the same minimiser. It is
        defined for scaled values in [0, 1] (the training range with ``scaler="minmax"``); a
        value outside is scored as at the nearest bound, with a warning (the formula would go
        negative beyond and rank the most extreme values as the most normal). Use
        ``loss="mse"`` to rank values beyond the training range by how far they are.
        """
        check_is_fitted(self, "model_")
        outside = np.zeros(self.n_features_in_, dtype=np.int64)

        def chunk(x, Z, mask):
            m = torch.ones_like(Z, dtype=torch.bool) if mask is None else mask
            if self.loss == "bce":
                # from the decoder's logits (as the training loss): a saturated output keeps
                # its full error instead of the ~16 nats a clamped probability caps it at
                logit = self._net(self._logits, Z).double()
                z = Z.double()
                beyond = m & ((z < 0) | (z > 1))
                if bool(beyond.any()):
                    dims = [0, *range(2, z.ndim)]
                    outside[:] += beyond.sum(dim=dims).numpy()
                    z = z.clamp(0.0, 1.0)
                # xlogy: 0 log 0 = 0 at the bounds
                logsig = torch.nn.functional.logsigmoid
                err = (torch.special.xlogy(z, z) - z * logsig(logit)
                       + torch.special.xlogy(1 - z, 1 - z) - (1 - z) * logsig(-logit))
                err = err.clamp_min(0.0)  # rounding below 0 for a perfect reconstruction
            else:
                err = (self._net(self._recon, Z).double() - Z.double()) ** 2
            err = torch.where(m, err, torch.zeros_like(err))
            if per_feature:
                dims = tuple(range(2, err.ndim))
                s = err.sum(dim=dims) if dims else err
                c = m.double().sum(dim=dims) if dims else m.double()
            else:
                s, c = err.flatten(1).sum(1), m.double().flatten(1).sum(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (s / c).numpy()

        result = self._rowwise(X, chunk)
        if outside.any():
            names = self._feature_names()
            counts = {str(names[i]): int(outside[i]) for i in np.flatnonzero(outside)}
            warnings.warn(f"reconstruction_error: values outside the training range (scaled "
                          f"outside [0, 1]), per curve {counts}; binary cross-entropy is defined "
                          "on [0, 1] only, so they are scored as at the nearest bound; use "
                          "loss='mse' to rank them by their distance", UserWarning, stacklevel=2)
        return result

    @says_once
    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``; a warning about X is said once."""
        return super().fit_transform(X, y, **fit_params)

    @says_once
    def score(self, X, y=None) -> float:
        """Coefficient of determination R² of the reconstruction, in the user's units,
        averaged over the features (conv: channels; every position counts), as scikit-learn's
        ``r2_score(multioutput="uniform_average")``; missing entries are left out. Higher is
        better, 1 is perfect; ``y`` is ignored.

        Unlike :meth:`reconstruction_error` (in the model's scaled units) it does not depend on
        ``scaler``, so models with different scalers can be compared (e.g. in ``GridSearchCV``).
        Each feature's error is divided by its own variance in X, as with the standard scaler:
        ``1 - score`` is then close to the mean standardised reconstruction error. A feature
        constant in X counts 1 if rebuilt exactly, else 0; a feature with no observed value is
        left out. NaN for fewer than 2 samples.
        """
        check_is_fitted(self)
        values, _ = self._validate(X, reset=False)
        if values.shape[0] < 2:
            return float("nan")
        rec = np.asarray(self.reconstruct(X), dtype=np.float64).reshape(values.shape)
        obs = np.isfinite(values)
        axes = (0, *range(2, values.ndim))
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(values, axis=axes, keepdims=True)
        err = np.where(obs, (values - rec) ** 2, 0.0).sum(axis=axes)
        tot = np.where(obs, (values - mean) ** 2, 0.0).sum(axis=axes)
        seen = obs.sum(axis=axes) > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = np.where(tot > 0, 1 - err / tot, np.where(err == 0, 1.0, 0.0))
        return float(np.mean(r2[seen])) if seen.any() else float("nan")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into folder ``path`` (created if
        needed); each file is written to a temporary name and renamed into place."""
        check_is_fitted(self)
        path = Path(path)
        tensors = {f"model.{k}": v.detach().cpu().contiguous()
                   for k, v in self.model_.state_dict().items()}
        tensors["scaler.offset"] = torch.from_numpy(np.ascontiguousarray(self.scaler_offset_))
        tensors["scaler.scale"] = torch.from_numpy(np.ascontiguousarray(self.scaler_scale_))
        tensors["scaler.fill"] = torch.from_numpy(np.ascontiguousarray(self._fill()))
        blob = st_save(tensors)
        from ._persistence import jsonable_params

        params = jsonable_params(self.get_params())  # NumPy integers as numbers, tuples as lists
        params["device"] = str(params["device"])
        names = getattr(self, "feature_names_in_", None)
        config = {
            "format": "geoae-model",
            "format_version": FORMAT_VERSION,
            "geoae_version": __version__,
            "class": type(self).__name__,
            "params": params,
            "input_shape": list(self.input_shape_),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
            "history": self.history_,
            "weights_file": WEIGHTS_FILE,
            "weights_sha256": hashlib.sha256(blob).hexdigest(),
        }
        # written only when they say something, as format 3: a geoae reading up to format 2
        # refuses unknown keys as a corrupted folder (and says "upgrade geoae" for a newer
        # format), so a model with no log10 curves and no units stays readable by it. Empty
        # and absent mean the same to every reader (no log10, no units recorded).
        for key in ("log10_curves", "units"):
            if getattr(self, f"{key}_", None):
                config[key] = getattr(self, f"{key}_")
        config["format_version"] = 3 if {"log10_curves", "units"} & set(config) else 2
        if _dist.is_main_process():  # under torchrun, rank 0 alone writes (every rank has the model)
            from ._persistence import make_folder

            make_folder(path)
            atomic_write_bytes(path / WEIGHTS_FILE, blob)
            atomic_write_text(path / CONFIG_FILE, json.dumps(config, indent=2))
        return path

    @classmethod
    def load(cls, path) -> BaseAutoEncoder:
        """Load a model folder written by :meth:`save` (never unpickles anything)."""
        from ._persistence import load_model

        model = load_model(path)
        _warn_log10_record(path)
        if not isinstance(model, cls):
            raise ConfigError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}; "
                              "use geoae.load(path) to load any model")
        return model


class AutoEncoder(BaseAutoEncoder):
    """Vanilla auto-encoder: minimises the masked reconstruction loss ``L(x, g(f(x)))``.

    With ``activation="linear"`` and ``hidden=()`` it spans PCA's principal subspace. See
    :class:`BaseAutoEncoder` for the parameters and methods.
    """

    _REGULARISED_CODE = False

    def __init__(self, *, latent_dim=8, hidden=(64, 32), backbone="dense", activation="relu",
                 loss="mse", scaler="standard", epochs=200, batch_size="auto", learning_rate=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, patience=20, device="auto",
                 random_state=None, verbose=False, precision="auto",
                 compile=False):
        super().__init__(latent_dim=latent_dim, hidden=hidden, backbone=backbone,
                         activation=activation, loss=loss, scaler=scaler, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, validation_fraction=validation_fraction,
                         patience=patience, device=device, random_state=random_state,
                         verbose=verbose, precision=precision, compile=compile)


NOISES = ("gaussian", "masking", "salt_and_pepper")


class DenoisingAutoEncoder(BaseAutoEncoder):
    """Denoising auto-encoder: rebuilds clean x from a corrupted copy, ``L(x, g(f(c(x))))``.

    Parameters (besides :class:`BaseAutoEncoder`'s)
    ----------
    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        Corruption applied in scaled units at every training step: additive Gaussian noise of
        standard deviation ``noise_level``; masking of a ``noise_level`` share of entries to the
        mean (as a missing value would be); or a ``noise_level`` share set to each feature's
        training minimum or maximum.
    noise_level : float, default=0.1
    """

    def __init__(self, *, noise="gaussian", noise_level=0.1, latent_dim=8, hidden=(64, 32),
                 backbone="dense", activation="relu", loss="mse", scaler="standard", epochs=200,
                 batch_size="auto", learning_rate=1e-3, weight_decay=0.0, validation_fraction=0.1,
                 patience=20, device="auto", random_state=None, verbose=False, precision="auto",
                 compile=False):
        super().__init__(latent_dim=latent_dim, hidden=hidden, backbone=backbone,
                         activation=activation, loss=loss, scaler=scaler, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, validation_fraction=validation_fraction,
                         patience=patience, device=device, random_state=random_state,
                         verbose=verbose, precision=precision, compile=compile)
        self.noise = noise
        self.noise_level = noise_level

    def _check_own_params(self) -> None:
        _check(self.noise in NOISES, "noise", self.noise, f"one of {list(NOISES)}")
        _check(_is_real(self.noise_level) and self.noise_level >= 0, "noise_level",
               self.noise_level, "a number >= 0 (a std for 'gaussian', a rate in [0, 1] else)")
        if self.noise != "gaussian":
            _check(self.noise_level <= 1, "noise_level", self.noise_level,
                   f"a rate in [0, 1] for noise={self.noise!r}")

    def _objective(self, X, mask):
        dims = [0, *range(2, X.ndim)]
        filled_hi = X if mask is None else torch.where(mask, X, torch.full_like(X, -torch.inf))
        filled_lo = X if mask is None else torch.where(mask, X, torch.full_like(X, torch.inf))
        bshape = (1, -1) + (1,) * (X.ndim - 2)
        low = filled_lo.amin(dim=dims).reshape(bshape)
        high = filled_hi.amax(dim=dims).reshape(bshape)
        fill = torch.as_tensor(self._fill(), dtype=X.dtype, device=X.device).reshape(bshape)

        def objective(net, xb, mb):
            if self.noise == "gaussian":
                x_in = obj.gaussian_noise(xb, self.noise_level)
            elif self.noise == "masking":
                x_in = obj.masking_noise(xb, self.noise_level, fill=fill)
            else:
                x_in = obj.salt_and_pepper(xb, self.noise_level, low, high)
            return self._terms(net, xb, mb, x_in)

        return objective


PRIORS = ("standard", "gmm")

#: Below this KL (nats per sample, at the best epoch) a VAE's code carries next to nothing
#: (healthy fits on well logs: 1-10 nats; collapsed ones: 0.001-0.01).
COLLAPSE_KL = 0.05


def warn_if_first_epoch_best(history: dict, owner: str, held_out=None, share: float = 0.0,
                             stacklevel: int = 2) -> None:
    """Warn (on rank 0) when early stopping kept the first epoch's weights although later
    epochs ran (at least 2 more): the validation loss never improved on its first value, so
    the rest of the training was thrown away. With few wells the validation set is a whole
    held-out well (``held_out``, ``share`` of the rows), which may not look like the others."""
    val, best = history.get("val_loss"), history.get("best_epoch", [-1])[0]
    if best != 0 or not val or len(val) < 3 or not _dist.is_main_process():
        return
    where = (f" (held-out well(s) {', '.join(map(str, held_out))}: {share:.0%} of the rows)"
             if held_out else "")
    warnings.warn(f"{owner}: the validation loss was lowest after the first epoch ({val[0]:.4g}; "
                  f"{val[-1]:.4g} after epoch {len(val)}), so the first epoch's weights were kept "
                  f"and the rest of the training was not used. The validation rows{where} may not "
                  "look like the training rows: try validation_fraction=0 (early stopping on the "
                  "training loss), more wells, or a lower learning_rate", RuntimeWarning,
                  stacklevel=stacklevel + 1)


def warn_if_collapsed(history: dict, owner: str, advice: str, stacklevel: int = 2) -> None:
    """Warn (on rank 0) when a fitted VAE's KL term at its best epoch is below
    :data:`COLLAPSE_KL`: posterior collapse, the decoder ignores the code."""
    kl, best = history.get("kl"), history.get("best_epoch", [-1])[0]
    if not kl or not _dist.is_main_process():
        return
    value = kl[best] if 0 <= best < len(kl) else kl[-1]
    if value < COLLAPSE_KL:
        warnings.warn(f"{owner}: the latent code collapsed to the prior (KL {value:.2g} nats per "
                      f"sample at the best epoch): the decoder ignores the code, so "
                      f"reconstructions and fills are the data's mean and samples are noise. "
                      f"{advice}", RuntimeWarning, stacklevel=stacklevel + 1)


class VariationalAutoEncoder(BaseAutoEncoder):
    """Variational auto-encoder (beta-VAE) with a Gaussian encoder q(z|x) = N(mu, sigma^2).

    Loss per sample: ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` with ``z`` drawn by the
    reparameterisation trick. With ``loss="mse"`` the likelihood is Gaussian with a learned
    variance per feature (in scaled units), so the balance between reconstruction and KL is
    fitted rather than guessed; with ``loss="bce"`` it is Bernoulli. ``beta=0`` drops the KL term.

    Parameters (besides :class:`BaseAutoEncoder`'s)
    ----------
    beta : float, default=1.0
        Weight of the KL term (beta > 1 favours disentangled codes).
    prior : {"standard", "gmm"}, default="standard"
        Latent distribution that :meth:`sample` draws from. ``"standard"``: the training prior
        N(0, I). ``"gmm"``: a Gaussian mixture (full covariances) fitted after training to draws
        from the aggregate posterior q(z) of the training samples (ex-post density estimation,
        Ghosh et al. 2020; Dai & Wipf 2019). The KL term still uses N(0, I); the mixture only
        avoids drawing codes from regions of N(0, I) the decoder never saw, which gives samples
        closer to the data (see docs/benchmarks.md, generation).
    prior_components : int, default=10
        Mixture components for ``prior="gmm"`` (at most the number of training samples are
        used).
    """

    _variational = True

    def _check_resistivity(self, X: pd.DataFrame) -> None:
        """Warn when a resistivity is given in linear ohm.m (spanning a decade or more, above 10,
        and not recorded as log10 in ``X.attrs``): it is log-normal, and a Gaussian decoder of raw ohm.m
        draws negative resistivities."""
        from .preprocessing import _resistivity_columns

        logs = set(getattr(self, "log10_curves_", []))
        linear = []
        for c in _resistivity_columns(X, None):
            if str(c) in logs:
                continue
            v = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
            v = v[np.isfinite(v) & (v > 0)]
            lo, hi = np.percentile(v, [1, 99]) if v.size >= 10 else (1.0, 1.0)
            if hi > 10 * lo and hi > 10:  # a decade or more, and above what a log10 ever reads
                linear.append(str(c))
        if linear and _dist.is_main_process():
            warnings.warn(f"{', '.join(linear)} look like resistivities in linear units (a "
                          "decade or more); they are log-normal, and a VAE of raw ohm.m samples negative "
                          "ones: fit on geoae.preprocessing.log10_curves(X) instead (sample_wells "
                          "then records them, and inverse_log10_curves gives ohm.m back)",
                          UserWarning, stacklevel=4)

    def __init__(self, *, beta=1.0, prior="standard", prior_components=10, latent_dim=8,
                 hidden=(64, 32), backbone="dense",
                 activation="relu", loss="mse", scaler="standard", epochs=200, batch_size="auto",
                 learning_rate=1e-3, weight_decay=0.0, validation_fraction=0.1, patience=20,
                 device="auto", random_state=None, verbose=False, precision="auto",
                 compile=False):
        super().__init__(latent_dim=latent_dim, hidden=hidden, backbone=backbone,
                         activation=activation, loss=loss, scaler=scaler, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, validation_fraction=validation_fraction,
                         patience=patience, device=device, random_state=random_state,
                         verbose=verbose, precision=precision, compile=compile)
        self.beta = beta
        self.prior = prior
        self.prior_components = prior_components

    def _check_own_params(self) -> None:
        _check(_is_real(self.beta) and self.beta >= 0, "beta", self.beta, "a number >= 0")
        _check(self.prior in PRIORS, "prior", self.prior, f"one of {list(PRIORS)}")
        _check(_is_int(self.prior_components) and 1 <= self.prior_components <= 256,
               "prior_components", self.prior_components, "an integer in [1, 256]")

    def _build_network(self) -> _Network:
        net = super()._build_network()
        if self.prior == "gmm":  # ex-post latent density, filled after training (saved with it)
            k, d = int(self.prior_components), int(self.latent_dim)
            net.register_buffer("prior_weight", torch.full((k,), 1.0 / k))
            net.register_buffer("prior_mean", torch.zeros(k, d))
            net.register_buffer("prior_scale_tril", torch.eye(d).expand(k, d, d).clone())
        return net

    def _after_fit(self, Z: torch.Tensor, seed: int) -> None:
        if self.beta > 0:
            advice = f"Try a smaller beta (now {self.beta:g}), more epochs or patience"
            if self.loss == "bce":
                advice += (", or loss='mse': a Bernoulli likelihood on continuous values in "
                           "[0, 1] rewards a good reconstruction too little to pay for a code")
            warn_if_collapsed(self.history_, type(self).__name__, advice + ".", stacklevel=3)
        if self.prior != "gmm":
            return
        from sklearn.mixture import GaussianMixture

        # one draw z ~ q(z|x) per sample (training and validation rows alike): draws from the
        # aggregate posterior q(z) of the data
        gen = torch.Generator().manual_seed(seed)
        mu, logvar = self._batched(lambda z: torch.cat(self.model_.encode(z), 1), Z).split(
            self.latent_dim, 1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen)
        if z.shape[0] < 2:
            raise DataError(f"prior='gmm' fits a mixture to the codes of the training samples, "
                            f"and only {z.shape[0]} sample has an observed value; give more "
                            "samples or use prior='standard'")
        k = min(int(self.prior_components), z.shape[0])
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=seed % 2**31)
        gmm.fit(z.double().numpy())
        net = self.model_
        w = torch.zeros_like(net.prior_weight)  # unused components (k < prior_components) get 0
        w[:k] = torch.from_numpy(gmm.weights_)
        net.prior_weight.copy_(w)
        net.prior_mean[:k] = torch.from_numpy(gmm.means_)
        net.prior_scale_tril[:k] = torch.linalg.cholesky(torch.from_numpy(gmm.covariances_))

    def _draw_latent(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """``n`` latent draws from the prior used for sampling (N(0, I) or the fitted GMM)."""
        eps = torch.randn((n, self.latent_dim), generator=gen)
        if self.prior != "gmm":
            return eps
        net = self.model_
        w = net.prior_weight.cpu()
        if not (torch.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            raise DataError("the VAE's fitted latent mixture has invalid weights (corrupted model?); "
                            "re-fit it")
        comp = torch.multinomial(w, n, replacement=True, generator=gen)
        tril = net.prior_scale_tril.cpu()[comp]
        return net.prior_mean.cpu()[comp] + (tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _nll(self, net, z, xb, mb, reduction="sum"):
        """-log p(xb | z) of the decoder's output for the codes ``z``."""
        if self.loss == "mse":
            return obj.gaussian_nll(net.decode(z), xb, net.obs_logvar, mb, reduction=reduction)
        return net.reconstruction_loss(z, xb, mb, "bce", reduction=reduction)

    def _terms(self, net, xb, mb, x_in=None):
        mu, logvar = net.encode(xb)
        z = obj.reparameterize(mu, logvar)
        rec = self._nll(net, z, xb, mb)
        kl = obj.gaussian_kl(mu, logvar).mean()
        loss = rec + self.beta * kl if self.beta > 0 else rec
        return loss, {"reconstruction": rec, "kl": kl}

    def elbo(self, X, random_state=0, n_draws: int = 1) -> np.ndarray:
        """Per-sample Monte Carlo estimate of the evidence lower bound ``E_q[log p(x|z)] - KL``
        (the mean over ``n_draws`` seeded draws of z), in nats. NaN for a sample with no
        observed value.

        The ELBO is a lower bound on the log-density of X: with ``loss="mse"`` in the user's
        units (the bound in the model's scaled units minus ``sum_j log(scale_j)``, the
        log-Jacobian of the scaling, so VAEs fitted with different scalers compare); with
        ``loss="bce"`` on the Bernoulli log-likelihood of the scaled data (a probability, not a
        density). Each row's value is an *estimate* of that bound, unbiased, not itself a
        bound: with one draw about two rows in three exceed their row's ELBO (and often its
        log-density), by about 0.1 nat per row on a small model; raise ``n_draws`` for
        per-row comparisons. Their mean over rows (:meth:`score`) is a good estimate.

        Missing entries are left out and the sum over the observed ones is rescaled to all
        entries, so that rows with and without gaps are on one scale: for a row with gaps it
        is a heuristic, not a bound on the density of its observed values.
        """
        check_is_fitted(self)
        Xv, _ = self._validate(X, reset=False)
        Z, mask = self._scale(Xv)
        m = torch.ones_like(Z, dtype=torch.bool) if mask is None else mask
        from ._validation import check, is_int

        check(is_int(n_draws) and n_draws >= 1, "n_draws", n_draws, "an integer >= 1")
        gen = torch.Generator().manual_seed(int(random_state))
        # the first draw is the one-draw estimate's, whatever n_draws
        eps = [torch.randn((Z.shape[0], self.latent_dim), generator=gen) for _ in range(n_draws)]
        log_scale = torch.zeros((1, *Z.shape[1:]), dtype=torch.float64)
        if self.loss == "mse":
            log_scale = log_scale + torch.from_numpy(np.log(self.scaler_scale_)).reshape(self._bshape())

        def per_sample(z, mm, e):
            mu, logvar = self.model_.encode(z)
            full = mm.flatten(1).shape[1]
            nll = self._nll(self.model_, mu + torch.exp(0.5 * logvar) * e, z, mm,
                            reduction="none") * full
            # the Jacobian term over the observed entries, rescaled to all entries like the NLL
            # (float32 on the model's device: MPS has no float64)
            mf = mm.flatten(1).to(nll.dtype)
            ls = log_scale.to(device=mf.device, dtype=nll.dtype).flatten(1)
            jac = (ls * mf).sum(1) * full / mf.sum(1).clamp_min(1.0)
            return -(nll + obj.gaussian_kl(mu, logvar) + jac)

        out = np.mean([self._batched(per_sample, Z, m, e).double().numpy() for e in eps], axis=0)
        if mask is not None:
            out[empty_samples(Xv)] = np.nan
        return out

    @says_once
    def score(self, X, y=None) -> float:
        """Mean ELBO per sample (:meth:`elbo`; higher is better; with ``loss="mse"`` in the
        user's units, so it compares across scalers) over the samples with an observed value
        (NaN when there is none); ``y`` is ignored."""
        elbo = self.elbo(X)
        seen = np.isfinite(elbo)
        return float(np.mean(elbo[seen])) if seen.any() else float("nan")

    def sample(self, n: int, random_state=None, noise: bool = True) -> np.ndarray:
        """Draw ``n`` samples ``x ~ p(x|z)``, ``z`` from the prior (N(0, I), or the fitted mixture
        with ``prior="gmm"``), in the user's units.

        ``noise=True`` adds the learned observation noise (so the samples' spread matches the
        data's); ``noise=False`` returns the decoder means. With ``loss="bce"``, ``noise=True``
        draws Bernoulli values (each feature's minimum or maximum: meant for binary data); for
        continuous data in [0, 1] use ``noise=False``. Shape ``(n, *input_shape_)``.
        """
        check_is_fitted(self)
        _check(_is_int(n) and n >= 1, "n", n, "a positive number of samples")
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
        gen = torch.Generator().manual_seed(seed)
        z = self._draw_latent(n, gen)
        x = self._batched(self.model_.decode, z)
        if noise and self.model_.obs_logvar is not None:
            std = torch.exp(0.5 * self.model_.obs_logvar.detach().cpu())
            x = x + std * torch.randn(x.shape, generator=gen)
        elif noise and self.loss == "bce":
            x = torch.bernoulli(x.clamp(0, 1), generator=gen)
        return self._unscale(x.double().numpy())

    def interpolate(self, x_a, x_b, steps: int = 10) -> np.ndarray:
        """Decode ``steps`` points on the straight line between the latent means of two samples.

        ``x_a``, ``x_b`` are single samples (shape of one row, or a one-row DataFrame, or a row
        of a DataFrame as a Series, whose ``WELL`` label is ignored as in :meth:`transform`);
        returns ``(steps, *input_shape_)`` in the user's units, from ``x_a``'s decoding to
        ``x_b``'s. A non-numeric entry (other than ``WELL``) is a
        :class:`~geoae.errors.DataError` that names it.
        """
        check_is_fitted(self)
        _check(_is_int(steps) and steps >= 2, "steps", steps, "an integer >= 2")

        names = getattr(self, "feature_names_in_", None)

        def one(x, what):
            one_sample = f"interpolate: {what} must be one sample"
            if isinstance(x, pd.DataFrame):
                if len(x) != 1:
                    raise DataError(f"{one_sample} (a one-row DataFrame, or a row as x.iloc[i]); "
                                    f"it has {len(x)} rows")
                return x
            if isinstance(x, pd.Series):  # a row of a frame: object dtype when it mixes text
                row = x.drop(WELL_COLUMN, errors="ignore")
                labels, entries = list(row.index), row.to_numpy(dtype=object)
            else:
                entries = np.asarray(x, dtype=object).ravel()
                labels = list(range(entries.size))
            values = np.full(entries.size, np.nan)
            bad = {}
            for i, (label, v) in enumerate(zip(labels, entries, strict=True)):
                if v is None or v is pd.NA:
                    continue
                try:
                    values[i] = float(v)
                except (TypeError, ValueError):
                    bad[label] = v
            if bad:
                which = "entries" if isinstance(x, pd.Series) else "entries at positions"
                todo = (f"select the model's curves, e.g. {what}[{[str(n) for n in names]}]"
                        if names is not None else
                        f"pass a numeric array of shape {tuple(self.input_shape_)}")
                raise DataError(f"interpolate: {what} has non-numeric {which} {bad}; {todo}")
            if isinstance(x, pd.Series):
                if names is not None and [str(c) for c in labels] != [str(n) for n in names]:
                    raise DataError(f"interpolate: {what} has entries {[str(c) for c in labels]} "
                                    f"but the model was fitted on {[str(n) for n in names]}; "
                                    f"select them, e.g. {what}[{[str(n) for n in names]}]")
                if names is not None:
                    return pd.DataFrame(values[None], columns=row.index)
            if values.size != int(np.prod(self.input_shape_)):
                raise DataError(f"{one_sample} of shape {tuple(self.input_shape_)}; it has "
                                f"{np.shape(x)} ({values.size} values)")
            arr = values.reshape(1, *self.input_shape_)
            return pd.DataFrame(arr, columns=names) if names is not None else arr

        # arrays whatever set_output (or sklearn.set_config) asks of transform
        za = np.asarray(self.transform(one(x_a, "x_a")))[0]
        zb = np.asarray(self.transform(one(x_b, "x_b")))[0]
        for name, z in (("x_a", za), ("x_b", zb)):
            if np.isnan(z).all():
                raise DataError(f"{name} has no observed value (every entry is NaN), so it has "
                                "no latent code to interpolate from; pass a sample with data")
        t = np.linspace(0.0, 1.0, steps)[:, None]
        return self.inverse_transform((1 - t) * za + t * zb)


VAE = VariationalAutoEncoder

SPARSITIES = ("l1", "kl")


class SparseAutoEncoder(BaseAutoEncoder):
    """Sparse auto-encoder: reconstruction plus a sparsity penalty on the code activations.

    Parameters (besides :class:`BaseAutoEncoder`'s)
    ----------
    sparsity : {"l1", "kl"}, default="l1"
        ``"l1"``: ReLU code, penalty ``mean_i sum_j |h_ij|``. ``"kl"``: sigmoid code, penalty
        ``sum_j KL(rho || rho_hat_j)`` towards the mean activation ``sparsity_target``.
    sparsity_weight : float, default=1e-3
    sparsity_target : float, default=0.05
        Target mean activation rho (``"kl"`` only), in (0, 1).
    """

    def __init__(self, *, sparsity="l1", sparsity_weight=1e-3, sparsity_target=0.05,
                 latent_dim=8, hidden=(64, 32), backbone="dense", activation="relu", loss="mse",
                 scaler="standard", epochs=200, batch_size="auto", learning_rate=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, patience=20, device="auto",
                 random_state=None, verbose=False, precision="auto",
                 compile=False):
        super().__init__(latent_dim=latent_dim, hidden=hidden, backbone=backbone,
                         activation=activation, loss=loss, scaler=scaler, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, validation_fraction=validation_fraction,
                         patience=patience, device=device, random_state=random_state,
                         verbose=verbose, precision=precision, compile=compile)
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target

    def _check_own_params(self) -> None:
        _check(self.sparsity in SPARSITIES, "sparsity", self.sparsity, f"one of {SPARSITIES}")
        _check(_is_real(self.sparsity_weight) and self.sparsity_weight >= 0, "sparsity_weight",
               self.sparsity_weight, "a number >= 0")
        _check(_is_real(self.sparsity_target) and 0 < self.sparsity_target < 1,
               "sparsity_target", self.sparsity_target, "a rate in (0, 1)")

    def _latent_activation(self) -> str:
        return "sigmoid" if self.sparsity == "kl" else "relu"

    def _terms(self, net, xb, mb, x_in=None):
        h = net.encode(xb)
        rec = net.reconstruction_loss(h, xb, mb, self.loss)
        pen = (obj.kl_sparsity(h, self.sparsity_target) if self.sparsity == "kl"
               else obj.l1_sparsity(h))
        return rec + self.sparsity_weight * pen, {"reconstruction": rec, "sparsity": pen}


class ContractiveAutoEncoder(BaseAutoEncoder):
    """Contractive auto-encoder: reconstruction plus ``contractive_weight * ||dh/dx||_F^2``.

    The code uses the hidden ``activation`` (as in Rifai et al., 2011). With ``hidden=()`` and
    ``activation="sigmoid"`` the penalty is computed in closed form; otherwise from the exact
    Jacobian by automatic differentiation (one backward pass per code unit).

    Parameters (besides :class:`BaseAutoEncoder`'s)
    ----------
    contractive_weight : float, default=1e-3
    """

    def __init__(self, *, contractive_weight=1e-3, latent_dim=8, hidden=(64, 32),
                 backbone="dense", activation="relu", loss="mse", scaler="standard", epochs=200,
                 batch_size="auto", learning_rate=1e-3, weight_decay=0.0, validation_fraction=0.1,
                 patience=20, device="auto", random_state=None, verbose=False, precision="auto",
                 compile=False):
        super().__init__(latent_dim=latent_dim, hidden=hidden, backbone=backbone,
                         activation=activation, loss=loss, scaler=scaler, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         weight_decay=weight_decay, validation_fraction=validation_fraction,
                         patience=patience, device=device, random_state=random_state,
                         verbose=verbose, precision=precision, compile=compile)
        self.contractive_weight = contractive_weight

    def _check_own_params(self) -> None:
        _check(_is_real(self.contractive_weight) and self.contractive_weight >= 0,
               "contractive_weight", self.contractive_weight, "a number >= 0")
        # the penalty differentiates the encoder inside the loss (double backward), which
        # torch.compile's autograd does not support
        _check(self.compile is False, "compile", self.compile,
               "False for ContractiveAutoEncoder (torch.compile cannot do the double backward of "
               "the Jacobian penalty)")

    def _latent_activation(self) -> str:
        return self.activation

    def _terms(self, net, xb, mb, x_in=None):
        rec, terms = super()._terms(net, xb, mb)
        pen = obj.contractive_penalty(net.encoder, xb)
        terms["contractive"] = pen
        return rec + self.contractive_weight * pen, terms


ESTIMATORS: dict[str, type[BaseAutoEncoder]] = {
    c.__name__: c for c in (AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder,
                            SparseAutoEncoder, ContractiveAutoEncoder)
}


def load(path) -> BaseAutoEncoder | AnomalyDetector | Imputer | Denoiser | EncoderFeatures \
        | ContextEncoder:
    """Load any geoae model folder (``config.json`` + ``model.safetensors``).

    A folder written by ``geoae train`` may also hold ``transforms.json``, the curves the model
    was trained on as log10 (resistivities); a warning then names them: give the model those
    curves as log10 (:func:`geoae.preprocessing.log10_curves`). A folder of a
    :class:`~geoae.applications.Denoiser` (``Denoiser.save``, ``geoae denoise --save-model``)
    gives that Denoiser, and one of an :class:`~geoae.applications.AnomalyDetector` or
    :class:`~geoae.applications.Imputer`, :class:`~geoae.applications.EncoderFeatures` or
    :class:`~geoae.applications.ContextEncoder` (their ``save``) that object."""
    from . import applications
    from ._persistence import (
        CONTEXT_FORMAT,
        DENOISER_FORMAT,
        DETECTOR_FORMAT,
        FEATURES_FORMAT,
        IMPUTER_FORMAT,
        folder_format,
        load_model,
    )

    other = {DENOISER_FORMAT: applications.Denoiser, DETECTOR_FORMAT: applications.AnomalyDetector,
             IMPUTER_FORMAT: applications.Imputer, FEATURES_FORMAT: applications.EncoderFeatures,
             CONTEXT_FORMAT: applications.ContextEncoder}
    cls = other.get(folder_format(path))  # the small config.json is read once to tell
    if cls is not None:
        return cls.load(path)
    model = load_model(path)
    _warn_log10_record(path)
    return model


def _warn_log10_record(path) -> None:
    from ._persistence import read_log10_curves

    try:
        names = read_log10_curves(path, config_fallback=False)  # geoae train's record only
    except ConfigError:  # a damaged record: the commands report it; nothing to remind here
        names = None
    if names:
        warnings.warn(f"{path} was trained by `geoae train` on log10 of {names}: give the model "
                      f"those curves as log10 (geoae.preprocessing.log10_curves(df, {names})); "
                      "the geoae commands do this themselves", UserWarning, stacklevel=3)
