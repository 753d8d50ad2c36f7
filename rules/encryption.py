"""Encryption-at-rest rules (``AHDS-CMK-``): customer-managed keys on FHIR servers, and the health of their vaults and keys."""

from __future__ import annotations

from collections.abc import Iterator

from rules._estate import (
    FHIR_TYPE,
    LEGACY_TYPE,
    VAULT_KEY_TYPE,
    VAULT_TYPE,
    FhirLike,
    ResolvedCmk,
    VaultIndex,
    cmk_vaults,
    key_id,
    names,
    not_set,
    service_kind,
    strings,
)
from scanner.inventory import Snapshot, VaultItem
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

AHDS_CMK_DOC = "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/configure-customer-managed-keys"
LEGACY_CMK_DOC = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/azure-api-for-fhir/customer-managed-key"
)
KV_RECOVERY_DOC = "https://learn.microsoft.com/en-us/azure/key-vault/general/soft-delete-overview"
KV_KEYS_DOC = "https://learn.microsoft.com/en-us/azure/key-vault/keys/about-keys"

_FHIR_CMK_BICEP = (
    "resource fhir 'Microsoft.HealthcareApis/workspaces/fhirservices@2023-11-01' = {\n"
    "  name: '${workspaceName}/${fhirName}'\n  location: location\n  kind: 'fhir-R4'\n"
    "  identity: { type: 'SystemAssigned' }\n  properties: {\n"
    "    encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: keyUrl } }\n  }\n}"
)


@rule(
    RuleMeta(
        id="AHDS-CMK-001",
        title="FHIR services encrypt data at rest with a customer-managed key",
        severity=Severity.HIGH,
        description=(
            "Checks that every Azure Health Data Services FHIR service sets "
            "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl. Without it the service "
            "encrypts data only with Microsoft-managed keys (the service default)."
        ),
        rationale=(
            "A customer-managed key keeps control of the encryption of protected health information with "
            "the organisation: it can be rotated on the organisation's schedule and revoked to make the "
            "data unreadable, which many HIPAA risk analyses and contracts require."
        ),
        remediation=Remediation(
            portal=(
                "1. Create an RSA 2048/3072 key in a Key Vault in the service's region with soft delete and "
                "purge protection. 2. Give the FHIR service's managed identity the Key Vault Crypto Service "
                "Encryption User role on the vault or key. 3. Open the FHIR service > Encryption, select "
                "Customer-managed key, choose the key (or enter its URI) and the identity, and select Save."
            ),
            cli=(
                "az resource update --ids <fhir-service-id> --set "
                'properties.encryption=\'{"customerManagedKeyEncryption": '
                '{"keyEncryptionKeyUrl": "https://<vault>.vault.azure.net/keys/<key>"}}\''
            ),
            bicep=_FHIR_CMK_BICEP,
        ),
        references=(AHDS_CMK_DOC,),
        compliance=Compliance(
            hipaa=("164.312(a)(2)(iv)",),
            nist=("SC-12", "SC-28", "SC-28(1)"),
            mcsb=("DP-5",),
            azure_policy=("c42dee8c-0202-4a12-bd8e-3e171cbf64dd",),
        ),
        resource_types=(FHIR_TYPE,),
    )
)
def fhir_service_uses_customer_managed_key(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """An empty or whitespace-only key URL counts as not set, as the built-in Azure Policy treats it."""
    for svc in inv.fhir_services:
        yield _cmk_setting(
            ctx, svc, "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl", svc.cmk_key_url
        )


def _cmk_setting(ctx: RuleContext[NoSettings], svc: FhirLike, prop: str, value: str | None) -> Result:
    url = (value or "").strip()
    kind = service_kind(svc)
    if url:
        return ctx.passed(
            svc,
            f"{kind} '{svc.name}' encrypts data at rest with the customer-managed key '{url}'.",
            evidence={prop: url},
        )
    return ctx.failed(
        svc,
        f"{kind} '{svc.name}' has no customer-managed key and uses Microsoft-managed keys only.",
        evidence={prop: not_set("Microsoft-managed keys")},
    )


@rule(
    RuleMeta(
        id="AHDS-CMK-002",
        title="Azure API for FHIR services encrypt data at rest with a customer-managed key",
        severity=Severity.HIGH,
        description=(
            "Checks that every legacy Azure API for FHIR service sets cosmosDbConfiguration.keyVaultKeyUri, "
            "so its backing Azure Cosmos DB database is encrypted with a customer-managed key in addition "
            "to the Microsoft-managed default."
        ),
        rationale=(
            "Without a customer-managed key the organisation cannot revoke or rotate the key protecting "
            "the protected health information stored by the service."
        ),
        remediation=Remediation(
            portal=(
                "Azure API for FHIR accepts a customer-managed key only when a service is created, and new "
                "deployments are blocked since 1 April 2025 (the product retires on 30 September 2026). "
                "1. Create an Azure Health Data Services FHIR service with a customer-managed key (see "
                "AHDS-CMK-001). 2. Migrate the data and applications to it following the migration "
                "strategies. 3. Delete the Azure API for FHIR service."
            ),
            bicep=_FHIR_CMK_BICEP,
        ),
        references=(
            LEGACY_CMK_DOC,
            "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/migration-strategies",
        ),
        compliance=Compliance(
            hipaa=("164.312(a)(2)(iv)",),
            nist=("SC-12", "SC-28", "SC-28(1)"),
            mcsb=("DP-5",),
            azure_policy=("051cba44-2429-45b9-9649-46cec11c7119",),
        ),
        resource_types=(LEGACY_TYPE,),
    )
)
def legacy_fhir_service_uses_customer_managed_key(
    inv: Snapshot, ctx: RuleContext[NoSettings]
) -> Iterator[Result]:
    """An empty key URI counts as not set."""
    for svc in inv.legacy_fhir_services:
        yield _cmk_setting(ctx, svc, "cosmosDbConfiguration.keyVaultKeyUri", svc.cosmos_key_vault_key_uri)


@rule(
    RuleMeta(
        id="AHDS-CMK-003",
        title="Key vaults holding FHIR customer-managed keys have soft delete and purge protection",
        severity=Severity.HIGH,
        description=(
            "For every Key Vault that holds a customer-managed key used by a FHIR service or Azure API for "
            "FHIR service in scope, checks that soft delete and purge protection are enabled. A CMK vault "
            "that is not in the snapshot is reported as an error, not skipped."
        ),
        rationale=(
            "If the vault or key holding a CMK is deleted and purged, the FHIR data encrypted with it "
            "becomes permanently unreadable. Purge protection enforces the retention period so an "
            "accidental or malicious deletion can be recovered; Microsoft requires both settings for CMK."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the key vault > Properties. 2. Under Purge protection select 'Enable purge "
                "protection' (it cannot be turned off again). 3. Save. Soft delete is on by default for every "
                "vault and cannot be disabled."
            ),
            cli="az keyvault update --name <vault> --resource-group <rg> --enable-purge-protection true",
            bicep=(
                "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: vaultName\n  location: location\n"
                "  properties: {\n    tenantId: tenant().tenantId\n    sku: { family: 'A', name: 'standard' }\n"
                "    enableSoftDelete: true\n    softDeleteRetentionInDays: 90\n    enablePurgeProtection: true\n  }\n}"
            ),
        ),
        references=(KV_RECOVERY_DOC, AHDS_CMK_DOC),
        compliance=Compliance(
            hipaa=("164.312(a)(2)(iv)", "164.308(a)(7)(ii)(A)"),
            nist=("SC-12", "SC-12(1)"),
            mcsb=("DP-6", "DP-8"),
            azure_policy=("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53", "1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d"),
        ),
        resource_types=(VAULT_TYPE,),
    )
)
def cmk_vault_has_purge_protection(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Soft delete unset is evaluated as on: it is the default and cannot be disabled on current vaults.

    Purge protection unset is evaluated as off: it must be enabled explicitly.
    One result per CMK vault, however many services share it.
    """
    index = VaultIndex(inv)
    for item in cmk_vaults(inv, ctx, index):
        if isinstance(item, Result):
            yield item
            continue
        vault = item[0].vault
        soft_delete = True if vault.enable_soft_delete is None else vault.enable_soft_delete
        purge = bool(vault.enable_purge_protection)
        evidence: dict[str, JSONValue] = {
            "enableSoftDelete": (
                not_set("true (soft delete is always on for current vaults)")
                if vault.enable_soft_delete is None
                else vault.enable_soft_delete
            ),
            "enablePurgeProtection": (
                not_set("false") if vault.enable_purge_protection is None else vault.enable_purge_protection
            ),
            "softDeleteRetentionInDays": vault.soft_delete_retention_days,
            "usedBy": names(r.use.service for r in item),
        }
        missing = [
            label for label, on in (("soft delete", soft_delete), ("purge protection", purge)) if not on
        ]
        if missing:
            yield ctx.failed(
                vault,
                f"Key vault '{vault.name}' holds a FHIR customer-managed key but has {' and '.join(missing)} disabled.",
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                vault,
                f"Key vault '{vault.name}' holding a FHIR customer-managed key has soft delete and purge protection enabled.",
                evidence=evidence,
            )


def _key_problems(key: VaultItem, ctx: RuleContext[NoSettings]) -> list[str]:
    problems: list[str] = []
    if key.enabled is False:
        problems.append("is disabled")
    if key.expires is not None and key.expires <= ctx.now:
        problems.append(f"expired on {key.expires.isoformat()}")
    if key.not_before is not None and key.not_before > ctx.now:
        problems.append(f"is not valid before {key.not_before.isoformat()}")
    return problems


@rule(
    RuleMeta(
        id="AHDS-CMK-004",
        title="FHIR customer-managed keys are enabled and not expired",
        severity=Severity.HIGH,
        description=(
            "For every customer-managed key used by a FHIR service or Azure API for FHIR service in scope, "
            "finds the key in its vault (key URL with or without a version) and checks that it is enabled, "
            "already active and not expired. A key whose vault is not in the snapshot is reported as an "
            "error; a key missing from a vault whose keys were read is a failure."
        ),
        rationale=(
            "A disabled, expired or deleted key encryption key makes the FHIR service unable to unwrap its "
            "data encryption key: the service stops serving data, an availability incident for clinical "
            "systems, and the key lifecycle is no longer under control."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the key vault > Keys > the key. 2. If disabled, open the current version and set "
                "Enabled to Yes. 3. If expired, create a new version (Rotate now) or extend the expiration "
                "date, and configure a rotation policy. 4. With a versionless key URL the FHIR service picks "
                "up the new version automatically; otherwise update the key URL."
            ),
            cli=(
                "az keyvault key set-attributes --vault-name <vault> --name <key> --enabled true "
                "--expires <YYYY-MM-DDThh:mm:ssZ>\naz keyvault key rotate --vault-name <vault> --name <key>"
            ),
        ),
        references=(KV_KEYS_DOC, AHDS_CMK_DOC),
        compliance=Compliance(
            hipaa=("164.312(a)(2)(iv)", "164.308(a)(7)(ii)(A)"),
            nist=("SC-12", "SC-12(1)"),
            mcsb=("DP-6",),
        ),
        resource_types=(VAULT_KEY_TYPE,),
    )
)
def cmk_key_enabled_and_unexpired(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Keys are matched by name in the vault found from the URL host; names compare case-insensitively.

    The management plane reports the attributes of the key's current version. A
    URL pinned to another version is evaluated on those attributes and the
    evidence shows both versions. ``enabled`` unset is evaluated as enabled
    (the Key Vault default). One result per key, however many services share it.
    """
    index = VaultIndex(inv)
    for item in cmk_vaults(inv, ctx, index):
        if isinstance(item, Result):
            yield item
            continue
        by_name: dict[str, list[ResolvedCmk]] = {}
        for resolved in item:
            by_name.setdefault(resolved.key.name.lower(), []).append(resolved)
        for name in sorted(by_name):
            yield _evaluate_key(by_name[name], index, ctx)


def _evaluate_key(uses: list[ResolvedCmk], index: VaultIndex, ctx: RuleContext[NoSettings]) -> Result:
    vault, name = uses[0].vault, uses[0].key.name
    key = index.key_in(vault, name)
    evidence: dict[str, JSONValue] = {
        "vault": vault.name,
        "keyUrls": strings(r.use.url for r in uses),
        "usedBy": names(r.use.service for r in uses),
    }
    if key is None:
        errors = index.errors_for(vault)
        if errors:
            evidence["collectionErrors"] = strings(f"{e.operation}: {e.message}" for e in errors)
            return ctx.error(
                key_id(vault, name),
                f"Key '{name}' in vault '{vault.name}' could not be evaluated because the vault's keys were "
                "not read completely.",
                resource_type=VAULT_KEY_TYPE,
                evidence=evidence,
            )
        return ctx.failed(
            key_id(vault, name),
            f"Customer-managed key '{name}' is not in vault '{vault.name}': it was deleted or never existed.",
            resource_type=VAULT_KEY_TYPE,
            evidence=evidence,
        )
    evidence.update(
        {
            "enabled": not_set("true") if key.enabled is None else key.enabled,
            "expires": key.expires.isoformat() if key.expires else "(not set: never expires)",
            "notBefore": key.not_before.isoformat() if key.not_before else None,
            "currentKeyUri": key.key_uri,
        }
    )
    pinned = strings(r.key.version for r in uses if r.key.version)
    if pinned:
        evidence["pinnedVersions"] = pinned
        evidence["evaluated"] = (
            "attributes of the key's current version (the management plane lists no others)"
        )
    problems = _key_problems(key, ctx)
    if problems:
        return ctx.failed(
            key,
            f"Customer-managed key '{key.name}' in vault '{vault.name}' {' and '.join(problems)}.",
            resource_type=VAULT_KEY_TYPE,
            evidence=evidence,
        )
    return ctx.passed(
        key,
        f"Customer-managed key '{key.name}' in vault '{vault.name}' is enabled and not expired "
        f"(expires: {key.expires.isoformat() if key.expires else 'never'}).",
        resource_type=VAULT_KEY_TYPE,
        evidence=evidence,
    )
