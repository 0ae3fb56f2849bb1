"""SEG-Y seismic files through segyio: :func:`read_segy`, :func:`iter_segy`, :func:`write_segy`.

Traces are float32 arrays of shape ``(n_traces, n_samples)`` in file order. Before segyio
opens a file, its binary header is checked against the file size, so that a small or truncated
file whose headers claim a huge survey gives a clear :class:`~geoae.errors.DataError` instead of
a crash or a huge allocation. :func:`write_segy` copies the template file byte for byte and
rewrites only the trace samples, so the textual, binary and every trace header are kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._atomic import atomic_path, same_file
from ..errors import ConfigError, DataError
from ._files import check_file

#: Bytes per sample of each SEG-Y sample-format code that segyio reads.
SAMPLE_FORMATS: dict[int, tuple[int, str]] = {
    1: (4, "4-byte IBM float"),
    2: (4, "4-byte signed integer"),
    3: (2, "2-byte signed integer"),
    5: (4, "4-byte IEEE float"),
    6: (8, "8-byte IEEE float"),
    8: (1, "1-byte signed integer"),
    9: (8, "8-byte signed integer"),
    10: (4, "4-byte unsigned integer"),
    11: (2, "2-byte unsigned integer"),
    12: (8, "8-byte unsigned integer"),
    16: (1, "1-byte unsigned integer"),
}

#: Trace-header fields returned in ``SegyData.headers``: column name -> byte position (1-based).
HEADER_FIELDS: dict[str, int] = {
    "trace_sequence": 1,
    "field_record": 9,
    "trace_number": 13,
    "cdp": 21,
    "offset": 37,
    "scalar_coord": 71,
    "source_x": 73,
    "source_y": 77,
    "receiver_x": 81,
    "receiver_y": 85,
    "n_samples": 115,
    "sample_interval_us": 117,
    "cdp_x": 181,
    "cdp_y": 185,
    "inline": 189,
    "crossline": 193,
}

_TEXT = 3200
_BIN = 400
_TRACE_HEADER = 240

#: Where SEG-Y rev 1 puts the inline and crossline numbers in a trace header (1-based bytes).
#: Many files keep them elsewhere (9 field record, 17 energy source point, 21 CDP, 5, 13...):
#: :func:`read_segy` and :func:`iter_segy` take ``iline=`` and ``xline=`` for those.
INLINE_BYTE = 189
CROSSLINE_BYTE = 193


def header_byte(value, name: str = "iline") -> int:
    """``value`` checked as the first byte (1-based) of a trace-header field that segyio reads;
    a :class:`~geoae.errors.ConfigError` naming ``name`` otherwise."""
    import segyio

    fields = sorted(int(x) for x in segyio.TraceField.enums())
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in fields
    if not ok:
        said = f"{name} {value!r}" if name.startswith("--") else f"{name}={value!r}"
        raise ConfigError(
            f"{said} is not the first byte of a trace-header field: give the 1-based "
            "byte where a field starts, e.g. 189 / 193 (inline / crossline in SEG-Y rev 1), 9 "
            "(field record), 17 (energy source point), 21 (CDP), 13 (trace number in the "
            "ensemble); the file's textual header or its documentation says which")
    return int(value)


@dataclass
class SegyData:
    """A SEG-Y file in memory.

    Attributes
    ----------
    traces : ndarray of float32, shape (n_traces, n_samples)
        The samples, in file (trace-index) order.
    dt : float
        Sample interval in **milliseconds** (time data; metres/feet for depth data); 4 ms,
        with a warning, when neither header gives one.
    samples : ndarray of float64, shape (n_samples,)
        Time (ms) or depth of each sample, from the delay recording time and ``dt``.
    headers : DataFrame, shape (n_traces, len(HEADER_FIELDS))
        Useful trace-header fields (see :data:`HEADER_FIELDS`): inline, crossline, offset, cdp,
        cdp_x/cdp_y, source/receiver x/y (raw integers; apply ``scalar_coord``), one row per trace.
    text_header : str
        The 3200-byte textual header, decoded (EBCDIC or ASCII), as lines of at most 80
        characters with trailing blanks and trailing empty lines removed.
    binary_header : dict
        The 400-byte binary header as ``{field name: int}`` (segyio's names).
    inlines, crosslines, offsets : ndarray of int or None
        Survey line numbers when structured, else None (offsets is ``[0]`` for unstructured).
    is_structured : bool
        True when segyio found an inline/crossline geometry (in bytes ``iline_byte`` /
        ``xline_byte``, 189 / 193 unless told otherwise).
    shape : tuple of int or None
        ``(n_inlines, n_crosslines)`` of a structured survey, else None.
    sorting : str or None
        ``"inline"`` (crosslines vary fastest) or ``"crossline"`` for structured files.
    sample_format : int
        The binary header's sample-format code (1 IBM float, 5 IEEE float, ...).
    path : Path
        The file read.
    iline_byte, xline_byte : int
        The trace-header bytes the ``inline`` and ``crossline`` columns of ``headers`` (and
        the geometry) were read from.
    """

    traces: np.ndarray
    dt: float
    samples: np.ndarray
    headers: pd.DataFrame
    text_header: str
    binary_header: dict[str, int]
    inlines: np.ndarray | None
    crosslines: np.ndarray | None
    offsets: np.ndarray | None
    is_structured: bool
    shape: tuple[int, int] | None
    sorting: str | None
    sample_format: int
    path: Path = field(default_factory=Path)
    iline_byte: int = INLINE_BYTE
    xline_byte: int = CROSSLINE_BYTE

    @property
    def n_traces(self) -> int:
        """Number of traces."""
        return int(self.traces.shape[0])

    @property
    def n_samples(self) -> int:
        """Number of samples per trace."""
        return int(self.traces.shape[1])

    def cube(self) -> np.ndarray:
        """Traces as a cube, shape ``(n_inlines, n_crosslines, n_samples)`` (post-stack only).

        Raises
        ------
        DataError
            The file is unstructured or pre-stack (several offsets).
        """
        if not self.is_structured or self.shape is None:
            raise DataError(f"{self.path}: unstructured SEG-Y has no inline/crossline cube; use .traces")
        if self.offsets is not None and len(self.offsets) > 1:
            raise DataError(f"{self.path}: pre-stack file ({len(self.offsets)} offsets) is not a cube")
        n_il, n_xl = self.shape
        if self.sorting == "crossline":
            return self.traces.reshape(n_xl, n_il, -1).transpose(1, 0, 2)
        return self.traces.reshape(n_il, n_xl, -1)


@dataclass
class SegyChunk:
    """One chunk of :func:`iter_segy`.

    Attributes
    ----------
    traces : ndarray of float32, shape (stop - start, n_samples)
    start, stop : int
        Trace index range ``[start, stop)`` of this chunk in the file.
    headers : DataFrame, shape (stop - start, len(HEADER_FIELDS))
        The trace-header fields of these traces (index = trace number); ``inline`` and
        ``crossline`` from the bytes :func:`iter_segy` was given.
    """

    traces: np.ndarray
    start: int
    stop: int
    headers: pd.DataFrame


@dataclass
class _Layout:
    endian: str
    sample_format: int
    n_samples: int
    n_traces: int
    ext_headers: int
    size: int


def unsupported_format(path, binary: bytes) -> str:
    """The message for a file whose 400-byte binary header (``binary``) holds a sample format
    code the reader does not support."""
    raw_fmt = struct.unpack(">h", binary[24:26])[0]
    return (f"{path}: unsupported SEG-Y sample format code {raw_fmt} in the binary header (bytes "
            f"3225-3226); supported: {sorted(SAMPLE_FORMATS)} (1 IBM float, 5 IEEE float, ...). "
            "Is it a SEG-Y file?")


def _layout(path: Path) -> _Layout:
    """Check the headers of ``path`` against its size before segyio reads it; a file that is
    not SEG-Y but Seismic Unix gets a :class:`DataError` that says so (:func:`_seismic_unix`)."""
    size = check_file(path, "a SEG-Y file").st_size
    try:
        return _segy_layout(path, size)
    except DataError as exc:
        su = _seismic_unix(path, size)
        if su is None:
            raise
        raise DataError(su) from exc


def _seismic_unix(path: Path, size: int) -> str | None:
    """The error message for a Seismic Unix (SU) file, or None when ``path`` does not look like one.

    An SU file is SEG-Y traces without the 3600-byte textual and binary headers: it starts with a
    240-byte trace header (binary, so not a line of text) whose sample count (bytes 115-116)
    splits the file into whole traces of 4-byte floats, the second trace header giving the same
    count. Both byte orders are tried (SU writes the machine's own)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_TRACE_HEADER)
            if len(head) < _TRACE_HEADER or all(b >= 0x20 or b in b"\r\n" for b in head[:80]):
                return None  # too short, or a textual header (ASCII or EBCDIC): not SU
            for end, order in ((">", "big"), ("<", "little")):
                ns, dt = struct.unpack(f"{end}HH", head[114:118])
                trace_bytes = _TRACE_HEADER + 4 * ns
                if ns == 0 or size % trace_bytes:
                    continue
                n_traces = size // trace_bytes
                if n_traces > 1:
                    fh.seek(trace_bytes + 114)
                    if struct.unpack(f"{end}H", fh.read(2))[0] != ns:
                        continue
                return (f"{path}: this looks like a Seismic Unix (SU) file, not SEG-Y: there are "
                        "no 3600-byte textual and binary headers, and the first 240-byte trace "
                        f"header gives {ns} samples per trace (dt {dt} us), which splits the {size} "
                        f"bytes into {n_traces} whole trace(s) of {order}-endian 4-byte floats. geoae "
                        "reads SEG-Y: convert the file first, with segyio (segyio.su.open(path, "
                        f"ignore_geometry=True, endian={order!r}) copied into segyio.create; see "
                        "'Seismic Unix files' in the data guide) or with Seismic Unix "
                        "(segyhdrs < file.su; segywrite tape=file.sgy < file.su)")
    except OSError:
        return None
    return None


def _segy_layout(path: Path, size: int) -> _Layout:
    """:func:`_layout` for a file of ``size`` bytes read as SEG-Y."""
    if size < _TEXT + _BIN:
        raise DataError(
            f"{path}: {size} bytes is shorter than the 3600-byte SEG-Y textual + binary headers; "
            "not a SEG-Y file or truncated"
        )
    try:
        with open(path, "rb") as fh:
            fh.seek(_TEXT)
            binary = fh.read(_BIN)
            first_trace_header = fh.read(_TRACE_HEADER)
    except OSError as exc:
        reason = exc.strerror or exc
        raise DataError(f"{path}: cannot read the file ({reason}); check its permissions") from exc
    endian = None
    fmt = 0
    for end, code in ((">", "big"), ("<", "little")):
        fmt = struct.unpack(f"{end}h", binary[24:26])[0]
        if fmt in SAMPLE_FORMATS:
            endian = code
            prefix = end
            break
    if endian is None:
        raise DataError(unsupported_format(path, binary))
    ns = struct.unpack(f"{prefix}H", binary[20:22])[0]
    ext = max(struct.unpack(f"{prefix}h", binary[304:306])[0], 0)
    start = _TEXT + _BIN + 3200 * ext
    trace_ns = (struct.unpack(f"{prefix}H", first_trace_header[114:116])[0]
                if len(first_trace_header) == _TRACE_HEADER else 0)
    if size <= start:
        raise DataError(f"{path}: SEG-Y file has headers but no traces ({size} bytes); nothing to read")
    if ns == 0:
        # segyio, which reads and writes the traces, trusts the binary header: refuse rather than
        # read traces of 0 samples
        hint = (f"; the first trace header gives {trace_ns}: write {trace_ns} into the binary "
                "header (a 2-byte integer at bytes 3221-3222, in the file's byte order)"
                if trace_ns else "")
        raise DataError(f"{path}: the binary header gives 0 samples per trace (bytes 3221-3222)"
                        f"{hint}; cannot read")
    bps = SAMPLE_FORMATS[fmt][0]
    trace_bytes = _TRACE_HEADER + ns * bps
    body = size - start
    if (trace_ns and trace_ns != ns and body % (_TRACE_HEADER + trace_ns * bps) == 0
            and body % trace_bytes == 0):
        # both sample counts fit the file's size: which one is right cannot be told
        warnings.warn(f"{path}: the binary header gives {ns} samples per trace but the first trace "
                      f"header gives {trace_ns}; the binary header's {ns} is used (as segyio does)",
                      UserWarning, stacklevel=3)
    n_traces, rest = divmod(body, trace_bytes)
    if n_traces == 0:
        raise DataError(
            f"{path}: the headers claim {ns} samples per trace ({trace_bytes} bytes per trace) but only "
            f"{body} bytes of trace data follow the headers; the file is truncated or its headers are wrong"
        )
    if rest:
        raise DataError(
            f"{path}: trace data ({body} bytes) is not a whole number of {trace_bytes}-byte traces "
            f"({ns} samples of {bps} bytes + 240): trace {n_traces} (0-based) is incomplete; "
            "the file is truncated or has traces of varying length"
        )
    if n_traces * ns * min(bps, 4) > size * 4:  # pragma: no cover - implied by the checks above
        raise DataError(f"{path}: headers claim more samples than the file can hold")
    return _Layout(endian, fmt, ns, n_traces, ext, size)


def _open(path: Path, layout: _Layout, mode: str = "r", structured: bool = True,
          iline: int = INLINE_BYTE, xline: int = CROSSLINE_BYTE) -> Any:
    import segyio

    if structured:
        try:
            return segyio.open(str(path), mode, iline=iline, xline=xline, endian=layout.endian)
        except Exception:  # no inline/crossline sorting: fall back to unstructured
            pass
    return segyio.open(str(path), mode, endian=layout.endian, ignore_geometry=True)


def _headers(f: Any, start: int, stop: int, iline: int = INLINE_BYTE,
             xline: int = CROSSLINE_BYTE) -> pd.DataFrame:
    where = {**HEADER_FIELDS, "inline": iline, "crossline": xline}
    data = {name: np.asarray(f.attributes(byte)[start:stop]) for name, byte in where.items()}
    return pd.DataFrame(data, index=pd.RangeIndex(start, stop, name="trace"))


def read_segy(path: str | os.PathLike, *, iline: int = INLINE_BYTE,
              xline: int = CROSSLINE_BYTE) -> SegyData:
    """Read a whole SEG-Y file (structured 2-D/3-D or unstructured).

    Parameters
    ----------
    path : str or path-like
        SEG-Y rev 0/1/2 file, big- or little-endian, any sample format segyio reads. Files
        without an inline/crossline geometry (shot records, single lines) are opened with
        ``ignore_geometry=True``.
    iline, xline : int, default=189, 193
        Trace-header bytes (1-based) of the inline and crossline numbers: the ``inline`` and
        ``crossline`` columns of ``headers`` and the survey's geometry come from them. SEG-Y
        rev 1 puts them at 189 and 193; older files often use 9, 17, 21 or others.

    Returns
    -------
    SegyData
        ``traces`` float32 ``(n_traces, n_samples)``, ``dt`` in milliseconds, ``samples``,
        trace ``headers``, textual and binary headers, geometry.

    Raises
    ------
    DataError
        Missing file, not SEG-Y (a Seismic Unix file is named as such, with how to convert it),
        unsupported sample format, truncated file, no traces, or headers claiming more data than
        the file holds; the message names the file.
    """
    import segyio

    path = Path(path)
    iline, xline = header_byte(iline, "iline"), header_byte(xline, "xline")
    layout = _layout(path)
    try:
        with _open(path, layout, iline=iline, xline=xline) as f:
            n, ns = f.tracecount, len(f.samples)
            if n != layout.n_traces or ns != layout.n_samples:
                raise DataError(
                    f"{path}: segyio sees {n} traces x {ns} samples but the file size implies "
                    f"{layout.n_traces} x {layout.n_samples}; the headers are inconsistent"
                )
            traces = np.asarray(f.trace.raw[:], dtype=np.float32).reshape(n, ns)
            structured = not f.unstructured
            sorting = None
            if structured:
                sorting = "inline" if f.sorting == segyio.TraceSortingFormat.INLINE_SORTING else "crossline"
            text = segyio.tools.wrap(bytes(f.text[0]).decode("latin-1"))
            dt_us = float(segyio.tools.dt(f, fallback_dt=0.0))
            if dt_us <= 0:
                warnings.warn(f"{path}: no sample interval in the binary or the trace headers "
                              "(bytes 3217-3218 and 117-118 are 0); 4 ms is assumed: check the "
                              "time axis", UserWarning, stacklevel=2)
                dt_us = 4000.0
            return SegyData(
                traces=traces,
                dt=dt_us / 1000.0,
                samples=np.asarray(f.samples, dtype=np.float64),
                headers=_headers(f, 0, n, iline, xline),
                text_header=text,
                binary_header={str(k): int(v) for k, v in f.bin.items()},
                inlines=np.asarray(f.ilines) if structured else None,
                crosslines=np.asarray(f.xlines) if structured else None,
                offsets=np.asarray(f.offsets) if structured else None,
                is_structured=structured,
                shape=(len(f.ilines), len(f.xlines)) if structured else None,
                sorting=sorting,
                sample_format=layout.sample_format,
                path=path,
                iline_byte=iline,
                xline_byte=xline,
            )
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: segyio cannot read this SEG-Y file ({type(exc).__name__}: {exc})") from exc


def iter_segy(path: str | os.PathLike, chunk_traces: int = 1024, *, iline: int = INLINE_BYTE,
              xline: int = CROSSLINE_BYTE) -> Iterator[SegyChunk]:
    """Yield a SEG-Y file in chunks of traces, never loading the whole file.

    Parameters
    ----------
    path : str or path-like
        SEG-Y file (checked as in :func:`read_segy`).
    chunk_traces : int
        Traces per chunk (the last chunk may be shorter). Memory held is about
        ``chunk_traces * n_samples * 4`` bytes.
    iline, xline : int, default=189, 193
        Trace-header bytes of the inline and crossline numbers (the ``inline`` and
        ``crossline`` columns of each chunk's ``headers``), as in :func:`read_segy`.

    Yields
    ------
    SegyChunk
        ``traces`` float32 ``(stop - start, n_samples)``, ``start``/``stop`` trace indices,
        ``headers`` of those traces.

    Raises
    ------
    DataError
        As :func:`read_segy`, or ``chunk_traces < 1``.
    """
    path = Path(path)
    iline, xline = header_byte(iline, "iline"), header_byte(xline, "xline")
    try:
        n_chunk = int(chunk_traces)
    except (TypeError, ValueError, OverflowError):
        n_chunk = 0
    if isinstance(chunk_traces, bool) or n_chunk < 1:
        raise DataError(f"{path}: chunk_traces must be >= 1 (an integer), got {chunk_traces!r}")
    chunk_traces = n_chunk
    layout = _layout(path)  # checked now, not at the first next()
    return _iter_chunks(path, layout, chunk_traces, iline, xline)


def _iter_chunks(path: Path, layout: _Layout, chunk_traces: int, iline: int,
                 xline: int) -> Iterator[SegyChunk]:
    try:
        f = _open(path, layout, structured=False)
    except Exception as exc:
        raise DataError(f"{path}: segyio cannot open this SEG-Y file ({type(exc).__name__}: {exc})") from exc
    with f:
        n = f.tracecount
        for a in range(0, n, chunk_traces):
            b = min(a + chunk_traces, n)
            try:
                block = np.asarray(f.trace.raw[a:b], dtype=np.float32).reshape(b - a, -1)
                headers = _headers(f, a, b, iline, xline)
            except Exception as exc:
                raise DataError(
                    f"{path}: cannot read traces {a}-{b - 1} ({type(exc).__name__}: {exc}); "
                    "the file may be truncated"
                ) from exc
            yield SegyChunk(traces=block, start=a, stop=b, headers=headers)


#: Value ranges of the integer sample formats (code -> numpy dtype).
_INT_FORMATS = {2: np.int32, 3: np.int16, 8: np.int8, 9: np.int64, 10: np.uint32, 11: np.uint16,
                12: np.uint64, 16: np.uint8}


def _work_dtype(fmt: int):
    """The dtype new samples are taken in for a file of sample format ``fmt``: float32 for the
    4-byte float formats (IBM 1, IEEE 5), float64 otherwise (an 8-byte float, or integers past
    2**24 that float32 would round)."""
    return np.float32 if fmt in (1, 5) else np.float64


def _to_sample_format(arr: np.ndarray, fmt: int, path: Path, first: int = 0, clip: bool = False):
    """Samples ready for segyio in the file's format: integer formats get values rounded to
    the nearest integer, and a value outside the format's range is a :class:`DataError`
    (segyio would wrap it around: 40000 written as int16 reads back as -25536). With ``clip``
    such values are clipped to the range instead, and ``(samples, number clipped)`` returned."""
    kind = _INT_FORMATS.get(fmt)
    if kind is None:  # floats; 8-byte ones as float64 (segyio warns of a narrowing otherwise)
        arr = np.asarray(arr, dtype=np.float64) if fmt == 6 else arr
        return (arr, 0) if clip else arr
    info = np.iinfo(kind)
    out = np.rint(arr.astype(np.float64))
    bad = (out < info.min) | (out > info.max)
    if clip:
        return np.clip(out, info.min, info.max).astype(kind), int(bad.sum())
    if bad.any():
        row = first + int(np.flatnonzero(bad.any(axis=1))[0])
        raise DataError(
            f"{path}: samples from {arr.min():.6g} to {arr.max():.6g} do not fit the file's "
            f"{SAMPLE_FORMATS[fmt][1]} samples (format {fmt}: {info.min} to {info.max}; first at "
            f"trace {row}); rescale them, or write into a template with IEEE float samples "
            "(format 5)")
    return out.astype(kind)  # segyio then writes them without a narrowing conversion


def write_segy(traces: np.ndarray, path: str | os.PathLike, template: str | os.PathLike, *,
               iline: int = INLINE_BYTE, xline: int = CROSSLINE_BYTE) -> Path:
    """Write new samples into a copy of a template SEG-Y file, keeping every header byte.

    The template file is copied to a temporary file beside ``path``, the samples are written
    through segyio (in the template's sample format, e.g. IBM float), and the file is renamed
    into place: the textual header, binary header and each 240-byte trace header stay
    byte-identical to the template.

    Parameters
    ----------
    traces : array-like, shape (n_traces, n_samples) or (n_inlines, n_crosslines, n_samples)
        New samples, same amplitude units as the template; a cube is accepted for a structured
        post-stack template (in the order of :meth:`SegyData.cube`). Must be finite.
    path : str or path-like
        Output file (must not be the template).
    template : str or path-like
        The SEG-Y file whose headers are copied.
    iline, xline : int, default=189, 193
        Trace-header bytes of the template's inline and crossline numbers, for a cube (as in
        :func:`read_segy`).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DataError
        ``path`` is the template, the shape does not match the template's, non-finite samples,
        or an unreadable template.
    """
    path = Path(path)
    template = Path(template)
    iline, xline = header_byte(iline, "iline"), header_byte(xline, "xline")
    if same_file(path, template):
        raise DataError(f"{path}: refusing to overwrite the template/input SEG-Y file; write to another path")
    layout = _layout(template)
    arr = np.asarray(traces, dtype=_work_dtype(layout.sample_format))
    expected = (layout.n_traces, layout.n_samples)
    if arr.ndim == 3:
        info = read_segy(template, iline=iline, xline=xline) if arr.shape[-1] == layout.n_samples else None
        if info is not None and info.offsets is not None and len(info.offsets) > 1:
            raise DataError(f"{path}: the template {template.name} is pre-stack "
                            f"({len(info.offsets)} offsets), not a cube; pass the traces as an "
                            f"array of shape {expected}, in the template's trace order")
        if info is None or info.shape is None or arr.shape != (*info.shape, layout.n_samples):
            want = "unstructured" if info is None or info.shape is None else (*info.shape, layout.n_samples)
            raise DataError(
                f"{path}: cube of shape {arr.shape} does not match the template {template.name} ({want})"
            )
        if info.sorting == "crossline":
            arr = arr.transpose(1, 0, 2)
        arr = arr.reshape(expected)
    if arr.shape != expected:
        raise DataError(
            f"{path}: traces have shape {arr.shape} but the template {template} holds "
            f"{expected[0]} traces x {expected[1]} samples; pass an array of shape {expected}"
        )
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise DataError(f"{path}: traces contain NaN/inf (first at trace {bad}); fill them before writing")
    arr = _to_sample_format(arr, layout.sample_format, path)
    try:
        with atomic_path(path) as tmp:
            shutil.copyfile(template, tmp)
            with _open(tmp, layout, mode="r+", structured=False) as f:
                for i in range(expected[0]):
                    f.trace[i] = arr[i]
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot write the SEG-Y file ({type(exc).__name__}: {exc})") from exc
    return path


class SegyUpdater:
    """Writes samples, chunk by chunk, into the copy of a template made by :func:`update_segy`.

    Attributes
    ----------
    n_traces, n_samples : int
        Size of the template (and of the output).
    """

    def __init__(self, handle: Any, path: Path, n_traces: int, n_samples: int,
                 sample_format: int = 5) -> None:
        self._f = handle
        self._path = path
        self._format = sample_format
        self.n_traces = n_traces
        self.n_samples = n_samples

    def write(self, start: int, traces: np.ndarray) -> None:
        """Write ``traces`` (float32-castable, shape (k, n_samples)) as traces ``start .. start+k-1``.

        Raises
        ------
        DataError
            Wrong number of samples, a range beyond the file, or non-finite values.
        """
        arr = np.asarray(traces, dtype=_work_dtype(self._format))
        if arr.ndim != 2 or arr.shape[1] != self.n_samples:
            raise DataError(f"{self._path}: chunk of shape {arr.shape}; expected (k, {self.n_samples})")
        if start < 0 or start + len(arr) > self.n_traces:
            raise DataError(
                f"{self._path}: traces {start}-{start + len(arr) - 1} are outside 0-{self.n_traces - 1}"
            )
        if not np.isfinite(arr).all():
            bad = start + int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
            raise DataError(f"{self._path}: traces contain NaN/inf (first at trace {bad}); fill them first")
        arr = _to_sample_format(arr, self._format, self._path, start)
        for i in range(len(arr)):
            self._f.trace[start + i] = arr[i]


@contextlib.contextmanager
def update_segy(path: str | os.PathLike, template: str | os.PathLike) -> Iterator[SegyUpdater]:
    """Stream new samples into a copy of ``template`` (headers byte-identical), written atomically.

    Use it with :func:`iter_segy` to process a file larger than memory::

        with update_segy("out.sgy", "in.sgy") as out:
            for chunk in iter_segy("in.sgy", chunk_traces=4096):
                out.write(chunk.start, process(chunk.traces))

    Traces not written keep the template's samples. On an error the output is not created.

    Parameters
    ----------
    path : str or path-like
        Output file (must not be the template).
    template : str or path-like
        SEG-Y file whose bytes are copied.

    Yields
    ------
    SegyUpdater
        ``write(start, traces)`` with traces of shape (k, n_samples).

    Raises
    ------
    DataError
        ``path`` is the template, or an unreadable template.
    """
    path = Path(path)
    template = Path(template)
    if same_file(path, template):
        raise DataError(f"{path}: refusing to overwrite the template/input SEG-Y file; write to another path")
    layout = _layout(template)
    with atomic_path(path) as tmp:
        shutil.copyfile(template, tmp)
        try:
            handle = _open(tmp, layout, mode="r+", structured=False)
        except Exception as exc:
            raise DataError(
                f"{template}: segyio cannot open this SEG-Y file ({type(exc).__name__}: {exc})"
            ) from exc
        with handle as f:
            yield SegyUpdater(f, path, layout.n_traces, layout.n_samples, layout.sample_format)


__all__ = [
    "SegyData",
    "SegyChunk",
    "SegyUpdater",
    "update_segy",
    "read_segy",
    "iter_segy",
    "write_segy",
    "HEADER_FIELDS",
    "SAMPLE_FORMATS",
]
