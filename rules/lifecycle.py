"""Platform-lifecycle rules (``AHDS-LIFE-``): FHIR services on a retiring product."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from pydantic import Field

from rules._estate import LEGACY_TYPE
from scanner.inventory import Snapshot
from scanner.rule import Compliance, Remediation, Result, RuleContext, RuleMeta, RuleSettings, Severity, rule

AZURE_API_FOR_FHIR_RETIREMENT = date(2026, 9, 30)
"""Azure API for FHIR retires on 30 September 2026 (announced 29 September 2023; new deployments blocked
from 1 April 2025). https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/migration-faq"""

MIGRATION_DOC = "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/migration-strategies"
MIGRATION_FAQ = "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/migration-faq"


class RetirementSettings(RuleSettings):
    """Settings of AHDS-LIFE-001."""

    retires_on: date = Field(
        AZURE_API_FOR_FHIR_RETIREMENT,
        description=(
            "Retirement date of Azure API for FHIR. From this date (00:00 UTC) a service still deployed is "
            "reported at high severity; before it, at medium."
        ),
    )


@rule(
    RuleMeta(
        id="AHDS-LIFE-001",
        title="Azure API for FHIR services are migrated to Azure Health Data Services",
        severity=Severity.MEDIUM,
        description=(
            "Reports every legacy Azure API for FHIR service (Microsoft.HealthcareApis/services) still "
            "deployed. The product retires on 30 September 2026; from that date each finding is raised to "
            "high severity. The rule has no passing outcome: a migrated service no longer appears."
        ),
        rationale=(
            "A retired service receives no security fixes or support and can stop serving requests; the "
            "protected health information it holds must be moved to the Azure Health Data Services FHIR "
            "service in a planned migration, not an outage."
        ),
        remediation=Remediation(
            portal=(
                "1. Create an Azure Health Data Services workspace and FHIR service. 2. Follow the migration "
                "strategies: assess readiness, migrate data with $export/$import or the migration tool, move "
                "applications to the new endpoint. 3. Cut over, then delete the Azure API for FHIR service."
            ),
            bicep=(
                "resource ws 'Microsoft.HealthcareApis/workspaces@2023-11-01' = {\n  name: workspaceName\n"
                "  location: location\n  properties: { publicNetworkAccess: 'Disabled' }\n}\n"
                "resource fhir 'Microsoft.HealthcareApis/workspaces/fhirservices@2023-11-01' = {\n  parent: ws\n"
                "  name: fhirName\n  location: location\n  kind: 'fhir-R4'\n  identity: { type: 'SystemAssigned' }\n"
                "  properties: { authenticationConfiguration: { authority: authority, audience: audience } }\n}"
            ),
        ),
        references=(MIGRATION_DOC, MIGRATION_FAQ),
        compliance=Compliance(
            hipaa=("164.308(a)(1)(ii)(B)",),
            nist=("SA-22", "SI-2"),
            mcsb=("AM-2",),
        ),
        resource_types=(LEGACY_TYPE,),
    ),
    settings=RetirementSettings,
)
def legacy_fhir_service_migrated(inv: Snapshot, ctx: RuleContext[RetirementSettings]) -> Iterator[Result]:
    """Severity is raised to high from ``retires_on`` 00:00 UTC inclusive (the service is retired that day)."""
    retires = ctx.settings.retires_on
    retired_at = datetime(retires.year, retires.month, retires.day, tzinfo=UTC)
    retired = ctx.now >= retired_at
    for svc in inv.legacy_fhir_services:
        evidence = {
            "type": svc.type,
            "kind": svc.kind,
            "provisioningState": svc.provisioning_state,
            "retirementDate": retires.isoformat(),
            "migrationGuide": MIGRATION_DOC,
        }
        if retired:
            message = (
                f"Azure API for FHIR service '{svc.name}' is still deployed after the product's retirement on "
                f"{retires.isoformat()}: migrate it to Azure Health Data Services ({MIGRATION_DOC})."
            )
        else:
            days_left = (retired_at - ctx.now).days
            message = (
                f"Azure API for FHIR service '{svc.name}' is still deployed and the product retires on "
                f"{retires.isoformat()} ({days_left} days left): migrate it to Azure Health Data Services "
                f"({MIGRATION_DOC})."
            )
        yield ctx.failed(svc, message, evidence=evidence, severity=Severity.HIGH if retired else None)
