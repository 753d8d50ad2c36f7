"""Compare a scan with an earlier ``findings.json``: mark results new/unchanged and list what was fixed.

Identity is the result's fingerprint (rule, resource, sub-object), which does
not change with dates, messages or the tool's patch version, so last week's
report is a valid baseline after an upgrade.

"Fixed" is claimed only with evidence: a baseline failure counts as fixed when
this scan re-examined it and it no longer fails (or its resource is gone). When
this scan could not look (the rule did not run, it returned ``error`` for that
result, or the subscription or Microsoft Graph could not be read), the failure
is *unverified*, never fixed: an unreadable subscription must not look like a
week of remediation.
"""

from __future__ import annotations

from dataclasses import replace

from scanner.errors import UsageError
from scanner.findings import BaselineInfo, Finding, FixedFinding, ScanReport, sort_key, summarize
from scanner.inventory import subscription_of
from scanner.rule import Status


def failing(report: ScanReport) -> dict[str, Finding]:
    """The report's ``fail`` results (suppressed ones included) by fingerprint."""
    return {f.fingerprint: f for f in report.results if f.status is Status.FAIL}


def check_comparable(old: ScanReport, new: ScanReport, *, old_name: str) -> None:
    """Refuse to compare scans of different tenants (every failure would look new and fixed).

    Raises ``UsageError`` (exit 2).
    """
    if old.scan.tenant_id.strip().lower() != new.scan.tenant_id.strip().lower():
        raise UsageError(
            f"{old_name}: baseline is a scan of tenant {old.scan.tenant_id}, not {new.scan.tenant_id}",
            hint="compare scans of the same tenant",
        )


def fixed_findings(old: ScanReport, new: ScanReport) -> tuple[list[Finding], list[Finding]]:
    """Baseline failures not failing now, split into (fixed, unverified); each list in report order.

    Unverified: the rule did not run now, or its result for the same fingerprint
    is an ``error``, or the failure's subscription (or Microsoft Graph, for a
    failure outside any subscription) was not read completely.
    """
    now_failing = failing(new)
    ran = {r.id.upper() for r in new.rules}
    errored = {f.fingerprint for f in new.results if f.status is Status.ERROR}
    unread = _unread_subscriptions(new)
    graph_read = new.scan.coverage.graph_complete and not any(
        e.scope.strip().lower().startswith("graph:") for e in new.scan.errors
    )

    def rechecked(f: Finding) -> bool:
        if (ran and f.rule_id.upper() not in ran) or f.fingerprint in errored:
            return False
        sub = (f.subscription_id or subscription_of(f.resource_id) or "").lower()
        return sub not in unread if sub else graph_read

    gone = sorted((f for fp, f in failing(old).items() if fp not in now_failing), key=sort_key)
    return [f for f in gone if rechecked(f)], [f for f in gone if not rechecked(f)]


def _unread_subscriptions(report: ScanReport) -> set[str]:
    unread = {s.subscription_id.lower() for s in report.scan.coverage.subscriptions if not s.complete}
    for e in report.scan.errors:
        sub = subscription_of(e.scope)
        if sub:
            unread.add(sub)
    return unread


def apply_baseline(report: ScanReport, baseline: ScanReport, *, baseline_path: str) -> ScanReport:
    """Mark every result of ``report`` ``new`` or ``unchanged`` against ``baseline`` and list the fixed ones.

    A result is ``unchanged`` when the baseline holds a result with the same
    fingerprint and the same status (a failure that failed before; a pass that
    passed before), else ``new``; every result gets a state, so SARIF's
    ``baselineState`` is set on all or none. ``report.baseline.fixed`` lists the
    baseline's failures (suppressed or not) that were re-examined and no longer
    fail; ``summary.new_failures`` and ``summary.fixed`` are filled in.
    Raises ``UsageError`` when the baseline is a scan of another tenant.
    """
    check_comparable(baseline, report, old_name=baseline_path)
    before = {(f.fingerprint, f.status) for f in baseline.results}
    results = [
        replace(f, baseline_state="unchanged" if (f.fingerprint, f.status) in before else "new")
        for f in report.results
    ]
    fixed, _ = fixed_findings(baseline, report)
    info = BaselineInfo(
        path=baseline_path,
        started_at=baseline.scan.started_at,
        fixed=[
            FixedFinding(
                rule_id=f.rule_id,
                title=f.title,
                severity=f.severity,
                resource_id=f.resource_id,
                sub_id=f.sub_id,
                fingerprint=f.fingerprint,
                message=f.message,
            )
            for f in fixed
        ],
    )
    summary = summarize(results).model_copy(update={"fixed": len(fixed)})
    return report.model_copy(update={"results": results, "summary": summary, "baseline": info})
