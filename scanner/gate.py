"""The CI gate: turns a finished ``ScanReport`` into an exit code and the one line that explains it.

``decide`` is pure (no I/O, no clock) so its whole truth table is a unit test.
The precedence is fixed by DESIGN.md: a gate failure (1) wins over an
incomplete scan (3), which ``allow_incomplete`` turns into 0. Usage errors (2)
never reach here: they are ``AuditError``s raised before anything is scanned.

An incomplete scan is one where a scope could not be read (``scan.errors`` or
``scan.coverage``) *or* a rule returned an ``error`` result for some resource:
in both cases a check that should have run did not decide, and an auditor
cannot read silence as compliance (see docs/accepted-risks.md, "Gate").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from scanner.findings import Finding, ScanReport
from scanner.inventory import normalize_id
from scanner.rule import Severity, Status


class ExitCode(IntEnum):
    """The process exit codes of ``ahds-audit`` (DESIGN.md, "Exit codes")."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    INCOMPLETE = 3


class FailOn(StrEnum):
    """The ``--fail-on`` threshold; ``none`` disables the findings gate (incompleteness still counts)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"

    @property
    def threshold(self) -> Severity | None:
        """The lowest severity that fails the gate, or None when nothing does."""
        return None if self is FailOn.NONE else Severity(self.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateDecision:
    """The verdict: the exit code and the one human line that says why (console and Markdown end with it)."""

    code: ExitCode
    line: str
    gated_failures: int
    """Unsuppressed failures at or above the threshold that counted (only new ones with ``fail_on_new``)."""
    incomplete: bool
    """True when some scope could not be read or some rule result is an ``error``."""


def decide(
    report: ScanReport,
    *,
    fail_on: FailOn = FailOn.HIGH,
    fail_on_new: bool = False,
    allow_incomplete: bool = False,
) -> GateDecision:
    """Decide the exit code of a scan from its (suppressed, baselined) report.

    Guarantees: suppressed failures, passes and ``info`` failures never fail the
    gate; ``fail_on=none`` never returns 1; with ``fail_on_new`` only failures
    whose ``baseline_state`` is not ``unchanged`` count (a result never compared
    with a baseline counts as new: without a baseline nothing is known to be old);
    exit 3 only when nothing failed the gate, and 0 instead with ``allow_incomplete``.
    """
    threshold = fail_on.threshold
    unsuppressed = [f for f in report.results if f.status is Status.FAIL and f.suppression is None]
    suppressed = sum(1 for f in report.results if f.status is Status.FAIL and f.suppression is not None)

    def counts(f: Finding) -> bool:
        if threshold is None or f.severity.rank < threshold.rank:
            return False
        return not (fail_on_new and f.baseline_state == "unchanged")

    gated = [f for f in unsuppressed if counts(f)]
    not_gated = [f for f in unsuppressed if not counts(f)]
    gaps = _incompleteness(report)
    where = _threshold_words(fail_on, fail_on_new)

    if gated:
        noun = "unsuppressed new failure" if fail_on_new else "unsuppressed failure"
        line = (
            f"gate: FAILED — {_plural(len(gated), noun)} at or above {fail_on.value} "
            f"({_by_severity(gated)}); threshold {where}"
        )
        if gaps:
            line += f"; also incomplete: {gaps}"
        return GateDecision(
            code=ExitCode.GATE_FAILED, line=line, gated_failures=len(gated), incomplete=bool(gaps)
        )

    if threshold is None:
        verdict = "gate disabled (--fail-on none)"
    else:
        verdict = f"no unsuppressed {'new ' if fail_on_new else ''}failure at or above {fail_on.value}"
    extras = _not_gated_words(not_gated, threshold, fail_on_new)
    if suppressed:
        extras.append(f"{suppressed} suppressed")
    tail = f" ({'; '.join(extras)})" if extras else ""

    if gaps and not allow_incomplete:
        line = f"gate: INCOMPLETE — {gaps}; {verdict}{tail}; threshold {where}"
        return GateDecision(code=ExitCode.INCOMPLETE, line=line, gated_failures=0, incomplete=True)
    if gaps:
        line = f"gate: passed (incomplete scan allowed) — {gaps}; {verdict}{tail}; threshold {where}"
        return GateDecision(code=ExitCode.OK, line=line, gated_failures=0, incomplete=True)
    line = f"gate: passed — {verdict}{tail}; threshold {where}"
    return GateDecision(code=ExitCode.OK, line=line, gated_failures=0, incomplete=False)


def _incompleteness(report: ScanReport) -> str:
    """Why the scan did not fully cover its scope, in words; empty when it did."""
    parts: list[str] = []
    scopes = {normalize_id(e.scope) for e in report.scan.errors}
    cov = report.scan.coverage
    if scopes:
        parts.append(f"{_plural(len(scopes), 'scope')} could not be read")
    if not cov.graph_collected:
        parts.append("Microsoft Graph was not read (collection.graph: false)")
    elif not scopes and (
        not cov.complete or not cov.graph_complete or cov.subscriptions_complete < cov.subscriptions_total
    ):
        parts.append("coverage is incomplete")
    errored = sum(1 for f in report.results if f.status is Status.ERROR)
    if errored:
        parts.append(f"{_plural(errored, 'rule result')} could not be decided (error)")
    return ", ".join(parts)


def _not_gated_words(not_gated: list[Finding], threshold: Severity | None, fail_on_new: bool) -> list[str]:
    """Describe the unsuppressed failures that did not count, so a pass never hides them."""
    if not not_gated:
        return []
    if threshold is None:
        return [f"{_plural(len(not_gated), 'unsuppressed failure')} not gated: {_by_severity(not_gated)}"]
    below = [f for f in not_gated if f.severity.rank < threshold.rank]
    old = [f for f in not_gated if f.severity.rank >= threshold.rank]
    words: list[str] = []
    if old and fail_on_new:
        words.append(f"{_by_severity(old)} unchanged since the baseline, not gated")
    if below:
        words.append(f"{_by_severity(below)} below threshold")
    return words


def _threshold_words(fail_on: FailOn, fail_on_new: bool) -> str:
    return fail_on.value + (", new failures only" if fail_on_new else "")


def _by_severity(findings: list[Finding]) -> str:
    """``1 critical, 2 high``: most severe first, only non-zero counts."""
    c = Counter(f.severity for f in findings)
    return ", ".join(f"{c[s]} {s.value}" for s in sorted(c, key=lambda s: -s.rank))


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
