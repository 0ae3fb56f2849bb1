"""The training loop: early stopping, NaN guard, devices, checkpoints and resume after a kill."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from geoae import VAE, AutoEncoder, ConfigError, TrainingError
from geoae.training import fit_module, load_checkpoint, resolve_device


def data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)) @ rng.normal(size=(5, 5))


def test_early_stopping_restores_the_best_weights():
    m = AutoEncoder(latent_dim=2, hidden=(8,), epochs=200, patience=3, learning_rate=3e-2,
                    random_state=0).fit(data())
    h = m.history_
    best = h["best_epoch"][0]
    assert len(h["loss"]) == best + 1 + 3  # stopped `patience` epochs after the best
    assert h["val_loss"][best] == min(h["val_loss"])  # the best epoch is the lowest val loss
    # that the kept weights are that epoch's (re-evaluated): test_mutation_audit.py


def test_nan_loss_stops_with_a_hint_and_keeps_good_weights():
    net = nn.Linear(3, 3)
    good = {k: v.clone() for k, v in net.state_dict().items()}
    calls = {"n": 0}

    def objective(module, xb, mb):
        calls["n"] += 1
        loss = ((module(xb) - xb) ** 2).mean()
        if calls["n"] > 1:
            loss = loss * float("nan")
        return loss, {"reconstruction": loss}

    with pytest.raises(TrainingError, match="lower learning_rate"):
        fit_module(net, objective, torch.randn(8, 3), epochs=5, batch_size=8, learning_rate=1e-9)
    for k, v in net.state_dict().items():  # epoch 1 (finite) weights, not the NaN-step ones
        assert torch.isfinite(v).all()
        torch.testing.assert_close(v, good[k], atol=1e-6, rtol=0)


def test_device_choice():
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ConfigError, match="device="):
        resolve_device("tpu:banana")


def test_verbose_progress_does_not_change_the_result():
    X = data()
    a = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0, verbose=True).fit(X)
    b = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


SCRIPT = """
import sys, time, numpy as np, torch
torch.set_num_threads(1)
import geoae.models as gm
from geoae import {cls}
orig = gm.fit_module
def slow(*a, **k):
    k["callback"] = lambda epoch, history: time.sleep(0.15)
    return orig(*a, **k)
gm.fit_module = slow
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
{cls}(latent_dim=2, hidden=(8,), epochs=30, patience=100, random_state=7).fit(
    X, checkpoint_dir=sys.argv[1], checkpoint_every=2)
"""


@pytest.mark.slow
@pytest.mark.parametrize("cls", [AutoEncoder, VAE])
def test_sigkilled_training_resumes_to_the_same_weights(cls, tmp_path):
    ckpt_dir = tmp_path / "model"
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(cls=cls.__name__))
    proc = subprocess.Popen([sys.executable, str(script), str(ckpt_dir)])
    ckpt = ckpt_dir / "checkpoint.safetensors"
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            if ckpt.is_file() and load_checkpoint(ckpt)[1]["epoch"] >= 6:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training ended before it could be killed"
    _, meta = load_checkpoint(ckpt)  # what is on disk is a complete checkpoint
    assert 6 <= meta["epoch"] < 30 and not meta["finished"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    params = dict(latent_dim=2, hidden=(8,), epochs=30, patience=100, random_state=7)
    resumed = cls(**params).fit(X, checkpoint_dir=ckpt_dir, checkpoint_every=2, resume=True)
    assert len(resumed.history_["loss"]) == 30
    straight = cls(**params).fit(X)
    assert resumed.history_["loss"] == straight.history_["loss"]
    for (k, a), b in zip(straight.model_.state_dict().items(), resumed.model_.state_dict().values(),
                         strict=True):
        assert torch.equal(a, b), k


@pytest.mark.parametrize("damage", ["truncated", "not safetensors", "no geoae metadata",
                                    "geoae metadata without its keys", "not from an estimator"])
def test_resume_from_a_damaged_checkpoint_names_the_file(damage, tmp_path):
    X = data()
    params = dict(latent_dim=2, hidden=(8,), epochs=3, random_state=0)
    AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path)
    ckpt = tmp_path / "checkpoint.safetensors"
    blob = ckpt.read_bytes()
    if damage == "truncated":
        ckpt.write_bytes(blob[: len(blob) // 2])
    elif damage == "not safetensors":
        ckpt.write_bytes(b"checkpoint? no")
    elif damage == "not from an estimator":  # fit_module's own checkpoint: no seed, no identity
        net = torch.nn.Sequential(torch.nn.Linear(5, 2), torch.nn.Linear(2, 5))
        fit_module(net, lambda m, xb, mb: (((m(xb) - xb) ** 2).mean(), {}),
                   torch.as_tensor(X, dtype=torch.float32), epochs=2, checkpoint=ckpt)
    else:
        import json

        from safetensors.torch import save_file

        meta = ({"other": "tool"} if damage == "no geoae metadata"
                else {"geoae": json.dumps({"epoch": 1})})
        save_file({"x": torch.zeros(2)}, str(ckpt), metadata=meta)
    match = ("not written by a geoae estimator" if damage == "not from an estimator"
             else r"checkpoint\.safetensors: not a readable geoae")
    with pytest.raises(ConfigError, match=match):
        AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, resume=True)


@pytest.mark.parametrize("cls", [AutoEncoder, VAE])
def test_interrupted_then_resumed_equals_uninterrupted(cls, tmp_path):
    from crashing import Crash, crash_at_epoch

    X = data()
    params = dict(latent_dim=2, hidden=(8,), epochs=12, patience=100, random_state=3)
    straight = cls(**params).fit(X)
    with pytest.raises(Crash), crash_at_epoch(6):
        cls(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=5)
    assert load_checkpoint(tmp_path / "checkpoint.safetensors")[1]["epoch"] == 5
    resumed = cls(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=5, resume=True)
    assert resumed.history_["loss"] == straight.history_["loss"]
    for (k, a), b in zip(straight.model_.state_dict().items(), resumed.model_.state_dict().values(),
                         strict=True):
        assert torch.equal(a, b), k


def test_a_validation_well_without_observed_values_does_not_stop_training():
    """A held-out well without the chosen curves gave val_loss 0 at every epoch, so early
    stopping kept the untrained first-epoch weights (reconstruction error 0.997 vs 0.023)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 5)) + 0.05 * rng.normal(size=(600, 5))
    df = pd.DataFrame(X, columns=list("abcde"))
    df["WELL"] = np.repeat(["W1", "W2", "W3"], 200)
    df.loc[df["WELL"] == "W3", list("abcde")] = np.nan  # W3 logged none of these curves
    for seed in range(4):  # whichever well is held out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            m = AutoEncoder(latent_dim=3, hidden=(16,), epochs=80, patience=10, learning_rate=5e-3,
                            random_state=seed,
                            validation_fraction=0.3).fit(df)
        assert m.history_["best_epoch"][0] > 5
        assert np.nanmean(m.reconstruction_error(df[df.WELL != "W3"])) < 0.2
    with pytest.warns(UserWarning, match="validation samples have no observed value"):
        fit_module(nn.Linear(3, 3), lambda m, xb, mb: (((m(xb) - xb) ** 2).mean(), {}),
                   torch.randn(32, 3), X_val=torch.zeros(8, 3), mask_val=torch.zeros(8, 3, dtype=bool),
                   epochs=2, batch_size=8)


def test_resuming_a_finished_training_says_so(tmp_path):
    """A finished checkpoint resumed with the same epochs: its weights, with a warning. Asked
    for more epochs than it ran out of (or fewer than it ran), it is refused: the saved model
    would record epochs it was not trained for (it trained nothing, silently, and said 8)."""
    X = data()
    first = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(
        X, checkpoint_dir=tmp_path)
    with pytest.warns(UserWarning, match="finished training .*3 epoch.*delete the checkpoint"):
        again = AutoEncoder(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(
            X, checkpoint_dir=tmp_path, resume=True)
    assert len(again.history_["loss"]) == 3
    np.testing.assert_array_equal(again.transform(X), first.transform(X))
    for epochs in (8, 2):
        with pytest.raises(ConfigError, match=f"ran 3 epoch.*epochs={epochs}.*epochs=3"):
            AutoEncoder(latent_dim=2, hidden=(8,), epochs=epochs, random_state=0).fit(
                X, checkpoint_dir=tmp_path, resume=True)


def test_resuming_a_run_that_stopped_early_with_more_epochs_is_allowed(tmp_path):
    """A run that early stopping ended would end at the same epoch with a larger ``epochs``,
    so the model's record stays true: its weights are used, with the warning."""
    X = data()
    first = AutoEncoder(latent_dim=2, hidden=(8,), epochs=200, patience=1, learning_rate=0.05,
                        random_state=0).fit(X, checkpoint_dir=tmp_path)
    ran = len(first.history_["loss"])
    assert ran < 200
    with pytest.warns(UserWarning, match="finished training"):
        again = AutoEncoder(latent_dim=2, hidden=(8,), epochs=400, patience=1, learning_rate=0.05,
                            random_state=0).fit(X, checkpoint_dir=tmp_path, resume=True)
    np.testing.assert_array_equal(again.transform(X), first.transform(X))


def test_resume_refuses_a_checkpoint_of_other_data(tmp_path):
    X = data()
    AutoEncoder(latent_dim=2, hidden=(8,), epochs=2, random_state=0).fit(X, checkpoint_dir=tmp_path)
    # the difference is named (it was the checkpoint's record printed as a dict)
    with pytest.raises(ConfigError, match=rf"other data or another model \(rows {len(X)} then, "
                                          r"100 now\)"):
        AutoEncoder(latent_dim=2, hidden=(8,), epochs=4, random_state=0).fit(
            X[:100], checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ConfigError, match="needs checkpoint_dir"):
        AutoEncoder().fit(X, resume=True)


# ---------------------------------------------------------------- chunked inference, AMP, compile
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CHUNK_X = np.random.default_rng(11).normal(size=(257, 5)) @ np.random.default_rng(12).normal(size=(5, 5))
_CHUNK_X[::17, 2] = np.nan  # missing values go through the mask path too
_CHUNK_MODELS = {}


def _chunk_model(kind: str):
    if kind not in _CHUNK_MODELS:
        cls = AutoEncoder if kind == "ae" else VAE
        _CHUNK_MODELS[kind] = cls(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(_CHUNK_X)
    return _CHUNK_MODELS[kind]


@settings(max_examples=25, deadline=None)
@given(chunk=st.integers(1, 300), kind=st.sampled_from(["ae", "vae"]))
def test_chunked_inference_equals_whole_array_inference(chunk, kind):
    """Any chunking of the rows (by the caller, or of the internal inference batch) gives the
    whole-array results to float tolerance: rows are scored independently."""
    import geoae.models as gm

    est = _chunk_model(kind)
    X = _CHUNK_X
    whole_err, whole_z = est.reconstruction_error(X), est.transform(X)
    parts = [slice(i, i + chunk) for i in range(0, len(X), chunk)]
    np.testing.assert_allclose(np.concatenate([est.reconstruction_error(X[s]) for s in parts]),
                               whole_err, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.concatenate([est.transform(X[s]) for s in parts]), whole_z,
                               rtol=1e-5, atol=1e-6)
    old = gm._INFER_BATCH
    gm._INFER_BATCH = chunk
    try:
        np.testing.assert_allclose(est.reconstruction_error(X), whole_err, rtol=1e-5, atol=1e-7)
    finally:
        gm._INFER_BATCH = old


def test_fp16_grad_scaler_path_skips_overflow_steps(monkeypatch):
    """The CUDA float16 path (autocast + GradScaler, with gradient clipping through unscale_),
    run on the CPU: CPU autocast supports float16 and GradScaler("cpu") follows the same
    protocol. The scaler starts at 2**40, so the first steps' float16 gradients overflow;
    they must be skipped (not applied as NaN) while the scale drops, and the fit must end
    close to float32's."""
    import geoae.training as gt

    with warnings.catch_warnings():  # an unsupported autocast dtype warns and does nothing
        warnings.simplefilter("ignore")
        with torch.autocast("cpu", dtype=torch.float16):
            probe = torch.nn.Linear(2, 2)(torch.ones(1, 2)).dtype
    if probe != torch.float16:
        pytest.skip("this torch build has no float16 autocast on the CPU")
    scalers = []

    def cpu_fp16(precision, device):
        if precision != "16":
            return contextlib.nullcontext, None
        scalers.append(torch.amp.GradScaler("cpu", init_scale=2.0**40))
        return (lambda: torch.autocast("cpu", dtype=torch.float16)), scalers[-1]

    monkeypatch.setattr(gt, "_amp", cpu_fp16)
    X = np.random.default_rng(0).normal(size=(300, 4)) @ np.random.default_rng(1).normal(size=(4, 4))
    params = dict(latent_dim=2, hidden=(8,), epochs=30, batch_size=16, patience=100, random_state=0,
                  device="cpu")
    ref = AutoEncoder(**params, precision="32").fit(X, grad_clip=1.0)
    half = AutoEncoder(**params, precision="16").fit(X, grad_clip=1.0)
    assert len(scalers) == 1 and scalers[0].get_scale() < 2.0**20  # overflow steps lowered it
    assert all(torch.isfinite(p).all() for p in half.model_.parameters())
    assert np.isfinite(half.history_["loss"]).all()
    assert half.history_["loss"][-1] < 0.5 * half.history_["loss"][0]
    assert abs(half.history_["loss"][-1] - ref.history_["loss"][-1]) < 0.2 * ref.history_["loss"][-1]


def test_precision_and_compile_options():
    """On the CPU (tests/test_cuda.py covers the GPU)."""
    X = np.random.default_rng(0).normal(size=(300, 4))
    ref = AutoEncoder(latent_dim=2, hidden=(8,), epochs=4, random_state=0, precision="32",
                      device="cpu").fit(X)
    # "auto" is float32 on the CPU: the same fit, bit for bit
    auto = AutoEncoder(latent_dim=2, hidden=(8,), epochs=4, random_state=0, device="cpu").fit(X)
    for a, b in zip(ref.model_.parameters(), auto.model_.parameters(), strict=True):
        assert torch.equal(a, b)
    # bf16 autocast trains (CPU autocast), to a loss close to float32's
    bf16 = AutoEncoder(latent_dim=2, hidden=(8,), epochs=4, random_state=0, precision="bf16",
                       device="cpu").fit(X)
    assert np.isfinite(bf16.history_["loss"]).all()
    assert abs(bf16.history_["loss"][-1] - ref.history_["loss"][-1]) < 0.1 * ref.history_["loss"][-1]
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        AutoEncoder(epochs=1, precision="16", device="cpu").fit(X)
    with pytest.raises(ConfigError, match="precision"):
        AutoEncoder(epochs=1, precision="64", device="cpu").fit(X)
    from geoae import ContractiveAutoEncoder

    with pytest.raises(ConfigError, match="double backward"):
        ContractiveAutoEncoder(epochs=1, compile=True, device="cpu").fit(X)
    # torch.compile of the training step (the "eager" backend keeps the test free of a C compiler)
    comp = AutoEncoder(latent_dim=2, hidden=(8,), epochs=4, random_state=0, compile="eager",
                       device="cpu").fit(X)
    np.testing.assert_allclose(comp.history_["loss"], ref.history_["loss"], rtol=1e-4)


# -- FlatAdamW: the one-buffer AdamW that fit_module uses --------------------------------------

def _torch_adamw_only(monkeypatch):
    """Make fit_module use torch.optim.AdamW(fused=True), the reference."""
    from geoae._optim import FlatAdamW

    monkeypatch.setattr(FlatAdamW, "create", classmethod(lambda cls, *a, **k: None))


FAMILIES = {
    "dense": lambda: AutoEncoder(latent_dim=2, hidden=(8, 4), epochs=6, random_state=0),
    "denoising": lambda: __import__("geoae").DenoisingAutoEncoder(
        latent_dim=2, hidden=(8,), epochs=6, noise="masking", random_state=0),
    "vae": lambda: VAE(latent_dim=2, hidden=(8,), epochs=6, beta=2.0, random_state=0),
    "sparse": lambda: __import__("geoae").SparseAutoEncoder(
        latent_dim=2, hidden=(8,), epochs=6, sparsity="kl", random_state=0),
    "contractive": lambda: __import__("geoae").ContractiveAutoEncoder(
        latent_dim=2, hidden=(8,), epochs=6, random_state=0),
    "conv1d": lambda: AutoEncoder(backbone="conv1d", latent_dim=3, hidden=(4,), epochs=4,
                                  random_state=0),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_flat_adamw_trains_to_torch_adamws_weights(family, monkeypatch):
    """The one-buffer AdamW performs the same arithmetic as torch's AdamW(fused=True): every
    model family ends with equal weights and history (with weight decay and gradient clipping),
    and after fit the parameters no longer share one storage."""
    from geoae._optim import FlatAdamW

    X = data(200)
    if family == "conv1d":
        X = np.stack([X, X[:, ::-1]], axis=1)  # (n, 2 channels, 5)
    used = []
    create = FlatAdamW.create.__func__

    def spy(cls, *a, **k):
        used.append(create(cls, *a, **k))
        return used[-1]

    with monkeypatch.context() as m:
        m.setattr(FlatAdamW, "create", classmethod(spy))
        flat = FAMILIES[family]().set_params(weight_decay=1e-2).fit(X, grad_clip=0.5)
    assert used and isinstance(used[0], FlatAdamW)
    _torch_adamw_only(monkeypatch)
    ref = FAMILIES[family]().set_params(weight_decay=1e-2).fit(X, grad_clip=0.5)
    np.testing.assert_allclose(flat.history_["loss"], ref.history_["loss"], rtol=1e-6)
    for (k, a), b in zip(ref.model_.state_dict().items(), flat.model_.state_dict().values(),
                         strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7, msg=k)
    params = list(flat.model_.parameters())
    assert len({p.untyped_storage().data_ptr() for p in params}) == len(params)
    assert all(p.grad is None for p in params)


def test_flat_adamw_state_round_trips_through_torch_adamw():
    """Steps, zero_grad (also after a gradient was set to None) and the checkpoint layout:
    FlatAdamW and torch.optim.AdamW give the same weights step by step, and each resumes from
    the other's state_dict."""
    from geoae._optim import FlatAdamW

    torch.manual_seed(0)
    nets = [nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    flat = FlatAdamW.create(nets[0], lr=1e-2, weight_decay=0.1)
    ref = torch.optim.AdamW(nets[1].parameters(), lr=1e-2, weight_decay=0.1, fused=True)
    assert flat is not None
    x = torch.randn(16, 3)

    def step(net, opt, i):
        opt.zero_grad(set_to_none=True)
        if i == 2:
            next(net.parameters()).grad = None  # a gradient dropped by someone: re-attached
        (net(x) ** 2).mean().backward()
        opt.step()

    for i in range(5):
        step(nets[0], flat, i)
        step(nets[1], ref, i)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    # flat state into a fresh torch AdamW, torch state into a fresh FlatAdamW: both go on alike
    copies = [nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)) for _ in range(2)]
    for c, n in zip(copies, nets, strict=True):
        c.load_state_dict(n.state_dict())
    torch_from_flat = torch.optim.AdamW(copies[0].parameters(), lr=1.0, fused=True)
    torch_from_flat.load_state_dict(flat.state_dict())
    flat_from_torch = FlatAdamW.create(copies[1], lr=1.0, weight_decay=0.0)
    flat_from_torch.load_state_dict(ref.state_dict())
    assert flat_from_torch.param_groups[0]["lr"] == 1e-2  # the hyper-parameters come along
    for i in range(3):
        for net, opt in ((nets[0], flat), (nets[1], ref), (copies[0], torch_from_flat),
                         (copies[1], flat_from_torch)):
            step(net, opt, i)
    for other in (nets[1], copies[0], copies[1]):
        for a, b in zip(nets[0].parameters(), other.parameters(), strict=True):
            torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="this network has 4"):
        flat.load_state_dict({"state": {}, "param_groups": [dict(ref.state_dict()["param_groups"][0],
                                                                  params=[0, 1])]})


def test_a_checkpoint_of_torch_adamw_resumes_with_flat_adamw(tmp_path, monkeypatch):
    """Checkpoints keep torch.optim.AdamW's per-parameter layout: one written before FlatAdamW
    (or by a run that could not use it) resumes to the uninterrupted run's weights."""
    from crashing import Crash, crash_at_epoch

    X = data()
    params = dict(latent_dim=2, hidden=(8,), epochs=12, patience=100, random_state=3)
    straight = AutoEncoder(**params).fit(X)
    with monkeypatch.context() as m:
        _torch_adamw_only(m)
        with pytest.raises(Crash), crash_at_epoch(6):
            AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=5)
    resumed = AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, checkpoint_every=5, resume=True)
    np.testing.assert_allclose(resumed.history_["loss"], straight.history_["loss"], rtol=1e-6)
    for a, b in zip(straight.model_.parameters(), resumed.model_.parameters(), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7)


def test_flat_adamw_loads_a_torch_state_without_an_entry_for_an_unused_parameter():
    """torch's AdamW keeps no state for a parameter that never had a gradient; FlatAdamW takes
    zero moments for it (it was a KeyError, 'the checkpoint does not fit this model')."""
    from geoae._optim import FlatAdamW

    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    net.unused = nn.Parameter(torch.ones(4))
    ref = torch.optim.AdamW(net.parameters(), lr=1e-2, fused=True)
    (net(torch.randn(8, 3)) ** 2).mean().backward()
    ref.step()
    saved = ref.state_dict()
    assert len(saved["state"]) == 2 and len(saved["param_groups"][0]["params"]) == 3
    flat = FlatAdamW.create(net, lr=1.0, weight_decay=0.0)
    flat.load_state_dict(saved)
    weight, bias, unused = flat._split(flat._exp_avg)
    torch.testing.assert_close(weight, saved["state"][0]["exp_avg"])
    torch.testing.assert_close(bias, saved["state"][1]["exp_avg"])
    assert not unused.any() and float(flat._step) == 1.0
    assert flat.state_dict()["param_groups"][0].keys() == saved["param_groups"][0].keys()


@pytest.mark.parametrize("edit", ["history", "negative lr", "negative epoch", "best shape"])
def test_resume_refuses_edited_checkpoint_metadata_before_training(edit, tmp_path, monkeypatch):
    """An edited checkpoint failed as an AttributeError, took a negative learning rate (the loss
    rose to 1e12, exit 0) or ran extra epochs, or - wrong best.* weights - failed only once every
    epoch had run (an audit). It is refused before the first step now."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    X = data()
    params = dict(latent_dim=2, hidden=(8,), epochs=3, random_state=0)
    AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path)
    ckpt = tmp_path / "checkpoint.safetensors"
    tensors = load_file(str(ckpt))
    with safe_open(str(ckpt), "pt") as f:
        meta = json.loads(f.metadata()["geoae"])
    meta.update(finished=False, epoch=1)
    meta["history"] = {k: v[:1] for k, v in meta["history"].items()}
    if edit == "history":
        meta["history"] = "abc"
    elif edit == "negative lr":
        meta["param_groups"][0]["lr"] = -1.0
    elif edit == "negative epoch":
        meta["epoch"] = -5
    else:
        key = next(k for k in tensors if k.startswith("best."))
        tensors[key] = torch.zeros(99)
    save_file(tensors, str(ckpt), metadata={"geoae": json.dumps(meta)})
    import geoae.training as tr

    ran, epoch = [], tr._epoch
    monkeypatch.setattr(tr, "_epoch", lambda *a, **k: ran.append(1) or epoch(*a, **k))
    match = "best weights" if edit == "best shape" else "metadata are not as geoae writes them"
    with pytest.raises(ConfigError, match=match):
        AutoEncoder(**params).fit(X, checkpoint_dir=tmp_path, resume=True)
    assert ran == []  # refused before any epoch


def test_resume_refuses_other_curves_data_or_options(tmp_path):
    """A cluster audit: --resume with the curves in another order trained the last epochs on
    swapped columns (exit 0); other data of the same shape, another batch size or seed were
    resumed silently. The checkpoint now records the curves, a fingerprint of the data and
    the options that shape what is learnt; only how long and where it runs may change."""
    import pandas as pd
    import pytest

    from crashing import Crash, crash_at_epoch
    from geoae import AutoEncoder
    from geoae.datasets import make_synthetic_wells
    from geoae.errors import ConfigError

    X = make_synthetic_wells(n_wells=2, n_samples=150, random_state=0).clean[
        ["GR", "RHOB", "NPHI", "PE"]]
    kw = dict(latent_dim=2, hidden=(8,), epochs=4, batch_size=64, random_state=0, device="cpu",
              verbose=False)
    ckpt = tmp_path / "ck"
    with crash_at_epoch(2), pytest.raises(Crash):
        AutoEncoder(**kw).fit(X, checkpoint_dir=ckpt, checkpoint_every=1)
    swapped = X[["GR", "RHOB", "PE", "NPHI"]]
    with pytest.raises(ConfigError, match=r"curves \['GR', 'RHOB', 'NPHI', 'PE'\], this fit has "
                                          r"\['GR', 'RHOB', 'PE', 'NPHI'\]"):
        AutoEncoder(**kw).fit(swapped, checkpoint_dir=ckpt, resume=True)
    shuffled = X.assign(GR=X["GR"].sample(frac=1.0, random_state=1).to_numpy())
    with pytest.raises(ConfigError, match="other data \\(same shape, other values"):
        AutoEncoder(**kw).fit(shuffled, checkpoint_dir=ckpt, resume=True)
    with pytest.raises(ConfigError, match=r"other options \(batch_size 64 -> 128\)"):
        AutoEncoder(**dict(kw, batch_size=128)).fit(X, checkpoint_dir=ckpt, resume=True)
    with pytest.raises(ConfigError, match=r"random_state 0 -> 5"):
        AutoEncoder(**dict(kw, random_state=5)).fit(X, checkpoint_dir=ckpt, resume=True)
    with pytest.raises(ConfigError, match=r"grad_clip None -> 0.5"):
        AutoEncoder(**kw).fit(X, checkpoint_dir=ckpt, resume=True, grad_clip=0.5)
    # more epochs (or another device, precision, verbosity) is a legitimate resume
    done = AutoEncoder(**dict(kw, epochs=6)).fit(X, checkpoint_dir=ckpt, resume=True)
    assert len(done.history_["loss"]) == 6
    assert isinstance(pd.DataFrame(done.transform(X)), pd.DataFrame)
