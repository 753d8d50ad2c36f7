"""findings.json: the document itself, valid against the shipped schema and readable back as a baseline."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from reports.base import ReportOptions
from reports.json import JsonReporter
from scanner.findings import ScanReport, findings_json_schema, load_findings, sort_key
from tests.reports.conftest import check_golden


def test_valid_and_round_trips(demo: ScanReport, hostile: ScanReport, tmp_path: Path) -> None:
    for report in (demo, hostile):
        text = JsonReporter().render(report, ReportOptions())
        errors = list(Draft202012Validator(findings_json_schema()).iter_errors(json.loads(text)))
        assert not errors, errors[:3]
        path = tmp_path / "findings.json"
        path.write_text(text, encoding="utf-8")
        assert load_findings(path) == report.model_copy(update={"results": sorted(report.results, key=sort_key)})


def test_results_are_in_report_order(demo: ScanReport) -> None:
    shuffled = demo.model_copy(update={"results": list(reversed(demo.results))})
    text = JsonReporter().render(shuffled, ReportOptions())
    assert text == JsonReporter().render(demo, ReportOptions())


def test_golden(demo: ScanReport) -> None:
    check_golden("demo.findings.json", JsonReporter().render(demo, ReportOptions()))
