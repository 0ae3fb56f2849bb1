"""Physics-based synthetic well logs and seismic sections with known ground truth.

:func:`make_synthetic_wells` builds a layered earth (lithology from a Markov chain, porosity,
water saturation and shale volume per bed), computes the log responses from standard
petrophysical relations, then adds measurement noise and labelled tool faults.
:func:`make_synthetic_seismic` builds a dipping, faulted layered impedance model and convolves its
reflectivity with a zero-phase Ricker wavelet (:func:`ricker`), then adds white or band-limited
noise at an exact signal-to-noise ratio.

Only NumPy and pandas are needed; band-limited seismic noise also uses SciPy (``scipy.signal``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

__all__ = [
    "LITHOLOGIES",
    "LOG_CURVES",
    "FAULT_TYPES",
    "SyntheticWells",
    "SyntheticSeismic",
    "make_synthetic_wells",
    "make_synthetic_seismic",
    "ricker",
    "signal_to_noise_db",
]

#: Lithology names used by :func:`make_synthetic_wells` (``truth["LITHOLOGY"]``).
LITHOLOGIES: tuple[str, ...] = ("sandstone", "shale", "limestone", "dolomite")
#: Log curves produced by :func:`make_synthetic_wells`, in column order.
LOG_CURVES: tuple[str, ...] = ("GR", "RHOB", "NPHI", "DT", "PE", "RT", "CALI")
#: Tool-fault types injected by :func:`make_synthetic_wells` (``faults["fault_type"]``).
FAULT_TYPES: tuple[str, ...] = ("spike", "flatline", "washout", "missing")

_SAND, _SHALE, _LIME, _DOLO = range(4)

# Mineral (matrix) end-members: bulk density g/cm3, sonic slowness us/ft, photoelectric factor b/e,
# apparent neutron porosity in limestone units v/v. Shale beds use quartz (silt) as host mineral.
_MINERALS = {
    "quartz": {"rho": 2.65, "dt": 55.5, "pe": 1.81, "nphi": -0.035},
    "calcite": {"rho": 2.71, "dt": 47.6, "pe": 5.08, "nphi": 0.0},
    "dolomite": {"rho": 2.87, "dt": 43.5, "pe": 3.14, "nphi": 0.02},
}
_HOST = {_SAND: "quartz", _SHALE: "quartz", _LIME: "calcite", _DOLO: "dolomite"}
# Wet shale end-member (clay with its bound water) and the flushed-zone fluid (mud filtrate).
_SHALE_PROPS = {"rho": 2.60, "dt": 90.0, "pe": 3.42, "nphi": 0.35}
_FLUID_PROPS = {"rho": 1.00, "dt": 189.0, "pe": 0.36, "nphi": 1.00}
_GR_CLEAN, _GR_SHALE = 20.0, 120.0  # API
_ARCHIE_A, _ARCHIE_M, _ARCHIE_N = 1.0, 2.0, 2.0

# Off-diagonal transition probabilities between lithologies (row: from, column: to); the
# probability of staying in a bed is set by the mean bed thickness. Rows sum to 1 off the diagonal.
_SWITCH = np.array(
    [
        [0.00, 0.60, 0.25, 0.15],  # sandstone -> shale mostly
        [0.45, 0.00, 0.40, 0.15],  # shale -> sandstone or limestone
        [0.15, 0.50, 0.00, 0.35],  # limestone -> shale or dolomite
        [0.15, 0.35, 0.50, 0.00],  # dolomite -> limestone or shale
    ]
)
# Bed-mean ranges per lithology: effective porosity (v/v) and shale volume (v/v).
_PHI_RANGE = {_SAND: (0.08, 0.28), _SHALE: (0.0, 0.05), _LIME: (0.02, 0.18), _DOLO: (0.04, 0.20)}
_VSH_RANGE = {_SAND: (0.02, 0.20), _SHALE: (0.70, 0.90), _LIME: (0.02, 0.15), _DOLO: (0.02, 0.15)}

# Measurement-noise standard deviations at noise_level=1 (RT: relative, i.e. log-normal sigma).
_NOISE_STD = {"GR": 2.5, "RHOB": 0.012, "NPHI": 0.008, "DT": 0.8, "PE": 0.08, "RT": 0.03, "CALI": 0.03}
# Spike scale per curve (a spike is 6 to 12 times this); sign: +1 up only, 0 either way.
_SPIKE_SCALE = {"GR": 10.0, "RHOB": 0.05, "NPHI": 0.03, "DT": 5.0, "PE": 0.4, "RT": 0.25, "CALI": 0.3}
_SPIKE_SIGN = {"GR": 1, "RHOB": 0, "NPHI": 0, "DT": 1, "PE": 1, "RT": 0, "CALI": 0}
_FAULT_LENGTH = {"spike": (1, 3), "flatline": (8, 30), "washout": (6, 30), "missing": (10, 60)}
_WASHOUT_DRHO_PER_INCH = 0.10  # g/cm3 of apparent density loss per inch of hole enlargement
_FAULT_GAP = 2  # clean samples kept between two fault events


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _generators(random_state, n: int) -> list[np.random.Generator]:
    """Independent child generators, so that e.g. noise=False leaves the geology unchanged."""
    if isinstance(random_state, np.random.Generator):
        return list(random_state.spawn(n))
    if isinstance(random_state, np.random.SeedSequence):
        seq = random_state
    elif random_state is None or isinstance(random_state, (int, np.integer)):
        if random_state is not None and int(random_state) < 0:
            raise ConfigError(f"random_state must be a non-negative integer, got {random_state}")
        seq = np.random.SeedSequence(None if random_state is None else int(random_state))
    else:
        raise ConfigError(
            "random_state must be None, an int, a numpy SeedSequence or a numpy Generator, "
            f"got {type(random_state).__name__}"
        )
    return [np.random.default_rng(s) for s in seq.spawn(n)]


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(
    name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = True
) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    bad = not np.isfinite(out)
    if low is not None:
        bad = bad or (out <= low if low_open else out < low)
    if high is not None:
        bad = bad or out > high
    if bad:
        rng = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
        raise ConfigError(f"{name} must be a finite number in {rng}, got {value!r}")
    return out


def _smooth_field(rng: np.random.Generator, n: int, correlation: float) -> np.ndarray:
    """Stationary Gaussian random field of unit variance, Gaussian autocorrelation ~ `correlation`
    samples, shape (n,)."""
    half = max(1, int(np.ceil(3 * correlation)))
    x = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (x / max(correlation, 1e-9)) ** 2)
    white = rng.standard_normal(n + 2 * half)
    out = np.convolve(white, kernel, mode="valid")
    return out / np.sqrt(np.sum(kernel**2))


# --------------------------------------------------------------------------------------------
# wells
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class SyntheticWells:
    """Result of :func:`make_synthetic_wells`.

    All four frames have one row per depth sample, in the same order (well by well, increasing
    depth), a ``RangeIndex`` and the ``WELL`` (str) and ``DEPTH`` (ft) columns first.

    Attributes
    ----------
    clean : pandas.DataFrame
        Noise-free, fault-free log responses of the model earth: ``WELL``, ``DEPTH`` and the
        curves ``GR`` (API), ``RHOB`` (g/cm3), ``NPHI`` (v/v, limestone units), ``DT`` (us/ft),
        ``PE`` (b/e), ``RT`` (ohm.m), ``CALI`` (in), all float64.
    observed : pandas.DataFrame
        The same columns as ``clean`` after measurement noise and tool faults; NaN in missing
        intervals.
    faults : pandas.DataFrame
        ``WELL``, ``DEPTH``, one bool column per curve (True where that curve's observed value was
        changed by a fault) and ``fault_type`` (str: ``"none"``, ``"spike"``, ``"flatline"``,
        ``"washout"`` or ``"missing"``; ``"none"`` exactly where no curve is flagged).
    truth : pandas.DataFrame
        ``WELL``, ``DEPTH``, ``LITHOLOGY`` (str, one of :data:`LITHOLOGIES`), ``PHI`` (effective
        porosity, v/v), ``SW`` (water saturation, v/v), ``VSH`` (shale volume, v/v), ``BED``
        (int, bed number within the well, from 0 at the top).
    params : dict
        The arguments :func:`make_synthetic_wells` was called with (after validation).
    """

    clean: pd.DataFrame
    observed: pd.DataFrame
    faults: pd.DataFrame
    truth: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def curves(self) -> tuple[str, ...]:
        """Names of the log curves, in column order."""
        return LOG_CURVES

    def __repr__(self) -> str:
        n_wells = self.clean["WELL"].nunique()
        rate = float((self.faults["fault_type"] != "none").mean()) if len(self.faults) else 0.0
        return (
            f"SyntheticWells(n_wells={n_wells}, n_rows={len(self.clean)}, "
            f"curves={list(LOG_CURVES)}, fault_fraction={rate:.3f})"
        )


def _simulate_lithology(rng, n: int, p_stay: float) -> tuple[np.ndarray, np.ndarray]:
    """Sticky Markov chain: bed thickness is geometric with mean 1/(1-p_stay) samples, next
    lithology drawn from the switching matrix. Returns (lithology codes, bed index), both (n,)."""
    lith = np.empty(n, dtype=np.int64)
    bed = np.empty(n, dtype=np.int64)
    state = int(rng.integers(4))
    pos, k = 0, 0
    while pos < n:
        thickness = int(rng.geometric(1.0 - p_stay)) if p_stay > 0 else 1
        lith[pos : pos + thickness] = state
        bed[pos : pos + thickness] = k
        pos += thickness
        k += 1
        state = int(rng.choice(4, p=_SWITCH[state]))
    return lith, bed


def _one_well(rng, n: int, p_stay: float, smooth: float, rw: float, rsh: float, bit_size: float):
    lith, bed = _simulate_lithology(rng, n, p_stay)
    n_beds = int(bed[-1]) + 1
    bed_lith = lith[np.searchsorted(bed, np.arange(n_beds))]  # lithology of each bed
    lo_phi = np.array([_PHI_RANGE[c][0] for c in bed_lith])
    hi_phi = np.array([_PHI_RANGE[c][1] for c in bed_lith])
    lo_vsh = np.array([_VSH_RANGE[c][0] for c in bed_lith])
    hi_vsh = np.array([_VSH_RANGE[c][1] for c in bed_lith])
    phi_bed = rng.uniform(lo_phi, hi_phi)
    vsh_bed = rng.uniform(lo_vsh, hi_vsh)
    hydrocarbon = rng.random(n_beds) < 0.35
    sw_bed = np.where(hydrocarbon, rng.uniform(0.15, 0.50, n_beds), rng.uniform(0.70, 1.0, n_beds))
    sw_bed[bed_lith == _SHALE] = 1.0

    shale = lith == _SHALE
    # smooth variation within beds (continuous random fields), clipped to physical bounds
    phi = phi_bed[bed] + 0.015 * _smooth_field(rng, n, smooth)
    phi = np.where(shale, np.clip(phi, 0.0, 0.06), np.clip(phi, 0.01, 0.32))
    vsh = vsh_bed[bed] + 0.02 * _smooth_field(rng, n, smooth)
    vsh = np.where(shale, np.clip(vsh, 0.6, 0.93), np.clip(vsh, 0.01, 0.25))
    sw = np.where(shale, 1.0, np.clip(sw_bed[bed] + 0.04 * _smooth_field(rng, n, smooth), 0.08, 1.0))
    rugosity = _smooth_field(rng, n, smooth)

    vma = 1.0 - phi - vsh
    host = [_MINERALS[_HOST[c]] for c in range(4)]
    ma = {key: np.array([m[key] for m in host])[lith] for key in ("rho", "dt", "pe", "nphi")}
    sh, fl = _SHALE_PROPS, _FLUID_PROPS
    rhob = phi * fl["rho"] + vsh * sh["rho"] + vma * ma["rho"]
    nphi = phi * fl["nphi"] + vsh * sh["nphi"] + vma * ma["nphi"]
    dt = phi * fl["dt"] + vsh * sh["dt"] + vma * ma["dt"]
    u = phi * fl["pe"] * fl["rho"] + vsh * sh["pe"] * sh["rho"] + vma * ma["pe"] * ma["rho"]
    pe = u / rhob
    gr = _GR_CLEAN + vsh * (_GR_SHALE - _GR_CLEAN)
    conductivity = phi**_ARCHIE_M * sw**_ARCHIE_N / (_ARCHIE_A * rw) + vsh / rsh
    rt = 1.0 / conductivity
    cali = bit_size + 0.2 * vsh + 0.03 * rugosity
    logs = {"GR": gr, "RHOB": rhob, "NPHI": nphi, "DT": dt, "PE": pe, "RT": rt, "CALI": cali}
    truth = {"LITHOLOGY": lith, "PHI": phi, "SW": sw, "VSH": vsh, "BED": bed}
    return logs, truth


def _free_starts(occupied: np.ndarray, length: int) -> np.ndarray:
    """Start indices s >= 1 such that [s - gap, s + length + gap) holds no occupied sample."""
    n = occupied.size
    padded = np.concatenate([[0], np.cumsum(occupied.astype(np.int64))])
    s = np.arange(1, n - length + 1)
    lo = np.clip(s - _FAULT_GAP, 0, n)
    hi = np.clip(s + length + _FAULT_GAP, 0, n)
    return s[(padded[hi] - padded[lo]) == 0]


def _inject_faults(rng, obs: dict, lith: np.ndarray, fault_fraction: float, fault_types):
    """Modify `obs` (dict of curve -> array) in place; return (flags dict, fault_type array)."""
    n = lith.size
    flags = {c: np.zeros(n, dtype=bool) for c in LOG_CURVES}
    kind = np.full(n, "none", dtype=object)
    occupied = np.zeros(n, dtype=bool)
    budget = int(round(fault_fraction * n))
    # the budget is shared evenly between the fault types, so that each type occurs
    queue = [
        (t, int(round(budget * (i + 1) / len(fault_types))) - int(round(budget * i / len(fault_types))))
        for i, t in enumerate(fault_types)
    ]
    for ftype, type_budget in queue:
        used, tries = 0, 0
        while used < type_budget and tries < 20 + 3 * type_budget:
            tries += 1
            used += _one_fault(rng, ftype, type_budget - used, obs, lith, flags, kind, occupied)
    return flags, kind


def _one_fault(rng, ftype: str, remaining: int, obs, lith, flags, kind, occupied) -> int:
    """Inject one fault event of type `ftype` into `obs` (in place) and record it in `flags`,
    `kind` and `occupied`; return the number of samples used (0 when there was no room)."""
    lo, hi = _FAULT_LENGTH[ftype]
    length = int(rng.integers(lo, hi + 1))
    length = max(1, min(length, remaining)) if ftype == "spike" else min(length, max(remaining, lo))
    starts = _free_starts(occupied, length)
    if ftype == "washout":
        in_shale = starts[lith[starts] == _SHALE]
        if in_shale.size and rng.random() < 0.8:
            starts = in_shale
    if starts.size == 0:
        return 0
    s = int(rng.choice(starts))
    idx = np.arange(s, s + length)
    if ftype == "spike":
        curve = LOG_CURVES[int(rng.integers(len(LOG_CURVES)))]
        size = rng.uniform(6.0, 12.0, length) * _SPIKE_SCALE[curve]
        sign = np.ones(length) if _SPIKE_SIGN[curve] > 0 else rng.choice([-1.0, 1.0], length)
        if curve == "RT":
            obs[curve][idx] = obs[curve][idx] * np.exp(sign * size)
        else:
            obs[curve][idx] = obs[curve][idx] + sign * size
        changed = [curve]
    elif ftype == "flatline":
        curve = LOG_CURVES[int(rng.integers(len(LOG_CURVES) - 1))]  # CALI does not stick
        obs[curve][idx] = obs[curve][s - 1]  # the last good reading (s - 1 is never in a fault)
        changed = [curve]
    elif ftype == "washout":
        amplitude = rng.uniform(1.0, 4.0)
        excess = amplitude * np.sqrt(np.sin(np.pi * (np.arange(length) + 0.5) / length))
        obs["CALI"][idx] = obs["CALI"][idx] + excess
        obs["RHOB"][idx] = obs["RHOB"][idx] - _WASHOUT_DRHO_PER_INCH * excess
        changed = ["RHOB", "CALI"]
    else:  # missing
        k = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        changed = [str(c) for c in rng.choice(LOG_CURVES, size=k, replace=False)]
        for c in changed:
            obs[c][idx] = np.nan
    for c in changed:
        flags[c][idx] = True
    kind[idx] = ftype
    occupied[idx] = True
    return length


def make_synthetic_wells(
    n_wells: int = 5,
    n_samples: int = 1000,
    random_state=None,
    *,
    depth_start: float = 5000.0,
    step: float = 0.5,
    noise: bool = True,
    noise_level: float = 1.0,
    faults: bool = True,
    fault_fraction: float = 0.03,
    fault_types: Sequence[str] = FAULT_TYPES,
    mean_bed_thickness: float = 8.0,
    rw: float = 0.05,
    rsh: float = 2.0,
    bit_size: float = 8.5,
) -> SyntheticWells:
    """Synthetic well logs from a petrophysical earth model, with noise and labelled tool faults.

    Each well is an independent column of beds. The lithology (sandstone, shale, limestone,
    dolomite) follows a sticky Markov chain: at each sample the bed continues with probability
    ``1 - step / mean_bed_thickness`` (so bed thickness is geometric with that mean), otherwise
    the next lithology is drawn from a geologically ordered switching matrix (sandstone mostly
    to shale, limestone mostly to shale or dolomite, ...). Each bed gets a mean effective
    porosity ``PHI``, shale volume ``VSH`` and water saturation ``SW`` (35 % of clean beds are
    hydrocarbon-bearing, SW 0.15-0.5; shale beds SW = 1 and PHI <= 0.06); smooth random fields
    (correlation about 1 ft) make them vary within a bed, with sharp changes at bed boundaries.
    No vertical tool response is modelled, and the density, neutron and sonic tools see a
    flushed zone full of mud filtrate (no hydrocarbon effect on them); only RT sees SW.

    Log responses, with the volumes ``PHI + VSH + VMA = 1`` (``VMA`` the host mineral: quartz in
    sandstone and shale beds, calcite in limestone, dolomite in dolomite):

    - ``GR`` (API) = 20 + 100 * VSH (linear gamma-ray index, ``IGR = VSH``).
    - ``RHOB`` (g/cm3) = PHI * rho_fluid + VSH * rho_shale + VMA * rho_matrix, i.e.
      ``PHI * rho_fluid + (1 - PHI) * rho_solid``, with rho_fluid = 1.0 (mud filtrate),
      rho_matrix = 2.65 (quartz), 2.71 (calcite), 2.87 (dolomite), rho_shale = 2.60.
    - ``NPHI`` (v/v, limestone-calibrated) = PHI * 1.0 + VSH * 0.35 (shale neutron effect)
      + VMA * N_ma with N_ma = -0.035 (quartz), 0 (calcite), +0.02 (dolomite).
    - ``DT`` (us/ft), Wyllie time average = PHI * 189 + VSH * 90 + VMA * dt_ma with dt_ma =
      55.5 (quartz), 47.6 (calcite), 43.5 (dolomite).
    - ``PE`` (b/e): volumetric cross-section U = sum V_i * PE_i * rho_i mixed, then
      PE = U / RHOB, with PE = 1.81 (quartz), 5.08 (calcite), 3.14 (dolomite), 3.42 (shale),
      0.36 (water).
    - ``RT`` (ohm.m), Archie's law (a = 1, m = 2, n = 2) with a parallel shale conductance:
      ``1/RT = PHI**m * SW**n / (a * rw) + VSH / rsh``; it reduces to Archie when VSH = 0.
    - ``CALI`` (in) = bit_size + 0.2 * VSH + small smooth rugosity (in gauge).

    Measurement noise (``noise=True``) is Gaussian with standard deviations GR 2.5 API,
    RHOB 0.012 g/cm3, NPHI 0.008 v/v, DT 0.8 us/ft, PE 0.08 b/e, CALI 0.03 in, and 3 % (log-normal)
    on RT, all multiplied by ``noise_level``. Tool faults (``faults=True``) are then injected in
    non-overlapping events covering about ``fault_fraction`` of the samples of each well:

    - ``"spike"``: 1-3 samples of one curve jump by 6-12 times a curve scale (GR, DT, PE up
      only; RT multiplied or divided by a large factor).
    - ``"flatline"``: 8-30 samples of one curve (not CALI) stuck at the last good reading.
    - ``"washout"``: 6-30 samples (mostly in shale beds) where the hole is enlarged by 1-4 in:
      ``CALI`` reads the enlarged hole and ``RHOB`` reads low by 0.10 g/cm3 per inch of
      enlargement. Both curves are flagged (CALI because it departs from the in-gauge value and
      is the witness of the washout; RHOB because it is wrong).
    - ``"missing"``: 10-60 samples of one to three curves set to NaN.

    Parameters
    ----------
    n_wells : int, default 5
        Number of wells (named ``"SYN-01"``, ``"SYN-02"``, ...).
    n_samples : int, default 1000
        Depth samples per well.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator, default None
        Seed. The geology, the noise and the faults use independent child streams, so for a
        given seed ``clean``, ``truth`` and the fault positions do not depend on ``noise``.
    depth_start : float, default 5000.0
        Depth of the first sample of every well, ft.
    step : float, default 0.5
        Depth sample interval, ft (0.5 ft = 0.1524 m). ``DEPTH`` is in ft.
    noise : bool, default True
        Add measurement noise to ``observed``.
    noise_level : float, default 1.0
        Multiplier of the noise standard deviations listed above.
    faults : bool, default True
        Inject tool faults into ``observed``.
    fault_fraction : float, default 0.03
        Target fraction of samples per well covered by faults, in [0, 0.5]. The realised
        fraction is close to it (events are whole intervals; spikes fill the remainder).
    fault_types : sequence of str, default ("spike", "flatline", "washout", "missing")
        Fault types to inject; the fault budget of each well is shared evenly between them, so
        each type occurs in every well unless the budget is tiny.
    mean_bed_thickness : float, default 8.0
        Mean bed thickness, ft; must exceed ``step``.
    rw : float, default 0.05
        Formation-water resistivity at formation temperature, ohm.m.
    rsh : float, default 2.0
        Shale resistivity, ohm.m.
    bit_size : float, default 8.5
        Bit size, in (the in-gauge caliper reading).

    Returns
    -------
    SyntheticWells
        With ``clean``, ``observed``, ``faults`` and ``truth`` DataFrames of
        ``n_wells * n_samples`` rows each (see :class:`SyntheticWells`) and ``params``, a dict of
        the arguments used. With ``noise=False``, ``observed`` differs from ``clean`` exactly at
        the samples and curves flagged in ``faults``.

    Raises
    ------
    ConfigError
        If a parameter is out of range or a fault type is unknown.

    Examples
    --------
    >>> wells = make_synthetic_wells(n_wells=2, n_samples=500, random_state=0)
    >>> wells.observed.columns.tolist()
    ['WELL', 'DEPTH', 'GR', 'RHOB', 'NPHI', 'DT', 'PE', 'RT', 'CALI']
    >>> wells.truth["LITHOLOGY"].isin(LITHOLOGIES).all()
    np.True_
    """
    n_wells = _check_int("n_wells", n_wells, 1)
    n_samples = _check_int("n_samples", n_samples, 2)
    depth_start = _check_float("depth_start", depth_start, low=-np.inf)
    step = _check_float("step", step, low=0.0)
    noise_level = _check_float("noise_level", noise_level, low=0.0, low_open=False)
    fault_fraction = _check_float("fault_fraction", fault_fraction, low=0.0, high=0.5, low_open=False)
    mean_bed_thickness = _check_float("mean_bed_thickness", mean_bed_thickness, low=step)
    rw = _check_float("rw", rw, low=0.0)
    rsh = _check_float("rsh", rsh, low=0.0)
    bit_size = _check_float("bit_size", bit_size, low=0.0)
    if isinstance(fault_types, str):
        fault_types = (fault_types,)
    fault_types = tuple(fault_types)
    unknown = [t for t in fault_types if t not in FAULT_TYPES]
    if unknown or (faults and fault_fraction > 0 and not fault_types):
        raise ConfigError(f"fault_types must be a non-empty subset of {FAULT_TYPES}, got {fault_types!r}")

    rng_geo, rng_noise, rng_fault = _generators(random_state, 3)
    p_stay = 1.0 - step / mean_bed_thickness
    smooth = max(1.0, 1.0 / step)  # about 1 ft in samples

    clean_parts, obs_parts, flag_parts, truth_parts = [], [], [], []
    for w in range(n_wells):
        name = f"SYN-{w + 1:02d}"
        depth = depth_start + step * np.arange(n_samples)
        logs, truth = _one_well(rng_geo, n_samples, p_stay, smooth, rw, rsh, bit_size)
        obs = {c: logs[c].copy() for c in LOG_CURVES}
        if noise and noise_level > 0:
            for c in LOG_CURVES:
                e = rng_noise.standard_normal(n_samples) * _NOISE_STD[c] * noise_level
                obs[c] = obs[c] * np.exp(e) if c == "RT" else obs[c] + e
        if faults and fault_fraction > 0:
            flags, kind = _inject_faults(rng_fault, obs, truth["LITHOLOGY"], fault_fraction, fault_types)
        else:
            flags = {c: np.zeros(n_samples, dtype=bool) for c in LOG_CURVES}
            kind = np.full(n_samples, "none", dtype=object)
        # a fault that left a value unchanged (bitwise) is not a fault at that sample
        for c in LOG_CURVES:
            flags[c] &= ~(obs[c] == logs[c])
        kind[~np.any([flags[c] for c in LOG_CURVES], axis=0)] = "none"

        head = {"WELL": [name] * n_samples, "DEPTH": depth}
        clean_parts.append(pd.DataFrame({**head, **logs}))
        obs_parts.append(pd.DataFrame({**head, **obs}))
        flag_parts.append(pd.DataFrame({**head, **flags, "fault_type": kind.astype(str)}))
        truth_parts.append(
            pd.DataFrame(
                {
                    **head,
                    "LITHOLOGY": np.asarray(LITHOLOGIES, dtype=object)[truth["LITHOLOGY"]].astype(str),
                    "PHI": truth["PHI"],
                    "SW": truth["SW"],
                    "VSH": truth["VSH"],
                    "BED": truth["BED"],
                }
            )
        )

    def _cat(parts):
        df = pd.concat(parts, ignore_index=True)
        df["WELL"] = df["WELL"].astype(str)
        return df

    params = {
        "n_wells": n_wells,
        "n_samples": n_samples,
        "random_state": random_state,
        "depth_start": depth_start,
        "step": step,
        "noise": bool(noise),
        "noise_level": noise_level,
        "faults": bool(faults),
        "fault_fraction": fault_fraction,
        "fault_types": fault_types,
        "mean_bed_thickness": mean_bed_thickness,
        "rw": rw,
        "rsh": rsh,
        "bit_size": bit_size,
    }
    faults_df = _cat(flag_parts)
    faults_df["fault_type"] = faults_df["fault_type"].astype(str)
    return SyntheticWells(
        clean=_cat(clean_parts),
        observed=_cat(obs_parts),
        faults=faults_df,
        truth=_cat(truth_parts),
        params=params,
    )


# --------------------------------------------------------------------------------------------
# seismic
# --------------------------------------------------------------------------------------------
def ricker(peak_frequency: float, dt: float, length: float | None = None) -> np.ndarray:
    """Zero-phase Ricker (Mexican-hat) wavelet.

    ``w(t) = (1 - 2 (pi f t)^2) exp(-(pi f t)^2)``, sampled at ``t = (i - (n - 1) / 2) * dt``,
    so the peak (value 1) is the centre sample. Its amplitude spectrum peaks at ``f``.

    Parameters
    ----------
    peak_frequency : float
        Peak (dominant) frequency ``f``, Hz; must be below the Nyquist frequency ``1 / (2 dt)``.
    dt : float
        Sample interval, s.
    length : float, optional
        Wavelet length, s. Default ``3 / peak_frequency`` (the wavelet is below 1e-9 of its peak
        beyond), rounded to an odd number of samples ``n = 2 * floor(length / (2 dt)) + 1``.

    Returns
    -------
    numpy.ndarray
        The wavelet, shape (n,), float64, n odd, maximum 1.0 at index ``n // 2``.

    Raises
    ------
    ConfigError
        If a parameter is not positive or the frequency is not below Nyquist.
    """
    f = _check_float("peak_frequency", peak_frequency, low=0.0)
    dt = _check_float("dt", dt, low=0.0)
    if f >= 0.5 / dt:
        raise ConfigError(
            f"peak_frequency ({f} Hz) must be below the Nyquist frequency 1/(2 dt) = {0.5 / dt} Hz"
        )
    length = 3.0 / f if length is None else _check_float("length", length, low=0.0)
    half = int(np.floor(length / (2.0 * dt) + 1e-9))
    t = np.arange(-half, half + 1) * dt
    arg = (np.pi * f * t) ** 2
    return (1.0 - 2.0 * arg) * np.exp(-arg)


def signal_to_noise_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """Signal-to-noise ratio in decibels over a whole array.

    ``SNR_dB = 10 log10(sum(signal^2) / sum(noise^2))``.

    Parameters
    ----------
    signal, noise : array_like
        Arrays of the same shape (e.g. (n_traces, n_samples)); ``noise = noisy - clean``.

    Returns
    -------
    float
        The SNR, dB (``inf`` when the noise is all zero).
    """
    s = np.asarray(signal, dtype=np.float64)
    e = np.asarray(noise, dtype=np.float64)
    if s.shape != e.shape:
        raise DataError(f"signal and noise must have the same shape, got {s.shape} and {e.shape}")
    pn = float(np.sum(e**2))
    if pn == 0.0:
        return float("inf")
    return float(10.0 * np.log10(float(np.sum(s**2)) / pn))


@dataclass(frozen=True, repr=False)
class SyntheticSeismic:
    """Result of :func:`make_synthetic_seismic`. Arrays are (n_traces, n_samples) unless noted.

    Attributes
    ----------
    clean : numpy.ndarray
        Noise-free section (reflectivity convolved with the wavelet), float32.
    noisy : numpy.ndarray
        ``clean + noise``, float32.
    noise : numpy.ndarray
        The added noise, float32, scaled so that ``signal_to_noise_db(clean, noise) == snr_db``.
    reflectivity : numpy.ndarray
        Reflection coefficients (dimensionless), float32; each interface is split linearly
        between its two neighbouring samples (sub-sample positions).
    impedance : numpy.ndarray
        Acoustic impedance at each sample, (m/s)(g/cm3), float32.
    wavelet : numpy.ndarray
        The Ricker wavelet, shape (n_wavelet,), float64, peak at the centre.
    dt : float
        Sample interval, s.
    peak_frequency : float
        Ricker peak frequency, Hz.
    snr_db : float
        Requested (and realised) SNR, dB; ``inf`` when no noise was added.
    fault_traces : tuple of int
        For each fault, the first trace index on its downthrown/upthrown side (the offset lies
        between traces ``i - 1`` and ``i``).
    fault_throws : tuple of float
        Vertical throw of each fault, s (two-way time), positive when the side at and after
        ``fault_traces[j]`` is shifted to later times.
    """

    clean: np.ndarray
    noisy: np.ndarray
    noise: np.ndarray
    reflectivity: np.ndarray
    impedance: np.ndarray
    wavelet: np.ndarray
    dt: float
    peak_frequency: float
    snr_db: float
    fault_traces: tuple[int, ...] = ()
    fault_throws: tuple[float, ...] = ()

    @property
    def time(self) -> np.ndarray:
        """Two-way time of each sample, s, shape (n_samples,)."""
        return np.arange(self.clean.shape[1]) * self.dt

    def __repr__(self) -> str:
        return (
            f"SyntheticSeismic(shape={self.clean.shape}, dt={self.dt}, "
            f"peak_frequency={self.peak_frequency}, snr_db={self.snr_db}, fault_traces={self.fault_traces})"
        )


def make_synthetic_seismic(
    n_traces: int = 200,
    n_samples: int = 500,
    dt: float = 0.002,
    peak_frequency: float = 25.0,
    snr_db: float | None = 5.0,
    noise: str = "white",
    random_state=None,
    *,
    n_layers: int = 40,
    max_dip: float = 0.2,
    n_faults: int = 1,
    max_throw: float = 0.04,
    noise_band: tuple[float, float] | None = None,
    wavelet_length: float | None = None,
) -> SyntheticSeismic:
    """Synthetic 2-D seismic section from the convolutional model, with exact-SNR noise.

    Model: ``n_layers`` interfaces with two-way times that dip (a common regional dip plus a
    per-interface dip, each at most ``max_dip`` samples per trace) and gently fold; interfaces
    that would cross are merged (pinch-outs). ``n_faults`` vertical faults offset every
    interface by a throw (up to ``max_throw``) for all traces from the fault position on. Layer
    impedances follow a random walk in log impedance with a slight increase with depth; the
    reflection coefficient of an interface is ``(Z2 - Z1) / (Z2 + Z1)``, placed at its
    sub-sample time by linear splitting between the two nearest samples. Each trace of
    reflectivity is convolved with the zero-phase Ricker wavelet (:func:`ricker`) centred on
    ``t = 0``, so events sit at their true times.

    Noise: ``"white"`` is Gaussian white noise; ``"band"`` is Gaussian white noise filtered
    along time with a 4th-order Butterworth band-pass (``scipy.signal.butter`` +
    ``sosfiltfilt``, zero phase) over ``noise_band``. Either is then scaled so that, over the
    whole section,

    ``SNR_dB = 10 log10(sum(clean^2) / sum(noise^2))``

    equals ``snr_db`` exactly (up to float32 rounding, far below 0.01 dB).

    Parameters
    ----------
    n_traces : int, default 200
        Number of traces.
    n_samples : int, default 500
        Samples per trace.
    dt : float, default 0.002
        Sample interval, s.
    peak_frequency : float, default 25.0
        Ricker peak frequency, Hz.
    snr_db : float or None, default 5.0
        Requested signal-to-noise ratio, dB (any finite value, negative allowed). ``None`` or
        ``inf``: no noise (``noise`` array all zeros).
    noise : {"white", "band"}, default "white"
        Kind of noise.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator, default None
        Seed; the model and the noise use independent child streams, so the clean section does
        not depend on ``snr_db`` or ``noise``.
    n_layers : int, default 40
        Number of interfaces in the model.
    max_dip : float, default 0.2
        Largest dip, samples (of ``dt``) per trace.
    n_faults : int, default 1
        Number of vertical faults (0 allowed); needs ``n_traces >= 2`` when positive.
    max_throw : float, default 0.04
        Largest fault throw, s of two-way time; each throw is drawn in [0.5, 1] times it, sign
        random.
    noise_band : (float, float), optional
        Pass band of ``"band"`` noise, Hz. Default ``(0.4 * peak_frequency, 2.0 *
        peak_frequency)``, the upper edge capped at 0.9 times Nyquist.
    wavelet_length : float, optional
        Wavelet length, s (see :func:`ricker`).

    Returns
    -------
    SyntheticSeismic
        ``clean``, ``noisy``, ``noise``, ``reflectivity``, ``impedance`` (float32, shape
        (n_traces, n_samples)), ``wavelet``, ``dt``, ``peak_frequency``, ``snr_db``,
        ``fault_traces``, ``fault_throws`` and the ``time`` axis (s).

    Raises
    ------
    ConfigError
        On a bad parameter (non-positive sizes, frequency at or above Nyquist, bad band, unknown
        noise kind).
    """
    n_traces = _check_int("n_traces", n_traces, 1)
    n_samples = _check_int("n_samples", n_samples, 16)
    dt = _check_float("dt", dt, low=0.0)
    peak_frequency = _check_float("peak_frequency", peak_frequency, low=0.0)
    n_layers = _check_int("n_layers", n_layers, 1)
    max_dip = _check_float("max_dip", max_dip, low=0.0, low_open=False)
    n_faults = _check_int("n_faults", n_faults, 0)
    max_throw = _check_float("max_throw", max_throw, low=0.0, low_open=False)
    if n_faults > 0 and n_faults > n_traces - 1:
        raise ConfigError(f"n_faults={n_faults} needs at least n_faults + 1 traces, got n_traces={n_traces}")
    if noise not in ("white", "band"):
        raise ConfigError(f"noise must be 'white' or 'band', got {noise!r}")
    if snr_db is not None:
        snr_db = float(snr_db)
        if np.isnan(snr_db) or snr_db == -np.inf:
            raise ConfigError(f"snr_db must be a finite number, None or inf, got {snr_db}")
    add_noise = snr_db is not None and np.isfinite(snr_db)
    nyquist = 0.5 / dt
    wavelet = ricker(peak_frequency, dt, wavelet_length)
    if noise == "band":
        if noise_band is None:
            noise_band = (0.4 * peak_frequency, min(2.0 * peak_frequency, 0.9 * nyquist))
        lo, hi = (float(v) for v in noise_band)
        if not (0.0 < lo < hi < nyquist):
            raise ConfigError(
                f"noise_band must satisfy 0 < low < high < Nyquist ({nyquist} Hz), got ({lo}, {hi})"
            )

    rng_model, rng_noise = _generators(random_state, 2)
    x = np.arange(n_traces, dtype=np.float64)
    xc = x - 0.5 * (n_traces - 1)
    # interface times in samples, (n_layers, n_traces)
    t0 = np.sort(rng_model.uniform(-0.15 * n_samples, 1.15 * n_samples, n_layers))
    regional = rng_model.uniform(-1.0, 1.0) * max_dip * 0.7
    per_layer = rng_model.uniform(-1.0, 1.0, n_layers) * max_dip * 0.3
    fold_amp = rng_model.uniform(0.0, 0.02 * n_samples)
    fold_len = rng_model.uniform(0.8, 2.0) * n_traces
    fold_phase = rng_model.uniform(0.0, 2 * np.pi)
    fold = fold_amp * np.sin(2 * np.pi * x / fold_len + fold_phase)
    tau = t0[:, None] + (regional + per_layer[:, None]) * xc[None, :] + fold[None, :]
    tau = np.maximum.accumulate(tau, axis=0)

    fault_traces: list[int] = []
    fault_throws: list[float] = []
    if n_faults > 0:
        lo_tr = max(1, int(0.2 * n_traces))
        hi_tr = max(lo_tr + n_faults, int(0.8 * n_traces))
        hi_tr = min(hi_tr, n_traces)
        candidates = np.arange(lo_tr, hi_tr) if hi_tr - lo_tr >= n_faults else np.arange(1, n_traces)
        fault_traces = sorted(int(i) for i in rng_model.choice(candidates, n_faults, replace=False))
        for ft in fault_traces:
            throw = rng_model.uniform(0.5, 1.0) * max_throw * rng_model.choice([-1.0, 1.0])
            fault_throws.append(float(throw))
            tau[:, ft:] += throw / dt

    log_z = np.log(2500.0 * 2.2) + np.cumsum(rng_model.normal(0.01, 0.12, n_layers + 1))
    z = np.exp(log_z)  # impedance of layer k (above interface k) ... layer n_layers (below the last)
    rc = (z[1:] - z[:-1]) / (z[1:] + z[:-1])  # (n_layers,)

    refl = np.zeros((n_traces, n_samples + 1), dtype=np.float64)
    i0 = np.floor(tau).astype(np.int64)
    frac = tau - i0
    rows = np.broadcast_to(np.arange(n_traces)[None, :], tau.shape)
    amp = np.broadcast_to(rc[:, None], tau.shape)
    for idx, weight in ((i0, 1.0 - frac), (i0 + 1, frac)):
        ok = (idx >= 0) & (idx < n_samples)
        np.add.at(refl, (rows[ok], idx[ok]), (amp * weight)[ok])
    refl = refl[:, :n_samples]
    samples = np.arange(n_samples, dtype=np.float64)
    layer_index = (tau[:, :, None] <= samples[None, None, :]).sum(axis=0)  # (n_traces, n_samples)
    impedance = z[layer_index]

    half = (wavelet.size - 1) // 2
    clean = np.empty((n_traces, n_samples), dtype=np.float64)
    for i in range(n_traces):
        clean[i] = np.convolve(refl[i], wavelet, mode="full")[half : half + n_samples]

    if add_noise:
        raw = rng_noise.standard_normal((n_traces, n_samples))
        if noise == "band":
            try:
                from scipy import signal as sps
            except ImportError as exc:  # pragma: no cover - scipy is a dev dependency
                raise ConfigError("noise='band' needs SciPy (pip install scipy)") from exc
            sos = sps.butter(4, [lo, hi], btype="bandpass", fs=1.0 / dt, output="sos")
            raw = sps.sosfiltfilt(sos, raw, axis=1)
        p_clean = float(np.sum(clean**2))
        p_raw = float(np.sum(raw**2))
        if p_clean == 0.0 or p_raw == 0.0:
            raise DataError("cannot scale noise: the clean section or the raw noise has zero energy")
        raw *= np.sqrt(p_clean / (p_raw * 10.0 ** (snr_db / 10.0)))
        noise_arr = raw.astype(np.float32)
    else:
        noise_arr = np.zeros((n_traces, n_samples), dtype=np.float32)
        snr_db = float("inf")
    clean32 = clean.astype(np.float32)
    return SyntheticSeismic(
        clean=clean32,
        noisy=clean32 + noise_arr,
        noise=noise_arr,
        reflectivity=refl.astype(np.float32),
        impedance=impedance.astype(np.float32),
        wavelet=wavelet,
        dt=dt,
        peak_frequency=peak_frequency,
        snr_db=float(snr_db),
        fault_traces=tuple(fault_traces),
        fault_throws=tuple(fault_throws),
    )
