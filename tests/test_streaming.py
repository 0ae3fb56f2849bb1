"""Streaming datasets: SEG-Y and LAS folders read chunk by chunk, fit on them, chunked scoring."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import segyio

import geoae
from geoae import VAE, AutoEncoder, ConfigError, DataError
from geoae.datasets import make_synthetic_seismic, make_synthetic_wells
from geoae.io import write_las
from geoae.streaming import LasRows, SegyTraces, is_validation, score_segy


def write_segy_file(path: Path, traces: np.ndarray) -> Path:
    spec = segyio.spec()
    spec.format, spec.samples, spec.tracecount = 5, np.arange(traces.shape[1]) * 2.0, len(traces)
    with segyio.create(str(path), spec) as f:
        f.bin.update(hdt=2000, hns=traces.shape[1], format=5)
        f.trace.raw[:] = traces.astype(np.float32)
        for i in range(len(traces)):
            f.header[i] = {segyio.su.tracl: i + 1}
    return path


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> tuple[Path, np.ndarray]:
    traces = make_synthetic_seismic(n_traces=600, n_samples=64, snr_db=20, random_state=0).noisy
    traces = np.asarray(traces, dtype=np.float32)
    return write_segy_file(tmp_path_factory.mktemp("segy") / "survey.sgy", traces), traces


def test_segy_traces_stream_every_trace_once_sharded_and_shuffled(survey, monkeypatch):
    path, traces = survey
    ds = SegyTraces(path, chunk_traces=64, buffer_size=100, seed=1, with_index=True)
    assert len(ds) == 600 and ds.sample_shape == (64,)
    items = list(ds)
    idx = np.array([i for i, _ in items])
    assert sorted(idx) == list(range(600))  # every trace once
    assert not np.array_equal(idx, np.arange(600))  # shuffled
    for i, s in items[:50]:
        np.testing.assert_array_equal(s, traces[i])
    # samples own their memory: a view would keep its whole chunk alive in the shuffling buffer
    assert all(s.flags.owndata for _, s in items)
    ds.set_epoch(1)
    assert [i for i, _ in ds][:20] != list(idx[:20])  # another order in another epoch
    # two shards (ranks x workers) read disjoint chunks that together cover the file
    import geoae.streaming as gs

    seen = []
    for shard in (0, 1):
        monkeypatch.setattr(gs, "_shard", lambda s=shard: (s, 2))
        seen.append({i for i, _ in ds})
    assert not seen[0] & seen[1] and len(seen[0] | seen[1]) == 600
    # the validation split is a fixed share of the indices, whatever the sharding
    v = is_validation(np.arange(100_000), 0.1)
    assert abs(v.mean() - 0.1) < 0.005
    np.testing.assert_array_equal(v[:1000], is_validation(np.arange(1000), 0.1))


def test_streaming_fit_on_segy_matches_the_in_memory_fit(survey):
    """Same data and seed: the reconstruction error of the streamed fit is within 10 % of the
    in-memory fit's (they differ only in the shuffling order, the validation rows and the scaler
    sample). The buffer covers the survey here, so the shuffle is global as in memory: with a
    buffer of 128 traces neighbouring (near-identical) traces share batches and training is
    slower (+30 % error after 25 epochs, +12 % after 80, measured)."""
    path, traces = survey
    params = dict(latent_dim=8, hidden=(32,), epochs=60, batch_size=32, patience=60, random_state=0)
    mem = AutoEncoder(**params).fit(traces)
    ds = SegyTraces(path, chunk_traces=50, buffer_size=1000)
    stream = AutoEncoder(**params).fit(ds)
    # fitting does not change the user's dataset: it still yields traces, at epoch 0
    assert not ds.with_index and ds.epoch == 0
    assert np.shape(next(iter(ds))) == traces.shape[1:]  # a trace, not an (index, trace) pair
    e_mem = mem.reconstruction_error(traces).mean()
    e_stream = stream.reconstruction_error(traces).mean()
    assert abs(e_stream - e_mem) <= 0.10 * e_mem, (e_stream, e_mem)
    # and both learned: far below the error of an untrained network
    untrained = AutoEncoder(**dict(params, epochs=1, learning_rate=1e-9)).fit(traces)
    assert e_stream < 0.5 * untrained.reconstruction_error(traces).mean()
    # a path is streamed too; conv1d sees each trace as a one-channel series
    conv = AutoEncoder(backbone="conv1d", latent_dim=4, hidden=(4,), epochs=1, random_state=0).fit(path)
    assert conv.input_shape_ == (1, 64)


def test_score_segy_writes_per_trace_results_chunk_by_chunk(survey, tmp_path):
    path, traces = survey
    model = AutoEncoder(latent_dim=3, hidden=(16,), epochs=3, random_state=0).fit(traces)
    err = np.load(score_segy(model, path, tmp_path / "err.npy", chunk_traces=77))
    np.testing.assert_allclose(err, model.reconstruction_error(traces), rtol=1e-5, atol=1e-7)
    z = np.load(score_segy(model, path, tmp_path / "z.npy", what="latent", chunk_traces=100))
    np.testing.assert_allclose(z, model.transform(traces), rtol=1e-5, atol=1e-6)
    with pytest.raises(DataError, match="refusing to overwrite"):
        score_segy(model, path, path)
    wrong = AutoEncoder(latent_dim=2, hidden=(4,), epochs=1).fit(traces[:, :32])
    with pytest.raises(DataError, match="fitted on samples of shape"):
        score_segy(wrong, path, tmp_path / "x.npy")
    assert not (tmp_path / "x.npy").exists()


def test_las_rows_stream_a_folder_and_fit(tmp_path):
    syn = make_synthetic_wells(n_wells=3, n_samples=200, random_state=0)
    obs = syn.observed
    for w, frame in obs.groupby("WELL"):
        write_las(frame, tmp_path / f"{w}.las")
    ds = LasRows(tmp_path, ["GR", "RHOB", "NPHI"], buffer_size=50)
    assert len(ds) == len(obs)
    rows = np.stack(list(ds))
    assert rows.shape == (len(obs), 3)
    ref = obs[["GR", "RHOB", "NPHI"]].to_numpy()
    np.testing.assert_allclose(np.sort(np.nan_to_num(rows, nan=-1), 0),
                               np.sort(np.nan_to_num(ref, nan=-1), 0), rtol=1e-5)
    vae = VAE(latent_dim=2, hidden=(8,), epochs=3, random_state=0).fit(ds)
    assert list(vae.feature_names_in_) == ["GR", "RHOB", "NPHI"]
    vae.save(tmp_path / "m")
    assert geoae.load(tmp_path / "m").transform(obs[["GR", "RHOB", "NPHI"]]).shape == (len(obs), 2)
    with pytest.raises(ConfigError, match="curves"):
        LasRows(tmp_path, [])
    with pytest.raises(DataError, match="no .las file in this folder"):
        LasRows(tmp_path / "m", ["GR"])
    # a code-health review: hidden files (macOS's ._ copies) and folders named .las were
    # streamed as wells (read_wells skips them): "._A.las: not a LAS file"
    (tmp_path / "._A.las").write_bytes(b"\x00\x05\x16\x07 Mac OS X")
    (tmp_path / "sub.las").mkdir()
    assert [p.name for p in LasRows(tmp_path, ["GR"]).paths] == sorted(
        f"{w}.las" for w in obs["WELL"].unique())
    assert len(LasRows(tmp_path, ["GR"])) == len(obs)


class _Rows(geoae.streaming.StreamingDataset):
    """An in-memory stream of rows, in order (one chunk)."""

    def __init__(self, X):
        super().__init__(shuffle=False)
        self.X = np.asarray(X, dtype=np.float32)

    def _chunks(self):
        return [(0, 0, len(self.X))]

    def _read(self, key, start, stop):
        return self.X[start:stop]

    @property
    def sample_shape(self):
        return (self.X.shape[1],)


@pytest.mark.filterwarnings("ignore:.*collapsed to the prior")
def test_a_streamed_fit_leaves_out_samples_with_no_observed_value():
    """As in memory: streamed samples with every entry missing carry no information; they
    entered the batches (a batch of them alone still moved the weights, and the VAE's KL term
    and fitted prior saw their codes). The fit equals the one on the stream without them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    Xe = np.vstack([X, np.full((70, 4), np.nan)])
    params = dict(latent_dim=2, hidden=(8,), epochs=3, batch_size=32, validation_fraction=0.0,
                  random_state=0, prior="gmm", prior_components=2)
    ref, vae = VAE(**params).fit(_Rows(X)), VAE(**params).fit(_Rows(Xe))
    np.testing.assert_array_equal(vae.transform(X), ref.transform(X))
    np.testing.assert_array_equal(vae.model_.prior_mean.numpy(), ref.model_.prior_mean.numpy())
    assert np.isnan(vae.transform(Xe[-3:])).all()


def test_a_streamed_fit_whose_held_out_samples_are_all_empty_says_so():
    """Early stopping needs held-out values; when every held-out sample is empty the fit
    follows the training loss, and says so (it used to do so silently)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    held = is_validation(np.arange(300), 0.2)
    assert 20 < held.sum() < 100
    Xe = X.copy()
    Xe[held] = np.nan
    params = dict(latent_dim=1, hidden=(4,), epochs=2, batch_size=64, validation_fraction=0.2,
                  random_state=0)
    with pytest.warns(UserWarning, match=rf"every one of the {held.sum()} held-out validation samples kept"):
        ae = AutoEncoder(**params).fit(_Rows(Xe))
    assert "val_loss" not in ae.history_ and len(ae.history_["loss"]) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "val_loss" in AutoEncoder(**params).fit(_Rows(X)).history_


def test_las_rows_convert_a_curve_to_the_unit_of_most_files(tmp_path):
    """LasRows read each file on its own and streamed NPHI in % from one file beside v/v from
    the others (a streamed fit learnt other data than an in-memory fit of the same folder).
    It now converts as read_wells does for the whole folder, and says so once."""
    obs = make_synthetic_wells(n_wells=3, n_samples=120, random_state=1, faults=False).observed
    units = {"GR": "gAPI", "RHOB": "g/cm3", "NPHI": "v/v"}
    for w, frame in obs.groupby("WELL"):
        part = frame.drop(columns="WELL").set_index("DEPTH")[["GR", "RHOB", "NPHI"]]
        if w == "SYN-02":
            part = part.assign(NPHI=part["NPHI"] * 100)
        part.attrs["well_name"] = w
        write_las(part, tmp_path / f"{w}.las",
                  units={**units, "NPHI": "%" if w == "SYN-02" else "v/v"})
    ds = LasRows(tmp_path, ["GR", "NPHI"], shuffle=False)
    with pytest.warns(UserWarning, match=r"NPHI % -> v/v \(SYN-02.las\)") as record:
        rows = np.stack(list(ds))
    assert sum("LasRows: converted" in str(w.message) for w in record) == 1
    assert ds.units == {"GR": "gAPI", "NPHI": "v/v"}
    with pytest.warns(UserWarning, match="converted to the unit of most wells"):
        ref = geoae.io.read_wells(tmp_path)  # the whole folder, converted by read_wells
    np.testing.assert_allclose(rows, ref[["GR", "NPHI"]].to_numpy(), rtol=1e-6)
    with warnings.catch_warnings(record=True) as raw_record:
        warnings.simplefilter("always")
        raw = np.stack(list(LasRows(tmp_path, ["NPHI"], shuffle=False, convert_units=False)))
    assert any("not converted" in str(w.message) for w in raw_record)
    assert np.nanmax(raw) > 5  # the % file as it is


def test_a_streamed_segy_with_infinite_samples_treats_them_as_missing(survey, tmp_path):
    """One inf sample made the streamed fit's scaler offset inf at that time sample, so every
    reconstruction of every file was inf there; with NaN as well the fit crashed (an audit).
    Infinite samples are missing, as in the in-memory fit."""
    _, traces = survey
    bad = traces.copy()
    bad[30, 3] = np.inf
    bad[40, 5] = -np.inf
    bad[50, 7:9] = np.nan
    path = write_segy_file(tmp_path / "inf.sgy", bad)
    params = dict(latent_dim=3, hidden=(16,), epochs=2, random_state=0)
    with pytest.warns(UserWarning, match="infinite value"):
        model = AutoEncoder(**params).fit(SegyTraces(path))
    assert np.isfinite(model.scaler_offset_).all() and np.isfinite(model.scaler_scale_).all()
    rec = model.inverse_transform(model.transform(traces))
    assert np.isfinite(rec).all()


def test_a_streamed_resume_refuses_another_file_of_the_same_shape(tmp_path):
    import pytest
    import segyio

    from crashing import Crash, crash_at_epoch
    from geoae import AutoEncoder
    from geoae.datasets import make_synthetic_seismic
    from geoae.errors import ConfigError
    from geoae.streaming import SegyTraces

    for name, seed in (("a.sgy", 0), ("b.sgy", 1)):
        section = make_synthetic_seismic(n_traces=60, n_samples=32, snr_db=5.0, random_state=seed)
        segyio.tools.from_array2D(str(tmp_path / name), section.noisy.astype("float32"), dt=2000)
    kw = dict(latent_dim=2, hidden=(8,), epochs=3, random_state=0, device="cpu", verbose=False)
    ckpt = tmp_path / "ck"
    with crash_at_epoch(1), pytest.raises(Crash):
        AutoEncoder(**kw).fit(SegyTraces(tmp_path / "a.sgy", chunk_traces=16),
                              checkpoint_dir=ckpt, checkpoint_every=1)
    with pytest.raises(ConfigError, match="other data"):
        AutoEncoder(**kw).fit(SegyTraces(tmp_path / "b.sgy", chunk_traces=16),
                              checkpoint_dir=ckpt, resume=True)
    done = AutoEncoder(**kw).fit(SegyTraces(tmp_path / "a.sgy", chunk_traces=16),
                                 checkpoint_dir=ckpt, resume=True)
    assert len(done.history_["loss"]) == 3
