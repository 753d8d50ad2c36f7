"""The JUnit XML reporter: one testcase per (rule, resource) for Azure DevOps PublishTestResults and GitLab.

A failing finding is a ``failure`` (message = the finding's message, body =
evidence and remediation), an accepted risk is ``skipped``, a rule that could
not decide is an ``error``. Each rule is one ``testsuite``; ``classname`` +
``name`` is unique across the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from typing import TextIO

from reports._text import display_value, strip_control, xml_text
from reports.base import Reporter, ReportOptions
from scanner.findings import Finding, RuleDoc, ScanReport, in_report_order
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


def _start_tag(el: ET.Element) -> str:
    """The start tag of a childless element as ElementTree writes it (attributes escaped, in order)."""
    empty = ET.tostring(el, encoding="unicode")
    assert empty.endswith(" />")
    return empty[: -len(" />")] + ">"


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    counts = {"tests": len(findings), "failures": 0, "errors": 0, "skipped": 0}
    for f in findings:
        if f.status is Status.FAIL:
            counts["skipped" if f.suppression is not None else "failures"] += 1
        elif f.status is Status.ERROR:
            counts["errors"] += 1
    return counts


def _testcase(f: Finding, classname: str, name: str) -> ET.Element:
    case = ET.Element("testcase")
    _set(case, "classname", classname)
    _set(case, "name", name)
    _set(case, "time", "0")
    if f.status is Status.FAIL and f.suppression is not None:
        _set(ET.SubElement(case, "skipped"), "message", _skip_message(f))
    elif f.status is Status.FAIL:
        failure = ET.SubElement(case, "failure")
        _set(failure, "message", f.message)
        _set(failure, "type", f.severity.value)
        failure.text = xml_text(_body(f))
    elif f.status is Status.ERROR:
        error = ET.SubElement(case, "error")
        _set(error, "message", f.message)
        _set(error, "type", "rule-error")
        error.text = xml_text(_body(f))
    return case


class JunitReporter(Reporter):
    """Writes ``junit.xml``: ``<testsuites>`` with one ``<testsuite>`` per rule that examined anything.

    The document is written suite by suite and test case by test case (each element serialised by
    ElementTree, indented as ``ET.indent`` would indent the whole tree), so millions of results never
    form one tree in memory.
    """

    name = "junit"
    filename = "junit.xml"

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        """The XML document (UTF-8 declaration, indented, deterministic order)."""
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in in_report_order(report.results):
            by_rule[f.rule_id].append(f)
        catalogue: dict[str, RuleDoc] = {r.id: r for r in report.rules}
        counts = {rule_id: _counts(findings) for rule_id, findings in by_rule.items()}

        root = ET.Element("testsuites")
        _set(root, "name", f"{report.tool.name} {report.scan.tenant_id}")
        for key in ("tests", "failures", "errors", "skipped"):
            _set(root, key, sum(c[key] for c in counts.values()))
        _set(root, "time", "0")
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        if not by_rule:
            out.write(ET.tostring(root, encoding="unicode") + "\n")
            return
        out.write(_start_tag(root))
        for rule_id in sorted(by_rule):
            out.write("\n" + _INDENT)
            self._write_suite(out, report, rule_id, by_rule[rule_id], catalogue.get(rule_id), counts[rule_id])
        out.write("\n</testsuites>\n")

    def _write_suite(
        self,
        out: TextIO,
        report: ScanReport,
        rule_id: str,
        findings: Sequence[Finding],
        rule: RuleDoc | None,
        counts: dict[str, int],
    ) -> None:
        suite = ET.Element("testsuite")
        _set(suite, "name", f"{rule_id} {rule.title if rule else findings[0].title}")
        _set(suite, "timestamp", _timestamp(report))
        _set(suite, "time", "0")
        for key, count in counts.items():
            _set(suite, key, count)
        props = ET.Element("properties")
        for key, value in (("severity", (rule or findings[0]).severity.value), ("rule_id", rule_id)):
            prop = ET.SubElement(props, "property")
            _set(prop, "name", key)
            _set(prop, "value", value)
        ET.indent(props, space=_INDENT, level=2)
        case_indent = "\n" + _INDENT * 2
        out.write(_start_tag(suite) + case_indent + ET.tostring(props, encoding="unicode"))
        classname = f"{report.tool.name}.{rule_id}"
        seen: set[str] = set()  # names are unique per suite; the classname differs between suites
        batch = ET.Element(_BATCH)
        for f in findings:
            name = f.resource_id + (f" [{f.sub_id}]" if f.sub_id else "")
            unique, n = name, 2
            while strip_control(unique) in seen:  # the engine never emits duplicates; stay unique anyway
                unique, n = f"{name} ({n})", n + 1
            seen.add(strip_control(unique))
            batch.append(_testcase(f, classname, unique))
            if len(batch) == _CASES_PER_BATCH:
                out.write(_serialize_cases(batch))
                batch = ET.Element(_BATCH)
        if len(batch):
            out.write(_serialize_cases(batch))
        out.write("\n" + _INDENT + "</testsuite>")


_INDENT = "  "
_BATCH = "batch"
_CASES_PER_BATCH = 512
"""Test cases serialised per ElementTree call: one call per case cost a third of the writer's time."""


def _serialize_cases(batch: ET.Element) -> str:
    """The cases of ``batch`` as they appear inside a ``<testsuite>`` (each preceded by its indentation),
    serialised in one ElementTree call and indented as ``ET.indent`` indents the whole document."""
    ET.indent(batch, space=_INDENT, level=1)
    text = ET.tostring(batch, encoding="unicode")
    opening, closing = f"<{_BATCH}>", "\n" + _INDENT + f"</{_BATCH}>"
    assert text.startswith(opening) and text.endswith(closing)
    return text[len(opening) : -len(closing)]
