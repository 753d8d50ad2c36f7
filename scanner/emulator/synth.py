"""Synthetic tenants of any size for benchmarks: deterministic, REST-shaped, mixing good and bad settings.

Every id is derived from a seed with uuid5, so two runs with the same arguments
serve the same tenant (comparable benchmark results).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from scanner.emulator.tenant import Tenant

_NS = uuid.UUID("6f1c3b8e-2a4d-4e5f-9a7b-0c1d2e3f4a5b")
_READER = "FHIR Data Reader"
_WRITER = "FHIR Data Writer"


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _fhir_service(sub: int, ws: int, index: int, tenant_id: str) -> dict[str, Any]:
    good = index % 2 == 0
    props: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "authenticationConfiguration": {
            "authority": f"https://login.microsoftonline.com/{tenant_id}",
            "audience": f"https://ws{ws}-fhir{index}.fhir.azurehealthcareapis.com",
            "smartProxyEnabled": False,
        },
        "corsConfiguration": {
            "origins": ["https://app.example.com"] if good else ["*"],
            "headers": ["*"],
            "methods": ["GET"],
            "maxAge": 600,
            "allowCredentials": False,
        },
        "exportConfiguration": {"storageAccountName": f"stsynth{sub}x{ws}"},
        "privateEndpointConnections": [],
        "publicNetworkAccess": "Disabled" if good else "Enabled",
    }
    if good:
        props["encryption"] = {
            "customerManagedKeyEncryption": {
                "keyEncryptionKeyUrl": f"https://kv-synth-{sub}.vault.azure.net/keys/cmk"
            }
        }
    return {"name": f"fhir{index}", "location": "eastus", "kind": "fhir-R4", "properties": props}


def _subscription(sub: int, tenant_id: str, workspaces: int, fhir_per_workspace: int) -> dict[str, Any]:
    sid = _guid("subscription", sub)
    rg = f"/subscriptions/{sid}/resourceGroups/rg-fhir-{sub}/providers"
    resources: list[dict[str, Any]] = []
    for ws in range(workspaces):
        resources.append(
            {
                "id": f"{rg}/Microsoft.HealthcareApis/workspaces/ws{ws}",
                "location": "eastus",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpointConnections": [],
                    "publicNetworkAccess": "Disabled",
                },
                "_children": {
                    "fhirservices": [_fhir_service(sub, ws, i, tenant_id) for i in range(fhir_per_workspace)]
                },
            }
        )
        resources.append(
            {
                "id": f"{rg}/Microsoft.Storage/storageAccounts/stsynth{sub}x{ws}",
                "location": "eastus",
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS", "tier": "Standard"},
                "properties": {
                    "minimumTlsVersion": "TLS1_2" if ws % 2 == 0 else "TLS1_0",
                    "supportsHttpsTrafficOnly": True,
                    "allowBlobPublicAccess": ws % 2 == 1,
                    "publicNetworkAccess": "Enabled",
                    "networkAcls": {
                        "bypass": "AzureServices",
                        "defaultAction": "Deny",
                        "ipRules": [],
                        "virtualNetworkRules": [],
                    },
                },
            }
        )
    resources.append(
        {
            "id": f"{rg}/Microsoft.KeyVault/vaults/kv-synth-{sub}",
            "location": "eastus",
            "properties": {
                "tenantId": tenant_id,
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
                "enableSoftDelete": True,
                "enableRbacAuthorization": True,
                "enablePurgeProtection": True if sub % 2 == 0 else None,
                "vaultUri": f"https://kv-synth-{sub}.vault.azure.net/",
                "publicNetworkAccess": "Disabled",
                "networkAcls": {
                    "bypass": "AzureServices",
                    "defaultAction": "Deny",
                    "ipRules": [],
                    "virtualNetworkRules": [],
                },
            },
            "_children": {
                "keys": [
                    {
                        "name": "cmk",
                        "location": "eastus",
                        "properties": {
                            "kty": "RSA",
                            "keySize": 2048,
                            "keyOps": ["wrapKey", "unwrapKey"],
                            "attributes": {
                                "enabled": True,
                                "exp": "@epoch:now+200d",
                                "created": "@epoch:now-100d",
                                "updated": "@epoch:now-100d",
                            },
                        },
                    }
                ],
                "secrets": [
                    {
                        "name": "app-secret",
                        "location": "eastus",
                        "properties": {
                            "attributes": {
                                "enabled": True,
                                "created": "@epoch:now-100d",
                                "updated": "@epoch:now-100d",
                            }
                        },
                    }
                ],
            },
        }
    )
    return {
        "subscription_id": sid,
        "display_name": f"synthetic-{sub:04d}",
        "management_group": "mg-synthetic",
        "resources": resources,
    }


def synthetic_tenant(
    subscriptions: int = 10,
    *,
    workspaces_per_subscription: int = 1,
    fhir_per_workspace: int = 2,
    applications: int = 20,
    now: datetime | None = None,
) -> Tenant:
    """A tenant with the given shape: per subscription, workspaces with FHIR services, export storage,
    one CMK vault (key + secret); FHIR data-role assignments per service; Entra apps with secrets.

    Half of each kind is compliant and half is not, so every rule area has work to do.
    """
    tenant_id = _guid("tenant")
    subs = [
        _subscription(i, tenant_id, workspaces_per_subscription, fhir_per_workspace)
        for i in range(subscriptions)
    ]
    apps = []
    sps = []
    for i in range(applications):
        app_id = _guid("appId", i)
        apps.append(
            {
                "id": _guid("app", i),
                "appId": app_id,
                "displayName": f"synthetic-app-{i:04d}",
                "passwordCredentials": [
                    {
                        "keyId": _guid("key", i),
                        "displayName": "secret",
                        "hint": "syn",
                        "customKeyIdentifier": None,
                        "secretText": None,
                        "startDateTime": "@now-100d",
                        "endDateTime": f"@now{'+' if i % 3 else '-'}{5 + i % 300}d",
                    }
                ],
                "keyCredentials": [],
                "requiredResourceAccess": [],
            }
        )
        sps.append(
            {
                "id": _guid("sp", i),
                "appId": app_id,
                "displayName": f"synthetic-app-{i:04d}",
                "servicePrincipalType": "Application",
                "accountEnabled": True,
            }
        )
    assignments: list[dict[str, Any]] = []
    for sub in subs:
        for resource in sub["resources"]:
            for service in resource.get("_children", {}).get("fhirservices", []):
                scope = f"{resource['id']}/fhirservices/{service['name']}"
                for n, role in enumerate((_READER, _WRITER)):
                    principal = sps[(len(assignments) + n) % len(sps)]["id"] if sps else _guid("orphan")
                    assignments.append(
                        {
                            "role": role,
                            "properties": {
                                "scope": scope,
                                "principalId": principal,
                                "principalType": "ServicePrincipal",
                            },
                        }
                    )
    data = {
        "tenant_id": tenant_id,
        "display_name": "Synthetic Health",
        "default_domain": "synthetic.onmicrosoft.com",
        "clients": [{"client_id": _guid("scanner-client"), "client_secret": "synthetic-secret~not.real"}],
        "management_groups": [{"name": "mg-synthetic", "display_name": "Synthetic"}],
        "subscriptions": subs,
        "role_assignments": assignments,
        "graph": {"applications": apps, "servicePrincipals": sps, "users": [], "groups": []},
    }
    return Tenant.from_data(data, now=now, source="<synthetic tenant>")
