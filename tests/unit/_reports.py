"""Builders of small ``ScanReport`` documents for gate, suppression, baseline, diff and bundle tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scanner.findings import (
    ComplianceDoc,
    Coverage,
    Finding,
    RemediationDoc,
    RuleDoc,
    ScanInfo,
    ScanReport,
    SubscriptionCoverage,
    ToolDoc,
    fingerprint,
    summarize,
)
from scanner.inventory import CollectionError, ScopeRequest
from scanner.rule import Severity, Status

TENANT = "72f988bf-0000-0000-0000-000000000000"
SUB = "00000000-0000-0000-0000-000000000001"
WEEK1 = datetime(2026, 6, 8, 6, 0, tzinfo=UTC)
WEEK2 = WEEK1 + timedelta(days=7)


def rid(name: str, *, sub: str = SUB, rg: str = "rg-fhir", kind: str = "Microsoft.KeyVault/vaults") -> str:
    """An ARM id of a resource ``name`` in ``rg``."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{kind}/{name}"


def finding(
    rule_id: str = "AHDS-NET-001",
    resource_id: str | None = None,
    *,
    status: Status | str = Status.FAIL,
    severity: Severity | str = Severity.HIGH,
    sub_id: str | None = None,
    message: str | None = None,
    **extra: Any,
) -> Finding:
    """One result; the fingerprint is computed the way the engine computes it."""
    resource_id = resource_id or rid("kv1")
    st = Status(status)
    fields: dict[str, Any] = {"resource_name": resource_id.rsplit("/", 1)[-1], **extra}
    return Finding(
        rule_id=rule_id,
        title=f"title of {rule_id}",
        severity=Severity(severity),
        status=st,
        resource_id=resource_id,
        resource_type="Microsoft.KeyVault/vaults",
        subscription_id=SUB if resource_id.lower().startswith("/subscriptions/") else None,
        sub_id=sub_id,
        message=message or f"{rule_id} {st.value} on {resource_id.rsplit('/', 1)[-1]}",
        evidence={"observed": st.value},
        remediation=RemediationDoc(portal="fix it"),
        compliance=ComplianceDoc(),
        fingerprint=fingerprint(rule_id, resource_id, sub_id),
        **fields,
    )


def report(
    results: list[Finding],
    *,
    errors: list[CollectionError] | None = None,
    started_at: datetime = WEEK1,
    tenant_id: str = TENANT,
    graph_complete: bool = True,
    version: str = "0.1.0",
) -> ScanReport:
    """A findings document around ``results``; ``errors`` make the single subscription incomplete."""
    errors = errors or []
    complete = not errors
    return ScanReport(
        tool=ToolDoc(version=version),
        scan=ScanInfo(
            started_at=started_at,
            finished_at=started_at + timedelta(minutes=3),
            tenant_id=tenant_id,
            cloud="AzureCloud",
            scope=ScopeRequest(),
            coverage=Coverage(
                complete=complete and graph_complete,
                subscriptions_total=1,
                subscriptions_complete=1 if complete else 0,
                subscriptions=[SubscriptionCoverage(subscription_id=SUB, complete=complete)],
                graph_complete=graph_complete,
            ),
            errors=errors,
        ),
        summary=summarize(results),
        results=results,
    )


def unreadable(scope: str = f"/subscriptions/{SUB}") -> CollectionError:
    """A collection error of one scope (HTTP 403)."""
    return CollectionError(scope=scope, operation="vaults.list_by_subscription", status=403, message="denied")


def rule_doc(rule_id: str, *, severity: Severity | str = Severity.HIGH, version: str = "1") -> RuleDoc:
    """A catalogue entry for ``rule_id`` (a report lists the rules that ran)."""
    return RuleDoc(
        id=rule_id,
        version=version,
        area=rule_id.split("-")[1],
        title=f"title of {rule_id}",
        severity=Severity(severity),
        description="d",
        rationale="r",
        remediation=RemediationDoc(portal="fix it"),
        compliance=ComplianceDoc(),
    )
