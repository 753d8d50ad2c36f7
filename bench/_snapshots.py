"""Large, deterministic inventory snapshots for the benchmarks, built directly from ``scanner.inventory`` models.

``build_snapshot(role_assignments=N, applications=M)`` returns a ``Snapshot`` shaped like a big health
organisation's tenant rather than N copies of one row:

- the estate grows with N: one subscription per 5,000 assignments (at least two), each with four resource
  groups, two AHDS workspaces of two FHIR services, one Azure API for FHIR, a CMK vault with keys and a secret,
  an export storage account, a private endpoint, an Application Gateway and an API Management service; half the
  subscriptions sit under two management groups, the rest under one;
- role assignments are spread over every scope level: about 5% at broad scopes (tenant root, management groups,
  subscriptions, resource groups), the rest at workspaces, FHIR services, legacy services, vaults and storage;
- roles: the seven built-in FHIR data roles, Owner / User Access Administrator / RBAC Administrator, Reader and
  Contributor (one definition per subscription, as collectors list them), custom roles (some with wildcard FHIR
  data actions) and ~0.5% of assignments naming a definition the snapshot does not hold;
- principals: users (3% guests), groups, the apps' service principals, and ~1% deleted ids listed in
  ``unresolved_principal_ids``;
- applications with one or two client secrets and sometimes a certificate, expiry dates spread from a year ago to
  three years ahead; 60% request Azure Healthcare APIs permissions (so the app-credential rules examine them).

Models are created with ``model_construct`` (no validation: fast) from plain values; a benchmark saves the
snapshot and reads it back with ``load_snapshot``, which validates every field, so a shape mistake here cannot
go unnoticed. The same arguments always give the same snapshot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rules._fhir_roles import (
    CONTRIBUTOR,
    FHIR_DATA_CONTRIBUTOR,
    FHIR_DATA_CONVERTER,
    FHIR_DATA_EXPORTER,
    FHIR_DATA_IMPORTER,
    FHIR_DATA_READER,
    FHIR_DATA_WRITER,
    FHIR_SMART_USER,
    HEALTHCARE_APIS_APP_ID,
    OWNER,
    RBAC_ADMINISTRATOR,
    READER,
    USER_ACCESS_ADMINISTRATOR,
)
from scanner.inventory import (
    ApimService,
    AppCredential,
    Application,
    ApplicationGateway,
    Cors,
    DirectoryPrincipal,
    FhirService,
    Identity,
    KeyVault,
    LegacyFhirService,
    Permission,
    PrivateEndpoint,
    PrivateEndpointConnection,
    PrivateEndpointLink,
    ResourceAccess,
    RoleAssignment,
    RoleDefinition,
    ScopeRequest,
    ServicePrincipal,
    Snapshot,
    SslPolicy,
    StorageAccount,
    Subscription,
    ToolInfo,
    VaultItem,
    Workspace,
    normalize_id,
)

NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
"""The scan time of every benchmark snapshot and the clock rules evaluate against."""
TENANT = "72f988bf-0000-4000-8000-00000000b001"
ASSIGNMENTS_PER_SUBSCRIPTION = 5_000
BROAD_FRACTION = 0.05

_AHDS = "Microsoft.HealthcareApis/workspaces/fhirservices/resources/"
_LEGACY = "Microsoft.HealthcareApis/services/fhir/resources/"
_ROLE_DEFS = "/providers/Microsoft.Authorization/roleDefinitions/"
_MG = "/providers/Microsoft.Management/managementGroups/"

# Built-in roles as Azure returns them (dataActions trimmed to what the FHIR rules read).
_BUILTINS: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    # guid: (roleName, actions, dataActions, notDataActions)
    FHIR_DATA_READER: ("FHIR Data Reader", [], [_LEGACY + "read", _AHDS + "read"], []),
    FHIR_DATA_WRITER: (
        "FHIR Data Writer",
        [],
        [ns + op for ns in (_LEGACY, _AHDS) for op in ("read", "write", "delete", "export/action")],
        [],
    ),
    FHIR_DATA_CONTRIBUTOR: (
        "FHIR Data Contributor",
        [],
        [_LEGACY + "*", _AHDS + "*"],
        [_AHDS + "smart/action"],
    ),
    FHIR_DATA_EXPORTER: ("FHIR Data Exporter", [], [_AHDS + "read", _AHDS + "export/action"], []),
    FHIR_DATA_IMPORTER: ("FHIR Data Importer", [], [_AHDS + "read", _AHDS + "import/action"], []),
    FHIR_SMART_USER: ("FHIR SMART User", [], [_AHDS + "read", _AHDS + "smart/action"], []),
    FHIR_DATA_CONVERTER: ("FHIR Data Converter", [], [_AHDS + "convertData/action"], []),
    OWNER: ("Owner", ["*"], [], []),
    USER_ACCESS_ADMINISTRATOR: ("User Access Administrator", ["*/read", "Microsoft.Authorization/*"], [], []),
    RBAC_ADMINISTRATOR: (
        "Role Based Access Control Administrator",
        ["Microsoft.Authorization/roleAssignments/*"],
        [],
        [],
    ),
    READER: ("Reader", ["*/read"], [], []),
    CONTRIBUTOR: ("Contributor", ["*"], [], []),
}
_DATA_ROLES = (
    FHIR_DATA_READER,
    FHIR_DATA_WRITER,
    FHIR_DATA_CONTRIBUTOR,
    FHIR_DATA_EXPORTER,
    FHIR_DATA_IMPORTER,
    FHIR_SMART_USER,
    FHIR_DATA_CONVERTER,
)
_CONTROL_ROLES = (OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR, READER, CONTRIBUTOR)


def _guid(kind: int, n: int) -> str:
    """A deterministic GUID-shaped id: ``kind`` picks the namespace, ``n`` the item."""
    return f"{kind:08x}-{(n >> 48) & 0xFFFF:04x}-4{(n >> 36) & 0xFFF:03x}-8{(n >> 24) & 0xFFF:03x}-{n & 0xFFFFFFFFFFFF:012x}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Estate:
    """The ARM side of the tenant, and every scope an assignment can name (broad ones and resources)."""

    subscriptions: list[Subscription]
    workspaces: list[Workspace]
    fhir: list[FhirService]
    legacy: list[LegacyFhirService]
    vaults: list[KeyVault]
    items: list[VaultItem]
    storage: list[StorageAccount]
    endpoints: list[PrivateEndpoint]
    gateways: list[ApplicationGateway]
    apims: list[ApimService]
    broad: list[str]
    resources: list[str]


def _estate(subs: int) -> _Estate:
    subscriptions: list[Subscription] = []
    workspaces: list[Workspace] = []
    fhir: list[FhirService] = []
    legacy: list[LegacyFhirService] = []
    vaults: list[KeyVault] = []
    items: list[VaultItem] = []
    storage: list[StorageAccount] = []
    endpoints: list[PrivateEndpoint] = []
    gateways: list[ApplicationGateway] = []
    apims: list[ApimService] = []
    broad: list[str] = ["/", _MG + "mg-root", _MG + "mg-health"]
    resources: list[str] = []
    for s in range(subs):
        sid = _guid(0x5B, s)
        sub_scope = f"/subscriptions/{sid}"
        mgs = [_MG + "mg-root", _MG + "mg-health"] if s % 2 == 0 else [_MG + "mg-root"]
        subscriptions.append(
            Subscription.model_construct(
                subscription_id=sid,
                display_name=f"health-{s:04d}",
                state="Enabled",
                tenant_id=TENANT,
                management_group_ids=mgs,
                complete=True,
            )
        )
        broad.append(sub_scope)
        rgs = [f"{sub_scope}/resourceGroups/rg-{name}" for name in ("health-0", "health-1", "keys", "edge")]
        broad.extend(rgs)
        loc = "westeurope" if s % 3 else "eastus2"
        common = {"location": loc, "subscription_id": sid, "tags": {"env": "prod" if s % 4 else "test"}}
        compliant = s % 2 == 0
        vault_id = f"{rgs[2]}/providers/Microsoft.KeyVault/vaults/kv-health-{s:04d}"
        vault_uri = f"https://kv-health-{s:04d}.vault.azure.net/"
        storage_name = f"sthealthexport{s:04d}"
        storage_id = f"{rgs[2]}/providers/Microsoft.Storage/storageAccounts/{storage_name}"
        for w in range(2):
            ws_name = f"ws{s:04d}{w}"
            ws_id = f"{rgs[w]}/providers/Microsoft.HealthcareApis/workspaces/{ws_name}"
            pe_id = f"{rgs[3]}/providers/Microsoft.Network/privateEndpoints/pe-{ws_name}"
            connections = (
                [
                    PrivateEndpointConnection.model_construct(
                        id=f"{ws_id}/privateEndpointConnections/pec-{ws_name}",
                        name=f"pec-{ws_name}",
                        private_endpoint_id=pe_id,
                        status="Approved",
                        description=None,
                        provisioning_state="Succeeded",
                    )
                ]
                if compliant
                else []
            )
            workspaces.append(
                Workspace.model_construct(
                    id=ws_id,
                    name=ws_name,
                    type="Microsoft.HealthcareApis/workspaces",
                    resource_group=f"rg-health-{w}",
                    public_network_access="Disabled" if compliant else "Enabled",
                    private_endpoint_connections=connections,
                    provisioning_state="Succeeded",
                    **common,
                )
            )
            resources.append(ws_id)
            if compliant:
                endpoints.append(
                    PrivateEndpoint.model_construct(
                        id=pe_id,
                        name=f"pe-{ws_name}",
                        type="Microsoft.Network/privateEndpoints",
                        resource_group="rg-edge",
                        subnet_id=f"{rgs[3]}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe",
                        connections=[
                            PrivateEndpointLink.model_construct(
                                name=f"pec-{ws_name}",
                                target_id=ws_id,
                                group_ids=["healthcareworkspace"],
                                status="Approved",
                                manual=False,
                            )
                        ],
                        **common,
                    )
                )
            for f in range(2):
                name = f"fhir{f}"
                fid = f"{ws_id}/fhirservices/{name}"
                fhir.append(
                    FhirService.model_construct(
                        id=fid,
                        name=f"{ws_name}/{name}",
                        type="Microsoft.HealthcareApis/workspaces/fhirservices",
                        resource_group=f"rg-health-{w}",
                        workspace_id=ws_id,
                        kind="fhir-R4",
                        public_network_access="Disabled" if compliant else "Enabled",
                        private_endpoint_connections=[],
                        cors=Cors.model_construct(
                            origins=["https://portal.example.org"] if compliant else ["*"],
                            headers=["*"],
                            methods=["GET"],
                            max_age=600,
                            allow_credentials=False,
                        ),
                        cmk_key_url=f"{vault_uri}keys/cmk-{ws_name}-{f}" if compliant or f == 0 else None,
                        export_storage_account_name=storage_name,
                        import_storage_account_name=None,
                        import_enabled=False,
                        authority=f"https://login.microsoftonline.com/{TENANT}",
                        audience=f"https://{ws_name}-{name}.fhir.azurehealthcareapis.com",
                        smart_proxy_enabled=False,
                        identity_type="SystemAssigned",
                        provisioning_state="Succeeded",
                        **common,
                    )
                )
                resources.append(fid)
                items.append(
                    VaultItem.model_construct(
                        id=f"{vault_id}/keys/cmk-{ws_name}-{f}",
                        name=f"cmk-{ws_name}-{f}",
                        vault_id=vault_id,
                        kind="key",
                        enabled=True,
                        not_before=None,
                        expires=NOW + timedelta(days=(s * 37 + f * 11) % 400 - 30),
                        created=NOW - timedelta(days=400),
                        updated=NOW - timedelta(days=10),
                        key_uri=f"{vault_uri}keys/cmk-{ws_name}-{f}",
                        key_type="RSA-HSM",
                        content_type=None,
                        rotation_policy=None,
                    )
                )
        legacy_id = f"{rgs[1]}/providers/Microsoft.HealthcareApis/services/fhir-legacy-{s:04d}"
        legacy.append(
            LegacyFhirService.model_construct(
                id=legacy_id,
                name=f"fhir-legacy-{s:04d}",
                type="Microsoft.HealthcareApis/services",
                resource_group="rg-health-1",
                kind="fhir-R4",
                public_network_access="Enabled",
                private_endpoint_connections=[],
                cors=None,
                cosmos_key_vault_key_uri=f"{vault_uri}keys/cosmos-{s:04d}" if compliant else None,
                export_storage_account_name=storage_name,
                access_policy_object_ids=[_guid(0x5A, s)],
                authority=f"https://login.microsoftonline.com/{TENANT}",
                audience="https://azurehealthcareapis.com",
                identity_type=None,
                provisioning_state="Succeeded",
                **common,
            )
        )
        resources.append(legacy_id)
        vaults.append(
            KeyVault.model_construct(
                id=vault_id,
                name=f"kv-health-{s:04d}",
                type="Microsoft.KeyVault/vaults",
                resource_group="rg-keys",
                vault_uri=vault_uri,
                enable_soft_delete=True,
                enable_purge_protection=True if compliant else None,
                soft_delete_retention_days=90,
                enable_rbac_authorization=True,
                public_network_access="Disabled" if compliant else "Enabled",
                network_default_action="Deny" if compliant else "Allow",
                network_bypass="AzureServices",
                ip_rules=[],
                virtual_network_rule_ids=[],
                private_endpoint_connections=[],
                **common,
            )
        )
        resources.append(vault_id)
        items.append(
            VaultItem.model_construct(
                id=f"{vault_id}/secrets/export-sas",
                name="export-sas",
                vault_id=vault_id,
                kind="secret",
                enabled=True,
                not_before=None,
                expires=None if s % 3 == 0 else NOW + timedelta(days=s % 90),
                created=NOW - timedelta(days=200),
                updated=None,
                key_uri=f"{vault_uri}secrets/export-sas",
                key_type=None,
                content_type="text/plain",
                rotation_policy=None,
            )
        )
        storage.append(
            StorageAccount.model_construct(
                id=storage_id,
                name=storage_name,
                type="Microsoft.Storage/storageAccounts",
                resource_group="rg-keys",
                kind="StorageV2",
                sku_name="Standard_GRS",
                minimum_tls_version="TLS1_2" if compliant else "TLS1_0",
                https_only=True,
                allow_blob_public_access=False,
                public_network_access="Enabled",
                network_default_action="Deny" if compliant else "Allow",
                allow_shared_key_access=False,
                private_endpoint_connections=[],
                **common,
            )
        )
        resources.append(storage_id)
        gateways.append(
            ApplicationGateway.model_construct(
                id=f"{rgs[3]}/providers/Microsoft.Network/applicationGateways/agw-{s:04d}",
                name=f"agw-{s:04d}",
                type="Microsoft.Network/applicationGateways",
                resource_group="rg-edge",
                sku_name="WAF_v2",
                sku_tier="WAF_v2",
                ssl_policy=SslPolicy.model_construct(
                    policy_type="Predefined",
                    policy_name="AppGwSslPolicy20220101" if compliant else "AppGwSslPolicy20150501",
                    min_protocol_version=None,
                    disabled_ssl_protocols=[],
                    cipher_suites=[],
                ),
                ssl_profiles=[],
                listener_protocols=["Https"],
                backend_fqdns=[f"ws{s:04d}0-fhir0.fhir.azurehealthcareapis.com"],
                **common,
            )
        )
        apims.append(
            ApimService.model_construct(
                id=f"{rgs[3]}/providers/Microsoft.ApiManagement/service/apim-{s:04d}",
                name=f"apim-{s:04d}",
                type="Microsoft.ApiManagement/service",
                resource_group="rg-edge",
                sku_name="Developer",
                custom_properties={
                    "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10": "False"
                    if compliant
                    else "True",
                },
                public_network_access="Enabled",
                virtual_network_type="None",
                gateway_url=f"https://apim-{s:04d}.azure-api.net",
                hostnames=[f"apim-{s:04d}.azure-api.net"],
                min_api_version=None,
                created_at=datetime(2021, 3, 1, tzinfo=UTC),
                **common,
            )
        )
    return _Estate(
        subscriptions=subscriptions, workspaces=workspaces, fhir=fhir, legacy=legacy, vaults=vaults, items=items,
        storage=storage, endpoints=endpoints, gateways=gateways, apims=apims, broad=broad, resources=resources,
    )


def _role_definitions(
    subscriptions: list[Subscription], custom_roles: int
) -> tuple[list[RoleDefinition], list[str]]:
    """Built-ins once per subscription (as listed from each) and tenant-wide custom roles; returns custom GUIDs."""
    defs: list[RoleDefinition] = []
    for sub in subscriptions:
        for guid, (name, actions, data, not_data) in _BUILTINS.items():
            defs.append(
                RoleDefinition.model_construct(
                    id=f"/subscriptions/{sub.subscription_id}{_ROLE_DEFS}{guid}",
                    name=guid,
                    role_name=name,
                    role_type="BuiltInRole",
                    description=name,
                    assignable_scopes=["/"],
                    permissions=[
                        Permission.model_construct(
                            actions=list(actions),
                            not_actions=[],
                            data_actions=list(data),
                            not_data_actions=list(not_data),
                        )
                    ],
                )
            )
    custom: list[str] = []
    shapes = (
        ([_AHDS + "*"], []),  # wildcard over every FHIR operation
        ([_AHDS + "read", _LEGACY + "read"], []),
        (["Microsoft.HealthcareApis/*"], [_AHDS + "hardDelete/action"]),  # wildcard, minus one
        ([], []),  # control plane only
    )
    for c in range(custom_roles):
        guid = _guid(0xC0, c)
        data, not_data = shapes[c % len(shapes)]
        defs.append(
            RoleDefinition.model_construct(
                id=f"/subscriptions/{subscriptions[0].subscription_id}{_ROLE_DEFS}{guid}",
                name=guid,
                role_name=f"Health custom role {c:03d}",
                role_type="CustomRole",
                description="custom",
                assignable_scopes=[f"/subscriptions/{s.subscription_id}" for s in subscriptions[:3]],
                permissions=[
                    Permission.model_construct(
                        actions=["Microsoft.HealthcareApis/*/read"],
                        not_actions=[],
                        data_actions=list(data),
                        not_data_actions=list(not_data),
                    )
                ],
            )
        )
        custom.append(guid)
    defs.sort(key=lambda d: d.id.lower())
    return defs, custom


def _applications(count: int, rng: random.Random) -> tuple[list[Application], list[ServicePrincipal]]:
    apps: list[Application] = []
    sps: list[ServicePrincipal] = []
    fhir_access = [
        ResourceAccess.model_construct(
            resource_app_id=HEALTHCARE_APIS_APP_ID, scopes=[], roles=[_guid(0xA5, 1)]
        )
    ]
    for i in range(count):
        app_id = _guid(0xA1, i)
        passwords = []
        for k in range(1 + (i % 2)):
            start = NOW - timedelta(days=rng.randrange(30, 800))
            end = None if rng.random() < 0.02 else NOW + timedelta(days=rng.randrange(-365, 1100))
            passwords.append(
                AppCredential.model_construct(
                    key_id=_guid(0xCE, i * 4 + k),
                    kind="password",
                    display_name=f"secret-{k}",
                    hint="abc",
                    start_date_time=start,
                    end_date_time=end,
                    usage=None,
                    type=None,
                )
            )
        certs = []
        if i % 5 == 0:
            certs.append(
                AppCredential.model_construct(
                    key_id=_guid(0xCE, i * 4 + 3),
                    kind="certificate",
                    display_name="CN=client",
                    hint=None,
                    start_date_time=NOW - timedelta(days=300),
                    end_date_time=NOW + timedelta(days=rng.randrange(-60, 700)),
                    usage="Verify",
                    type="AsymmetricX509Cert",
                )
            )
        apps.append(
            Application.model_construct(
                id=_guid(0xA0, i),
                app_id=app_id,
                display_name=f"health-app-{i:06d}",
                sign_in_audience="AzureADMyOrg",
                created_date_time=NOW - timedelta(days=900),
                password_credentials=passwords,
                key_credentials=certs,
                required_resource_access=fhir_access if i % 5 < 3 else [],
            )
        )
        sps.append(
            ServicePrincipal.model_construct(
                id=_guid(0x5A, i),
                app_id=app_id,
                display_name=f"health-app-{i:06d}",
                service_principal_type="Application",
                account_enabled=True,
                app_owner_organization_id=TENANT,
            )
        )
    return apps, sps


def _principals(
    count: int, sps: list[ServicePrincipal], rng: random.Random
) -> tuple[list[DirectoryPrincipal], list[str], list[tuple[str, str]]]:
    """Resolved principals, deleted ids, and the pool assignments draw from as (id, principalType)."""
    resolved: list[DirectoryPrincipal] = []
    deleted: list[str] = []
    pool: list[tuple[str, str]] = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.01:
            pid = _guid(0xDE, i)
            deleted.append(pid)
            pool.append((pid, "User"))
        elif roll < 0.70:
            pid = _guid(0x0E, i)
            guest = rng.random() < 0.03
            upn = (
                f"ext{i}_partner.org#EXT#@health.onmicrosoft.com" if guest else f"user{i}@health.example.org"
            )
            resolved.append(
                DirectoryPrincipal.model_construct(
                    id=pid,
                    object_type="user",
                    display_name=f"User {i}",
                    user_principal_name=upn,
                    user_type="Guest" if guest else "Member",
                )
            )
            pool.append((pid, "User"))
        elif roll < 0.85 or not sps:
            pid = _guid(0x06, i)
            resolved.append(
                DirectoryPrincipal.model_construct(
                    id=pid,
                    object_type="group",
                    display_name=f"Group {i}",
                    user_principal_name=None,
                    user_type=None,
                )
            )
            pool.append((pid, "Group"))
        else:
            sp = sps[i % len(sps)]
            pool.append((sp.id, "ServicePrincipal"))
    for sp in sps:  # every app's service principal is resolvable
        resolved.append(
            DirectoryPrincipal.model_construct(
                id=sp.id,
                object_type="servicePrincipal",
                display_name=sp.display_name,
                user_principal_name=None,
                user_type=None,
            )
        )
    unique = {p.id: p for p in resolved}
    return sorted(unique.values(), key=lambda p: p.id), sorted(deleted), pool


def build_snapshot(
    *, role_assignments: int, applications: int, subscriptions: int | None = None, seed: int = 1
) -> Snapshot:
    """A snapshot with exactly ``role_assignments`` assignments and ``applications`` app registrations.

    ``subscriptions`` defaults to one per 5,000 assignments (at least two). Deterministic for equal arguments.
    """
    rng = random.Random(seed)
    subs = subscriptions or max(2, -(-role_assignments // ASSIGNMENTS_PER_SUBSCRIPTION))
    estate = _estate(subs)
    subscription_list = estate.subscriptions
    definitions, custom = _role_definitions(subscription_list, custom_roles=max(4, subs // 5))
    apps, sps = _applications(applications, rng)
    principals, deleted, pool = _principals(max(100, role_assignments // 8), sps, rng)

    data_roles = [*_DATA_ROLES, *custom]
    assignments: list[RoleAssignment] = []
    broad, resources = estate.broad, estate.resources
    created = NOW - timedelta(days=500)
    for n in range(role_assignments):
        scope = (
            broad[rng.randrange(len(broad))]
            if rng.random() < BROAD_FRACTION
            else resources[rng.randrange(len(resources))]
        )
        roll = rng.random()
        if roll < 0.60:
            guid = data_roles[rng.randrange(len(data_roles))]
        elif roll < 0.995:
            guid = _CONTROL_ROLES[rng.randrange(len(_CONTROL_ROLES))]
        else:
            guid = _guid(0xBAD, n)  # a definition the snapshot does not hold
        principal_id, principal_type = pool[rng.randrange(len(pool))]
        sub = (
            scope.split("/")[2]
            if scope.startswith("/subscriptions/")
            else subscription_list[0].subscription_id
        )
        aid = _guid(0xAA, n)
        assignments.append(
            RoleAssignment.model_construct(
                id=f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{aid}",
                name=aid,
                scope=scope,
                role_definition_id=f"/subscriptions/{sub}{_ROLE_DEFS}{guid}",
                principal_id=principal_id,
                principal_type=principal_type,
                condition=None,
                created_on=created + timedelta(seconds=n),
            )
        )
    assignments.sort(key=lambda a: normalize_id(a.id))  # the order `collect` writes (sorted by id)
    return Snapshot.model_construct(
        schema_version="1.0",
        tool=ToolInfo.model_construct(name="ahds-audit", version="bench"),
        tenant_id=TENANT,
        tenant_name="Benchmark Health",
        cloud="AzureCloud",
        identity=Identity.model_construct(method="client-secret", client_id=_guid(0x1D, 1)),
        started_at=NOW - timedelta(minutes=30),
        finished_at=NOW,
        scope=ScopeRequest.model_construct(mode="all", subscriptions=[]),
        subscriptions=subscription_list,
        errors=[],
        workspaces=estate.workspaces,
        fhir_services=estate.fhir,
        legacy_fhir_services=estate.legacy,
        role_assignments=assignments,
        role_definitions=definitions,
        key_vaults=estate.vaults,
        vault_items=estate.items,
        private_endpoints=estate.endpoints,
        application_gateways=estate.gateways,
        apim_services=estate.apims,
        storage_accounts=estate.storage,
        applications=apps,
        service_principals=sps,
        principals=principals,
        unresolved_principal_ids=deleted,
        principals_resolved=True,
    )
