"""Read-only indexes over a Tenant, built once so every request costs O(page).

ARM ids and scopes are compared lower-cased. Resources are indexed by id and
by collection path (the URL that lists them), so the ARM routes serve any
resource type generically; role assignments and definitions are matched by
scope ancestry, including management groups recorded in the tenant file.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.emulator.roles import BUILT_IN_ROLES
from scanner.emulator.tenant import Tenant

_RA_SEGMENT = "/providers/microsoft.authorization/roleassignments/"
_RD_PATH = "/providers/Microsoft.Authorization/roleDefinitions/"
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"

KNOWN_TYPES: frozenset[str] = frozenset(
    {
        "microsoft.healthcareapis/workspaces",
        "microsoft.healthcareapis/workspaces/fhirservices",
        "microsoft.healthcareapis/workspaces/dicomservices",
        "microsoft.healthcareapis/workspaces/iotconnectors",
        "microsoft.healthcareapis/services",
        "microsoft.healthcareapis/services/privateendpointconnections",
        "microsoft.healthcareapis/workspaces/privateendpointconnections",
        "microsoft.healthcareapis/workspaces/fhirservices/privateendpointconnections",
        "microsoft.keyvault/vaults",
        "microsoft.keyvault/vaults/secrets",
        "microsoft.keyvault/vaults/keys",
        "microsoft.keyvault/vaults/privateendpointconnections",
        "microsoft.keyvault/managedhsms",
        "microsoft.network/privateendpoints",
        "microsoft.network/applicationgateways",
        "microsoft.network/virtualnetworks",
        "microsoft.network/networksecuritygroups",
        "microsoft.apimanagement/service",
        "microsoft.storage/storageaccounts",
        "microsoft.storage/storageaccounts/privateendpointconnections",
    }
)
"""Resource types whose empty lists answer ``{"value": []}`` rather than InvalidResourceType."""


def norm(scope: str) -> str:
    """The comparison key of an ARM id or scope: lower case, no trailing slash, ``/`` for the root."""
    return scope.strip().rstrip("/").lower() or "/"


def resource_type_of(resource_id: str) -> str:
    """``Namespace/type[/childType...]`` of an ARM resource id (as spelled in the id)."""
    _, sep, tail = resource_id.rpartition("/providers/")
    if not sep:
        return ""
    parts = tail.split("/")
    return "/".join([parts[0]] + parts[1::2])


def subscription_of(scope: str) -> str | None:
    """The lower-cased subscription id of a scope, or None above subscriptions."""
    parts = norm(scope).split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else None


@dataclass(slots=True)
class ArmStore:
    """Indexes of the tenant's ARM side: subscriptions, resources, role assignments and definitions."""

    tenant: Tenant
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resource_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups_by_subscription: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    top_level_by_subscription: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    known_types: set[str] = field(default_factory=lambda: set(KNOWN_TYPES))
    management_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    mg_parent: dict[str, str | None] = field(default_factory=dict)
    subscription_mg: dict[str, str | None] = field(default_factory=dict)
    role_assignments: list[tuple[dict[str, Any], frozenset[str]]] = field(default_factory=list)
    role_assignments_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ra_scope_keys: list[str] = field(default_factory=list)
    _ra_by_subscription: dict[str | None, list[int]] = field(default_factory=dict)
    """Positions in ``role_assignments`` by the subscription of their scope (None: above subscriptions)."""
    roles: dict[str, tuple[dict[str, Any], frozenset[str]]] = field(default_factory=dict)
    role_guid_by_name: dict[str, str] = field(default_factory=dict)
    _cache: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def build(cls, tenant: Tenant) -> ArmStore:
        """Index ``tenant``; ValueError for a resource without ``id`` or outside its subscription."""
        store = cls(tenant=tenant)
        store._index_hierarchy()
        for sub in tenant.subscriptions:
            for resource in sub.resources:
                if "id" not in resource:
                    raise ValueError(f"a resource in subscription {sub.subscription_id} has no 'id'")
                if subscription_of(resource["id"]) != sub.subscription_id.lower():
                    raise ValueError(
                        f"resource {resource['id']} is not in subscription {sub.subscription_id}"
                    )
                store._add_resource(resource, None, None)
        store._index_roles()
        return store

    # -- hierarchy ---------------------------------------------------------------------------------------

    def _index_hierarchy(self) -> None:
        root = self.tenant.tenant_id.lower()
        self.mg_parent[root] = None
        self.management_groups[root] = {
            "name": self.tenant.tenant_id,
            "displayName": "Tenant Root Group",
            "parent": None,
        }
        for mg in self.tenant.management_groups:
            self.mg_parent[mg.name.lower()] = (mg.parent or self.tenant.tenant_id).lower()
            self.management_groups[mg.name.lower()] = {
                "name": mg.name,
                "displayName": mg.display_name or mg.name,
                "parent": mg.parent or self.tenant.tenant_id,
            }
        for sub in self.tenant.subscriptions:
            sid = sub.subscription_id.lower()
            self.subscription_mg[sid] = (sub.management_group or self.tenant.tenant_id).lower()
            self.subscriptions[sid] = {
                "id": f"/subscriptions/{sub.subscription_id}",
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "subscriptionId": sub.subscription_id,
                "tenantId": self.tenant.tenant_id,
                "displayName": sub.display_name,
                "state": sub.state,
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "EnterpriseAgreement_2014-09-01",
                    "spendingLimit": "Off",
                },
            }
            self.groups_by_subscription[sid] = []
            self.top_level_by_subscription[sid] = []

    def _mg_chain(self, mg: str | None) -> list[str]:
        chain: list[str] = []
        seen: set[str] = set()
        while mg is not None and mg not in seen:
            seen.add(mg)
            chain.append(_MG_PREFIX + mg)
            mg = self.mg_parent.get(mg)
        return chain

    def scope_chain(self, scope: str) -> frozenset[str]:
        """Every scope at or above ``scope``: its path prefixes, management groups, and ``/``.

        Path prefixes that are not real scopes (``/subscriptions``) are harmless: no
        assignment or assignable scope can equal them.
        """
        key = norm(scope)
        chain = {"/"}
        if key.startswith(_MG_PREFIX):
            chain.update(self._mg_chain(key[len(_MG_PREFIX) :].split("/")[0]))
        else:
            parts = key.split("/")
            chain.update("/".join(parts[:i]) for i in range(2, len(parts) + 1))
            sid = subscription_of(key)
            if sid is not None:
                chain.update(self._mg_chain(self.subscription_mg.get(sid)))
        return frozenset(chain)

    # -- resources ---------------------------------------------------------------------------------------

    def _add_resource(self, raw: dict[str, Any], parent_id: str | None, child_segment: str | None) -> None:
        if parent_id is not None:
            rid = raw.get("id") or f"{parent_id}/{child_segment}/{raw['name']}"
        else:
            rid = raw["id"]
        served: dict[str, Any] = {
            "id": rid,
            "name": raw.get("name") or rid.rsplit("/", 1)[-1],
            "type": raw.get("type") or resource_type_of(rid),
        }
        served.update((k, v) for k, v in raw.items() if not k.startswith("_") and k not in served)
        _fill_vault_item(served, self.resources.get(norm(parent_id)) if parent_id else None)
        key = norm(rid)
        self.resources[key] = served
        self.known_types.add(served["type"].lower())
        self.collections.setdefault(key.rsplit("/", 1)[0], []).append(served)
        if parent_id is None:
            sid = subscription_of(key) or ""
            self.top_level_by_subscription[sid].append(served)
            parts = key.split("/")
            if len(parts) > 4 and parts[3] == "resourcegroups":
                self._add_group(rid, served)
                tail = key.split("/providers/", 1)[1].rsplit("/", 1)[0]
                self.collections.setdefault(f"/subscriptions/{sid}/providers/{tail}", []).append(served)
        for segment, children in (raw.get("_children") or {}).items():
            for child in children:
                self._add_resource(child, rid, segment)

    def _add_group(self, rid: str, resource: dict[str, Any]) -> None:
        parts = rid.split("/")
        group_id = "/".join(parts[:5])
        key = norm(group_id)
        if key in self.resource_groups:
            return
        group = {
            "id": f"/subscriptions/{parts[2]}/resourceGroups/{parts[4]}",
            "name": parts[4],
            "type": "Microsoft.Resources/resourceGroups",
            "location": resource.get("location", "eastus"),
            "properties": {"provisioningState": "Succeeded"},
        }
        self.resource_groups[key] = group
        self.groups_by_subscription[parts[2].lower()].append(group)

    # -- roles -------------------------------------------------------------------------------------------

    def _index_roles(self) -> None:
        for role in BUILT_IN_ROLES:
            self.roles[role.guid] = (role.properties(), frozenset({"/"}))
            self.role_guid_by_name[role.role_name.lower()] = role.guid
        for custom in self.tenant.role_definitions:
            guid = custom["name"].lower()
            props = dict(custom.get("properties", {}))
            props.setdefault("type", "CustomRole")
            scopes = frozenset(norm(s) for s in props.get("assignableScopes", []))
            self.roles[guid] = (props, scopes)
            self.role_guid_by_name[str(props.get("roleName", guid)).lower()] = guid
        for raw in self.tenant.role_assignments:
            assignment = self._role_assignment(raw)
            scope_key = norm(assignment["properties"]["scope"])
            self._ra_by_subscription.setdefault(subscription_of(scope_key), []).append(
                len(self.role_assignments)
            )
            self._ra_scope_keys.append(scope_key)
            self.role_assignments.append((assignment, self.scope_chain(scope_key)))
            self.role_assignments_by_id[norm(assignment["id"])] = assignment

    def _role_assignment(self, raw: dict[str, Any]) -> dict[str, Any]:
        props = dict(raw.get("properties", {}))
        scope = props["scope"]
        role_ref = raw.get("role") or props.get("roleDefinitionId", "")
        guid = (
            self.role_guid_by_name.get(str(role_ref).lower()) or str(role_ref).rstrip("/").rsplit("/", 1)[-1]
        )
        if "roleDefinitionId" not in props:
            sid = subscription_of(scope)
            prefix = f"/subscriptions/{sid}" if sid else ""
            props["roleDefinitionId"] = f"{prefix}{_RD_PATH}{guid}"
        name = raw.get("name") or str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"{norm(scope)}|{guid}|{props['principalId']}")
        )
        props.setdefault("principalType", "ServicePrincipal")
        props.setdefault("condition", None)
        props.setdefault("conditionVersion", None)
        props.setdefault("createdOn", "2024-01-15T10:00:00.0000000Z")
        props.setdefault("updatedOn", props["createdOn"])
        props.setdefault("createdBy", None)
        props.setdefault("updatedBy", None)
        props.setdefault("delegatedManagedIdentityResourceId", None)
        props.setdefault("description", None)
        ordered = {
            "roleDefinitionId": props.pop("roleDefinitionId"),
            "principalId": props.pop("principalId"),
            "principalType": props.pop("principalType"),
            "scope": props.pop("scope"),
            **props,
        }
        return {
            "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
            "type": "Microsoft.Authorization/roleAssignments",
            "name": name,
            "properties": ordered,
        }

    def list_role_assignments(
        self, scope: str, *, at_scope_only: bool, principal_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Assignments at or above ``scope``, plus below it unless ``at_scope_only`` (ARM ``atScope()``)."""
        key = ("ra", norm(scope), at_scope_only, (principal_id or "").lower())
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        request_chain = self.scope_chain(scope)
        request_key = norm(scope)
        # Only assignments above subscriptions or in the scope's own subscription can match: scanning
        # just those keeps a subscription's list O(its assignments) in tenants with 100k+ of them.
        sid = subscription_of(request_key)
        positions: Iterable[int] = (
            range(len(self.role_assignments))
            if sid is None
            else heapq.merge(self._ra_by_subscription.get(None, []), self._ra_by_subscription.get(sid, []))
        )
        result = []
        for i in positions:
            a, chain = self.role_assignments[i]
            if (self._ra_scope_keys[i] in request_chain or (not at_scope_only and request_key in chain)) and (
                principal_id is None or a["properties"]["principalId"].lower() == principal_id.lower()
            ):
                result.append(a)
        self._cache[key] = result
        return result

    def role_definition(self, guid: str, scope: str) -> dict[str, Any] | None:
        """A role definition by GUID as ARM renders it when read at ``scope``, or None."""
        entry = self.roles.get(guid.lower())
        if entry is None:
            return None
        sid = subscription_of(scope)
        prefix = (
            f"/subscriptions/{self.subscriptions[sid]['subscriptionId']}" if sid in self.subscriptions else ""
        )
        return {
            "id": f"{prefix}{_RD_PATH}{guid.lower()}",
            "type": "Microsoft.Authorization/roleDefinitions",
            "name": guid.lower(),
            "properties": entry[0],
        }

    def list_role_definitions(
        self, scope: str, *, role_type: str | None = None, role_name: str | None = None
    ) -> list[dict[str, Any]]:
        """Built-in roles and the custom roles assignable at, above or below ``scope``."""
        key = ("rd", norm(scope), (role_type or "").lower(), (role_name or "").lower())
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        chain = self.scope_chain(scope)
        request_key = norm(scope)
        result: list[dict[str, Any]] = []
        for guid, (props, assignable) in self.roles.items():
            visible = bool(assignable & chain) or any(request_key in self.scope_chain(s) for s in assignable)
            if not visible:
                continue
            if role_type and str(props.get("type", "")).lower() != role_type.lower():
                continue
            if role_name and str(props.get("roleName", "")).lower() != role_name.lower():
                continue
            definition = self.role_definition(guid, scope)
            if definition is not None:
                result.append(definition)
        self._cache[key] = result
        return result

    def generic_resources(self, subscription_id: str, resource_type: str | None) -> list[dict[str, Any]]:
        """The ``/resources`` listing of a subscription: top-level resources without ``properties``."""
        key = ("res", subscription_id.lower(), (resource_type or "").lower())
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        fields: tuple[str, ...] = ("id", "name", "type", "kind", "location", "tags", "sku")
        result: list[dict[str, Any]] = [
            {k: r[k] for k in fields if k in r}
            for r in self.top_level_by_subscription.get(subscription_id.lower(), [])
            if resource_type is None or r["type"].lower() == resource_type.lower()
        ]
        self._cache[key] = result
        return result


def _fill_vault_item(item: dict[str, Any], vault: dict[str, Any] | None) -> None:
    """Derive a Key Vault key's or secret's URIs from its vault's ``vaultUri`` when the file omits them."""
    kind = item["type"].lower()
    if vault is None or kind not in ("microsoft.keyvault/vaults/keys", "microsoft.keyvault/vaults/secrets"):
        return
    vault_uri = str(vault.get("properties", {}).get("vaultUri", "")).rstrip("/")
    props = item.setdefault("properties", {})
    noun = "key" if kind.endswith("keys") else "secret"
    base = f"{vault_uri}/{noun}s/{item['name']}"
    props.setdefault(f"{noun}Uri", base)
    props.setdefault(f"{noun}UriWithVersion", f"{base}/{uuid.uuid5(uuid.NAMESPACE_URL, base).hex}")


@dataclass(slots=True)
class GraphStore:
    """Indexes of the tenant's Microsoft Graph side, by collection and by object id."""

    collections: dict[str, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    objects: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    organization: dict[str, Any] = field(default_factory=dict)
    _cache: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def build(cls, tenant: Tenant) -> GraphStore:
        """Index the tenant's directory objects; raises ValueError for an object without ``id``."""
        store = cls()
        sets: Iterable[tuple[str, str, list[dict[str, Any]]]] = (
            ("applications", "#microsoft.graph.application", tenant.graph.applications),
            ("servicePrincipals", "#microsoft.graph.servicePrincipal", tenant.graph.service_principals),
            ("users", "#microsoft.graph.user", tenant.graph.users),
            ("groups", "#microsoft.graph.group", tenant.graph.groups),
        )
        for name, odata_type, items in sets:
            for item in items:
                if "id" not in item:
                    raise ValueError(f"a Graph {name} object has no 'id'")
                store.objects[item["id"].lower()] = (odata_type, item)
            store.collections[name.lower()] = (name, list(items))
        domain = tenant.default_domain or f"{tenant.tenant_id}.onmicrosoft.com"
        store.organization = {
            "id": tenant.tenant_id,
            "displayName": tenant.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "preferredLanguage": "en",
            "verifiedDomains": [
                {
                    "capabilities": "Email, OfficeCommunicationsOnline",
                    "isDefault": True,
                    "isInitial": True,
                    "name": domain,
                    "type": "Managed",
                }
            ],
        }
        return store
