"""Hand-built ``ScanReport`` documents for the reporter tests: a realistic demo and a hostile tenant.

They cover every case a reporter must render: pass, fail, error and
suppressed (current and expired) results, a raised per-result severity,
Entra objects, collection errors, incomplete coverage and a baseline with
new, unchanged and fixed items.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from scanner.findings import (
    BaselineInfo,
    ComplianceDoc,
    Coverage,
    Finding,
    FixedFinding,
    RemediationDoc,
    RuleDoc,
    ScanInfo,
    ScanReport,
    SubscriptionCoverage,
    Suppression,
    ToolDoc,
    fingerprint,
    sort_key,
    summarize,
)
from scanner.inventory import CollectionError, Identity, ScopeRequest
from scanner.rule import Severity, Status

TENANT = "72f988bf-0000-0000-0000-000000000000"
SUB = "00000000-0000-0000-0000-000000000001"
SUB2 = "00000000-0000-0000-0000-000000000002"
STARTED = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
FINISHED = datetime(2026, 6, 15, 12, 3, 27, tzinfo=UTC)

HOSTILE = {
    "script": "<script>window.pwned=1</script>",
    "img": '<img src=x onerror="window.pwned=2">',
    "link": "[click me](https://evil.example/x) ![i](https://evil.example/i.png)",
    "md": "**bold** _it_ `code` | pipe | ~~s~~ $x^2$ # h",
    "ctrl": "bell\x07esc\x1b[31mnul\x00del\x7f line\nbreak\r\ttab \u2028sep",
    "auto": "www.evil.example https://evil.example user@evil.example javascript:alert(1)",
    "xml": "]]><![CDATA[ & &amp; \"quote' </testcase>",
}
"""Strings a tenant could put into names, tags and descriptions; every reporter must render them inert."""


def arm(provider_type: str, name: str, *, sub: str = SUB, rg: str = "rg-fhir") -> str:
    """An ARM id; nested types take ``parent/child`` names."""
    ns, *types = provider_type.split("/")
    tail = "/".join(f"{t}/{n}" for t, n in zip(types, name.split("/"), strict=True))
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{tail}"


def _rule(
    rule_id: str,
    title: str,
    severity: Severity,
    *,
    hipaa: list[str],
    nist: list[str],
    mcsb: list[str],
    cli: str | None,
    types: list[str],
    settings: dict[str, Any] | None = None,
) -> RuleDoc:
    return RuleDoc(
        id=rule_id,
        version="1",
        area=rule_id.split("-")[1],
        title=title,
        severity=severity,
        description=f"Checks that the following holds: {title}.",
        rationale="Protected health information must not be reachable or readable by anyone the covered "
        "entity did not authorise; this setting is one of the controls that enforce it.",
        remediation=RemediationDoc(
            portal="Open the resource in the Azure portal.\nChange the setting and save.",
            cli=cli,
            bicep=None if cli is None else "resource x 'Microsoft.Example/things@2024-01-01' = {\n  name: 'x'\n}",
        ),
        references=["https://learn.microsoft.com/azure/healthcare-apis/fhir/configure-private-link"],
        compliance=ComplianceDoc(hipaa=hipaa, nist=nist, mcsb=mcsb),
        resource_types=types,
        settings=settings or {},
    )


RULES = [
    _rule(
        "AHDS-CRED-001", "Entra app client secrets are not expired", Severity.CRITICAL,
        hipaa=["164.312(d)"], nist=["IA-5"], mcsb=["IM-3", "IM-8"],
        cli="az ad app credential list --id <appId>", types=["Microsoft.Graph/application"],
        settings={"warn_days": 30},
    ),
    _rule(
        "AHDS-NET-001", "FHIR service public network access is disabled", Severity.HIGH,
        hipaa=["164.312(e)(1)", "164.312(a)(1)"], nist=["SC-7", "AC-4"], mcsb=["NS-2"],
        cli="az healthcareapis workspace fhir-service update --public-network-access Disabled",
        types=["Microsoft.HealthcareApis/workspaces/fhirservices"],
    ),
    _rule(
        "AHDS-CMK-001", "FHIR service data is encrypted with a customer-managed key", Severity.MEDIUM,
        hipaa=["164.312(a)(2)(iv)"], nist=["SC-28(1)", "SC-12"], mcsb=["DP-5"],
        cli=None, types=["Microsoft.HealthcareApis/workspaces/fhirservices"],
    ),
    _rule(
        "AHDS-TLS-003", "Storage accounts require TLS 1.2 or later", Severity.LOW,
        hipaa=["164.312(e)(2)(ii)"], nist=["SC-8(1)"], mcsb=["DP-3"],
        cli="az storage account update --min-tls-version TLS1_2", types=["Microsoft.Storage/storageAccounts"],
    ),
    _rule(
        "AHDS-RBAC-002", "No guest users hold FHIR data roles", Severity.INFO,
        hipaa=["164.308(a)(4)"], nist=["AC-6"], mcsb=["PA-7"],
        cli=None, types=["Microsoft.Authorization/roleAssignments"],
    ),
]
_BY_ID = {r.id: r for r in RULES}

FHIR1 = arm("Microsoft.HealthcareApis/workspaces/fhirservices", "ws1/fhir-prod")
FHIR2 = arm("Microsoft.HealthcareApis/workspaces/fhirservices", "ws1/fhir-dev")
FHIR3 = arm("Microsoft.HealthcareApis/workspaces/fhirservices", "ws2/fhir-test", rg="rg-test")
APP = "application/3c9f2d1e-0000-4000-8000-00000000a001"
STORAGE = arm("Microsoft.Storage/storageAccounts", "stexport01")
RA = arm("Microsoft.Authorization/roleAssignments", "a1b2c3d4-0000-0000-0000-000000000001")


def finding(
    rule_id: str,
    status: Status,
    resource_id: str,
    message: str,
    *,
    resource_type: str,
    name: str | None = None,
    sub_id: str | None = None,
    evidence: dict[str, Any] | None = None,
    severity: Severity | None = None,
    suppression: Suppression | None = None,
    baseline_state: str | None = None,
) -> Finding:
    """A finding of one of ``RULES``, with its metadata copied from the rule as the engine does."""
    rule = _BY_ID[rule_id]
    sub = resource_id.split("/")[2] if resource_id.startswith("/subscriptions/") else None
    return Finding(
        rule_id=rule_id,
        rule_version=rule.version,
        title=rule.title,
        severity=severity or rule.severity,
        status=status,
        resource_id=resource_id,
        resource_type=resource_type,
        resource_name=name,
        subscription_id=sub,
        sub_id=sub_id,
        message=message,
        evidence=evidence or {},
        remediation=rule.remediation,
        compliance=rule.compliance,
        fingerprint=fingerprint(rule_id, resource_id, sub_id),
        suppression=suppression,
        baseline_state=baseline_state,  # type: ignore[arg-type]
    )


FHIR_T = "Microsoft.HealthcareApis/workspaces/fhirservices"


def _demo_results() -> list[Finding]:
    return [
        finding(
            "AHDS-CRED-001", Status.FAIL, APP, "App 'fhir-loader' secret 'ci' expired on 2026-05-01.",
            resource_type="Microsoft.Graph/application", name="fhir-loader", sub_id="key-7f3a",
            evidence={"displayName": "fhir-loader", "endDateTime": "2026-05-01T00:00:00Z", "daysLeft": -45},
            baseline_state="unchanged",
        ),
        finding(
            "AHDS-CRED-001", Status.PASS, APP, "App 'fhir-loader' secret 'prod' expires in 200 days.",
            resource_type="Microsoft.Graph/application", name="fhir-loader", sub_id="key-0b12",
            evidence={"displayName": "fhir-loader", "endDateTime": "2027-01-01T00:00:00Z", "daysLeft": 200},
        ),
        finding(
            "AHDS-NET-001", Status.FAIL, FHIR1, "FHIR service 'fhir-prod' has publicNetworkAccess 'Enabled'.",
            resource_type=FHIR_T, name="fhir-prod", evidence={"publicNetworkAccess": "Enabled"},
            baseline_state="new",
        ),
        finding(
            "AHDS-NET-001", Status.PASS, FHIR2, "FHIR service 'fhir-dev' has publicNetworkAccess 'Disabled'.",
            resource_type=FHIR_T, name="fhir-dev", evidence={"publicNetworkAccess": "Disabled"},
        ),
        finding(
            "AHDS-NET-001", Status.FAIL, FHIR3, "FHIR service 'fhir-test' has publicNetworkAccess 'Enabled'.",
            resource_type=FHIR_T, name="fhir-test", evidence={"publicNetworkAccess": "Enabled"},
            severity=Severity.CRITICAL, baseline_state="unchanged",
        ),
        finding(
            "AHDS-CMK-001", Status.FAIL, FHIR1, "FHIR service 'fhir-prod' uses a Microsoft-managed key.",
            resource_type=FHIR_T, name="fhir-prod",
            evidence={"encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl": None},
            suppression=Suppression(
                justification="CMK rollout planned for Q3; data classified as de-identified.",
                expires=date(2026, 9, 30), owner="security@contoso.example", entry="suppressions.yaml:12",
            ),
            baseline_state="unchanged",
        ),
        finding(
            "AHDS-CMK-001", Status.FAIL, FHIR2, "FHIR service 'fhir-dev' uses a Microsoft-managed key.",
            resource_type=FHIR_T, name="fhir-dev",
            evidence={"encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl": None},
            suppression=Suppression(
                justification="Dev workspace holds synthetic data only.",
                expires=date(2026, 6, 1), owner="platform-team", entry="suppressions.yaml:20",
            ),
            baseline_state="unchanged",
        ),
        finding(
            "AHDS-CMK-001", Status.PASS, FHIR3, "FHIR service 'fhir-test' is encrypted with key 'kek-test'.",
            resource_type=FHIR_T, name="fhir-test",
            evidence={"encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl":
                      "https://kv-test.vault.azure.net/keys/kek-test"},
        ),
        finding(
            "AHDS-TLS-003", Status.ERROR, STORAGE, "Storage account 'stexport01' did not report minimumTlsVersion.",
            resource_type="Microsoft.Storage/storageAccounts", name="stexport01",
            evidence={"minimumTlsVersion": "(not returned)"},
        ),
        finding(
            "AHDS-RBAC-002", Status.PASS, RA, "Assignment 'FHIR Data Reader' is held by a member user.",
            resource_type="Microsoft.Authorization/roleAssignments",
            evidence={"principalType": "User", "userType": "Member", "roles": ["FHIR Data Reader"]},
        ),
    ]


def _scan(*, tenant_name: str, sub_names: tuple[str, str], errors: list[CollectionError]) -> ScanInfo:
    return ScanInfo(
        started_at=STARTED,
        finished_at=FINISHED,
        tenant_id=TENANT,
        tenant_name=tenant_name,
        cloud="AzureCloud",
        identity=Identity(method="client-secret", client_id="11111111-2222-3333-4444-555555555555"),
        scope=ScopeRequest(mode="all"),
        coverage=Coverage(
            complete=False,
            subscriptions_total=2,
            subscriptions_complete=1,
            subscriptions=[
                SubscriptionCoverage(subscription_id=SUB, display_name=sub_names[0], complete=True),
                SubscriptionCoverage(subscription_id=SUB2, display_name=sub_names[1], complete=False),
            ],
            graph_complete=True,
        ),
        errors=errors,
        snapshot_schema_version="1.0",
        rule_catalogue_version="sha256:5f0c1e9a",
    )


def _report(results: list[Finding], scan: ScanInfo, fixed: list[FixedFinding]) -> ScanReport:
    results = sorted(results, key=sort_key)
    summary = summarize(results).model_copy(update={"fixed": len(fixed)})
    return ScanReport(
        tool=ToolDoc(version="0.1.0"),
        scan=scan,
        summary=summary,
        results=results,
        rules=RULES,
        baseline=BaselineInfo(path="baseline/findings.json", started_at=datetime(2026, 6, 8, 12, tzinfo=UTC),
                              fixed=fixed),
        report_id="rpt-4b7c2e91d0a3",
    )


def demo_report() -> ScanReport:
    """A small tenant with every status, an accepted risk (one expired), a 403 subscription and a baseline."""
    fixed = [
        FixedFinding(
            rule_id="AHDS-TLS-003", title=_BY_ID["AHDS-TLS-003"].title, severity=Severity.LOW,
            resource_id=arm("Microsoft.Storage/storageAccounts", "stold"),
            fingerprint=fingerprint("AHDS-TLS-003", arm("Microsoft.Storage/storageAccounts", "stold")),
            message="Storage account 'stold' allowed TLS 1.0.",
        )
    ]
    errors = [
        CollectionError(
            scope=f"/subscriptions/{SUB2}", operation="resources.list", status=403, code="AuthorizationFailed",
            message="The client does not have authorization to perform action 'Microsoft.Resources/read'.",
        )
    ]
    scan = _scan(tenant_name="Contoso Health", sub_names=("Contoso FHIR Prod", "Contoso Sandbox"), errors=errors)
    return _report(_demo_results(), scan, fixed)


def hostile_report() -> ScanReport:
    """The demo tenant with every name, tag, message and note replaced by hostile strings."""
    h = " ".join(HOSTILE.values())
    bad_name = "fhir<script>x</script>:|[a](b)"
    # Real ARM names cannot hold most of these characters, but an id is still data: build it by hand.
    bad_id = f"/subscriptions/{SUB}/resourceGroups/rg:{HOSTILE['md']}/providers/{FHIR_T.split('/')[0]}" \
        f"/workspaces/ws%3A1/fhirservices/{bad_name}"
    results = [
        finding(
            "AHDS-NET-001", Status.FAIL, bad_id, f"FHIR service {h} has publicNetworkAccess 'Enabled'.",
            resource_type=FHIR_T, name=HOSTILE["script"] + HOSTILE["img"],
            evidence={HOSTILE["img"]: HOSTILE["link"], "tags": {"owner": HOSTILE["md"], "x": HOSTILE["ctrl"]}},
            baseline_state="new",
        ),
        finding(
            "AHDS-CRED-001", Status.FAIL, "application/" + HOSTILE["script"], HOSTILE["auto"],
            resource_type="Microsoft.Graph/application", name=HOSTILE["md"], sub_id=HOSTILE["ctrl"],
            evidence={"displayName": HOSTILE["img"]}, baseline_state="new",
        ),
        finding(
            "AHDS-CMK-001", Status.FAIL, bad_id, HOSTILE["xml"], resource_type=FHIR_T, name=bad_name,
            suppression=Suppression(justification=h, expires=date(2026, 1, 1), owner=HOSTILE["img"],
                                    entry=HOSTILE["md"]),
            baseline_state="unchanged",
        ),
        finding(
            "AHDS-TLS-003", Status.ERROR, arm("Microsoft.Storage/storageAccounts", "st" + HOSTILE["ctrl"].replace("/", "")),
            HOSTILE["ctrl"] + HOSTILE["xml"], resource_type="Microsoft.Storage/storageAccounts",
            evidence={"x": HOSTILE["xml"]},
        ),
        finding(
            "AHDS-RBAC-002", Status.PASS, RA, HOSTILE["link"], resource_type="Microsoft.Authorization/roleAssignments",
            evidence={"roles": [HOSTILE["script"], HOSTILE["auto"]]},
        ),
    ]
    fixed = [
        FixedFinding(
            rule_id="AHDS-TLS-003", title=_BY_ID["AHDS-TLS-003"].title, severity=Severity.LOW,
            resource_id=arm("Microsoft.Storage/storageAccounts", "st" + HOSTILE["md"].replace("/", "")),
            fingerprint=fingerprint("AHDS-TLS-003", "x"), message=h,
        )
    ]
    errors = [CollectionError(scope=f"/subscriptions/{SUB2}", operation=HOSTILE["script"], status=403,
                              code=HOSTILE["md"], message=h)]
    scan = _scan(tenant_name=HOSTILE["script"] + HOSTILE["link"], sub_names=(HOSTILE["img"], HOSTILE["ctrl"]),
                 errors=errors)
    return _report(results, scan, fixed)
