"""Worker for tests/test_distributed.py, started by ``torchrun --nproc_per_node=2``: fits an
AutoEncoder (and a VAE) on generated data; each rank writes its final weights and history."""

import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from geoae import VAE, AutoEncoder
from geoae import distributed as dist

out = Path(sys.argv[1])
rng = np.random.default_rng(0)
latent = rng.normal(size=(1203, 2))
X = latent @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(1203, 6))
torch.set_num_threads(1)
for name, cls in (("ae", AutoEncoder), ("vae", VAE)):
    est = cls(latent_dim=2, hidden=(16,), epochs=40, batch_size=64, patience=10, learning_rate=3e-3,
              validation_fraction=0.2, random_state=0, device="cpu")
    est.fit(X, checkpoint_dir=out / name, checkpoint_every=2)
    r = dist.rank()
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
              str(out / f"{name}_rank{r}.safetensors"))
    (out / f"{name}_rank{r}.json").write_text(json.dumps(
        {"world": dist.world_size(), "history": est.history_,
         "relative_mse": float(((est.reconstruct(X) - X) ** 2).mean() / X.var(0).mean())}))
    est.save(out / name)
# random_state=None and a WELL column: the seed (hence the per-well validation split) must be
# rank 0's on every rank, else the ranks would train on different rows and hang or diverge
import pandas as pd  # noqa: E402

frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
frame["WELL"] = np.repeat(["A", "B", "C", "D"], [300, 300, 300, 303])
est = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, batch_size=64, device="cpu").fit(frame)
save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
          str(out / f"noseed_rank{dist.rank()}.safetensors"))

# resume: a denoising AE (rank-specific corruption noise) interrupted after its epoch-4
# checkpoint and resumed must end as the uninterrupted run does, on every rank
sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for the crash helper
from crashing import straight_and_resumed  # noqa: E402
from geoae import DenoisingAutoEncoder  # noqa: E402

dae = dict(latent_dim=2, hidden=(8,), epochs=8, batch_size=64, patience=100, random_state=0,
           device="cpu")
straight, resumed = straight_and_resumed(lambda: DenoisingAutoEncoder(**dae), X, out / "dae")
for tag, est in (("straight", straight), ("resumed", resumed)):
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
              str(out / f"dae_{tag}_rank{dist.rank()}.safetensors"))

if len(sys.argv) > 2:  # a SEG-Y streamed with uneven shards (13 chunks over 2 ranks)
    from geoae.streaming import SegyTraces

    est = AutoEncoder(latent_dim=3, hidden=(16,), epochs=3, batch_size=32, random_state=0,
                      device="cpu").fit(SegyTraces(sys.argv[2], chunk_traces=50, buffer_size=64))
    r = dist.rank()
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
              str(out / f"segy_rank{r}.safetensors"))
    (out / f"segy_rank{r}.json").write_text(json.dumps({"history": est.history_}))
dist.barrier()
