"""The ``findings.json`` reporter: the findings document itself, the contract baselines and CI read back."""

from __future__ import annotations

from reports.base import Reporter, ReportOptions
from scanner.findings import ScanReport, sort_key


class JsonReporter(Reporter):
    """Writes the whole ``ScanReport`` (every status, the rule catalogue, coverage) with sorted keys and results."""

    name = "json"
    filename = "findings.json"

    def render(self, report: ScanReport, options: ReportOptions) -> str:
        """The document as ``ScanReport.to_json`` writes it, results in report order (severity, rule, resource)."""
        ordered = report.model_copy(update={"results": sorted(report.results, key=sort_key)})
        return ordered.to_json()
