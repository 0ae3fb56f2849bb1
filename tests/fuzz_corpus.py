"""Helpers of tests/test_fuzz.py: hypothesis settings, a per-example deadline, seed files and
mutation strategies for LAS/CSV text, SEG-Y bytes and model folders.

Example counts: ``GEOAE_FUZZ_EXAMPLES`` (default 40 per reader, derandomised so CI is
deterministic). Setting the variable also switches hypothesis to random generation, for long
runs (``GEOAE_FUZZ_EXAMPLES=2000 pytest -q -p no:randomly tests/test_fuzz.py``).
``GEOAE_FUZZ_TIMEOUT`` is the wall-clock limit of one example in seconds (default 20).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DEFAULT_EXAMPLES = 40
EXAMPLES = int(os.environ.get("GEOAE_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
LONG_RUN = "GEOAE_FUZZ_EXAMPLES" in os.environ
TIMEOUT_S = float(os.environ.get("GEOAE_FUZZ_TIMEOUT", 20))

#: The settings of every fuzz test: deterministic by default, random for long runs. The deadline
#: of hypothesis is off (timing on shared CI cores is noisy); :func:`deadline` bounds each example.
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not LONG_RUN,
    database=None,
    deadline=None,
    print_blob=LONG_RUN,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)

#: Inputs survived per test, for the report (printed by the session fixture in test_fuzz.py).
SURVIVED: dict[str, int] = {}


class FuzzTimeout(AssertionError):
    """An example ran past :data:`TIMEOUT_S` (a hang)."""


@contextlib.contextmanager
def deadline(seconds: float = TIMEOUT_S, what: str = "") -> Iterator[None]:
    """Fail with :class:`FuzzTimeout` when the block runs longer than ``seconds``.

    In the main thread a SIGALRM timer interrupts the block (a real hang is stopped); elsewhere
    (no signals) the elapsed time is checked afterwards.
    """
    start = time.monotonic()
    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")

    def _raise(signum, frame):
        raise FuzzTimeout(f"{what}: still running after {seconds} s (a hang?)")

    if main:
        old = signal.signal(signal.SIGALRM, _raise)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    elapsed = time.monotonic() - start
    if elapsed > seconds:
        raise FuzzTimeout(f"{what}: took {elapsed:.1f} s (limit {seconds} s)")


# ------------------------------------------------------------------------------------ values
HUGE_NUMBERS = [
    "1e308",
    "-1e308",
    "1e999",
    "-1e400",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "99999999999999999999999999999",
    "-999.25",
    "-999",
    "0",
    "-0",
    "",
    "1" * 5000,
    "0x1F",
    "1,5",
    "1.2.3",
    "--1",
    "1e-400",
    "9" * 400 + ".5",
    "  ",
    '"quoted value"',
    "1/0",
]
JUNK_TEXT = [
    "\xff\xfe",
    "\x00",
    "\r",
    "\r\n",
    "\u2028",
    "\ufeff",
    "\t",
    "é",
    "\udcff",
    "~",
    "~A",
    "#",
    ":",
    ".",
    "\x1b[31m",
    "😀",
    ",",
    ";",
    "\\",
    '"',
]
TRICKY_LAS_LINES = [
    "~A",
    "~ASCII",
    "~",
    "~C",
    "~Curve",
    "~W",
    "~V",
    "~P",
    "~O",
    "~Log_Data | Log_Definition",
    "~Log_Definition",
    "~Bogus_Section",
    " WRAP. YES : wrapped",
    " WRAP. NO :",
    " VERS. 3.0 :",
    " VERS. 1.2 :",
    " VERS. 9.9 :",
    " DLM . COMMA :",
    " DLM . TAB :",
    " DLM . PIPE :",
    " STEP.M 0 :",
    " STEP.M -1e308 :",
    " STRT.M 1e308 :",
    " STOP.M -1e308 :",
    " NULL. abc :",
    " NULL. :",
    " NULL. nan :",
    " NULL. 1e999 :",
    " DEPT.M : depth",
    " GR.GAPI : gamma",
    " GR.GAPI : gamma {F}",
    " X .M 1 : {S}",
    " .M : ",
    "A.B.C.D : : :",
    "1 2 3 4 5 6 7 8 9 10",
    "1,2,3",
    '"a b" 1 2',
    "-999.25 -999.25 -999.25",
    "1e308 1e308",
    "nan nan",
    "x y z",
    " WELL. " + "W" * 5000 + " : name",
    " UWI. 00-000 : uwi",
]
TRICKY_CSV_LINES = [
    "DEPTH,GR,RHOB",
    "WELL,DEPTH,GR",
    "DEPT;GR;RHOB",
    "DEPTH\tGR",
    "a,a,a",
    " DEPTH , DEPTH ",
    "DEPTH,GR,GR",
    "1,2,3",
    "1;2;3",
    "1\t2",
    "x,y,z",
    ",,,",
    '"a,b",1',
    "1e308,1e999,nan",
    "WELL,WELL,DEPTH",
    "DEPTH,DEPTH_CURVE,MD",
    "-999.25,-999.25",
    '"',
    "'",
    "#comment",
]
INTERESTING_INTS = [
    0,
    1,
    2,
    -1,
    3,
    5,
    8,
    16,
    127,
    128,
    255,
    256,
    32767,
    -32768,
    65535,
    65536,
    2**31 - 1,
    -(2**31),
    2**32 - 1,
    10_000_000,
]


# ------------------------------------------------------------------------------- text files
def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


@st.composite
def text_mutation(draw, tricky: list[str]) -> tuple:
    """One edit of a text file, as a tuple applied by :func:`apply_text_mutation`."""
    op = draw(
        st.sampled_from(
            [
                "truncate",
                "flip",
                "delete_line",
                "duplicate_line",
                "swap_lines",
                "swap_sections",
                "number",
                "null",
                "junk",
                "insert_line",
                "replace_line",
                "wrap",
                "reverse_data",
                "duplicate_section",
                "random_line",
            ]
        )
    )
    a = draw(st.integers(0, 10**6))
    b = draw(st.integers(0, 10**6))
    if op == "number":
        return (op, a, draw(st.sampled_from(HUGE_NUMBERS)))
    if op == "null":
        return (op, a, draw(st.sampled_from(HUGE_NUMBERS + ["-999.25", "-9999", "0", "1"])))
    if op == "junk":
        return (op, a, draw(st.sampled_from(JUNK_TEXT)))
    if op in ("insert_line", "replace_line"):
        return (op, a, draw(st.sampled_from(tricky)))
    if op == "random_line":
        return (op, a, draw(st.text(max_size=60)))
    if op == "flip":
        return (op, a, draw(st.integers(0, 255)))
    return (op, a, b)


_NUMBER = None


def apply_text_mutation(raw: bytes, mutation: tuple) -> bytes:
    """Apply one :func:`text_mutation` to the bytes of a text file."""
    import re

    global _NUMBER
    if _NUMBER is None:
        _NUMBER = re.compile(rb"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
    op, a, b = mutation
    if op == "truncate":
        return raw[: a % (len(raw) + 1)]
    if op == "flip":
        if not raw:
            return bytes([b])
        i = a % len(raw)
        return raw[:i] + bytes([b]) + raw[i + 1 :]
    if op == "junk":
        i = a % (len(raw) + 1)
        piece = b.encode("utf-8", "surrogatepass") if b != "\xff\xfe" else b"\xff\xfe"
        return raw[:i] + piece + raw[i:]
    if op == "number":
        matches = list(_NUMBER.finditer(raw))
        if not matches:
            return raw + b.encode()
        m = matches[a % len(matches)]
        return raw[: m.start()] + b.encode() + raw[m.end() :]
    if op == "null":
        return re.sub(rb"(?im)^(\s*NULL\s*\.[^ \t]*)\s+[^:\r\n]*", rb"\1 " + b.encode() + b" ", raw, count=1)
    if op == "wrap":
        if b % 2:
            return re.sub(rb"(?im)^(\s*WRAP\s*\.)\s*NO", rb"\1 YES", raw, count=1)
        return re.sub(rb"(?im)^(\s*WRAP\s*\.)\s*YES", rb"\1 NO", raw, count=1)
    lines = raw.splitlines(keepends=True) or [b""]
    i, j = a % len(lines), b % len(lines) if isinstance(b, int) else 0
    if op == "delete_line":
        del lines[i]
    elif op == "duplicate_line":
        lines.insert(i, lines[i])
    elif op == "swap_lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif op in ("insert_line", "random_line"):
        lines.insert(i, b.encode("utf-8", "surrogatepass") + b"\n")
    elif op == "replace_line":
        lines[i] = b.encode("utf-8", "surrogatepass") + b"\n"
    elif op in ("swap_sections", "duplicate_section"):
        starts = [k for k, ln in enumerate(lines) if ln.lstrip().startswith(b"~")]
        if len(starts) >= 2:
            bounds = [*starts, len(lines)]
            sections = [lines[bounds[k] : bounds[k + 1]] for k in range(len(starts))]
            head = lines[: starts[0]]
            x, y = a % len(sections), b % len(sections)
            if op == "swap_sections":
                sections[x], sections[y] = sections[y], sections[x]
            else:
                sections.insert(y, list(sections[x]))
            lines = head + [ln for sec in sections for ln in sec]
    elif op == "reverse_data":
        starts = [k for k, ln in enumerate(lines) if ln.lstrip()[:2].upper() == b"~A"]
        if starts:
            k = starts[-1] + 1
            lines = lines[:k] + lines[k:][::-1]
    return b"".join(lines)


def mutate_text(raw: bytes, mutations: list[tuple]) -> bytes:
    for m in mutations:
        raw = apply_text_mutation(raw, m)
    return raw


@st.composite
def las_text(draw) -> str:
    """A LAS-like file built from sections, tricky lines and random values."""
    n_curves = draw(st.integers(0, 6))
    wrap = draw(st.sampled_from(["NO", "YES", "", "maybe"]))
    vers = draw(st.sampled_from(["1.2", "2.0", "3.0", "", "x"]))
    null = draw(st.sampled_from(["-999.25", "-9999", "", "abc", "1e999", "nan"]))
    mnems = draw(
        st.lists(
            st.sampled_from(
                ["DEPT", "DEPTH", "MD", "GR", "RHOB", "NPHI", "DT", "RT", "ILD", "GR", "PE", "X"]
            ),
            min_size=n_curves,
            max_size=n_curves,
        )
    )
    lines = ["~VERSION INFORMATION", f" VERS. {vers} : version", f" WRAP. {wrap} : wrap"]
    lines += ["~WELL INFORMATION", " STRT.M 0 : start", " STOP.M 10 : stop", " STEP.M 1 : step"]
    lines += [f" NULL. {null} : null", f" WELL. {draw(st.text(max_size=12))} : name"]
    lines += ["~CURVE INFORMATION"] + [
        f" {m}.{draw(st.sampled_from(['M', 'GAPI', '', 'G/C3']))} : c" for m in mnems
    ]
    lines += draw(st.lists(st.sampled_from(TRICKY_LAS_LINES), max_size=3))
    lines += ["~A"]
    n_rows = draw(st.integers(0, 8))
    values = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(HUGE_NUMBERS),
    )
    for _ in range(n_rows):
        k = draw(st.integers(0, n_curves + 2))
        lines.append(" ".join(draw(st.lists(values, min_size=k, max_size=k))))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


@st.composite
def csv_text(draw) -> str:
    header = draw(
        st.lists(
            st.sampled_from(["DEPTH", "DEPT", "MD", "WELL", "GR", "RHOB", "DT", "X", ""]),
            min_size=0,
            max_size=5,
        )
    )
    sep = draw(st.sampled_from([",", ";", "\t", " ", "|"]))
    lines = [sep.join(header)] if header else []
    cell = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(HUGE_NUMBERS + ["W1", "W2", '"x,y"']),
    )
    for _ in range(draw(st.integers(0, 8))):
        k = draw(st.integers(0, len(header) + 2))
        lines.append(sep.join(draw(st.lists(cell, min_size=k, max_size=k))))
    lines += draw(st.lists(st.sampled_from(TRICKY_CSV_LINES), max_size=2))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- SEG-Y
#: Binary-header fields as (byte offset in the file, size in bytes).
SEGY_BINARY_FIELDS = [
    (3212, 2),
    (3214, 2),
    (3216, 2),
    (3218, 2),
    (3220, 2),
    (3222, 2),
    (3224, 2),
    (3226, 2),
    (3228, 2),
    (3254, 2),
    (3500, 2),
    (3502, 2),
    (3504, 2),
    (3268, 4),
    (3260, 4),
    (3264, 4),
]
#: Trace-header fields as (byte offset in the 240-byte header, size).
SEGY_TRACE_FIELDS = [
    (0, 4),
    (8, 4),
    (12, 4),
    (20, 4),
    (36, 4),
    (70, 2),
    (72, 4),
    (114, 2),
    (116, 2),
    (108, 2),
    (180, 4),
    (184, 4),
    (188, 4),
    (192, 4),
]


@st.composite
def segy_mutation(draw) -> tuple:
    op = draw(
        st.sampled_from(
            ["truncate", "flip", "binary", "trace", "append", "delete", "duplicate_trace", "swap_traces"]
        )
    )
    a = draw(st.integers(0, 10**7))
    if op == "binary":
        return (
            op,
            draw(st.sampled_from(SEGY_BINARY_FIELDS)),
            draw(st.sampled_from(INTERESTING_INTS)),
            draw(st.booleans()),
        )
    if op == "trace":
        return (
            op,
            a,
            draw(st.sampled_from(SEGY_TRACE_FIELDS)),
            draw(st.sampled_from(INTERESTING_INTS)),
            draw(st.booleans()),
        )
    if op == "append":
        return (op, draw(st.binary(max_size=600)))
    if op == "flip":
        return (op, a, draw(st.integers(0, 255)))
    return (op, a, draw(st.integers(0, 10**7)))


def _put_int(raw: bytearray, offset: int, size: int, value: int, big: bool) -> None:
    if offset + size > len(raw):
        return
    fmt = (">" if big else "<") + {2: "H", 4: "I"}[size]
    raw[offset : offset + size] = struct.pack(fmt, value % (1 << (8 * size)))


def _trace_bytes(raw: bytes) -> int:
    if len(raw) < 3600:
        return 0
    ns = struct.unpack(">H", raw[3220:3222])[0]
    fmt = struct.unpack(">h", raw[3224:3226])[0]
    bps = {1: 4, 2: 4, 3: 2, 5: 4, 6: 8, 8: 1, 9: 8, 10: 4, 11: 2, 12: 8, 16: 1}.get(fmt, 4)
    return 240 + ns * bps


def apply_segy_mutation(raw: bytes, mutation: tuple) -> bytes:
    op = mutation[0]
    buf = bytearray(raw)
    if op == "truncate":
        return raw[: mutation[1] % (len(raw) + 1)]
    if op == "flip":
        if buf:
            buf[mutation[1] % len(buf)] = mutation[2]
        return bytes(buf)
    if op == "binary":
        (offset, size), value, big = mutation[1:]
        _put_int(buf, offset, size, value, big)
        return bytes(buf)
    if op == "append":
        return raw + mutation[1]
    if op == "delete":
        i = mutation[1] % (len(raw) + 1)
        return raw[:i] + raw[i + mutation[2] % 4096 :]
    tb = _trace_bytes(raw)
    n = (len(raw) - 3600) // tb if tb else 0
    if n == 0:
        return raw
    if op == "trace":
        k, (offset, size), value, big = mutation[1:]
        _put_int(buf, 3600 + (k % n) * tb + offset, size, value, big)
        return bytes(buf)
    i, j = mutation[1] % n, mutation[2] % n
    ti = raw[3600 + i * tb : 3600 + (i + 1) * tb]
    tj = raw[3600 + j * tb : 3600 + (j + 1) * tb]
    if op == "duplicate_trace":
        return raw[: 3600 + i * tb] + ti + raw[3600 + i * tb :]
    # swap_traces
    lo, hi = sorted((i, j))
    if lo == hi:
        return raw
    tl, th = (ti, tj) if lo == i else (tj, ti)
    return (
        raw[: 3600 + lo * tb]
        + th
        + raw[3600 + (lo + 1) * tb : 3600 + hi * tb]
        + tl
        + raw[3600 + (hi + 1) * tb :]
    )


@st.composite
def segy_bytes(draw) -> bytes:
    """A SEG-Y file built from scratch: random binary-header fields and a random body."""
    big = draw(st.booleans())
    e = ">" if big else "<"
    text = draw(st.binary(min_size=0, max_size=64)).ljust(3200, b" ")
    binary = bytearray(400)
    binary[16:18] = struct.pack(e + "H", draw(st.sampled_from([0, 1000, 4000, 65535])))
    ns = draw(st.sampled_from([0, 1, 2, 5, 10, 65535]))
    binary[20:22] = struct.pack(e + "H", ns)
    fmt = draw(st.sampled_from([1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 16, 0, 4, 7, 13, 255]))
    binary[24:26] = struct.pack(e + "H", fmt)
    binary[300:302] = struct.pack(e + "H", draw(st.sampled_from([0, 0x100, 0x200, 1])))
    binary[304:306] = struct.pack(e + "h", draw(st.sampled_from([0, 0, 1, -1, 100, 32767])))
    n_traces = draw(st.integers(0, 6))
    bps = {1: 4, 2: 4, 3: 2, 5: 4, 6: 8, 8: 1, 9: 8, 10: 4, 11: 2, 12: 8, 16: 1}.get(fmt, 4)
    body = b""
    for t in range(n_traces):
        th = bytearray(240)
        th[188:192] = struct.pack(e + "i", draw(st.sampled_from([1, 2, t, -t, 2**31 - 1])))
        th[192:196] = struct.pack(e + "i", draw(st.sampled_from([1, 2, t, 0])))
        th[114:116] = struct.pack(e + "H", draw(st.sampled_from([ns, ns, 0, 65535])))
        samples = draw(st.binary(min_size=0, max_size=64))
        body += bytes(th) + samples.ljust(min(ns, 200) * bps, b"\0")
    return text + bytes(binary) + body + draw(st.binary(max_size=16))


# ---------------------------------------------------------------------------- model folders
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.sampled_from([10**400, -(10**400)])
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def config_mutation(draw) -> tuple:
    op = draw(st.sampled_from(["replace", "delete", "add", "param", "param_delete", "text", "shape"]))
    if op == "text":
        return (
            op,
            draw(
                st.sampled_from(
                    [
                        "",
                        "{",
                        "[]",
                        "null",
                        "1",
                        '"x"',
                        "[" * 100_000 + "]" * 100_000,
                        '{"a":' * 50_000,
                        "\xff\xfe{}",
                        '{"format": 1' + "0" * 5000 + "}",
                        '{"a": NaN}',
                        '{"a": Infinity}',
                        "\ud800",
                        "{}\x00",
                    ]
                )
            ),
        )
    if op == "shape":
        return (
            op,
            draw(
                st.lists(
                    st.sampled_from(INTERESTING_INTS + [10**9, 10**30, 10_000_000]), min_size=0, max_size=4
                )
            ),
        )
    return (
        op,
        draw(st.integers(0, 1000)),
        draw(json_values),
        draw(
            st.sampled_from(
                [
                    None,
                    10**400,
                    10**9,
                    -1,
                    0,
                    2**63,
                    1e308,
                    "x",
                    [],
                    {},
                    [10**7] * 3,
                    [[]],
                    True,
                    float("nan"),
                ]
            )
        ),
    )


def apply_config_mutation(cfg: dict, mutation: tuple) -> str | dict:
    """Return the new config (a dict) or raw text for the ``text`` op."""
    op = mutation[0]
    cfg = json.loads(json.dumps(cfg))
    if op == "text":
        return mutation[1]
    if op == "shape":
        cfg["input_shape"] = mutation[1]
        if mutation[1]:
            cfg["n_features_in"] = mutation[1][0]
        return cfg
    _, k, value, special = mutation
    keys = sorted(cfg)
    params = cfg.get("params") if isinstance(cfg.get("params"), dict) else {}
    pkeys = sorted(params)
    new = special if k % 2 else value
    if op == "replace":
        cfg[keys[k % len(keys)]] = new
    elif op == "delete":
        del cfg[keys[k % len(keys)]]
    elif op == "add":
        cfg[f"extra_{k}"] = new
    elif op == "param" and pkeys:
        params[pkeys[k % len(pkeys)]] = new
    elif op == "param_delete" and pkeys:
        del params[pkeys[k % len(pkeys)]]
    return cfg


@st.composite
def safetensors_mutation(draw) -> tuple:
    op = draw(
        st.sampled_from(
            [
                "truncate",
                "flip",
                "header_len",
                "shape",
                "dtype",
                "offsets",
                "drop",
                "add",
                "metadata",
                "append",
            ]
        )
    )
    return (
        op,
        draw(st.integers(0, 10**6)),
        draw(st.sampled_from(INTERESTING_INTS + [10**9, 2**62, 2**64 - 1])),
        draw(
            st.sampled_from(
                ["F32", "F16", "BF16", "F64", "I8", "U8", "BOOL", "I64", "F8_E4M3", "C64", "X", "", "F4"]
            )
        ),
    )


def apply_safetensors_mutation(blob: bytes, mutation: tuple) -> bytes:
    op, k, n, dtype = mutation
    if op == "truncate":
        return blob[: k % (len(blob) + 1)]
    if op == "flip":
        buf = bytearray(blob)
        if buf:
            buf[k % len(buf)] = n % 256
        return bytes(buf)
    if op == "append":
        return blob + b"\0" * (k % 64)
    if op == "header_len":
        return struct.pack("<Q", n % 2**64) + blob[8:]
    (hlen,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + hlen])
    data = blob[8 + hlen :]
    names = sorted(x for x in header if x != "__metadata__")
    name = names[k % len(names)]
    entry = header[name]
    if op == "shape":
        shape = list(entry["shape"])
        if shape and k % 3:
            shape[k % len(shape)] = n
        elif k % 3 == 0:
            shape = [n, n]
        else:
            shape = []
        entry["shape"] = shape
    elif op == "dtype":
        entry["dtype"] = dtype
    elif op == "offsets":
        a, b = entry["data_offsets"]
        entry["data_offsets"] = [a, n] if k % 2 else [n, b]
    elif op == "drop":
        del header[name]
    elif op == "add":
        header[f"model.extra{k}"] = {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
    elif op == "metadata":
        header["__metadata__"] = {"x": "y" * (k % 100)} if k % 2 else {"x": 1}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_bytes(path: Path, raw: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path
