"""Loading model folders: ``config.json`` validated, weights hashed and shape-checked.

A model folder is data, never code: the config is plain JSON checked key by key, the weights are
safetensors (no pickle), their SHA-256 must match the one recorded at save time, and every tensor
must have the shape the config implies before anything is loaded into a network.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load

from .errors import ConfigError

MAX_CONFIG_BYTES = 16 * 1024 * 1024
REQUIRED = {
    "format": str, "format_version": int, "geoae_version": str, "class": str, "params": dict,
    "input_shape": list, "n_features_in": int, "weights_file": str, "weights_sha256": str,
}
OPTIONAL = {"feature_names_in": (list, type(None)), "history": (dict, type(None)),
            "log10_curves": (list, type(None)), "units": (dict, type(None))}


#: Beside a model folder written by ``geoae train``: the curves the model sees as log10.
TRANSFORMS_FILE = "transforms.json"


def read_curve_units(path) -> dict[str, str]:
    """The unit of each curve the model in folder ``path`` was trained on, as ``geoae train``
    recorded it (``{}`` for folders written before geoae recorded units, by ``Estimator.save``,
    or for curves read from a table, which carries no units)."""
    record = Path(path) / TRANSFORMS_FILE
    if not record.is_file():
        return {}
    try:
        units = json.loads(record.read_text(encoding="utf-8")).get("units", {})
        if not (isinstance(units, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in units.items())):
            raise ValueError("'units' is not a mapping of curve names to units")
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{record} is not readable ({exc}); train the model again") from None
    return units


def read_log10_record(record: Path, fix: str) -> list[str]:
    """The ``"log10"`` curve names of the JSON file ``record`` (a ``transforms.json``, or a
    training run's record); a :class:`ConfigError` naming it, ending in ``fix``, if unreadable."""
    try:
        names = json.loads(record.read_text(encoding="utf-8"))["log10"]
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError("'log10' is not a list of curve names")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{record} is not readable ({exc}); {fix}") from None
    return names


def _config_log10(path: Path) -> list[str] | None:
    """``config.json``'s ``log10_curves`` in folder ``path`` (the curves the estimator saw as
    log10 when it was fitted), or None where it records none (older folders, applications)."""
    cfg_path = path / "config.json"
    try:
        if not cfg_path.is_file() or cfg_path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # said by whatever reads the model itself
    names = cfg.get("log10_curves") if isinstance(cfg, dict) else None
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return None


def read_log10_curves(path, config_fallback: bool = True) -> list[str]:
    """The curves the model in folder ``path`` takes as log10: ``transforms.json``'s record
    (``geoae train``'s, the commands' authority); where it is missing (a model copied as its
    config and weights only, or saved by ``Estimator.save``), ``config.json``'s
    ``log10_curves`` (the curves its fit frame said were log10: ``attrs["log10_curves"]``),
    unless ``config_fallback`` is False; none for folders that record neither.

    The two records may legitimately differ (``--no-log10`` on a table whose values are
    already log10; a model refitted and saved by the Python API into a ``geoae train``
    folder), so ``transforms.json`` is not checked against ``config.json``."""
    path = Path(path)
    record = path / TRANSFORMS_FILE
    if not record.is_file():
        return (_config_log10(path) or []) if config_fallback else []
    return read_log10_record(record, "delete it if the model was trained on resistivities as "
                                     "they are, else train the model again")


def _fail(path: Path, what: str) -> ConfigError:
    return ConfigError(f"model folder {path}: {what}")


#: The ``format`` of a :class:`~geoae.applications.Denoiser` folder's config.json.
DENOISER_FORMAT = "geoae-denoiser"
#: The ``format`` of an :class:`~geoae.applications.AnomalyDetector` folder's config.json.
DETECTOR_FORMAT = "geoae-anomaly-detector"
#: The ``format`` of an :class:`~geoae.applications.Imputer` folder's config.json.
IMPUTER_FORMAT = "geoae-imputer"
#: The ``format`` of an :class:`~geoae.applications.EncoderFeatures` folder's config.json.
FEATURES_FORMAT = "geoae-encoder-features"
#: The ``format`` of a :class:`~geoae.applications.ContextEncoder` folder's config.json.
CONTEXT_FORMAT = "geoae-context-encoder"


def make_folder(path) -> Path:
    """Create the folder a model is saved into (parents too); a path that is a file, or that
    cannot be created, is a DataError naming it (it was a bare FileExistsError/OSError)."""
    from .errors import DataError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(f"{path} is a file; a model is saved as a folder (weights and "
                        "config.json): give a folder path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the model folder {path} ({exc.strerror or exc}); "
                        "choose a folder you can write to") from None
    return path


def write_folder(path, weights_file: str, tensors: dict[str, torch.Tensor], config: dict) -> None:
    """Write an application's folder: ``tensors`` as safetensors in ``weights_file`` and
    ``config`` (plus the weights' SHA-256) as ``config.json``, each atomically; the folder is
    created if needed. Under torchrun, rank 0 alone writes (as a model's ``save`` does)."""
    from safetensors.torch import save as st_save

    from . import distributed as _dist
    from ._atomic import atomic_write_bytes, atomic_write_text

    if not _dist.is_main_process():  # every rank has the same fitted application
        return

    path = make_folder(path)
    blob = st_save(tensors)
    config = dict(config, weights_sha256=hashlib.sha256(blob).hexdigest())
    atomic_write_bytes(path / weights_file, blob)
    atomic_write_text(path / "config.json", json.dumps(config, indent=2))


def build_and_load(make, state: dict):
    """``make()`` (a torch module) with ``state`` loaded, for the folders of the applications:
    the module is built on the meta device first (no memory) and its parameter names and
    shapes compared with ``state``'s, so that a config.json claiming a huge network is refused
    before anything is allocated (``load_model`` does the same for model folders). Raises
    ValueError naming the first difference."""
    import torch

    try:
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in make().state_dict().items()}
    except (ValueError, RuntimeError, TypeError, OverflowError, MemoryError) as exc:
        raise ValueError(f"the network described by config.json cannot be built "
                         f"({str(exc)[:200]})") from None
    got = {k: tuple(v.shape) for k, v in state.items()}
    if set(got) != set(expected):
        raise ValueError(f"the weights hold other tensors than the config implies (missing "
                         f"{sorted(set(expected) - set(got))[:3]}, unexpected "
                         f"{sorted(set(got) - set(expected))[:3]})")
    for key, shape in expected.items():
        if got[key] != shape:
            raise ValueError(f"tensor {key} has shape {got[key]}, the config implies {shape}")
    net = make()
    net.load_state_dict(state, strict=True)
    return net


#: The format version of the applications' folders (Denoiser, Imputer, AnomalyDetector,
#: EncoderFeatures) that this geoae writes and reads.
APPLICATION_FORMAT_VERSION = 1


def format_version_problem(cfg: dict[str, Any]) -> str | None:
    """What is wrong with the ``format_version`` of an application folder's config (None if
    this geoae reads it): damaged, or written by a newer geoae."""
    version = cfg.get("format_version")
    if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
        return f"config.json has no valid format_version ({version!r}); the folder is damaged"
    if version > APPLICATION_FORMAT_VERSION:
        return (f"format_version {version!r} is not supported by this geoae (it reads "
                f"{APPLICATION_FORMAT_VERSION}); a newer geoae wrote it: upgrade geoae")
    return None


def read_folder(path, weights_file: str, fmt: str, noun: str,
                fail) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(config, tensors)`` of a folder written by :func:`write_folder`: its ``format`` must be
    ``fmt`` and the weights must match their SHA-256 (never unpickled). ``fail(what)`` makes the
    :class:`ConfigError` (``noun`` names the object in its message)."""
    path = Path(path)
    if not path.is_dir():
        raise fail("not a folder (it is a file)" if path.exists() else "no such folder")
    try:
        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise fail(f"cannot read config.json ({exc})") from None
    if not isinstance(cfg, dict) or cfg.get("format") != fmt:
        said = _format_named(cfg)
        raise fail(f"not a geoae {noun}" + (f": it holds {said}" if said
                                           else f" (config.json format != {fmt!r})"))
    try:
        blob = (path / weights_file).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {weights_file} ({exc.strerror or exc})") from None
    problem = format_version_problem(cfg)
    if problem:
        raise fail(problem)
    if hashlib.sha256(blob).hexdigest() != cfg.get("weights_sha256"):
        raise fail(f"{weights_file} does not match the SHA-256 in config.json (corrupted or "
                   "tampered)")
    try:
        return cfg, st_load(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise fail(f"{weights_file} cannot be read ({exc})") from None


#: What a folder of each format holds, for the refusal of a folder of another kind.
_FOLDER_NAMES = {
    "geoae-model": "an auto-encoder model (from geoae train or model.save())",
    DENOISER_FORMAT: "a denoiser (from geoae denoise --save-model or Denoiser.save)",
    DETECTOR_FORMAT: "an anomaly detector (from AnomalyDetector.save)",
    IMPUTER_FORMAT: "an imputer (from Imputer.save)",
    FEATURES_FORMAT: "an EncoderFeatures (from EncoderFeatures.save)",
    CONTEXT_FORMAT: "a context encoder (from geoae features --save-model or ContextEncoder.save)",
}

def folder_kind(path) -> str | None:
    """What geoae folder ``path`` is ("an auto-encoder model (from geoae train ...)"), from its
    ``config.json``; None for anything else (no folder, no config, another program's)."""
    try:
        cfg = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return _format_named(cfg)


def _format_named(cfg) -> str | None:
    """What a ``config.json``'s ``format`` is, in :data:`_FOLDER_NAMES`' words; None if unknown."""
    fmt = cfg.get("format") if isinstance(cfg, dict) else None
    return _FOLDER_NAMES.get(fmt) if isinstance(fmt, str) else None


#: What the auto-encoder commands say of the folders of the applications (``{path}``,
#: ``{model}``: the folder and its auto-encoder sub-folder).
_OTHER_FOLDERS = {
    FEATURES_FORMAT: "an EncoderFeatures (from EncoderFeatures.save); its auto-encoder is the "
                     "folder {model}, or load it with geoae.load",
    IMPUTER_FORMAT: "an Imputer (from Imputer.save), not an auto-encoder model; load it with "
                    "geoae.load",
    DETECTOR_FORMAT: "an AnomalyDetector (from AnomalyDetector.save); its auto-encoder is the "
                     "folder {model}, or load the detector with geoae.load",
    CONTEXT_FORMAT: "a ContextEncoder (from ContextEncoder.save or `geoae features "
                    "--save-model`), not an auto-encoder model; use it with `geoae features "
                    "{path} DATA --out ...`, or load it with geoae.load",
    DENOISER_FORMAT: "a Denoiser (from Denoiser.save or `geoae denoise --save-model`), not an "
                     "auto-encoder model; use it with `geoae denoise {path} INPUT.sgy --out ...`, "
                     "or load it with geoae.load",
}


def jsonable_params(params: dict) -> dict:
    """Estimator parameters for a config.json: NumPy scalars as Python numbers (``np.int64(3)``
    -> 3), tuples as lists, a ``random_state`` that is not an integer (a RandomState) as None."""
    import numbers

    import numpy as np

    out = {}
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, tuple):
            v = [x.item() if isinstance(x, np.generic) else x for x in v]
        if k == "random_state":
            v = int(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else None
        out[k] = v
    return out


def folder_format(path) -> str | None:
    """The ``format`` its small config.json gives the folder ``path``; None at any doubt
    (:func:`read_config` then says what is wrong)."""
    try:
        f = Path(path) / "config.json"
        if not f.is_file() or f.stat().st_size > MAX_CONFIG_BYTES:
            return None
        cfg = json.loads(f.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    fmt = cfg.get("format") if isinstance(cfg, dict) else None
    return fmt if isinstance(fmt, str) else None


def holds_denoiser(path) -> bool:
    """Whether the folder ``path`` holds a Denoiser (its small config.json says so)."""
    return folder_format(path) == DENOISER_FORMAT


def read_config(path: Path) -> dict[str, Any]:
    """Read and validate ``config.json`` of the model folder ``path``."""
    from .models import FORMAT_VERSION

    cfg_file = path / "config.json"
    try:
        is_dir = path.is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte...
        is_dir = False
    if not is_dir:
        raise ConfigError(f"no model folder at {path}: give the folder written by model.save() "
                          "or geoae train")
    try:
        if not cfg_file.is_file():
            if (path / "checkpoint.transforms.json").is_file() or (
                    path / "checkpoint.safetensors").is_file():
                raise _fail(path, "holds an unfinished geoae train run (a checkpoint or its "
                                  "record, no model yet): rerun the same geoae train with "
                                  "--resume to finish it, or with --force to start over")
            raise _fail(path, "config.json is missing; was the folder written by model.save() or "
                              "geoae train?")
        if cfg_file.stat().st_size > MAX_CONFIG_BYTES:
            raise _fail(path, "config.json is implausibly large; the folder is not a geoae model")
        text = cfg_file.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read config.json ({exc.strerror or exc})") from None
    try:
        cfg = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: bad JSON, or an integer of more digits than Python converts; RecursionError:
        # arrays or objects nested thousands deep
        detail = str(exc)[:200] or type(exc).__name__
        raise _fail(path, f"config.json is not valid JSON ({detail}); re-save the model") from None
    if not isinstance(cfg, dict):
        raise _fail(path, "config.json must hold a JSON object")
    fmt = cfg.get("format")
    other = _OTHER_FOLDERS.get(fmt) if isinstance(fmt, str) else None
    if other is not None:  # an application's folder, not an auto-encoder model
        raise _fail(path, "this folder holds " + other.format(path=path, model=Path(path) / "model"))
    for key, typ in REQUIRED.items():
        if key not in cfg:
            raise _fail(path, f"config.json lacks the key {key!r}")
        if not isinstance(cfg[key], typ) or isinstance(cfg[key], bool):
            raise _fail(path, f"config.json key {key!r} must be a {typ.__name__}")
    for key, typs in OPTIONAL.items():
        if key in cfg and not isinstance(cfg[key], typs):
            raise _fail(path, f"config.json key {key!r} has the wrong type")
    if cfg["format"] != "geoae-model":
        raise _fail(path, "config.json is not a geoae model config (format != 'geoae-model')")
    # the version first: a newer geoae's folder (with keys this one does not know) says so
    if cfg["format_version"] > FORMAT_VERSION or cfg["format_version"] < 1:
        raise _fail(path, f"model format version {cfg['format_version']} is not supported by "
                          f"this geoae (reads up to {FORMAT_VERSION}); upgrade geoae")
    unknown = set(cfg) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise _fail(path, f"config.json has unknown keys {sorted(unknown)}")
    shape = cfg["input_shape"]
    if not (1 <= len(shape) <= 3 and all(isinstance(s, int) and not isinstance(s, bool)
                                         and 1 <= s <= 10_000_000 for s in shape)):
        raise _fail(path, f"input_shape {shape!r} is not a valid sample shape")
    if cfg["n_features_in"] != shape[0]:
        raise _fail(path, "n_features_in does not match input_shape")
    names = cfg.get("feature_names_in")
    if names is not None and (len(names) != shape[0] or not all(isinstance(n, str) for n in names)):
        raise _fail(path, "feature_names_in must be one string per feature")
    if cfg["weights_file"] != "model.safetensors":
        raise _fail(path, "weights_file must be 'model.safetensors'")
    return cfg


def load_model(path) -> Any:
    """Build the estimator described by the folder ``path`` and load its weights."""
    from .models import ESTIMATORS

    path = Path(path)
    cfg = read_config(path)
    cls = ESTIMATORS.get(cfg["class"])
    if cls is None:
        raise _fail(path, f"unknown model class {cfg['class']!r}; known: {sorted(ESTIMATORS)}")
    params = dict(cfg["params"])
    known = set(cls._get_param_names())
    if set(params) - known:
        raise _fail(path, f"unknown parameters {sorted(set(params) - known)} for {cls.__name__}")
    for name, value in params.items():
        # JSON scalars only (the hidden widths: a list of them): nested junk never reaches the
        # estimator, whose checks expect hashable scalars
        items = value if name == "hidden" and isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in items):
            raise _fail(path, f"invalid parameter in config.json: {name}={value!r:.80} is not a plain value")
    if isinstance(params.get("hidden"), list):
        params["hidden"] = tuple(params["hidden"])
    try:
        model = cls(**params)
        model._check_params()
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        # OverflowError: an integer too large for a float, e.g. learning_rate=10**400
        raise _fail(path, f"invalid parameter in config.json: {str(exc)[:300]}") from None
    expected_ndim = {"dense": 1, "conv1d": 2, "conv2d": 3}[model.backbone]
    if len(cfg["input_shape"]) != expected_ndim:
        raise _fail(path, f"input_shape {cfg['input_shape']} does not fit backbone {model.backbone!r}")

    weights = path / "model.safetensors"
    try:
        if not weights.is_file():
            raise _fail(path, "model.safetensors is missing")
        blob = weights.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read model.safetensors ({exc.strerror or exc})") from None
    if hashlib.sha256(blob).hexdigest() != cfg["weights_sha256"]:
        raise _fail(path, "model.safetensors does not match the SHA-256 recorded in config.json "
                          "(corrupted or tampered); re-save or re-train the model")
    try:
        tensors = st_load(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _fail(path, f"model.safetensors cannot be read ({exc})") from None

    model.input_shape_ = tuple(cfg["input_shape"])
    model.n_features_in_ = cfg["n_features_in"]
    if cfg.get("feature_names_in") is not None:
        model.feature_names_in_ = np.asarray(cfg["feature_names_in"], dtype=object)
    if cfg.get("log10_curves") is not None:
        model.log10_curves_ = [str(c) for c in cfg["log10_curves"]]
    if cfg.get("units") is not None:
        model.units_ = {str(k): str(v) for k, v in cfg["units"].items()}
    if len(model.hidden) > len(tensors):  # each hidden layer has a weight tensor at least
        raise _fail(path, f"model.safetensors holds {len(tensors)} tensors, too few for "
                          f"{len(model.hidden)} hidden layers; the config does not match the weights")
    try:
        # shapes first, on the meta device (no memory): a config claiming a huge network must not
        # allocate it before its shapes are compared with the tensors actually in the file
        with torch.device("meta"):
            state = model._build_network().state_dict()
    except (ValueError, RuntimeError, TypeError, OverflowError, MemoryError) as exc:
        detail = str(exc)[:200]
        raise _fail(path, f"the network described by config.json cannot be built ({detail})") from None
    expected = {f"model.{k}": tuple(v.shape) for k, v in state.items()}
    expected["scaler.offset"] = expected["scaler.scale"] = (model.n_features_in_,)
    if "scaler.fill" in tensors:  # absent from models saved by geoae before 2026-11-30
        expected["scaler.fill"] = (model.n_features_in_,)
    if set(tensors) != set(expected):
        raise _fail(path, "model.safetensors holds different tensors than the config implies "
                          f"(missing {sorted(set(expected) - set(tensors))[:3]}, unexpected "
                          f"{sorted(set(tensors) - set(expected))[:3]})")
    for key, shape in expected.items():
        if tuple(tensors[key].shape) != shape:
            raise _fail(path, f"tensor {key} has shape {tuple(tensors[key].shape)}, expected {shape}")
        if not tensors[key].is_floating_point():
            raise _fail(path, f"tensor {key} has dtype {tensors[key].dtype}; expected floating point")
    net = model._build_network()
    try:
        net.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    except (RuntimeError, ValueError, TypeError) as exc:
        raise _fail(path, f"model.safetensors cannot be loaded into the network ({str(exc)[:200]})") from None
    model.model_ = net.eval()
    model.scaler_offset_ = tensors["scaler.offset"].double().numpy()
    model.scaler_scale_ = tensors["scaler.scale"].double().numpy()
    model.scaler_fill_ = (tensors["scaler.fill"].double().numpy() if "scaler.fill" in tensors
                          else np.zeros(model.n_features_in_))
    if not (np.isfinite(model.scaler_scale_).all() and (model.scaler_scale_ != 0).all()):
        raise _fail(path, "the stored scaler has zero or non-finite scales")
    model.history_ = cfg.get("history") or {}
    return model
