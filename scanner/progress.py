"""Progress reporting for a scan's long steps: a rich display on a terminal, log lines in CI, or nothing.

Collection reports per subscription (``ProgressSink``); the steps after it (evaluating the rules, writing
each report), which take minutes on a tenant of a million role assignments, report as phases (``Phases``).

Collectors talk to a ``ProgressSink`` only; which one is used is the CLI's
choice (``make_progress``). Every sink writes to stderr (directly or through
logging), so stdout stays free for a report written to ``-``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

logger = logging.getLogger(__name__)


class ProgressSink(Protocol):
    """What a collection run reports while it works. Implementations never raise."""

    def start(self, total_subscriptions: int) -> None:
        """The subscriptions in scope are known; per-subscription collection begins."""

    def subscription_done(self, subscription_id: str, name: str | None, ok: bool) -> None:
        """Every list of one subscription has finished; ``ok`` is False when any of them failed."""

    def stage(self, message: str) -> None:
        """A run-level step began or ended (e.g. "Microsoft Graph: applications")."""

    def finish(self) -> None:
        """End the run's display."""


class NullProgress:
    """Reports nothing (``--quiet``)."""

    def start(self, total_subscriptions: int) -> None:
        """Ignore."""

    def subscription_done(self, subscription_id: str, name: str | None, ok: bool) -> None:
        """Ignore."""

    def stage(self, message: str) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""


class LogProgress:
    """One INFO log line per stage and per finished subscription: readable in a CI job log."""

    def __init__(self) -> None:
        self._total = 0
        self._done = 0

    def start(self, total_subscriptions: int) -> None:
        """Log how many subscriptions will be read."""
        self._total = total_subscriptions
        logger.info("collecting %d subscription(s)", total_subscriptions)

    def subscription_done(self, subscription_id: str, name: str | None, ok: bool) -> None:
        """Log one line naming the subscription and whether it was read completely."""
        self._done += 1
        logger.info(
            "[%d/%d] subscription %s %r: %s",
            self._done,
            self._total,
            subscription_id,
            name or "",
            "complete" if ok else "incomplete (see errors)",
        )

    def stage(self, message: str) -> None:
        """Log the stage message (our own wording, never tenant-controlled text)."""
        logger.info("%s", message)

    def finish(self) -> None:
        """Log the end of collection."""
        logger.info("collection finished")


class RichProgress:
    """A live progress bar of subscriptions on a terminal (stderr), with the current stage beside it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._console = Console(file=stream or sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[stage]}", markup=False),
            console=self._console,
            transient=False,
        )
        self._task = self._progress.add_task("subscriptions", total=None, stage="")
        self._started = False
        self._failed = 0

    def _ensure_started(self) -> None:
        if not self._started:
            self._progress.start()
            self._started = True

    def start(self, total_subscriptions: int) -> None:
        """Show the bar with its total."""
        self._ensure_started()
        self._progress.update(self._task, total=total_subscriptions)

    def subscription_done(self, subscription_id: str, name: str | None, ok: bool) -> None:
        """Advance the bar; count incomplete subscriptions in the description."""
        self._ensure_started()
        if not ok:
            self._failed += 1
        description = "subscriptions" if not self._failed else f"subscriptions ({self._failed} incomplete)"
        self._progress.update(self._task, advance=1, description=description)

    def stage(self, message: str) -> None:
        """Show the message beside the bar (never interpreted as markup)."""
        self._ensure_started()
        self._progress.update(self._task, stage=message)

    def finish(self) -> None:
        """Stop the live display, leaving the final bar on screen."""
        if self._started:
            self._progress.update(self._task, stage="done")
            self._progress.stop()
            self._started = False


def make_progress(quiet: bool, stream: TextIO | None = None) -> ProgressSink:
    """Choose the sink: nothing when ``quiet``, a rich bar when ``stream`` (stderr) is a TTY, else log lines.

    The stream checked is the one the display is drawn on (stderr), so redirecting
    stdout to a file keeps the bar, while a CI job (no TTY anywhere) gets log lines.
    """
    if quiet:
        return NullProgress()
    target = stream or sys.stderr
    isatty = getattr(target, "isatty", None)
    if callable(isatty) and isatty():
        return RichProgress(target)
    return LogProgress()


class Phases:
    """The steps after collection, one at a time: a spinner naming the step on a terminal, then a line with
    how long it took; log lines in CI (INFO, shown with ``-v``); nothing when quiet.

    A silent pause of minutes reads as a hang: evaluating and writing the reports of a big tenant is long work.
    """

    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self._quiet = quiet
        target = stream or sys.stderr
        isatty = getattr(target, "isatty", None)
        self._console: Console | None = Console(file=target) if not quiet and callable(isatty) and isatty() else None
        self._status: Any = None
        self._current = ""

    @contextmanager
    def phase(self, message: str) -> Iterator[None]:
        """Show ``message`` (our own wording) while the block runs, then report its duration."""
        if self._quiet:
            yield
            return
        self._current = message
        started = time.perf_counter()
        if self._console is None:
            logger.info("%s ...", message)
            yield
            logger.info("%s: done in %.1f s", message, time.perf_counter() - started)
            return
        with self._console.status(message) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None
        self._console.print(f"{message}: done in {time.perf_counter() - started:.1f} s", markup=False, highlight=False)

    def update(self, detail: str) -> None:
        """Say what the current phase is doing now (e.g. which report is being written)."""
        if self._quiet:
            return
        if self._status is not None:
            self._status.update(f"{self._current}: {detail}")
        elif self._console is None:
            logger.info("%s: %s", self._current, detail)
