"""The findings document (``findings.json``): the public contract reporters, baselines and CI build on.

Its shape is fixed by DESIGN.md; the JSON Schema shipped in the package is
generated from these models (``findings_json_schema``), and a test fails when
the checked-in copy is stale. Reporters read only this document: it carries
the rule catalogue too, so no reporter needs the registry or Azure.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from scanner._jsontext import SPLICE, Fragment, encode_at, shaped_encoder, write_spliced
from scanner.errors import SnapshotError
from scanner.inventory import CollectionError, Identity, ScopeRequest, normalize_id
from scanner.rule import Severity, Status

FINDINGS_SCHEMA_VERSION = "1.0"

FINGERPRINT_VERSION = "v1"
"""Part of every fingerprint: bump only if the recipe below changes (it would re-key every alert)."""


def fingerprint(rule_id: str, resource_id: str, sub_id: str | None = None) -> str:
    """A stable identity for (rule, resource, sub-object), never derived from volatile values.

    Case and trailing slashes of the ARM id do not matter, and neither do
    dates, messages or the tool's version, so an alert keeps its identity
    week to week and across patch releases.
    """
    return fingerprint_with_prefix(fingerprint_prefix(rule_id), normalize_id(resource_id), sub_id)


def fingerprint_prefix(rule_id: str) -> str:
    """The part of every fingerprint's input that depends on the rule only (computed once per rule)."""
    return f"{FINGERPRINT_VERSION}|{rule_id.upper()}|"


def fingerprint_with_prefix(prefix: str, resource_key: str, sub_id: str | None) -> str:
    """``fingerprint`` for a resource id already passed through ``normalize_id`` (the engine's hot path).

    The recipe: sha256 of ``v1|RULE-ID|normalised resource id|sub-object``, first 32 hex digits."""
    text = prefix + resource_key + "|" + (sub_id.lower() if sub_id else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _Doc(BaseModel):
    # defer_build: the validators are built on first use, not at import (keeps `rules list` fast).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class RemediationDoc(_Doc):
    """How to fix a failure."""

    portal: str
    cli: str | None = None
    bicep: str | None = None


class ComplianceDoc(_Doc):
    """Control mappings of a rule."""

    hipaa: list[str] = Field(default_factory=list)
    nist: list[str] = Field(default_factory=list)
    mcsb: list[str] = Field(default_factory=list)
    azure_policy: list[str] = Field(default_factory=list)


class RuleDoc(_Doc):
    """One rule of the catalogue as it ran (after severity overrides)."""

    id: str
    version: str
    area: str
    title: str
    severity: Severity
    description: str
    rationale: str
    remediation: RemediationDoc
    references: list[str] = Field(default_factory=list)
    compliance: ComplianceDoc
    resource_types: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    """The effective settings the rule ran with (defaults plus config overrides)."""


class Suppression(_Doc):
    """The accepted-risk entry that suppressed a failure."""

    justification: str
    expires: date
    owner: str
    entry: str | None = None
    """Where the entry came from (``file:line``), for auditors."""
    ticket: str | None = None
    """The change or risk ticket the entry cites, when it cites one."""


# A slotted dataclass, not a pydantic model: a 1M-assignment tenant gives millions of findings, and a validated
# model took ~8 us and ~3 KB each where this takes ~0.5 us and a fraction of the memory (not frozen either: a
# frozen dataclass takes six times as long to build). Treat it as a value and derive a changed one with
# ``dataclasses.replace``. The engine builds findings only from results it has checked; documents read back
# from disk (``load_findings``) are still validated field by field, because ``ScanReport.results`` is typed
# with this class and pydantic validates stdlib dataclasses (with ``extra="forbid"`` below). The class
# docstring is the schema's description of a finding.
@dataclass(slots=True, kw_only=True)
class Finding:
    """One result of one rule for one examined resource (or sub-object)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    rule_id: str
    rule_version: str = "1"
    title: str
    severity: Severity
    status: Status
    resource_id: str
    resource_type: str
    resource_name: str | None = None
    subscription_id: str | None = None
    sub_id: str | None = None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: RemediationDoc
    compliance: ComplianceDoc
    fingerprint: str
    suppression: Suppression | None = None
    baseline_state: Literal["new", "unchanged"] | None = None


def evidence_default(value: Any) -> Any:
    """``json.dumps``'s ``default`` for evidence: rules are asked for JSON values, but a (third-party) rule's
    datetime, set or model is written the way pydantic serialises it (else its ``repr``), not a crash."""
    return to_jsonable_python(value, fallback=repr)


def finding_document(f: Finding, remediation: Any, compliance: Any) -> dict[str, Any]:
    """The JSON object of one finding in ``findings.json`` (``remediation``/``compliance`` given pre-encoded).

    Spelled out field by field (instead of a generic dump) because it runs once per finding; a test checks
    it against pydantic's own serialisation of the same finding.
    """
    suppression = f.suppression
    return {
        "rule_id": f.rule_id,
        "rule_version": f.rule_version,
        "title": f.title,
        "severity": f.severity.value,
        "status": f.status.value,
        "resource_id": f.resource_id,
        "resource_type": f.resource_type,
        "resource_name": f.resource_name,
        "subscription_id": f.subscription_id,
        "sub_id": f.sub_id,
        "message": f.message,
        "evidence": f.evidence,
        "remediation": remediation,
        "compliance": compliance,
        "fingerprint": f.fingerprint,
        "suppression": None if suppression is None else suppression.model_dump(mode="json"),
        "baseline_state": f.baseline_state,
    }


class SubscriptionCoverage(_Doc):
    """Whether one subscription in scope was read completely."""

    subscription_id: str
    display_name: str | None = None
    complete: bool


class Coverage(_Doc):
    """What was read: the auditor's answer to 'did the scan see everything?'."""

    complete: bool
    subscriptions_total: int
    subscriptions_complete: int
    subscriptions: list[SubscriptionCoverage] = Field(default_factory=list)
    graph_complete: bool = True
    graph_collected: bool = True
    """False when Graph was skipped by configuration: app registrations and principals were not examined."""


class ScanInfo(_Doc):
    """When, where and as whom the scan ran."""

    started_at: datetime
    finished_at: datetime
    tenant_id: str
    tenant_name: str | None = None
    cloud: str
    identity: Identity | None = None
    scope: ScopeRequest
    coverage: Coverage
    errors: list[CollectionError] = Field(default_factory=list)
    snapshot_schema_version: str | None = None
    rule_catalogue_version: str | None = None
    """A digest of the rule ids and versions that ran: two scans with equal values ran the same rules."""


class Summary(_Doc):
    """Counts for the executive summary and the gate line."""

    total: int
    by_status: dict[str, int]
    failures_by_severity: dict[str, int]
    """Unsuppressed failures only, per severity."""
    suppressed: int = 0
    new_failures: int | None = None
    fixed: int | None = None


class FixedFinding(_Doc):
    """A failure present in the baseline and gone now."""

    rule_id: str
    title: str
    severity: Severity
    resource_id: str
    sub_id: str | None = None
    fingerprint: str
    message: str


class BaselineInfo(_Doc):
    """The baseline this scan was compared with."""

    path: str | None = None
    started_at: datetime | None = None
    fixed: list[FixedFinding] = Field(default_factory=list)


class ToolDoc(_Doc):
    """Which build of the tool produced the findings."""

    name: str = "ahds-audit"
    version: str


class ScanReport(_Doc):
    """The whole ``findings.json`` document."""

    schema_version: str = FINDINGS_SCHEMA_VERSION
    tool: ToolDoc
    scan: ScanInfo
    summary: Summary
    results: list[Finding]
    rules: list[RuleDoc] = Field(default_factory=list)
    baseline: BaselineInfo | None = None
    accepted_risk_warnings: list[str] = Field(default_factory=list)
    """Accepted-risk entries that suppressed nothing (invalid, expired) or matched nothing (stale)."""
    report_id: str | None = None
    """Content digest of this document's results: names this report in the HTML footer and bundles."""

    def to_json(self) -> str:
        """The whole document as text (see ``write_json``); for small documents and tests."""
        buffer = io.StringIO()
        self.write_json(buffer)
        return buffer.getvalue()

    def write_json(self, out: TextIO, results: Iterable[Finding] | None = None) -> None:
        """Serialise deterministically to ``out``: sorted keys, ISO datetimes, UTF-8 safe.

        The text is ``json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True,
        ensure_ascii=False)`` plus a newline, with ``results`` (default: ``self.results``) in place of the
        document's own. It is produced by ``_jsontext`` one result at a time (linear, and never the whole
        document in memory), encoding each rule's remediation and compliance blocks once instead of once
        per result.
        """
        doc = self.model_dump(mode="json", exclude={"results"})
        doc["results"] = SPLICE
        shared: dict[int, Fragment] = {}

        def once(value: _Doc) -> Fragment:
            # Findings of one rule share these objects (the engine builds them once per rule).
            found = shared.get(id(value))
            if found is None:
                found = shared[id(value)] = Fragment(
                    encode_at(value.model_dump(mode="json"), _FINDING_FIELD_LEVEL, ensure_ascii=False)
                )
            return found

        encode_document = shaped_encoder(_FINDING_KEYS, ensure_ascii=False, default=evidence_default)

        def encode(f: Finding, level: int) -> str:
            return encode_document(finding_document(f, once(f.remediation), once(f.compliance)), level)

        items = self.results if results is None else results
        write_spliced(out, doc, items, ensure_ascii=False, encode_item=encode)
        out.write("\n")


_FINDING_KEYS = tuple(f.name for f in fields(Finding))
"""The keys of every finding's JSON object (``finding_document``)."""

_FINDING_FIELD_LEVEL = 3
"""Depth of a result's field values in ``findings.json``: document > results list > result > field."""


def summarize(results: list[Finding]) -> Summary:
    """Count results by status, and unsuppressed failures by severity."""
    by_status = {s.value: 0 for s in Status}
    by_sev = {s.value: 0 for s in Severity}
    suppressed = 0
    new = 0
    for f in results:
        by_status[f.status.value] += 1
        if f.status is Status.FAIL:
            if f.suppression is not None:
                suppressed += 1
            else:
                by_sev[f.severity.value] += 1
                if f.baseline_state == "new":
                    new += 1
    has_baseline = any(f.baseline_state is not None for f in results)
    return Summary(
        total=len(results),
        by_status=by_status,
        failures_by_severity=by_sev,
        suppressed=suppressed,
        new_failures=new if has_baseline else None,
    )


def sort_key(f: Finding) -> tuple[int, str, str, str]:
    """Deterministic report order: most severe first, then rule id, resource id, sub-object."""
    return (-f.severity.rank, f.rule_id, normalize_id(f.resource_id), f.sub_id or "")


def in_report_order(results: Sequence[Finding]) -> Sequence[Finding]:
    """``results`` sorted by ``sort_key``: the same list when it already is (as the engine returns it), else a
    sorted copy. Reporters call this instead of ``sorted`` so millions of results are not copied per format."""
    previous: tuple[int, str, str, str] | None = None
    for f in results:
        key = sort_key(f)
        if previous is not None and key < previous:
            return sorted(results, key=sort_key)
        previous = key
    return results


def findings_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``findings.json``, generated from the models (shipped in the package)."""
    schema = ScanReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/ahds-audit/ahds-audit/schema/findings.schema.json"
    return schema


def load_findings(path: Path) -> ScanReport:
    """Read a ``findings.json`` (e.g. a baseline). Raises SnapshotError (exit 2) with one line."""
    from scanner._documents import parse_versioned

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read findings: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not a UTF-8 findings.json") from exc
    return parse_versioned(
        text,
        ScanReport,
        source=str(path),
        kind="an ahds-audit findings.json",
        schema_version=FINDINGS_SCHEMA_VERSION,
    )
