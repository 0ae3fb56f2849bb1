"""Dimensionality reduction on real logs: AutoEncoder vs PCA reconstruction on held-out wells.

Kansas facies logs (GR, ILD_log10, DeltaPHI, PHIND, PE; rows with a missing PE dropped).
Training wells: all but SHRIMPLIN, NEWBY and CHURCHMAN BIBLE, which are held out. Both methods see
the same standard scaling (fitted on the training wells); the MSE is in those scaled units,
averaged over the held-out samples and curves. AE: dense, hidden (64, 32), elu, 3 seeds (mean
and range reported). Target: AE MSE <= 0.8 x PCA MSE.

Run: ``python benchmarks/bench_reduction.py`` (a few minutes on one thread).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from geoae import AutoEncoder
from geoae.datasets import load_kansas_facies

CURVES = ["GR", "ILD_log10", "DeltaPHI", "PHIND", "PE"]
TEST_WELLS = ["SHRIMPLIN", "NEWBY", "CHURCHMAN BIBLE"]


def split():
    """(train, test) frames of the complete rows; test = the three TEST_WELLS."""
    frame = load_kansas_facies().dropna(subset=CURVES).reset_index(drop=True)
    test = frame["WELL"].isin(TEST_WELLS)
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def main():
    torch.set_num_threads(1)
    train, test = split()
    sc = StandardScaler().fit(train[CURVES])
    Ztr, Zte = sc.transform(train[CURVES]), sc.transform(test[CURVES])
    print(f"train {len(train)} rows ({train.WELL.nunique()} wells), test {len(test)} rows "
          f"({test.WELL.nunique()} wells)")
    print("\n| k | PCA MSE | AE MSE (mean of 3 seeds) | AE range | AE / PCA | fit s |")
    print("|---|---|---|---|---|---|")
    for k in (2, 3):
        pca = PCA(k).fit(Ztr)
        mse_pca = np.mean((pca.inverse_transform(pca.transform(Zte)) - Zte) ** 2)
        res, t = [], time.perf_counter()
        for seed in range(3):
            ae = AutoEncoder(latent_dim=k, hidden=(64, 32), activation="elu", epochs=300, patience=30,
                             batch_size=128, random_state=seed).fit(train[["WELL", *CURVES]])
            rec = sc.transform(ae.reconstruct(test[CURVES]))
            res.append(np.mean((rec - Zte) ** 2))
        secs = (time.perf_counter() - t) / 3
        m = np.mean(res)
        print(f"| {k} | {mse_pca:.4f} | {m:.4f} | {min(res):.4f}-{max(res):.4f} | {m / mse_pca:.2f} |"
              f" {secs:.0f} |")


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, no options
    main()
