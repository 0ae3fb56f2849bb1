"""Defects found by a code-health review (seventeenth session): rules written several times
that had drifted apart (grouping rows by well, listing a folder, screening physical ranges,
saving folders under torchrun, validating parameters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoae.applications import AnomalyDetector
from geoae.applications.features import stack_context
from geoae.applications.imputation import neighbour_index
from geoae.preprocessing import well_rows


def test_well_rows_against_a_plain_grouping():
    rng = np.random.default_rng(0)
    labels = np.array(["B", "A", "C", None, np.nan], dtype=object)[rng.integers(0, 5, 300)]
    depth = rng.permutation(300).astype(float)
    depth[rng.integers(0, 300, 10)] = np.nan
    got = well_rows(300, labels, depth)
    # by hand: labels in order of first appearance (missing ones one well), rows by depth
    key = np.array(["<na>" if pd.isna(v) else v for v in labels], dtype=object)
    order = list(dict.fromkeys(key))
    assert [("<na>" if pd.isna(w) else w) for w, _ in got] == order
    for (_, rows), k in zip(got, order, strict=True):
        mine = np.flatnonzero(key == k)
        expect = mine[np.lexsort((mine, np.nan_to_num(depth[mine]), np.isnan(depth[mine])))]
        np.testing.assert_array_equal(rows, expect)
    assert sum(len(r) for _, r in got) == 300
    np.testing.assert_array_equal(well_rows(4)[0][1], np.arange(4))
    np.testing.assert_array_equal(well_rows(3, None, np.array([2.0, 0.0, 1.0]))[0][1], [1, 2, 0])
    assert well_rows(0, np.array([], dtype=object)) == []


def test_rows_with_a_missing_well_label_are_not_dropped():
    """intervals() dropped flagged samples whose WELL was NaN (nan != nan), silently, and
    neighbour_index gave them no neighbours, not even themselves, against its docstring;
    stack_context already took them as one well."""
    depth = np.arange(6, dtype=float)
    flags = np.array([1, 1, 0, 1, 1, 1], dtype=bool)
    det = AnomalyDetector()
    for missing in (None, np.nan):
        wells = np.array(["A", "A", "A", missing, missing, missing], dtype=object)
        iv = det.intervals(depth, flags, wells=wells)
        assert len(iv) == 2 and iv["n_samples"].tolist() == [2, 3]
    nbr = neighbour_index(5, 1, wells=np.array(["A", "A", np.nan, np.nan, np.nan], dtype=object))
    np.testing.assert_array_equal(nbr[:, 1], np.arange(5))
    np.testing.assert_array_equal(nbr[2:], [[-1, 2, 3], [2, 3, 4], [3, 4, -1]])
    X = np.arange(5, dtype=float)[:, None]
    stacked = stack_context(X, 1, wells=np.array(["A", "A", np.nan, np.nan, np.nan], dtype=object))
    np.testing.assert_array_equal(stacked[2:], [[2, 2, 3], [2, 3, 4], [3, 4, 4]])
