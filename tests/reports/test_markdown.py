"""Markdown summary: counts, top-N failures, coverage gaps, gate line last; hostile names stay inert."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from reports.base import ReportOptions
from reports.markdown import MarkdownReporter
from scanner.findings import ScanReport
from scanner.rule import Status
from tests.reports.conftest import check_golden

GATE = "Gate failed: 2 unsuppressed failures at or above high (threshold --fail-on high)."


def _md(report: ScanReport, **opts: object) -> str:
    return MarkdownReporter().render(report, ReportOptions(**opts))  # type: ignore[arg-type]


def _html(md: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(md)


def test_counts_failures_and_coverage(demo: ScanReport) -> None:
    md = _md(demo, gate_line=GATE)
    assert "| 🟥 Critical | 2 |" in md and "| 🟧 High | 1 |" in md
    failing = [f for f in demo.results if f.status is Status.FAIL and not f.suppression]
    assert f"### Failing findings ({len(failing)})" in md
    for f in failing:
        assert f.rule_id in md
    assert "accepted risk" in md and "fhir-dev" not in md.split("### Coverage")[0].split("Failing findings")[1]
    assert "### Coverage gaps" in md and "403 AuthorizationFailed" in md and "AHDS-TLS-003" in md
    escaped = GATE.replace(":", "\\:").replace("(", "\\(").replace(")", "\\)")
    assert md.rstrip().splitlines()[-1] == f"**{escaped}**"


def test_top_n_then_the_rest_counted(demo: ScanReport) -> None:
    md = _md(demo, top_n=1)
    table = [line for line in md.split("### Failing findings")[1].split("###")[0].splitlines()
             if line.startswith("| ") and "---" not in line]
    assert len(table) == 2  # header + one row
    assert "\u2026 and 2 more failing findings" in md


def test_complete_scan_says_so(demo: ScanReport) -> None:
    cov = demo.scan.coverage.model_copy(update={"complete": True, "subscriptions_complete": 2})
    ok = demo.model_copy(update={
        "scan": demo.scan.model_copy(update={"coverage": cov, "errors": []}),
        "results": [f for f in demo.results if f.status is not Status.ERROR],
    })
    md = _md(ok)
    assert "### Coverage gaps" not in md and "Complete: 2 of 2 subscriptions" in md


def test_hostile_names_cannot_break_tables_or_inject(hostile: ScanReport) -> None:
    md = _md(hostile, gate_line="x | [y](https://evil.example) <b>")
    html = _html(md)
    for tag in ("<a ", "<img", "<script", "<strong>**", "<em", "<code", "<b>"):
        assert tag not in html, tag
    # each table row keeps its column count whatever the cells hold
    for table in re.findall(r"<table>.*?</table>", html, flags=re.DOTALL):
        widths = {row.count("<td") + row.count("<th") for row in re.findall(r"<tr>.*?</tr>", table, flags=re.DOTALL)}
        assert len(widths) == 1, table
    assert not re.search(r"(?<!\\)(https?:|www\.|@evil)", md)  # nothing GitHub could autolink


def test_golden(demo: ScanReport, hostile: ScanReport) -> None:
    check_golden("demo.summary.md", _md(demo, gate_line=GATE))
    check_golden("hostile.summary.md", _md(hostile, gate_line="x|y"))
