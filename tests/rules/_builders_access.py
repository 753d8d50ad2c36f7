"""Builders of identity and access inventory (apps, credentials, roles, assignments, principals, vault items)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from scanner.inventory import (
    AppCredential,
    Application,
    DirectoryPrincipal,
    FhirService,
    LegacyFhirService,
    Permission,
    ResourceAccess,
    RoleAssignment,
    RoleDefinition,
    ServicePrincipal,
    Snapshot,
    VaultItem,
    Workspace,
)
from scanner.rule import Result, Rule, RuleContext
from tests.factories import NOW, RG, SUB, arm_id

HEALTHCARE_APIS = "4f6778d8-5aef-43dc-a1ff-b073724b9495"


def days(n: float) -> timedelta:
    """A duration of ``n`` days."""
    return timedelta(days=n)


def run(rule_: Rule[Any], inv: Snapshot, now: datetime = NOW, **settings: Any) -> list[Result]:
    """Call a rule's check directly, as the engine does, with its settings model built from ``settings``."""
    ctx = RuleContext(rule_id=rule_.id, settings=rule_.settings_model(**settings), now=now)
    return list(rule_.check(inv, ctx))


def statuses(results: Iterable[Result]) -> list[str]:
    """The status values of ``results`` in order."""
    return [r.status.value for r in results]


# --- Entra apps -----------------------------------------------------------------------------------


def credential(
    key_id: str,
    *,
    end: datetime | None,
    start: datetime | None = None,
    kind: Literal["password", "certificate"] = "password",
    name: str | None = None,
) -> AppCredential:
    """A password or certificate credential; ``start`` defaults to 90 days before NOW."""
    return AppCredential(
        key_id=key_id,
        kind=kind,
        display_name=name,
        start_date_time=start if start is not None else NOW - days(90),
        end_date_time=end,
        usage="Verify" if kind == "certificate" else None,
        type="AsymmetricX509Cert" if kind == "certificate" else None,
    )


def app(
    name: str,
    *,
    secrets: Iterable[AppCredential] = (),
    certs: Iterable[AppCredential] = (),
    requests_fhir: bool = False,
) -> Application:
    """An app registration whose object id is ``obj-<name>`` and appId ``app-<name>``."""
    return Application(
        id=f"obj-{name}",
        app_id=f"app-{name}",
        display_name=name,
        password_credentials=list(secrets),
        key_credentials=list(certs),
        required_resource_access=[
            ResourceAccess(resource_app_id=HEALTHCARE_APIS, scopes=["user_impersonation"])
        ]
        if requests_fhir
        else [],
    )


def sp_of(application: Application) -> ServicePrincipal:
    """The service principal of ``application`` (object id ``sp-<name>``)."""
    return ServicePrincipal(
        id=f"sp-{application.display_name}", app_id=application.app_id, display_name=application.display_name
    )


# --- FHIR estate ----------------------------------------------------------------------------------


def workspace(name: str = "ws1", *, sub: str = SUB, rg: str = RG) -> Workspace:
    """An AHDS workspace."""
    return Workspace(
        id=arm_id("Microsoft.HealthcareApis/workspaces", name, sub=sub, rg=rg),
        name=name,
        type="Microsoft.HealthcareApis/workspaces",
    )


def fhir(name: str = "fhir1", ws: str = "ws1", *, sub: str = SUB, rg: str = RG) -> FhirService:
    """An AHDS FHIR service ``ws/name``."""
    return FhirService(
        id=arm_id("Microsoft.HealthcareApis/workspaces/fhirservices", f"{ws}/{name}", sub=sub, rg=rg),
        name=f"{ws}/{name}",
        type="Microsoft.HealthcareApis/workspaces/fhirservices",
        workspace_id=arm_id("Microsoft.HealthcareApis/workspaces", ws, sub=sub, rg=rg),
    )


def legacy_fhir(
    name: str = "legacy1", *, sub: str = SUB, rg: str = RG, policies: Iterable[str] = ()
) -> LegacyFhirService:
    """A legacy Azure API for FHIR service."""
    return LegacyFhirService(
        id=arm_id("Microsoft.HealthcareApis/services", name, sub=sub, rg=rg),
        name=name,
        type="Microsoft.HealthcareApis/services",
        access_policy_object_ids=list(policies),
    )


# --- RBAC -----------------------------------------------------------------------------------------


def role_def_id(guid: str, *, sub: str = SUB) -> str:
    """A role definition id as assignments in subscription ``sub`` reference it."""
    return f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def role_def(
    guid: str,
    name: str,
    *,
    data_actions: Iterable[str] = (),
    not_data_actions: Iterable[str] = (),
    actions: Iterable[str] = (),
    custom: bool = True,
    sub: str = SUB,
) -> RoleDefinition:
    """A role definition with one permission block."""
    return RoleDefinition(
        id=role_def_id(guid, sub=sub),
        name=guid,
        role_name=name,
        role_type="CustomRole" if custom else "BuiltInRole",
        assignable_scopes=[f"/subscriptions/{sub}"],
        permissions=[
            Permission(
                actions=list(actions),
                data_actions=list(data_actions),
                not_data_actions=list(not_data_actions),
            )
        ],
    )


def assignment(
    name: str,
    *,
    scope: str,
    role: str,
    principal: str,
    principal_type: str = "User",
    role_sub: str = SUB,
) -> RoleAssignment:
    """A role assignment ``name`` at ``scope`` of role GUID ``role`` (referenced from ``role_sub``)."""
    return RoleAssignment(
        id=f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        name=name,
        scope=scope,
        role_definition_id=role_def_id(role, sub=role_sub),
        principal_id=principal,
        principal_type=principal_type,
    )


def user(
    object_id: str, name: str, *, guest: bool = False, user_type: str | None = "unset"
) -> DirectoryPrincipal:
    """A resolved user; ``guest`` sets userType Guest (``user_type=None`` leaves it absent)."""
    kind = ("Guest" if guest else "Member") if user_type == "unset" else user_type
    upn = f"{name}_contoso.com#EXT#@tenant.onmicrosoft.com" if guest else f"{name}@tenant.onmicrosoft.com"
    return DirectoryPrincipal(
        id=object_id, object_type="user", display_name=name, user_principal_name=upn, user_type=kind
    )


def group(object_id: str, name: str) -> DirectoryPrincipal:
    """A resolved security group."""
    return DirectoryPrincipal(id=object_id, object_type="group", display_name=name)


def mg_scope(name: str) -> str:
    """A management-group scope."""
    return f"/providers/Microsoft.Management/managementGroups/{name}"


def sub_scope(sub: str = SUB) -> str:
    """A subscription scope."""
    return f"/subscriptions/{sub}"


def rg_scope(sub: str = SUB, rg: str = RG) -> str:
    """A resource-group scope."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


# --- Key Vault ------------------------------------------------------------------------------------


def vault_item(
    name: str,
    kind: Literal["secret", "key"],
    *,
    expires: datetime | None,
    enabled: bool | None = True,
    vault: str = "kv1",
) -> VaultItem:
    """Management-plane metadata of one secret or key in ``vault``."""
    vault_id = arm_id("Microsoft.KeyVault/vaults", vault)
    return VaultItem(
        id=f"{vault_id}/{kind}s/{name}",
        name=name,
        vault_id=vault_id,
        kind=kind,
        enabled=enabled,
        expires=expires,
        created=NOW - days(200),
    )
