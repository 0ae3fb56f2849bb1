"""Worker for tests/test_cuda.py's DDP test, started on each of two "nodes" by
``torchrun --nnodes=2 --node_rank=R --nproc_per_node=1``, each in its own folder, on a machine
with one GPU.

Both ranks train on the same GPU (``cuda:0``, each is local rank 0 of its node). NCCL refuses
two ranks on one GPU ("Duplicate GPU detected"), so this worker joins the process group itself
with gloo, which carries CUDA tensors too; geoae then runs its CUDA + DistributedDataParallel
path unchanged (device_ids, metrics and stop flags reduced as CUDA tensors, per-rank CUDA random
states in the checkpoint, rank 0's checkpoint broadcast on resume). Only NCCL's transport is not
exercised. Each rank writes its final weights, the device it trained on and its history."""

import json
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch.distributed as tdist
from safetensors.torch import save_file

import geoae.models as gm
from geoae import AutoEncoder, DenoisingAutoEncoder
from geoae import distributed as dist

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for the crash helper
from crashing import straight_and_resumed  # noqa: E402

tdist.init_process_group("gloo", timeout=timedelta(seconds=60))
devices = []
orig = gm.fit_module


def recording(module, objective, X, *args, **kwargs):
    devices.append(str(X.device))  # in-memory fits: the rows already sit on the training device
    return orig(module, objective, X, *args, **kwargs)


gm.fit_module = recording
rng = np.random.default_rng(0)
X = rng.normal(size=(1501, 3)) @ rng.normal(size=(3, 8)) + 0.05 * rng.normal(size=(1501, 8))
params = dict(latent_dim=3, hidden=(16,), epochs=8, batch_size=64, patience=100, random_state=0,
              device="auto")
straight, resumed = straight_and_resumed(lambda: DenoisingAutoEncoder(**params), X, "dae")
resumed.save("model")
ae = AutoEncoder(latent_dim=3, hidden=(16,), epochs=30, batch_size=64, patience=3,
                 validation_fraction=0.2, learning_rate=3e-3, random_state=0,
                 device="cuda").fit(X)
r = dist.rank()
for tag, est in (("straight", straight), ("resumed", resumed), ("ae", ae)):
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
              f"{tag}_rank{r}.safetensors")
Path(f"rank{r}.json").write_text(json.dumps(
    {"world": dist.world_size(), "devices": devices, "straight": straight.history_,
     "resumed": resumed.history_, "ae": ae.history_,
     "relative_mse": float(((ae.reconstruct(X) - X) ** 2).mean() / X.var(0).mean())}))
dist.barrier()
