"""What a release needs (fifteenth session's packaging review): one version, the bundled data's
licence in the metadata, an sdist whose tests can run, install instructions for PyPI."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

import geoae

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_version_is_kept_in_one_place():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert metadata.version("geoae") == geoae.__version__


def test_the_bundled_data_licence_travels_in_the_metadata():
    files = PROJECT["license-files"]
    assert any("LICENSE-seg-2016-ml-contest" in f for f in files) and any("NOTICE" in f for f in files)
    for f in files:
        assert (ROOT / f).is_file(), f


def test_the_sdist_carries_what_its_tests_import():
    """The sdist held tests/test_*.py without conftest.py, clirun.py and the docs they read."""
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").split()
    assert "tests" in manifest and "docs" in manifest and "mkdocs.yml" in manifest
    for helper in ("conftest.py", "clirun.py", "crashing.py"):
        assert (ROOT / "tests" / helper).is_file()


def test_readme_says_how_to_install_from_pypi():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install geoae" in text and "download.pytorch.org/whl/cpu" in text
    assert "pip install 'geoae[parquet]'" in text
