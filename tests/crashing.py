"""Interrupt a geoae fit after a chosen epoch, for the resume tests (in-process ones and the
torchrun workers ``scripts/ddp_fit.py`` and ``scripts/ddp_nodes.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import geoae.models as gm


class Crash(Exception):
    """Raised by the training loop that :func:`crash_at_epoch` patches in."""


@contextlib.contextmanager
def crash_at_epoch(epoch: int, error: type[BaseException] = Crash) -> Iterator[None]:
    """While active, every estimator's training loop raises ``error`` (:class:`Crash`; the CLI
    tests give ``KeyboardInterrupt``, a Ctrl-C) at the end of the 0-based ``epoch`` (before
    that epoch's checkpoint would be written)."""
    orig = gm.fit_module

    def crashing(*args, **kwargs):
        def callback(e, history):
            if e == epoch:
                raise error

        return orig(*args, **dict(kwargs, callback=callback))

    gm.fit_module = crashing
    try:
        yield
    finally:
        gm.fit_module = orig


def straight_and_resumed(make, X, checkpoint_dir, crash_epoch: int = 5, checkpoint_every: int = 2):
    """``(straight, resumed)``: ``make()`` fitted on ``X`` uninterrupted, and fitted again with
    checkpoints in ``checkpoint_dir``, interrupted at the end of ``crash_epoch`` and resumed
    (for the torchrun workers, which compare the two per rank)."""
    straight = make().fit(X)
    try:
        with crash_at_epoch(crash_epoch):
            make().fit(X, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every)
    except Crash:
        pass
    else:
        raise AssertionError(f"the fit ended before epoch {crash_epoch}: nothing was interrupted")
    resumed = make().fit(X, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                         resume=True)
    return straight, resumed
