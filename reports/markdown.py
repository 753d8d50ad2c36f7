"""The Markdown reporter: a short summary for a GitHub job page or a pull-request comment.

Every value taken from the tenant goes through ``md_cell``, so a hostile
name can neither break a table nor inject a link, image or HTML; the only
links in the document are none at all.
"""

from __future__ import annotations

from reports._text import md_cell
from reports.base import Reporter, ReportOptions
from scanner.findings import Finding, ScanReport, sort_key
from scanner.rule import Severity, Status

_SEVERITY_LABEL = {
    Severity.CRITICAL: "\U0001f7e5 Critical",
    Severity.HIGH: "\U0001f7e7 High",
    Severity.MEDIUM: "\U0001f7e8 Medium",
    Severity.LOW: "\U0001f7e6 Low",
    Severity.INFO: "\u2b1c Info",
}


def _row(*cells: object) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def _resource(f: Finding) -> str:
    label = f.resource_name or f.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return f"{label} [{f.sub_id}]" if f.sub_id else label


def _counts(report: ScanReport) -> list[str]:
    s = report.summary
    lines = [
        "| Severity | Unsuppressed failures |",
        "| --- | ---: |",
    ]
    for sev in Severity:
        lines.append(_row(_SEVERITY_LABEL[sev], s.failures_by_severity.get(sev.value, 0)))
    lines += [
        "",
        (
            f"**{s.total}** results: {s.by_status.get('pass', 0)} passed, {s.by_status.get('fail', 0)} failed "
            f"({s.suppressed} accepted risk{'s' if s.suppressed != 1 else ''}), "
            f"{s.by_status.get('error', 0)} could not be decided."
        ),
    ]
    if report.baseline is not None and s.new_failures is not None:
        lines.append(
            f"Since the baseline: **{s.new_failures}** new failure{'s' if s.new_failures != 1 else ''}, "
            f"**{s.fixed or 0}** fixed."
        )
    return lines


def _failures(report: ScanReport, top_n: int) -> list[str]:
    failing = sorted(
        (f for f in report.results if f.status is Status.FAIL and f.suppression is None), key=sort_key
    )
    if not failing:
        return ["### Failing findings", "", "No unsuppressed failures."]
    shown = failing[: max(0, top_n)]
    lines = [f"### Failing findings ({len(failing)})", ""]
    if shown:
        new_col = report.baseline is not None
        head = ["Severity", "Rule", "Resource", "Finding"] + (["New"] if new_col else [])
        lines += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        for f in shown:
            cells: list[object] = [
                _SEVERITY_LABEL[f.severity],
                f"{f.rule_id} {f.title}",
                _resource(f),
                f.message,
            ]
            if new_col:
                cells.append("new" if f.baseline_state == "new" else "")
            lines.append(_row(*cells))
    rest = len(failing) - len(shown)
    if rest > 0:
        more = f"\u2026 and {rest} more failing finding{'s' if rest != 1 else ''} (see report.html or findings.json)."
        lines += ["", more]
    return lines


def _coverage(report: ScanReport) -> list[str]:
    cov = report.scan.coverage
    errors = report.scan.errors
    rule_errors = [f for f in report.results if f.status is Status.ERROR]
    if cov.complete and not errors and not rule_errors:
        complete = f"Complete: {cov.subscriptions_complete} of {cov.subscriptions_total} subscriptions read"
        return ["### Coverage", "", complete + ", Microsoft Graph read."]
    lines = [
        "### Coverage gaps",
        "",
        f"{cov.subscriptions_complete} of {cov.subscriptions_total} subscriptions read completely"
        + (
            ""
            if cov.graph_complete
            else "; Microsoft Graph not read (collection.graph: false)"
            if not cov.graph_collected
            else "; Microsoft Graph incomplete"
        )
        + ".",
    ]
    if errors:
        lines += ["", "| Scope | Operation | Status | Message |", "| --- | --- | --- | --- |"]
        for e in errors:
            status = " ".join(str(x) for x in (e.status, e.code) if x is not None) or "-"
            lines.append(_row(e.scope, e.operation, status, e.message))
    if rule_errors:
        lines += [
            "",
            f"{len(rule_errors)} check{'s' if len(rule_errors) != 1 else ''} could not be decided:",
            "",
            "| Rule | Resource | Reason |",
            "| --- | --- | --- |",
        ]
        for f in sorted(rule_errors, key=sort_key):
            lines.append(_row(f.rule_id, _resource(f), f.message))
    return lines


class MarkdownReporter(Reporter):
    """Writes ``summary.md``: counts, top failing findings, coverage gaps, and the gate line last."""

    name = "md"
    filename = "summary.md"

    def render(self, report: ScanReport, options: ReportOptions) -> str:
        """The Markdown summary; ``options.top_n`` bounds the failures table and ``gate_line`` ends it."""
        scan = report.scan
        tenant = f"{scan.tenant_name} ({scan.tenant_id})" if scan.tenant_name else scan.tenant_id
        lines = [
            f"## {md_cell(report.tool.name)} compliance summary",
            "",
            (
                f"Tenant {md_cell(tenant)}, cloud {md_cell(scan.cloud)}; scanned "
                f"{scan.started_at:%Y-%m-%d %H:%M} to {scan.finished_at:%Y-%m-%d %H:%M} UTC with "
                f"{md_cell(report.tool.name)} {md_cell(report.tool.version)}."
            ),
            "",
            *_counts(report),
            "",
            *_failures(report, options.top_n),
            "",
            *_coverage(report),
        ]
        if options.gate_line:
            # The gate line names itself ("gate: FAILED — ..."); bold it rather than prefix it again.
            lines += ["", f"**{md_cell(options.gate_line)}**"]
        return "\n".join(lines) + "\n"
