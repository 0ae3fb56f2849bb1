"""Tests of geoae.report: one self-contained, escaped HTML file written atomically."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from geoae import report as gr
from geoae.plotting import figure_to_png_bytes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')

METRICS = [
    {"task": "imputation", "metric": "RMSE DT (us/ft)", "geoae": 3.14159, "baseline": 4.5,
     "baseline_name": "KNN imputer", "target": 4.0, "met": True},
    {"task": "anomaly detection", "metric": "F1", "geoae": 0.8125, "baseline": 0.9012,
     "baseline_name": "IsolationForest", "target": 0.85, "met": False},
]


def _small_figure(kind: str = "line") -> Figure:
    fig = Figure(figsize=(2.0, 1.5))
    ax = fig.add_subplot()
    if kind == "line":
        ax.plot(np.arange(10), np.arange(10) ** 2)
    else:
        ax.imshow(np.random.default_rng(0).normal(size=(8, 8)))
    return fig


@pytest.fixture
def sections():
    png = figure_to_png_bytes(_small_figure("image"), dpi=40)
    return [
        gr.Section("Log tracks (imputation)", "Imputed values in orange.\n\nBand: ±2σ.",
                   figures=[_small_figure()]),
        {"heading": "Anomaly score", "figures": [(png, "score & threshold")]},
        {"heading": "Seismic before/after", "text": "Difference = before − after.",
         "tables": [pd.DataFrame({"SNR in (dB)": [5.0], "SNR out (dB)": [13.2568]})]},
        gr.Section("Training curves", figures=(_small_figure(), _small_figure("image")),
                   tables=[([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}], "history")]),
    ]


def _build(tmp_path, sections, **kw):
    kw.setdefault("dpi", 40)
    return gr.build_report(tmp_path / "report.html", title=kw.pop("title", "Well QC report"),
                           sections=sections, metrics=kw.pop("metrics", METRICS), **kw)


def test_build_report_self_contained_images_decode(tmp_path, sections):
    path = _build(tmp_path, sections)
    assert path == tmp_path / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    payloads = IMG.findall(text)
    assert len(payloads) == 4 == text.count("<img ")
    for payload in payloads:
        data = base64.b64decode(payload, validate=True)
        assert data.startswith(PNG_SIGNATURE)
        pixels = imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and pixels.shape[0] > 10 and pixels.shape[1] > 10
    # nothing external: every src/href is a data URI or an in-page anchor, and no script at all
    for attr in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert attr.startswith(("data:image/png;base64,", "#")), attr
    assert "<script" not in text.lower()
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text.lower() and "@import" not in text


def test_headings_ids_and_metrics_table(tmp_path, sections):
    text = _build(tmp_path, sections).read_text(encoding="utf-8")
    for heading in ("Log tracks (imputation)", "Anomaly score", "Seismic before/after", "Training curves"):
        assert f"<h2>{heading}</h2>" in text
    ids = re.findall(r'<section id="([^"]+)"', text)
    assert ids == ["metrics", "log-tracks-imputation", "anomaly-score", "seismic-before-after",
                   "training-curves"]
    for sid in ids:
        assert f'href="#{sid}"' in text  # table of contents
    # the metrics table comes first, with its numbers and the pass/fail column
    metrics_html = text[text.index('<section id="metrics">'):text.index('<section id="log-tracks')]
    for value in ("3.142", "4.5", "0.8125", "0.9012", "0.85", "KNN imputer", "IsolationForest",
                  "RMSE DT (us/ft)"):
        assert value in metrics_html
    assert '<td class="met">yes</td>' in metrics_html and '<td class="notmet">no</td>' in metrics_html
    headers = re.findall(r'<th scope="col">([^<]*)</th>', metrics_html)
    assert headers == ["task", "metric", "geoae", "baseline", "baseline name", "target", "met"]
    assert text.index('id="metrics"') < text.index("<img ")
    # section tables and captions
    assert "13.26" in text and "SNR out (dB)" in text and "<caption>history</caption>" in text
    assert "<figcaption>score &amp; threshold</figcaption>" in text
    assert "<p>Imputed values in orange.</p><p>Band: ±2σ.</p>" in text


def test_text_is_escaped(tmp_path):
    evil = "<script>alert('x')</script>"
    path = _build(tmp_path, [gr.Section(f"Heading {evil}", f"Text {evil} & more",
                                        tables=[pd.DataFrame({evil: [evil]})])],
                  title=f"Report {evil}", metrics=[{"task": evil, "metric": "m", "geoae": 1.0}], intro=evil)
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert f"<title>Report {evil.replace('<', '&lt;').replace('>', '&gt;')}".replace("'", "&#x27;") in text
    assert "Text &lt;script&gt;" in text and "&amp; more" in text


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path, sections):
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")
    _build(tmp_path, sections[:1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert target.stat().st_mode & 0o044, "the report is readable like any plain file"
    # a failure while rendering leaves the previous report untouched and no temporary file
    target.write_text("old report", encoding="utf-8")
    with pytest.raises(ValueError, match="PNG"):
        _build(tmp_path, [{"heading": "bad", "figures": [b"GIF89a not a png"]}])
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_render_html_options_and_validation():
    sections = [{"heading": "Same"}, {"heading": "Same"}, {"heading": "x", "id": "m y"}]
    html = gr.render_html(title="T", sections=sections, metrics=pd.DataFrame(METRICS), toc=False)
    assert re.findall(r'<section id="([^"]+)"', html) == ["metrics", "same", "same-2", "m-y"]
    assert 'class="toc"' not in html
    html = gr.render_html(title="T")  # no sections, no metrics
    assert "<section" not in html and "<h1>T</h1>" in html
    with pytest.raises(ValueError, match="unknown section keys"):
        gr.render_html(title="T", sections=[{"heading": "h", "figure": []}])
    with pytest.raises(ValueError, match="heading"):
        gr.render_html(title="T", sections=[{"text": "no heading"}])
    with pytest.raises(TypeError):
        gr.render_html(title="T", sections=[{"heading": "h", "figures": [object()]}])
    with pytest.raises(TypeError):
        gr.render_html(title="T", sections=["just a string"])


def test_number_formatting_and_missing_values():
    html = gr.render_html(title="T", metrics=[
        {"task": "a", "metric": "m", "geoae": 0.000123456, "baseline": float("nan"), "target": 10,
         "met": None},
    ], precision=3)
    row = html[html.index("<tbody>"):html.index("</tbody>")]
    assert '<td class="num">0.000123</td>' in row
    assert '<td class="num">10</td>' in row
    assert row.count("<td>—</td>") == 2  # NaN baseline and missing "met"


def test_depth_columns_are_printed_in_full():
    """Interval depths were rounded to 4 digits: 5003.5 showed as 5004, half a sample off."""
    html = gr._table_html(pd.DataFrame({"WELL": ["A"], "top": [5003.5], "base": [5038.25],
                                        "peak_score": [12.345678]}), precision=4)
    assert ">5003.5<" in html and ">5038.25<" in html and ">12.35<" in html
