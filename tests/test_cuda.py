"""The CUDA path: run on a machine with a GPU, skipped elsewhere (CI has none).

Each test fits on the GPU and checks the result against a CPU computation or a float32 GPU fit;
GPU kernels are not bitwise deterministic, so comparisons use tolerances."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import geoae
from geoae import VAE, AutoEncoder, DenoisingAutoEncoder
from geoae.streaming import StreamingDataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def data(n=4000, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) + 0.05 * rng.normal(size=(n, d))


PARAMS = dict(latent_dim=3, hidden=(32,), epochs=15, batch_size=256, patience=100, random_state=0)


def rel_mse(est, X):
    return float(((est.reconstruct(X) - X) ** 2).mean() / X.var(0).mean())


def test_cuda_fit_learns_like_cpu_and_the_model_comes_back_to_the_cpu(tmp_path):
    X = data()
    cpu = AutoEncoder(**PARAMS, device="cpu").fit(X)
    gpu = AutoEncoder(**PARAMS, device="cuda", precision="32").fit(X)
    assert all(p.device.type == "cpu" for p in gpu.model_.parameters())
    assert rel_mse(gpu, X) < max(1.5 * rel_mse(cpu, X), 0.02)
    # inference on the GPU equals inference of the same weights on the CPU
    err_gpu = gpu.reconstruction_error(X)
    gpu.set_params(device="cpu")
    np.testing.assert_allclose(gpu.reconstruction_error(X), err_gpu, rtol=1e-4, atol=1e-6)
    gpu.save(tmp_path / "m")
    np.testing.assert_allclose(geoae.load(tmp_path / "m").reconstruction_error(X), err_gpu,
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("precision", ["auto", "bf16", "16"])
def test_mixed_precision_trains_close_to_float32(precision):
    X = data()
    ref = AutoEncoder(**PARAMS, device="cuda", precision="32").fit(X)
    amp = AutoEncoder(**PARAMS, device="cuda", precision=precision).fit(X)
    assert np.isfinite(amp.history_["loss"]).all()
    assert abs(amp.history_["loss"][-1] - ref.history_["loss"][-1]) < 0.15 * ref.history_["loss"][-1]


def test_compile_on_cuda_matches_eager():
    X = data()
    eager = AutoEncoder(**PARAMS, device="cuda", precision="32").fit(X)
    comp = AutoEncoder(**PARAMS, device="cuda", precision="32", compile=True).fit(X)
    assert abs(comp.history_["loss"][-1] - eager.history_["loss"][-1]) < 0.05 * eager.history_["loss"][-1]


def test_vae_and_dae_and_conv1d_on_cuda():
    X = data()
    for est in (VAE(**PARAMS, device="cuda"), DenoisingAutoEncoder(**PARAMS, device="cuda")):
        est.fit(X)
        assert np.isfinite(est.history_["loss"]).all() and est.history_["loss"][-1] < est.history_["loss"][0]
    traces = np.sin(np.linspace(0, 40, 64))[None, None, :] * np.random.default_rng(0).normal(size=(500, 1, 1))
    conv = AutoEncoder(latent_dim=4, backbone="conv1d", hidden=(8, 16), epochs=10, random_state=0,
                       device="cuda").fit(traces)
    assert conv.reconstruct(traces).shape == traces.shape


class _Rows(StreamingDataset):
    """An in-memory array served as a stream (the pinned-memory host-to-GPU path)."""

    def __init__(self, X, chunk=500, **kw):
        super().__init__(**kw)
        self.X = X.astype(np.float32)
        self.chunk = chunk

    def _chunks(self):
        n = len(self.X)
        return [(None, s, min(s + self.chunk, n)) for s in range(0, n, self.chunk)]

    def _read(self, key, start, stop):
        return self.X[start:stop]

    @property
    def sample_shape(self):
        return self.X.shape[1:]


def test_streamed_fit_on_cuda_is_within_10_percent_of_the_in_memory_fit():
    X = data()
    mem = AutoEncoder(**PARAMS, device="cuda").fit(X)
    streamed = AutoEncoder(**PARAMS, device="cuda").fit(_Rows(X, buffer_size=2000))
    assert rel_mse(streamed, X) < 1.1 * rel_mse(mem, X) + 0.005


def test_cuda_checkpoint_holds_the_device_rng_and_resumes(tmp_path):
    from safetensors import safe_open

    from crashing import Crash, crash_at_epoch

    X = data()
    params = dict(PARAMS, epochs=10, device="cuda")
    straight = DenoisingAutoEncoder(**params).fit(X)
    with pytest.raises(Crash), crash_at_epoch(5):
        DenoisingAutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=2)
    with safe_open(str(tmp_path / "checkpoint.safetensors"), framework="pt") as fh:
        assert "rng.cuda" in set(fh.keys())
    resumed = DenoisingAutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=2,
                                                 resume=True)
    assert len(resumed.history_["loss"]) == 10
    # the same noise streams: the same losses up to GPU non-determinism
    np.testing.assert_allclose(resumed.history_["loss"], straight.history_["loss"], rtol=1e-3)


def test_ddp_on_cuda_two_ranks_agree_and_resume(tmp_path):
    """geoae's CUDA + DistributedDataParallel path under torchrun (two "nodes" of one process
    each, both on this machine's GPU; the worker joins the group with gloo because NCCL refuses
    two ranks on one GPU): both ranks train on CUDA and end with identical weights, an
    interrupted and resumed run follows the uninterrupted one, a fit with validation records
    the same (reduced) history on both ranks, so they take the same early-stopping decisions,
    and rank 0's model file loads."""
    import json
    from pathlib import Path

    from safetensors.torch import load_file

    from test_distributed import run_two_nodes

    run_two_nodes(Path(__file__).parent / "scripts" / "ddp_cuda.py", tmp_path, timeout=300)
    info = [json.loads((tmp_path / f"node{r}" / f"rank{r}.json").read_text()) for r in (0, 1)]
    for i in info:
        assert i["world"] == 2 and i["devices"] and all(d.startswith("cuda") for d in i["devices"])
        np.testing.assert_allclose(i["resumed"]["loss"], i["straight"]["loss"], rtol=1e-3)
        assert i["relative_mse"] < 0.1
    assert info[0]["ae"] == info[1]["ae"]  # the same reduced history, hence the same stop
    w = {(tag, r): load_file(tmp_path / f"node{r}" / f"{tag}_rank{r}.safetensors")
         for tag in ("straight", "resumed", "ae") for r in (0, 1)}
    for tag in ("straight", "resumed", "ae"):
        for k, v in w[tag, 0].items():
            assert torch.equal(v, w[tag, 1][k]), (tag, k)  # DDP: identical weights on both ranks
    for k, v in w["resumed", 0].items():
        torch.testing.assert_close(v, w["straight", 0][k], rtol=1e-3, atol=1e-4)
    assert not (tmp_path / "node1" / "model").exists()
    model = geoae.load(tmp_path / "node0" / "model")
    for k, v in model.model_.state_dict().items():
        assert torch.equal(v, w["resumed", 0][k]), k
