"""Synthetic tenants of any size for benchmarks: deterministic for a seed, REST-shaped, mixing good and bad settings.

The shape follows an enterprise landing zone: per subscription, AHDS workspaces with FHIR services (and now
and then a legacy Azure API for FHIR), Key Vaults with secrets and keys, private endpoints, an Application
Gateway, an API Management service and storage accounts; a few management groups; tens to hundreds of role
assignments per subscription (mostly at resource scope, a small share at resource-group or subscription scope,
a handful at management-group scope and visible everywhere); and an Entra directory of app registrations with
credentials, their service principals, users (some guests) and groups. Some assignments name principals that
no longer exist. Dates are relative (``@now-100d``), so credentials keep expiring whenever a tenant is built.

Every random choice comes from ``random.Random`` seeded with the seed and the item's position, so the same
arguments give the same tenant, and subscription ``i`` is the same whatever the total number of subscriptions.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from scanner.emulator.tenant import Tenant

_NS = uuid.UUID("6f1c3b8e-2a4d-4e5f-9a7b-0c1d2e3f4a5b")
_HEALTHCARE_APIS_APP = "4f6778d8-5aef-43dc-a1ff-b073724b9495"
_GRAPH_APP = "00000003-0000-0000-c000-000000000000"
_FHIR_ROLES = (
    "FHIR Data Reader",
    "FHIR Data Writer",
    "FHIR Data Contributor",
    "FHIR Data Exporter",
    "FHIR Data Importer",
    "FHIR SMART User",
)
_CONTROL_ROLES = ("Reader", "Contributor", "Owner", "User Access Administrator")
_VAULT_ROLES = ("Key Vault Administrator", "Reader")
_CUSTOM_ROLE_NAMES = ("Synthetic FHIR Operator", "Synthetic Auditor", "Synthetic Data Steward")
_MG_ROOT = "mg-synthetic"
_MG_CHILDREN = ("mg-synthetic-prod", "mg-synthetic-nonprod")
_TLS_POLICIES = ("AppGwSslPolicy20220101", "AppGwSslPolicy20220101S", "AppGwSslPolicy20170401S")
_LEGACY_GW_POLICY = "AppGwSslPolicy20150501"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticShape:
    """The size of a synthetic tenant; every field can be overridden (``--synthetic key=value,...``).

    Per-subscription counts apply to every subscription; ``None`` means "derive from the number of
    subscriptions" as documented on the field.
    """

    subscriptions: int = 10
    seed: int = 0
    """Seeds every random choice; the same shape and seed give the same tenant."""
    workspaces_per_subscription: int = 2
    fhir_per_workspace: int = 2
    legacy_every: int = 10
    """One legacy Azure API for FHIR service in every ``legacy_every``-th subscription (0: none)."""
    vaults_per_subscription: int = 3
    secrets_per_vault: int = 10
    keys_per_vault: int = 5
    private_endpoints_per_subscription: int | None = None
    """Default: one per FHIR service and one per vault."""
    gateways_per_subscription: int = 1
    apim_per_subscription: int = 1
    storage_per_subscription: int = 4
    role_assignments_per_subscription: int | None = None
    """Default: 50 to 200, drawn per subscription."""
    broad_scope_share: float = 0.05
    """Share of a subscription's assignments at subscription or resource-group scope (the rest: resources)."""
    management_group_assignments: int = 8
    """Assignments at management-group scope, inherited by every subscription below the group."""
    custom_roles: int = 3
    applications: int | None = None
    """Default: 20 per subscription."""
    max_credentials_per_application: int = 3
    """Each application gets 1..max password or certificate credentials."""
    users: int | None = None
    """Default: 5 per subscription (at least 10)."""
    groups: int | None = None
    """Default: 1 per subscription (at least 5)."""
    guest_share: float = 0.1
    """Share of users that are B2B guests."""
    deleted_principal_share: float = 0.02
    """Share of role assignments whose principal no longer exists in the directory."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value < 0:
                raise ValueError(f"{f.name} must not be negative (got {value})")
        for name in ("broad_scope_share", "guest_share", "deleted_principal_share"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} is a share between 0 and 1 (got {getattr(self, name)})")

    @property
    def app_count(self) -> int:
        """Applications in the directory (each with a service principal)."""
        return self.applications if self.applications is not None else 20 * self.subscriptions

    @property
    def user_count(self) -> int:
        """Users in the directory."""
        return self.users if self.users is not None else max(10, 5 * self.subscriptions)

    @property
    def group_count(self) -> int:
        """Groups in the directory."""
        return self.groups if self.groups is not None else max(5, self.subscriptions)


SHAPE_KEYS: frozenset[str] = frozenset(f.name for f in fields(SyntheticShape))
"""The keys ``parse_shape`` accepts."""


def parse_shape(text: str) -> SyntheticShape:
    """Parse ``"200"`` (subscriptions) or ``"subscriptions=200,seed=7,role_assignments_per_subscription=1000"``.

    Raises ValueError naming the offending key or value; integer fields refuse fractions.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty synthetic tenant specification")
    if "=" not in text and "," not in text:
        text = f"subscriptions={text}"
    types = {f.name: f.type for f in fields(SyntheticShape)}
    values: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, raw = part.partition("=")
        key, raw = key.strip().replace("-", "_"), raw.strip()
        if not sep or not key or not raw:
            raise ValueError(f"expected key=value, got {part.strip()!r}")
        if key not in SHAPE_KEYS:
            raise ValueError(f"unknown key {key!r}; known keys: {', '.join(sorted(SHAPE_KEYS))}")
        try:
            values[key] = float(raw) if "float" in str(types[key]) else int(raw)
        except ValueError:
            raise ValueError(f"{key}: {raw!r} is not a number of the right kind") from None
    return SyntheticShape(**values)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _rng(seed: int, *parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random.seed(): stable across runs and PYTHONHASHSEED.
    return random.Random("/".join(str(p) for p in (seed, *parts)))


def _expiry(rng: random.Random) -> str | None:
    """A Key Vault ``exp`` token: none, expired, expiring soon, or far away."""
    roll = rng.random()
    if roll < 0.2:
        return None
    if roll < 0.3:
        return f"@epoch:now-{rng.randint(1, 400)}d"
    if roll < 0.45:
        return f"@epoch:now+{rng.randint(1, 29)}d"
    return f"@epoch:now+{rng.randint(60, 700)}d"


def _acls(public: bool) -> dict[str, Any]:
    return {
        "bypass": "AzureServices",
        "defaultAction": "Allow" if public else "Deny",
        "ipRules": [{"value": "203.0.113.0/24"}] if public else [],
        "virtualNetworkRules": [],
    }


def _pe_connections(target: str, rng: random.Random, private: bool) -> list[dict[str, Any]]:
    if not private:
        return []
    name = f"pe-{target.rsplit('/', 1)[-1]}"
    status = "Approved" if rng.random() < 0.9 else "Pending"
    return [
        {
            "id": f"{target}/privateEndpointConnections/{name}.{_guid(target)[:8]}",
            "name": f"{name}.{_guid(target)[:8]}",
            "type": f"{target.split('/providers/', 1)[1].split('/')[0]}/privateEndpointConnections",
            "properties": {
                "privateEndpoint": {
                    "id": f"{target.split('/providers/')[0]}/providers/"
                    f"Microsoft.Network/privateEndpoints/{name}"
                },
                "privateLinkServiceConnectionState": {
                    "status": status,
                    "description": "",
                    "actionsRequired": "None",
                },
                "provisioningState": "Succeeded",
            },
        }
    ]


class _Subscription:
    """Builds one subscription's resources and the resource-level scopes its assignments use."""

    def __init__(self, shape: SyntheticShape, index: int, tenant_id: str) -> None:
        self.shape = shape
        self.index = index
        self.tenant_id = tenant_id
        self.sid = _guid("subscription", shape.seed, index)
        self.rng = _rng(shape.seed, "subscription", index)
        self.prefix = f"/subscriptions/{self.sid}"
        self.resources: list[dict[str, Any]] = []
        self.fhir_scopes: list[str] = []
        self.workspace_scopes: list[str] = []
        self.vault_scopes: list[str] = []
        self.storage_scopes: list[str] = []
        self.groups = [
            f"{self.prefix}/resourceGroups/rg-{kind}-{index}" for kind in ("fhir", "sec", "net", "data")
        ]
        # Real ARM keeps the casing written at assignment time; some tools write lower-case segments.
        self.group_scopes = [
            g if n % 2 else g.replace("/resourceGroups/", "/resourcegroups/")
            for n, g in enumerate(self.groups)
        ]
        self.private_targets: list[str] = []

    def rid(self, group: int, provider_path: str) -> str:
        return f"{self.groups[group]}/providers/{provider_path}"

    def build(self) -> dict[str, Any]:
        shape = self.shape
        for s in range(shape.storage_per_subscription):
            self._storage(s)
        for w in range(shape.workspaces_per_subscription):
            self._workspace(w)
        if shape.legacy_every and self.index % shape.legacy_every == 0:
            self._legacy()
        for v in range(shape.vaults_per_subscription):
            self._vault(v)
        pe_count = (
            shape.private_endpoints_per_subscription
            if shape.private_endpoints_per_subscription is not None
            else len(self.fhir_scopes) + len(self.vault_scopes)
        )
        targets = self.private_targets or self.fhir_scopes + self.vault_scopes or [self.groups[0]]
        for p in range(pe_count):
            self._private_endpoint(p, targets[p % len(targets)])
        for g in range(shape.gateways_per_subscription):
            self._gateway(g)
        for a in range(shape.apim_per_subscription):
            self._apim(a)
        return {
            "subscription_id": self.sid,
            "display_name": f"synthetic-{self.index:04d}" + ("-prod" if self.index % 2 == 0 else "-dev"),
            "management_group": _MG_CHILDREN[self.index % 2],
            "resources": self.resources,
        }

    def _storage(self, s: int) -> None:
        rng = self.rng
        rid = self.rid(3, f"Microsoft.Storage/storageAccounts/st{self.index}x{s}")
        public = rng.random() < 0.3
        self.storage_scopes.append(rid)
        self.resources.append(
            {
                "id": rid,
                "location": "eastus",
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS", "tier": "Standard"},
                "tags": {"env": "prod" if self.index % 2 == 0 else "dev"},
                "properties": {
                    "minimumTlsVersion": rng.choice(("TLS1_2", "TLS1_2", "TLS1_2", "TLS1_1", "TLS1_0")),
                    "supportsHttpsTrafficOnly": rng.random() < 0.9,
                    "allowBlobPublicAccess": public and rng.random() < 0.5,
                    "allowSharedKeyAccess": rng.random() < 0.5,
                    "publicNetworkAccess": "Enabled" if public else "Disabled",
                    "networkAcls": _acls(public),
                    "privateEndpointConnections": [],
                    "provisioningState": "Succeeded",
                },
            }
        )

    def _fhir(self, ws_id: str, w: int, f: int) -> dict[str, Any]:
        rng = self.rng
        scope = f"{ws_id}/fhirservices/fhir{f}"
        self.fhir_scopes.append(scope)
        private = rng.random() < 0.6
        if private:
            self.private_targets.append(scope)
        props: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "authenticationConfiguration": {
                "authority": f"https://login.microsoftonline.com/{self.tenant_id}",
                "audience": f"https://ws{w}s{self.index}-fhir{f}.fhir.azurehealthcareapis.com",
                "smartProxyEnabled": rng.random() < 0.1,
            },
            "corsConfiguration": {
                "origins": ["*"] if rng.random() < 0.1 else [f"https://portal{self.index}.example.com"],
                "headers": ["*"],
                "methods": ["GET", "POST"],
                "maxAge": 600,
                "allowCredentials": False,
            },
            "exportConfiguration": {
                "storageAccountName": self.storage_scopes[f % len(self.storage_scopes)].rsplit("/", 1)[-1]
            }
            if self.storage_scopes
            else {},
            "privateEndpointConnections": _pe_connections(scope, rng, private),
            "publicNetworkAccess": "Disabled" if private else "Enabled",
        }
        if rng.random() < 0.7:
            vault = self.index * 10 + f % max(1, self.shape.vaults_per_subscription)
            props["encryption"] = {
                "customerManagedKeyEncryption": {
                    "keyEncryptionKeyUrl": f"https://kv-syn-{vault}.vault.azure.net/keys/cmk-0"
                }
            }
        return {
            "name": f"fhir{f}",
            "location": "eastus",
            "kind": "fhir-R4",
            "etag": f'"{_guid(scope)[:8]}"',
            "identity": {
                "type": "SystemAssigned",
                "principalId": _guid("msi", scope),
                "tenantId": self.tenant_id,
            },
            "properties": props,
        }

    def _workspace(self, w: int) -> None:
        ws_id = self.rid(0, f"Microsoft.HealthcareApis/workspaces/ws{w}s{self.index}")
        self.workspace_scopes.append(ws_id)
        private = self.rng.random() < 0.7
        self.resources.append(
            {
                "id": ws_id,
                "location": "eastus",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpointConnections": _pe_connections(ws_id, self.rng, private),
                    "publicNetworkAccess": "Disabled" if private else "Enabled",
                },
                "_children": {
                    "fhirservices": [self._fhir(ws_id, w, f) for f in range(self.shape.fhir_per_workspace)]
                },
            }
        )

    def _legacy(self) -> None:
        rid = self.rid(0, f"Microsoft.HealthcareApis/services/fhirlegacy{self.index}")
        self.fhir_scopes.append(rid)
        good = self.rng.random() < 0.5
        self.resources.append(
            {
                "id": rid,
                "location": "eastus",
                "kind": "fhir-R4",
                "properties": {
                    "provisioningState": "Succeeded",
                    "accessPolicies": [{"objectId": _guid("legacy-policy", self.sid)}],
                    "cosmosDbConfiguration": {
                        "offerThroughput": 400,
                        **(
                            {"keyVaultKeyUri": f"https://kv-syn-{self.index * 10}.vault.azure.net/keys/cmk-0"}
                            if good
                            else {}
                        ),
                    },
                    "authenticationConfiguration": {
                        "authority": f"https://login.microsoftonline.com/{self.tenant_id}",
                        "audience": f"https://fhirlegacy{self.index}.azurehealthcareapis.com",
                        "smartProxyEnabled": False,
                    },
                    "corsConfiguration": {
                        "origins": [],
                        "headers": [],
                        "methods": [],
                        "allowCredentials": False,
                    },
                    "exportConfiguration": {},
                    "privateEndpointConnections": [],
                    "publicNetworkAccess": "Disabled" if good else "Enabled",
                },
            }
        )

    def _vault(self, v: int) -> None:
        rng, shape = self.rng, self.shape
        name = f"kv-syn-{self.index * 10 + v}"
        rid = self.rid(1, f"Microsoft.KeyVault/vaults/{name}")
        self.vault_scopes.append(rid)
        public = rng.random() < 0.25
        if not public:
            self.private_targets.append(rid)
        keys = []
        for k in range(shape.keys_per_vault):
            exp = _expiry(rng)
            attributes: dict[str, Any] = {
                "enabled": rng.random() < 0.95,
                "created": f"@epoch:now-{rng.randint(30, 900)}d",
                "updated": f"@epoch:now-{rng.randint(1, 29)}d",
                "recoveryLevel": "Recoverable",
            }
            if exp is not None:
                attributes["exp"] = exp
            keys.append(
                {
                    "name": f"cmk-{k}",
                    "location": "eastus",
                    "properties": {
                        "kty": "RSA",
                        "keySize": 2048 if rng.random() < 0.8 else 3072,
                        "keyOps": ["wrapKey", "unwrapKey"],
                        "attributes": attributes,
                    },
                }
            )
        secrets = []
        for s in range(shape.secrets_per_vault):
            exp = _expiry(rng)
            attributes = {
                "enabled": True,
                "created": f"@epoch:now-{rng.randint(30, 900)}d",
                "updated": f"@epoch:now-{rng.randint(1, 29)}d",
            }
            if exp is not None:
                attributes["exp"] = exp
            secrets.append(
                {
                    "name": f"secret-{s}",
                    "location": "eastus",
                    "properties": {"contentType": "text/plain" if s % 3 else None, "attributes": attributes},
                }
            )
        self.resources.append(
            {
                "id": rid,
                "location": "eastus",
                "properties": {
                    "tenantId": self.tenant_id,
                    "sku": {"family": "A", "name": "standard"},
                    "accessPolicies": [],
                    "enableSoftDelete": True,
                    "softDeleteRetentionInDays": 90,
                    "enableRbacAuthorization": rng.random() < 0.8,
                    "enablePurgeProtection": True if rng.random() < 0.6 else None,
                    "vaultUri": f"https://{name}.vault.azure.net/",
                    "publicNetworkAccess": "Enabled" if public else "Disabled",
                    "networkAcls": _acls(public),
                    "privateEndpointConnections": _pe_connections(rid, rng, not public),
                },
                "_children": {"keys": keys, "secrets": secrets},
            }
        )

    def _private_endpoint(self, p: int, target: str) -> None:
        group = "vault" if "/vaults/" in target.lower() else "fhir"
        self.resources.append(
            {
                "id": self.rid(2, f"Microsoft.Network/privateEndpoints/pe-{self.index}-{p}"),
                "location": "eastus",
                "properties": {
                    "provisioningState": "Succeeded",
                    "subnet": {
                        "id": f"{self.groups[2]}/providers/Microsoft.Network/virtualNetworks/vnet-"
                        f"{self.index}/subnets/snet-pe"
                    },
                    "privateLinkServiceConnections": [
                        {
                            "name": f"pe-{self.index}-{p}",
                            "properties": {
                                "privateLinkServiceId": target,
                                "groupIds": [group],
                                "privateLinkServiceConnectionState": {
                                    "status": "Approved" if self.rng.random() < 0.9 else "Pending",
                                    "description": "",
                                    "actionsRequired": "None",
                                },
                            },
                        }
                    ],
                    "manualPrivateLinkServiceConnections": [],
                },
            }
        )

    def _gateway(self, g: int) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            policy: dict[str, Any] = {"policyType": "Predefined", "policyName": rng.choice(_TLS_POLICIES)}
        elif roll < 0.8:
            policy = {"policyType": "Predefined", "policyName": _LEGACY_GW_POLICY}
        else:
            policy = {
                "policyType": "Custom",
                "minProtocolVersion": rng.choice(("TLSv1_0", "TLSv1_2")),
                "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
            }
        self.resources.append(
            {
                "id": self.rid(2, f"Microsoft.Network/applicationGateways/agw-{self.index}-{g}"),
                "location": "eastus",
                "properties": {
                    "provisioningState": "Succeeded",
                    "sku": {"name": "WAF_v2", "tier": "WAF_v2", "capacity": 2},
                    "sslPolicy": policy,
                    "sslProfiles": [],
                    "httpListeners": [{"name": "https", "properties": {"protocol": "Https"}}],
                    "backendAddressPools": [
                        {
                            "name": "fhir",
                            "properties": {
                                "backendAddresses": [
                                    {"fqdn": f"ws0s{self.index}-fhir0.fhir.azurehealthcareapis.com"}
                                ]
                            },
                        }
                    ],
                },
            }
        )

    def _apim(self, a: int) -> None:
        rng = self.rng
        prefix = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security"
        weak = rng.random() < 0.3
        custom = {
            f"{prefix}.Protocols.Tls10": str(weak),
            f"{prefix}.Protocols.Tls11": str(weak),
            f"{prefix}.Backend.Protocols.Ssl30": "False",
            f"{prefix}.Ciphers.TripleDes168": str(weak and rng.random() < 0.5),
        }
        name = f"apim-{self.index}-{a}"
        self.resources.append(
            {
                "id": self.rid(2, f"Microsoft.ApiManagement/service/{name}"),
                "location": "eastus",
                "sku": {"name": "Developer", "capacity": 1},
                "properties": {
                    "provisioningState": "Succeeded",
                    "publisherEmail": "api@example.com",
                    "publisherName": "Synthetic Health",
                    "gatewayUrl": f"https://{name}.azure-api.net",
                    "hostnameConfigurations": [{"type": "Proxy", "hostName": f"{name}.azure-api.net"}],
                    "customProperties": custom,
                    "publicNetworkAccess": "Enabled",
                    "virtualNetworkType": rng.choice(("None", "External", "Internal")),
                    "apiVersionConstraint": {"minApiVersion": "2021-08-01"},
                    "createdAtUtc": "@now-300d",
                },
            }
        )


class _Directory:
    """The Entra side: applications with credentials, their service principals, users and groups."""

    def __init__(self, shape: SyntheticShape, tenant_id: str) -> None:
        self.shape = shape
        self.tenant_id = tenant_id
        self.applications: list[dict[str, Any]] = []
        self.service_principals: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []

    def build(self) -> None:
        shape = self.shape
        for i in range(shape.app_count):
            self._application(i, _rng(shape.seed, "app", i))
        guest_rng = _rng(shape.seed, "users")
        for u in range(shape.user_count):
            guest = guest_rng.random() < shape.guest_share
            name = f"user{u:05d}"
            self.users.append(
                {
                    "id": _guid("user", shape.seed, u),
                    "displayName": f"Synthetic User {u}",
                    "userPrincipalName": f"{name}_partner.example#EXT#@synthetic.onmicrosoft.com"
                    if guest
                    else f"{name}@synthetic.onmicrosoft.com",
                    "userType": "Guest" if guest else "Member",
                    "accountEnabled": True,
                }
            )
        for g in range(shape.group_count):
            self.groups.append(
                {
                    "id": _guid("group", shape.seed, g),
                    "displayName": f"sg-synthetic-{g:04d}",
                    "securityEnabled": True,
                    "mailEnabled": False,
                    "groupTypes": [],
                }
            )

    def _application(self, i: int, rng: random.Random) -> None:
        app_id = _guid("appId", self.shape.seed, i)
        passwords: list[dict[str, Any]] = []
        certificates: list[dict[str, Any]] = []
        for c in range(rng.randint(1, max(1, self.shape.max_credentials_per_application))):
            start = rng.randint(30, 900)
            roll = rng.random()
            if roll < 0.15:
                end = f"@now-{rng.randint(1, 300)}d"
            elif roll < 0.3:
                end = f"@now+{rng.randint(1, 29)}d"
            elif roll < 0.4:
                end = f"@now+{rng.randint(400, 1500)}d"
            else:
                end = f"@now+{rng.randint(60, 365)}d"
            common = {
                "keyId": _guid("credential", self.shape.seed, i, c),
                "displayName": f"cred-{c}",
                "customKeyIdentifier": None,
                "startDateTime": f"@now-{start}d",
                "endDateTime": end,
            }
            if rng.random() < 0.7:
                passwords.append({**common, "hint": "Syn", "secretText": None})
            else:
                certificates.append({**common, "type": "AsymmetricX509Cert", "usage": "Verify", "key": None})
        fhir = rng.random() < 0.3
        access = [
            {
                "resourceAppId": _GRAPH_APP,
                "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}],
            }
        ]
        if fhir:
            access.append(
                {
                    "resourceAppId": _HEALTHCARE_APIS_APP,
                    "resourceAccess": [{"id": "e1dc3d4e-4d3b-4b5a-9b1a-4e6a3b2c1d0f", "type": "Scope"}],
                }
            )
        name = f"synthetic-app-{i:05d}"
        self.applications.append(
            {
                "id": _guid("app", self.shape.seed, i),
                "appId": app_id,
                "displayName": name,
                "signInAudience": "AzureADMyOrg" if rng.random() < 0.9 else "AzureADMultipleOrgs",
                "createdDateTime": f"@now-{rng.randint(30, 1500)}d",
                "passwordCredentials": passwords,
                "keyCredentials": certificates,
                "requiredResourceAccess": access,
            }
        )
        self.service_principals.append(
            {
                "id": _guid("sp", self.shape.seed, i),
                "appId": app_id,
                "displayName": name,
                "servicePrincipalType": "Application",
                "accountEnabled": rng.random() < 0.95,
                "appOwnerOrganizationId": self.tenant_id,
            }
        )


class _Principals:
    """Draws assignment principals: service principals, users and groups, and now and then a deleted one."""

    def __init__(self, directory: _Directory, deleted_share: float) -> None:
        self.pools: list[tuple[str, list[str]]] = [
            (kind, ids)
            for kind, ids in (
                ("ServicePrincipal", [sp["id"] for sp in directory.service_principals]),
                ("User", [u["id"] for u in directory.users]),
                ("Group", [g["id"] for g in directory.groups]),
            )
            if ids
        ]
        self.deleted_share = deleted_share
        self.seed = directory.shape.seed

    def draw(self, rng: random.Random, tag: object) -> tuple[str, str]:
        if not self.pools or rng.random() < self.deleted_share:
            return _guid("deleted-principal", self.seed, tag), rng.choice(("User", "ServicePrincipal"))
        kind, ids = self.pools[
            0 if rng.random() < 0.6 or len(self.pools) == 1 else rng.randrange(len(self.pools))
        ]
        return rng.choice(ids), kind


def _assignment(role: str, scope: str, principal: tuple[str, str], created: str) -> dict[str, Any]:
    return {
        "role": role,
        "properties": {
            "scope": scope,
            "principalId": principal[0],
            "principalType": principal[1],
            "createdOn": created,
        },
    }


def _subscription_assignments(
    sub: _Subscription, principals: _Principals, customs: list[str], count: int
) -> list[dict[str, Any]]:
    shape = sub.shape
    rng = _rng(shape.seed, "assignments", sub.index)
    resources = sub.fhir_scopes + sub.workspace_scopes + sub.vault_scopes + sub.storage_scopes
    out: list[dict[str, Any]] = []
    taken: set[tuple[str, str, str]] = set()
    for n in range(count):

        def draw(attempt: int, n: int = n) -> tuple[str, str, tuple[str, str], str]:
            role, scope = _draw_role_and_scope(sub, rng, resources, customs)
            created = f"@now-{rng.randint(1, 1000)}d"
            return role, scope, principals.draw(rng, (sub.index, n, attempt) if attempt else (sub.index, n)), created

        _append_unique(out, taken, draw)
    return out


_DRAWS_PER_ASSIGNMENT = 20


def _append_unique(
    out: list[dict[str, Any]],
    taken: set[tuple[str, str, str]],
    draw: Callable[[int], tuple[str, str, tuple[str, str], str]],
) -> None:
    """Append one drawn assignment unless its (role, scope, principal) is taken: ARM refuses a second
    assignment of one role to one principal at one scope (409 RoleAssignmentExists), so a duplicate is
    drawn again (a few tries, then left out)."""
    for attempt in range(_DRAWS_PER_ASSIGNMENT):
        role, scope, principal, created = draw(attempt)
        key = (role, scope.lower(), principal[0])
        if key not in taken:
            taken.add(key)
            out.append(_assignment(role, scope, principal, created))
            return


def _draw_role_and_scope(
    sub: _Subscription, rng: random.Random, resources: list[str], customs: list[str]
) -> tuple[str, str]:
    if not resources or rng.random() < sub.shape.broad_scope_share:
        scope = sub.prefix if rng.random() < 0.5 else rng.choice(sub.group_scopes)
        return rng.choice(_FHIR_ROLES + _CONTROL_ROLES + tuple(customs)), scope
    scope = rng.choice(resources)
    if "/vaults/" in scope:
        return rng.choice(_VAULT_ROLES), scope
    if "/storageaccounts/" in scope.lower():
        return rng.choice(("Reader", "Contributor")), scope
    return rng.choice(_FHIR_ROLES + ("Reader",)), scope


def synthetic_tenant_data(shape: SyntheticShape) -> dict[str, Any]:
    """The tenant file mapping (relative dates unresolved) for ``shape``; see ``synthetic_tenant``."""
    tenant_id = _guid("tenant", shape.seed)
    directory = _Directory(shape, tenant_id)
    directory.build()
    principals = _Principals(directory, shape.deleted_principal_share)
    customs: list[dict[str, Any]] = [
        {
            "name": _guid("custom-role", shape.seed, c),
            "properties": {
                "roleName": _CUSTOM_ROLE_NAMES[c % len(_CUSTOM_ROLE_NAMES)] + (f" {c}" if c >= 3 else ""),
                "type": "CustomRole",
                "description": "Synthetic custom role.",
                "assignableScopes": [f"/providers/Microsoft.Management/managementGroups/{_MG_ROOT}"],
                "permissions": [
                    {
                        "actions": ["Microsoft.HealthcareApis/*/read"],
                        "notActions": [],
                        "dataActions": ["Microsoft.HealthcareApis/workspaces/fhirservices/resources/*"]
                        if c % 2 == 0
                        else ["Microsoft.HealthcareApis/workspaces/fhirservices/resources/read"],
                        "notDataActions": [],
                    }
                ],
            },
        }
        for c in range(shape.custom_roles)
    ]
    custom_names = [c["properties"]["roleName"] for c in customs]
    subscriptions = []
    assignments: list[dict[str, Any]] = []
    for i in range(shape.subscriptions):
        sub = _Subscription(shape, i, tenant_id)
        subscriptions.append(sub.build())
        count = (
            shape.role_assignments_per_subscription
            if shape.role_assignments_per_subscription is not None
            else _rng(shape.seed, "assignment-count", i).randint(50, 200)
        )
        assignments.extend(_subscription_assignments(sub, principals, custom_names, count))
    mg_rng = _rng(shape.seed, "mg-assignments")
    mg_taken: set[tuple[str, str, str]] = set()
    for m in range(shape.management_group_assignments):

        def draw_mg(attempt: int, m: int = m) -> tuple[str, str, tuple[str, str], str]:
            group = (_MG_ROOT, *_MG_CHILDREN)[m % 3]
            role = mg_rng.choice(_FHIR_ROLES + _CONTROL_ROLES)
            principal = principals.draw(mg_rng, ("mg", m, attempt) if attempt else ("mg", m))
            scope = f"/providers/Microsoft.Management/managementGroups/{group}"
            return role, scope, principal, f"@now-{mg_rng.randint(1, 1000)}d"

        _append_unique(assignments, mg_taken, draw_mg)
    return {
        "tenant_id": tenant_id,
        "display_name": "Synthetic Health",
        "default_domain": "synthetic.onmicrosoft.com",
        "clients": [
            {
                "client_id": _guid("scanner-client", shape.seed),
                "client_secret": "synthetic-secret~not.real",
                "display_name": "ahds-audit scanner",
            }
        ],
        "management_groups": [
            {"name": _MG_ROOT, "display_name": "Synthetic Health"},
            *({"name": name, "display_name": name, "parent": _MG_ROOT} for name in _MG_CHILDREN),
        ],
        "subscriptions": subscriptions,
        "role_definitions": customs,
        "role_assignments": assignments,
        "graph": {
            "applications": directory.applications,
            "servicePrincipals": directory.service_principals,
            "users": directory.users,
            "groups": directory.groups,
        },
    }


def synthetic_tenant(
    subscriptions: int = 10,
    *,
    now: datetime | None = None,
    shape: SyntheticShape | None = None,
    **overrides: Any,
) -> Tenant:
    """A deterministic tenant of the given size (see ``SyntheticShape`` for every knob and its default).

    ``synthetic_tenant(200)``, ``synthetic_tenant(50, seed=7, role_assignments_per_subscription=1000)`` or
    ``synthetic_tenant(shape=parse_shape("subscriptions=50,seed=7"))``. Relative dates resolve against ``now``
    (default: the current UTC time). Raises ValueError for an unknown or negative parameter.
    """
    if shape is None:
        unknown = set(overrides) - SHAPE_KEYS
        if unknown:
            raise ValueError(f"unknown synthetic tenant parameter(s): {', '.join(sorted(unknown))}")
        shape = SyntheticShape(subscriptions=subscriptions, **overrides)
    elif overrides:
        raise ValueError("pass either shape or keyword parameters, not both")
    return Tenant.from_data(synthetic_tenant_data(shape), now=now, source="<synthetic tenant>")


def shape_summary(shape: SyntheticShape) -> Mapping[str, int]:
    """Expected object counts for ``shape`` that do not depend on random draws (for banners and checks)."""
    per_sub_fhir = shape.workspaces_per_subscription * shape.fhir_per_workspace
    return {
        "subscriptions": shape.subscriptions,
        "workspaces": shape.subscriptions * shape.workspaces_per_subscription,
        "fhir_services": shape.subscriptions * per_sub_fhir,
        "legacy_fhir_services": (
            len(range(0, shape.subscriptions, shape.legacy_every)) if shape.legacy_every else 0
        ),
        "key_vaults": shape.subscriptions * shape.vaults_per_subscription,
        "vault_items": shape.subscriptions
        * shape.vaults_per_subscription
        * (shape.secrets_per_vault + shape.keys_per_vault),
        "storage_accounts": shape.subscriptions * shape.storage_per_subscription,
        "applications": shape.app_count,
        "service_principals": shape.app_count,
        "users": shape.user_count,
        "groups": shape.group_count,
    }
