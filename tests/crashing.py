"""Interrupt a geoae fit after a chosen epoch, for the resume tests (in-process ones and the
torchrun worker ``scripts/ddp_fit.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import geoae.models as gm


class Crash(Exception):
    """Raised by the training loop that :func:`crash_at_epoch` patches in."""


@contextlib.contextmanager
def crash_at_epoch(epoch: int) -> Iterator[None]:
    """While active, every estimator's training loop raises :class:`Crash` at the end of the
    0-based ``epoch`` (before that epoch's checkpoint would be written)."""
    orig = gm.fit_module

    def crashing(*args, **kwargs):
        def callback(e, history):
            if e == epoch:
                raise Crash

        return orig(*args, **dict(kwargs, callback=callback))

    gm.fit_module = crashing
    try:
        yield
    finally:
        gm.fit_module = orig
