"""The JUnit XML reporter: one testcase per (rule, resource) for Azure DevOps PublishTestResults and GitLab.

A failing finding is a ``failure`` (message = the finding's message, body =
evidence and remediation), an accepted risk is ``skipped``, a rule that could
not decide is an ``error``. Each rule is one ``testsuite``; ``classname`` +
``name`` is unique across the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from reports._text import display_value, strip_control, xml_text
from reports.base import Reporter, ReportOptions
from scanner.findings import Finding, RuleDoc, ScanReport, sort_key
from scanner.rule import Status


def _timestamp(report: ScanReport) -> str:
    """``xs:dateTime`` without zone, as the JUnit schema types it (the scan's start, in UTC)."""
    return report.scan.started_at.strftime("%Y-%m-%dT%H:%M:%S")


def _body(f: Finding) -> str:
    lines = [f.message, "", f"Resource: {f.resource_id}"]
    if f.sub_id:
        lines.append(f"Sub-object: {f.sub_id}")
    lines.append(f"Severity: {f.severity.value}")
    if f.evidence:
        lines += ["", "Evidence:"] + [f"  {k}: {display_value(v)}" for k, v in sorted(f.evidence.items())]
    lines += ["", "Remediation:", f.remediation.portal]
    if f.remediation.cli:
        lines += ["", "Azure CLI:", f.remediation.cli]
    return "\n".join(lines)


def _skip_message(f: Finding) -> str:
    s = f.suppression
    assert s is not None
    return f"Accepted risk (owner {s.owner}, expires {s.expires.isoformat()}): {s.justification}"


def _set(el: ET.Element, key: str, value: object) -> None:
    """Attributes stay on one line (CI pages show them as titles); XML-forbidden characters are replaced."""
    el.set(key, xml_text(strip_control(str(value))))


class JunitReporter(Reporter):
    """Writes ``junit.xml``: ``<testsuites>`` with one ``<testsuite>`` per rule that examined anything."""

    name = "junit"
    filename = "junit.xml"

    def render(self, report: ScanReport, options: ReportOptions) -> str:
        """The XML document (UTF-8 declaration, indented, deterministic order)."""
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in sorted(report.results, key=sort_key):
            by_rule[f.rule_id].append(f)
        catalogue: dict[str, RuleDoc] = {r.id: r for r in report.rules}

        root = ET.Element("testsuites")
        _set(root, "name", f"{report.tool.name} {report.scan.tenant_id}")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seen: set[tuple[str, str]] = set()
        for rule_id in sorted(by_rule):
            findings = by_rule[rule_id]
            suite = ET.SubElement(root, "testsuite")
            rule = catalogue.get(rule_id)
            title = rule.title if rule else findings[0].title
            counts = {"tests": len(findings), "failures": 0, "errors": 0, "skipped": 0}
            _set(suite, "name", f"{rule_id} {title}")
            _set(suite, "timestamp", _timestamp(report))
            _set(suite, "time", "0")
            props = ET.SubElement(suite, "properties")
            for key, value in (("severity", (rule or findings[0]).severity.value), ("rule_id", rule_id)):
                prop = ET.SubElement(props, "property")
                _set(prop, "name", key)
                _set(prop, "value", value)
            for f in findings:
                case = ET.SubElement(suite, "testcase")
                classname = f"{report.tool.name}.{rule_id}"
                name = f.resource_id + (f" [{f.sub_id}]" if f.sub_id else "")
                unique, n = name, 2
                while (classname, strip_control(unique)) in seen:  # the engine never emits duplicates; stay unique anyway
                    unique, n = f"{name} ({n})", n + 1
                seen.add((classname, strip_control(unique)))
                _set(case, "classname", classname)
                _set(case, "name", unique)
                _set(case, "time", "0")
                if f.status is Status.FAIL and f.suppression is not None:
                    counts["skipped"] += 1
                    _set(ET.SubElement(case, "skipped"), "message", _skip_message(f))
                elif f.status is Status.FAIL:
                    counts["failures"] += 1
                    failure = ET.SubElement(case, "failure")
                    _set(failure, "message", f.message)
                    _set(failure, "type", f.severity.value)
                    failure.text = xml_text(_body(f))
                elif f.status is Status.ERROR:
                    counts["errors"] += 1
                    error = ET.SubElement(case, "error")
                    _set(error, "message", f.message)
                    _set(error, "type", "rule-error")
                    error.text = xml_text(_body(f))
            for key, count in counts.items():
                _set(suite, key, count)
                totals[key] += count
        for key in ("tests", "failures", "errors", "skipped"):
            _set(root, key, totals[key])
        _set(root, "time", "0")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
