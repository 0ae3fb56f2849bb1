"""The documentation cannot rot: its worked examples run, and the API reference covers the public names.

* Every ```python block of ``docs/index.md``, ``docs/user-guide/*.md`` and ``docs/model-zoo.md``
  is executed, page by page (one namespace per page, blocks in order, in a temporary working
  folder), as a reader would paste them into a notebook.
* In ```bash blocks of those pages, every line that starts with ``geoae `` is run through
  :func:`geoae.cli.main` in the same folder and must exit with 0 (other lines, such as ``make`` or
  ``pip``, are not run).
* A block right after an ``<!-- no-test -->`` line is skipped (slow or needing files we lack).
* Every name of ``geoae.__all__`` and ``geoae.io.__all__`` is documented by a ``::: module``
  directive of ``docs/api.md``, and every ``geoae`` subcommand has a section on the CLI page.
"""

from __future__ import annotations

import importlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NO_TEST = "<!-- no-test -->"
FENCE = re.compile(r"^```([\w+-]*)\s*$")


@dataclass
class Block:
    lang: str
    code: str
    line: int  # 1-based line of the opening fence
    skip: bool


def pages_to_test() -> list[Path]:
    pages = [DOCS / "index.md", *sorted((DOCS / "user-guide").glob("*.md")), DOCS / "model-zoo.md"]
    return [p for p in pages if p.is_file()]


def code_blocks(text: str) -> list[Block]:
    """Fenced blocks of a Markdown page, with the no-test marker of the line before each."""
    blocks: list[Block] = []
    lines = text.splitlines()
    previous = ""
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip()) if lines[i].startswith("```") else None
        if m is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"unclosed code fence at line {start + 1}")
        blocks.append(Block(m.group(1).lower(), "\n".join(body) + "\n", start + 1, previous == NO_TEST))
        previous = ""
        i += 1
    return blocks


def test_block_parser():
    text = "# t\n\n```python\nx = 1\n```\n\n<!-- no-test -->\n```bash\ngeoae demo\n```\n```\nplain\n```\n"
    blocks = code_blocks(text)
    assert [(b.lang, b.skip, b.line) for b in blocks] == [("python", False, 3), ("bash", True, 8),
                                                          ("", False, 11)]
    assert blocks[0].code == "x = 1\n"


@pytest.mark.slow
@pytest.mark.parametrize("page", pages_to_test(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page, tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import torch

    from geoae.cli import main

    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    namespace: dict = {"__name__": "__docs__"}
    rel = page.relative_to(ROOT)
    try:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            if block.skip:
                continue
            if block.lang in ("python", "py"):
                # blank lines before the code keep the traceback's line numbers equal to the page's
                source = "\n" * block.line + block.code
                exec(compile(source, str(rel), "exec"), namespace)  # noqa: S102 - our own docs
            elif block.lang in ("bash", "sh", "console", "shell"):
                for n, raw in enumerate(block.code.splitlines(), start=block.line + 1):
                    line = raw.split(" #")[0].strip()
                    if not line.startswith("geoae "):
                        continue
                    code = main(shlex.split(line)[1:])
                    err = capsys.readouterr().err
                    assert code == 0, f"{rel}:{n}: `{line}` exited with {code}: {err}"
            plt.close("all")
    finally:
        torch.set_num_threads(threads)
        plt.close("all")


def _api_modules() -> set[str]:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    return set(re.findall(r"^:::\s+([\w.]+)\s*$", text, flags=re.MULTILINE))


def _defining_module(package: str, name: str) -> str | None:
    """The module a public name of ``package`` is defined in (None for plain values)."""
    mod = importlib.import_module(package)
    if package == "geoae.io":
        return f"geoae.io.{mod._NAMES[name]}"
    value = getattr(mod, name)
    where = getattr(value, "__module__", None)
    return where if isinstance(where, str) and where.startswith("geoae") else None


@pytest.mark.parametrize("package", ["geoae", "geoae.io"])
def test_api_reference_covers_public_names(package):
    documented = _api_modules()
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = []
    for name in importlib.import_module(package).__all__:
        module = _defining_module(package, name)
        if module is None:  # e.g. __version__: named in the page's text
            if name not in text:
                missing.append(name)
        elif module not in documented and f"{module}.{name}" not in documented:
            missing.append(f"{name} ({module})")
    assert not missing, f"docs/api.md has no `::: module` directive documenting {missing}"


def test_api_reference_modules_exist():
    for module in _api_modules():
        importlib.import_module(module)


def test_cli_page_documents_every_subcommand():
    from geoae.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    text = (DOCS / "user-guide" / "cli.md").read_text(encoding="utf-8")
    missing = sorted(n for n in names if not re.search(rf"^#+ `geoae {n}`", text, flags=re.MULTILINE))
    assert not missing, f"docs/user-guide/cli.md has no `## \\`geoae <name>\\`` section for {missing}"


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    """The site builds without a warning (skipped when mkdocs is not installed)."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "index.html").is_file()
