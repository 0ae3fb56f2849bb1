"""One self-contained HTML report: a metrics table, then sections of text, figures and tables.

The file has no external resource at all (no CDN, no font, no script): figures are embedded as
base64 ``data:image/png`` URIs, the CSS is inline, and a Content-Security-Policy forbids anything
else, so it opens offline, can be mailed as one attachment and archived. Every piece of text is
HTML-escaped. The file is written atomically (a reader never sees half a report).

Example
-------
>>> from geoae.report import Section, build_report                     # doctest: +SKIP
>>> build_report("report.html", title="Well QC", metrics=[{"task": "imputation", "metric": "RMSE",
...              "geoae": 0.12, "baseline": 0.2, "baseline_name": "KNN", "target": 0.15, "met": True}],
...              sections=[Section("Log tracks", "Imputed DT in orange.", figures=[fig])])

This module does not import PyTorch.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._atomic import atomic_write_text

__all__ = ["Section", "build_report", "render_html", "METRIC_COLUMNS"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Preferred column order of the metrics table (other columns follow in their own order).
METRIC_COLUMNS = ("task", "metric", "geoae", "baseline", "baseline_name", "target", "met")
_METRIC_HEADERS = {"geoae": "geoae", "baseline_name": "baseline name"}


@dataclass
class Section:
    """One report section.

    Attributes
    ----------
    heading : str
        Section title (also listed in the contents).
    text : str
        Plain text; blank lines separate paragraphs. Escaped, never interpreted as HTML.
    figures : sequence
        Each a :class:`matplotlib.figure.Figure`, PNG ``bytes``, a path to a PNG file, or a
        ``(figure, caption)`` pair.
    tables : sequence
        Each a :class:`pandas.DataFrame`, a list of dicts (one per row), or a ``(table, caption)``
        pair.
    id : str, optional
        HTML anchor; default derived from the heading (made unique in the report).
    """

    heading: str
    text: str = ""
    figures: Sequence = field(default_factory=list)
    tables: Sequence = field(default_factory=list)
    id: str | None = None


_CSS = """
:root { --fg: #1d2329; --muted: #5b6770; --line: #d5dbe0; --accent: #1f5f8b; --bg: #ffffff;
        --ok: #1b7f3b; --bad: #b3261e; --stripe: #f5f7f9; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5;
       font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 1.25rem; }
h1 { font-size: 1.8rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.5rem; padding-bottom: 0.2rem;
     border-bottom: 1px solid var(--line); }
p { margin: 0.4rem 0 0.8rem; }
.meta { color: var(--muted); font-size: 0.9rem; margin: 0 0 0.75rem; }
nav.toc { background: var(--stripe); border: 1px solid var(--line); border-radius: 6px;
          padding: 0.5rem 1rem; margin: 1rem 0; }
nav.toc ol { margin: 0.25rem 0; padding-left: 1.4rem; }
a { color: var(--accent); }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption, caption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3rem; text-align: left;
                      caption-side: bottom; }
.table-wrap { overflow-x: auto; margin: 0.75rem 0 1.25rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: var(--stripe); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: "DejaVu Sans Mono", Menlo,
         Consolas, monospace; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.met { color: var(--ok); font-weight: 600; }
td.notmet { color: var(--bad); font-weight: 600; }
.note { color: var(--muted); font-size: 0.85rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.8rem; border-top: 1px solid var(--line);
         padding-top: 0.5rem; }
@media print { nav.toc { display: none; } h2 { page-break-after: avoid; }
               figure { page-break-inside: avoid; } }
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug or "section"


def _format_value(value, precision: int) -> tuple[str, str]:
    """Cell text and CSS class for one value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "—", ""
    if isinstance(value, (bool, np.bool_)):
        return ("yes", "met") if value else ("no", "notmet")
    if isinstance(value, numbers.Integral):
        return str(int(value)), "num"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isinf(v):
            return ("inf" if v > 0 else "-inf"), "num"
        return f"{v:.{precision}g}", "num"
    return _esc(value), ""


def _as_frame(table) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pd.Series):
        return table.to_frame()
    if isinstance(table, Mapping):
        return pd.DataFrame([dict(table)])
    rows = list(table)
    if rows and not all(isinstance(r, Mapping) for r in rows):
        raise TypeError("a table must be a DataFrame or a list of dicts (one per row)")
    return pd.DataFrame(rows)


#: Table columns holding depths, printed with all their digits.
_DEPTH_COLUMNS = frozenset({"top", "base", "depth", "dept", "md", "tvd", "tvdss"})


def _table_html(table, *, caption: str | None = None, precision: int = 4, max_rows: int = 500,
                css_class: str = "", column_order: Sequence[str] = (), headers: Mapping | None = None) -> str:
    frame = _as_frame(table)
    order = [c for c in column_order if c in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in order]]
    show_index = not isinstance(frame.index, pd.RangeIndex)
    headers = dict(headers or {})
    truncated = len(frame) > max_rows
    body = frame.iloc[:max_rows]
    out = [f'<div class="table-wrap"><table class="{_esc(css_class)}">']
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    head = ([f"<th>{_esc(frame.index.name or '')}</th>"] if show_index else []) + [
        f'<th scope="col">{_esc(headers.get(c, c))}</th>' for c in frame.columns
    ]
    out.append("<thead><tr>" + "".join(head) + "</tr></thead><tbody>")
    # depths are printed in full (4 digits would move 5003.5 to 5004, half a sample)
    digits = [12 if str(c).strip().lower() in _DEPTH_COLUMNS else precision for c in frame.columns]
    for idx, row in zip(body.index, body.itertuples(index=False, name=None), strict=True):
        cells = [f'<th scope="row">{_esc(idx)}</th>'] if show_index else []
        for value, p in zip(row, digits, strict=True):
            text, cls = _format_value(value, p)
            cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if truncated:
        out.append(f'<p class="note">First {max_rows} of {len(frame)} rows shown.</p>')
    return "".join(out)


def _png_bytes(item, dpi: int) -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
    elif isinstance(item, (str, os.PathLike)):
        data = Path(item).read_bytes()
    else:
        from matplotlib.figure import Figure

        if not isinstance(item, Figure):
            raise TypeError(
                "a figure must be a matplotlib Figure, PNG bytes or a PNG file path, "
                f"got {type(item).__name__}"
            )
        from .plotting import figure_to_png_bytes

        data = figure_to_png_bytes(item, dpi=dpi)
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("figure data is not a PNG image (missing the PNG signature)")
    return data


def _split_caption(item) -> tuple[object, str | None]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return item[0], item[1]
    return item, None


def _as_section(obj) -> Section:
    if isinstance(obj, Section):
        return obj
    if isinstance(obj, Mapping):
        unknown = set(obj) - {"heading", "text", "figures", "tables", "id"}
        if unknown:
            raise ValueError(f"unknown section keys {sorted(unknown)}; use heading, text, figures, tables, "
                             "id")
        if "heading" not in obj:
            raise ValueError("a section needs a 'heading'")
        return Section(heading=obj["heading"], text=obj.get("text", "") or "",
                       figures=obj.get("figures") or [], tables=obj.get("tables") or [], id=obj.get("id"))
    raise TypeError(f"a section must be a Section or a dict, got {type(obj).__name__}")


def _listify(items) -> list:
    if items is None:
        return []
    if isinstance(items, tuple) and len(items) == 2 and isinstance(items[1], str):
        return [items]  # one (item, caption) pair
    single = (pd.DataFrame, pd.Series, Mapping, bytes, bytearray, str, os.PathLike)
    if isinstance(items, single) or not isinstance(items, Iterable):
        return [items]
    return list(items)


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(text or "")) if p.strip()]
    return "".join("<p>" + _esc(p).replace("\n", "<br>") + "</p>" for p in parts)


def render_html(
    *,
    title: str,
    sections: Sequence[Section | Mapping] = (),
    metrics=None,
    intro: str | None = None,
    metrics_heading: str = "Metrics",
    dpi: int = 100,
    precision: int = 4,
    generated: _dt.datetime | None = None,
    toc: bool = True,
) -> str:
    """Render the report as one HTML document (a string).

    Parameters
    ----------
    title : str
        Report title (``<title>`` and ``<h1>``).
    sections : sequence of Section or dict
        In order; a dict has the :class:`Section` fields as keys (``heading`` required).
    metrics : DataFrame or list of dict, optional
        The headline numbers, shown first, e.g. columns ``task, metric, geoae, baseline,
        baseline_name, target, met`` (that order first, any other columns after). Numbers are
        shown with ``precision`` significant digits; booleans as yes/no.
    intro : str, optional
        Text under the title.
    metrics_heading : str, default="Metrics"
        Heading of the metrics section (anchor ``#metrics``).
    dpi : int, default=100
        Resolution used for Figure objects.
    precision : int, default=4
        Significant digits of floats in tables.
    generated : datetime, optional
        Time stamp shown in the header and footer (default: now, UTC).
    toc : bool, default=True
        Add a table of contents linking to every section.

    Returns
    -------
    str
        A complete HTML5 document with inline CSS and base64-embedded PNG images, no script.
    """
    from ._version import __version__

    secs = [_as_section(s) for s in (sections or [])]
    stamp = (generated or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M %Z").strip()
    used: set[str] = {"metrics", "top", "contents"}
    ids = []
    for s in secs:
        base = _slug(s.id) if s.id else _slug(s.heading)
        sid, k = base, 2
        while sid in used:
            sid, k = f"{base}-{k}", k + 1
        used.add(sid)
        ids.append(sid)

    has_metrics = metrics is not None and len(_as_frame(metrics)) > 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="geoae {_esc(__version__)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        '</head><body><main id="top">',
        f'<header><h1>{_esc(title)}</h1>'
        f'<p class="meta">geoae {_esc(__version__)} · {_esc(stamp)}</p></header>',
    ]
    if intro:
        parts.append(_paragraphs(intro))
    if toc and (secs or has_metrics):
        items = ([f'<li><a href="#metrics">{_esc(metrics_heading)}</a></li>'] if has_metrics else []) + [
            f'<li><a href="#{sid}">{_esc(s.heading)}</a></li>' for s, sid in zip(secs, ids, strict=True)
        ]
        parts.append('<nav class="toc" id="contents"><strong>Contents</strong><ol>' + "".join(items)
                     + "</ol></nav>")
    if has_metrics:
        parts.append(f'<section id="metrics"><h2>{_esc(metrics_heading)}</h2>')
        parts.append(_table_html(metrics, precision=precision, css_class="metrics",
                                 column_order=METRIC_COLUMNS, headers=_METRIC_HEADERS))
        parts.append("</section>")
    for s, sid in zip(secs, ids, strict=True):
        parts.append(f'<section id="{sid}"><h2>{_esc(s.heading)}</h2>')
        parts.append(_paragraphs(s.text))
        for i, item in enumerate(_listify(s.figures), start=1):
            fig, caption = _split_caption(item)
            data = base64.b64encode(_png_bytes(fig, dpi)).decode("ascii")
            alt = caption or f"{s.heading}, figure {i}"
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'
                         + (f"<figcaption>{_esc(caption)}</figcaption>" if caption else "") + "</figure>")
        for item in _listify(s.tables):
            table, caption = _split_caption(item)
            parts.append(_table_html(table, caption=caption, precision=precision))
        parts.append("</section>")
    parts.append(f'<footer>Generated by geoae {_esc(__version__)} on {_esc(stamp)}. '
                 'Self-contained file: no external resources. <a href="#top">Back to top</a></footer>')
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def build_report(
    path: str | os.PathLike,
    *,
    title: str,
    sections: Sequence[Section | Mapping] = (),
    metrics=None,
    **kwargs,
) -> Path:
    """Write the HTML report to ``path`` atomically and return the path.

    Parameters
    ----------
    path : str or path-like
        Destination ``.html`` file; its folder must exist. An existing file is replaced.
    title, sections, metrics
        See :func:`render_html`.
    **kwargs
        Passed to :func:`render_html` (``intro``, ``metrics_heading``, ``dpi``, ``precision``,
        ``generated``, ``toc``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    text = render_html(title=title, sections=sections, metrics=metrics, **kwargs)
    atomic_write_text(path, text, encoding="utf-8")
    # the temporary file behind the atomic write is created private (0600); a report is a document
    # to share, so give it the permissions a plain open() would have (0666 minus the umask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~_umask())
    return path


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
