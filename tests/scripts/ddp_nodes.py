"""Worker for tests/test_distributed.py's two-node test, started on each "node" by
``torchrun --nnodes=2 --node_rank=R --nproc_per_node=1`` in that node's own working folder.

Every process is local rank 0 of its node, so the global ``RANK`` (not ``LOCAL_RANK``) must
decide sharding and who writes. The checkpoint folder is relative, so the nodes do not share it
(as machines without a shared filesystem): a resumed run must take rank 0's checkpoint on every
rank. Each rank writes its final weights and what torchrun told it."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from geoae import DenoisingAutoEncoder
from geoae import distributed as dist

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for the crash helper
from crashing import straight_and_resumed  # noqa: E402

dist.init_from_env(timeout_s=60)  # a rank left waiting fails in a minute with a traceback
rng = np.random.default_rng(0)
X = rng.normal(size=(901, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(901, 6))
torch.set_num_threads(1)
params = dict(latent_dim=2, hidden=(8,), epochs=8, batch_size=64, patience=100, random_state=0,
              device="cpu")
straight, resumed = straight_and_resumed(lambda: DenoisingAutoEncoder(**params), X, "model")
resumed.save("model")
r = dist.rank()
for tag, est in (("straight", straight), ("resumed", resumed)):
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()},
              f"{tag}_rank{r}.safetensors")
Path(f"rank{r}.json").write_text(json.dumps(
    {"world": dist.world_size(), "local_rank": int(os.environ["LOCAL_RANK"]),
     "node": int(os.environ["GROUP_RANK"]), "history": resumed.history_}))
dist.barrier()
