"""The HTML report in a real browser: headless Chromium renders it without console errors.

Skipped when no ``chromium`` executable is on PATH (Debian package ``chromium``). Console
messages are read from Chromium's log on stderr (``--enable-logging=stderr``), where every
``console.*`` call, uncaught error and Content-Security-Policy violation appears as a
``...:CONSOLE...`` line; a control test checks that this detection works.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from geoae import report as gr

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless browser test needs `chromium` on PATH (Debian: apt-get install -y chromium)",
)
CONSOLE = re.compile(r":CONSOLE|Uncaught|Refused to", re.IGNORECASE)


def _chromium(tmp_path, url: str, *extra: str) -> subprocess.CompletedProcess:
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0", *extra, url,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


@pytest.fixture
def report_path(tmp_path):
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    depth = np.linspace(1000, 1100, 200)
    ax.plot(np.sin(depth / 5), depth, color="black")
    ax.set_ylim(depth.max(), depth.min())
    fig2 = Figure(figsize=(6, 3))
    fig2.add_subplot().imshow(np.random.default_rng(0).normal(size=(40, 80)), cmap="seismic", aspect="auto")
    return gr.build_report(
        tmp_path / "report.html",
        title="Browser check <script>alert(1)</script>",
        metrics=[{"task": "denoising", "metric": "SNR gain (dB)", "geoae": 7.25, "baseline": 3.5,
                  "baseline_name": "median filter", "target": 5.0, "met": True}],
        sections=[
            gr.Section("Log track", "A curve along depth.", figures=[fig]),
            gr.Section("Seismic", "Noise.", figures=[(fig2, "before")],
                       tables=[pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})]),
        ],
        dpi=60,
    )


def test_report_renders_without_console_errors(tmp_path, report_path):
    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path, report_path.as_uri(), f"--screenshot={shot}", "--window-size=1200,2000")
    assert run.returncode == 0, run.stderr[-3000:]
    assert _console_lines(run.stderr) == []
    assert shot.is_file(), run.stderr[-3000:]
    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    gray = pixels[..., :3].mean(axis=-1)
    assert gray.std() > 0.05, "screenshot is blank"
    assert (gray < 0.5).mean() > 0.005, "hardly any dark pixel: text and figures did not render"


def test_report_dom_has_sections_and_images(tmp_path, report_path):
    run = _chromium(tmp_path, report_path.as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-3000:]
    dom = run.stdout
    assert _console_lines(run.stderr) == []
    for sid in ("metrics", "log-track", "seismic"):
        assert f'id="{sid}"' in dom
    assert dom.count('<img src="data:image/png;base64,') == 2
    assert "<script>alert" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "7.25" in dom and "median filter" in dom


def test_console_error_detection_works(tmp_path, report_path):
    """Control: an external image in the report is refused by its CSP, and we see it."""
    bad = tmp_path / "bad.html"
    text = report_path.read_text(encoding="utf-8")
    external = '<img src="https://example.invalid/x.png"></main>'
    bad.write_text(text.replace("</main>", external), encoding="utf-8")
    run = _chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-3000:]
    lines = _console_lines(run.stderr)
    assert lines, "a CSP violation should be logged to the console"
    assert any("Content Security Policy" in line or "Refused" in line for line in lines), lines
