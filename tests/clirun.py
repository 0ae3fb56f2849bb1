"""Run the ``geoae`` command in-process, for the CLI tests."""

from __future__ import annotations

from geoae.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``geoae ARGS`` (arguments made strings; output
    captured by pytest's ``capsys``)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err
