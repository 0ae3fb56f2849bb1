"""Worker for tests/test_distributed.py, started by ``torchrun --nproc_per_node=2``: fits a
Denoiser and an Imputer with ``random_state=None`` (each rank would draw its own seed, hence its
own train/validation split, unless rank 0's is shared); each rank writes a digest of its weights."""

import hashlib
import json
import sys
from pathlib import Path

import torch

from geoae import DenoisingAutoEncoder
from geoae import distributed as dist
from geoae.applications import Denoiser, Imputer
from geoae.datasets import make_synthetic_seismic, make_synthetic_wells


def digest(modules) -> str:
    h = hashlib.sha256()
    for m in modules:
        for k, v in sorted(m.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()


out = Path(sys.argv[1])
torch.set_num_threads(1)
noisy = make_synthetic_seismic(n_traces=24, n_samples=64, random_state=0).noisy
den = Denoiser(window=16, stride=8, hidden=(4, 8), latent_dim=8, epochs=2, device="cpu").fit(noisy)
wells = make_synthetic_wells(n_wells=2, n_samples=150, random_state=0).observed
imp = Imputer(model=DenoisingAutoEncoder(hidden=(8,), latent_dim=2, epochs=2, device="cpu"),
              n_ensemble=2).fit(wells[["WELL", "GR", "RHOB", "NPHI"]])
(out / f"apps_rank{dist.rank()}.json").write_text(json.dumps(
    {"denoiser": digest([den.model_]), "imputer": digest(imp.networks_),
     "transform_seed": den.transform_seed_, "world": dist.world_size()}))
