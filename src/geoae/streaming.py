"""Streaming data for inputs larger than memory: SEG-Y volumes and folders of LAS files.

:class:`SegyTraces` and :class:`LasRows` are :class:`torch.utils.data.IterableDataset` s that
read their files a chunk at a time. Every estimator's ``fit`` accepts them (or the path of a
SEG-Y file or of a folder of LAS files) as well as arrays; memory is bounded by the chunk and the
shuffling buffer, not by the data.

* **Shuffling**: the order of the chunks is permuted every epoch (seeded by ``seed`` and the
  epoch, see :meth:`set_epoch`) and samples pass through a shuffling buffer of ``buffer_size``
  samples (the approach of ``tf.data`` and WebDataset): a uniform shuffle within a window, not
  a global one.
* **Sharding**: the chunks are dealt round-robin to ``world_size x num_workers`` shards, so that
  every distributed rank (torchrun) and every DataLoader worker reads a distinct part.
* **Validation split**: sample ``i`` (its global index) is held out for validation when a fixed
  hash of ``i`` falls below ``validation_fraction``, the same rows at every epoch and for any
  sharding (see :func:`is_validation`).

:func:`score_segy` runs a fitted model over a SEG-Y file chunk by chunk and writes the per-trace
latent codes or reconstruction errors progressively to a ``.npy`` file.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from torch.utils.data import IterableDataset, get_worker_info

from ._atomic import atomic_path, same_file
from ._validation import is_int
from .errors import ConfigError, DataError
from .io._files import sniff

__all__ = ["SegyTraces", "LasRows", "StreamingDataset", "is_validation", "score_segy", "segy_scores"]

_HASH = np.uint64(0x9E3779B97F4A7C15)


def is_validation(index: np.ndarray, fraction: float) -> np.ndarray:
    """Deterministic validation membership of global sample indices (a multiplicative hash:
    the same samples for every shard, worker and epoch; about ``fraction`` of them)."""
    if fraction <= 0:
        return np.zeros(np.shape(index), dtype=bool)
    h = (np.asarray(index, dtype=np.uint64) + np.uint64(1)) * _HASH
    return (h >> np.uint64(11)).astype(np.float64) / float(2**53) < fraction


def _shard() -> tuple[int, int]:
    """(this shard, number of shards) over distributed ranks x DataLoader workers."""
    from . import distributed as _dist

    info = get_worker_info()
    wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
    # rank and world size from the same source: the initialised process group (else 0 of 1)
    return _dist.rank() * nw + wid, _dist.world_size() * nw


class StreamingDataset(IterableDataset):
    """Base class: chunked, shuffled, sharded iteration over ``(global_index, sample)`` pairs.

    Subclasses give ``_chunks()`` (a list of ``(key, start, stop)``: ``start``/``stop`` are
    global sample indices) and ``_read(key, start, stop)`` (an array of ``stop - start``
    samples). Iterating yields float32 samples; ``with_index=True`` yields ``(index, sample)``.
    """

    def __init__(self, *, shuffle: bool = True, buffer_size: int = 10_000, seed: int = 0,
                 with_index: bool = False) -> None:
        if not (is_int(buffer_size) and buffer_size >= 1):
            raise ConfigError(f"buffer_size={buffer_size!r} is not valid: a positive number of samples")
        self.shuffle = bool(shuffle)
        self.buffer_size = int(buffer_size)
        self.seed = int(seed)
        self.with_index = with_index
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Reseed the chunk order and the shuffling buffer for ``epoch`` (as DistributedSampler)."""
        self.epoch = int(epoch)

    # subclasses -------------------------------------------------------------
    def _chunks(self) -> list[tuple[object, int, int]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self, key, start: int, stop: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def sample_shape(self) -> tuple[int, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:
        return sum(stop - start for _, start, stop in self._chunks())

    # iteration --------------------------------------------------------------
    def _items(self, chunk_order: Sequence[int] | None = None,
               sharded: bool = True) -> Iterator[tuple[int, np.ndarray]]:
        chunks = self._chunks()
        shard, n_shards = _shard() if sharded else (0, 1)
        if chunk_order is None:
            chunk_order = (np.random.default_rng([self.seed, self.epoch]).permutation(len(chunks))
                           if self.shuffle else np.arange(len(chunks)))
        for c in list(chunk_order)[shard::n_shards]:
            key, start, stop = chunks[c]
            block = self._read(key, start, stop)
            for i in range(stop - start):
                # a copy: a view would keep its whole chunk alive while it waits in the buffer
                yield start + i, block[i].copy()

    def __iter__(self):
        items = self._items()
        if self.shuffle:
            shard, _ = _shard()
            items = _buffered(items, self.buffer_size, np.random.default_rng([self.seed, self.epoch,
                                                                              shard, 1]))
        for index, sample in items:
            yield (index, sample) if self.with_index else sample


def _buffered(items, size: int, rng: np.random.Generator):
    buf: list = []
    for item in items:
        if len(buf) < size:
            buf.append(item)
            continue
        j = int(rng.integers(size))
        yield buf[j]
        buf[j] = item
    rng.shuffle(buf)
    yield from buf


class SegyTraces(StreamingDataset):
    """The traces of one or more SEG-Y files, streamed ``chunk_traces`` at a time.

    Each sample is one trace, a float32 array of ``n_samples`` values (all files must have the
    same trace length); a dead trace (all zero) is all NaN, so that a fit leaves it out. A dense
    auto-encoder models traces as rows; a conv1d one sees each as a one-channel series.

    Parameters
    ----------
    paths : path or sequence of paths
    chunk_traces : int, default=1024
        Traces read per chunk (the unit of sharding and of the chunk-order shuffle).
    shuffle, buffer_size, seed, with_index
        See :class:`StreamingDataset`.
    """

    def __init__(self, paths, chunk_traces: int = 1024, *, shuffle: bool = True,
                 buffer_size: int = 10_000, seed: int = 0, with_index: bool = False) -> None:
        from .io.segy import _layout

        super().__init__(shuffle=shuffle, buffer_size=buffer_size, seed=seed, with_index=with_index)
        if not (is_int(chunk_traces) and chunk_traces >= 1):
            raise ConfigError(f"chunk_traces={chunk_traces!r} is not valid: a positive number of traces")
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
        if not self.paths:
            raise ConfigError("SegyTraces needs at least one SEG-Y file")
        self.chunk_traces = int(chunk_traces)
        self._layouts = [_layout(p) for p in self.paths]
        lengths = {lay.n_samples for lay in self._layouts}
        if len(lengths) > 1:
            raise DataError(f"the SEG-Y files have traces of different lengths {sorted(lengths)}; "
                            "stream files of one trace length together")

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (self._layouts[0].n_samples,)

    def _chunks(self):
        out, offset = [], 0
        for k, lay in enumerate(self._layouts):
            for a in range(0, lay.n_traces, self.chunk_traces):
                b = min(a + self.chunk_traces, lay.n_traces)
                out.append((k, offset + a, offset + b))
            offset += lay.n_traces
        return out

    def _read(self, key, start, stop):
        from .io.segy import _open

        offset = sum(lay.n_traces for lay in self._layouts[:key])
        a, b = start - offset, stop - offset
        path = self.paths[key]
        try:
            with _open(path, self._layouts[key], structured=False) as f:
                traces = np.asarray(f.trace.raw[a:b], dtype=np.float32).reshape(b - a, -1)
        except Exception as exc:
            raise DataError(f"{path}: cannot read traces {a}-{b - 1} ({type(exc).__name__}: {exc}); "
                            "the file may be truncated") from None
        from .applications.denoising import live_traces

        # a dead trace (all zero: padding at a survey's edge) holds no reading: as missing, the
        # fit leaves it out instead of learning zeros as a kind of rock
        traces[~live_traces(traces)] = np.nan
        return traces


class LasRows(StreamingDataset):
    """The depth samples of a folder (or list) of LAS files, streamed one file at a time.

    Each sample is one depth row of ``curves`` (float32, NaN where missing or absent from a
    file), after the alias harmonisation of :func:`geoae.io.read_wells`. A chunk is one file.

    Units: as :func:`geoae.io.read_wells` does for a whole folder, a curve that the files give
    in different units is converted to the unit of most files (by the unit labels, exactly,
    with :func:`geoae.io.units.convert_units`; one warning names the conversions). The units
    are learnt in the first pass over the files (the row count, made when a fit starts);
    ``units`` (the one unit of each curve's samples; a curve left in several units is not
    there) and ``unit_conversions`` (``{file: {curve: (from, to)}}``) hold them then.
    Units with no known conversion are left as they are, with a warning.

    Parameters
    ----------
    paths : folder, path or sequence of paths
        A folder is searched for ``*.las`` (any case), sorted.
    curves : sequence of str
        The curves to yield, in this order.
    shuffle, buffer_size, seed, with_index
        See :class:`StreamingDataset`.
    convert_units : bool, default=True
        Convert as above; ``False`` streams each file's values in its own units.
    """

    def __init__(self, paths, curves: Sequence[str], *, shuffle: bool = True,
                 buffer_size: int = 10_000, seed: int = 0, with_index: bool = False,
                 convert_units: bool = True) -> None:
        super().__init__(shuffle=shuffle, buffer_size=buffer_size, seed=seed, with_index=with_index)
        if isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir():
            from .io.wells import LAS_SUFFIXES, folder_files

            files = folder_files(Path(paths), LAS_SUFFIXES, ".las")  # as read_wells lists them
        else:
            files = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
        if not curves:
            raise ConfigError("LasRows needs the curves to stream, e.g. curves=['GR', 'RHOB']")
        self.paths, self.curves = files, [str(c) for c in curves]
        self.convert_units = bool(convert_units)
        self._counts: list[int] | None = None
        self.units: dict[str, str] = {}
        self.unit_conversions: dict[str, dict[str, tuple[str, str]]] = {}

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (len(self.curves),)

    def _frame(self, k: int, units: list | None = None) -> np.ndarray:
        from .io import read_wells
        from .io.units import convert_units

        frame = read_wells([self.paths[k]])
        if units is not None:  # the first pass: learn the file's units
            units.append({c: u for c, u in frame.attrs.get("units", {}).items()
                          if c in self.curves and u})
        plan = self.unit_conversions.get(str(self.paths[k]), {})
        out = np.full((len(frame), len(self.curves)), np.nan, dtype=np.float32)
        for j, c in enumerate(self.curves):
            if c in frame.columns:
                values = frame[c].to_numpy(dtype=np.float64)
                if c in plan:
                    values = convert_units(values, *plan[c])
                out[:, j] = values
        return out

    def _plan_units(self, per_file: list[dict[str, str]]) -> None:
        """The target unit of each curve (that of most files) and each file's conversions."""
        from .io.wells import _unit_plan

        names = [str(p) for p in self.paths]
        conflicts = []
        for c in self.curves:
            given = {f: u[c] for f, u in zip(names, per_file, strict=True) if c in u}
            if not given:
                continue
            target, convert, stuck = _unit_plan(given)
            if not self.convert_units:
                stuck = {f: u for f, u in given.items() if f in convert or f in stuck}  # file order
                convert = {}
            for f, pair in convert.items():
                self.unit_conversions.setdefault(f, {})[c] = pair
            conflicts += [f"{c} in {unit!r} in {Path(f).name} ({target!r} in most files)"
                          for f, unit in stuck.items()]
            if not stuck:  # one unit for every sample of the curve
                self.units[c] = target
        if self.unit_conversions:
            items = [f"{c} {a} -> {b} ({Path(f).name})" for f, plan in self.unit_conversions.items()
                     for c, (a, b) in plan.items()]
            warnings.warn("LasRows: converted to the unit of most files (by the unit labels): "
                          + "; ".join(items[:12]) + (" ..." if len(items) > 12 else ""),
                          UserWarning, stacklevel=3)
        if conflicts:
            advice = ("no conversion is known between them: convert them before training"
                      if self.convert_units else "convert_units=False")
            warnings.warn("LasRows: curve units differ between files and are not converted: "
                          + "; ".join(conflicts[:12]) + f" ({advice})", UserWarning, stacklevel=3)

    def _chunks(self):
        if self._counts is None:  # one pass over the files' row counts and units, remembered
            per_file: list[dict[str, str]] = []
            self._counts = [len(self._frame(k, per_file)) for k in range(len(self.paths))]
            self._plan_units(per_file)
        out, offset = [], 0
        for k, n in enumerate(self._counts):
            out.append((k, offset, offset + n))
            offset += n
        return out

    def _read(self, key, start, stop):
        block = self._frame(key)
        if len(block) != stop - start:
            raise DataError(f"{self.paths[key]}: changed while it was being read "
                            f"({len(block)} rows, {stop - start} before)")
        return block


def as_dataset(X):
    """``X`` as a streaming dataset when it is one or names a SEG-Y file; else None."""
    if isinstance(X, StreamingDataset):
        return X
    if isinstance(X, (str, os.PathLike)):
        kind = sniff(X)
        if kind == "segy":
            return SegyTraces(X)
        raise DataError(f"{X}: fit() streams SEG-Y files from a path; for {kind} data, read it "
                        "with geoae.io (tables, LAS) or pass geoae.streaming.LasRows(folder, curves)")
    return None


def segy_scores(model, in_path, what: str = "error", chunk_traces: int = 8192, *,
                iline: int = 189, xline: int = 193):
    """Per-trace latent codes (``what="latent"``) or reconstruction errors (``"error"``) of a SEG-Y
    file, chunk by chunk (NaN for a dead trace: all zero or all missing): yields ``(chunk, values)``
    with ``chunk`` a :class:`~geoae.io.segy.SegyChunk` (its ``start``/``stop`` and trace headers)
    and ``values`` float64 of shape ``(stop - start, latent_dim)`` or ``(stop - start,)``. Memory is
    bounded by the chunk. The model must have been fitted on traces of this length (dense:
    ``(n_samples,)``; conv1d: ``(1, n_samples)``); the length is checked before any trace is read.
    ``iline``/``xline`` are the trace-header bytes of the chunks' ``inline``/``crossline``
    columns (:func:`geoae.io.iter_segy`)."""
    from .applications.denoising import live_traces
    from .io import iter_segy
    from .preprocessing import quiet_null_markers

    if what not in ("error", "latent"):
        raise ConfigError(f"what={what!r} is not valid; use 'error' or 'latent'")
    in_path = Path(in_path)
    chunks = iter_segy(in_path, chunk_traces, iline=iline, xline=xline)  # the bytes checked now
    data = SegyTraces(in_path, chunk_traces=chunk_traces, shuffle=False)
    shape = tuple(model.input_shape_)
    if int(np.prod(shape)) != data.sample_shape[0]:
        raise DataError(f"{in_path}: traces of {data.sample_shape[0]} samples, but the model was "
                        f"fitted on samples of shape {shape}")

    def run():
        for chunk in chunks:
            X = chunk.traces.reshape(-1, *shape).astype(np.float64)
            with quiet_null_markers():  # -999 and -9999 are amplitudes in a SEG-Y file
                vals = model.transform(X) if what == "latent" else model.reconstruction_error(X)
            vals = np.array(vals, dtype=np.float64)
            vals[~live_traces(chunk.traces)] = np.nan  # a dead trace (all zero) is not scored
            yield chunk, vals

    return len(data), run()


def score_segy(model, in_path, out_path, what: str = "error", chunk_traces: int = 8192) -> Path:
    """Per-trace latent codes (``what="latent"``) or reconstruction errors (``"error"``) of a
    SEG-Y file, computed chunk by chunk and written progressively to a ``.npy`` file.

    The output is a memory-mapped ``.npy`` of shape ``(n_traces, latent_dim)`` or
    ``(n_traces,)``, in file order, written under a temporary name and renamed into place when
    complete. The model must have been fitted on traces of this length (dense:
    ``(n_samples,)``; conv1d: ``(1, n_samples)``). :func:`segy_scores` yields the same values
    chunk by chunk with each chunk's trace headers.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if same_file(in_path, out_path):
        raise DataError(f"{out_path}: refusing to overwrite the input; write to another path")
    n, chunks = segy_scores(model, in_path, what, chunk_traces)
    cols = (model.latent_dim,) if what == "latent" else ()
    with atomic_path(out_path) as tmp:
        with open(tmp, "wb") as fh:  # np.save-compatible header, then the values chunk by chunk
            mm = np.lib.format.open_memmap(fh.name, mode="w+", dtype=np.float64, shape=(n, *cols))
        try:
            for chunk, vals in chunks:
                mm[chunk.start:chunk.stop] = vals
                mm.flush()
        finally:  # unmapped before the file is renamed, or removed on failure (Windows
            # cannot delete a mapped file, and the traceback would keep the map alive)
            handle = getattr(mm, "_mmap", None)
            del mm
            if handle is not None:
                with contextlib.suppress(BufferError):  # a view still alive: left to the GC
                    handle.close()
    return out_path


def _collate(items):
    return (np.array([i for i, _ in items], dtype=np.int64),
            np.stack([np.asarray(s, dtype=np.float64) for _, s in items]))


def index_batches(dataset: StreamingDataset, batch_size: int, num_workers: int = 0):
    """A DataLoader over ``dataset`` yielding ``(indices, samples)`` numpy batches (over a
    shallow copy: ``dataset`` itself keeps yielding what it yielded)."""
    import copy

    from torch.utils.data import DataLoader

    dataset = copy.copy(dataset)
    dataset.with_index = True
    return DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=_collate)


def collect(dataset: StreamingDataset, fraction: float, seed: int, max_values: int = 4_000_000):
    """One pass in file order: uniform reservoir samples of the validation samples (kept for
    early stopping) and of the training samples (for fitting the scaler), each bounded by
    ``max_values`` values. Returns ``(reservoir, validation, n_train, n_val)``."""
    per = int(np.prod(dataset.sample_shape))
    cap = max(256, max_values // max(per, 1))
    rng = np.random.default_rng(seed)
    vrng = np.random.default_rng([seed, 1])
    res: list[np.ndarray] = []
    val: list[np.ndarray] = []
    n_train = n_val = 0
    # every rank reads everything here (deterministically): the same scaler on every rank
    for index, sample in dataset._items(chunk_order=range(len(dataset._chunks())), sharded=False):
        if is_validation(np.array([index]), fraction)[0]:
            n_val += 1
            if len(val) < cap:
                val.append(np.asarray(sample, dtype=np.float64))
            else:  # a uniform sample of the whole file, not its first part
                j = int(vrng.integers(n_val))
                if j < cap:
                    val[j] = np.asarray(sample, dtype=np.float64)
            continue
        n_train += 1
        if len(res) < cap:
            res.append(np.asarray(sample, dtype=np.float64))
        else:
            j = int(rng.integers(n_train))
            if j < cap:
                res[j] = np.asarray(sample, dtype=np.float64)
    if n_train == 0:
        raise DataError("the streamed data hold no training samples")
    shape = dataset.sample_shape

    def stack(xs):
        return np.stack(xs) if xs else np.empty((0, *shape))

    return stack(res), stack(val), n_train, n_val
