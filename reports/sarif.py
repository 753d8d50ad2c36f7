"""The SARIF 2.1.0 reporter: findings for GitHub code scanning, Azure DevOps and any SARIF viewer.

Every result carries a file location (a pseudo path derived from the ARM id,
or the mapped IaC file) because GitHub rejects an upload with any result
lacking one, plus the real ARM id as a logical location and in the message.
Fingerprints come only from rule id, normalised resource id and sub-object,
so an alert keeps its identity week to week.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from reports._location import artifact_uri
from reports._text import clean_text, truncate
from reports.base import Reporter, ReportOptions
from scanner._jsontext import SPLICE, write_spliced
from scanner.findings import Finding, RuleDoc, ScanReport, evidence_default, fingerprint, in_report_order
from scanner.rule import Severity, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/ahds-audit/ahds-audit"

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
"""GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. ``info`` gets none (not a
security alert)."""

LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

AREA_TAGS: dict[str, str] = {
    "CRED": "credentials",
    "RBAC": "rbac",
    "CMK": "encryption",
    "NET": "network",
    "TLS": "tls",
}

MAX_TAGS = 20
MAX_FULL_DESCRIPTION = 1024
FINGERPRINT_KEY = "ahdsAuditFingerprint/v1"


def _rule_name(title: str) -> str:
    """A Pascal-case friendly name from the title (SARIF ``reportingDescriptor.name``)."""
    # Single-letter words ("a") would put two capitals in a row, which is not Pascal case.
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title) if len(w) > 1 or w.isdigit()]
    name = "".join(w[:1].upper() + w[1:].lower() for w in words)
    return name if name[:1].isalpha() else "Rule" + name


def _tags(rule: RuleDoc) -> list[str]:
    tags = ["security", AREA_TAGS.get(rule.area.upper(), rule.area.lower())]
    tags += [f"external/hipaa/{c}" for c in rule.compliance.hipaa]
    tags += [f"external/nist/{c}" for c in rule.compliance.nist]
    tags += [f"external/mcsb/{c}" for c in rule.compliance.mcsb]
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _fence(code: str, lang: str) -> str:
    """A fenced Markdown code block whose fence is longer than any backtick run inside ``code``."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code}\n{fence}"


def _help(rule: RuleDoc) -> dict[str, str]:
    """Remediation as plain text and Markdown (rule metadata is authored, but still escaped like data)."""
    rem = rule.remediation
    text = [rule.description, "", f"Why it matters: {rule.rationale}", "", "Remediation:", rem.portal]
    md = [_md_text(rule.description), "", f"**Why it matters.** {_md_text(rule.rationale)}", "",
          "**Remediation**", "", _md_text(rem.portal)]
    if rem.cli:
        text += ["", "Azure CLI:", rem.cli]
        md += ["", _fence(rem.cli, "shell")]
    if rem.bicep:
        text += ["", "Bicep:", rem.bicep]
        md += ["", _fence(rem.bicep, "bicep")]
    refs = [u for u in rule.references if u.startswith("https://")]
    if refs:
        text += ["", "References:"] + [f"- {u}" for u in refs]
        md += ["", "**References**", ""] + [f"- <{u}>" for u in refs if not re.search(r"[\s<>]", u)]
    return {"text": clean_text("\n".join(text)), "markdown": clean_text("\n".join(md))}


def _md_text(text: str) -> str:
    """Multi-line prose for Markdown help: HTML and link syntax escaped, line breaks kept."""
    return re.sub(r"([\\`*_\[\]<>|!&])", r"\\\1", clean_text(text))


def _descriptor(rule: RuleDoc) -> dict[str, Any]:
    props: dict[str, Any] = {
        "tags": _tags(rule),
        "precision": "high",
        "problem.severity": "recommendation" if rule.severity is Severity.INFO else LEVEL[rule.severity],
        "severity": rule.severity.value,
        "area": rule.area,
        "version": rule.version,
        "compliance": rule.compliance.model_dump(mode="json"),
    }
    if rule.severity in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[rule.severity]
    desc: dict[str, Any] = {
        "id": rule.id,
        "name": _rule_name(rule.title),
        "shortDescription": {"text": clean_text(truncate(rule.title, MAX_FULL_DESCRIPTION))},
        "fullDescription": {"text": clean_text(truncate(rule.description, MAX_FULL_DESCRIPTION))},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": props,
    }
    refs = [u for u in rule.references if u.startswith("https://")]
    desc["helpUri"] = refs[0] if refs else f"{INFORMATION_URI}#rules"
    return desc


def _rule_from_finding(f: Finding) -> RuleDoc:
    """A catalogue entry for a finding whose rule the document does not list (older or hand-made documents)."""
    return RuleDoc(
        id=f.rule_id, version=f.rule_version, area=f.rule_id.split("-")[1] if f.rule_id.count("-") >= 2 else "",
        title=f.title, severity=f.severity, description=f.title, rationale=f.title,
        remediation=f.remediation, compliance=f.compliance,
    )


def _message(f: Finding) -> str:
    text = f.message.rstrip()
    if f.resource_id.lower() not in text.lower():
        text = f"{text} Resource: {f.resource_id}"
    if f.sub_id:
        text = f"{text} (sub-object: {f.sub_id})"
    return clean_text(text)


def _result(
    f: Finding, index: int, options: ReportOptions, with_baseline: bool, compliance: dict[str, Any]
) -> dict[str, Any]:
    if f.status is Status.FAIL:
        kind, level = "fail", LEVEL[f.severity]
    elif f.status is Status.PASS:
        kind, level = "pass", "none"
    else:
        kind, level = "open", "none"  # the rule could not decide: SARIF's "open" kind
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(f.resource_id, options.iac_map), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 1},
        },
        "logicalLocations": [{"fullyQualifiedName": f.resource_id, "name": f.resource_name or f.resource_id}],
    }
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": _message(f)},
        "locations": [location],
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint(f.rule_id, f.resource_id, f.sub_id)[:16] + ":1",
            FINGERPRINT_KEY: f.fingerprint,
        },
        "properties": {
            "status": f.status.value,
            "severity": f.severity.value,
            "resourceType": f.resource_type,
            "subscriptionId": f.subscription_id,
            "subId": f.sub_id,
            "evidence": f.evidence,
            "compliance": compliance,
        },
    }
    if with_baseline:
        result["baselineState"] = f.baseline_state
    if f.suppression is not None:
        s = f.suppression
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": clean_text(s.justification),
                "properties": {"owner": s.owner, "expires": s.expires.isoformat(), "entry": s.entry},
            }
        ]
    return result


def _selected(report: ScanReport, options: ReportOptions) -> Sequence[Finding]:
    """Unsuppressed failures by default (what should alert); every result with ``sarif_all``."""
    ordered = in_report_order(report.results)
    if options.sarif_all:
        return ordered
    return [f for f in ordered if f.status is Status.FAIL and f.suppression is None]


def _notifications(report: ScanReport) -> list[dict[str, Any]]:
    """Collection errors as error-level notifications (a scope was not read: the verdict is partial)."""
    notes = []
    for e in report.scan.errors:
        status = f"HTTP {e.status}" if e.status is not None else "no HTTP status"
        code = f" {e.code}" if e.code else ""
        notes.append(
            {
                "level": "error",
                "descriptor": {"id": "collection-error"},
                "message": {"text": clean_text(f"Could not read {e.scope} ({e.operation}): {status}{code}: "
                                               f"{e.message}")},
                "properties": {"scope": e.scope, "operation": e.operation, "status": e.status, "code": e.code},
            }
        )
    return notes


def _category(report: ScanReport, options: ReportOptions) -> str:
    category = options.sarif_category or f"ahds-audit/{report.scan.tenant_id}/"
    return category if category.endswith("/") else category + "/"


def build_sarif(report: ScanReport, options: ReportOptions) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict (one run), for callers that post-process it."""
    document, results = _document(report, options)
    document["runs"][0]["results"] = list(results)
    return document


def write_sarif(report: ScanReport, options: ReportOptions, out: TextIO) -> None:
    """The SARIF log as text (keys sorted), streamed to ``out`` one result at a time."""
    # write_spliced: the very text of json.dumps(indent=2, sort_keys=True), written result by result.
    document, results = _document(report, options)
    document["runs"][0]["results"] = SPLICE
    write_spliced(out, document, results, ensure_ascii=False, default=evidence_default)
    out.write("\n")


def _document(report: ScanReport, options: ReportOptions) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The log without its results (``runs[0].results`` is left for the caller), and the results to come."""
    catalogue = {r.id: r for r in report.rules}
    results = _selected(report, options)
    for f in results:
        if f.rule_id not in catalogue:
            catalogue[f.rule_id] = _rule_from_finding(f)
    rules = sorted(catalogue.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}
    # baselineState is all-or-none across a run; set it only when every result has one.
    with_baseline = bool(results) and report.baseline is not None and all(f.baseline_state for f in results)
    # A rule's findings share one compliance object: dump it once per object, not once per result.
    dumped: dict[int, dict[str, Any]] = {}

    def compliance_of(f: Finding) -> dict[str, Any]:
        found = dumped.get(id(f.compliance))
        if found is None:
            found = dumped[id(f.compliance)] = f.compliance.model_dump(mode="json")
        return found

    sarif_results = (_result(f, index[f.rule_id], options, with_baseline, compliance_of(f)) for f in results)
    scan = report.scan
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool.name,
                "fullName": f"{report.tool.name} {report.tool.version}: security compliance scanner for "
                "Azure Health Data Services FHIR",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(r) for r in rules],
                "notifications": [
                    {
                        "id": "collection-error",
                        "name": "CollectionError",
                        "shortDescription": {"text": "A scope of the tenant could not be read."},
                        "fullDescription": {"text": "The scan could not read a subscription, resource or Graph "
                                            "collection; results for it are missing and the scan is incomplete."},
                        "defaultConfiguration": {"level": "error"},
                        "help": {"text": "Grant the scanning identity Reader on the scope (and the Graph "
                                 "permissions the README lists), then scan again."},
                    }
                ],
            }
        },
        "automationDetails": {"id": _category(report, options)},
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "invocations": [
            {
                # The document exists only when the scan ran to the end; unreadable scopes are data (below).
                "executionSuccessful": True,
                "startTimeUtc": scan.started_at.isoformat().replace("+00:00", "Z"),
                "endTimeUtc": scan.finished_at.isoformat().replace("+00:00", "Z"),
                "toolExecutionNotifications": _notifications(report),
            }
        ],
        "results": [],
        "properties": {
            "tenantId": scan.tenant_id,
            "tenantName": scan.tenant_name,
            "cloud": scan.cloud,
            "coverageComplete": scan.coverage.complete,
            "reportId": report.report_id,
            "ruleCatalogueVersion": scan.rule_catalogue_version,
            "summary": report.summary.model_dump(mode="json"),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, sarif_results


class SarifReporter(Reporter):
    """Writes ``findings.sarif``: failing results by default, everything with ``--sarif-all``."""

    name = "sarif"
    filename = "findings.sarif"

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        """The SARIF log, keys sorted, results in report order."""
        write_sarif(report, options, out)
