"""The ``findings.json`` reporter: the findings document itself, the contract baselines and CI read back."""

from __future__ import annotations

from typing import TextIO

from reports.base import Reporter, ReportOptions
from scanner.findings import ScanReport, in_report_order


class JsonReporter(Reporter):
    """Writes the whole ``ScanReport`` (every status, the rule catalogue, coverage) with sorted keys and results."""

    name = "json"
    filename = "findings.json"

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        """The document as ``ScanReport.write_json`` writes it, results in report order (severity, rule,
        resource), streamed one result at a time."""
        report.write_json(out, results=in_report_order(report.results))
