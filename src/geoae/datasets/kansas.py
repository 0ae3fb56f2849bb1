"""The Kansas (Council Grove, Hugoton and Panoma fields) well-log and facies dataset.

The CSV file is shipped inside the package (``geoae/datasets/data/facies_vectors.csv``) together
with its licence (Apache License 2.0, ``LICENSE-seg-2016-ml-contest``) and a ``NOTICE`` file with
the attribution and citations.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_kansas_facies", "facies_names", "KANSAS_COLUMNS"]

_DATA_FILE = "facies_vectors.csv"

#: Columns returned by :func:`load_kansas_facies`, in order (``Formation`` is appended on request).
KANSAS_COLUMNS: tuple[str, ...] = (
    "WELL",
    "DEPTH",
    "GR",
    "ILD_log10",
    "DeltaPHI",
    "PHIND",
    "PE",
    "NM_M",
    "RELPOS",
    "Facies",
)

_FACIES = {
    1: ("SS", "Nonmarine sandstone"),
    2: ("CSiS", "Nonmarine coarse siltstone"),
    3: ("FSiS", "Nonmarine fine siltstone"),
    4: ("SiSh", "Marine siltstone and shale"),
    5: ("MS", "Mudstone (limestone)"),
    6: ("WS", "Wackestone (limestone)"),
    7: ("D", "Dolomite"),
    8: ("PS", "Packstone-grainstone (limestone)"),
    9: ("BS", "Phylloid-algal bafflestone (limestone)"),
}


def facies_names(short: bool = False) -> dict[int, str]:
    """Names of the nine Kansas facies codes.

    Parameters
    ----------
    short : bool, default False
        If True, return the usual abbreviations (``"SS"``, ``"CSiS"``, ..., ``"BS"``) instead of
        the full names.

    Returns
    -------
    dict of int to str
        Mapping from facies code (1 to 9, the ``Facies`` column of :func:`load_kansas_facies`)
        to its name. Codes 1-3 are nonmarine (siliciclastic), 4-9 marine.

    Examples
    --------
    >>> facies_names()[7]
    'Dolomite'
    >>> facies_names(short=True)[1]
    'SS'
    """
    return {code: (abbr if short else name) for code, (abbr, name) in _FACIES.items()}


def load_kansas_facies(*, include_formation: bool = False) -> pd.DataFrame:
    """Load the Kansas Council Grove well-log and facies dataset (real data, shipped with geoae).

    4,149 depth samples at a half-foot (0.5 ft) spacing from 10 wells in the Hugoton and Panoma
    gas fields of south-west Kansas (Council Grove Group, Permian): nine logged wells and
    ``"Recruit F9"``, a pseudo-well built from core descriptions rather than logged. Each sample
    carries five wireline-log curves, two geologic constraint variables and a core-described
    facies label.

    Parameters
    ----------
    include_formation : bool, default False
        If True, append the ``Formation`` column (the stratigraphic unit name, e.g. ``"A1 SH"``,
        a string) after ``Facies``. It is left out by default so that every column but ``WELL``
        is numeric.

    Returns
    -------
    pandas.DataFrame
        One row per depth sample, shape (4149, 10) (or (4149, 11) with ``include_formation``),
        in the order of the source file (well by well, mostly by increasing depth; see Notes),
        with a fresh
        ``RangeIndex``. Columns, in this order, with their units:

        ``WELL`` : str
            Well name (10 wells, e.g. ``"SHRIMPLIN"``, ``"Recruit F9"``).
        ``DEPTH`` : float
            Measured depth, feet (ft); 0.5 ft sample spacing.
        ``GR`` : float
            Gamma ray, API units.
        ``ILD_log10`` : float
            log10 of the deep induction resistivity, resistivity in ohm.m (dimensionless log).
        ``DeltaPHI`` : float
            Neutron-density porosity difference, porosity percent (p.u., %).
        ``PHIND`` : float
            Average of neutron and density porosity, porosity percent (p.u., %).
        ``PE`` : float
            Photoelectric factor, barns/electron (b/e). NaN where not logged: all samples of
            ``"ALEXANDER D"`` (466) and ``"KIMZEY A"`` (439), and 12 samples of
            ``"Recruit F9"`` (917 NaN in all). No other column has missing values.
        ``NM_M`` : int
            Nonmarine (1) / marine (2) indicator, dimensionless.
        ``RELPOS`` : float
            Relative position of the sample within its half-cycle, dimensionless, 0 to 1.
        ``Facies`` : int
            Facies code from core, 1 to 9 (names from :func:`facies_names`).
        ``Formation`` : str, only with ``include_formation=True``
            Stratigraphic unit (14 values, e.g. ``"A1 SH"``, ``"C LM"``).

    Notes
    -----
    Source: ``facies_vectors.csv`` of the SEG 2016 machine-learning contest repository
    (https://github.com/seg/2016-ml-contest), licensed under the Apache License, Version 2.0.
    The licence text and a NOTICE file are shipped in ``geoae/datasets/data/``. Compared with the
    source file, only the column names and order change (``Well Name`` -> ``WELL``,
    ``Depth`` -> ``DEPTH``); the values are unmodified.

    If you use these data, please cite:

    - Dubois, M. K., Bohling, G. C. and Chakrabarti, S. (2007). Comparison of four approaches to
      a rock facies classification problem. Computers & Geosciences 33(5), 599-617.
    - Hall, B. (2016). Facies classification using machine learning. The Leading Edge 35(10),
      906-909.
    - The SEG 2016 machine-learning contest, https://github.com/seg/2016-ml-contest.

    Quirks of the real data, kept as they are: depths are not strictly increasing everywhere.
    Three depths appear twice (SHRIMPLIN 2944.0 ft; CROSS H CATTLE 2696.5 and 2721.5 ft, rows
    that differ only in ``NM_M``), some wells have gaps larger than 0.5 ft, and ``"Recruit F9"``
    is a set of cored intervals that are not in depth order. Sort or de-duplicate by
    (``WELL``, ``DEPTH``) yourself if a method needs a strictly increasing depth.

    Typical uses: PE imputation (leave one well out, or train on the wells with PE and fill
    ALEXANDER D and KIMZEY A), dimensionality reduction against PCA, facies classification
    with auto-encoder features, anomaly detection with injected faults.

    Examples
    --------
    >>> df = load_kansas_facies()
    >>> df.shape
    (4149, 10)
    >>> sorted(df.loc[df["PE"].isna(), "WELL"].unique())
    ['ALEXANDER D', 'KIMZEY A', 'Recruit F9']
    """
    source = resources.files("geoae.datasets").joinpath("data").joinpath(_DATA_FILE)
    with source.open("rb") as fh:
        raw = pd.read_csv(fh)
    df = raw.rename(columns={"Well Name": "WELL", "Depth": "DEPTH"})
    columns = list(KANSAS_COLUMNS) + (["Formation"] if include_formation else [])
    df = df.loc[:, columns].copy()
    df["WELL"] = df["WELL"].astype(str)
    if include_formation:
        df["Formation"] = df["Formation"].astype(str)
    for name in ("DEPTH", "GR", "ILD_log10", "DeltaPHI", "PHIND", "PE", "RELPOS"):
        df[name] = df[name].astype("float64")
    for name in ("NM_M", "Facies"):
        df[name] = df[name].astype("int64")
    return df.reset_index(drop=True)
