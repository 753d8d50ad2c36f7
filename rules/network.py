"""Network exposure rules (``AHDS-NET-``): public access, private endpoints, the CMK vault and export storage, CORS."""

from __future__ import annotations

from collections.abc import Iterator

from rules._estate import (
    FHIR_TYPE,
    LEGACY_TYPE,
    STORAGE_TYPE,
    VAULT_TYPE,
    WORKSPACE_TYPE,
    FhirLike,
    PrivateLinkIndex,
    StorageUse,
    VaultIndex,
    as_list,
    cmk_vaults,
    names,
    not_set,
    same_text,
    service_kind,
    storage_by_name,
    storage_uses,
    strings,
    workspaces_by_id,
)
from scanner.inventory import (
    FhirService,
    KeyVault,
    LegacyFhirService,
    Snapshot,
    StorageAccount,
    Workspace,
    normalize_id,
)
from scanner.rule import (
    Compliance,
    JSONValue,
    NoSettings,
    Remediation,
    Result,
    RuleContext,
    RuleMeta,
    Severity,
    rule,
)

AHDS_PRIVATE_LINK_DOC = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/healthcare-apis-configure-private-link"
)
LEGACY_PRIVATE_LINK_DOC = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/azure-api-for-fhir/configure-private-link"
)
KV_NETWORK_DOC = "https://learn.microsoft.com/en-us/azure/key-vault/general/network-security"
STORAGE_NETWORK_DOC = "https://learn.microsoft.com/en-us/azure/storage/common/storage-network-security"
STORAGE_ANONYMOUS_DOC = "https://learn.microsoft.com/en-us/azure/storage/blobs/anonymous-read-access-prevent"
AHDS_EXPORT_DOC = "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/configure-export-data"
AHDS_CORS_DOC = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/configure-cross-origin-resource-sharing"
)
LEGACY_CORS_DOC = "https://learn.microsoft.com/en-us/azure/healthcare-apis/azure-api-for-fhir/configure-cross-origin-resource-sharing"

PUBLIC_DEFAULT = "Enabled"
"""``publicNetworkAccess`` when not returned: AHDS workspaces, FHIR services, Azure API for FHIR,
Key Vault and Storage all accept public traffic until it is disabled (or, for AHDS, until an
approved private endpoint exists, which sets the flag to Disabled)."""

ACL_DEFAULT = "Allow"
"""``networkAcls.defaultAction`` when no ACL block is returned: every network is allowed."""

NO_ACLS = "(not set: no networkAcls block, so the default Allow applies)"

ANY_NETWORK = frozenset({"0.0.0.0/0", "0.0.0.0", "::/0"})
"""IP rules that admit the whole internet despite a Deny default action."""


def _public_access(value: str | None) -> tuple[bool, JSONValue]:
    """Whether ``publicNetworkAccess`` lets public traffic in, and its evidence text."""
    if value is None:
        return True, not_set(PUBLIC_DEFAULT)
    return same_text(value, "Enabled"), value


@rule(
    RuleMeta(
        id="AHDS-NET-001",
        title="FHIR services and workspaces disable public network access",
        severity=Severity.HIGH,
        description=(
            "Checks publicNetworkAccess on every Azure Health Data Services workspace and FHIR service and "
            "every Azure API for FHIR service. An unset value is the service default, Enabled. A FHIR "
            "service that does not report the flag inherits its workspace's value, where private link is "
            "configured."
        ),
        rationale=(
            "With public network access enabled the FHIR endpoint that serves protected health information "
            "is reachable from any internet address; authentication becomes the only control. Disabling it "
            "confines access to approved private endpoints."
        ),
        remediation=Remediation(
            portal=(
                "1. Create an approved private endpoint for the workspace (or the Azure API for FHIR service) "
                "first, so clients keep access. 2. Open the workspace or service > Networking. 3. Set Public "
                "network access to Disabled and save."
            ),
            cli="az resource update --ids <workspace-or-service-id> --set properties.publicNetworkAccess=Disabled",
            bicep=(
                "resource ws 'Microsoft.HealthcareApis/workspaces@2023-11-01' = {\n  name: workspaceName\n"
                "  location: location\n  properties: { publicNetworkAccess: 'Disabled' }\n}"
            ),
        ),
        references=(AHDS_PRIVATE_LINK_DOC, LEGACY_PRIVATE_LINK_DOC),
        compliance=Compliance(
            hipaa=("164.312(a)(1)", "164.312(e)(1)"),
            nist=("SC-7", "SC-7(3)", "AC-4"),
            mcsb=("NS-2",),
        ),
        resource_types=(WORKSPACE_TYPE, FHIR_TYPE, LEGACY_TYPE),
    )
)
def fhir_public_network_access_disabled(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """One result per workspace, FHIR service and legacy service."""
    workspaces = workspaces_by_id(inv)
    for ws in inv.workspaces:
        yield _public_result(ctx, ws, "Workspace", ws.public_network_access)
    for svc in inv.fhir_services:
        parent = workspaces.get(normalize_id(svc.workspace_id))
        inherited = parent.public_network_access if parent is not None else None
        if svc.public_network_access is None and parent is not None and inherited is not None:
            shown_value: JSONValue = f"(not set: inherited from workspace '{parent.name}': {inherited})"
            yield _public_result(ctx, svc, "FHIR service", inherited, shown_value)
        else:
            yield _public_result(ctx, svc, "FHIR service", svc.public_network_access)
    for legacy in inv.legacy_fhir_services:
        yield _public_result(ctx, legacy, "Azure API for FHIR service", legacy.public_network_access)


def _public_result(
    ctx: RuleContext[NoSettings],
    resource: Workspace | FhirService | LegacyFhirService,
    kind: str,
    value: str | None,
    shown_value: JSONValue | None = None,
) -> Result:
    is_public, observed = _public_access(value)
    evidence: dict[str, JSONValue] = {
        "publicNetworkAccess": shown_value if shown_value is not None else observed
    }
    effective = value or f"{PUBLIC_DEFAULT} (service default)"
    if is_public:
        return ctx.failed(
            resource,
            f"{kind} '{resource.name}' allows public network access (publicNetworkAccess: {effective}).",
            evidence=evidence,
        )
    return ctx.passed(
        resource,
        f"{kind} '{resource.name}' disables public network access (publicNetworkAccess: {effective}).",
        evidence=evidence,
    )


@rule(
    RuleMeta(
        id="AHDS-NET-002",
        title="FHIR services are reachable through an approved private endpoint",
        severity=Severity.MEDIUM,
        description=(
            "Checks that every FHIR service has at least one private endpoint connection in state Approved, "
            "on the FHIR service itself or on its Azure Health Data Services workspace (where private link "
            "is configured for all its services), and that every Azure API for FHIR service has one on "
            "itself. Pending, Rejected and Disconnected connections do not count. Connections are read from "
            "both the target resource and the private endpoints in scope."
        ),
        rationale=(
            "An approved private endpoint lets clients reach the FHIR service over a private address in "
            "the organisation's network, so public network access can be turned off without losing access."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the workspace (or Azure API for FHIR service) > Networking > Private endpoint "
                "connections. 2. Approve a pending connection, or select + Private endpoint and create one in "
                "the clients' virtual network with target sub-resource healthcareworkspace (fhir for Azure "
                "API for FHIR). 3. Link the privatelink DNS zone to the virtual network."
            ),
            cli=(
                "az network private-endpoint create --resource-group <rg> --name <pe-name> --vnet-name <vnet> "
                "--subnet <subnet> --private-connection-resource-id <workspace-id> --group-id healthcareworkspace "
                "--connection-name <connection-name>"
            ),
        ),
        references=(AHDS_PRIVATE_LINK_DOC, LEGACY_PRIVATE_LINK_DOC),
        compliance=Compliance(
            hipaa=("164.312(e)(1)",),
            nist=("SC-7", "SC-7(3)"),
            mcsb=("NS-2",),
            azure_policy=("64528841-2f92-43f6-a137-d52e5c3dbeac", "1ee56206-5dd1-42ab-b02d-8aae8b1634ce"),
        ),
        resource_types=(FHIR_TYPE, LEGACY_TYPE),
    )
)
def fhir_private_endpoint_approved(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """A FHIR service whose workspace is not in the snapshot is judged on its own connections only, and says so."""
    links = PrivateLinkIndex(inv)
    workspaces = workspaces_by_id(inv)
    for svc in inv.fhir_services:
        own = links.state(svc.id, svc.private_endpoint_connections)
        parent = workspaces.get(normalize_id(svc.workspace_id))
        ws_state = links.state(svc.workspace_id, parent.private_endpoint_connections if parent else [])
        evidence: dict[str, JSONValue] = {
            "service.approved": as_list(own.approved),
            "service.notApproved": as_list(own.not_approved),
            "workspace.approved": as_list(ws_state.approved),
            "workspace.notApproved": as_list(ws_state.not_approved),
        }
        if parent is None:
            evidence["workspace"] = "(not in snapshot: only endpoints that target it were seen)"
        yield _endpoint_result(
            ctx,
            svc,
            "FHIR service",
            own.approved + ws_state.approved,
            own.not_approved + ws_state.not_approved,
            evidence,
        )
    for legacy in inv.legacy_fhir_services:
        state = links.state(legacy.id, legacy.private_endpoint_connections)
        evidence = {"approved": as_list(state.approved), "notApproved": as_list(state.not_approved)}
        yield _endpoint_result(
            ctx, legacy, "Azure API for FHIR service", state.approved, state.not_approved, evidence
        )


def _endpoint_result(
    ctx: RuleContext[NoSettings],
    svc: FhirLike,
    kind: str,
    approved: tuple[str, ...],
    other: tuple[str, ...],
    evidence: dict[str, JSONValue],
) -> Result:
    if approved:
        return ctx.passed(
            svc,
            f"{kind} '{svc.name}' has {len(approved)} approved private endpoint connection(s): "
            f"{', '.join(approved)}.",
            evidence=evidence,
        )
    seen = f" (other connections: {', '.join(other)})" if other else ""
    return ctx.failed(
        svc, f"{kind} '{svc.name}' has no approved private endpoint connection{seen}.", evidence=evidence
    )


def _vault_exposure(vault: KeyVault) -> tuple[bool, dict[str, JSONValue]]:
    """Whether the vault accepts traffic from the internet, with the observed settings."""
    public, shown_pna = _public_access(vault.public_network_access)
    action = vault.network_default_action
    open_rules = sorted(r for r in vault.ip_rules if r.strip() in ANY_NETWORK)
    evidence: dict[str, JSONValue] = {
        "publicNetworkAccess": shown_pna,
        "networkAcls.defaultAction": action if action is not None else NO_ACLS,
        "networkAcls.bypass": vault.network_bypass,
        "networkAcls.ipRules": strings(vault.ip_rules),
        "networkAcls.virtualNetworkRules": len(vault.virtual_network_rule_ids),
    }
    allows_all = action is None or same_text(action, ACL_DEFAULT) or bool(open_rules)
    return public and allows_all, evidence


@rule(
    RuleMeta(
        id="AHDS-NET-003",
        title="Key vaults holding FHIR customer-managed keys are not reachable from the internet",
        severity=Severity.MEDIUM,
        description=(
            "For every Key Vault that holds a customer-managed key used by a FHIR service or Azure API for "
            "FHIR service in scope, checks that it is not open to the internet: public network access "
            "disabled, or the firewall's default action Deny without an any-address IP rule. An absent "
            "networkAcls block means Allow. A CMK vault not in the snapshot is an error result."
        ),
        rationale=(
            "The vault holding the key encryption key is the root of trust of the FHIR data at rest; "
            "limiting it to private endpoints, selected networks and trusted Microsoft services reduces the "
            "attack surface for key theft or deletion."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the key vault > Networking > Firewalls and virtual networks. 2. Select 'Allow public "
                "access from specific virtual networks and IP addresses' (or Disable public access and use a "
                "private endpoint). 3. Keep 'Allow trusted Microsoft services to bypass this firewall' "
                "selected: the FHIR service needs it to reach its key. 4. Save."
            ),
            cli="az keyvault update --name <vault> --resource-group <rg> --default-action Deny --bypass AzureServices",
        ),
        references=(
            KV_NETWORK_DOC,
            "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/configure-customer-managed-keys",
        ),
        compliance=Compliance(
            hipaa=("164.312(a)(1)", "164.312(e)(1)"),
            nist=("SC-7", "SC-12"),
            mcsb=("NS-2", "DP-8"),
            azure_policy=("55615ac9-af46-4a59-874e-391cc3dfb490",),
        ),
        resource_types=(VAULT_TYPE,),
    )
)
def cmk_vault_not_publicly_reachable(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """One result per CMK vault; shares the CMK resolution (and its out-of-scope errors) with AHDS-CMK-003/004."""
    for item in cmk_vaults(inv, ctx, VaultIndex(inv)):
        if isinstance(item, Result):
            yield item
            continue
        vault = item[0].vault
        exposed, evidence = _vault_exposure(vault)
        evidence["usedBy"] = names(r.use.service for r in item)
        if exposed:
            yield ctx.failed(
                vault,
                f"Key vault '{vault.name}' holding a FHIR customer-managed key accepts traffic from any network "
                f"(publicNetworkAccess: {vault.public_network_access or PUBLIC_DEFAULT}, defaultAction: "
                f"{vault.network_default_action or ACL_DEFAULT}).",
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                vault,
                f"Key vault '{vault.name}' holding a FHIR customer-managed key is closed to the internet "
                f"(publicNetworkAccess: {vault.public_network_access or PUBLIC_DEFAULT}, defaultAction: "
                f"{vault.network_default_action or ACL_DEFAULT}).",
                evidence=evidence,
            )


def _storage_exposure(account: StorageAccount) -> tuple[list[str], dict[str, JSONValue]]:
    """Why the account is public (empty when it is not), with the observed settings."""
    public, shown_pna = _public_access(account.public_network_access)
    action = account.network_default_action
    allows_all = action is None or same_text(action, ACL_DEFAULT)
    blob_public = bool(account.allow_blob_public_access)
    reasons: list[str] = []
    if public and allows_all:
        reasons.append(f"accepts traffic from all networks (defaultAction: {action or ACL_DEFAULT})")
    if blob_public:
        reasons.append("allows anonymous blob access")
    evidence: dict[str, JSONValue] = {
        "publicNetworkAccess": shown_pna,
        "networkAcls.defaultAction": action if action is not None else NO_ACLS,
        "allowBlobPublicAccess": (
            not_set("false (current Storage API default)")
            if account.allow_blob_public_access is None
            else account.allow_blob_public_access
        ),
    }
    return reasons, evidence


@rule(
    RuleMeta(
        id="AHDS-NET-004",
        title="FHIR export and import storage accounts are not public",
        severity=Severity.HIGH,
        description=(
            "For every storage account a FHIR service exports to or imports from "
            "(exportConfiguration/importConfiguration storage account names, and the Azure API for FHIR "
            "export account), matched by name, checks that it neither accepts traffic from all networks "
            "(public network access on with default action Allow or no network rules) nor allows anonymous "
            "blob access. An account not in the snapshot is an error result."
        ),
        rationale=(
            "$export writes bulk protected health information to the storage account and $import reads it "
            "from there; an account open to the internet or to anonymous reads can expose whole patient "
            "populations outside the FHIR service's access controls."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the storage account > Networking. 2. Select 'Enabled from selected virtual networks and "
                "IP addresses' or Disabled, and allow trusted Microsoft services (the FHIR service reaches "
                "the account as a trusted service). 3. Under Settings > Configuration set 'Allow Blob "
                "anonymous access' to Disabled. 4. Save."
            ),
            cli=(
                "az storage account update --name <account> --resource-group <rg> --default-action Deny "
                "--bypass AzureServices --allow-blob-public-access false"
            ),
        ),
        references=(AHDS_EXPORT_DOC, STORAGE_NETWORK_DOC, STORAGE_ANONYMOUS_DOC),
        compliance=Compliance(
            hipaa=("164.312(a)(1)", "164.312(e)(1)"),
            nist=("SC-7", "AC-3", "AC-4"),
            mcsb=("NS-2",),
            azure_policy=("34c877ad-507e-4c82-993e-3452a6e0ad3c", "4fa4b6c0-31ca-4c0d-b10d-24b96f62a751"),
        ),
        resource_types=(STORAGE_TYPE,),
    )
)
def fhir_export_storage_not_public(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """``allowBlobPublicAccess`` unset is evaluated as false, the default of current Storage API versions.

    One result per storage account in scope however many services use it; one
    error per (service, role) whose account is not in the snapshot.
    """
    accounts = storage_by_name(inv)
    groups: dict[str, list[StorageUse]] = {}
    for use in storage_uses(inv):
        if use.account_name.lower() in accounts:
            groups.setdefault(use.account_name.lower(), []).append(use)
            continue
        yield ctx.error(
            use.service,
            f"{service_kind(use.service)} '{use.service.name}' {use.role}s to storage account "
            f"'{use.account_name}', which is not in the snapshot (storage account not in scope).",
            evidence={f"{use.role}StorageAccountName": use.account_name},
            sub_id=f"{use.role}Storage",
        )
    for name in sorted(groups):
        account, uses = accounts[name], groups[name]
        reasons, evidence = _storage_exposure(account)
        evidence["usedBy"] = strings(f"{u.service.name} ({u.role})" for u in uses)
        if reasons:
            yield ctx.failed(
                account,
                f"FHIR {'/'.join(sorted({u.role for u in uses}))} storage account '{account.name}' "
                f"{' and '.join(reasons)}.",
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                account,
                f"FHIR {'/'.join(sorted({u.role for u in uses}))} storage account '{account.name}' is not public "
                f"(publicNetworkAccess: {account.public_network_access or PUBLIC_DEFAULT}, defaultAction: "
                f"{account.network_default_action or ACL_DEFAULT}).",
                evidence=evidence,
            )


@rule(
    RuleMeta(
        id="AHDS-NET-005",
        title="FHIR services do not allow CORS requests from any origin",
        severity=Severity.MEDIUM,
        description=(
            "Checks the CORS configuration of every FHIR service and Azure API for FHIR service and fails "
            "when its allowed origins include the wildcard '*'. A service without a CORS configuration "
            "allows no cross-origin browser requests."
        ),
        rationale=(
            "A wildcard origin lets any web page make browser requests to the FHIR API with a user's token; "
            "listing the SMART on FHIR and web applications explicitly limits which sites can read "
            "protected health information through a signed-in user's browser."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the FHIR service (or Azure API for FHIR service) > CORS. 2. Replace '*' in Origins "
                "with the exact https origins of your web applications. 3. Save."
            ),
            cli=(
                "az resource update --ids <fhir-service-id> --set "
                "properties.corsConfiguration.origins='[\"https://app.contoso.com\"]'"
            ),
        ),
        references=(AHDS_CORS_DOC, LEGACY_CORS_DOC),
        compliance=Compliance(
            hipaa=("164.312(a)(1)",),
            nist=("AC-4", "CM-6"),
            mcsb=("PV-1", "NS-2"),
            azure_policy=("fe1c9040-c46a-4e81-9aea-c7850fbb3aa6", "0fea8f8a-4169-495d-8307-30ec335f387d"),
        ),
        resource_types=(FHIR_TYPE, LEGACY_TYPE),
    )
)
def fhir_cors_rejects_any_origin(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Origins are compared after trimming whitespace; only the exact wildcard ``*`` counts as any origin."""
    services: list[FhirLike] = [*inv.fhir_services, *inv.legacy_fhir_services]
    for svc in services:
        kind = service_kind(svc)
        origins = list(svc.cors.origins) if svc.cors is not None else []
        evidence: dict[str, JSONValue] = {
            "corsConfiguration.origins": (
                as_list(origins)
                if svc.cors is not None
                else "(not set: no corsConfiguration, no origins allowed)"
            ),
            "corsConfiguration.allowCredentials": svc.cors.allow_credentials
            if svc.cors is not None
            else None,
        }
        if any(o.strip() == "*" for o in origins):
            yield ctx.failed(
                svc, f"{kind} '{svc.name}' allows CORS requests from any origin ('*').", evidence=evidence
            )
        else:
            allowed = ", ".join(origins) if origins else "none"
            yield ctx.passed(
                svc,
                f"{kind} '{svc.name}' allows CORS requests only from listed origins ({allowed}).",
                evidence=evidence,
            )
