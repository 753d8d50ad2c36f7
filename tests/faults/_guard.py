"""A hang guard for tests: a block still running after its bound fails the test instead of stalling the suite.

A guard, not a timing assertion: the bounds are generous, and only a hang trips them.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


class Hung(BaseException):
    """Raised by the hang guard; a BaseException so that no error boundary (``main``'s, a loader's) can swallow it."""


@contextlib.contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Fail (raise ``Hung``) if the block runs longer than ``seconds``. Main thread only."""

    def _fire(_signum: int, _frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
